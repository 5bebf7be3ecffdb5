"""Language helpers: Dutch is the default language of summaries and reports.

Numbers are formatted the Dutch way for ``lang="nl"`` (decimal comma, point as thousands
separator) and the English way for ``lang="en"``.
"""
from __future__ import annotations

import math

from ._checks import check_lang

__all__ = ["fmt_number", "fmt_pct", "fmt_p", "fmt_ci", "t"]


def fmt_number(x: float | int | None, digits: int = 2, lang: str = "nl") -> str:
    """Format a number for text: ``fmt_number(1234.5, 1, 'nl') == '1.234,5'``."""
    check_lang(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{digits}f}"
    if lang == "nl":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s.replace("-", "−") if s.startswith("-") else s


def fmt_pct(x: float | None, digits: int = 0, lang: str = "nl") -> str:
    """Format a proportion (0-1) as a percentage: ``fmt_pct(0.472) == '47%'``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return fmt_number(100 * x, digits, lang) + "%"


def fmt_p(p: float | None, lang: str = "nl") -> str:
    """Format a p-value as in APA style (``p < 0,001`` / ``p = 0,032``)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
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
