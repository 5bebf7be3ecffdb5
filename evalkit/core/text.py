"""Plain-text tables for ``Result.summary()``: translated labels, Dutch number format.

Private helper shared by the summaries of ``meta``, ``did`` and ``validation``: a
``DataFrame.to_string`` with numbers through :func:`evalkit.i18n.fmt_number` (decimal comma
and a real minus sign in Dutch), ``ja``/``nee`` for booleans, ``–`` for missing values and
column, index and cell labels translated from a small word list.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from evalkit.core.checks import check_lang
from evalkit.core.i18n import LANGS, catalogue, fmt_number, t

__all__ = ["text_table", "WORDS", "YEAR_COLUMNS", "fmt_year", "fmt_sig", "localize_numbers"]

#: Columns that hold calendar years (or a cohort's first year): written without a thousands
#: separator and without decimals in every language ("2018", never "2.018" or "2018,0000").
YEAR_COLUMNS = frozenset({"year", "jaar", "cohort", "group", "time", "period", "first_treated", "wave_year"})


_WORD = "core.text.word."

_DECIMAL = re.compile(r"(?<![\w.,])(-?\d+)\.(\d+)(?!\w|[.,]\d)")


def localize_numbers(text: str, lang: str = "nl") -> str:
    """Decimals written with a point inside a stored text (``"rho = 0.5"``) in the notation
    of ``lang`` (``"rho = 0,5"`` in Dutch); version-like strings (``1.2.3``) stay."""
    return _DECIMAL.sub(lambda m: fmt_number(float(m.group(0)), len(m.group(2)), lang), text)


def fmt_sig(x, lang: str = "nl", sig: int = 4) -> str:
    """A number with ``sig`` significant digits in the language's notation (``0,1235`` /
    ``0.1235``; ``1,235e−7`` for very small or large numbers); ``""`` for missing."""
    import math

    if x is None or x is pd.NA or (isinstance(x, numbers.Real) and np.isnan(float(x))):
        return ""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return fmt_number(x, 0, lang) if x == 0 else str(x)
    e = math.floor(math.log10(abs(x)))
    if e < -4 or e >= 7:
        mant = x / 10**e
        return f"{fmt_number(mant, sig - 1, lang)}e{fmt_year(e)}"
    return fmt_number(x, max(sig - 1 - e, 0), lang)


def fmt_year(v) -> str:
    """A year (or a whole period number) as text: ``2018``; ``-3`` as ``−3``; other values as
    they come (a text label, ``–`` for missing)."""
    if v is None or v is pd.NA or (isinstance(v, numbers.Real) and np.isnan(float(v))):
        return "–"
    if isinstance(v, numbers.Real) and float(v).is_integer():
        n = int(float(v))
        return f"−{-n}" if n < 0 else str(n)
    return fmt_number(float(v), 2) if isinstance(v, numbers.Real) else str(v)


#: Column, index and cell labels of summary tables: name -> {"nl": ..., "en": ...} (a read-only
#: view of the catalogue's ``core.text.word.*`` messages).
WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        name: MappingProxyType({lg: t(f"core.text.word.{name}", lg) for lg in LANGS})
        for name in (key.removeprefix(_WORD) for key in catalogue() if key.startswith(_WORD))
    }
)


def _label(x, lang: str, words: Mapping[str, Mapping[str, str]]):
    if isinstance(x, str) and x in words:
        return words[x][lang]
    return x


def _cell(v, lang: str, digits: int) -> str:
    if isinstance(v, (bool, np.bool_)):
        return t("core.text.yes" if v else "core.text.no", lang)
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
    words: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """``df`` as text for a summary in ``lang``.

    ``digits`` is one number of decimals or a mapping column -> decimals (default 3 for
    columns not in it); integers are printed without decimals; whole numbers in a column of
    :data:`YEAR_COLUMNS` are years (``2018``, no thousands separator). Column names, the index
    name and index/cell labels found in ``words`` (default :data:`WORDS`) are translated.
    """
    check_lang(lang)
    words = WORDS if words is None else {**WORDS, **words}
    out = pd.DataFrame(index=[_label(i, lang, words) for i in df.index])
    out.index.name = _label(df.index.name, lang, words)
    for col in df.columns:
        d = digits.get(col, 3) if isinstance(digits, Mapping) else digits
        vals = df[col].astype(object).tolist()
        year = str(col) in YEAR_COLUMNS and all(
            isinstance(v, numbers.Real)
            and not isinstance(v, (bool, np.bool_))
            and (np.isnan(float(v)) or float(v).is_integer())
            for v in vals
        )
        out[_label(col, lang, words)] = [
            _label(v, lang, words) if isinstance(v, str) else (fmt_year(v) if year else _cell(v, lang, d))
            for v in vals
        ]
    with pd.option_context("display.width", 160, "display.max_columns", 40, "display.max_colwidth", 60):
        return out.to_string(index=index)
