"""Machine-readable codebooks (data dictionaries) and their readable pages.

A codebook is a JSON file in ``data_dictionary/`` written in the vocabulary of the
Frictionless Table Schema (``fields`` with ``name``, ``type``, ``title``, ``description``,
``constraints`` = ``required``/``enum``/``minimum``/``maximum``/``unique``/``pattern``,
``missingValues``, ``primaryKey``), extended with evalkit keys (see ``docs/io.md``):

- ``title_nl``/``title_en``, ``description_nl``/``description_en`` on the codebook and on
  every field (``title``/``description`` hold the English text for plain Frictionless tools);
- ``value_labels``: ``{"code": {"nl": "...", "en": "..."}}`` per field (JSON keys are
  strings and are converted to the field type);
- ``x-aliases``: extra header names a coalition's file may use for a field;
- ``x-rules``: table rules (``unique`` key, ``requires_baseline``, ``in_reference_list``,
  ``compare``, ``constant_within``, ``band``, ``item_set``);
- ``scale``: the scale block (items, keying, response options, subscales, scoring);
- ``x-scales``: names of scale codebooks whose items the table holds.

Examples
--------
>>> from evalkit.codebook import load_codebook
>>> cb = load_codebook("intervention")
>>> cb.resolve_header("Gemeentecode")
'municipality_code'
>>> cb.value_labels("djg1", lang="nl")
{1: 'ja', 2: 'min of meer', 3: 'nee'}
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.core.checks import check_lang, check_option
from evalkit.core.errors import CodebookError
from evalkit.core.i18n import LANGS, error, t

__all__ = [
    "KNOWN_CODEBOOKS",
    "available_codebooks",
    "Codebook",
    "Field",
    "load_codebook",
    "codebook_dir",
    "municipalities",
    "normalize_label",
    "suggest_codebook",
    "cli_codebook",
]

#: Names accepted by :func:`load_codebook` (besides a path to a JSON file).
KNOWN_CODEBOOKS: tuple[str, ...] = (
    "intervention",
    "municipal_panel",
    "youth_instrument",
    "benchmark",
    "djg11",
    "djg6",
    "health_monitor",
)

FIELD_TYPES = ("string", "integer", "number", "date", "boolean")


def normalize_label(text: Any) -> str:
    """Normalise a header or answer for matching: case-folded, trimmed, single spaces.

    >>> normalize_label("  Min  of Meer ")
    'min of meer'
    """
    s = str(text).replace("\ufeff", "").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", s).strip().casefold()


def _convert_code(code: Any, type_: str) -> Any:
    """Convert a JSON value-label key (a string) to the field's type."""
    if type_ == "integer":
        try:
            return int(str(code))
        except ValueError as exc:
            raise CodebookError(f"value label code {code!r} is not a whole number") from exc
    if type_ == "number":
        return float(code)
    return str(code)


