"""The one Dutch/English message catalogue (evalkit/core/messages/*.toml, issue 17).

- every message has both languages, non-empty, with the same {placeholders};
- every key the code asks for exists, and every key in the catalogue is used;
- no language branches (``if lang == "nl"``) and no inline two-language texts (``{"nl": ...,
  "en": ...}``, ``nl="..."`` keywords, ``_T("Dutch", "English", lang)`` helpers) anywhere in
  evalkit/ outside the catalogue (number formatting in core/i18n.py excepted).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest

from evalkit.core import i18n
from evalkit.core.i18n import catalogue, placeholders, t

ROOT = Path(i18n.__file__).resolve().parents[1]  # evalkit/
TEMPLATES = ROOT / "web" / "templates"
#: Notebooks whose code cells ask for catalogue keys too, with ``t(key, LANG)`` (their own
#: ``tr``/``text`` helpers are not the portal's or the command line's).
NOTEBOOKS = sorted(
    [*(ROOT.parent / "notebooks").glob("*.ipynb"), *(ROOT.parent / "templates").glob("*.ipynb")]
)

#: Functions that take a catalogue key as first argument, and the prefix they put before it.
KEY_FUNCTIONS = {
    "t": "",
    "Message": "",
    "tr": "web.",
    "text": "cli.",
    "has_text": "cli.",
    "_say": "",
}
#: Names too common to be sure outside the modules that define them (sqlalchemy's ``text``),
#: and local helpers (``_say`` in evalkit/data/readers.py: a message for every row of an issue).
LOCAL_KEY_FUNCTIONS = {"text": "cli", "has_text": "cli", "_say": "readers"}


def _sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def _is_i18n_error(func: ast.expr) -> bool:
    """``error(...)`` or ``i18n.error(...)``: the catalogue's error builder (key second)."""
    if isinstance(func, ast.Attribute):
        return func.attr == "error" and isinstance(func.value, ast.Name) and func.value.id == "i18n"
    return isinstance(func, ast.Name) and func.id == "error"


def _notebook_code(path: Path) -> str:
    """The code cells of a notebook as one Python source (IPython ``%magic`` and ``!shell``
    lines left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    return "\n".join(lines) + "\n"


def _keys_in(path: Path, tree: ast.AST) -> tuple[set[str], set[str]]:
    """(static keys, prefixes of keys built at run time) asked for in one module or notebook."""
    static: set[str] = set()
    prefixes: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if _is_i18n_error(func) and len(node.args) >= 2:  # i18n.error(cls, key, **values)
            name, arg = "t", node.args[1]
        elif name not in KEY_FUNCTIONS:
            continue
        elif name in LOCAL_KEY_FUNCTIONS and not path.name.startswith(LOCAL_KEY_FUNCTIONS[name]):
            continue
        else:
            arg = node.args[0]
        if path.suffix == ".ipynb" and KEY_FUNCTIONS[name]:  # notebooks call t(key, LANG) itself
            continue
        choices = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]  # t("a" if x else "b")
        if all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in choices):
            static |= {KEY_FUNCTIONS[name] + c.value for c in choices}
        elif isinstance(arg, ast.JoinedStr):
            head = arg.values[0] if arg.values else None
            lead = head.value if isinstance(head, ast.Constant) else ""
            prefixes.add(KEY_FUNCTIONS[name] + lead)
    return static, prefixes


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed module or notebook code (parsed once per test process: the scans below walk
    every source several times)."""
    return ast.parse(_code(path), filename=str(path))


@functools.cache
def _key_uses() -> tuple[frozenset[str], frozenset[str]]:
    """(static keys, prefixes of keys built at run time) asked for in the code, the portal's
    templates and the code cells of the notebooks."""
    static: set[str] = set()
    prefixes: set[str] = set()
    trees = [(path, _tree(path)) for path in [*_sources(), *NOTEBOOKS]]
    for path, tree in trees:
        found, built = _keys_in(path, tree)
        static |= found
        prefixes |= built
    for tpl in TEMPLATES.glob("*.html"):
        for key, joined in re.findall(
            r"""_\(["']([a-z_0-9]+)["']\s*([~+]?)""", tpl.read_text(encoding="utf-8")
        ):
            (prefixes if joined else static).add("web." + key)  # _("role_" ~ role) is a prefix
    return frozenset(static), frozenset(prefixes)


