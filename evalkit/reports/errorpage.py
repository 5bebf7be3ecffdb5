"""Error pages and the reading of a coalition's file (validation, no participant ids).

Used by the batch, :func:`evalkit.reports.coalition.render_coalition` and ``evalkit
report``: a file with errors gives the same Dutch page everywhere.
"""

from __future__ import annotations

import html as _html
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from evalkit.core.checks import check_option
from evalkit.core.errors import DataValidationError
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

_TXT: dict[str, dict[str, Any]] = {
    "title": {"nl": "Rapport kon niet worden gemaakt", "en": "The report could not be made"},
    "intro": {
        "nl": "Voor <strong>{name}</strong> ({code}) is geen rapport gemaakt: {why} "
        "De rapporten van de andere coalities zijn wel gemaakt.",
        "en": "No report was made for <strong>{name}</strong> ({code}): {why} "
        "The reports of the other coalitions were made.",
    },
    "why_validation": {
        "nl": "het databestand voldoet niet aan het codeboek.",
        "en": "the data file does not meet its codebook.",
    },
    "why_parameters": {
        "nl": "de instellingen (parameters) kloppen niet.",
        "en": "the settings (parameters) are not right.",
    },
    "why_analysis": {"nl": "de analyse kon niet worden uitgevoerd.", "en": "the analysis could not be run."},
    "why_notebook": {
        "nl": "het rapport-notebook gaf een fout.",
        "en": "the report notebook raised an error.",
    },
    "why_disclosure": {
        "nl": "de controle op privacyregels keurde de pagina af; een pagina "
        "die de controle niet doorstaat wordt nooit gepubliceerd.",
        "en": "the privacy check rejected the page; a page that fails the check is never published.",
    },
    "fix": {"nl": "Wat moet er worden verbeterd?", "en": "What needs fixing?"},
    "fix_validation": {
        "nl": "Verbeter de onderstaande punten in het bestand <code>{file}</code> en start "
        "de batch opnieuw; alleen gewijzigde en mislukte coalities worden dan opnieuw "
        "gemaakt. Rijnummers en kolomletters zijn die van Excel (de kopregel is rij 1). "
        "Waarden van identificerende kolommen worden niet getoond.",
        "en": "Fix the points below in the file <code>{file}</code> and run the batch "
        "again; only changed and failed coalitions are made again. Row numbers and "
        "column letters are Excel's (the header is row 1). Values of identifying "
        "columns are hidden.",
    },
    "fix_other": {
        "nl": "Controleer de melding hieronder. Neem contact op met het programmateam als "
        "de oorzaak niet duidelijk is.",
        "en": "Check the message below. Contact the programme team if the cause is unclear.",
    },
    "more": {"nl": "… en nog {k} andere meldingen.", "en": "… and {k} more messages."},
    "cols": {
        "nl": ["Rij", "Kolom", "Waarde", "Soort fout", "Melding"],
        "en": ["Row", "Column", "Value", "Problem", "Message"],
    },
    "hidden": {"nl": "(verborgen)", "en": "(hidden)"},
    "back": {"nl": "Terug naar het overzicht", "en": "Back to the overview"},
}


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
    check_option("lang", lang, ("nl", "en"))
    check_option("stage", stage, ("parameters", "validation", "analysis", "notebook", "disclosure"))
    esc = _html.escape
    why = _TXT[f"why_{stage}"][lang]
    parts = [
        f"<h1>{esc(_TXT['title'][lang])}: {esc(str(name))}</h1>",
        f"<p>{_TXT['intro'][lang].format(name=esc(str(name)), code=esc(str(code)), why=why)}</p>",
        f"<h2>{esc(_TXT['fix'][lang])}</h2>",
    ]
    if errors is not None and len(errors):
        parts.append(
            f"<p>{_TXT['fix_validation'][lang].format(file=esc(Path(str(data_file or '')).name))}</p>"
        )
        cols = _TXT["cols"][lang]
        rows = []
        for rec in errors.head(max_rows).to_dict(orient="records"):
            column = str(rec.get("column", ""))
            value = rec.get("value", "")
            if column.lower() in IDENTIFYING_COLUMNS:
                value = _TXT["hidden"][lang]
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
            parts.append(f"<p>{esc(_TXT['more'][lang].format(k=len(errors) - max_rows))}</p>")
    else:
        parts.append(f"<p>{esc(_TXT['fix_other'][lang])}</p>")
        parts.append(f'<div class="error-box"><pre>{esc(str(message))}</pre></div>')
    parts.append(f'<p><a href="index.html">{esc(_TXT["back"][lang])}</a></p>')
    return html_page("\n".join(parts), title=f"{_TXT['title'][lang]}: {name}", lang=lang)


def scrub_text(text: str, identifiers, lang: str) -> str:
    """``text`` with every identifying value (participant id) replaced by "(verborgen)"."""
    hidden = _TXT["hidden"][lang]
    for i in sorted((i for i in identifiers if i and len(i) >= 2), key=len, reverse=True):
        if i in text:
            text = text.replace(i, hidden)
    return text


def _scrub(errors: pd.DataFrame, identifiers: set[str], lang: str) -> pd.DataFrame:
    """Hide identifying values (participant ids) in the value and message columns."""
    if errors is None or not len(errors):
        return errors
    hidden = _TXT["hidden"][lang]
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
                    "message": _T_FILE[lang],
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


_T_FILE = {
    "nl": "Het databestand is niet gevonden: controleer de naam en de map.",
    "en": "The data file was not found: check its name and folder.",
}
