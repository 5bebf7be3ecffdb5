"""Argument checks shared by every public function.

Invalid options raise :class:`evalkit.ParameterError` (a ``ValueError``) naming the
parameter and the allowed values; user input is never checked with ``assert``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from evalkit.core.errors import DataValidationError, ParameterError
from evalkit.core.i18n import check_lang as i18n_check_lang
from evalkit.core.i18n import error


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; else raise ParameterError."""
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise error(ParameterError, "core.checks.not_allowed", name=name, value=repr(value), allowed=shown)
    return value


def check_dataframe(data: Any, name: str = "data") -> pd.DataFrame:
    """Require a non-empty pandas DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"{name} must be a pandas DataFrame, not {type(data).__name__}.")
    if data.shape[0] == 0:
        raise DataValidationError(f"{name} is empty (0 rows).")
    return data


def check_columns(data: pd.DataFrame, **columns: str | Sequence[str] | None) -> None:
    """Check that every named column argument exists in ``data``.

    ``check_columns(df, outcome="score", unit="id")`` raises a ParameterError such as
    ``outcome='score' is not a column of data; columns are: ...``.
    """
    present = set(map(str, data.columns))
    for param, cols in columns.items():
        if cols is None:
            continue
        if isinstance(cols, str):
            seq = [cols]
        elif isinstance(cols, (list, tuple, pd.Index, pd.Series)) or (
            isinstance(cols, Iterable) and not isinstance(cols, (bytes, dict))
        ):
            seq = list(cols)
        else:
            raise ParameterError(f"{param} must name a column (a string) or a list of columns, got {cols!r}.")
        for col in seq:
            if not isinstance(col, str):
                raise ParameterError(f"{param} must name columns by string, got {col!r}.")
            if col not in present:
                avail = ", ".join(map(str, list(data.columns)[:30]))
                raise ParameterError(f"{param}={col!r} is not a column of data; columns are: {avail}.")
            check_unique_column(data, col)


def check_unique_column(data: pd.DataFrame, col: str) -> None:
    """A column used by name must occur once (``df[col]`` is otherwise a DataFrame)."""
    k = sum(str(c) == col for c in data.columns)
    if k > 1:
        raise DataValidationError(
            f"the column {col!r} occurs {k} times in data; rename or drop the duplicates."
        )


def check_confidence(confidence: float, name: str = "confidence") -> float:
    """Require 0 < confidence < 1."""
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number between 0 and 1, got {confidence!r}.") from None
    if not 0.0 < c < 1.0:
        raise ParameterError(f"{name} must lie strictly between 0 and 1, got {confidence!r}.")
    return c


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """Require an integer >= ``minimum``."""
    bad = error(ParameterError, "core.checks.positive_int", name=name, minimum=minimum, value=repr(value))
    if (
        isinstance(value, bool)
        or not isinstance(value, (int,))
        and not (hasattr(value, "is_integer") and float(value).is_integer())
    ):
        raise bad
    v = int(value)
    if v < minimum:
        raise bad
    return v


def check_lang(lang: str) -> str:
    """Languages of summaries and reports: Dutch (default) or English."""
    return i18n_check_lang(lang)