def _web_literals() -> set[str]:
    """String constants in the portal's code: keys handed to templates as ``_(error)`` etc."""
    out: set[str] = set()
    for path in (ROOT / "web").glob("*.py"):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add("web." + node.value)
    return out


def test_catalogue_loads_and_has_messages():
    cat = catalogue()
    assert len(cat) > 250
    assert t("cli.ui.more", "en", prog="evalkit") == "More help: evalkit --help"
    assert t("cli.ui.more", "nl", prog="evalkit") == "Meer uitleg: evalkit --help"


def _message_problems(cat: dict[str, dict[str, str]]) -> dict[str, str]:
    """What is wrong with each message: languages missing, empty, or different placeholders."""
    problems = {}
    for key, texts in sorted(cat.items()):
        if set(texts) != {"nl", "en"}:
            problems[key] = f"languages {sorted(texts)}, not ['en', 'nl']"
        elif not (texts["nl"].strip() and texts["en"].strip()):
            problems[key] = "an empty text"
        elif placeholders(texts["nl"]) != placeholders(texts["en"]):
            problems[key] = (
                f"placeholders nl {sorted(placeholders(texts['nl']))} != en {sorted(placeholders(texts['en']))}"
            )
    return problems


def test_every_message_has_both_languages_with_the_same_placeholders():
    # one test over all messages (about 1,700): a parametrised test per key cost 12 s of pytest
    # overhead; the failure message lists every bad key with its problem
    problems = _message_problems(catalogue())
    assert not problems, problems


def test_message_check_finds_each_kind_of_problem():
    bad = {
        "a.ok": {"nl": "{n} keer", "en": "{n} times"},
        "a.no_en": {"nl": "x"},
        "a.empty": {"nl": " ", "en": "x"},
        "a.placeholders": {"nl": "{n} keer", "en": "{m} times"},
    }
    assert sorted(_message_problems(bad)) == ["a.empty", "a.no_en", "a.placeholders"]


def test_unknown_key_is_a_clear_key_error():
    with pytest.raises(KeyError, match="not in the catalogue"):
        t("web.no_such_message")


def test_every_key_used_exists():
    static, prefixes = _key_uses()
    cat = catalogue()
    missing = sorted(k for k in static if k not in cat)
    assert not missing, f"keys used in the code but not in evalkit/core/messages/: {missing}"
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in cat), f"no key starts with {prefix!r}"


def test_every_key_in_the_catalogue_is_used():
    static, prefixes = _key_uses()
    web = _web_literals()
    unused = sorted(
        k
        for k in catalogue()
        if k not in static and k not in web and not any(k.startswith(p) for p in prefixes)
    )
    assert not unused, f"keys in the catalogue that no code uses: {unused}"


def test_cli_keys_built_at_run_time_match_real_commands_and_options():
    from evalkit.cli import _COMMANDS, build_parser
    from evalkit.cli_text import _ARGPARSE

    commands = {name for name, _, _ in _COMMANDS}
    parser = build_parser("nl")
    sub = next(a for a in parser._actions if a.dest == "command")
    dests = {name: {a.dest for a in p._actions} for name, p in sub.choices.items()}
    for key in catalogue():
        parts = key.split(".")
        if parts[:2] in (["cli", "command"], ["cli", "epilog"]):
            assert parts[2] in commands, key
        elif parts[:2] == ["cli", "help"]:
            assert parts[3] in dests.get(parts[2], ()), f"{key}: no such option"
        elif parts[:2] == ["cli", "argparse"]:
            assert parts[2] in {name for _, name in _ARGPARSE}, key


