"""Read coalition data files and check them against a codebook.

``read`` opens CSV (comma, semicolon or tab; decimal comma; UTF-8 with or without BOM,
UTF-16, Windows-1252), Excel ``.xlsx`` (first sheet, or the data sheet of an evalkit
template) and SPSS ``.sav`` files (value labels mapped to the codebook's codes), maps the
headers to machine names, turns Dutch or English answer words into codes, converts every
column to its type and validates the result. ``validate`` runs the same checks on a
DataFrame and returns a :class:`ValidationReport` listing *all* violations in one pass.

Input files are opened read-only and never modified.

Examples
--------
>>> import evalkit
>>> from evalkit.data.datasets import DATA_DIR  # the bundled example files
>>> df = evalkit.read(DATA_DIR / "interventions.csv", "intervention")
>>> report = evalkit.validate(df, "intervention", lang="en")
>>> report.ok, report.errors.columns.tolist()[:6]
(True, ['row', 'column', 'value', 'rule', 'message', 'excel_row'])
"""

from __future__ import annotations

import csv
import difflib
import html
import io as _io
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.checks import check_lang
from evalkit.core.errors import CodebookError, DataValidationError, ParameterError
from evalkit.core.i18n import LANGS, Message, catalogue, t
from evalkit.data.codebook import (
    Codebook,
    Field,
    available_codebooks,
    load_codebook,
    municipalities,
    normalize_label,
)

__all__ = ["read", "validate", "ValidationReport", "ISSUE_COLUMNS", "RULE_TEXT", "rule_text", "cli_validate"]

#: Columns of ``ValidationReport.errors`` and ``.warnings``: the first five are the
#: original contract; the rest place the problem where the user sees it (see docs/io.md).
ISSUE_COLUMNS: tuple[str, ...] = (
    "row",
    "column",
    "value",
    "rule",
    "message",
    "excel_row",
    "line",
    "column_letter",
    "cell",
    "header",
    "rule_text",
    "fix",
)

#: Sheet names of the data sheet in an evalkit Excel template.
DATA_SHEET_NAMES = ("gegevens", "data")

_GM_PATTERN = r"^GM\d{4}$"
_INT_LIKE = re.compile(r"^\s*\d{1,4}(\.0+)?\s*$")

_RULE = "data.readers.rule."

#: Each rule in the user's words (``rule_text``), Dutch and English: a read-only view of the
#: catalogue's ``data.readers.rule.*`` (``RULE_TEXT["type"]["nl"] == "verkeerd soort waarde"``).
RULE_TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        rule: MappingProxyType({lg: t(f"data.readers.rule.{rule}", lg) for lg in LANGS})
        for rule in (key.removeprefix(_RULE) for key in catalogue() if key.startswith(_RULE))
    }
)


def rule_text(rule: str, lang: str = "nl") -> str:
    """A rule name (``"requires_baseline"``) in the user's words, Dutch or English."""
    check_lang(lang)
    return t(f"data.readers.rule.{rule}", lang) if rule in RULE_TEXT else rule


class _Layout:
    """Where the data rows and columns of a source sit as the user's program shows them.

    ``kind`` is ``"xlsx"`` (rows and letters as Excel/LibreOffice show them), ``"csv"``
    (line in a text editor and row when the file is opened in Excel), ``"sav"`` (SPSS case
    number, variable names) or ``"frame"`` (a DataFrame: row ``i`` is the i-th data row,
    letters as in ``df.to_excel(index=False)``).
    """

    __slots__ = ("kind", "sheet", "header_row", "_lines", "_lines_fn")

    def __init__(
        self,
        kind: str = "frame",
        *,
        sheet: str | None = None,
        header_row: int = 1,
        lines: Callable[[], np.ndarray | None] | None = None,
    ):
        self.kind = kind
        self.sheet = sheet
        self.header_row = header_row  # spreadsheet row of the header
        self._lines_fn = lines  # csv: text-editor line where each data row starts (lazy)
        self._lines: np.ndarray | None = None

    @property
    def lines(self) -> np.ndarray | None:
        if self._lines is None and self._lines_fn is not None:
            self._lines, self._lines_fn = self._lines_fn(), None
        return self._lines

    def excel_row(self, row: int) -> int | None:
        return None if self.kind == "sav" else row + self.header_row

    def line(self, row: int) -> int | None:
        if self.kind != "csv":
            return None
        if self.lines is not None and 0 < row <= len(self.lines):
            return int(self.lines[row - 1])
        return row + 1

    def letter(self, index: int | None) -> str | None:
        if index is None or self.kind == "sav":
            return None
        from openpyxl.utils import get_column_letter

        return get_column_letter(index + 1)


# =======================================================================================
# Report
# =======================================================================================
class ValidationReport:
    """All violations of a data set against a codebook, found in one pass.

    Attributes
    ----------
    ok : bool
        True when there are no errors (warnings are allowed).
    errors, warnings : pandas.DataFrame
        One row per problem (columns :data:`ISSUE_COLUMNS`):

        - ``row``: the 1-based data row (header excluded; nullable integer, ``<NA>`` for
          problems of the whole file such as a missing column);
        - ``column``: the machine name; ``value``: the value as written in the file;
        - ``rule``: the rule broken, a stable code (``required, type, enum, minimum,
          maximum, pattern, unique, duplicate_key, requires_baseline, in_reference_list,
          compare, constant_within, band, item_set, missing_column, unknown_column,
          duplicate_column, coverage, empty_row, empty_file, parse_error, extra_fields,
          name_mismatch, encoding, percentage_scale``);
        - ``message``: one sentence naming file, place, value, problem and fix;
        - ``excel_row``: the row number Excel/LibreOffice show (xlsx: the sheet row, header
          included; CSV: the row when opened in Excel; DataFrame: ``row + 1``; ``<NA>``
          for SPSS and for problems of the whole file);
        - ``line``: CSV only, the line number in a text editor (differs from ``excel_row``
          after a ``sep=;`` line or a text with line breaks);
        - ``column_letter``: the spreadsheet column (``"C"``; ``None`` when the column is
          missing or the file is SPSS); ``cell``: letter and row (``"C8"``);
        - ``header``: the column header as written in the file (the codebook title when
          the column is missing);
        - ``rule_text``: the rule in words (Dutch or English), ``fix``: what to do.
    """

    def __init__(
        self, issues: pd.DataFrame, *, codebook: str, source: str | None, n_rows: int, lang: str = "nl"
    ):
        self._issues = issues
        self.codebook = codebook
        self.source = source
        self.n_rows = n_rows
        self.lang = check_lang(lang)

    # public frames -----------------------------------------------------------------------
    def _frame(self, severity: str | None, lang: str | None = None) -> pd.DataFrame:
        lang = check_lang(lang or self.lang)
        iss = self._issues if severity is None else self._issues[self._issues["severity"] == severity]
        out = pd.DataFrame(
            {
                "row": iss["row"].astype("Int64"),
                "column": iss["column"],
                "value": iss["value"],
                "rule": iss["rule"],
                "message": iss[f"message_{lang}"],
                "excel_row": iss["excel_row"].astype("Int64"),
                "line": iss["line"].astype("Int64"),
                "column_letter": iss["column_letter"],
                "cell": iss["cell"],
                "header": iss[f"header_{lang}"],
                "rule_text": iss["rule"].map(lambda r: rule_text(r, lang)),
                "fix": iss[f"fix_{lang}"],
            }
        )
        if severity is None:
            out.insert(0, "severity", iss["severity"])
        return out.reset_index(drop=True)

    @property
    def errors(self) -> pd.DataFrame:
        return self._frame("error")

    @property
    def warnings(self) -> pd.DataFrame:
        return self._frame("warning")

    @property
    def ok(self) -> bool:
        return not bool((self._issues["severity"] == "error").any())

    @property
    def n_errors(self) -> int:
        return int((self._issues["severity"] == "error").sum())

    @property
    def n_warnings(self) -> int:
        return int((self._issues["severity"] == "warning").sum())

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """Errors and warnings together, with a leading ``severity`` column."""
        return self._frame(None, lang)

    # text ---------------------------------------------------------------------------------
    def summary(self, lang: str | None = None, max_items: int = 20) -> str:
        """Readable report in Dutch (default) or English."""
        lang = check_lang(lang or self.lang)
        src = f"'{self.source}'" if self.source else t("data.readers.report.the_table", lang)
        ne, nw = self.n_errors, self.n_warnings
        lines = [
            t(
                "data.readers.report.head",
                lang,
                src=src,
                codebook=self.codebook,
                rows=_n_rows(self.n_rows, lang),
                errors=_n_errors(ne, lang),
                warnings=t(
                    "data.readers.report.warnings.one" if nw == 1 else "data.readers.report.warnings.many",
                    lang,
                    n=nw,
                ),
            )
        ]
        if self.ok:
            lines.append(t("data.readers.report.no_errors", lang))
        err = self._frame("error", lang)
        if ne:
            where = err["column_letter"].where(err["column_letter"].notna(), "")
            col = (where + " " + err["header"].fillna("").map(lambda h: f"'{h}'" if h else "")).str.strip()
            counts = (
                pd.DataFrame({"what": err["rule_text"], "col": col.where(col != "", "-")})
                .groupby(["what", "col"], sort=False)
                .size()
            )
            lines.append("")
            lines.append(t("data.readers.report.by_kind", lang))
            wide = max(len(str(w)) for w, _ in counts.index)
            widc = max(len(str(c)) for _, c in counts.index)
            for (what, c), k in counts.items():
                lines.append(f"  {what:<{wide}}  {c:<{widc}}  {k}")
            lines.append("")
            shown = err.head(max_items)
            lines.append(
                t("data.readers.report.first_errors", lang, shown=len(shown), n=ne)
                if ne > len(shown)
                else t("data.readers.report.errors_title", lang) + ":"
            )
            lines += [f"  - {m}" for m in shown["message"]]
        warn = self._frame("warning", lang)
        if nw:
            lines.append("")
            lines.append(t("data.readers.report.warnings_title", lang) + ":")
            lines += [f"  - {m}" for m in warn["message"].head(max_items)]
            if nw > max_items:
                lines.append(f"  ... (+{nw - max_items})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"<ValidationReport codebook={self.codebook!r} source={self.source!r} "
            f"rows={self.n_rows} errors={self.n_errors} warnings={self.n_warnings}>"
        )

    def _repr_html_(self) -> str:
        lang = self.lang
        head = html.escape(self.summary(max_items=0).split("\n\n")[0])
        colour = "#009e73" if self.ok else "#d55e00"
        parts = [
            f'<div class="evalkit-validation"><p style="border-left:4px solid {colour};'
            f'padding-left:.5em"><strong>{head}</strong></p>'
        ]
        show = ["cell", "header", "value", "rule_text", "message"]
        for title, frame in (
            (t("data.readers.report.errors_title", lang), self.errors),
            (t("data.readers.report.warnings_title", lang), self.warnings),
        ):
            if len(frame):
                more = t("data.readers.report.first_100", lang, n=len(frame))
                parts.append(f"<h4>{title}{more if len(frame) > 100 else ''}</h4>")
                parts.append(
                    frame[show].head(100).to_html(index=False, border=0, na_rep="", classes="evalkit-table")
                )
        parts.append("</div>")
        return "".join(parts)

    def __deepcopy__(self, memo):  # the report is immutable; cheap to keep in df.attrs
        return self