@dataclass(frozen=True)
class Field:
    """One column of a codebook (a Frictionless field plus evalkit extensions)."""

    name: str
    type: str
    title_nl: str
    title_en: str
    description_nl: str
    description_en: str
    constraints: Mapping[str, Any]
    value_labels_: Mapping[Any, Mapping[str, str]]
    aliases: tuple[str, ...]
    missing_values: tuple[str, ...] | None
    raw: Mapping[str, Any] = dc_field(repr=False, compare=False)

    # constraints --------------------------------------------------------------------
    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required", False))

    @property
    def enum(self) -> list | None:
        e = self.constraints.get("enum")
        return (
            None
            if e is None
            else [_convert_code(v, self.type) if self.type in ("integer", "number") else v for v in e]
        )

    @property
    def minimum(self):
        return self.constraints.get("minimum")

    @property
    def maximum(self):
        return self.constraints.get("maximum")

    @property
    def pattern(self) -> str | None:
        return self.constraints.get("pattern")

    @property
    def unique(self) -> bool:
        return bool(self.constraints.get("unique", False))

    # labels -------------------------------------------------------------------------
    def title(self, lang: str = "nl") -> str:
        check_lang(lang)
        return str(getattr(self, f"title_{check_lang(lang)}"))

    def description(self, lang: str = "nl") -> str:
        check_lang(lang)
        return str(getattr(self, f"description_{check_lang(lang)}"))

    def value_labels(self, lang: str = "nl") -> dict:
        """``{code: label}`` in ``lang`` (empty if the field has no value labels)."""
        check_lang(lang)
        return {code: lab.get(lang, lab.get("nl", str(code))) for code, lab in self.value_labels_.items()}

    def answer_map(self) -> dict[str, Any]:
        """Normalised text -> code: the codes themselves and their Dutch/English labels."""
        out: dict[str, Any] = {}
        codes = self.enum if self.enum is not None else list(self.value_labels_)
        for code in codes:
            out[normalize_label(code)] = code
        for code, lab in self.value_labels_.items():
            for text in lab.values():
                key = normalize_label(text)
                if key in out and out[key] != code:
                    # an answer word that means two codes would be ambiguous
                    raise CodebookError(
                        f"field {self.name!r}: the label {text!r} is used for two codes "
                        f"({out[key]!r} and {code!r})"
                    )
                out[key] = code
        return out

    def allowed_text(self, lang: str = "nl") -> str:
        """Readable allowed values: value labels, enum or range."""
        check_lang(lang)
        parts = []
        labels = self.value_labels(lang)
        if self.enum is not None:
            parts.append(
                ", ".join(
                    f"{c} = {labels[c]}"
                    if c in labels and normalize_label(labels[c]) != normalize_label(c)
                    else f"{c}"
                    for c in self.enum
                )
            )
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            parts.append(t("data.codebook.page.range_between", lang, lo=lo, hi=hi))
        elif lo is not None:
            parts.append(t("data.codebook.page.range_min", lang, lo=lo))
        elif hi is not None:
            parts.append(t("data.codebook.page.range_max", lang, hi=hi))
        if self.pattern:
            parts.append(f"{t('data.codebook.page.pattern', lang)} `{self.pattern}`")
        if self.unique:
            parts.append(t("data.codebook.page.unique", lang))
        if self.type == "date":
            parts.append(t("data.codebook.page.date_formats", lang))
        return "; ".join(parts)


