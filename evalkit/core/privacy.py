"""Per-table small-cell blanking for analysis outputs (committee notebooks).

The privacy rules of every page shown to a reader (reports, the portal, the overview) live
in one place: :mod:`evalkit.reports.disclosure` (rules R1-R4 over the whole page, a
disclosure record per page, ``evalkit audit``); methods return full numbers
(``prepost.by_group`` and ``meta.effect_sizes`` no longer use this module). What is left
here only blanks rows of one table for ``validation.norms`` and the validation notebook:
:func:`suppress` blanks every statistic computed on fewer respondents than ``min_cell``
(default :data:`DEFAULT_MIN_CELL` = 10) and marks the row as suppressed. (For comparison: a public
regional Health Monitor script blanks municipal percentages based on fewer than 50
respondents; raise ``min_cell`` where a stricter rule applies.)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.core.checks import check_positive_int, check_unique_column
from evalkit.core.errors import ParameterError, PrivacyWarning

__all__ = ["DEFAULT_MIN_CELL", "suppress", "check_min_cell"]

#: Default smallest number of respondents for which a statistic may be shown.
DEFAULT_MIN_CELL: int = 10


def check_min_cell(min_cell: int) -> int:
    """Validate a privacy threshold (a whole number >= 1)."""
    return check_positive_int(min_cell, "min_cell", minimum=1)


def suppress(
    table: pd.DataFrame,
    *,
    n: str = "n",
    min_cell: int = DEFAULT_MIN_CELL,
    keep: Sequence[str] = (),
    warn: bool = True,
) -> pd.DataFrame:
    """Blank statistics of rows based on fewer than ``min_cell`` respondents.

    Parameters
    ----------
    table : DataFrame
        One row per cell (e.g. subgroup), with a count column ``n``.
    n : str
        Name of the count column.
    min_cell : int
        Threshold; rows with ``n < min_cell`` are suppressed.
    keep : sequence of str
        Columns kept as they are (labels such as ``group`` or ``term``). Every other
        column, including ``n`` itself, is set to missing in suppressed rows.
    warn : bool
        Emit a :class:`~evalkit.PrivacyWarning` when anything was suppressed.

    Returns
    -------
    DataFrame
        A copy with an extra boolean column ``suppressed``.
    """
    min_cell = check_min_cell(min_cell)
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"table must be a pandas DataFrame, not {type(table).__name__}.")
    if n not in table.columns:
        raise ParameterError(f"n={n!r} is not a column of table.")
    check_unique_column(table, n)
    out = table.copy()
    counts = pd.to_numeric(out[n], errors="coerce")
    mask = counts.isna() | (counts < min_cell)
    blank = [c for c in out.columns if c not in set(keep)]
    for c in blank:
        if mask.any():
            if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
                out[c] = out[c].astype(float)
                out.loc[mask, c] = np.nan
            else:
                out[c] = out[c].astype(object)
                out.loc[mask, c] = None
    out["suppressed"] = mask.to_numpy()
    if warn and mask.any():
        warnings.warn(
            f"{int(mask.sum())} cell(s) with fewer than {min_cell} respondents suppressed.",
            PrivacyWarning,
            stacklevel=2,
        )
    return out
