"""Language helpers: Dutch is the default language of summaries and reports.

Numbers are formatted the Dutch way for ``lang="nl"`` (decimal comma, point as thousands
separator) and the English way for ``lang="en"``.
"""

from __future__ import annotations

import math
import numbers

import pandas as pd

from evalkit.core.checks import check_lang
from evalkit.core.errors import ParameterError

__all__ = ["fmt_number", "fmt_pct", "fmt_p", "fmt_ci", "t"]


def _is_missing(x) -> bool:
    """None, pandas.NA or a NaN of any float type (Python, numpy float32/64)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, str) or not isinstance(x, numbers.Real):
        try:  # 0-d arrays, Decimal, ... format as numbers; text does not
            if isinstance(x, (str, bytes)):
                raise TypeError
            return math.isnan(float(x))
        except (TypeError, ValueError):
            raise ParameterError(f"a number was expected, got {x!r}.") from None
    return math.isnan(float(x))


def fmt_number(x: float | int | None, digits: int = 2, lang: str = "nl") -> str:
    """Format a number for text: ``fmt_number(1234.5, 1, 'nl') == '1.234,5'``."""
    check_lang(lang)
    if _is_missing(x):
        return "–"
    s = f"{x:,.{digits}f}" if isinstance(x, numbers.Integral) else f"{float(x):,.{digits}f}"
    if s.startswith("-") and not any(ch in "123456789" for ch in s):
        s = s[1:]  # -0.0001 rounds to 0,00, not −0,00
    if lang == "nl":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s.replace("-", "−") if s.startswith("-") else s


def fmt_pct(x: float | None, digits: int = 0, lang: str = "nl") -> str:
    """Format a proportion (0-1) as a percentage: ``fmt_pct(0.472) == '47%'``."""
    if _is_missing(x):
        return "–"
    return fmt_number(100 * x, digits, lang) + "%"


def fmt_p(p: float | None, lang: str = "nl") -> str:
    """Format a p-value as in APA style (``p < 0,001`` / ``p = 0,032``)."""
    if _is_missing(p):
        return "p = –"
    if p < 0.001:
        return "p < " + fmt_number(0.001, 3, lang)
    return "p = " + fmt_number(p, 3, lang)


def fmt_ci(lo: float, hi: float, digits: int = 2, lang: str = "nl", confidence: float = 0.95) -> str:
    """Format a confidence interval: ``95%-BI [0,12; 0,48]`` / ``95% CI [0.12, 0.48]``."""
    level = fmt_number(100 * confidence, 0, lang)
    if lang == "nl":
        return f"{level}%-BI [{fmt_number(lo, digits, lang)}; {fmt_number(hi, digits, lang)}]"
    return f"{level}% CI [{fmt_number(lo, digits, lang)}, {fmt_number(hi, digits, lang)}]"


def t(texts: dict[str, str], lang: str = "nl", **kwargs) -> str:
    """Pick the text for ``lang`` from ``{"nl": ..., "en": ...}`` and format it."""
    check_lang(lang)
    return texts[lang].format(**kwargs) if kwargs else texts[lang]
