"""Item analysis: response distributions, missingness, floor/ceiling, item-total statistics.

Follows ``psych::alpha`` (Revelle) for the item-total statistics: the corrected item-total
correlation ``r.drop`` (item against the sum of the *other* items) and alpha if the item
is deleted, both from the pairwise-complete covariance matrix; floor and ceiling effects
as in Terwee et al. (2007): the share of respondents at the lowest / highest possible
score, flagged above 15%.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_dataframe, check_lang
from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError, SmallSampleWarning
from evalkit.core.i18n import Message, fmt_number, fmt_pct
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table

__all__ = ["item_analysis", "ItemAnalysisResult", "FLOOR_CEILING_THRESHOLD"]

#: Share of respondents at the lowest/highest possible score above which an effect is flagged
#: (Terwee et al. 2007; McHorney & Tarlov 1995).
FLOOR_CEILING_THRESHOLD = 0.15


# ----------------------------------------------------------------------------- shared helpers
def prepare_items(data, items, *, reverse=(), scale_range=None, min_n=3, what="item_analysis"):
    """Numeric item frame with reverse-keyed items recoded as ``min + max - x``.

    Returns ``(frame, items, (lo, hi))``. Raises clear errors for a missing column, a
    non-numeric item, an item without variance and too few respondents.
    """
    data = check_dataframe(data)
    if items is None:
        raise ParameterError("items must list the item columns, e.g. items=['y01', 'y02'].")
    if isinstance(items, str):
        raise ParameterError("items must be a list of column names, not a single string.")
    items = list(items)
    if len(set(items)) != len(items):
        raise ParameterError("items contains duplicate column names.")
    if len(items) < 2:
        raise ParameterError(f"{what} needs at least 2 items, got {len(items)}.")
    check_columns(data, items=items)
    reverse = [reverse] if isinstance(reverse, str) else list(reverse or ())
    unknown = [r for r in reverse if r not in items]
    if unknown:
        raise ParameterError(f"reverse={unknown} are not among items.")
    x = pd.DataFrame(index=data.index)
    for c in items:
        col = data[c]
        if not (pd.api.types.is_numeric_dtype(col) or col.isna().all()):
            conv = pd.to_numeric(col, errors="coerce")
            if conv.notna().sum() < col.notna().sum():
                raise DataValidationError(f"item {c!r} has non-numeric answers.")
            col = conv
        x[c] = col.astype(float)
    infinite = [c for c in items if np.isinf(x[c].to_numpy(dtype=float, na_value=np.nan)).any()]
    if infinite:
        raise DataValidationError(f"item(s) with infinite values: {infinite}; answers must be finite.")
    answered = x.notna().any(axis=1)
    x = x.loc[answered]
    if len(x) < min_n:
        raise DataValidationError(f"{what} needs at least {min_n} respondents, got {len(x)}.")
    empty = [c for c in items if x[c].notna().sum() == 0]
    if empty:
        raise DataValidationError(f"items without any answer: {empty}.")
    flat = [c for c in items if x[c].nunique(dropna=True) < 2]
    if flat:
        raise DataValidationError(
            f"item(s) without variance (everyone gave the same answer): {flat}; drop them or check the data."
        )
    if scale_range is None:
        lo, hi = float(np.nanmin(x.to_numpy())), float(np.nanmax(x.to_numpy()))
    else:
        try:
            lo, hi = (float(v) for v in scale_range)
        except (TypeError, ValueError):
            raise ParameterError(f"scale_range must be (lowest, highest), got {scale_range!r}.") from None
        if not lo < hi:
            raise ParameterError(
                f"scale_range must be (lowest, highest) with lowest < highest, got {scale_range!r}."
            )
        outside = [c for c in items if ((x[c] < lo) | (x[c] > hi)).any()]
        if outside:
            raise DataValidationError(f"answers outside scale_range {scale_range!r} in item(s) {outside}.")
    for c in reverse:
        x[c] = lo + hi - x[c]
    return x, items, (lo, hi)


def alpha_from_cov(c: np.ndarray) -> float:
    """Cronbach's alpha k/(k-1) (1 - tr C / 1'C1) from a covariance matrix."""
    k = c.shape[0]
    return (1.0 - np.trace(c) / c.sum()) * k / (k - 1.0)


def std_alpha_from_cov(c: np.ndarray) -> float:
    """Standardised alpha from the correlation matrix implied by ``c``."""
    d = 1.0 / np.sqrt(np.diag(c))
    r = c * np.outer(d, d)
    k = c.shape[0]
    return (1.0 - k / r.sum()) * k / (k - 1.0)


def pairwise_cov(x: pd.DataFrame) -> np.ndarray:
    """Pairwise-complete covariance matrix (divisor n - 1), as R's cov(use="pairwise")."""
    return x.cov(min_periods=2).to_numpy(dtype=float)