# ------------------------------------------------------------------------ source scans
#: The modules that may branch on the language: number formatting (decimal comma).
LANG_BRANCH_ALLOWED = {"core/i18n.py"}
#: The module that turns a catalogue key into a two-language error (``i18n.error``).
INLINE_ALLOWED = {"core/i18n.py"}

_BRANCH = re.compile(
    r"""\blang\w*\s*[!=]=\s*["'](?:nl|en)["']|["'](?:nl|en)["']\s*[!=]=\s*\w*lang\b""", re.IGNORECASE
)


def _rel(path: Path) -> str:
    return (
        path.relative_to(ROOT).as_posix()
        if path.is_relative_to(ROOT)
        else path.relative_to(ROOT.parent).as_posix()
    )


def _code(path: Path) -> str:
    return _notebook_code(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")


def _count_branches(path: Path) -> int:
    return len(_BRANCH.findall(_code(path)))


def _count_pairs(path: Path) -> int:
    """Inline two-language texts in one module: a ``{"nl": ..., "en": ...}`` dict, a call with a
    Dutch keyword (``Error("...", nl="...")``, ``fix_nl=``), or a call of a local two-language
    helper (``_T("Dutch", "English", lang)``). Errors take their texts with ``i18n.error``."""
    tree = _tree(path)
    helpers = {  # local functions taking a Dutch and an English text: def _T(nl, en, lang)
        f.name
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef) and {"nl", "en"} <= {a.arg for a in f.args.args + f.args.kwonlyargs}
    }
    n = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            n += {"nl", "en"} <= keys
        elif isinstance(node, ast.Call):
            kw = {k.arg for k in node.keywords if k.arg}
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            n += any(k == "nl" or k.endswith("_nl") for k in kw) or (name in helpers and len(node.args) >= 2)
    return n


def test_no_language_branches():
    grown = {}
    for path in [*_sources(), *NOTEBOOKS]:
        rel = _rel(path)
        if rel in LANG_BRANCH_ALLOWED:
            continue
        n = _count_branches(path)
        if n:
            grown[rel] = n
    assert not grown, (
        "language branches (lang == 'nl'); put the texts in evalkit/core/messages/ and call "
        f"evalkit.core.i18n.t(key, lang). (module: count): {grown}"
    )


def test_no_inline_nl_en_texts():
    grown = {}
    for path in [*_sources(), *NOTEBOOKS]:
        rel = _rel(path)
        if rel in INLINE_ALLOWED:
            continue
        n = _count_pairs(path)
        if n:
            grown[rel] = n
    assert not grown, (
        "inline {'nl': ..., 'en': ...} texts; put them in evalkit/core/messages/ and call "
        f"evalkit.core.i18n.t(key, lang). (module: count): {grown}"
    )


def test_the_scans_find_what_they_look_for(tmp_path):
    p = tmp_path / "x.py"
    p.write_text(
        'x = {"nl": "a", "en": "b"}[lang]\nif lang == "nl":\n    pass\ny = "en" != lang\n'
        'def _T(nl, en, lang):\n    return nl\nz = _T("a", "b", lang)\n'
        'raise ValueError("b", nl="a")\nw = f(fix_nl="a", fix_en="b")\n'
    )
    assert _count_pairs(p) == 4
    assert _count_branches(p) == 2
    nb = tmp_path / "x.ipynb"
    source = ["%matplotlib inline\n", 'x = {"nl": "a", "en": "b"}[LANG] if LANG == "nl" else ""\n']
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": source}]}))
    assert (_count_pairs(nb), _count_branches(nb)) == (1, 1)


def test_notebook_code_cells_are_read_for_key_uses(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["t('notebooks.not_code', LANG)"]},
            {
                "cell_type": "code",
                "metadata": {},
                "source": ["%matplotlib inline\n", "x = t('notebooks.a', LANG)"],
            },
            {"cell_type": "code", "metadata": {}, "source": ["  !ls\n", "y = t(f'notebooks.b.{k}', LANG)\n"]},
        ]
    }
    p = tmp_path / "x.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    code = _notebook_code(p)
    assert "%matplotlib" not in code and "!ls" not in code and "not_code" not in code
    calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)]
    assert [c.args[0].value for c in calls if isinstance(c.args[0], ast.Constant)] == ["notebooks.a"]
    # and the committee notebooks' own keys count as used (they are in no module of evalkit/)
    static, prefixes = _key_uses()
    assert "notebooks.synthesis.x_change" in static
    assert "notebooks.programme.band." in prefixes