# =======================================================================================
# Issue collection
# =======================================================================================
class _Say:
    """One catalogue message (:class:`~evalkit.core.i18n.Message`) for every row of an issue:
    a value may be a function of the language, such as a field's ``title``. Made by :func:`_say`."""

    __slots__ = ("message",)

    def __init__(self, key: str, values: dict[str, Any]):
        self.message = Message(key, **values)

    def __call__(self, row: Any, value: Any, lang: str) -> str:
        return self.message[lang]


def _say(key: str, **values: Any) -> _Say:
    """The message ``key`` of the catalogue, the same for every row of an issue."""
    return _Say(key, values)


#: A problem or fix text: :func:`_say` (the same for every row) or a function
#: ``(row, value, lang) -> text`` (loops bind their variables as default arguments).
_Text = _Say | Callable[..., str]


def _n_rows(n: int, lang: str) -> str:
    return t("data.readers.report.rows.one" if n == 1 else "data.readers.report.rows.many", lang, n=n)


def _n_errors(n: int, lang: str) -> str:
    return t("data.readers.report.errors.one" if n == 1 else "data.readers.report.errors.many", lang, n=n)


class _Issues:
    """Collects issues as column chunks (vectorised), then builds one frame."""

    def __init__(
        self,
        cb: Codebook,
        source: str | None,
        headers: dict[str, str],
        positions: dict[str, int] | None = None,
        layout: _Layout | None = None,
    ):
        self.cb = cb
        self.source = source
        self.headers = headers  # machine name -> header as written in the file
        self.positions = positions or {}  # machine name -> 0-based column position in the file
        self.layout = layout or _Layout()
        self.chunks: list[dict] = []

    def header(
        self, name: str | None, lang: str, index: int | None = None, shown: str | None = None
    ) -> str | None:
        if shown is not None:
            return shown
        if name is None:
            return None
        h = self.headers.get(name)
        if h is None:
            h = self.cb[name].title(lang) if name in self.cb else name
        return h

    def prefix(
        self, lang: str, column: str | None, index: int | None, shown: str | None
    ) -> Callable[[Any], str]:
        """The start of the messages of one issue in ``lang``: a function of the row that
        names file, sheet, row and column as the user's program shows them (``Bestand
        'x.csv', regel 5 (in Excel rij 5), kolom C 'Leeftijd': ``)."""
        lay = self.layout
        head = []
        if self.source:
            head.append(t("data.readers.place.file", lang, source=self.source))
            if lay.kind == "xlsx" and lay.sheet:
                head.append(t("data.readers.place.sheet", lang, sheet=lay.sheet))
        tail = []
        h = self.header(column, lang, index, shown)
        if h is not None:
            letter = lay.letter(index)
            if lay.kind == "sav":
                tail.append(t("data.readers.place.variable", lang, header=h))
            elif letter:
                tail.append(t("data.readers.place.column_at", lang, letter=letter, header=h))
            else:
                tail.append(t("data.readers.place.column", lang, header=h))

        def place(row: int | None) -> str:
            parts = list(head)
            if row is not None:
                if lay.kind == "csv":
                    parts.append(
                        t("data.readers.place.line", lang, line=lay.line(row), row=lay.excel_row(row))
                    )
                elif lay.kind == "xlsx":
                    parts.append(t("data.readers.place.row", lang, row=lay.excel_row(row)))
                elif lay.kind == "sav":
                    parts.append(t("data.readers.place.case", lang, case=row))
                else:
                    parts.append(t("data.readers.place.row", lang, row=row))
            s = ", ".join(parts + tail)
            return (s[:1].upper() + s[1:] + ": ") if s else ""

        return place

    def add(
        self,
        rule: str,
        column: str | None,
        rows: Sequence | np.ndarray | None,
        values: Sequence | np.ndarray | None,
        problem: _Text,
        severity: str = "error",
        *,
        fix: _Text | None = None,
        index: int | None = None,
        shown: str | None = None,
    ) -> None:
        """Add issues. ``rows`` are 1-based data rows (None: one file-level issue).

        ``problem`` states the problem, ``fix`` what to do, in each language (see
        :data:`_Text`; functions are called before ``add`` returns; callers in loops bind
        their loop variables as default arguments all the same); the message is prefix +
        problem + fix. ``index``
        is the column's position in the file (default: where ``column`` was found) and
        ``shown`` its header when ``column`` is not a codebook field.
        """
        if rows is None:
            rows_l: list = [None]
            vals_l: list = [None if values is None else values]
        else:
            rows_l = [int(r) for r in rows]
            if not rows_l:
                return
            vals_l = [None] * len(rows_l) if values is None else list(values)
        if index is None and column is not None:
            index = self.positions.get(column)
        msgs: dict[str, list[str]] = {}
        fixes: dict[str, list[str]] = {}
        for lang in LANGS:
            prob = _texts(problem, lang, rows_l, vals_l)
            fx = _texts(fix, lang, rows_l, vals_l)
            fixes[lang] = fx
            place = self.prefix(lang, column, index, shown)
            msgs[lang] = [place(r) + (p + " " + f if f else p) for r, p, f in zip(rows_l, prob, fx)]
        lay = self.layout
        letter = lay.letter(index) if (column is not None or shown is not None) else None
        excel_rows = [None if r is None else lay.excel_row(r) for r in rows_l]
        self.chunks.append(
            {
                "row": rows_l,
                "column": column,
                "value": vals_l,
                "rule": rule,
                "severity": severity,
                **{f"message_{lg}": msgs[lg] for lg in LANGS},
                **{f"fix_{lg}": fixes[lg] for lg in LANGS},
                "excel_row": excel_rows,
                "line": [None if r is None else lay.line(r) for r in rows_l],
                "column_letter": letter,
                "cell": [f"{letter}{er}" if letter and er is not None else None for er in excel_rows],
                **{f"header_{lg}": self.header(column, lg, index, shown) for lg in LANGS},
            }
        )

    def rows_text(self, rows: Sequence[int], lang: str) -> str:
        """Other data rows named as the user's program numbers them (``rijen 3, 9``)."""
        lay = self.layout
        if lay.kind == "csv":
            nums = [lay.line(r) for r in rows]
        elif lay.kind == "sav":
            nums = list(rows)
        else:
            nums = [lay.excel_row(r) if lay.kind == "xlsx" else r for r in rows]
        shown = _rows_text([int(x) for x in nums if x is not None], lang)
        one = len(nums) == 1
        if lay.kind == "csv":
            return t("data.readers.rows.line.one" if one else "data.readers.rows.line.many", lang, rows=shown)
        if lay.kind == "sav":
            return t("data.readers.rows.case.one" if one else "data.readers.rows.case.many", lang, rows=shown)
        return t("data.readers.rows.row.one" if one else "data.readers.rows.row.many", lang, rows=shown)

    def frame(self) -> pd.DataFrame:
        cols = [
            "severity",
            "row",
            "column",
            "value",
            "rule",
            "message_nl",
            "message_en",
            "fix_nl",
            "fix_en",
            "excel_row",
            "line",
            "column_letter",
            "cell",
            "header_nl",
            "header_en",
        ]
        ints = ("row", "excel_row", "line")
        if not self.chunks:
            df = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
            for c in ints:
                df[c] = df[c].astype("Int64")
            return df
        parts = []
        order = {n: i for i, n in enumerate(self.cb.field_names)}
        for ch in self.chunks:
            n = len(ch["row"])
            part = {
                "severity": [ch["severity"]] * n,
                "column": [ch["column"]] * n,
                "value": [None if v is None else _display(v) for v in ch["value"]],
                "rule": [ch["rule"]] * n,
                "column_letter": [ch["column_letter"]] * n,
                "header_nl": [ch["header_nl"]] * n,
                "header_en": [ch["header_en"]] * n,
            }
            for c in ints:
                part[c] = pd.array([np.nan if r is None else r for r in ch[c]], dtype="Float64")
            for c in ("message_nl", "message_en", "fix_nl", "fix_en", "cell"):
                part[c] = ch[c]
            parts.append(pd.DataFrame(part)[cols])
        df = pd.concat(parts, ignore_index=True)
        for c in ints:
            df[c] = df[c].astype("Int64")
        df["_file"] = df["row"].isna().astype(int)
        df["_col"] = df["column"].map(lambda c: order.get(c, len(order)) if c is not None else -1)
        df = df.sort_values(
            ["_file", "row", "_col"], ascending=[False, True, True], kind="stable", na_position="first"
        )
        return df.drop(columns=["_file", "_col"]).reset_index(drop=True)