class Codebook:
    """A loaded codebook: fields, labels per language, value labels, header aliases.

    Use :func:`load_codebook` to get one. ``cb["age"]`` is the :class:`Field` ``age``;
    ``cb.field_names`` lists the columns in order; ``cb.resolve_header("Leeftijd")`` maps
    a file's header to the machine name.
    """

    def __init__(self, raw: Mapping[str, Any], path: Path | None = None):
        if not isinstance(raw, Mapping):
            raise CodebookError("a codebook must be a JSON object")
        self.raw = dict(raw)
        self.path = path
        where = f" ({path})" if path else ""
        self.name = str(raw.get("name") or (path.stem if path else ""))
        if not self.name:
            raise CodebookError(f"codebook without a name{where}")
        self.kind = str(raw.get("kind", "table"))
        self.version = str(raw.get("version", ""))
        self.missing_values: tuple[str, ...] = tuple(str(v) for v in raw.get("missingValues", [""]))
        fields_raw = raw.get("fields", [])
        if not isinstance(fields_raw, list):
            raise CodebookError(f"codebook {self.name!r}: 'fields' must be a list{where}")
        if self.kind == "table" and not fields_raw:
            raise CodebookError(f"codebook {self.name!r} has no fields{where}")
        self.fields: list[Field] = [self._make_field(f, where) for f in fields_raw]
        self._by_name = {f.name: f for f in self.fields}
        if len(self._by_name) != len(self.fields):
            raise CodebookError(f"codebook {self.name!r} has duplicate field names{where}")
        pk = raw.get("primaryKey", [])
        self.primary_key: list[str] = [pk] if isinstance(pk, str) else list(pk)
        for k in self.primary_key:
            if k not in self._by_name:
                raise CodebookError(f"codebook {self.name!r}: primaryKey field {k!r} is not a field")
        self.rules: list[dict] = list(raw.get("x-rules", []))
        self.scale: dict | None = raw.get("scale")
        self.scales: list[str] = list(raw.get("x-scales", []))
        self.aliases: dict[str, str] = self._build_aliases()
        self._answer_maps = {f.name: f.answer_map() for f in self.fields}

    # construction ---------------------------------------------------------------------
    def _make_field(self, f: Mapping[str, Any], where: str) -> Field:
        if not isinstance(f, Mapping) or "name" not in f:
            raise CodebookError(f"codebook {self.name!r}: every field needs a 'name'{where}")
        type_ = f.get("type", "string")
        if type_ not in FIELD_TYPES:
            raise CodebookError(
                f"codebook {self.name!r}, field {f['name']!r}: type {type_!r} is not one of {FIELD_TYPES}"
            )
        what = f"codebook {self.name!r}, field {f['name']!r}"
        vl_raw = f.get("value_labels", {}) or {}
        if isinstance(vl_raw, list):  # [{code, label_nl, label_en}] is accepted too
            if not all(isinstance(d, Mapping) and "code" in d for d in vl_raw):
                raise CodebookError(f"{what}: a value_labels list needs objects with a 'code'{where}")
            vl_raw = {str(d["code"]): {lg: d.get(f"label_{lg}") for lg in LANGS} for d in vl_raw}
        if not isinstance(vl_raw, Mapping) or not all(isinstance(v, Mapping) for v in vl_raw.values()):
            raise CodebookError(
                f'{what}: value_labels must map codes to {{"nl": ..., "en": ...}}, '
                f'e.g. {{"1": {{"nl": "ja", "en": "yes"}}}}{where}'
            )
        value_labels = {
            _convert_code(k, type_): {lang: str(v) for lang, v in lab.items() if v is not None}
            for k, lab in vl_raw.items()
        }
        constraints = f.get("constraints", {}) or {}
        if not isinstance(constraints, Mapping):
            raise CodebookError(f"{what}: 'constraints' must be an object{where}")
        title_en = f.get("title_en") or f.get("title") or f["name"]
        desc_en = f.get("description_en") or f.get("description") or ""
        # the field's own texts (data): title_<lang> and description_<lang>, English when missing
        texts: dict[str, str] = {}
        for lg in LANGS:
            texts[f"title_{lg}"] = f.get(f"title_{lg}") or title_en
            texts[f"description_{lg}"] = f.get(f"description_{lg}") or desc_en
        mv = f.get("missingValues")
        return Field(
            name=str(f["name"]),
            type=type_,
            **texts,
            constraints=dict(constraints),
            value_labels_=value_labels,
            aliases=tuple(f.get("x-aliases", ())),
            missing_values=None if mv is None else tuple(map(str, mv)),
            raw=dict(f),
        )

    def _build_aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        # machine names first: they win over any title/alias of another field
        for f in self.fields:
            out[normalize_label(f.name)] = f.name
        for f in self.fields:
            for a in (f.title_nl, f.title_en, *f.aliases):
                key = normalize_label(a)
                if key in out and out[key] != f.name:
                    if normalize_label(out[key]) == key:  # it is another field's machine name
                        continue
                    raise CodebookError(
                        f"codebook {self.name!r}: the header {a!r} would mean both "
                        f"{out[key]!r} and {f.name!r}"
                    )
                out[key] = f.name
        return out

    # access ---------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a field of codebook {self.name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"<Codebook {self.name!r} ({self.kind}, {len(self.fields)} fields)>"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def is_draft(self) -> bool:
        return str(self.raw.get("x-status", "")).lower() == "draft"

    def title(self, lang: str = "nl") -> str:
        check_lang(lang)
        en = self.raw.get("title_en") or self.raw.get("title") or self.name
        return str(self.raw.get(f"title_{lang}") or en)  # English: title_en, else title, else the name

    def description(self, lang: str = "nl") -> str:
        check_lang(lang)
        en = self.raw.get("description_en") or self.raw.get("description") or ""
        return str(self.raw.get(f"description_{lang}") or en)

    def labels(self, lang: str = "nl") -> dict[str, str]:
        """``{machine name: title}`` in ``lang``."""
        return {f.name: f.title(lang) for f in self.fields}

    def value_labels(self, field: str | None = None, lang: str = "nl") -> dict:
        """``{code: label}`` for one field, or ``{field: {code: label}}`` for all labelled fields."""
        if field is not None:
            return self[field].value_labels(lang)
        return {f.name: f.value_labels(lang) for f in self.fields if f.value_labels_}

    def answer_map(self, field: str) -> dict[str, Any]:
        """Normalised answer text (code, Dutch or English label) -> code for ``field``."""
        return self._answer_maps[self[field].name]

    def resolve_header(self, header: Any) -> str | None:
        """Machine name for a header (machine name, Dutch/English title or alias), else None."""
        return self.aliases.get(normalize_label(header))

    def rules_of_type(self, type_: str) -> list[dict]:
        return [r for r in self.rules if r.get("type") == type_]

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self.raw))

    # rendering ------------------------------------------------------------------------
    def _blocks(self, lang: str) -> list[tuple]:
        """Document as blocks: ('h', level, text), ('p', text), ('table', header, rows), ('ul', items)."""
        check_lang(lang)
        yes, no = t("data.codebook.page.yes", lang), t("data.codebook.page.no", lang)
        blocks: list[tuple] = [("h", 1, self.title(lang))]
        if self.is_draft:
            notice = self.raw.get(f"x-draft_notice_{lang}") or t("data.codebook.page.draft", lang)
            blocks.append(("warn", notice))
        meta = [f"`{self.name}`", f"{t('data.codebook.page.kind', lang)}: {self.kind}"]
        if self.version:
            meta.append(f"{t('data.codebook.page.version', lang)}: {self.version}")
        blocks.append(("p", " · ".join(meta)))
        if self.description(lang):
            blocks.append(("p", self.description(lang)))
        if self.fields:
            blocks.append(("h", 2, t("data.codebook.page.columns", lang)))
            rows = []
            for f in self.fields:
                rows.append(
                    [
                        f"`{f.name}`",
                        f.title(lang),
                        t(f"data.codebook.type.{f.type}", lang),
                        yes if f.required else no,
                        f.allowed_text(lang),
                        f.description(lang),
                    ]
                )
            blocks.append(
                (
                    "table",
                    [
                        t("data.codebook.page.name", lang),
                        t("data.codebook.page.title", lang),
                        t("data.codebook.page.type", lang),
                        t("data.codebook.page.required", lang),
                        t("data.codebook.page.allowed", lang),
                        t("data.codebook.page.description", lang),
                    ],
                    rows,
                )
            )
        if self.primary_key:
            blocks.append(
                (
                    "p",
                    f"**{t('data.codebook.page.key', lang)}:** "
                    + " + ".join(f"`{k}`" for k in self.primary_key),
                )
            )
        if self.rules:
            blocks.append(("h", 2, t("data.codebook.page.rules", lang)))
            blocks.append(
                (
                    "ul",
                    [
                        f"**{r.get('id', r.get('type'))}** — "
                        + str(r.get(f"description_{lang}") or r.get("description") or r.get("type"))
                        for r in self.rules
                    ],
                )
            )
        if self.scales:
            blocks.append(
                (
                    "p",
                    f"**{t('data.codebook.page.scales', lang)}:** "
                    + ", ".join(f"`{s}`" for s in self.scales),
                )
            )
        if self.missing_values:
            shown = ", ".join(
                f"`{v}`" if v else t("data.codebook.page.empty", lang) for v in self.missing_values
            )
            blocks.append(("h", 2, t("data.codebook.page.missing", lang)))
            blocks.append(("p", f"{t('data.codebook.page.missing_text', lang)}: {shown}."))
        aliases = [(f.name, [a for a in f.aliases]) for f in self.fields if f.aliases]
        if aliases:
            blocks.append(("h", 2, t("data.codebook.page.aliases", lang)))
            blocks.append(("ul", [f"`{n}`: " + ", ".join(f"`{a}`" for a in al) for n, al in aliases]))
        if self.scale:
            blocks.extend(self._scale_blocks(lang))
        blocks.append(
            (
                "p",
                "_"
                + t(
                    "data.codebook.page.generated",
                    lang,
                    file=f"data_dictionary/{self.path.name}" if self.path else self.name,
                )
                + "_",
            )
        )
        return blocks

    def _scale_blocks(self, lang: str) -> list[tuple]:
        s = self.scale or {}
        out: list[tuple] = [("h", 2, f"{t('data.codebook.page.scale', lang)}: `{s.get('id', self.name)}`")]
        items = s.get("items", {})
        if items:
            rows = [
                [
                    f"`{k}`",
                    str(v.get("subscale", "")),
                    t("data.codebook.page.reverse", lang)
                    if v.get("keying") == "negative"
                    else t("data.codebook.page.direct", lang),
                    str(v.get(f"text_{lang}", "")),
                ]
                for k, v in items.items()
            ]
            out.append(
                (
                    "table",
                    [
                        t("data.codebook.page.items", lang),
                        t("data.codebook.page.subscale", lang),
                        t("data.codebook.page.keying", lang),
                        t("data.codebook.page.text", lang),
                    ],
                    rows,
                )
            )
        if s.get("response_options"):
            out.append(("h", 3, t("data.codebook.page.response", lang)))
            out.append(
                ("ul", [f"{o.get('code')} = {o.get(f'label_{lang}', '')}" for o in s["response_options"]])
            )
        if s.get("subscales"):
            out.append(("h", 3, t("data.codebook.page.subscales", lang)))
            out.append(
                ("ul", [f"**{k}**: " + ", ".join(f"`{i}`" for i in v) for k, v in s["subscales"].items()])
            )
        if s.get("scoring"):
            out.append(("h", 3, t("data.codebook.page.scoring", lang)))
            sc = s["scoring"]
            out.append(
                (
                    "ul",
                    [
                        f"`{k}`: {json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
                        for k, v in sc.items()
                    ],
                )
            )
        if s.get("categories"):
            out.append(("h", 3, t("data.codebook.page.categories", lang)))
            out.append(
                (
                    "ul",
                    [
                        f"{c.get('min')}–{c.get('max')}: {c.get(f'label_{lang}', c.get('code', ''))}"
                        for c in s["categories"]
                    ],
                )
            )
        return out

    def to_markdown(self, lang: str = "nl") -> str:
        """A readable Markdown page of the codebook in ``lang`` ("nl" or "en")."""
        lines: list[str] = []
        for b in self._blocks(lang):
            if b[0] == "h":
                lines += ["#" * b[1] + " " + b[2], ""]
            elif b[0] == "p":
                lines += [b[1], ""]
            elif b[0] == "warn":
                lines += [f"> **⚠ {b[1]}**", ""]
            elif b[0] == "ul":
                lines += [f"- {item}" for item in b[1]] + [""]
            elif b[0] == "table":

                def cell(x):
                    return str(x).replace("|", "\\|").replace("\n", " ")

                lines.append("| " + " | ".join(map(cell, b[1])) + " |")
                lines.append("|" + "---|" * len(b[1]))
                lines += ["| " + " | ".join(map(cell, r)) + " |" for r in b[2]]
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self, lang: str = "nl") -> str:
        """A self-contained HTML page of the codebook in ``lang``."""

        def inline(x: str) -> str:
            s = html.escape(str(x))
            s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
            s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
            return re.sub(r"(?<!\w)_([^_]+)_(?!\w)", r"<em>\1</em>", s)

        body: list[str] = []
        for b in self._blocks(lang):
            if b[0] == "h":
                body.append(f"<h{b[1]}>{inline(b[2])}</h{b[1]}>")
            elif b[0] == "p":
                body.append(f"<p>{inline(b[1])}</p>")
            elif b[0] == "warn":
                body.append(f'<p class="draft">⚠ {inline(b[1])}</p>')
            elif b[0] == "ul":
                body.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b[1]) + "</ul>")
            elif b[0] == "table":
                head = "".join(f"<th>{inline(h)}</th>" for h in b[1])
                rows = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in b[2])
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        style = (
            "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em;"
            "vertical-align:top;text-align:left}.draft{background:#fde2c8;border:2px solid #d55e00;"
            "padding:.6em;font-weight:bold}code{background:#f3f3f3}"
        )
        return (
            f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title(lang))}</title><style>{style}</style></head>"
            f"<body>{''.join(body)}</body></html>\n"
        )