# ----------------------------------------------------------------------------- result
@dataclass(repr=False)
class ItemAnalysisResult(Result):
    """Result of :func:`item_analysis`.

    Attributes
    ----------
    table : DataFrame
        One row per item (index) with ``n, n_missing, missing_share, mean, sd, floor,
        ceiling, floor_flag, ceiling_flag, r_drop, alpha_if_deleted``.
    distribution : DataFrame
        Share of respondents per answer category as answered, before reverse keying
        (items x categories; missing excluded).
    counts : DataFrame
        The same as counts.
    total : Series
        The sum score over complete respondents: ``n, mean, sd, floor, ceiling,
        floor_flag, ceiling_flag``.

    ``n`` (in ``tidy()``): respondents with an answer to that item; the ``total`` row counts complete respondents.
    """

    table: pd.DataFrame
    distribution: pd.DataFrame
    counts: pd.DataFrame
    total: pd.Series
    scale_range: tuple
    reverse: tuple
    threshold: float
    unused: dict

    title = Message("validation.title.item_analysis")

    def tidy(self) -> pd.DataFrame:
        """One row per item; ``estimate`` is the corrected item-total correlation."""
        rows = []
        for item, r in self.table.iterrows():
            rows.append(
                {
                    "term": item,
                    "estimate": r["r_drop"],
                    "n": int(r["n"]),
                    "mean": r["mean"],
                    "sd": r["sd"],
                    "missing_share": r["missing_share"],
                    "floor": r["floor"],
                    "ceiling": r["ceiling"],
                    "floor_flag": bool(r["floor_flag"]),
                    "ceiling_flag": bool(r["ceiling_flag"]),
                    "alpha_if_deleted": r["alpha_if_deleted"],
                }
            )
        t = self.total
        rows.append(
            {
                "term": "total",
                "n": int(t["n"]),
                "mean": t["mean"],
                "sd": t["sd"],
                "floor": t["floor"],
                "ceiling": t["ceiling"],
                "floor_flag": bool(t["floor_flag"]),
                "ceiling_flag": bool(t["ceiling_flag"]),
            }
        )
        return tidy_frame(
            rows,
            extra=(
                "mean",
                "sd",
                "missing_share",
                "floor",
                "ceiling",
                "floor_flag",
                "ceiling_flag",
                "alpha_if_deleted",
            ),
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        thr = fmt_pct(self.threshold, 0, lang)
        flagged = [i for i, r in self.table.iterrows() if r["floor_flag"] or r["ceiling_flag"]]
        low = self.table.index[self.table["r_drop"] < 0.30].tolist()
        lines = [
            i18n.t(
                "validation.items.summary_head",
                lang,
                n_items=str(len(self.table)),
                low=fmt_number(self.scale_range[0], 0, lang),
                high=fmt_number(self.scale_range[1], 0, lang),
                n=str(int(self.total["n"])),
            ),
            i18n.t(
                "validation.items.floor_ceiling",
                lang,
                threshold=thr,
                items=", ".join(flagged) if flagged else i18n.t("validation.items.no_items", lang),
            ),
            i18n.t(
                "validation.items.low_item_total",
                lang,
                items=", ".join(low) if low else i18n.t("validation.items.none", lang),
            ),
            i18n.t(
                "validation.items.total_floor_ceiling",
                lang,
                floor=fmt_pct(self.total["floor"], 1, lang),
                ceiling=fmt_pct(self.total["ceiling"], 1, lang),
            ),
        ]
        cols = ["n", "missing_share", "mean", "sd", "floor", "ceiling", "r_drop", "alpha_if_deleted"]
        tab = text_table(self.table[cols], lang, digits=2)
        return "\n".join(lines) + "\n\n" + tab

    def plot(self, *, ax=None, lang: str | None = None):
        """Stacked bars of the response distribution per item."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax, figsize=(7.0, 0.8 + 0.35 * len(self.distribution)))
        dist = self.distribution.iloc[::-1]
        left = np.zeros(len(dist))
        colors = PALETTE * 3
        for j, cat in enumerate(dist.columns):
            ax.barh(
                dist.index,
                dist[cat].to_numpy() * 100,
                left=left * 100,
                color=colors[j],
                label=fmt_number(float(cat), 0, lang),
            )
            left += dist[cat].to_numpy()
        ax.set_xlim(0, 100)
        ax.set_xlabel(i18n.t("validation.items.share_of_respondents", lang))
        from evalkit.core.plotting import legend_outside

        legend_outside(
            ax, loc="below", title=i18n.t("validation.items.answer", lang), ncol=min(len(dist.columns), 6)
        )
        ax.set_title(i18n.t("validation.items.plot_title", lang))
        return localize_axes(ax, lang)


def item_analysis(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    scale_range: tuple[float, float] | None = None,
    threshold: float = FLOOR_CEILING_THRESHOLD,
) -> ItemAnalysisResult:
    """Classical item analysis of a multi-item scale.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Item columns (numeric answers, e.g. 0-4).
    reverse : list of str
        Reverse-keyed items, recoded as ``lo + hi - x`` before the item-total statistics
        (as ``psych::alpha(keys=...)``).
    scale_range : (lowest, highest), optional
        Lowest and highest possible answer (e.g. ``(0, 4)``; from the codebook). Default:
        the observed range over all items -- give it, or floor/ceiling effects and unused
        categories cannot be judged.
    threshold : float
        Floor/ceiling flag when more than this share is at the extreme (default 0.15).

    Returns
    -------
    ItemAnalysisResult
        ``table`` per item: ``r_drop`` = correlation of the item with the sum of the other
        items, from the pairwise covariance matrix C:
        ``r_drop_i = sum_{j!=i} C_ij / sqrt(C_ii * sum_{j,l!=i} C_jl)``; ``alpha_if_deleted``
        = Cronbach's alpha of C without item i (both equal psych::alpha's ``r.drop`` and
        ``alpha.drop$raw_alpha``). Floor/ceiling per item = share of answers at
        ``lo``/``hi`` after reverse keying (so the floor is always the end of the scale
        that scores lowest); for the total = share of complete respondents with the
        lowest/highest possible sum score. ``distribution`` and the unused-category check
        use the answers as given.

    Warns
    -----
    DataQualityWarning
        An answer category nobody used (whole-number answer scales only).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [0, 1, 2, 3, 4, 2], "b": [1, 1, 2, 4, 3, 2], "c": [0, 2, 2, 3, 4, 1]})
    >>> res = item_analysis(df, items=["a", "b", "c"], scale_range=(0, 4))
    >>> round(float(res.table.loc["a", "floor"]), 3)
    0.167
    """
    if not 0 < float(threshold) < 1:
        raise ParameterError(f"threshold must lie strictly between 0 and 1, got {threshold!r}.")
    raw_n = len(check_dataframe(data))
    x, items, (lo, hi) = prepare_items(data, items, reverse=reverse, scale_range=scale_range)
    if len(x) < 30:
        warnings.warn(
            f"only {len(x)} respondents: item statistics are imprecise.", SmallSampleWarning, stacklevel=2
        )
    c = pairwise_cov(x)
    if not np.all(np.isfinite(c)):
        raise DataValidationError("some pairs of items have fewer than 2 common respondents.")
    k = len(items)
    rows = []
    for i, item in enumerate(items):
        others = [j for j in range(k) if j != i]
        cov_rest = c[i, others].sum()
        var_rest = c[np.ix_(others, others)].sum()
        col = x[item]
        nn = int(col.notna().sum())
        rows.append(
            {
                "n": nn,
                "n_missing": raw_n - nn,
                "missing_share": (raw_n - nn) / raw_n,
                "mean": float(col.mean()),
                "sd": float(col.std(ddof=1)),
                "floor": float((col == lo).sum() / nn),
                "ceiling": float((col == hi).sum() / nn),
                "r_drop": float(cov_rest / np.sqrt(c[i, i] * var_rest)),
                "alpha_if_deleted": float(alpha_from_cov(c[np.ix_(others, others)])) if k > 2 else np.nan,
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(items, name="item"))
    table["floor_flag"] = table["floor"] > threshold
    table["ceiling_flag"] = table["ceiling"] > threshold
    table = table[
        [
            "n",
            "n_missing",
            "missing_share",
            "mean",
            "sd",
            "floor",
            "ceiling",
            "floor_flag",
            "ceiling_flag",
            "r_drop",
            "alpha_if_deleted",
        ]
    ]

    raw = x.copy()  # the answers as given (before reverse keying) for the distributions
    for col in reverse or ():
        raw[col] = lo + hi - raw[col]
    observed = np.unique(raw.to_numpy()[~np.isnan(raw.to_numpy())])
    integer_scale = (
        float(lo).is_integer() and float(hi).is_integer() and np.all(observed == np.round(observed))
    )
    cats = np.arange(lo, hi + 1.0) if integer_scale and hi - lo <= 20 else observed
    counts = pd.DataFrame({cat: (raw == cat).sum() for cat in cats}, index=pd.Index(items, name="item"))
    counts.columns = pd.Index([int(cat) if float(cat).is_integer() else cat for cat in cats], name="answer")
    distribution = counts.div(table["n"], axis=0)
    unused = {item: [cat for cat in counts.columns if counts.at[item, cat] == 0] for item in items}
    unused = {k_: v for k_, v in unused.items() if v}
    # categories exist only on a whole-number (ordinal) answer scale; continuous scores
    # (e.g. means of subtests) have no "unused category"
    if unused and integer_scale:
        shown = "; ".join(f"{k_}: {v}" for k_, v in unused.items())
        warnings.warn(
            f"answer categories nobody used ({shown}); consider merging categories before ordinal analyses.",
            DataQualityWarning,
            stacklevel=2,
        )

    complete = x.dropna()
    s = complete.sum(axis=1)
    lo_tot, hi_tot = lo * k, hi * k
    nt = len(complete)
    floor_t = float((s == lo_tot).sum() / nt) if nt else np.nan
    ceiling_t = float((s == hi_tot).sum() / nt) if nt else np.nan
    total = pd.Series(
        {
            "n": float(nt),
            "mean": float(s.mean()) if nt else np.nan,
            "sd": float(s.std(ddof=1)) if nt > 1 else np.nan,
            "floor": floor_t,
            "ceiling": ceiling_t,
            "floor_flag": bool(floor_t > threshold),
            "ceiling_flag": bool(ceiling_t > threshold),
        },
        dtype=object,
    )
    return ItemAnalysisResult(
        table=table,
        distribution=distribution,
        counts=counts,
        total=total,
        scale_range=(lo, hi),
        reverse=tuple(reverse or ()),
        threshold=float(threshold),
        unused=unused,
    )
