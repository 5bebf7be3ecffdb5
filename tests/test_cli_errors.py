"""The command line never shows a traceback for a user's mistake (issue 16).

One table-driven test goes over EVERY command registered in ``evalkit.cli._COMMANDS`` (so
commands added later are covered without editing this file) and every kind of bad
argument its parser declares: missing, empty, folder, wrong type, unreadable, unusable
output, zero/negative/non-numbers, unknown names and choices. Each case must end with a
non-zero exit code and a Dutch reason in the first line, never a traceback.

The cases run in a subprocess per command (``python -c DRIVER``) that calls
``evalkit.cli.main`` -- the function the ``evalkit`` console script runs -- once per case:
a traceback escaping ``main`` is recorded and fails the test. One process per case would
cost ~2 s of CPU each (the report machinery's imports); the known cases of the issue also
run as their own ``python -m evalkit.cli`` process below.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit import cli
from evalkit.cli_text import has_text

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [name for name, _, _ in cli._COMMANDS]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

DRIVER = r"""
import contextlib, io, json, sys, traceback
from evalkit import cli
results = []
for argv in json.load(open(sys.argv[1], encoding="utf-8")):
    so, se, tb = io.StringIO(), io.StringIO(), None
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            rc, tb = None, traceback.format_exc()
    results.append({"argv": argv, "rc": rc, "stdout": so.getvalue(), "stderr": se.getvalue(), "traceback": tb})