def _display(v: Any) -> str:
    """A value as the user wrote it (no '.0' after whole numbers)."""
    if isinstance(v, str):
        return v
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _texts(text: _Text | None, lang: str, rows: list, values: list) -> list[str]:
    """A problem or fix text in ``lang`` for every row of an issue."""
    if text is None:
        return [""] * len(rows)
    if isinstance(text, _Say):
        return [text(None, None, lang)] * len(rows)
    return [text(r, v, lang) for r, v in zip(rows, values)]


def _fmt_num(x: Any, lang: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return _display(x).replace(".", t("data.readers.decimal_sign", lang))


def _rows_text(rows: Sequence[int], lang: str) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:10])
    if len(rows) > 10:
        shown += t("data.readers.rows.more", lang, n=len(rows) - 10)
    return shown


# =======================================================================================
# Type conversion (vectorised)
# =======================================================================================
def _scalar_text(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return None
        return _display(v)
    return _display(v)


def _norm_text(t: pd.Series) -> pd.Series:
    """Case-folded, single-spaced text for matching answer words."""
    return t.str.casefold().str.replace(r"\s+", " ", regex=True)


_NUM_DEC_COMMA = re.compile(r"^([+-]?\d*),(\d+)$")
_NUM_NL_THOUSANDS = r"^[+-]?\d{1,3}(\.\d{3})+,\d+$"
_NUM_NL_GROUPED = r"^[+-]?\d{1,3}(\.\d{3})+$"


def _parse_numbers(t: pd.Series, grouped_points: bool = False) -> pd.Series:
    """Numbers from text, accepting a decimal comma (12,5) and Dutch thousands (1.234,5).

    With ``grouped_points`` (decimal columns) a value such as ``1.234`` in a column that
    writes decimals with a comma is read as 1234.
    """
    x = t
    if x.str.contains(",", regex=False).any():
        thou = x.str.match(_NUM_NL_THOUSANDS, na=False)
        if thou.any():
            x = x.where(~thou, x.str.replace(".", "", regex=False))
        if grouped_points and x.str.match(_NUM_DEC_COMMA, na=False).any():
            # the column writes decimals with a comma (47,5), so there a point can only
            # group thousands: 1.234 is 1234, never 1.234 (Dutch Excel)
            grouped = x.str.match(_NUM_NL_GROUPED, na=False)
            if grouped.any():
                x = x.where(~grouped, x.str.replace(".", "", regex=False))
        x = x.str.replace(_NUM_DEC_COMMA, r"\1.\2", regex=True)
    return pd.to_numeric(x, errors="coerce")


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%Y/%m/%d",
    "%d.%m.%Y",
)


def _parse_dates(t: pd.Series) -> pd.Series:
    out = pd.to_datetime(t, format=_DATE_FORMATS[0], errors="coerce")
    for fmt in _DATE_FORMATS[1:]:
        todo = out.isna() & t.notna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(t.where(todo), format=fmt, errors="coerce"))
    return out


class _Column:
    """Typed values and masks of one field (masks are numpy bool arrays)."""

    __slots__ = ("typed", "missing", "type_bad", "enum_bad", "text")

    def __init__(self, typed, missing, type_bad, enum_bad, text):
        self.typed, self.missing, self.type_bad, self.enum_bad, self.text = (
            typed,
            missing,
            type_bad,
            enum_bad,
            text,
        )


def _unique_text(uniq) -> pd.Series:
    """Trimmed text of the unique values of a column (object Series, None for missing)."""
    if isinstance(uniq, pd.Index) and pd.api.types.is_string_dtype(uniq.dtype) and uniq.dtype != object:
        return pd.Series(uniq.str.strip(), dtype=object)
    return pd.Series([_scalar_text(v) for v in uniq], dtype=object)


def _take(values: np.ndarray, codes: np.ndarray, fill) -> np.ndarray:
    """values[codes] with ``fill`` where codes == -1 (factorize's missing sentinel)."""
    if len(values) == 0:
        return np.full(len(codes), fill, dtype=values.dtype if fill is not None else object)
    out = values[np.where(codes < 0, 0, codes)]
    if (codes < 0).any():
        out = out.copy()
        out[codes < 0] = fill
    return out


