"""Data preparation of the SEM engine: checks, listwise deletion, group labels.

:func:`prepare_continuous` serves the normal-theory estimators (ML), :func:`prepare_ordinal`
the ordinal ones (WLSMV). Both check the model's variables against the data and name
the column, group and rule in their messages.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from evalkit.core.checks import check_columns, check_dataframe, check_option, check_unique_column
from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError, SmallSampleWarning
from evalkit.methods.validation.model_syntax import GROUP_EQUAL_OPTIONS, ParsedModel
from evalkit.methods.validation.ordinal import ordinal_codes

__all__ = ["prepare_continuous", "prepare_ordinal", "group_labels", "check_equal"]


def prepare_continuous(
    data: pd.DataFrame,
    parsed: ParsedModel,
    group: str | None,
    *,
    min_group_size: int | None = None,
    missing: str = "listwise",
) -> tuple[pd.DataFrame, list[str]]:
    """The rows used and the group labels in order of appearance (lavaan's).

    ``missing="listwise"``: complete cases of the model's items (and group);
    ``missing="fiml"``: every row with at least one answer (and a group); missing answers
    (and non-finite values) stay NaN.
    """
    fiml = missing == "fiml"
    check_dataframe(data)
    cols = set(map(str, data.columns))
    unknown = [v for v in parsed.observed if v not in cols]
    if unknown:
        raise ParameterError(
            "model syntax names variables that are not columns of data: "
            + ", ".join(repr(u) for u in unknown)
            + f" (latent variables are: {', '.join(parsed.latent)})."
        )
    clash = [v for v in parsed.latent if v in cols]
    if clash:
        raise ParameterError(
            f"latent variable name(s) {', '.join(map(repr, clash))} are also columns of data; "
            "rename the factor(s)."
        )
    if group is not None:
        check_columns(data, group=group)
        if group in parsed.observed:
            raise ParameterError(f"group={group!r} is also an indicator of the model.")
    items = list(parsed.observed)
    use = items + ([group] if group is not None else [])
    for c in use:
        check_unique_column(data, c)
    df = data[use]
    for c in items:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise DataValidationError(f"item {c!r} is not numeric (dtype {df[c].dtype}).")
    x = df[items].to_numpy(dtype=float)
    finite = np.isfinite(x)
    complete = finite.any(axis=1) if fiml else finite.all(axis=1)
    if group is not None:
        complete &= df[group].notna().to_numpy()
    n_drop = int((~complete).sum())
    if n_drop:
        warnings.warn(
            (
                f"{n_drop} of {len(df)} respondents without any answer on the items"
                + (" or without a group" if group else "")
                + " were left out (FIML uses every answer given)."
                if fiml
                else f"{n_drop} of {len(df)} respondents with missing values on the items"
                + (" or the group" if group else "")
                + " were dropped (listwise deletion, lavaan's default; missing='fiml' uses them)."
            ),
            DataQualityWarning,
            stacklevel=3,
        )
        df = df.loc[complete]
        x = x[complete]
    if fiml:
        x = np.where(np.isfinite(x), x, np.nan)
    if len(df) == 0:
        raise DataValidationError(
            "no respondent has answers on the items of the model."
            if fiml
            else "no respondent has complete answers on all items of the model."
        )
    if group is None:
        groups = ["all"]
        codes = np.zeros(len(x), dtype=np.int64)
    else:
        labels = group_labels(df[group])
        codes, uniq = pd.factorize(labels)  # order of appearance, as lavaan
        groups = [str(u) for u in uniq]
        if len(groups) < 2:
            raise DataValidationError(
                f"group={group!r} has only one value ({groups[0]!r}) in the complete cases."
            )
        df = df.assign(**{group: labels})
    p = len(items)
    for k, g in enumerate(groups):
        sub = x if group is None else x[codes == k]
        where = "" if group is None else f" in group {g!r}"
        need = max(p + 1, min_group_size or 0)
        if len(sub) < need:
            raise DataValidationError(
                f"too few respondents{where}: {len(sub)} with {'answers' if fiml else 'complete answers'}, "
                f"at least {need} needed for {p} items."
            )
        nan = np.isnan(sub)
        lows = np.where(nan, np.inf, sub).min(axis=0)
        highs = np.where(nan, -np.inf, sub).max(axis=0)
        const = [c for c, lo, hi in zip(items, lows, highs) if not hi > lo]
        if const:
            raise DataValidationError(
                f"item(s) {', '.join(map(repr, const))} have no variance{where} (everyone gave "
                "the same answer); drop them from the model."
            )
        if len(sub) < 5 * p:
            warnings.warn(
                f"only {len(sub)} respondents{where} for {p} items; CFA estimates and fit "
                "indices are unstable below about 5-10 respondents per item.",
                SmallSampleWarning,
                stacklevel=3,
            )
    return df, groups


def group_labels(col: pd.Series) -> pd.Series:
    """Group labels as text; whole numbers stored as floats (a column with a missing value)
    print as ``7``, not ``7.0``."""
    if pd.api.types.is_float_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        if np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)):
            return pd.Series(vals.astype(np.int64), index=col.index).astype(str)
    return col.astype(str)


def check_equal(equal) -> tuple[str, ...]:
    if isinstance(equal, str):
        equal = (equal,)
    equal = tuple(equal or ())
    for e in equal:
        check_option("equal", e, GROUP_EQUAL_OPTIONS)
    return equal


def _plain(v):
    """A category code as a plain Python number/string for messages (2.0 -> 2)."""
    v = v.item() if isinstance(v, np.generic) else v
    return int(v) if isinstance(v, float) and v.is_integer() else v


def prepare_ordinal(
    data: pd.DataFrame,
    parsed: ParsedModel,
    group: str | None,
    min_per_group: int | None = None,
    missing: str = "listwise",
):
    """Category codes per group, the categories, groups and items.

    ``missing="listwise"``: the complete cases; ``"pairwise"``: every row with at least one
    answer (and a group), missing answers coded -1 (lavaan's ``missing = "pairwise"``).
    """
    pairwise = missing == "pairwise"
    check_dataframe(data)
    cols = set(map(str, data.columns))
    unknown = [v for v in parsed.observed if v not in cols]
    if unknown:
        raise ParameterError(
            "model syntax names variables that are not columns of data: "
            + ", ".join(map(repr, unknown))
            + "."
        )
    clash = [v for v in parsed.latent if v in cols]
    if clash:
        raise ParameterError(f"latent variable name(s) {clash} are also columns of data.")
    items = list(parsed.observed)
    for c in items:
        check_unique_column(data, c)
    if group is not None:
        if not isinstance(group, str) or group not in cols:
            raise ParameterError(f"group={group!r} is not a column of data.")
        if group in items:
            raise ParameterError(f"group={group!r} is also an indicator of the model.")
        check_unique_column(data, group)
    use = items + ([group] if group else [])
    df = data[use]
    seen = df[items].notna().to_numpy()
    complete = seen.any(axis=1) if pairwise else seen.all(axis=1)
    if group is not None:
        complete &= df[group].notna().to_numpy()
    n_drop = int((~complete).sum())
    if n_drop:
        warnings.warn(
            f"{n_drop} of {len(df)} respondents "
            + (
                "without any answer"
                + (" or without a group" if group else "")
                + " were left out (pairwise deletion uses every answer given)."
                if pairwise
                else "with missing values on the items"
                + (" or the group" if group else "")
                + " were dropped (listwise deletion, lavaan's default for WLSMV; "
                "missing='pairwise' uses them)."
            ),
            DataQualityWarning,
            stacklevel=4,
        )
        df = df.loc[complete]
    if len(df) == 0:
        raise DataValidationError("no respondent has complete answers on all items.")
    codes_all, levels, _ = ordinal_codes(df, items, warn_dropped=False, pairwise=pairwise)
    if group is None:
        groups = ["all"]
        gidx = [np.arange(len(df))]
    else:
        labels = df[group].astype(str).to_numpy()
        # lavaan orders the groups by first appearance in the (complete) data
        groups = list(dict.fromkeys(labels.tolist()))
        if len(groups) < 2:
            raise DataValidationError(f"group={group!r} has only one value in the complete cases.")
        gidx = [np.flatnonzero(labels == g) for g in groups]
    p = len(items)
    out = []
    for g, idx in zip(groups, gidx):
        where = "" if group is None else f" in group {g!r}"
        need = max(p + 1, min_per_group or 0)
        if len(idx) < need:
            raise DataValidationError(
                f"too few respondents{where}: {len(idx)} complete, at least {need} needed for {p} items."
            )
        c = codes_all[idx]
        for j, it in enumerate(items):
            used = np.unique(c[:, j])
            used = used[used >= 0]
            if len(used) < 2:
                raise DataValidationError(f"item {it!r} has no variance{where}.")
            if len(used) != len(levels[j]):
                never = [_plain(levels[j][k]) for k in range(len(levels[j])) if k not in used]
                raise DataValidationError(
                    f"item {it!r}: category {never} is never used{where}; with groups, "
                    "every category must occur in every group (collapse categories first)."
                )
        if len(idx) < 5 * p:
            warnings.warn(
                f"only {len(idx)} respondents{where} for {p} items; WLSMV estimates "
                "are unstable in small samples.",
                SmallSampleWarning,
                stacklevel=4,
            )
        out.append(c)
    return out, levels, groups, items
