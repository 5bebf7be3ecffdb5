"""Display tables of the SEM engine: numbers as text for summaries and HTML views.

One decimal convention per language (Dutch decimal comma, English point, through
:func:`evalkit.core.i18n.fmt_number`), p-values readable (``< 0,001`` / ``< 0.001``, else
three decimals), never scientific notation. Summaries show compact tables; the HTML view
adds the full table as an appendix (collapsed); the unformatted numbers stay in
``.tidy()``, ``.parameters`` and ``.table``.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from evalkit.core.i18n import fmt_number, t

__all__ = ["p_cell", "num_cell", "decision_cell", "parameter_appendix", "html_block", "html_table"]


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, (float, np.floating)) and math.isnan(x))


def p_cell(p, lang: str) -> str:
    """A p-value in a table cell: ``< 0,001`` (``< 0.001``), else three decimals; ``–`` if missing."""
    if _missing(p):
        return "–"
    p = float(p)
    if p < 0.001:
        return "< " + fmt_number(0.001, 3, lang)
    return fmt_number(p, 3, lang)


def num_cell(x, digits: int, lang: str) -> str:
    """A number in a table cell (``–`` if missing)."""
    return "–" if _missing(x) else fmt_number(float(x), digits, lang)


def decision_cell(values, lang: str) -> str:
    """Decisions (True/False/NA) joined as ``ja / nee / –`` (``yes / no / –``)."""
    yes, no = t("sem_tables.word.yes", lang), t("sem_tables.word.no", lang)
    return " / ".join("–" if _missing(v) else yes if bool(v) else no for v in values)


def parameter_appendix(parameters: pd.DataFrame, lang: str, *, multigroup: bool) -> pd.DataFrame:
    """Every free or fixed parameter as text: ``parameter`` (lavaan syntax), estimate, std.
    error, z, p, 95% interval, standardised (three decimals; ``vast``/``fixed`` for a fixed
    parameter's standard error)."""
    rows = []
    for r in parameters.itertuples(index=False):
        fixed = _missing(r.std_error)
        row = {}
        if multigroup:
            row[t("sem_tables.col.group", lang)] = str(r.group)
        row[t("sem_tables.col.parameter", lang)] = f"{r.lhs} {r.op} {r.rhs}".strip()
        row[t("sem_tables.col.estimate", lang)] = num_cell(r.estimate, 3, lang)
        row[t("sem_tables.col.std_error", lang)] = (
            t("sem_tables.word.fixed", lang) if fixed else num_cell(r.std_error, 3, lang)
        )
        row[t("sem_tables.col.z", lang)] = "" if fixed else num_cell(r.z, 2, lang)
        row[t("sem_tables.col.p", lang)] = "" if fixed else p_cell(r.p_value, lang)
        row[t("sem_tables.col.ci", lang)] = (
            ""
            if fixed
            else t(
                "sem_tables.word.interval",
                lang,
                lo=num_cell(r.ci_lower, 3, lang),
                hi=num_cell(r.ci_upper, 3, lang),
            )
        )
        row[t("sem_tables.col.std_all", lang)] = num_cell(r.std_all, 3, lang)
        rows.append(row)
    return pd.DataFrame(rows)


def html_table(frame: pd.DataFrame, *, index: bool = False) -> str:
    """A text table (cells already formatted) as HTML."""
    return frame.to_html(index=index, border=0, classes="evalkit-table", escape=True, na_rep="–")


def html_block(title: str, summary: str, appendix_title: str, appendix: str) -> str:
    """The HTML view of a result: the summary text, then the appendix table collapsed."""
    return (
        '<div class="evalkit-result">'
        f"<strong>{html.escape(title)}</strong>"
        f'<pre style="white-space:pre-wrap">{html.escape(summary)}</pre>'
        f"<details><summary>{html.escape(appendix_title)}</summary>{appendix}</details></div>"
    )