def test_coalition_parameter_errors_in_both_languages():
    from evalkit.core.errors import ParameterError
    from evalkit.reports.coalition import check_report_parameters

    cases = [
        ({"no_such": 1}, "unknown parameter 'no_such'", "onbekende parameter 'no_such'"),
        ({"min_cell": "veel"}, "must be a whole number, not 'veel'", "moet een heel getal zijn, niet 'veel'"),
        ({"coalition_code": "0363"}, "is not a CBS municipality code", "is geen CBS-gemeentecode"),
        ({"lang": "fr"}, "lang must be nl or en, not 'fr'", "lang moet nl of en zijn, niet 'fr'"),
    ]
    for params, en, nl in cases:
        with pytest.raises(ParameterError) as info:
            check_report_parameters(params)
        assert en in str(info.value) and nl in info.value.message("nl"), params


def test_message_is_a_read_only_two_language_mapping():
    m = i18n.Message("core.results.no_figure", result="X")
    assert dict(m) == {lang: t("core.results.no_figure", lang, result="X") for lang in i18n.LANGS}
    assert m("en") == m["en"] and len(m) == 2 and "fr" not in m
    with pytest.raises(KeyError):
        m["fr"]
    lazy = i18n.Message("core.results.no_figure", result=lambda lang: lang.upper())  # worded per language
    assert lazy["nl"].startswith("NL: ") and lazy["en"].startswith("EN: ")


#: Where the keys of each catalogue file are used (paths under evalkit/). ``core`` and
#: ``figures`` are shared by every layer (argument checks, result tables, plot labels).
AREA_HOMES = {
    "methods": (
        "methods/prepost.py",
        "methods/meta.py",
        "methods/funnel.py",
        "methods/power.py",
        "methods/monitoring.py",
    ),
    "did": ("methods/did/",),
    "validation": ("methods/validation/", "reports/validation.py"),
    "sem": ("methods/validation/",),
    "sem_tables": ("methods/validation/",),
    "data": ("data/",),
    "pages": ("reports/",),
    "reports": ("reports/",),
    "cli": ("cli.py", "cli_text.py"),
    "web": ("web/",),
    "notebooks": (),
}


def test_each_key_lives_in_the_file_of_the_code_that_uses_it():
    """A key of methods.toml is used by the methods that have no file of their own, a key of
    did.toml only under methods/did/, ... (``core`` and ``figures`` keys anywhere)."""
    misplaced = []
    for path in _sources():
        rel = _rel(path)
        static, _ = _keys_in(path, _tree(path))
        for key in static:
            homes = AREA_HOMES.get(key.split(".")[0])
            if homes is not None and not rel.startswith(homes):
                misplaced.append(f"{key} in {rel}")
    assert not misplaced, (
        f"keys used outside their file's area (move them or share them): {sorted(misplaced)}"
    )


def test_every_literal_key_gets_exactly_its_placeholders():
    """``t("a.b", lang, x=...)``, ``Message(...)``, ``i18n.error(cls, ...)``: the keyword
    arguments are the message's placeholders, no more and no fewer (a renamed placeholder
    would otherwise fail only when that sentence is written)."""
    cat = catalogue()
    wrong = []
    for path in _sources():
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[1] if _is_i18n_error(func) and len(node.args) >= 2 else node.args[0]
            if name not in ("t", "Message", "error") or not isinstance(arg, ast.Constant):
                continue
            if arg.value not in cat or any(k.arg is None for k in node.keywords):  # **values
                continue
            given = {k.arg for k in node.keywords}
            if given != placeholders(cat[arg.value]["en"]):
                wrong.append(f"{_rel(path)}:{node.lineno} {arg.value}: {sorted(given)}")
    assert not wrong, wrong