# ---------------------------------------------------------------------------------------
def codebook_dir() -> Path:
    """The directory holding the codebooks (``data_dictionary/`` next to the package)."""
    here = Path(__file__).resolve().parents[2] / "data_dictionary"
    if here.is_dir():
        return here
    from importlib.resources import files

    return Path(str(files("evalkit") / "codebooks"))


def _load_path(path: Path) -> Codebook:
    """Load (cached per path and modification time, so edited files are re-read)."""
    return _load_cached(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _load_cached(path: Path, mtime_ns: int) -> Codebook:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(CodebookError, "data.codebook.error.not_json", path=path, exc=exc) from exc
    return Codebook(raw, path)


def load_codebook(name_or_path: str | Path | Codebook) -> Codebook:
    """Load a codebook by name or from a JSON file.

    Parameters
    ----------
    name_or_path : str, pathlib.Path or Codebook
        One of ``"intervention"``, ``"municipal_panel"``, ``"youth_instrument"``,
        ``"benchmark"``, ``"djg11"``, ``"djg6"`` (or another codebook in
        ``data_dictionary/``, see :func:`available_codebooks`), or a path to a codebook
        JSON file. A :class:`Codebook` is returned unchanged.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        Unknown name (the message lists the known ones), missing or malformed file.

    Examples
    --------
    >>> load_codebook("municipal_panel").primary_key
    ['municipality_code', 'year']
    """
    if isinstance(name_or_path, Codebook):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise CodebookError(
            f"codebook must be a name ({', '.join(KNOWN_CODEBOOKS)}) or a path, "
            f"not {type(name_or_path).__name__}"
        )
    s = str(name_or_path)
    if isinstance(name_or_path, Path) or s.endswith(".json") or "/" in s or "\\" in s:
        p = Path(s).expanduser().resolve()
        if not p.is_file():
            raise error(CodebookError, "data.codebook.error.no_file", path=s)
        return _load_path(p)
    known = available_codebooks()
    if s not in known:
        guess = suggest_codebook(s, known)
        if guess:
            raise error(
                CodebookError,
                "data.codebook.error.unknown_guess",
                name=s,
                guess=guess,
                known=", ".join(known),
            )
        raise error(CodebookError, "data.codebook.error.unknown", name=s, known=", ".join(known))
    p = codebook_dir() / f"{s}.json"
    if not p.is_file():
        raise CodebookError(f"codebook {s!r} is not installed (looked for {p})")
    return _load_path(p.resolve())


#: Words people use for a codebook (Dutch names, short forms): suggested, never applied.
CODEBOOK_ALIASES: dict[str, str] = {
    "interventie": "intervention",
    "interventies": "intervention",
    "deelnemers": "intervention",
    "coalitie": "intervention",
    "jeugd": "youth_instrument",
    "jongeren": "youth_instrument",
    "youth": "youth_instrument",
    "jeugdinstrument": "youth_instrument",
    "gemeente": "municipal_panel",
    "gemeenten": "municipal_panel",
    "panel": "municipal_panel",
    "gemeentepanel": "municipal_panel",
    "benchmarks": "benchmark",
    "pijlers": "benchmark",
    "gezondheidsmonitor": "health_monitor",
    "djg": "djg11",
    "dejonggierveld": "djg11",
    "djg-11": "djg11",
    "djg-6": "djg6",
}


def suggest_codebook(name: str, known: list[str] | None = None) -> str | None:
    """The codebook someone probably meant by ``name`` (``"interventie"`` -> ``"intervention"``)."""
    import difflib

    known = known if known is not None else available_codebooks()
    key = normalize_label(name).replace(" ", "").replace("_", "")
    if key in CODEBOOK_ALIASES and CODEBOOK_ALIASES[key] in known:
        return CODEBOOK_ALIASES[key]
    close = difflib.get_close_matches(normalize_label(name), known, n=1, cutoff=0.6)
    if close:
        return close[0]
    close = difflib.get_close_matches(key, list(CODEBOOK_ALIASES), n=1, cutoff=0.75)
    return CODEBOOK_ALIASES[close[0]] if close else None


def available_codebooks() -> list[str]:
    """Names :func:`load_codebook` accepts: the six standard ones first, then any other
    ``*.json`` codebook in the codebook directory (e.g. ``health_monitor``)."""
    d = codebook_dir()
    extra = sorted(p.stem for p in d.glob("*.json") if p.stem not in KNOWN_CODEBOOKS) if d.is_dir() else []
    return list(KNOWN_CODEBOOKS) + extra


@lru_cache(maxsize=4)
def municipalities(name: str = "municipalities_2022") -> pd.DataFrame:
    """The reference list of municipalities (2022; columns gm_code, name, safety_region)."""
    check_option("name", name, ("municipalities_2022",))
    p = Path(__file__).with_name("files") / "municipalities.csv"
    return pd.read_csv(p, dtype=str, encoding="utf-8", keep_default_na=False)


# ---------------------------------------------------------------------------------------
def _cmd_codebook(args) -> int:
    import sys

    names = args.names or available_codebooks()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    langs = list(LANGS) if args.lang == "both" else [args.lang]
    status = 0
    for n in names:
        try:
            cb = load_codebook(n)
        except CodebookError as exc:
            shown = LANGS[0] if args.lang == "both" else args.lang  # Dutch unless English only
            print(f"evalkit codebook: {exc.message(shown)}", file=sys.stderr)
            status = 1
            continue
        for lang in langs:
            suffix = "" if lang == LANGS[0] else f".{lang}"  # Dutch pages NAME.md, English NAME.en.md
            target = out / f"{cb.name}{suffix}.{args.format}"
            text = cb.to_markdown(lang) if args.format == "md" else cb.to_html(lang)
            target.write_text(text, encoding="utf-8")
            print(target)
    return status


def cli_codebook(subparsers) -> Any:
    """Add ``evalkit codebook [NAME ...] --out DIR --format md|html [--lang nl|en|both]``."""
    p = subparsers.add_parser(
        "codebook",
        help="render codebooks to readable pages",
        description="Render codebooks to readable Markdown or HTML pages "
        "(Dutch pages NAME.md, English pages NAME.en.md).",
    )
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="codebook names or JSON paths (default: every codebook in data_dictionary/)",
    )
    p.add_argument("--out", default="codebooks", help="output directory (default: ./codebooks)")
    p.add_argument("--format", choices=("md", "html"), default="md")
    p.add_argument("--lang", choices=(*LANGS, "both"), default="both")
    p.set_defaults(func=_cmd_codebook)
    return p
