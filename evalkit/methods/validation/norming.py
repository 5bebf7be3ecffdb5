r"""Norm tables: percentile ranks of raw scores by age band and gender.

The percentile rank of raw score x in a norm group of n respondents is the mid-point
definition (Crocker & Algina 1986; ``scipy.stats.percentileofscore(kind="mean")``):

.. math:: PR(x) = 100 \, \frac{\#\{s < x\} + \tfrac12 \#\{s = x\}}{n}.

Norm groups (cells) with fewer respondents than the privacy threshold are suppressed
with :func:`evalkit.privacy.suppress`: their percentiles are blanked and flagged. The norm
groups partition the group with everyone, so a hidden group could be recovered as the total
minus the shown groups (its ``n``, its count at every raw score, its mean); as the disclosure
layer's rule R3 (:mod:`evalkit.reports.disclosure`), more groups are hidden -- the smallest
shown one first -- until the respondents in all hidden groups together number at least the
threshold (secondary or complementary suppression).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_dataframe, check_lang
from evalkit.core.errors import DataValidationError, ParameterError, SmallSampleWarning
from evalkit.core.i18n import Message, fmt_number
from evalkit.core.language import resolve_lang
from evalkit.core.privacy import DEFAULT_MIN_CELL, check_min_cell, suppress
from evalkit.core.results import Result, tidy_frame

__all__ = ["norms", "NormsResult", "DEFAULT_QUANTILES", "TOTAL_GROUP"]

#: Percentiles reported per norm group.
DEFAULT_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


#: Key of the norm group with everyone (in ``table``/``quantiles``; language-independent).
TOTAL_GROUP = "totaal"


def _group_label(group: str, lang: str) -> str:
    """Display label of a norm group: the all-respondents group in the report language."""
    return i18n.t("validation.norms.total", lang) if group == TOTAL_GROUP else str(group)


@dataclass(repr=False)
class NormsResult(Result):
    """Result of :func:`norms`.

    Attributes
    ----------
    table : DataFrame
        Long table: one row per norm group and raw score with ``group`` (cell label),
        the ``by`` columns, ``score``, ``n`` (respondents in the group), ``count``,
        ``percentile_rank``, ``cumulative_share`` and ``suppressed``.
    wide : DataFrame
        Percentile ranks with raw scores as rows and norm groups as columns.
    quantiles : DataFrame
        Per norm group: ``n``, the mean, SD and the raw score at each requested percentile.
    secondary : tuple of str
        Norm groups large enough to show but hidden so that a small group cannot be recovered
        from the total by subtraction (flagged ``suppressed`` like the small ones).

    ``n`` (in ``tidy()``): respondents in the norm group of that row.
    """

    table: pd.DataFrame
    quantiles: pd.DataFrame
    by: tuple
    score: str
    min_cell: int
    secondary: tuple = ()

    title = Message("validation.title.norms")

    @property
    def wide(self) -> pd.DataFrame:
        return self.table.pivot(index="score", columns="group", values="percentile_rank")

    def tidy(self) -> pd.DataFrame:
        rows = [
            {
                "term": f"{r.group}|{self.score}={r.score:g}",
                "estimate": r.percentile_rank,
                "n": r.n,
                "group": r.group,
                "score": r.score,
                "count": r.count,
                "cumulative_share": r.cumulative_share,
                "suppressed": bool(r.suppressed),
            }
            for r in self.table.itertuples(index=False)
        ]
        return tidy_frame(rows, extra=("group", "score", "count", "cumulative_share", "suppressed"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        q = self.quantiles
        nsup = int(q["suppressed"].sum()) - len(self.secondary)
        head = i18n.t(
            "validation.norms.summary_head",
            lang,
            score=self.score,
            by=", ".join(self.by),
            n_groups=len(q),
            n_suppressed=nsup,
            min_cell=self.min_cell,
        )
        if self.secondary:
            head += " " + i18n.t(
                "validation.norms.secondary",
                lang,
                groups="; ".join(_group_label(g, lang) for g in self.secondary),
            )
        q = q.drop(columns=list(self.by)).rename(index=lambda g: _group_label(g, lang))
        return head + "\n\n" + q.to_string(float_format=lambda v: fmt_number(v, 1, lang), na_rep="–")

    def plot(self, *, ax=None, lang: str | None = None):
        """Percentile-rank curves per norm group (suppressed groups omitted)."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        t = self.table[~self.table["suppressed"]]
        for i, (g, sub) in enumerate(t.groupby("group", sort=False)):
            ax.step(
                sub["score"],
                sub["percentile_rank"],
                where="mid",
                # six hues, then the same hues dashed: no two curves alike
                color=PALETTE[i % 6],
                linestyle=("-", "--", ":", "-.")[(i // 6) % 4],
                label=f"{_group_label(g, lang)} (n={int(sub['n'].iloc[0])})",
            )
        ax.set_ylim(0, 100)
        ax.set_xlabel(i18n.t("figures.norms.x", lang, score=self.score))
        ax.set_ylabel(i18n.t("figures.norms.y", lang))
        ax.set_title(i18n.t("figures.norms.title", lang), fontsize="medium")
        legend_outside(ax, fontsize=8)
        return localize_axes(ax, lang)


def _complementary_groups(n: pd.Series, hidden, total: str, min_cell: int) -> list[str]:
    """Norm groups to hide besides ``hidden`` so that no hidden group can be recovered by
    subtraction (secondary suppression).

    ``n`` holds the respondents per norm group (index: group label), ``total`` names the
    group with everyone, which the other groups partition. While the respondents in the
    hidden groups together -- the total minus the shown groups -- number more than zero but
    fewer than ``min_cell``, the smallest shown group is hidden too (the total itself when
    no group is left), as the disclosure layer's rule R3 does.

    >>> n = pd.Series({"a": 4, "b": 30, "c": 25, "totaal": 59})
    >>> _complementary_groups(n, {"a"}, "totaal", 10)
    ['c']
    >>> _complementary_groups(n, {"a", "c"}, "totaal", 10)
    []
    """
    hidden = set(hidden)
    if total not in n.index or total in hidden:
        return []
    cells = [g for g in n.index if g != total]
    extra: list[str] = []
    while True:
        shown = [g for g in cells if g not in hidden]
        rest = float(n[total]) - float(sum(n[g] for g in shown))
        if not 0 < rest < min_cell:
            return extra
        pick = min(shown, key=lambda g: (float(n[g]), str(g))) if shown else total
        hidden.add(pick)
        extra.append(pick)
        if pick == total:
            return extra


def _numbers(values, name: str) -> list[float]:
    """A non-empty list of finite numbers, or a ParameterError naming the argument."""
    if isinstance(values, (str, bytes)) or not isinstance(
        values, (Sequence, np.ndarray, pd.Series, pd.Index)
    ):
        raise ParameterError(f"{name} must be a list of numbers, got {values!r}.")
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a list of numbers, got {values!r}.") from None
    if not out or not np.all(np.isfinite(out)):
        raise ParameterError(f"{name} must be a non-empty list of finite numbers, got {values!r}.")
    return out


def norms(
    data: pd.DataFrame,
    *,
    score: str,
    by: Sequence[str] = ("age_band", "gender"),
    scores: Sequence[float] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    include_total: bool = True,
) -> NormsResult:
    """Percentile norms of a scale score by norm group, with small cells suppressed.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (use one wave only).
    score : str
        Raw (sub)scale score column.
    by : sequence of str
        Columns defining the norm groups (default age band and gender); ``()`` (or
        ``None``) for one overall norm group.
    scores : sequence of float, optional
        Raw scores to tabulate (default: every integer from the lowest to the highest
        observed score if the scores are whole numbers, else the observed values).
    min_cell : int
        Privacy threshold: norm groups with fewer respondents are suppressed.
    quantiles : sequence of float
        Percentiles (0-1) whose raw scores are reported per norm group.
    include_total : bool
        Add a norm group with everyone: key ``"totaal"`` (:data:`TOTAL_GROUP`) in the
        tables, shown as "totaal" (nl) / "total" (en) by ``summary()`` and ``plot()``.

    Returns
    -------
    NormsResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"s": [1, 2, 2, 3] * 5, "sex": ["a", "b"] * 10})
    >>> res = norms(df, score="s", by=["sex"], min_cell=5)
    >>> float(res.wide.loc[2.0, "sex=a"])  # group a: five 1s and five 2s -> (5 + 5/2) / 10
    75.0
    """
    data = check_dataframe(data)
    min_cell = check_min_cell(min_cell)
    if not isinstance(score, str):
        raise ParameterError(f"score must name one column of data (a string), got {score!r}.")
    if by is None:
        by = ()
    if isinstance(by, str):
        by = [by]
    elif isinstance(by, (list, tuple, pd.Index)):
        by = list(by)
    else:
        raise ParameterError(f"by must be a column name or a list of column names, got {by!r}.")
    check_columns(data, score=score, by=by)
    if score in by:
        raise ParameterError("score cannot also be a norm-group column in by.")
    if not isinstance(include_total, (bool, np.bool_)):
        raise ParameterError(f"include_total must be True or False, got {include_total!r}.")
    qs = _numbers(quantiles, "quantiles")
    if any(not 0 < q < 1 for q in qs):
        raise ParameterError("quantiles must lie strictly between 0 and 1.")
    if scores is not None:
        scores = _numbers(scores, "scores")
    s = pd.to_numeric(data[score], errors="coerce")
    if (s.isna() & data[score].notna()).any():
        raise DataValidationError(f"score={score!r} has non-numeric values.")
    if np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).any():
        raise DataValidationError(f"score={score!r} has infinite values; scores must be finite.")
    keep = s.notna()
    for c in by:
        keep &= data[c].notna()
    if keep.sum() == 0:
        raise DataValidationError("no respondent has a score and every norm-group variable.")
    df = pd.DataFrame({c: data.loc[keep, c].astype(str) for c in by})
    df["_score"] = s[keep].astype(float).to_numpy()
    if scores is None:
        v = df["_score"].to_numpy()
        if np.all(v == np.round(v)):
            grid = np.arange(v.min(), v.max() + 1.0)
        else:
            grid = np.unique(v)
    else:
        grid = np.asarray(sorted(float(x) for x in scores))
    groups = []
    if by:
        for key, sub in df.groupby(by, sort=True, observed=True):
            key = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{c}={k}" for c, k in zip(by, key))
            groups.append((label, dict(zip(by, key)), sub["_score"].to_numpy()))
    if include_total or not by:
        groups.append((TOTAL_GROUP, {c: TOTAL_GROUP for c in by}, df["_score"].to_numpy()))
    rows, qrows = [], []
    for label, keys, v in groups:
        n = len(v)
        v_sorted = np.sort(v)
        below = np.searchsorted(v_sorted, grid, side="left")
        upto = np.searchsorted(v_sorted, grid, side="right")
        for x, b, u in zip(grid, below, upto):
            rows.append(
                {
                    "group": label,
                    **keys,
                    "score": float(x),
                    "n": n,
                    "count": int(u - b),
                    "percentile_rank": 100.0 * (b + 0.5 * (u - b)) / n,
                    "cumulative_share": u / n,
                }
            )
        qrow = {
            "group": label,
            **keys,
            "n": n,
            "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if n > 1 else np.nan,
        }
        for q in qs:
            qrow[f"p{round(q * 100):02d}"] = float(np.quantile(v, q))
        qrows.append(qrow)
    table = pd.DataFrame(rows)
    qtab = pd.DataFrame(qrows)
    n_group = qtab.set_index("group")["n"]
    small = set(n_group.index[n_group < min_cell])
    secondary = _complementary_groups(n_group, small, TOTAL_GROUP, min_cell) if by else []
    # one warning below for both tables (suppress itself stays silent)
    table = _suppress(table, secondary, min_cell, keep=["group", *by, "score"])
    qtab = _suppress(qtab, secondary, min_cell, keep=["group", *by])
    if qtab["suppressed"].any():
        from evalkit.core.errors import PrivacyWarning

        warnings.warn(
            f"{len(small)} norm group(s) with fewer than {min_cell} respondents suppressed"
            + (
                f", and {len(secondary)} more so that none can be recovered from the total by "
                "subtraction (secondary suppression)."
                if secondary
                else "."
            ),
            PrivacyWarning,
            stacklevel=2,
        )
    small = qtab.loc[~qtab["suppressed"] & (qtab["n"] < 100), "group"].tolist()
    if small:
        warnings.warn(
            f"norm groups with fewer than 100 respondents ({'; '.join(small)}) give imprecise percentiles.",
            SmallSampleWarning,
            stacklevel=2,
        )
    return NormsResult(
        table=table,
        quantiles=qtab.set_index("group"),
        by=tuple(by),
        score=score,
        min_cell=min_cell,
        secondary=tuple(secondary),
    )


def _suppress(tab: pd.DataFrame, secondary: list[str], min_cell: int, keep: list[str]) -> pd.DataFrame:
    """:func:`evalkit.privacy.suppress` of the small groups and of the ``secondary`` ones."""
    rule_n = tab["n"].where(~tab["group"].isin(secondary))  # a secondary group: as if its count were unknown
    out = suppress(tab.assign(_rule_n=rule_n), n="_rule_n", min_cell=min_cell, keep=keep, warn=False)
    return out.drop(columns="_rule_n")