def _coerce(s: pd.Series, f: Field, cb: Codebook) -> _Column:
    """Convert one column to its field type.

    Work is done on the distinct values only (``pandas.factorize``) and broadcast back,
    so that a column of 100,000 answers with three distinct words costs three conversions.
    """
    n = len(s)
    no = np.zeros(n, dtype=bool)
    numeric_src = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if f.type in ("integer", "number") and numeric_src:
        num = s.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(num)
        type_bad = np.isinf(num)
        num = np.where(type_bad, np.nan, num)
        return _finish_numeric(f, num, missing, type_bad, None)
    if f.type == "date" and pd.api.types.is_datetime64_any_dtype(s.dtype):
        typed = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return _Column(typed, typed.isna().to_numpy(), no, no, None)

    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    codes = np.asarray(codes)
    ut = _unique_text(uniq)
    missing_values = set(f.missing_values if f.missing_values is not None else cb.missing_values) | {""}
    u_missing = (ut.isna() | ut.isin(missing_values)).to_numpy(dtype=bool)
    ut = ut.where(~u_missing, None)
    missing = _take(u_missing, codes, True)
    text = _take(ut.to_numpy(dtype=object), codes, None)
    amap = cb.answer_map(f.name)
    u_norm = ut.map(normalize_label, na_action="ignore") if amap or f.type == "boolean" else None

    if f.type in ("integer", "number"):
        u_num = _parse_numbers(pd.Series(ut, dtype="str"), grouped_points=f.type == "number").to_numpy(
            dtype="float64", na_value=np.nan
        )
        if amap:
            assert u_norm is not None  # computed above whenever there is an answer map
            words = pd.to_numeric(u_norm.map(amap), errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            u_num = np.where(np.isnan(words), u_num, words)
        u_bad = ~u_missing & ~np.isfinite(u_num)
        u_num = np.where(u_bad, np.nan, u_num)
        num = _take(u_num, codes, np.nan)
        type_bad = _take(u_bad, codes, False)
        return _finish_numeric(f, num, missing, type_bad, text)
    if f.type == "date":
        u_dt = _parse_dates(pd.Series(ut, dtype="str"))
        u_bad = ~u_missing & u_dt.isna().to_numpy()
        typed = pd.Series(_take(u_dt.to_numpy(), codes, np.datetime64("NaT")), index=s.index)
        return _Column(typed, missing, _take(u_bad, codes, False), no, text)
    if f.type == "boolean":
        bmap = {
            "true": True,
            "false": False,
            "ja": True,
            "nee": False,
            "yes": True,
            "no": False,
            "1": True,
            "0": False,
            "waar": True,
            "onwaar": False,
        }
        assert u_norm is not None  # computed above for every boolean field
        u_b = u_norm.map(bmap)
        u_bad = ~u_missing & u_b.isna().to_numpy()
        typed = pd.Series(_take(u_b.to_numpy(dtype=object), codes, None), index=s.index).astype("boolean")
        return _Column(typed, missing, _take(u_bad, codes, False), no, text)
    # string
    u_val = ut
    enum_bad = no
    if amap:
        assert u_norm is not None  # computed above whenever there is an answer map
        mapped = u_norm.map(amap)
        if f.enum is not None:
            enum_bad = _take((ut.notna() & mapped.isna()).to_numpy(dtype=bool), codes, False)
        u_val = mapped.where(mapped.notna(), ut)
    typed = pd.Series(_take(u_val.to_numpy(dtype=object), codes, None), index=s.index, dtype="str")
    return _Column(typed, missing, no, enum_bad, text)


def _finish_numeric(f: Field, num: np.ndarray, missing, type_bad, text) -> _Column:
    if f.type == "integer":
        frac = ~np.isnan(num) & (np.mod(num, 1) != 0)
        type_bad = type_bad | frac
        num = np.where(frac, np.nan, num)
        typed = pd.Series(pd.array(num, dtype="Float64").astype("Int64"))
    else:
        typed = pd.Series(num, dtype="float64")
    enum = f.enum
    if enum is not None:
        enum_bad = ~np.isnan(num) & ~np.isin(num, np.asarray(enum, dtype="float64"))
    else:
        enum_bad = np.zeros(len(num), dtype=bool)
    return _Column(typed, np.asarray(missing, dtype=bool), np.asarray(type_bad, dtype=bool), enum_bad, text)


# =======================================================================================
# Messages
# =======================================================================================
def _type_msgs(f: Field) -> tuple[_Text, _Text]:
    """(problem, fix) for a value of the wrong type."""
    if f.type == "integer":

        def thousands(v: Any, lang: str) -> str:
            if re.fullmatch(r"\d{1,3}([.,]\d{3})+", str(v)):
                return t("data.readers.type.thousands", lang, digits=re.sub(r"[.,]", "", str(v)))
            return ""

        return (
            lambda r, v, lg: t("data.readers.type.integer.problem", lg, value=v),
            lambda r, v, lg: t("data.readers.type.integer.fix", lg, thousands=thousands(v, lg)),
        )
    if f.type == "number":
        return (
            lambda r, v, lg: t("data.readers.type.number.problem", lg, value=v),
            _say("data.readers.type.number.fix"),
        )
    if f.type == "date":
        return (
            lambda r, v, lg: t("data.readers.type.date.problem", lg, value=v),
            _say("data.readers.type.date.fix"),
        )
    return (
        lambda r, v, lg: t("data.readers.type.boolean.problem", lg, value=v),
        _say("data.readers.type.boolean.fix"),
    )


def _gm_hint(v: str, lang: str) -> str:
    if _INT_LIKE.match(v):
        code = "GM" + str(int(float(v))).zfill(4)
        return t("data.readers.gm.did_you_mean", lang, code=code)
    if re.fullmatch(r"(?i)gm\s*\d{4}", v):
        code = "GM" + re.sub(r"\D", "", v)
        return t("data.readers.gm.write", lang, code=code)
    return t("data.readers.gm.form", lang)


# =======================================================================================
# The checks
# =======================================================================================
def _header_map(columns: Sequence, cb: Codebook, var_labels: dict | None = None):
    """Map file headers to machine names: returns (rename, unknown, duplicates, blanks)."""
    rename: dict[int, str] = {}
    seen: dict[str, Any] = {}
    unknown, duplicates, blanks = [], [], []
    for i, h in enumerate(columns):
        hs = "" if h is None or (isinstance(h, float) and math.isnan(h)) else str(h)
        name = cb.resolve_header(hs) if hs.strip() else None
        if name is None and var_labels and var_labels.get(h):
            name = cb.resolve_header(var_labels[h])
        if name is None:
            if not hs.strip() or re.fullmatch(r"Unnamed: \d+", hs):
                blanks.append(i)
            else:
                unknown.append(i)
            continue
        if name in seen:
            duplicates.append((i, name, seen[name]))
            continue
        seen[name] = h
        rename[i] = name
    return rename, unknown, duplicates, blanks


def _coverage(
    iss: _Issues, cb: Codebook, cols: list, rename: dict[int, str], duplicates: list, blanks: list[int]
) -> bool:
    """A codebook that recognises none or fewer than half of the file's columns is an error.

    Otherwise a coalition file checked with the wrong codebook (``--codebook djg11``) would
    pass with "no errors" while nothing was checked. Names the codebook that fits better.
    """
    named = [i for i in range(len(cols)) if i not in set(blanks)]
    known = len(rename) + len(duplicates)
    if not named or (known > 0 and 2 * known >= len(named)):
        return True
    best: tuple[str, int] | None = None
    for other_name in available_codebooks():
        if other_name == cb.name:
            continue
        try:
            other = load_codebook(other_name)
        except CodebookError:
            continue
        k = sum(other.resolve_header(str(cols[i])) is not None for i in named)
        if k > known and (best is None or k > best[1]):
            best = (other_name, k)
    tot = len(named)
    if best:
        fix = _say("data.readers.coverage.fix_other", other=best[0], k=best[1], total=tot)
    else:
        fix = _say("data.readers.coverage.fix_check", codebook=cb.name)
    iss.add(
        "coverage",
        None,
        None,
        f"{known}/{tot}",
        _say("data.readers.coverage.problem", codebook=cb.name, known=known, total=tot),
        fix=fix,
    )
    return False


def _check(
    df: pd.DataFrame,
    cb: Codebook,
    *,
    source: str | None = None,
    pre_issues: list[tuple] | None = None,
    var_labels: dict | None = None,
    lang: str = "nl",
    layout: _Layout | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Core: map headers, convert types, run every check. Returns (typed frame, report)."""
    n = len(df)
    cols = list(df.columns)
    rename, unknown, duplicates, blanks = _header_map(cols, cb, var_labels)
    headers = {name: str(cols[i]) for i, name in rename.items()}
    positions = {name: i for i, name in rename.items()}
    iss = _Issues(cb, source, headers, positions, layout)
    unreadable = False
    for args in pre_issues or []:  # (rule, column, rows, values, problem[, keywords of add])
        iss.add(*args[:5], **(args[5] if len(args) > 5 else {}))
        unreadable = unreadable or args[0] == "parse_error"

    # positional access (duplicate headers are possible)
    def col(i: int) -> pd.Series:
        s = df.iloc[:, i]
        return s.reset_index(drop=True)

    # -- file-level ---------------------------------------------------------------------
    if n == 0 and not unreadable:
        iss.add(
            "empty_file",
            None,
            None,
            None,
            _say("data.readers.empty_file.problem"),
            fix=_say("data.readers.empty_file.fix"),
        )
    present = set(rename.values())
    no_columns = len(cols) == 0
    fits = _coverage(iss, cb, cols, rename, duplicates, blanks)
    for f in [] if no_columns else cb.fields:
        if f.required and f.name not in present:
            iss.add(
                "missing_column",
                f.name,
                None,
                None,
                _say("data.readers.missing_column.problem"),
                fix=_say("data.readers.missing_column.fix", title=f.title),
            )
    for i, name, first in duplicates:
        iss.add(
            "duplicate_column",
            name,
            None,
            str(cols[i]),
            _say("data.readers.duplicate_column.problem", first=first, second=cols[i], title=cb[name].title),
            fix=_say("data.readers.duplicate_column.fix"),
            index=i,
            shown=str(cols[i]),
        )
    for i in unknown if fits else []:  # a codebook that does not fit: one error says it
        h = str(cols[i])
        close = difflib.get_close_matches(normalize_label(h), list(cb.aliases), n=1, cutoff=0.75)
        hint = (
            _say("data.readers.unknown_column.did_you_mean", name=cb.aliases[close[0]])
            if close
            else _say("data.readers.unknown_column.remove")
        )
        iss.add(
            "unknown_column",
            None,
            None,
            h,
            _say("data.readers.unknown_column.problem", header=h, codebook=cb.name),
            severity="warning",
            fix=hint,
            index=i,
            shown=h,
        )
    for i in blanks:
        if n and col(i).map(_scalar_text, na_action="ignore").fillna("").astype(str).str.len().gt(0).any():
            iss.add(
                "unknown_column",
                None,
                None,
                f"#{i + 1}",
                _say("data.readers.blank_header.problem"),
                severity="warning",
                fix=_say("data.readers.blank_header.fix"),
                index=i,
                shown="",
            )
    for rule in [] if no_columns else cb.rules_of_type("item_set"):
        alts: dict[str, list[str]] = rule["alternatives"]
        if not any(set(items) <= present for items in alts.values()):
            lack = {k: [c for c in v if c not in present] for k, v in alts.items()}
            iss.add(
                "item_set",
                None,
                None,
                None,
                _say("data.readers.item_set.problem", versions=", ".join(alts)),
                fix=_say(
                    "data.readers.item_set.fix",
                    missing=lambda lg, lack=lack: "; ".join(
                        f"{k}: {', '.join(cb[c].title(lg) for c in v)}" for k, v in lack.items()
                    ),
                ),
            )

    # -- convert every known column -------------------------------------------------------
    typed: dict[str, pd.Series] = {}
    colinfo: dict[str, _Column] = {}
    for i, name in rename.items():
        c = _coerce(col(i), cb[name], cb)
        colinfo[name] = c
        typed[name] = c.typed

    # completely empty rows
    if n and colinfo:
        all_missing = np.ones(n, dtype=bool)
        for c in colinfo.values():
            all_missing &= c.missing
        if all_missing.any():
            for i in unknown + blanks:
                vals = col(i).to_numpy(dtype=object)[all_missing]
                all_missing[np.flatnonzero(all_missing)] = [_scalar_text(v) in (None, "") for v in vals]
    else:
        all_missing = np.zeros(n, dtype=bool)
    live = ~all_missing
    if n and all_missing.all():
        iss.add(
            "empty_file",
            None,
            None,
            None,
            _say("data.readers.all_rows_empty.problem"),
            fix=_say("data.readers.all_rows_empty.fix"),
        )
    elif all_missing.any():
        rows = np.flatnonzero(all_missing) + 1
        iss.add(
            "empty_row",
            None,
            rows,
            None,
            _say("data.readers.empty_row.problem"),
            fix=_say("data.readers.empty_row.fix"),
        )
    rownum = np.arange(1, n + 1)

    def raw_values(c: _Column, name: str, mask: np.ndarray):
        if c.text is not None:
            return c.text[mask]
        return df.iloc[:, [k for k, v in rename.items() if v == name][0]].to_numpy(dtype=object)[mask]

    # -- per-field constraints -----------------------------------------------------------------
    for f in cb.fields:
        if f.name not in colinfo:
            continue
        c = colinfo[f.name]
        if f.required and n and not all_missing.all():
            m = c.missing & live
            iss.add(
                "required",
                f.name,
                rownum[m],
                None,
                _say("data.readers.required.problem"),
                fix=_say("data.readers.required.fix"),
            )
        m = c.type_bad & live
        if m.any():
            problem, fix = _type_msgs(f)
            if f.type == "integer" and f.enum is not None:
                problem = lambda r, v, lg: t("data.readers.type.answer.problem", lg, value=v)  # noqa: E731
                fix = _say("data.readers.choose", allowed=f.allowed_text)
            iss.add("type", f.name, rownum[m], raw_values(c, f.name, m), problem, fix=fix)
        m = c.enum_bad & live
        if m.any():
            iss.add(
                "enum",
                f.name,
                rownum[m],
                raw_values(c, f.name, m),
                lambda r, v, lg: t("data.readers.enum.problem", lg, value=v),
                fix=_say("data.readers.choose", allowed=f.allowed_text),
            )
        if f.type in ("integer", "number") and (f.minimum is not None or f.maximum is not None):
            num = c.typed.astype("float64")
            if f.minimum is not None:
                m = (num < f.minimum).fillna(False).to_numpy(dtype=bool) & live
                iss.add(
                    "minimum",
                    f.name,
                    rownum[m],
                    raw_values(c, f.name, m),
                    lambda r, v, lg, f=f: t(
                        "data.readers.minimum.problem", lg, value=v, minimum=_fmt_num(f.minimum, lg)
                    ),
                    fix=_say("data.readers.allowed", allowed=f.allowed_text),
                )
            if f.maximum is not None:
                m = (num > f.maximum).fillna(False).to_numpy(dtype=bool) & live
                iss.add(
                    "maximum",
                    f.name,
                    rownum[m],
                    raw_values(c, f.name, m),
                    lambda r, v, lg, f=f: t(
                        "data.readers.maximum.problem", lg, value=v, maximum=_fmt_num(f.maximum, lg)
                    ),
                    fix=_say("data.readers.allowed", allowed=f.allowed_text),
                )
        if f.pattern and f.type == "string":
            ts = c.typed
            matches = ts.str.fullmatch(f.pattern).to_numpy(dtype=bool, na_value=False)
            m = ts.notna().to_numpy(dtype=bool) & ~matches & live
            if m.any():
                if f.pattern == _GM_PATTERN:
                    iss.add(
                        "pattern",
                        f.name,
                        rownum[m],
                        raw_values(c, f.name, m),
                        lambda r, v, lg: t("data.readers.pattern.municipality", lg, value=v),
                        fix=lambda r, v, lg: _gm_hint(str(v), lg).strip(),
                    )
                else:
                    iss.add(
                        "pattern",
                        f.name,
                        rownum[m],
                        raw_values(c, f.name, m),
                        lambda r, v, lg, f=f: t(
                            "data.readers.pattern.problem", lg, value=v, pattern=f.pattern
                        ),
                        fix=_say("data.readers.pattern.fix"),
                    )
        if f.unique:
            ts = c.typed
            ok = ts.notna().to_numpy(dtype=bool) & live
            dup = np.zeros(n, dtype=bool)
            dup[ok] = ts[ok].duplicated(keep=False).to_numpy()
            if dup.any():
                groups = pd.Series(rownum[dup]).groupby(ts[dup].astype(str).to_numpy()).agg(list)
                others = {r: [o for o in groups[str(v)] if o != r] for r, v in zip(rownum[dup], ts[dup])}
                iss.add(
                    "unique",
                    f.name,
                    rownum[dup],
                    raw_values(c, f.name, dup),
                    lambda r, v, lg, others=others: t(
                        "data.readers.unique.problem", lg, value=v, rows=iss.rows_text(others[r], lg)
                    ),
                    fix=_say("data.readers.unique.fix"),
                )

    # -- table rules ----------------------------------------------------------------------------
    def valid(name: str) -> np.ndarray:
        """Rows where ``name`` holds a valid, non-missing value."""
        c = colinfo[name]
        return c.typed.notna().to_numpy(dtype=bool) & ~c.enum_bad & live

    def user_text(name: str, row: int) -> str:
        """The value of ``name`` in data row ``row`` as the user wrote it."""
        c = colinfo[name]
        if c.text is not None and c.text[row - 1] is not None:
            return str(c.text[row - 1])
        return _display(c.typed.iloc[row - 1])

    def fmt_key(fields: list[str], row: int, lang: str) -> str:
        return ", ".join(f"{cb[k].title(lang)} '{user_text(k, row)}'" for k in fields)

    key_rules = [r for r in cb.rules_of_type("unique")]
    if cb.primary_key and not any(list(r["fields"]) == cb.primary_key for r in key_rules):
        key_rules.append({"type": "unique", "fields": cb.primary_key})
    for rule in key_rules:
        fields = list(rule["fields"])
        if not all(k in colinfo for k in fields) or not n:
            continue
        ok = np.logical_and.reduce([valid(k) for k in fields])
        if not ok.any():
            continue
        keyframe = pd.DataFrame({k: colinfo[k].typed.to_numpy(dtype=object) for k in fields})
        dup = np.zeros(n, dtype=bool)
        dup[ok] = keyframe[ok].duplicated(keep=False).to_numpy()
        if not dup.any():
            continue
        sub = keyframe[dup]
        keys = list(map(tuple, sub.to_numpy()))
        by_key: dict[tuple, list[int]] = {}
        for r, k in zip(rownum[dup], keys):
            by_key.setdefault(k, []).append(int(r))
        keyof = dict(zip(rownum[dup].tolist(), keys))
        iss.add(
            "duplicate_key",
            fields[0],
            rownum[dup],
            raw_values(colinfo[fields[0]], fields[0], dup),
            lambda r, v, lg, fields=fields, by_key=by_key, keyof=keyof: t(
                "data.readers.duplicate_key.problem",
                lg,
                key=fmt_key(fields, r, lg),
                rows=iss.rows_text(by_key[keyof[r]], lg),
            ),
            fix=_say(
                "data.readers.duplicate_key.fix",
                fields=lambda lg, fields=fields: t("data.readers.duplicate_key.or", lg).join(
                    cb[k].title(lg).lower() for k in fields
                ),
            ),
        )

    for rule in cb.rules_of_type("requires_baseline"):
        unit, time, base, later = rule["unit"], rule["time"], rule["baseline"], list(rule["later"])
        if unit not in colinfo or time not in colinfo or not n:
            continue
        u, ts = colinfo[unit].typed, colinfo[time].typed
        ok = valid(unit) & valid(time)
        has_base = set(u[ok & (ts == base).fillna(False).to_numpy(dtype=bool)])
        m = ok & ts.isin(later).to_numpy(dtype=bool) & ~u.isin(has_base).to_numpy(dtype=bool)
        if m.any():
            uof = {r: user_text(unit, r) for r in rownum[m].tolist()}
            words = {lg: cb[time].value_labels(lg) for lg in LANGS}

            def base_word(
                r: int, v: Any, lg: str, ts: pd.Series = ts, base: Any = base, words: dict = words
            ) -> str:
                # the baseline in the words the user wrote the later wave in: a label if
                # they wrote labels ("nameting" -> "voormeting"), else the code ("post" -> "pre")
                code = ts.iloc[r - 1]
                if normalize_label(v) == normalize_label(code):
                    return str(base)
                for lab_lang in (lg, *LANGS):
                    if normalize_label(v) == normalize_label(words[lab_lang].get(code, "")):
                        return str(words[lab_lang].get(base, base))
                return str(words[lg].get(base, base))

            iss.add(
                "requires_baseline",
                time,
                rownum[m],
                raw_values(colinfo[time], time, m),
                lambda r, v, lg, unit=unit, uof=uof, base_word=base_word, words=words, base=base: t(
                    # the baseline named by its label needs no explanation
                    "data.readers.requires_baseline.problem_label"
                    if base_word(r, v, lg) == words[lg].get(base)
                    else "data.readers.requires_baseline.problem",
                    lg,
                    unit=cb[unit].title(lg),
                    id=uof[r],
                    value=v,
                    base=base_word(r, v, lg),
                ),
                fix=lambda r, v, lg, base_word=base_word: t(
                    "data.readers.requires_baseline.fix", lg, base=base_word(r, v, lg)
                ),
            )

    for rule in cb.rules_of_type("in_reference_list"):
        fld = rule["field"]
        if fld not in colinfo or not n:
            continue
        ref = municipalities(rule.get("list", "municipalities_2022"))
        key = rule.get("key", "gm_code")
        ts = colinfo[fld].typed
        pat_ok = (
            ts.str.fullmatch(cb[fld].pattern).to_numpy(dtype=bool, na_value=False)
            if cb[fld].pattern
            else True
        )
        ok = ts.notna().to_numpy(dtype=bool) & pat_ok & live
        m = ok & ~ts.isin(ref[key]).to_numpy(dtype=bool)
        iss.add(
            "in_reference_list",
            fld,
            rownum[m],
            raw_values(colinfo[fld], fld, m),
            lambda r, v, lg: t("data.readers.in_reference_list.problem", lg, value=v),
            fix=_say("data.readers.in_reference_list.fix"),
        )
        # names (and safety regions) that do not belong to the code: one warning per pair
        for other, refcol in (rule.get("check_names") or {}).items():
            if other not in colinfo:
                continue
            refmap = dict(zip(ref[key], ref[refcol].map(normalize_label)))
            refshow = dict(zip(ref[key], ref[refcol]))
            o = colinfo[other].typed
            okk = ok & ~m & o.notna().to_numpy(dtype=bool)
            if not okk.any():
                continue
            pairs = pd.DataFrame(
                {
                    "code": ts[okk].to_numpy(dtype=object),
                    "val": o[okk].to_numpy(dtype=object),
                    "row": rownum[okk],
                }
            )
            pairs["norm"] = _norm_text(pairs["val"].astype("str")).str.strip()
            pairs["exp"] = pairs["code"].map(refmap)
            bad = pairs[pairs["norm"] != pairs["exp"]].drop_duplicates(["code", "val"])
            if len(bad):
                exp = dict(zip(bad["row"], bad["code"].map(refshow)))
                codes = dict(zip(bad["row"], bad["code"]))
                iss.add(
                    "name_mismatch",
                    other,
                    bad["row"].to_numpy(),
                    bad["val"].to_numpy(),
                    lambda r, v, lg, other=other, codes=codes, exp=exp: t(
                        "data.readers.name_mismatch.problem",
                        lg,
                        title=cb[other].title(lg),
                        value=v,
                        code=codes[r],
                        expected=exp[r],
                    ),
                    severity="warning",
                    fix=_say("data.readers.name_mismatch.fix"),
                )

    ops = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater, "==": np.equal}
    op_names = {"<=": "le", "<": "lt", ">=": "ge", ">": "gt", "==": "eq"}
    for rule in cb.rules_of_type("compare"):
        left, right, op = rule["left"], rule["right"], rule["op"]
        if left not in colinfo or right not in colinfo or not n:
            continue
        lv = colinfo[left].typed.astype("float64").to_numpy()
        rv = colinfo[right].typed.astype("float64").to_numpy()
        both = ~np.isnan(lv) & ~np.isnan(rv) & live
        m = both.copy()
        m[both] = ~ops[op](lv[both], rv[both])
        iss.add(
            "compare",
            left,
            rownum[m],
            raw_values(colinfo[left], left, m),
            lambda r, v, lg, left=left, right=right, op=op, rule=rule: t(
                "data.readers.compare.problem",
                lg,
                left=cb[left].title(lg),
                left_value=user_text(left, r),
                op=t(f"data.readers.compare.op.{op_names[op]}", lg),
                right=cb[right].title(lg),
                right_value=user_text(right, r),
                description=rule.get(f"description_{lg}", ""),  # the codebook's own text
            ).strip(),
            fix=_say("data.readers.check_both"),
        )

    for rule in cb.rules_of_type("constant_within"):
        fld, by = rule["field"], rule["by"]
        if fld not in colinfo or by not in colinfo or not n:
            continue
        g = colinfo[by].typed
        okg = g.notna().to_numpy(dtype=bool) & live
        vals = (
            colinfo[fld].typed.astype("float64")
            if cb[fld].type in ("integer", "number")
            else colinfo[fld].typed
        )
        frame = pd.DataFrame({"g": g[okg].to_numpy(dtype=object), "v": vals[okg].to_numpy(dtype=object)})
        nun = frame.groupby("g", sort=False)["v"].transform(lambda x: x.nunique(dropna=False))
        m = np.zeros(n, dtype=bool)
        m[okg] = (nun > 1).to_numpy()
        if m.any():
            # the distinct values per group as written (None: empty), named per language below
            distinct = {
                group: {_display(y) if pd.notna(y) else None for y in vals_g}
                for group, vals_g in frame[m[okg]].groupby("g", sort=False)["v"]
            }
            gof = dict(zip(rownum[m].tolist(), g.to_numpy(dtype=object)[m]))

            def values_text(group: Any, lg: str, distinct: dict = distinct) -> str:
                empty = t("data.readers.constant_within.empty", lg)
                return ", ".join(sorted(empty if y is None else y for y in distinct[group]))

            iss.add(
                "constant_within",
                fld,
                rownum[m],
                raw_values(colinfo[fld], fld, m),
                lambda r, v, lg, fld=fld, gof=gof, values_text=values_text: t(
                    "data.readers.constant_within.problem",
                    lg,
                    title=cb[fld].title(lg),
                    group=gof[r],
                    values=values_text(gof[r], lg),
                ),
                fix=_say("data.readers.constant_within.fix"),
            )

    for rule in cb.rules_of_type("band"):
        fld, src, bands = rule["field"], rule["source"], rule["bands"]
        if fld not in colinfo or src not in colinfo or not n:
            continue
        b = colinfo[fld].typed
        a = colinfo[src].typed.astype("float64")
        ok = valid(fld) & a.notna().to_numpy(dtype=bool)
        lo = b.map({k: v[0] for k, v in bands.items()}).astype("float64")
        hi = b.map({k: v[1] for k, v in bands.items()}).astype("float64")
        m = ok & ~((a >= lo) & (a <= hi)).fillna(False).to_numpy(dtype=bool)
        if m.any():

            def right_band(age: float, bands: dict = bands) -> str:
                return next((k for k, (lo_, hi_) in bands.items() if lo_ <= age <= hi_), "?")

            aof = dict(zip(rownum[m].tolist(), a.to_numpy()[m]))
            iss.add(
                "band",
                fld,
                rownum[m],
                raw_values(colinfo[fld], fld, m),
                lambda r, v, lg, src=src, aof=aof, right_band=right_band: t(
                    "data.readers.band.problem",
                    lg,
                    value=v,
                    source=cb[src].title(lg).lower(),
                    source_value=user_text(src, r),
                    band=right_band(aof[r]),
                ),
                fix=_say("data.readers.check_both"),
            )

    for rule in cb.rules_of_type("percentage_scale"):
        for fld in rule["fields"]:
            if fld not in colinfo:
                continue
            v = colinfo[fld].typed.astype("float64").to_numpy()[live]
            v = v[~np.isnan(v)]
            if len(v) >= 2 and v.max() <= 1 and v.max() > 0:
                iss.add(
                    "percentage_scale",
                    fld,
                    None,
                    None,
                    _say("data.readers.percentage_scale.problem"),
                    severity="warning",
                    fix=_say("data.readers.percentage_scale.fix"),
                )

    # -- the typed frame: codebook order, then unknown columns ------------------------------
    out = {f.name: typed[f.name] for f in cb.fields if f.name in typed}
    for i in unknown:
        out.setdefault(str(cols[i]), col(i))
    result = pd.DataFrame(out, index=pd.RangeIndex(n)) if out else pd.DataFrame(index=pd.RangeIndex(n))
    report = ValidationReport(iss.frame(), codebook=cb.name, source=source, n_rows=n, lang=lang)
    return result, report


# =======================================================================================
# Public API
# =======================================================================================
def validate(df: pd.DataFrame, codebook: str | Path | Codebook, *, lang: str = "nl") -> ValidationReport:
    """Check a DataFrame against a codebook and report *all* violations in one pass.

    Parameters
    ----------
    df : pandas.DataFrame
        The data. Headers may be machine names or the codebook's Dutch/English titles;
        answers may be codes or their Dutch/English labels (``"ja"``, ``"min of meer"``).
        Row ``i`` of the report is the ``i``-th data row (1-based, header excluded).
    codebook : str, pathlib.Path or Codebook
        ``"intervention"``, ``"municipal_panel"``, ``"youth_instrument"``, ``"benchmark"``,
        ``"djg11"``, ``"djg6"`` or a path to a codebook JSON file.
    lang : {"nl", "en"}
        Language of the messages in ``.errors``/``.warnings`` (``summary(lang)`` can switch).

    Returns
    -------
    ValidationReport
        ``.ok``, ``.errors`` and ``.warnings`` (columns ``row, column, value, rule, message``),
        ``.summary(lang)``, ``.to_frame()``.

    Notes
    -----
    Checks: missing required columns, unknown columns (warning), empty file, empty rows,
    types, codes (``enum``), ranges, patterns (municipality code ``GM`` + 4 digits, never
    completed silently), duplicate key rows, a later wave without a baseline of the same
    unit, municipality codes outside the bundled 2022 list, and the codebook's cross-field
    rules (``x-rules``). All checks are vectorised (100,000 rows: see ``docs/io.md``).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> df = pd.DataFrame({"municipality_code": ["GM0363", "363"], "municipality_name": ["Amsterdam"] * 2,
    ...                    "year": [2020, 2020], "lonely_pct": [47.0, 12.0], "severe_pct": [11.0, 20.0]})
    >>> rep = evalkit.validate(df, "municipal_panel", lang="en")
    >>> rep.errors[["row", "column", "rule"]].values.tolist()
    [[2, 'municipality_code', 'pattern'], [2, 'severe_pct', 'compare']]
    """
    check_lang(lang)
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"df must be a pandas DataFrame, not {type(df).__name__}.")
    cb = load_codebook(codebook)
    return _check(df, cb, lang=lang)[1]


def read(
    path: str | Path, codebook: str | Path | Codebook, *, strict: bool = True, lang: str = "nl"
) -> pd.DataFrame:
    """Read a CSV, Excel or SPSS file, convert it per the codebook and validate it.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``/``.txt``/``.tsv`` (delimiter ``,`` ``;`` or tab detected from the header;
        decimal comma accepted; UTF-8 with or without BOM, UTF-16 with BOM, otherwise
        Windows-1252), ``.xlsx``/``.xlsm`` (the sheet ``Gegevens``/``Data`` of an evalkit
        template, else the first sheet) or ``.sav``/``.zsav`` (SPSS; value labels mapped to
        the codebook's codes). The file is opened read-only and never modified.
    codebook : str, pathlib.Path or Codebook
        Codebook name or path (see :func:`validate`).
    strict : bool, default True
        Raise :class:`evalkit.DataValidationError` (with ``.report``) when there are
        errors. With ``strict=False`` the data are returned anyway; cells whose type is
        wrong are empty (``<NA>``) and the report is in ``df.attrs["validation"]``.
    lang : {"nl", "en"}
        Language of the messages.

    Returns
    -------
    pandas.DataFrame
        Columns in codebook order with machine names (unknown columns appended as read),
        types: ``string`` -> ``str``, ``integer`` -> ``Int64``, ``number`` -> ``float64``,
        ``date`` -> ``datetime64``. Municipality codes stay strings. ``df.attrs`` holds
        ``validation`` (the report), ``source`` and ``codebook``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataValidationError
        ``strict=True`` and the file breaks the codebook.

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.data.datasets import DATA_DIR
    >>> df = evalkit.read(DATA_DIR / "interventions.csv", "intervention", strict=False)
    >>> df.attrs["validation"].ok, df.shape
    (True, (3107, 23))
    """
    check_lang(lang)
    if not isinstance(strict, bool):
        raise ParameterError(f"strict must be True or False, got {strict!r}.")
    if not isinstance(path, (str, Path)):
        raise ParameterError(f"path must be a file name (str or pathlib.Path), not {type(path).__name__}.")
    cb = load_codebook(codebook)
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(t("data.readers.file.folder", lang, path=p))
    if not p.is_file():
        raise FileNotFoundError(t("data.readers.file.not_found", lang, path=p))
    try:
        raw, pre, var_labels, layout = _read_raw(p, cb)
    except PermissionError:
        raise PermissionError(t("data.readers.file.no_permission", lang, path=p)) from None
    data, report = _check(
        raw, cb, source=p.name, pre_issues=pre, var_labels=var_labels, lang=lang, layout=layout
    )
    data.attrs["validation"] = report
    data.attrs["source"] = str(p)
    data.attrs["codebook"] = cb.name
    if strict and not report.ok:
        raise DataValidationError(_strict_message(report, lang), report=report)
    return data


def _strict_message(report: ValidationReport, lang: str, k: int = 10) -> str:
    err = report.errors
    head = t(
        "data.readers.report.strict_head",
        lang,
        source=report.source,
        codebook=report.codebook,
        errors=_n_errors(report.n_errors, lang),
    )
    tail = t("data.readers.report.strict_tail", lang)
    lines = [head] + [f"  - {m}" for m in err["message"].head(k)]
    if report.n_errors > k:
        lines.append(f"  ... (+{report.n_errors - k})")
    lines.append(tail)
    return "\n".join(lines)


# =======================================================================================
# File readers (read-only)
# =======================================================================================
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.xls, .doc)


def _read_raw(p: Path, cb: Codebook) -> tuple[pd.DataFrame, list[tuple], dict | None, _Layout]:
    """Return (raw DataFrame, pre-issues, SPSS variable labels or None, layout).

    The kind of file is taken from its first bytes where they are clear (an ``.xlsx``
    renamed to ``.xls`` is still read), otherwise from the suffix.
    """
    suffix = p.suffix.lower()
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head[:2] == b"PK" and suffix not in (".csv", ".txt", ".tsv"):
        df, issues, sheet = _read_xlsx(p, cb)
        return df, issues, None, _Layout("xlsx", sheet=sheet)
    if suffix in (".sav", ".zsav") or head[:4] == b"$FL2" or head[:4] == b"$FL3":
        return (*_read_sav(p, cb), _Layout("sav"))
    if head == _OLE2 or suffix in (".xls", ".xlsx", ".xlsm"):
        if head == _OLE2 or suffix == ".xls":
            msg = _say("data.readers.file.xls")
        else:
            msg = _say("data.readers.file.not_xlsx")
        return (
            pd.DataFrame(),
            [
                (
                    "parse_error",
                    None,
                    None,
                    p.name,
                    msg,
                    {"fix": _say("data.readers.file.save_as_xlsx")},
                )
            ],
            None,
            _Layout("xlsx"),
        )
    df, issues, lines = _read_csv(p, cb)
    return df, issues, None, _Layout("csv", lines=lines)


_MOJIBAKE = re.compile(
    "[ÃÂ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc]"
)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(text: str, cb: Codebook) -> str:
    lines = text.splitlines()[:50]
    sample = "\n".join(lines)
    best, best_score = ",", None
    for d in (";", ",", "\t", "|"):
        rows = [r for r in csv.reader(_io.StringIO(sample), delimiter=d) if r]
        if not rows:
            continue
        header = rows[0]
        known = sum(cb.resolve_header(h) is not None for h in header)
        consistent = sum(len(r) == len(header) for r in rows[1:])
        score = (known, len(header) > 1, consistent, len(header))
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


def _read_csv(
    p: Path, cb: Codebook
) -> tuple[pd.DataFrame, list[tuple], Callable[[], np.ndarray | None] | None]:
    """Return (raw frame, pre-issues, function giving the editor line of each data row)."""
    data = p.read_bytes()
    issues: list[tuple] = []
    text, enc = _decode(data)
    if not text.strip():
        return pd.DataFrame(), issues, None
    if "\ufffd" in text:
        issues.append(
            (
                "encoding",
                None,
                None,
                "\ufffd",
                _say("data.readers.file.unreadable_chars"),
                {"severity": "warning"},
            )
        )
    if _MOJIBAKE.search(text[:200000]):
        found = _MOJIBAKE.search(text)
        assert found is not None  # it matched the start of the text
        sample = found.group(0)
        issues.append(
            (
                "encoding",
                None,
                None,
                sample,
                _say("data.readers.file.mojibake", sample=sample),
                {"severity": "warning"},
            )
        )
    first = text.split("\n", 1)[0].strip()
    m = re.fullmatch(r"sep=(.)", first)
    skipped = 0
    if m:  # Excel's "sep=;" line (Excel hides it: the header is still its row 1)
        delim = m.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
        skipped = 1
    try:
        if not m:
            delim = "\t" if enc == "utf-16" and "\t" in first else _sniff_delimiter(text, cb)
        header = next(csv.reader(_io.StringIO(text.split("\n", 1)[0]), delimiter=delim))
        # field counts per record (csv handles quotes and line breaks inside quotes like pandas)
        counts = np.fromiter(
            (len(r) for r in csv.reader(_io.StringIO(text), delimiter=delim)), dtype=np.int64
        )[1:]
    except StopIteration:
        return pd.DataFrame(), issues, None
    except csv.Error:  # e.g. a binary file, or a stray carriage return
        issues.append(
            (
                "parse_error",
                None,
                None,
                None,
                _say("data.readers.file.not_csv"),
                {"fix": _say("data.readers.file.save_as_csv")},
            )
        )
        return pd.DataFrame(), issues, None
    width = max(len(header), int(counts.max()) if len(counts) else 0)
    extra = np.flatnonzero(counts > len(header))
    if len(extra):
        nh = len(header)
        cnt = dict(zip((extra + 1).tolist(), counts[extra].tolist()))
        issues.append(
            (
                "extra_fields",
                None,
                extra + 1,
                [None] * len(extra),
                lambda r, v, lg: t("data.readers.file.extra_fields", lg, count=cnt[r], width=nh, delim=delim),
            )
        )
    try:
        df = pd.read_csv(
            _io.StringIO(text),
            sep=delim,
            header=None,
            skiprows=1,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            names=list(range(width)),
            engine="c",
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError):
        issues.append(
            (
                "parse_error",
                None,
                None,
                None,
                _say("data.readers.file.not_table"),
                {"fix": _say("data.readers.file.check_columns", delim=delim)},
            )
        )
        return pd.DataFrame(), issues, None
    df = df.iloc[:, : len(header)]
    df.columns = [h.strip() for h in header]
    # trailing empty rows (Excel exports often end with ';;;;')
    k = len(df)
    while k > 0 and all(_scalar_text(v) in (None, "") for v in df.iloc[k - 1].tolist()):
        k -= 1

    def starts() -> np.ndarray | None:
        """Text-editor line where each data row starts (computed only when a message needs
        it: a record with a quoted line break spans several lines)."""
        reader = csv.reader(_io.StringIO(text), delimiter=delim)
        out: list[int] = []
        prev = 0
        for _rec in reader:
            out.append(prev + 1 + skipped)
            prev = reader.line_num
        lines = np.asarray(out[1:], dtype=np.int64)
        return lines if len(lines) >= k else None

    return df.iloc[:k], issues, starts


_XLSX_UNREADABLE = (
    "parse_error",
    None,
    None,
    None,
    _say("data.readers.file.xlsx_damaged"),
    {"fix": _say("data.readers.file.save_again_xlsx")},
)
#: An error cell (``#DIV/0!``, ``#N/A``, ...) in a worksheet's XML: ``<c ... t="e">``.
_ERROR_CELL = re.compile(rb"<c\b[^>]*\bt=\"e\"")


def _read_xlsx(p: Path, cb: Codebook) -> tuple[pd.DataFrame, list[tuple], str | None]:
    """Return (raw frame, pre-issues, sheet name). Row 1 of the sheet is the header.

    The cells are read with calamine (python-calamine, a Rust reader, about 10x faster than
    openpyxl) and given openpyxl's types, so that values, messages and the row and column
    an error names are the same whichever reader ran: the sheet starts at A1 (empty leading
    rows and columns kept, so row ``i`` of the sheet is Excel row ``i``), an empty cell is
    None, a whole number is an int, a date cell a datetime. A workbook with error cells
    (``#DIV/0!``), which calamine reads as empty, is read with openpyxl (read-only), which
    keeps the error text so the message can quote it.
    """
    with open(p, "rb") as fh:  # the bytes, not the name: the suffix does not matter (.xls)
        data = fh.read()
    rows, sheet = _xlsx_rows_calamine(data)
    if rows is None:
        rows, sheet = _xlsx_rows_openpyxl(data)
    if rows is None:
        return pd.DataFrame(), [_XLSX_UNREADABLE], None
    return _xlsx_frame(rows), [], sheet


def _pick_sheet(names: Sequence[str]) -> int:
    """The data sheet: the first one called 'Gegevens' or 'Data', else the first."""
    return next((i for i, n in enumerate(names) if n.strip().casefold() in DATA_SHEET_NAMES), 0)


def _has_error_cells(data: bytes) -> bool:
    import zipfile

    with zipfile.ZipFile(_io.BytesIO(data)) as z:
        for info in z.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                if _ERROR_CELL.search(z.read(info)):
                    return True
    return False


def _xlsx_rows_calamine(data: bytes) -> tuple[list[tuple] | None, str | None]:
    """(rows from A1, sheet name), or (None, None) when openpyxl must read the file."""
    import zipfile

    try:
        import python_calamine as calamine
    except ImportError:  # pragma: no cover - a dependency; openpyxl reads the same
        return None, None
    try:
        if _has_error_cells(data):
            return None, None
        wb = calamine.CalamineWorkbook.from_filelike(_io.BytesIO(data))
        try:
            names = [m.name for m in wb.sheets_metadata if m.typ == calamine.SheetTypeEnum.WorkSheet]
            if not names:
                return None, None
            sheet = names[_pick_sheet(names)]
            raw = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        finally:
            wb.close()
    except (calamine.CalamineError, zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None, None  # openpyxl decides whether the workbook is readable at all
    return [tuple(_openpyxl_value(v) for v in r) for r in raw], sheet


_EXACT_INT = 2.0**53


def _openpyxl_value(v: Any) -> Any:
    """A calamine cell value as openpyxl gives it (see :func:`_read_xlsx`)."""
    if v == "" and isinstance(v, str):
        return None
    if isinstance(v, float):
        if v.is_integer() and abs(v) < _EXACT_INT:
            return int(v)
        return v
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day)
    return v


def _xlsx_rows_openpyxl(data: bytes) -> tuple[list[tuple] | None, str | None]:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(_io.BytesIO(data), read_only=True, data_only=True)
    # an unreadable workbook: zip, XML or openpyxl errors of many kinds
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        EOFError,
        openpyxl.utils.exceptions.InvalidFileException,
    ):
        return None, None
    try:
        ws = wb.worksheets[_pick_sheet([w.title for w in wb.worksheets])]
        sheet = ws.title
        rows = list(ws.iter_rows(min_row=1, min_col=1, values_only=True))
    finally:
        wb.close()
    return rows, sheet


def _xlsx_frame(rows: list[tuple]) -> pd.DataFrame:
    """The raw frame of a sheet's rows: row 1 is the header; trailing empty rows and
    columns dropped."""

    def empty(v):
        return v is None or (isinstance(v, str) and not v.strip())

    while rows and all(empty(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    rows = [tuple(r) + (None,) * (width - len(r)) for r in rows]
    while width and all(empty(r[width - 1]) for r in rows):
        width -= 1
    header = [("" if h is None else str(h).strip()) for h in rows[0][:width]]
    body = [r[:width] for r in rows[1:]]
    df = pd.DataFrame(body, columns=range(width), dtype=object)
    df.columns = header
    return df


def _read_sav(p: Path, cb: Codebook):
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(p), apply_value_formats=False, user_missing=False)
    except pyreadstat.ReadstatError:
        return (
            pd.DataFrame(),
            [
                (
                    "parse_error",
                    None,
                    None,
                    None,
                    _say("data.readers.file.sav_damaged"),
                    {"fix": _say("data.readers.file.save_again_sav")},
                )
            ],
            None,
        )
    var_labels = dict(meta.column_names_to_labels or {})
    labels = meta.variable_value_labels or {}
    for var, vl in labels.items():
        name = cb.resolve_header(var) or (cb.resolve_header(var_labels[var]) if var_labels.get(var) else None)
        if name is None:
            continue
        amap = cb.answer_map(name)
        conv = {}
        for code, lab in vl.items():
            target = amap.get(normalize_label(lab))
            if target is not None:
                conv[code] = target
        if conv:
            s = df[var].astype(object)
            df[var] = s.map(lambda v, conv=conv: conv.get(v, v), na_action="ignore")
    return df, [], var_labels


# =======================================================================================
# CLI
# =======================================================================================
def _cmd_validate(args: Any) -> int:
    # a missing file, an unknown codebook, ... : evalkit.cli.main prints one line, exit 2
    df = read(args.file, args.codebook, strict=False, lang=args.lang)
    report: ValidationReport = df.attrs["validation"]
    print(report.summary(args.lang, max_items=args.max))
    if report.ok:
        return 0
    ne, first = report.n_errors, report.errors["message"].iloc[0]
    print(
        t("data.readers.report.cli_found", args.lang, errors=_n_errors(ne, args.lang), first=first),
        file=sys.stderr,
    )
    return 1


def cli_validate(subparsers) -> Any:
    """Add ``evalkit validate FILE --codebook NAME [--lang en] [--max N]``."""
    p = subparsers.add_parser(
        "validate",
        help="check a data file against a codebook (exit code 1 on errors)",
        description="Check a CSV, Excel or SPSS file against a codebook and print every "
        "problem. Exit code 0 = no errors, 1 = errors, 2 = file or codebook not found.",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--codebook",
        required=True,
        metavar="NAME",
        help="intervention, municipal_panel, youth_instrument, benchmark, djg11, djg6 or a JSON path",
    )
    p.add_argument("--lang", choices=LANGS, default="nl")
    p.add_argument("--max", type=int, default=50, help="number of messages to print (default 50)")
    p.set_defaults(func=_cmd_validate)
    return p