print(json.dumps(results))
"""

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
ENGLISH = re.compile(
    r"Traceback|usage:|error:|Errno|\b(the|must|not found|invalid|required|got|expected|"
    r"unrecognized|choose from|No such file|is not|does not)\b",
    re.I,
)
DUTCH = re.compile(
    r"\b(geef|niet|geen|ontbreken|ontbreekt|onbekende?|ongeldige|leeg|bestaat|kies|moet|map|"
    r"verplicht\w*|te klein|Bedoelde|fouten?|toegang|verbeter)\b",
    re.I,
)


def dutch_reason(stdout: str, stderr: str) -> str:
    """The first line a person reads; fails unless it is a Dutch reason."""
    text = stderr.strip() or stdout.strip()
    assert text, "no message at all"
    first = text.splitlines()[0]
    bare = _QUOTED.sub("", first)  # paths and the user's own values
    assert not ENGLISH.search(bare), f"English in: {first!r}"
    assert DUTCH.search(bare), f"no Dutch reason in: {first!r}"
    return first


def env(lang: str = "C.UTF-8") -> dict:
    e = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    e["LANG"] = lang
    return e


# ---------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    good = d / "goed.csv"
    good.write_bytes((ROOT / "tests" / "data" / "broken" / "utf8_bom.csv").read_bytes())
    listing = d / "coalities.csv"
    listing.write_text(
        f"coalition_code,coalition_name,data_path\nGM0363,Amsterdam,{good}\n", encoding="utf-8"
    )
    (d / "leeg.csv").write_bytes(b"")
    (d / "plaatje.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (d / "kapot.xlsx").write_bytes(b"PK\x03\x04 geen werkmap")
    (d / "map").mkdir()
    (d / "gewoon.txt").write_text("x", encoding="utf-8")
    (d / "map.xlsx").mkdir()
    locked = d / "geen-rechten.csv"
    locked.write_bytes(good.read_bytes())
    locked.chmod(0)
    return d


def _good(d: Path) -> dict[str, list[str]]:
    """Good values of the usual required arguments, to test one bad thing at a time."""
    return {
        "file": [str(d / "goed.csv")],
        "codebook": ["intervention"],
        "coalitions": [str(d / "coalities.csv")],
        "action": ["list"],
    }


FILE_DESTS = {"file", "coalitions", "template"}


def _required(a: argparse.Action) -> bool:
    if isinstance(a, argparse._HelpAction):
        return False
    return a.required if a.option_strings else a.nargs not in ("?", "*")


def _flag(action: argparse.Action) -> str | None:
    longs = [o for o in action.option_strings if o.startswith("--")]
    return (longs or action.option_strings or [None])[0]


def _argv(name: str, parser: argparse.ArgumentParser, d: Path, dest: str, bad: list[str]) -> list[str]:
    """``evalkit NAME`` with ``dest`` set to ``bad`` and every other required argument good."""
    good = _good(d)
    pos: list[str] = []
    opts: list[str] = []
    if name == "report":  # the default template needs its parameters (a bad one comes later)
        opts += [
            "-p",
            "coalition_code",
            "GM0363",
            "-p",
            "coalition_name",
            "Amsterdam",
            "-p",
            "data_path",
            str(d / "goed.csv"),
        ]
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction):
            continue
        if a.dest == dest:
            value = bad
        elif _required(a):
            value = good.get(a.dest, ["x"])
        else:
            continue
        if a.option_strings:
            opts += [_flag(a), *value]
        else:
            pos += value
    return [name, *pos, *opts]


def cases_for(name: str, parser: argparse.ArgumentParser, d: Path) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    required = [a for a in parser._actions if _required(a)]
    if required:
        out.append(("missing", [name]))
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._StoreTrueAction, argparse._StoreFalseAction)):
            continue
        meta = str(a.metavar or "").upper()
        if a.dest in FILE_DESTS or "FILE" in meta or "BESTAND" in meta:
            for kind, value in (
                ("missing file", "bestaatniet.csv"),
                ("empty", "leeg.csv"),
                ("folder", "map"),
                ("wrong type", "plaatje.csv"),
                ("damaged workbook", "kapot.xlsx"),
            ):
                out.append((f"{a.dest}: {kind}", _argv(name, parser, d, a.dest, [str(d / value)])))
            if not IS_ROOT:  # root reads everything; the permission case needs a normal user
                out.append(
                    (f"{a.dest}: unreadable", _argv(name, parser, d, a.dest, [str(d / "geen-rechten.csv")]))
                )
        if a.dest == "out":
            under_file = str(d / "gewoon.txt" / ("uit.xlsx" if name == "template" else "uit"))
            out.append(("out: under a file", _argv(name, parser, d, "out", [under_file])))
            taken = str(d / "map.xlsx") if name == "template" else str(d / "gewoon.txt")
            out.append(
                (
                    "out: taken",
                    _argv(name, parser, d, "out", [taken, *(["--force"] if name == "template" else [])]),
                )
            )
        if a.type is not None and getattr(a.type, "__name__", "") in ("int", "float"):
            for value in ("0", "-1", "veel"):
                out.append((f"{a.dest}={value}", _argv(name, parser, d, a.dest, [value])))
        if a.choices and not isinstance(a, argparse._SubParsersAction):
            out.append((f"{a.dest}: unknown choice", _argv(name, parser, d, a.dest, ["onbekend"])))
        if a.dest == "codebook":
            for value in ("interventie", "jeugd", str(d / "bestaatniet.json")):
                out.append((f"codebook={Path(value).name}", _argv(name, parser, d, "codebook", [value])))
    if name == "report":
        out.append(("unknown parameter", _argv(name, parser, d, "param", ["kleur", "rood"])))
        out.append(("numeric code", _argv(name, parser, d, "param", ["coalition_code", "0363"])))
    return out


def _subparsers(lang: str = "nl") -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser(lang)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


# ---------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", COMMANDS)
def test_every_bad_argument_of_every_command_gets_a_dutch_line_not_a_traceback(name, files, tmp_path):
    parser = _subparsers()[name]
    table = cases_for(name, parser, files)
    assert table, f"no bad-argument cases for {name}"
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([argv for _, argv in table]), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-c", DRIVER, str(cases)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads(r.stdout)
    problems = []
    for (kind, argv), res in zip(table, results):
        try:
            assert res["traceback"] is None, res["traceback"]
            assert res["rc"] not in (0, None), f"exit code {res['rc']}"
            dutch_reason(res["stdout"], res["stderr"])
        except AssertionError as exc:
            problems.append(
                f"{kind}: evalkit {' '.join(argv)}\n    {exc}\n    stderr: {res['stderr'][:300]!r}"
            )
    assert not problems, "\n".join(problems)
    assert not list(tmp_path.rglob("*.html")), "a bad argument must stop the command before any report"


def test_unknown_command_suggests_the_right_one():
    r = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "valdate"], capture_output=True, text=True, env=env()
    )
    assert r.returncode == 2
    assert "Bedoelde u 'validate'?" in dutch_reason(r.stdout, r.stderr)


# the cases named in the issue, each as its own process, as a person would type them
@pytest.mark.parametrize(
    "argv, expect",
    [
        (["batch", "bestaatniet.csv"], "niet gevonden"),
        (["batch", "{d}/leeg.csv"], "is leeg"),
        (["demo", "--workers", "0"], "te klein"),
        (["template", "intervention", "--out", "{d}/map.xlsx", "--force"], "is een map"),
        (["validate", "{d}/map", "--codebook", "intervention"], "is een map"),
        (["validate", "{d}/goed.csv", "--codebook", "interventie"], "Bedoelde u 'intervention'?"),
        (["validate", "{d}/goed.csv"], "ontbreken"),
        (["report"], "-p coalition_code GM0363"),
    ],
)
def test_known_cases_from_the_issue(argv, expect, files, tmp_path):
    argv = [a.format(d=files) for a in argv]
    r = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=300,
    )
    assert r.returncode != 0
    assert "Traceback" not in r.stderr + r.stdout
    first = dutch_reason(r.stdout, r.stderr)
    assert first.startswith("evalkit ") and expect in first, first


def test_report_on_bad_data_shows_the_validation_and_writes_an_error_page(files, tmp_path):
    bad = tmp_path / "fout.csv"
    bad.write_text(
        "municipality_code,municipality_name,intervention,participant_id,wave,group,"
        "djg3,djg4,djg7,djg8,djg9,djg10\nGM0363,Amsterdam,Maatje,P1,nameting,interventiegroep,"
        "1,2,3,1,2,9\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "evalkit.cli",
            "report",
            "-p",
            "coalition_code",
            "GM0363",
            "-p",
            "coalition_name",
            "Amsterdam",
            "-p",
            "data_path",
            str(bad),
            "--out",
            "uit",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=300,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "foutpagina" in dutch_reason(r.stdout, r.stderr)
    assert "DataValidationError" not in r.stderr + r.stdout and "strict=False" not in r.stderr + r.stdout
    page = (tmp_path / "uit" / "GM0363-amsterdam-fout.html").read_text(encoding="utf-8")
    # the cells as Excel shows them (data row 1 = row 2), the rule in words, no participant id
    assert "nameting zonder voormeting" in page and "P1" not in page
    assert "<td>2</td><td>E wave</td><td>nameting</td>" in page


# ---------------------------------------------------------------------------------------
# help
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_option_of_every_command_has_a_help_text(lang):
    missing = []
    for name, parser in _subparsers(lang).items():
        assert parser.description, name
        for a in parser._actions:
            if isinstance(a, argparse._HelpAction):
                continue
            if not has_text(f"help.{name}.{a.dest}"):
                missing.append(f"{name} {a.dest}")
            assert a.help and a.help.strip(), f"{name} {a.dest}"
    assert not missing, (
        "add Dutch and English help to evalkit/core/messages/cli.toml [help.<command>.<dest>] for: "
        + ", ".join(missing)
    )


def test_help_is_dutch_and_english_with_lang_en_or_an_english_locale():
    nl = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "validate", "--help"], capture_output=True, text=True, env=env()
    ).stdout
    assert nl.startswith("gebruik: evalkit validate") and "opties:" in nl and "toon deze hulp" in nl
    for argv, lang in (
        (["validate", "--help", "--lang", "en"], "C.UTF-8"),
        (["validate", "--help"], "en_GB.UTF-8"),
    ):
        en = subprocess.run(
            [sys.executable, "-m", "evalkit.cli", *argv], capture_output=True, text=True, env=env(lang)
        ).stdout
        assert en.startswith("usage: evalkit validate") and "show this help" in en, en[:200]
    rep = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "report", "--help"], capture_output=True, text=True, env=env()
    ).stdout
    for needed in ("coalition_code", "coalition_name", "data_path", "Voorbeeld: evalkit report -p"):
        assert needed in rep, needed
