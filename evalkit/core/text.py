"""Plain-text tables for ``Result.summary()``: translated labels, Dutch number format.

Private helper shared by the summaries of ``meta``, ``did`` and ``validation``: a
``DataFrame.to_string`` with numbers through :func:`evalkit.i18n.fmt_number` (decimal comma
and a real minus sign in Dutch), ``ja``/``nee`` for booleans, ``–`` for missing values and
column, index and cell labels translated from a small word list.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.core.checks import check_lang
from evalkit.core.i18n import fmt_number

__all__ = ["text_table", "WORDS"]

# column, index and cell labels of summary tables: name -> (Dutch, English)
WORDS: dict[str, tuple[str, str]] = {
    "term": ("term", "term"),
    "estimate": ("schatting", "estimate"),
    "std_error": ("SE", "SE"),
    "ci_lower": ("BI-onder", "CI lower"),
    "ci_upper": ("BI-boven", "CI upper"),
    "p_value": ("p", "p"),
    "z": ("z", "z"),
    "n": ("n", "n"),
    "item": ("item", "item"),
    "group": ("groep", "group"),
    "cohort": ("cohort", "cohort"),
    "time": ("periode", "period"),
    "event_time": ("tijd t.o.v. start", "event time"),
    "pre": ("voormeting", "pre"),
    "post": ("nameting", "post"),
    "change": ("verandering", "change"),
    "comparison": ("vergelijkingsgroep", "comparison"),
    "treated": ("interventiegroep", "treated"),
    "difference": ("verschil", "difference"),
    "mean": ("gemiddelde", "mean"),
    "sd": ("sd", "sd"),
    "missing_share": ("ontbrekend", "missing"),
    "floor": ("vloer", "floor"),
    "ceiling": ("plafond", "ceiling"),
    "r_drop": ("r item-rest", "r item-rest"),
    "alpha_if_deleted": ("alfa zonder item", "alpha if deleted"),
    "chi2_uniform": ("chi2 uniform", "chi2 uniform"),
    "p_uniform": ("p uniform", "p uniform"),
    "chi2_total": ("chi2 totaal", "chi2 total"),
    "p_total": ("p totaal", "p total"),
    "delta_r2_uniform": ("ΔR² uniform", "ΔR² uniform"),
    "delta_r2_total": ("ΔR² totaal", "ΔR² total"),
    "flag": ("gemarkeerd", "flagged"),
    "parameter": ("parameter", "parameter"),
    "number": ("nummer", "number"),
    "fa_observed": ("factoren geobserveerd", "factors observed"),
    "fa_simulated": ("factoren gesimuleerd", "factors simulated"),
    "pc_observed": ("componenten geobserveerd", "components observed"),
    "pc_simulated": ("componenten gesimuleerd", "components simulated"),
}


def _label(x, lang: str, words: Mapping[str, tuple[str, str]]):
    if isinstance(x, str) and x in words:
        return words[x][0 if lang == "nl" else 1]
    return x


def _cell(v, lang: str, digits: int) -> str:
    if isinstance(v, (bool, np.bool_)):
        return ("ja" if v else "nee") if lang == "nl" else ("yes" if v else "no")
    if v is None or v is pd.NA or (isinstance(v, numbers.Real) and np.isnan(float(v))):
        return "–"
    if isinstance(v, numbers.Integral):
        return fmt_number(int(v), 0, lang)
    if isinstance(v, numbers.Real):
        return fmt_number(float(v), digits, lang)
    return str(v)


def text_table(
    df: pd.DataFrame,
    lang: str = "nl",
    *,
    digits: int | Mapping[str, int] = 3,
    index: bool = True,
    words: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """``df`` as text for a summary in ``lang``.

    ``digits`` is one number of decimals or a mapping column -> decimals (default 3 for
    columns not in it); integers are printed without decimals. Column names, the index
    name and index/cell labels found in ``words`` (default :data:`WORDS`) are translated.
    """
    check_lang(lang)
    words = WORDS if words is None else {**WORDS, **words}
    out = pd.DataFrame(index=[_label(i, lang, words) for i in df.index])
    out.index.name = _label(df.index.name, lang, words)
    for col in df.columns:
        d = digits.get(col, 3) if isinstance(digits, Mapping) else digits
        vals = df[col].astype(object).tolist()
        out[_label(col, lang, words)] = [
            _label(v, lang, words) if isinstance(v, str) else _cell(v, lang, d) for v in vals
        ]
    with pd.option_context("display.width", 160, "display.max_columns", 40, "display.max_colwidth", 60):
        return out.to_string(index=index)
