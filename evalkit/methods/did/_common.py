"""Shared input checks and small helpers of :mod:`evalkit.did`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.checks import check_columns, check_dataframe
from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError

__all__: list[str] = []


def as_list(cols: str | Sequence[str] | None, name: str) -> list[str]:
    """Normalise a column argument (None, one name or a list of names) to a list."""
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    try:
        out = list(cols)
    except TypeError:
        raise ParameterError(f"{name} must be a column name or a list of column names.") from None
    for c in out:
        if not isinstance(c, str):
            raise ParameterError(f"{name} must name columns by string, got {c!r}.")
    return out


def numeric_column(df: pd.DataFrame, col: str, param: str) -> np.ndarray:
    """Return ``df[col]`` as float64, raising a clear error for non-numeric data."""
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(s):
        raise DataValidationError(
            f"{param}={col!r} must be numeric, but has dtype {s.dtype} (e.g. value {s.dropna().iloc[0]!r})."
            if s.notna().any()
            else f"{param}={col!r} must be numeric, but has dtype {s.dtype}."
        )
    x = s.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(x).any():
        raise DataValidationError(f"{param}={col!r} has {int(np.isinf(x).sum())} infinite values.")
    return x


def outcome_column(df: pd.DataFrame, col: str) -> np.ndarray:
    """The outcome as float64 (see :func:`numeric_column`); a constant outcome is refused
    (every effect would be 0 with a standard error of rounding noise)."""
    y = numeric_column(df, col, "outcome")
    seen = y[~np.isnan(y)]
    if seen.size and seen.max() == seen.min():
        raise DataValidationError(
            f"outcome={col!r} is constant ({seen[0]:g} everywhere); there is no change to estimate."
        )
    return y


def weight_column(df: pd.DataFrame, col: str) -> np.ndarray:
    """Sampling weights: numeric, finite, positive and never missing."""
    w = numeric_column(df, col, "weights")
    if np.isnan(w).any():
        raise DataValidationError(
            f"weights={col!r} has {int(np.isnan(w).sum())} missing values; every row needs a weight."
        )
    if (w <= 0).any():
        raise DataValidationError(
            f"weights={col!r} must be positive; found {int((w <= 0).sum())} values <= 0 "
            f"(e.g. {w[w <= 0][0]:g}). Leave such rows out instead."
        )
    return w


def time_column(df: pd.DataFrame, col: str) -> np.ndarray:
    """Time must be numeric (years or period numbers), not dates or strings."""
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise DataValidationError(
            f"time={col!r} must be numeric (e.g. the year 2019 or a period number), but has "
            f"dtype {s.dtype}. Convert it first, e.g. data[{col!r}] = "
            f"pd.to_numeric(data[{col!r}]) or use the year of a date column."
        )
    t = s.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(t).any():
        raise DataValidationError(f"time={col!r} has {int(np.isnan(t).sum())} missing values.")
    if np.isinf(t).any():
        raise DataValidationError(f"time={col!r} has infinite values.")
    return t


def binary_column(df: pd.DataFrame, col: str, param: str) -> np.ndarray:
    """A 0/1 (or boolean) indicator column as float64 with a clear error otherwise."""
    x = numeric_column(df, col, param)
    if np.isnan(x).any():
        raise DataValidationError(f"{param}={col!r} has {int(np.isnan(x).sum())} missing values.")
    bad = ~np.isin(x, (0.0, 1.0))
    if bad.any():
        vals = ", ".join(map(repr, sorted(set(x[bad].tolist()))[:5]))
        raise DataValidationError(
            f"{param}={col!r} must be coded 0/1 (or True/False); found other values: {vals}."
        )
    return x


def drop_missing(df: pd.DataFrame, cols: Sequence[str], what: str) -> pd.DataFrame:
    """Drop rows with missing values in ``cols`` with a DataQualityWarning."""
    miss = df[list(cols)].isna().any(axis=1)
    k = int(miss.sum())
    if k == len(df):
        raise DataValidationError(f"every row has a missing value in {', '.join(cols)}.")
    if k:
        warnings.warn(
            f"{what}: dropped {k} of {len(df)} rows with missing values in {', '.join(cols)}.",
            DataQualityWarning,
            stacklevel=3,
        )
        df = df.loc[~miss]
    return df


def prepare(data, **cols) -> pd.DataFrame:
    """check_dataframe + check_columns, returning only the needed columns (a copy)."""
    check_dataframe(data)
    flat: list[str] = []
    named = {}
    for k, v in cols.items():
        lst = as_list(v, k)
        named[k] = lst if lst else None
        for c in lst:
            if c not in flat:
                flat.append(c)
    check_columns(data, **{k: v for k, v in named.items() if v is not None})
    return data.loc[:, flat].copy()


def first_treated_values(df: pd.DataFrame, col: str) -> np.ndarray:
    """First treated period; 0 or missing = never treated (both accepted) -> 0."""
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise DataValidationError(
            f"first_treated={col!r} must be numeric (the first treated period; 0 or "
            f"missing for never-treated units), but has dtype {s.dtype}."
        )
    g = s.to_numpy(dtype=float, na_value=np.nan)
    g = np.where(np.isnan(g), 0.0, g)
    if np.isinf(g).any():
        raise DataValidationError(f"first_treated={col!r} has infinite values.")
    if (g < 0).any():
        raise DataValidationError(f"first_treated={col!r} has negative values.")
    return g


def check_unique(df: pd.DataFrame, unit: str, time: str) -> None:
    dup = df.duplicated([unit, time])
    if dup.any():
        ex = df.loc[dup, [unit, time]].iloc[0]
        raise DataValidationError(
            f"{int(dup.sum())} duplicate {unit}-{time} rows (e.g. {unit}={ex[unit]!r}, "
            f"{time}={ex[time]!r}); a panel has one row per unit and period."
        )


def check_balanced(
    unit_codes: np.ndarray,
    time_codes: np.ndarray,
    n_units: int,
    n_times: int,
    unit_labels,
    time_labels,
    hint: str,
) -> None:
    """Raise a clear error if some unit is not observed in every period."""
    counts = np.bincount(unit_codes, minlength=n_units)
    bad = np.flatnonzero(counts < n_times)
    if bad.size:
        u = bad[0]
        seen = set(time_codes[unit_codes == u].tolist())
        missing = [time_labels[j] for j in range(n_times) if j not in seen]
        raise DataValidationError(
            f"unbalanced panel: {bad.size} of {n_units} units are not observed in all "
            f"{n_times} periods (e.g. unit {unit_labels[u]!r} misses "
            f"{', '.join(map(_fmt_time, missing[:5]))}). {hint}"
        )


def _fmt_time(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def absorbing_first_treated(
    unit_codes: np.ndarray, times: np.ndarray, d: np.ndarray, n_units: int, unit_labels
) -> np.ndarray:
    """First treated period per unit from a 0/1 treatment indicator.

    Raises DataValidationError when a unit switches treatment off (staggered adoption
    requires treatment to be absorbing). Never treated units get 0.
    """
    order = np.lexsort((times, unit_codes))
    u, t, dd = unit_codes[order], times[order], d[order]
    same = u[1:] == u[:-1]
    off = same & (dd[:-1] == 1) & (dd[1:] == 0)
    if off.any():
        i = np.flatnonzero(off)[0]
        raise DataValidationError(
            f"unit {unit_labels[u[i]]!r} switches treatment off (treated in "
            f"{_fmt_time(t[i])}, untreated in {_fmt_time(t[i + 1])}); these estimators "
            "need staggered adoption: once treated, always treated. Drop such units or "
            "recode the treatment."
        )
    g = np.zeros(n_units)
    first = np.full(n_units, np.inf)
    np.minimum.at(first, u[dd == 1], t[dd == 1])
    g[np.isfinite(first)] = first[np.isfinite(first)]
    return g


def norm_p(z: np.ndarray | float) -> np.ndarray | float:
    """Two-sided normal p-value."""
    return 2.0 * stats.norm.sf(np.abs(z))
