"""Error pages and the reading of a coalition's file (validation, no participant ids).

Used by the batch, :func:`evalkit.reports.coalition.render_coalition` and ``evalkit
report``: a file with errors gives the same Dutch page everywhere.
"""

from __future__ import annotations

import html as _html
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from evalkit.core.checks import check_option
from evalkit.core.errors import DataValidationError
from evalkit.core.i18n import LANGS, t
from evalkit.reports.files import html_page

__all__ = [
    "IDENTIFYING_COLUMNS",
    "error_page",
    "identifiers_of",
    "read_and_validate",
    "scrub_text",
]

#: Columns whose values an error page never shows (they identify people).
IDENTIFYING_COLUMNS = ("participant_id", "respondent_id", "unit", "id")

#: Columns of the table of problems (keys ``pages.errorpage.column.*``).
_COLUMNS = ("row", "column", "value", "problem", "message")


def error_page(
    code: str,
    name: str,
    *,
    stage: str,
    message: str,
    errors: pd.DataFrame | None = None,
    data_file: str | None = None,
    lang: str = "nl",
    max_rows: int = 100,
) -> str:
    """A self-contained HTML page saying why a coalition has no report and what to fix.

    ``errors`` is the validation report's table (``row, column, value, rule, message``);
    values of identifying columns (participant ids) are never shown.
    """
    check_option("lang", lang, LANGS)
    check_option("stage", stage, ("parameters", "validation", "analysis", "notebook", "disclosure"))
    esc = _html.escape
    why = t(f"pages.errorpage.why.{stage}", lang)
    title = t("pages.errorpage.title", lang)
    parts = [
        f"<h1>{esc(title)}: {esc(str(name))}</h1>",
        f"<p>{t('pages.errorpage.intro', lang, name=esc(str(name)), code=esc(str(code)), why=why)}</p>",
        f"<h2>{esc(t('pages.errorpage.fix', lang))}</h2>",
    ]
    if errors is not None and len(errors):
        parts.append(
            f"<p>{t('pages.errorpage.fix_validation', lang, file=esc(Path(str(data_file or '')).name))}</p>"
        )
        cols = [t(f"pages.errorpage.column.{c}", lang) for c in _COLUMNS]
        rows = []
        for rec in errors.head(max_rows).to_dict(orient="records"):
            column = str(rec.get("column", ""))
            value = rec.get("value", "")
            if column.lower() in IDENTIFYING_COLUMNS:
                value = t("pages.errorpage.hidden", lang)
            # the row and column as the user's spreadsheet shows them (docs/io.md)
            shown = [x for x in (rec.get("column_letter"), rec.get("header")) if isinstance(x, str) and x]
            if shown:
                column = " ".join(shown)
            row = rec.get("excel_row", rec.get("row", ""))
            if row is None or row is pd.NA or (isinstance(row, float) and row != row):
                row = rec.get("row", "") if "excel_row" in rec else ""  # SPSS: the case number
            if row is None or row is pd.NA or (isinstance(row, float) and row != row):
                row = ""
            elif isinstance(row, (int, float)):
                row = int(row)
            value = "" if value is None or (isinstance(value, float) and value != value) else value
            rows.append(
                "<tr>"
                + "".join(
                    f"<td>{esc(str(x))}</td>"
                    for x in (
                        row,
                        column,
                        value,
                        rec.get("rule_text") or rec.get("rule", ""),
                        rec.get("message", ""),
                    )
                )
                + "</tr>"
            )
        parts.append(
            '<table class="errors"><thead><tr>'
            + "".join(f"<th>{c}</th>" for c in cols)
            + "</tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
        if len(errors) > max_rows:
            parts.append(f"<p>{esc(t('pages.errorpage.more', lang, k=len(errors) - max_rows))}</p>")
    else:
        parts.append(f"<p>{esc(t('pages.errorpage.fix_other', lang))}</p>")
        parts.append(f'<div class="error-box"><pre>{esc(str(message))}</pre></div>')
    parts.append(f'<p><a href="index.html">{esc(t("pages.errorpage.back", lang))}</a></p>')
    return html_page("\n".join(parts), title=f"{title}: {name}", lang=lang)


def scrub_text(text: str, identifiers, lang: str) -> str:
    """``text`` with every identifying value (participant id) replaced by "(verborgen)"."""
    hidden = t("pages.errorpage.hidden", lang)
    for i in sorted((i for i in identifiers if i and len(i) >= 2), key=len, reverse=True):
        if i in text:
            text = text.replace(i, hidden)
    return text


def _scrub(errors: pd.DataFrame, identifiers: set[str], lang: str) -> pd.DataFrame:
    """Hide identifying values (participant ids) in the value and message columns."""
    if errors is None or not len(errors):
        return errors
    hidden = t("pages.errorpage.hidden", lang)
    errors = errors.head(500).copy()
    for col in ("value", "message"):
        if col not in errors.columns:
            continue
        vals = errors[col].astype(object).where(errors[col].notna(), "").astype(str).tolist()
        errors[col] = [scrub_text(text, identifiers, lang) for text in vals]
    mask = errors["column"].astype(str).str.lower().isin(IDENTIFYING_COLUMNS)
    errors.loc[mask, "value"] = hidden
    return errors


def identifiers_of(df: pd.DataFrame | None, path: Path) -> set[str]:
    if df is None:
        try:  # the raw file, only to know which strings to hide
            suffix = Path(path).suffix.lower()
            if suffix in (".xlsx", ".xls"):
                df = pd.read_excel(path, dtype=str)
            elif suffix == ".sav":
                df = pd.read_spss(path, convert_categoricals=False)
            else:
                df = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding_errors="replace")
        except (OSError, ValueError, KeyError, ImportError, zipfile.BadZipFile, InvalidFileException):
            # not readable as a table (ValueError covers pandas' parser and encoding errors;
            # ImportError: no SPSS reader installed): nothing to hide from it
            return set()
    cols = [c for c in df.columns if str(c).lower() in IDENTIFYING_COLUMNS]
    out: set[str] = set()
    for c in cols:
        out |= set(df[c].dropna().astype(str))
    return out


def read_and_validate(params: dict, cwd: Path, validate):
    """Return (data or None, errors DataFrame or None); errors never show identifiers."""
    if validate is False:
        return None, None
    if callable(validate):
        return validate(params)
    data_path = params.get("data_path")
    if not data_path:
        return None, None
    from evalkit.data import readers as _io

    lang = params.get("lang", "nl")
    path = Path(cwd, data_path)
    if not path.is_file():
        err = pd.DataFrame(
            [
                {
                    "row": None,
                    "column": "",
                    "value": Path(str(data_path)).name,
                    "rule": "file",
                    "message": t("pages.errorpage.no_data_file", lang),
                }
            ]
        )
        return None, err
    codebook = params.get("codebook") or "intervention"
    df = None
    try:
        df = _io.read(path, codebook, strict=False, lang=lang)
        rep = df.attrs["validation"]
    except DataValidationError as exc:
        rep = getattr(exc, "report", None)
        if rep is None or not len(rep.errors):
            msg = scrub_text(str(exc), identifiers_of(None, path), lang)
            return None, pd.DataFrame(
                [{"row": None, "column": "", "value": "", "rule": "read", "message": msg}]
            )
    if not rep.ok:
        return None, _scrub(rep.errors, identifiers_of(df, path), lang)
    return df, None
