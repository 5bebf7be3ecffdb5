"""Pre/post evaluation of an intervention, reported the same way for every coalition.

Most local evaluations measure one group of participants before (``pre``) and after
(``post``) an intervention. This module pairs the two measurements per participant on
long data (one row per participant per wave) and answers: did loneliness go down, by how
much, for how many people, and how sure are we.

Functions
---------
paired
    Mean difference (paired t-test), Wilcoxon signed-rank test and standardised effect
    sizes d_z, d_av, g_av (Lakens 2013) and the standardised response mean.
proportion_change
    Share at or above a cut-off before and after, McNemar's exact test, Newcombe's CI.
reliable_change
    Jacobson-Truax reliable change index; counts of improved / unchanged / deteriorated.
attrition
    Completers versus drop-outs at baseline.
by_group
    Any of the above per subgroup (full numbers; a page shown to readers is disclosed by
    :mod:`evalkit.reports.disclosure`).

Every function returns a :class:`~evalkit.results.Result` with ``.tidy()``,
``.summary(lang="nl")``, an HTML view and (where a picture helps) ``.plot()``.
Differences are always ``post - pre``: for loneliness a negative difference is an
improvement.

References
----------
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science:
a practical primer for t-tests and ANOVAs. *Frontiers in Psychology*, 4, 863.
Algina, J., & Keselman, H. J. (2003). Approximate confidence intervals for effect sizes.
*Educational and Psychological Measurement*, 63(4), 537-553.
Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
*Introduction to Meta-Analysis*, ch. 4. Wiley.
Liang, M. H., Fossel, A. H., & Larson, M. G. (1990). Comparisons of five health status
instruments for orthopedic evaluation. *Medical Care*, 28(7), 632-642 (standardised
response mean).
McNemar, Q. (1947). Note on the sampling error of the difference between correlated
proportions or percentages. *Psychometrika*, 12, 153-157.
Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
proportions based on paired data. *Statistics in Medicine*, 17, 2635-2650.
Jacobson, N. S., & Truax, P. (1991). Clinical significance: a statistical approach to
defining meaningful change in psychotherapy research. *Journal of Consulting and Clinical
Psychology*, 59(1), 12-19.
Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
covariates between treatment groups in propensity-score matched samples. *Statistics in
Medicine*, 28, 3083-3107.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evalkit.core import i18n
from evalkit.core.checks import (
    check_columns,
    check_confidence,
    check_dataframe,
    check_lang,
    check_option,
)
from evalkit.core.errors import (
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    EvalkitWarning,
    ParameterError,
    SmallSampleWarning,
)
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.stats import wilson_interval

__all__ = [
    "paired",
    "proportion_change",
    "reliable_change",
    "attrition",
    "by_group",
    "mixed",
    "impute",
    "PairedResult",
    "ProportionChangeResult",
    "ReliableChangeResult",
    "AttritionResult",
    "ByGroupResult",
    "MixedResult",
    "ImputeResult",
]

#: Outcome names treated as a De Jong Gierveld total (fixed 0-11 axis, loneliness wording).
DJG_NAMES = (
    "total",
    "djg",
    "djg11",
    "djg6",
    "djg_total",
    "djg11_total",
    "djg6_total",
    "eenzaamheid",
    "eenzaamheidsscore",
    "loneliness",
    "loneliness_score",
)

#: Most individual lines drawn in the paired figure (a seeded random subset beyond this).
MAX_LINES = 300

_EXTRA = ("statistic", "df", "method")


# ----------------------------------------------------------------------------------------
# pairing
# ----------------------------------------------------------------------------------------
@dataclass
class _Pairs:
    """Complete pairs of one outcome, built without Python loops over units."""

    pre: np.ndarray  # outcome at pre, complete pairs only (aligned with post)
    post: np.ndarray
    codes: np.ndarray  # unit code (index into ``uniques``) of each complete pair
    uniques: pd.Index  # unit labels
    pre_value: np.ndarray  # per unit (length K): outcome at pre or NaN
    post_value: np.ndarray
    pre_row: np.ndarray  # per unit: row position (in data) of the pre row, -1 if none
    n_units: int  # units with at least one pre or post row
    n_no_post: int  # pre value but no post value
    n_no_pre: int  # post value but no pre value
    n_neither: int  # rows present but the outcome missing at both waves

    @property
    def n(self) -> int:
        return int(self.pre.size)

    @property
    def n_dropped(self) -> int:
        return self.n_units - self.n


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    """Float array of a numeric column (nullable dtypes allowed); non-numbers and
    infinite values raise."""
    if pd.api.types.is_bool_dtype(series.dtype):
        out = series.astype("float64").to_numpy()
    elif pd.api.types.is_numeric_dtype(series.dtype):
        out = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        conv = pd.to_numeric(series, errors="coerce")
        bad = conv.isna() & series.notna()
        if bad.any():
            examples = ", ".join(repr(v) for v in pd.unique(series[bad])[:5])
            raise DataValidationError(
                f"{name}={series.name!r} must be numeric; found {int(bad.sum())} non-numeric "
                f"value(s), e.g. {examples}."
            )
        out = conv.to_numpy(dtype=float, na_value=np.nan)
    n_inf = int(np.isinf(out).sum())
    if n_inf:
        raise DataValidationError(
            f"{name}={series.name!r} holds {n_inf} infinite value(s); use an empty cell (NaN) "
            "for a missing value."
        )
    return out


def _wave_mask(col: pd.Series, value) -> np.ndarray:
    return np.asarray(col.eq(value).fillna(False), dtype=bool)


def _pair(data, outcome, unit, time, pre, post) -> _Pairs:
    """Pair the ``pre`` and ``post`` rows of every unit (vectorised)."""
    data = check_dataframe(data)
    check_columns(data, outcome=outcome, unit=unit, time=time)
    if pre == post:
        raise ParameterError(f"pre and post must differ, both are {pre!r}.")
    tcol = data[time]
    is_pre = _wave_mask(tcol, pre)
    is_post = _wave_mask(tcol, post)
    if not is_pre.any() or not is_post.any():
        found = ", ".join(repr(v) for v in pd.unique(tcol.dropna())[:10])
        which = "pre" if not is_pre.any() else "post"
        raise EstimationError(
            f"No pairs: no rows with {time} == {(pre if which == 'pre' else post)!r} "
            f"({which}=); values of {time!r} are: {found}."
        )
    rows = np.flatnonzero(is_pre | is_post)
    unit_col = data[unit].iloc[rows]
    codes, uniques = pd.factorize(unit_col, sort=False)
    if (codes < 0).any():
        raise DataValidationError(
            f"{int((codes < 0).sum())} pre/post row(s) have a missing {unit!r}; every row "
            "needs a unit identifier."
        )
    y = _numeric(data[outcome].iloc[rows], "outcome")
    p = is_pre[rows]
    k = len(uniques)
    for mask, label in ((p, pre), (~p, post)):
        counts = np.bincount(codes[mask], minlength=k)
        dup = np.flatnonzero(counts > 1)
        if dup.size:
            shown = ", ".join(repr(uniques[i]) for i in dup[:5])
            more = f" and {dup.size - 5} more" if dup.size > 5 else ""
            raise DataValidationError(
                f"{dup.size} unit(s) have more than one {time} == {label!r} row: {shown}{more}. "
                f"Each {unit!r} may have one row per wave."
            )
    pre_value = np.full(k, np.nan)
    post_value = np.full(k, np.nan)
    pre_value[codes[p]] = y[p]
    post_value[codes[~p]] = y[~p]
    pre_row = np.full(k, -1, dtype=np.int64)
    pre_row[codes[p]] = rows[p]
    has_pre = ~np.isnan(pre_value)
    has_post = ~np.isnan(post_value)
    complete = has_pre & has_post
    idx = np.flatnonzero(complete)
    return _Pairs(
        pre=pre_value[idx],
        post=post_value[idx],
        codes=idx,
        uniques=pd.Index(uniques),
        pre_value=pre_value,
        post_value=post_value,
        pre_row=pre_row,
        n_units=k,
        n_no_post=int((has_pre & ~has_post).sum()),
        n_no_pre=int((~has_pre & has_post).sum()),
        n_neither=int((~has_pre & ~has_post).sum()),
    )


def _require_pairs(pairs: _Pairs, outcome: str) -> None:
    if pairs.n == 0:
        raise EstimationError(
            f"No complete pairs: none of the {pairs.n_units} unit(s) has a non-missing "
            f"{outcome!r} at both pre and post."
        )


def _warn_dropped(pairs: _Pairs) -> None:
    if pairs.n_dropped:
        warnings.warn(
            f"{pairs.n_dropped} of {pairs.n_units} unit(s) without both a pre and a post "
            f"measurement were left out ({pairs.n_no_post} without post, {pairs.n_no_pre} "
            f"without pre, {pairs.n_neither} missing at both).",
            DataQualityWarning,
            stacklevel=3,
        )


def _looks_like_djg(outcome: str, values: np.ndarray) -> bool:
    name = str(outcome).lower()
    named = name in DJG_NAMES or name.startswith("djg")
    finite = values[np.isfinite(values)]
    return bool(named and finite.size and finite.min() >= 0 and finite.max() <= 11)


# ----------------------------------------------------------------------------------------
# small statistical helpers
# ----------------------------------------------------------------------------------------
def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _mean_sd(x: np.ndarray) -> tuple[float, float]:
    n = x.size
    m = float(np.mean(x)) if n else math.nan
    sd = float(np.std(x, ddof=1)) if n > 1 else math.nan
    return m, sd


def _mean_ci(m: float, sd: float, n: int, confidence: float) -> tuple[float, float]:
    if n < 2 or not np.isfinite(sd):
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return m - half, m + half


def _nct_ci(t_obs: float, df: int, confidence: float) -> tuple[float, float]:
    """CI of the noncentrality parameter of a t statistic by inverting the noncentral t.

    Finds ncp_L and ncp_U with P(T <= t_obs | ncp_L) = 1 - alpha/2 and
    P(T <= t_obs | ncp_U) = alpha/2 (Steiger & Fouladi 1997). For df > 2000 the normal
    approximation ncp +- z * sqrt(1 + t^2 / (2 df)) is used (the noncentral t is then
    numerically indistinguishable from it and scipy's nct becomes slow).
    """
    if not np.isfinite(t_obs) or df < 1:
        return math.nan, math.nan
    alpha = 1 - confidence
    z = _z(confidence)
    spread = math.sqrt(1 + t_obs * t_obs / (2 * df))
    if df > 2000:
        return t_obs - z * spread, t_obs + z * spread

    def cdf(ncp):
        val = float(stats.nct.cdf(t_obs, df, ncp))
        if not np.isfinite(val):  # scipy's nct underflows far in the tails
            val = 0.0 if ncp > t_obs else 1.0
        return val

    def root(target):
        f = lambda ncp: cdf(ncp) - target  # noqa: E731
        width = (z + 2) * spread * (1 + 5 / df)
        lo, hi = t_obs - width, t_obs + width
        for _ in range(60):
            if f(lo) > 0:
                break
            lo -= width
        for _ in range(60):
            if f(hi) < 0:
                break
            hi += width
        return optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500)

    return root(1 - alpha / 2), root(alpha / 2)


def _fmt(x, digits=2, lang="nl"):
    return i18n.fmt_number(x, digits, lang)


# ----------------------------------------------------------------------------------------
# paired
# ----------------------------------------------------------------------------------------
class PairedResult(Result):
    """Result of :func:`paired` (see there for the statistics).

    Attributes
    ----------
    n : int
        Complete pairs.
    n_dropped : int
        Units with a pre or post row but not both measurements (left out).
    n_units : int
        Units with at least one pre or post row.
    descriptives : DataFrame
        Columns ``wave, sample, n, mean, sd, ci_lower, ci_upper``: pre, post and the
        difference for the complete pairs (``sample == "pairs"``) and pre and post for
        everyone measured at that wave (``sample == "available"``).
    correlation : float
        Pearson correlation between pre and post (complete pairs).

    ``n`` (in ``tidy()``): complete pairs: units with both a pre and a post value (``n_dropped`` units had one of them).
    """

    title = i18n.Message("methods.prepost.paired.title")

    def __init__(
        self, *, rows, descriptives, pairs: _Pairs, outcome, confidence, pre, post, correlation, is_djg
    ):
        self._rows = rows
        self.descriptives = descriptives
        self.n = pairs.n
        self.n_dropped = pairs.n_dropped
        self.n_units = pairs.n_units
        self.correlation = correlation
        self.outcome = outcome
        self.confidence = confidence
        self.pre_label, self.post_label = pre, post
        self.is_djg = is_djg
        self._pre = pairs.pre
        self._post = pairs.post

    def tidy(self) -> pd.DataFrame:
        """Rows ``mean_diff, wilcoxon, d_z, d_av, g_av, srm``; extra ``statistic, df, method``."""
        return tidy_frame(self._rows, extra=_EXTRA)

    def _row(self, term):
        return next(r for r in self._rows if r["term"] == term)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        md = self._row("mean_diff")
        est, lo, hi, p = md["estimate"], md["ci_lower"], md["ci_upper"], md["p_value"]
        subject = (
            i18n.t("methods.prepost.paired.subject_djg", lang)
            if self.is_djg
            else i18n.t("methods.prepost.paired.subject_score", lang, outcome=self.outcome)
        )
        if est < 0:
            verb = i18n.t("methods.prepost.decreased", lang)
            mag, clo, chi = -est, -hi, -lo
        elif est > 0:
            verb = i18n.t("methods.prepost.increased", lang)
            mag, clo, chi = est, lo, hi
        else:
            verb = i18n.t("methods.prepost.did_not_change", lang)
            mag, clo, chi = 0.0, lo, hi
        unit_word = i18n.t("methods.prepost.point" if abs(mag) == 1 else "methods.prepost.points", lang)
        ci = i18n.fmt_ci(clo, chi, 1, lang, self.confidence)
        if est == 0:
            first = i18n.t(
                "methods.prepost.paired.unchanged", lang, subject=subject, verb=verb, ci=ci, n=self.n
            )
        else:
            first = i18n.t(
                "methods.prepost.paired.changed_by",
                lang,
                subject=subject,
                verb=verb,
                magnitude=_fmt(mag, 1, lang),
                unit=unit_word,
                ci=ci,
                n=self.n,
            )
        lines = [first]
        if np.isfinite(p):
            if p < 1 - self.confidence:
                lines.append(
                    i18n.t(
                        "methods.prepost.paired.significant",
                        lang,
                        p=i18n.fmt_p(p, lang),
                    )
                )
            else:
                lines.append(i18n.t("methods.prepost.paired.not_significant", lang, p=i18n.fmt_p(p, lang)))
        if self.is_djg:
            lines.append(i18n.t("methods.prepost.paired.djg_direction", lang))
        if self.n_dropped:
            lines.append(
                i18n.t(
                    "methods.prepost.paired.dropped",
                    lang,
                    n_dropped=self.n_dropped,
                )
            )
        d = self.descriptives.set_index(["wave", "sample"])
        pre_m, pre_s = d.loc[("pre", "pairs"), ["mean", "sd"]]
        post_m, post_s = d.loc[("post", "pairs"), ["mean", "sd"]]
        lines.append("")
        lines.append(
            i18n.t(
                "methods.prepost.paired.means",
                lang,
                pre_mean=_fmt(pre_m, 2, lang),
                pre_sd=_fmt(pre_s, 2, lang),
                post_mean=_fmt(post_m, 2, lang),
                post_sd=_fmt(post_s, 2, lang),
            )
        )
        w = self._row("wilcoxon")
        lines.append(
            i18n.t("methods.prepost.paired.t_test", lang)
            + f": t({_fmt(md['df'], 0, lang)}) = {_fmt(md['statistic'], 2, lang)}, {i18n.fmt_p(p, lang)}; "
            + f"Wilcoxon W = {_fmt(w['estimate'], 1, lang)}, {i18n.fmt_p(w['p_value'], lang)}."
        )
        es = []
        for term, name in (("d_z", "d_z"), ("d_av", "d_av"), ("g_av", "g_av")):
            r = self._row(term)
            es.append(
                f"{name} = {_fmt(r['estimate'], 2, lang)} "
                f"{i18n.fmt_ci(r['ci_lower'], r['ci_upper'], 2, lang, self.confidence)}"
            )
        lines.append(i18n.t("methods.prepost.paired.effect_sizes", lang) + "; ".join(es) + ".")
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(
        self,
        *,
        kind: str = "paired",
        ax=None,
        lang: str | None = None,
        ylim="auto",
        max_lines: int = MAX_LINES,
        seed: int = 0,
    ):
        """Before/after figure.

        Parameters
        ----------
        kind : {"paired", "shift"}
            ``"paired"``: one faded line per participant (at most ``max_lines``, a seeded
            random subset beyond that) and the wave means with their confidence intervals.
            ``"shift"``: the distribution at pre and post (percentages per score for
            integer scores such as the DJG total, histograms otherwise).
        ylim : "auto", tuple or None
            ``"auto"`` fixes the axis to :data:`evalkit.plotting.LONELINESS_LIMITS` (0-11)
            when the outcome is a DJG total, so that figures of coalitions compare.
        """
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_option("kind", kind, ("paired", "shift"))
        check_lang(lang)
        pre_lab = plotting.label("pre", lang)
        post_lab = plotting.label("post", lang)
        ylabel = plotting.label("djg_total", lang) if self.is_djg else str(self.outcome)
        limits = (
            plotting.LONELINESS_LIMITS
            if (ylim == "auto" and self.is_djg)
            else (None if ylim == "auto" else ylim)
        )
        if kind == "paired":
            ax = plotting.new_axes(ax)
            n = self.n
            idx = np.arange(n)
            if n > max_lines:
                idx = np.sort(np.random.default_rng(seed).choice(n, max_lines, replace=False))
            if idx.size:
                m_ = idx.size
                segs = np.stack(
                    [
                        np.column_stack([np.zeros(m_), self._pre[idx]]),
                        np.column_stack([np.ones(m_), self._post[idx]]),
                    ],
                    axis=1,
                )
                from matplotlib.collections import LineCollection

                ax.add_collection(
                    LineCollection(
                        # matplotlib's stub wants a typing.Sequence; an (n, 2, 2) array is a
                        # sequence of lines at run time, but ndarray is not registered as one
                        segs,  # type: ignore[arg-type]
                        colors=plotting.COLORS["other"],
                        alpha=0.35 if idx.size < 50 else 0.15,
                        linewidths=0.8,
                        zorder=1,
                    )
                )
            d = self.descriptives.set_index(["wave", "sample"])
            means, los, his = [], [], []
            for w in ("pre", "post"):
                means.append(d.loc[(w, "pairs"), "mean"])
                los.append(d.loc[(w, "pairs"), "ci_lower"])
                his.append(d.loc[(w, "pairs"), "ci_upper"])
            ax.plot([0, 1], means, color=plotting.COLORS["national"], linewidth=2.2, zorder=3)
            for x, m, lo, hi, key in zip((0, 1), means, los, his, ("pre", "post")):
                err = None if not np.isfinite(lo) else [[m - lo], [hi - m]]
                ax.errorbar(
                    [x],
                    [m],
                    yerr=err,
                    fmt="o",
                    color=plotting.COLORS[key],
                    markersize=9,
                    capsize=6,
                    linewidth=2.2,
                    zorder=4,
                )
            ax.set_xticks([0, 1], [pre_lab, post_lab])
            ax.set_xlim(-0.35, 1.35)
            ax.set_ylabel(ylabel)
            lvl = i18n.fmt_number(100 * self.confidence, 0, lang)
            ax.set_title(i18n.t("methods.prepost.paired.plot_means_title", lang, n=n, level=lvl))
            if limits is not None:
                ax.set_ylim(limits)
            return ax
        # distribution shift
        ax = plotting.new_axes(ax)
        values = np.concatenate([self._pre, self._post])
        integer = values.size and np.all(np.isfinite(values)) and np.all(values == np.round(values))
        if integer and (np.unique(values).size <= 25 or self.is_djg):
            lo_v = int(limits[0]) if limits is not None else int(values.min())
            hi_v = int(limits[1]) if limits is not None else int(values.max())
            support = np.arange(lo_v, hi_v + 1)
            width = 0.4
            for off, arr, key, lab in (
                (-width / 2, self._pre, "pre", pre_lab),
                (width / 2, self._post, "post", post_lab),
            ):
                counts = np.array([(arr == s).sum() for s in support], dtype=float)
                ax.bar(
                    support + off,
                    100 * counts / max(arr.size, 1),
                    width=width,
                    color=plotting.COLORS[key],
                    label=lab,
                )
            ax.set_xticks(support)
            ax.set_ylabel(i18n.t("methods.prepost.participants", lang))
        else:
            bins = np.histogram_bin_edges(values[np.isfinite(values)], bins="auto")
            for arr, key, lab in ((self._pre, "pre", pre_lab), (self._post, "post", post_lab)):
                ax.hist(
                    arr,
                    bins=bins,
                    alpha=0.55,
                    color=plotting.COLORS[key],
                    label=lab,
                    weights=np.full(arr.size, 100.0 / max(arr.size, 1)),
                )
            ax.set_ylabel(i18n.t("methods.prepost.participants", lang))
        for arr, key in ((self._pre, "pre"), (self._post, "post")):
            ax.axvline(float(np.mean(arr)), color=plotting.COLORS[key], linestyle="--", linewidth=1.5)
        ax.set_xlabel(ylabel)
        ax.set_title(i18n.t("methods.prepost.paired.plot_distribution_title", lang, n=self.n))
        ax.plot([], [], color="#555555", linestyle="--", label=i18n.t("methods.prepost.mean", lang))
        ax.legend(frameon=False)
        return plotting.localize_axes(ax, lang)


def _weighted_mean_diff(d: np.ndarray, w: np.ndarray, confidence: float) -> dict:
    """Weighted mean of the differences with the linearisation (sandwich) standard error
    sqrt(n/(n-1) sum w^2 (d - m)^2) / sum w -- R ``lm(d ~ 1, weights = w)`` with
    ``sandwich::vcovHC(type = "HC1")``, the with-replacement survey variance -- and a
    t interval with n - 1 degrees of freedom."""
    n = d.size
    m = float(w @ d / w.sum())
    se = math.sqrt(n / (n - 1) * float((w * w) @ (d - m) ** 2)) / float(w.sum()) if n >= 2 else math.nan
    if n >= 2 and se > 0:
        t_obs = m / se
        tcrit = stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
        return dict(
            estimate=m,
            std_error=se,
            ci_lower=m - tcrit * se,
            ci_upper=m + tcrit * se,
            p_value=float(2 * stats.t.sf(abs(t_obs), n - 1)),
            statistic=t_obs,
        )
    return dict(
        estimate=m, std_error=se, ci_lower=math.nan, ci_upper=math.nan, p_value=math.nan, statistic=math.nan
    )


def _weighted_sd(v: np.ndarray, w: np.ndarray) -> float:
    """sqrt(n/(n-1) * sum w (v - m)^2 / sum w): equals the ordinary SD for equal weights."""
    n = v.size
    m = float(w @ v / w.sum())
    return math.sqrt(n / (n - 1) * float(w @ (v - m) ** 2) / float(w.sum())) if n >= 2 else math.nan


def paired(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    pre="pre",
    post="post",
    weights: str | None = None,
    confidence: float = 0.95,
) -> PairedResult:
    r"""Paired pre/post comparison: mean change, tests and standardised effect sizes.

    Pairs the ``pre`` and ``post`` rows of each unit in long data. Units with only one of
    the two measurements (or a missing outcome) are left out and counted in
    ``n_dropped`` (with a :class:`~evalkit.DataQualityWarning`).

    Parameters
    ----------
    data : DataFrame
        Long data, one row per unit per wave.
    outcome : str
        Numeric outcome column (e.g. the DJG-11 ``total`` from
        ``evalkit.scales.score(df, "djg11")``).
    unit : str
        Participant identifier column.
    time : str
        Wave column.
    pre, post : scalar
        Values of ``time`` marking the two waves (default ``"pre"`` and ``"post"``).
    weights : str, optional
        Sampling weight per unit (positive, the same in both waves). Then ``mean_diff``
        is the weighted mean difference with the linearisation standard error (R
        ``lm(d ~ 1, weights = w)`` + ``sandwich::vcovHC(type = "HC1")``) and a t
        interval (n - 1 df); ``d_z``/``srm``/``d_av``/``g_av`` use weighted means and
        SDs, without intervals; the Wilcoxon test is not available (NaN).
        ``.descriptives`` stay unweighted.
    confidence : float
        Confidence level of all intervals.

    Returns
    -------
    PairedResult
        ``.tidy()`` has the rows (``term``):

        - ``mean_diff``: mean of ``d = post - pre`` with the t-interval; ``p_value``,
          ``statistic`` (t) and ``df`` (n - 1) of the paired t-test.
        - ``wilcoxon``: ``estimate`` is the signed-rank statistic W exactly as
          :func:`scipy.stats.wilcoxon` reports it (two-sided: the smaller of the positive-
          and negative-rank sums; zero differences dropped, ``zero_method="wilcox"``),
          ``p_value`` its p-value as R's ``wilcox.test``: exact when there are fewer than
          50 non-zero differences and no ties or zeros, else the normal approximation with
          tie and continuity correction. No interval.
        - ``d_z`` = mean(d) / SD(d) (Lakens 2013, eq. 6). Interval: noncentral t
          inversion of the paired t (Steiger & Fouladi 1997), divided by sqrt(n).
          ``std_error`` = sqrt(1/n + d_z^2 / (2n)).
        - ``d_av`` = mean(d) / ((SD_pre + SD_post) / 2) (Lakens 2013, eq. 10). Interval:
          the noncentral-t limits of the paired t rescaled by SD(d) / SD_av / sqrt(n)
          (the approximate method of Algina & Keselman 2003 for dependent samples);
          ``std_error`` = sqrt((1/n + d_av^2 / (2n)) * 2 (1 - r)) (Borenstein et al. 2009,
          eq. 4.28), r the pre-post correlation.
        - ``g_av`` = d_av * (1 - 3 / (4 (2n) - 9)) (Hedges' correction as in Lakens 2013,
          eq. 4, with n1 = n2 = n); interval and standard error scaled by the same factor.
        - ``srm``: standardised response mean (Liang et al. 1990) = mean(d) / SD(d). It is
          numerically identical to d_z; it is reported under its own name because the
          responsiveness literature (COSMIN) uses it. Same interval as d_z.

        ``n`` is the number of complete pairs in every row. Effect-size rows have no
        p-value (the test is the one in ``mean_diff``).

    Raises
    ------
    DataValidationError
        A unit has two rows for the same wave (the error names the units), a missing
        unit identifier or a non-numeric outcome.
    EstimationError
        No complete pairs at all.

    Warns
    -----
    SmallSampleWarning
        One pair: standard errors, intervals and tests are NaN.
    DataQualityWarning
        Units were dropped; or the outcome (or the difference) is constant, so the
        standardised effect sizes are NaN (division by a zero standard deviation).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.prepost import paired
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "wave": ["pre", "post"] * 4,
    ...                    "total": [6, 4, 5, 4, 7, 7, 3, 1]})
    >>> res = paired(df, outcome="total", unit="id", time="wave")
    >>> float(res.tidy().set_index("term").loc["mean_diff", "estimate"])
    -1.25
    """
    confidence = check_confidence(confidence)
    pairs = _pair(data, outcome, unit, time, pre, post)
    _require_pairs(pairs, outcome)
    _warn_dropped(pairs)
    if weights is not None:
        check_columns(data, weights=weights)
        wcol = pd.to_numeric(data[weights], errors="coerce")
        if wcol.isna().any() or not np.isfinite(wcol).all() or (wcol <= 0).any():
            raise DataValidationError(
                f"weights={weights!r} must be a positive number in every row "
                f"({int((wcol.isna() | ~(wcol > 0)).sum())} rows are missing, not numeric or "
                "<= 0)."
            )
        if (wcol.groupby(data[unit]).nunique() > 1).any():
            raise DataValidationError(
                f"weights={weights!r} must be the same for the pre and post rows of a unit."
            )
        w_pair = wcol.to_numpy(dtype=float)[pairs.pre_row[pairs.codes]]
    x, y = pairs.pre, pairs.post
    n = pairs.n
    d = y - x
    m_pre, s_pre = _mean_sd(x)
    m_post, s_post = _mean_sd(y)
    m_d, s_d = _mean_sd(d)
    df_ = n - 1
    alpha = 1 - confidence
    if n < 2:
        warnings.warn(
            "Only one complete pair: standard errors, confidence intervals and tests are NaN.",
            SmallSampleWarning,
            stacklevel=2,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        r = float(np.corrcoef(x, y)[0, 1]) if n > 2 and s_pre > 0 and s_post > 0 else math.nan
    if n > 2 and not (s_pre > 0 and s_post > 0):
        r = math.nan
    # mean difference and paired t
    if n >= 2 and s_d > 0:
        se = s_d / math.sqrt(n)
        t_obs = m_d / se
        tcrit = stats.t.ppf(1 - alpha / 2, df_)
        p_t = float(2 * stats.t.sf(abs(t_obs), df_))
        md_ci = (m_d - tcrit * se, m_d + tcrit * se)
    else:
        se = s_d / math.sqrt(n) if n >= 2 else math.nan
        t_obs, p_t, md_ci = math.nan, math.nan, (math.nan, math.nan)
    if n >= 2 and s_d == 0:
        warnings.warn(
            f"All {n} differences post - pre are equal ({m_d:g}): the paired t-test, d_z and "
            "the SRM are undefined (NaN).",
            DataQualityWarning,
            stacklevel=2,
        )
    # Wilcoxon signed-rank (scipy's statistic)
    nonzero = int(np.count_nonzero(d))
    if n >= 2 and nonzero > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            # as R's wilcox.test: exact when fewer than 50 non-zero differences and no
            # ties or zeros, else the normal approximation with continuity correction
            dz_ = d[d != 0]
            exact = nonzero < 50 and nonzero == n and np.unique(np.abs(dz_)).size == nonzero
            wres = stats.wilcoxon(
                d,
                zero_method="wilcox",
                alternative="two-sided",
                method="exact" if exact else "approx",
                correction=not exact,
            )
        w_stat, w_p = float(wres.statistic), float(wres.pvalue)
    else:
        w_stat, w_p = math.nan, math.nan
    # effect sizes
    s_av = (s_pre + s_post) / 2 if n >= 2 else math.nan
    if n >= 2 and not (s_av > 0):
        warnings.warn(
            f"The outcome {outcome!r} is constant within each wave (SD = 0): d_av and g_av "
            "are undefined (NaN).",
            DataQualityWarning,
            stacklevel=2,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        d_z = m_d / s_d if (n >= 2 and s_d > 0) else math.nan
        d_av = m_d / s_av if (n >= 2 and s_av > 0) else math.nan
    j = 1 - 3 / (4 * (2 * n) - 9) if n >= 2 else math.nan
    g_av = d_av * j
    if np.isfinite(d_z):
        ncp_lo, ncp_hi = _nct_ci(t_obs, df_, confidence)
        dz_ci = (ncp_lo / math.sqrt(n), ncp_hi / math.sqrt(n))
        dz_se = math.sqrt(1 / n + d_z * d_z / (2 * n))
    else:
        ncp_lo = ncp_hi = math.nan
        dz_ci, dz_se = (math.nan, math.nan), math.nan
    if np.isfinite(d_av) and np.isfinite(ncp_lo):
        scale = s_d / s_av / math.sqrt(n)
        dav_ci = (ncp_lo * scale, ncp_hi * scale)
    else:
        # includes "every difference equal" (SD(d) = 0): the paired t is infinite and the
        # interval undefined; a zero-width interval would claim a certainty the data lack
        dav_ci = (math.nan, math.nan)
    r_for_se = r if np.isfinite(r) else math.nan
    dav_se = (
        math.sqrt((1 / n + d_av * d_av / (2 * n)) * 2 * (1 - r_for_se))
        if np.isfinite(d_av) and np.isfinite(r_for_se) and s_d > 0
        else math.nan
    )
    if weights is not None:
        wm = _weighted_mean_diff(d, w_pair, confidence)
        m_d, se, md_ci, p_t, t_obs = (
            wm["estimate"],
            wm["std_error"],
            (wm["ci_lower"], wm["ci_upper"]),
            wm["p_value"],
            wm["statistic"],
        )
        s_dw = _weighted_sd(d, w_pair)
        s_avw = (_weighted_sd(x, w_pair) + _weighted_sd(y, w_pair)) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            d_z = m_d / s_dw if s_dw > 0 else math.nan
            d_av = m_d / s_avw if s_avw > 0 else math.nan
        g_av = d_av * j
        dz_se = dav_se = math.nan
        dz_ci = dav_ci = (math.nan, math.nan)
        w_stat = w_p = math.nan
    rows = [
        dict(
            term="mean_diff",
            estimate=m_d,
            std_error=se,
            ci_lower=md_ci[0],
            ci_upper=md_ci[1],
            p_value=p_t,
            n=n,
            statistic=t_obs,
            df=df_ if n >= 2 else math.nan,
            method="paired t-test"
            if weights is None
            else "weighted mean difference (linearisation SE, t with n - 1 df)",
        ),
        dict(
            term="wilcoxon",
            estimate=w_stat,
            p_value=w_p,
            n=n,
            statistic=w_stat,
            method="Wilcoxon signed-rank (scipy W)",
        ),
        dict(
            term="d_z",
            estimate=d_z,
            std_error=dz_se,
            ci_lower=dz_ci[0],
            ci_upper=dz_ci[1],
            n=n,
            df=df_ if n >= 2 else math.nan,
            method="Lakens 2013 d_z; noncentral t CI",
        ),
        dict(
            term="d_av",
            estimate=d_av,
            std_error=dav_se,
            ci_lower=dav_ci[0],
            ci_upper=dav_ci[1],
            n=n,
            df=df_ if n >= 2 else math.nan,
            method="Lakens 2013 d_av; Algina-Keselman 2003 CI",
        ),
        dict(
            term="g_av",
            estimate=g_av,
            std_error=dav_se * j,
            ci_lower=dav_ci[0] * j,
            ci_upper=dav_ci[1] * j,
            n=n,
            df=df_ if n >= 2 else math.nan,
            method="Hedges g_av (Lakens 2013 eq. 4)",
        ),
        dict(
            term="srm",
            estimate=d_z,
            std_error=dz_se,
            ci_lower=dz_ci[0],
            ci_upper=dz_ci[1],
            n=n,
            df=df_ if n >= 2 else math.nan,
            method="standardised response mean (= d_z)",
        ),
    ]
    avail_pre = pairs.pre_value[~np.isnan(pairs.pre_value)]
    avail_post = pairs.post_value[~np.isnan(pairs.post_value)]
    desc = []
    for wave, sample, arr in (
        ("pre", "pairs", x),
        ("post", "pairs", y),
        ("difference", "pairs", d),
        ("pre", "available", avail_pre),
        ("post", "available", avail_post),
    ):
        m, s = _mean_sd(arr)
        lo, hi = _mean_ci(m, s, arr.size, confidence)
        desc.append(dict(wave=wave, sample=sample, n=int(arr.size), mean=m, sd=s, ci_lower=lo, ci_upper=hi))
    descriptives = pd.DataFrame(desc, columns=["wave", "sample", "n", "mean", "sd", "ci_lower", "ci_upper"])
    return PairedResult(
        rows=rows,
        descriptives=descriptives,
        pairs=pairs,
        outcome=outcome,
        confidence=confidence,
        pre=pre,
        post=post,
        correlation=r,
        is_djg=_looks_like_djg(outcome, np.concatenate([x, y])),
    )


# ----------------------------------------------------------------------------------------
# proportion_change
# ----------------------------------------------------------------------------------------
def _newcombe_paired(a: int, b: int, c: int, d: int, confidence: float) -> tuple[float, float]:
    """Newcombe (1998) method 10 interval for p_post - p_pre from a paired 2x2 table.

    ``a`` = at/above the cut-off at both waves, ``b`` = only at pre, ``c`` = only at post,
    ``d`` = at neither. The Wilson intervals of the two marginal proportions are combined
    with the correlation phi of the table; as in Newcombe's method 10 (and the worked
    example in Altman et al. 2000, *Statistics with Confidence*, ch. 6) phi's numerator is
    shrunk towards 0 by n/2 when positive (0 when 0 <= ad - bc <= n/2) and phi is 0 when a
    margin is empty.
    """
    n = a + b + c + d
    p1 = (a + c) / n  # post
    p2 = (a + b) / n  # pre
    l1, u1 = wilson_interval(a + c, n, confidence)
    l2, u2 = wilson_interval(a + b, n, confidence)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    num = a * d - b * c
    if margins == 0:
        phi = 0.0
    else:
        if num > n / 2:
            num_c = num - n / 2
        elif num < 0:
            num_c = num
        else:
            num_c = 0.0
        phi = num_c / math.sqrt(margins)
    theta = p1 - p2
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, theta - delta), min(1.0, theta + eps)


class ProportionChangeResult(Result):
    """Result of :func:`proportion_change`.

    Attributes
    ----------
    table : DataFrame
        The paired 2x2 table of counts (rows: pre, columns: post; ``True`` = at or above
        the cut-off). Aggregated counts only.
    n, n_dropped : int
        Complete pairs and units left out.

    ``n`` (in ``tidy()``): complete pairs: units with both a pre and a post value.
    """

    title = i18n.Message("methods.prepost.proportion_change.title")

    def __init__(self, *, rows, table, n, n_dropped, cutoff, outcome, confidence, is_djg):
        self._rows = rows
        self.table = table
        self.n, self.n_dropped = n, n_dropped
        self.cutoff, self.outcome, self.confidence, self.is_djg = cutoff, outcome, confidence, is_djg

    def tidy(self) -> pd.DataFrame:
        """Rows ``share_pre, share_post, change``; extra ``statistic, df, method``."""
        return tidy_frame(self._rows, extra=_EXTRA)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        r = {row["term"]: row for row in self._rows}
        pre, post, ch = r["share_pre"], r["share_post"], r["change"]
        what = (
            i18n.t("methods.prepost.proportion_change.lonely", lang, cutoff=_fmt(self.cutoff, 0, lang))
            if self.is_djg
            else i18n.t(
                "methods.prepost.proportion_change.with_outcome",
                lang,
                outcome=self.outcome,
                cutoff=_fmt(self.cutoff, 2, lang),
            )
        )
        diff_pp = 100 * ch["estimate"]
        ci = i18n.fmt_ci(100 * ch["ci_lower"], 100 * ch["ci_upper"], 1, lang, self.confidence)
        text = i18n.t(
            "methods.prepost.proportion_change.summary",
            lang,
            what=what,
            pre=i18n.fmt_pct(pre["estimate"], 0, lang),
            post=i18n.fmt_pct(post["estimate"], 0, lang),
            difference=_fmt(diff_pp, 1, lang),
            ci=ci,
            n=self.n,
            p=i18n.fmt_p(ch["p_value"], lang),
        )
        if self.n_dropped:
            text += i18n.t("methods.prepost.proportion_change.dropped", lang, n_dropped=self.n_dropped)
        return f"{self.title[lang]}\n\n{text}"

    def plot(self, *, ax=None, lang: str | None = None):
        """Share at or above the cut-off at pre and post with Wilson intervals (0-100%)."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax)
        r = {row["term"]: row for row in self._rows}
        for x, key in ((0, "pre"), (1, "post")):
            row = r[f"share_{key}"]
            est = 100 * row["estimate"]
            ax.bar([x], [est], color=plotting.COLORS[key], width=0.6)
            ax.errorbar(
                [x],
                [est],
                yerr=[[est - 100 * row["ci_lower"]], [100 * row["ci_upper"] - est]],
                fmt="none",
                color="black",
                capsize=6,
            )
        ax.set_xticks([0, 1], [plotting.label("pre", lang), plotting.label("post", lang)])
        ax.set_ylim(plotting.PERCENT_LIMITS)
        ax.set_ylabel(
            plotting.label("share_lonely", lang) if self.is_djg else i18n.t("methods.prepost.share", lang)
        )
        ax.set_title(i18n.t("methods.prepost.proportion_change.plot_title", lang, n=self.n))
        return plotting.localize_axes(ax, lang)


def proportion_change(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cutoff: float,
    pre="pre",
    post="post",
    confidence: float = 0.95,
    ci_method: str = "newcombe",
) -> ProportionChangeResult:
    r"""Share of participants at or above a cut-off before and after, paired.

    Parameters
    ----------
    data, outcome, unit, time, pre, post, confidence
        As in :func:`paired`.
    cutoff : float
        A participant counts when ``outcome >= cutoff`` (e.g. ``3`` for "lonely" on the
        DJG-11, ``9`` for "severely lonely").
    ci_method : {"newcombe", "wald"}
        Interval for the change in proportion. ``"newcombe"`` (default): Newcombe (1998)
        method 10, the hybrid score interval from the Wilson intervals of both shares and
        the phi correlation of the paired table (good coverage also for small n).
        ``"wald"``: p_post - p_pre +- z * sqrt((b + c) - (c - b)^2 / n) / n
        (Agresti 2013, sec. 11.1).

    Returns
    -------
    ProportionChangeResult
        ``.tidy()`` rows: ``share_pre`` and ``share_post`` (Wilson 1927 intervals,
        ``std_error`` = sqrt(p (1 - p) / n)), and ``change`` = p_post - p_pre with the
        chosen interval, the Wald standard error, the **exact** McNemar p-value (two-sided
        binomial test of the b "pre only" against the c "post only" discordant pairs,
        p = min(1, 2 P(X <= min(b, c))), X ~ Bin(b + c, 1/2)) and in ``statistic`` the
        asymptotic McNemar z = (c - b) / sqrt(b + c) (no continuity correction).
        ``table`` holds the 2x2 counts.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.prepost import proportion_change
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "wave": ["pre", "post"] * 3,
    ...                    "total": [5, 1, 4, 4, 2, 1]})
    >>> res = proportion_change(df, outcome="total", unit="id", time="wave", cutoff=3)
    >>> round(float(res.tidy().set_index("term").loc["change", "estimate"]), 3)
    -0.333
    """
    confidence = check_confidence(confidence)
    check_option("ci_method", ci_method, ("newcombe", "wald"))
    try:
        cutoff = float(cutoff)
    except (TypeError, ValueError):
        raise ParameterError(f"cutoff must be a number, got {cutoff!r}.") from None
    if not np.isfinite(cutoff):
        raise ParameterError(f"cutoff must be a finite number, got {cutoff!r}.")
    pairs = _pair(data, outcome, unit, time, pre, post)
    _require_pairs(pairs, outcome)
    _warn_dropped(pairs)
    n = pairs.n
    if n < 2:
        warnings.warn(
            "Only one complete pair: intervals and tests are not informative.",
            SmallSampleWarning,
            stacklevel=2,
        )
    hi_pre = pairs.pre >= cutoff
    hi_post = pairs.post >= cutoff
    a = int(np.count_nonzero(hi_pre & hi_post))
    b = int(np.count_nonzero(hi_pre & ~hi_post))
    c = int(np.count_nonzero(~hi_pre & hi_post))
    d = n - a - b - c
    p_pre, p_post = (a + b) / n, (a + c) / n
    change = p_post - p_pre
    z = _z(confidence)
    se_change = math.sqrt(max(0.0, (b + c) - (c - b) ** 2 / n)) / n
    if ci_method == "newcombe":
        ci = _newcombe_paired(a, b, c, d, confidence)
    else:
        ci = (change - z * se_change, change + z * se_change)
    m = b + c
    p_exact = float(min(1.0, 2 * stats.binom.cdf(min(b, c), m, 0.5))) if m > 0 else 1.0
    z_mc = (c - b) / math.sqrt(m) if m > 0 else math.nan
    rows = []
    for term, p, x in (("share_pre", p_pre, a + b), ("share_post", p_post, a + c)):
        lo, hi = wilson_interval(x, n, confidence)
        rows.append(
            dict(
                term=term,
                estimate=p,
                std_error=math.sqrt(p * (1 - p) / n),
                ci_lower=lo,
                ci_upper=hi,
                n=n,
                method="Wilson score interval",
            )
        )
    rows.append(
        dict(
            term="change",
            estimate=change,
            std_error=se_change,
            ci_lower=ci[0],
            ci_upper=ci[1],
            p_value=p_exact,
            n=n,
            statistic=z_mc,
            method=(
                "McNemar exact; Newcombe (1998) method 10 CI"
                if ci_method == "newcombe"
                else "McNemar exact; Wald CI"
            ),
        )
    )
    table = pd.DataFrame(
        [[a, b], [c, d]],
        index=pd.Index([True, False], name="pre"),
        columns=pd.Index([True, False], name="post"),
    )
    return ProportionChangeResult(
        rows=rows,
        table=table,
        n=n,
        n_dropped=pairs.n_dropped,
        cutoff=cutoff,
        outcome=outcome,
        confidence=confidence,
        is_djg=_looks_like_djg(outcome, np.concatenate([pairs.pre, pairs.post])),
    )


# ----------------------------------------------------------------------------------------
# reliability and reliable change
# ----------------------------------------------------------------------------------------
def _cronbach_alpha(data: pd.DataFrame, *, items: Sequence[str]) -> tuple[float, int]:
    r"""Cronbach's alpha of item columns (listwise complete rows).

    alpha = k / (k - 1) * (1 - sum_j var(x_j) / var(sum_j x_j)), sample variances
    (ddof = 1) (Cronbach 1951); computed by the same routine as
    :func:`evalkit.validation.reliability` (``validation.items.alpha_from_cov``), which on
    complete rows gives the same number.

    Returns
    -------
    (alpha, n) : tuple
        The coefficient and the number of complete rows it is based on.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.prepost import _cronbach_alpha
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 3, 4], "c": [2, 2, 3, 5]})
    >>> round(_cronbach_alpha(df, items=["a", "b", "c"])[0], 4)
    0.9474
    """
    check_dataframe(data)
    items = [items] if isinstance(items, str) else list(items)
    if len(items) < 2:
        raise ParameterError("items must name at least two item columns.")
    check_columns(data, items=items)
    x = np.column_stack([_numeric(data[c], "items") for c in items])
    x = x[~np.isnan(x).any(axis=1)]
    n = x.shape[0]
    if n < 2:
        raise EstimationError(f"Cronbach's alpha needs at least 2 complete rows of items, got {n}.")
    # one alpha formula for evalkit: the one of the validation module (var(sum) = 1'C1)
    from evalkit.methods.validation.items import alpha_from_cov

    c = np.cov(x, rowvar=False, ddof=1)
    if not c.sum() > 0:
        raise EstimationError("Cronbach's alpha is undefined: the item sum is constant.")
    return float(alpha_from_cov(c)), int(n)


#: The reliability's origin (as stored in the result) -> its message in the catalogue
#: (``methods.prepost.reliability_source.<name>``).
_RELIABILITY_SOURCE = {
    "Cronbach's alpha (voormeting/pre)": "alpha_pre",
    "test-hertest r": "test_retest",
    "gegeven/given": "given",
}


class ReliableChangeResult(Result):
    """Result of :func:`reliable_change`: counts only, never per-participant rows.

    Attributes
    ----------
    counts : dict
        ``{"improved": int, "unchanged": int, "deteriorated": int}``.
    reliability, sem, s_diff, threshold : float
        The reliability used, SEM = SD_pre * sqrt(1 - r), S_diff = sqrt(2) * SEM and the
        smallest raw change that is reliable (z * S_diff).

    ``n`` (in ``tidy()``): units with both measurements, each classified as improved, unchanged or deteriorated.
    """

    title = i18n.Message("methods.prepost.reliable_change.title")

    def __init__(
        self,
        *,
        rows,
        counts,
        n,
        n_dropped,
        reliability,
        reliability_source,
        sem,
        s_diff,
        threshold,
        confidence,
        higher_is_better,
        outcome,
        is_djg,
    ):
        self._rows = rows
        self.counts = counts
        self.n, self.n_dropped = n, n_dropped
        self.reliability, self.reliability_source = reliability, reliability_source
        self.sem, self.s_diff, self.threshold = sem, s_diff, threshold
        self.confidence, self.higher_is_better = confidence, higher_is_better
        self.outcome, self.is_djg = outcome, is_djg

    def tidy(self) -> pd.DataFrame:
        """Rows ``improved, unchanged, deteriorated`` (share, Wilson CI, ``count``),
        ``reliability``, ``sem``, ``threshold``; extra ``count, method``."""
        return tidy_frame(self._rows, extra=("count", "method"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        c = self.counts
        pct = {k: i18n.fmt_pct(v / self.n if self.n else math.nan, 0, lang) for k, v in c.items()}
        thr = _fmt(self.threshold, 2, lang)
        rel = _fmt(self.reliability, 2, lang)
        source = _RELIABILITY_SOURCE.get(self.reliability_source)
        src = (
            i18n.t(f"methods.prepost.reliability_source.{source}", lang)
            if source is not None
            else self.reliability_source
        )
        text = i18n.t(
            "methods.prepost.reliable_change.summary",
            lang,
            n=self.n,
            improved=c["improved"],
            pct_improved=pct["improved"],
            unchanged=c["unchanged"],
            pct_unchanged=pct["unchanged"],
            deteriorated=c["deteriorated"],
            pct_deteriorated=pct["deteriorated"],
            threshold=thr,
            reliability=rel,
            source=src,
        )
        text += "\n" + i18n.t(
            "methods.prepost.higher_is_better"
            if self.higher_is_better
            else "methods.prepost.lower_is_better",
            lang,
        )
        return f"{self.title[lang]}\n\n{text}"

    def plot(self, *, ax=None, lang: str | None = None):
        """Bar chart of the shares of participants (%), labelled in the same unit.

        The full numbers: privacy rules for pages shown to readers are applied by the
        report's disclosure layer (:mod:`evalkit.reports.disclosure`), not here."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax)
        keys = ("improved", "unchanged", "deteriorated")
        vals = [100 * self.counts[k] / self.n if self.n else 0.0 for k in keys]
        ax.bar(range(3), vals, color=[plotting.COLORS[k] for k in keys])
        for i in range(len(keys)):
            ax.text(i, vals[i] + 1.5, i18n.fmt_pct(vals[i] / 100, 0, lang), ha="center")
        ax.set_xticks(range(3), [plotting.label(k, lang) for k in keys])
        ax.set_ylim(plotting.PERCENT_LIMITS)
        ax.set_ylabel(i18n.t("methods.prepost.participants", lang))
        ax.set_title(i18n.t("methods.prepost.reliable_change.plot_title", lang, n=self.n))
        return plotting.localize_axes(ax, lang)


def reliable_change(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    reliability=None,
    items: Sequence[str] | None = None,
    higher_is_better: bool = False,
    sd_pre: float | None = None,
    pre="pre",
    post="post",
    confidence: float = 0.95,
) -> ReliableChangeResult:
    r"""Jacobson-Truax reliable change: who changed more than measurement error explains.

    For each complete pair, RCI = (post - pre) / S_diff with S_diff = sqrt(2) * SEM and
    SEM = SD_pre * sqrt(1 - r_xx) (Jacobson & Truax 1991). A change is reliable when
    |RCI| > z_(1 - alpha/2) (1.96 at ``confidence=0.95``). With ``higher_is_better=False``
    (the default, as for loneliness where a LOWER score is better) RCI < -z counts as
    improved and RCI > z as deteriorated; ``higher_is_better=True`` swaps these.

    Only counts leave this function; the per-participant classification is never part
    of the result (privacy).

    Parameters
    ----------
    data, outcome, unit, time, pre, post, confidence
        As in :func:`paired`.
    reliability : None, float, "alpha" or "retest"
        A number in (0, 1): use it (e.g. the published alpha of the scale). ``None`` or
        ``"alpha"``: Cronbach's alpha of ``items`` in the ``pre`` rows (listwise complete).
        ``"retest"``: Pearson correlation of pre and post in the complete pairs (a
        test-retest estimate; the intervention itself lowers it, so it is conservative).
    items : list of str, optional
        Scored item columns for the alpha (e.g. the 0/1 DJG item scores).
    higher_is_better : bool
        Direction of improvement (default False: lower scores are better).
    sd_pre : float, optional
        Standard deviation for the SEM, e.g. from a norm population; default the SD of
        the pre scores of the complete pairs.

    Returns
    -------
    ReliableChangeResult
        ``.tidy()`` rows ``improved``, ``unchanged``, ``deteriorated`` (share of the pairs,
        Wilson interval, ``count``), ``reliability`` (``n`` = rows it is based on),
        ``sem`` and ``threshold`` (z * S_diff, the smallest reliable raw change).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.prepost import reliable_change
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "wave": ["pre", "post"] * 4,
    ...                    "total": [8, 2, 5, 5, 3, 9, 6, 5]})
    >>> res = reliable_change(df, outcome="total", unit="id", time="wave", reliability=0.8)
    >>> res.counts
    {'improved': 1, 'unchanged': 2, 'deteriorated': 1}
    """
    confidence = check_confidence(confidence)
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise ParameterError(f"higher_is_better must be True or False, got {higher_is_better!r}.")
    pairs = _pair(data, outcome, unit, time, pre, post)
    _require_pairs(pairs, outcome)
    _warn_dropped(pairs)
    n = pairs.n
    if isinstance(reliability, str):
        check_option("reliability", reliability, ("alpha", "retest"))
    elif reliability is not None:
        if isinstance(reliability, bool) or not isinstance(
            reliability, (int, float, np.floating, np.integer)
        ):
            raise ParameterError(
                f"reliability must be None, a number in (0, 1), 'alpha' or 'retest'; got {reliability!r}."
            )
        if not 0 < float(reliability) < 1:
            raise ParameterError(f"reliability must lie strictly between 0 and 1, got {reliability!r}.")
    rel_n: float  # participants behind the reliability (NaN when it is given)
    if reliability is None or reliability == "alpha":
        if items is None:
            raise ParameterError(
                "reliability=None needs items=[...] (to compute Cronbach's alpha "
                "at pre) or give reliability as a number."
            )
        pre_rows = data.loc[_wave_mask(data[time], pre)]
        rel, rel_n = _cronbach_alpha(pre_rows, items=items)
        source = "Cronbach's alpha (voormeting/pre)"
        if not 0 < rel < 1:
            raise EstimationError(
                f"Cronbach's alpha of the items is {rel:.3f}; the reliable change "
                "index needs a reliability between 0 and 1."
            )
    elif reliability == "retest":
        if n < 3:
            raise EstimationError("reliability='retest' needs at least 3 complete pairs.")
        rel = float(np.corrcoef(pairs.pre, pairs.post)[0, 1])
        rel_n = n
        source = "test-hertest r"
        if not 0 < rel < 1:
            raise EstimationError(
                f"The pre-post correlation is {rel:.3f}; the reliable change index "
                "needs a reliability between 0 and 1."
            )
    else:
        rel, rel_n, source = float(reliability), math.nan, "gegeven/given"
    if sd_pre is None:
        if n < 2:
            raise EstimationError(
                "One complete pair: the SD of the pre scores is undefined; "
                "give sd_pre= (e.g. from norm data)."
            )
        sd = float(np.std(pairs.pre, ddof=1))
    else:
        try:
            sd = float(sd_pre)
        except (TypeError, ValueError):
            raise ParameterError(f"sd_pre must be a positive number, got {sd_pre!r}.") from None
        if not sd > 0:
            raise ParameterError(f"sd_pre must be positive, got {sd_pre!r}.")
    if not sd > 0:
        raise EstimationError(
            f"The pre scores of {outcome!r} are constant (SD = 0): the reliable change index is undefined."
        )
    if n < 10:
        warnings.warn(
            f"Only {n} complete pair(s): the shares of reliable change are very uncertain.",
            SmallSampleWarning,
            stacklevel=2,
        )
    sem = sd * math.sqrt(1 - rel)
    s_diff = math.sqrt(2) * sem
    z = _z(confidence)
    rci = (pairs.post - pairs.pre) / s_diff
    up = int(np.count_nonzero(rci > z))
    down = int(np.count_nonzero(rci < -z))
    counts = {
        "improved": up if higher_is_better else down,
        "unchanged": n - up - down,
        "deteriorated": down if higher_is_better else up,
    }
    rows = []
    for k in ("improved", "unchanged", "deteriorated"):
        lo, hi = wilson_interval(counts[k], n, confidence)
        p = counts[k] / n
        rows.append(
            dict(
                term=k,
                estimate=p,
                std_error=math.sqrt(p * (1 - p) / n),
                ci_lower=lo,
                ci_upper=hi,
                n=n,
                count=counts[k],
                method="Jacobson-Truax RCI",
            )
        )
    rows.append(dict(term="reliability", estimate=rel, n=rel_n, method=source))
    rows.append(dict(term="sem", estimate=sem, n=n, method="SD_pre * sqrt(1 - r)"))
    rows.append(dict(term="threshold", estimate=z * s_diff, n=n, method="z * sqrt(2) * SEM"))
    return ReliableChangeResult(
        rows=rows,
        counts=counts,
        n=n,
        n_dropped=pairs.n_dropped,
        reliability=rel,
        reliability_source=source,
        sem=sem,
        s_diff=s_diff,
        threshold=z * s_diff,
        confidence=confidence,
        higher_is_better=bool(higher_is_better),
        outcome=outcome,
        is_djg=_looks_like_djg(outcome, np.concatenate([pairs.pre, pairs.post])),
    )


# ----------------------------------------------------------------------------------------
# attrition
# ----------------------------------------------------------------------------------------
_ATTR_EXTRA = (
    "variable",
    "level",
    "n_completers",
    "n_dropouts",
    "mean_completers",
    "mean_dropouts",
    "sd_completers",
    "sd_dropouts",
    "std_diff",
    "statistic",
    "df",
    "test",
)


class AttritionResult(Result):
    """Result of :func:`attrition`: completers versus drop-outs at baseline.

    Attributes
    ----------
    n_baseline, n_completers, n_dropouts : int
        Units with a baseline outcome, of whom with / without a post outcome.

    ``n`` (in ``tidy()``): units with a baseline (pre) value: completers plus drop-outs.
    """

    title = i18n.Message("methods.prepost.attrition.title")

    def __init__(self, *, rows, n_baseline, n_completers, n_dropouts, confidence, outcome):
        self._rows = rows
        self.n_baseline, self.n_completers, self.n_dropouts = n_baseline, n_completers, n_dropouts
        self.confidence, self.outcome = confidence, outcome

    def tidy(self) -> pd.DataFrame:
        """One row per numeric variable (``estimate`` = mean drop-outs - mean completers,
        Welch t-test) and per level of a categorical variable (``estimate`` = difference in
        shares, chi-square test of the whole variable); extra columns ``variable, level,
        n_completers, n_dropouts, mean_completers, mean_dropouts, sd_completers,
        sd_dropouts, std_diff, statistic, df, test``."""
        return tidy_frame(self._rows, extra=_ATTR_EXTRA)

    def summary(self, lang: str | None = None, *, labels: dict | None = None, exclude=()) -> str:
        """Readable text with the full numbers. ``exclude``: ``(variable, level)`` pairs not
        to name; ``labels`` maps variable names to the words to print (e.g.
        ``{"gender": "geslacht"}``). Privacy rules for pages shown to readers are applied by
        the report's disclosure layer (:mod:`evalkit.reports.disclosure`), not here."""
        lang = resolve_lang(lang)
        share = self.n_dropouts / self.n_baseline if self.n_baseline else math.nan
        lines = [
            i18n.t(
                "methods.prepost.attrition.dropped_out",
                lang,
                n_baseline=self.n_baseline,
                n_dropouts=self.n_dropouts,
                share=i18n.fmt_pct(share, 0, lang),
            )
        ]
        tidy = self.tidy()
        hidden = 0
        excl = {(str(v), str(lv)) for v, lv in exclude}
        if excl:
            drop = [(str(v), str(lv)) in excl for v, lv in zip(tidy["variable"], tidy["level"])]
            hidden += int(sum(drop))
            tidy = tidy[~np.array(drop, dtype=bool)]
        labels = dict(labels or {})
        flagged = tidy[(tidy["std_diff"].abs() > 0.1) | (tidy["p_value"] < 1 - self.confidence)]
        if self.n_dropouts < 2 or self.n_completers < 2:
            lines.append(i18n.t("methods.prepost.attrition.too_few", lang))
        elif flagged.empty:
            lines.append(i18n.t("methods.prepost.attrition.balanced", lang))
        else:
            parts = []
            for _, r in flagged.iterrows():
                var = labels.get(r["variable"], r["variable"])
                name = var if pd.isna(r["level"]) else f"{var}: {r['level']}"
                parts.append(f"{name} ({_fmt(r['std_diff'], 2, lang)}; {i18n.fmt_p(r['p_value'], lang)})")
            lines.append(
                i18n.t("methods.prepost.attrition.dropouts_differ", lang, variables="; ".join(parts))
            )
        if hidden:
            lines.append(i18n.t("methods.prepost.attrition.hidden_categories", lang, hidden=hidden))
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        """Standardised differences (drop-outs - completers) per variable/level, with the
        +-0.1 band (Austin 2009)."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        tidy = self.tidy()
        ax = plotting.new_axes(ax, figsize=(7.0, max(2.5, 0.4 * len(tidy) + 1)))
        labels = [
            r["variable"] if pd.isna(r["level"]) else f"{r['variable']}: {r['level']}"
            for _, r in tidy.iterrows()
        ]
        ypos = np.arange(len(tidy))[::-1]
        ax.axvspan(-0.1, 0.1, color="#EEEEEE", zorder=0)
        ax.axvline(0, color=plotting.COLORS["national"], linewidth=1)
        ax.scatter(tidy["std_diff"], ypos, color=plotting.COLORS["highlight"], zorder=3)
        ax.set_yticks(ypos, labels)
        ax.set_xlabel(i18n.t("methods.prepost.attrition.plot_x_label", lang))
        ax.set_title(
            i18n.t(
                "methods.prepost.attrition.plot_title",
                lang,
                n_dropouts=self.n_dropouts,
                n_baseline=self.n_baseline,
            )
        )
        return plotting.localize_axes(ax, lang)


def attrition(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    covariates: Sequence[str] = (),
    pre="pre",
    post="post",
    confidence: float = 0.95,
) -> AttritionResult:
    r"""Compare completers and drop-outs on their baseline (``pre``) values.

    Units with a non-missing ``outcome`` at ``pre`` form the baseline sample; completers
    also have a non-missing ``outcome`` at ``post``, drop-outs do not. For the outcome and
    every covariate (values taken from the unit's ``pre`` row):

    - numeric: means and SDs per group, difference drop-outs - completers with the Welch
      interval and Welch t-test (Welch 1947), standardised difference
      (m_D - m_C) / sqrt((s_D^2 + s_C^2) / 2) (Austin 2009);
    - categorical (non-numeric, or boolean): per level the shares, their difference with a
      Wald interval and the standardised difference
      (p_D - p_C) / sqrt((p_D (1 - p_D) + p_C (1 - p_C)) / 2); one Pearson chi-square test
      of independence per variable (no continuity correction), repeated on each level row.

    ``n`` is the number of baseline units with a value for that variable.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.prepost import attrition
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 4, 5, 5], "age": [70, 70, 80, 80, 75, 90, 72, 72],
    ...                    "wave": ["pre", "post", "pre", "post", "pre", "pre", "pre", "post"],
    ...                    "total": [6, 4, 5, 4, 7, 9, 3, 2]})
    >>> res = attrition(df, outcome="total", unit="id", time="wave", covariates=["age"])
    >>> res.n_completers, res.n_dropouts
    (3, 2)
    """
    confidence = check_confidence(confidence)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    check_dataframe(data)
    check_columns(data, covariates=covariates)
    pairs = _pair(data, outcome, unit, time, pre, post)
    base = np.flatnonzero(~np.isnan(pairs.pre_value))
    if base.size == 0:
        raise EstimationError(f"No unit has a non-missing {outcome!r} at {pre!r}.")
    completer = ~np.isnan(pairs.post_value[base])
    n_c, n_d = int(completer.sum()), int((~completer).sum())
    if n_c < 2 or n_d < 2:
        warnings.warn(
            f"Too few completers ({n_c}) or drop-outs ({n_d}) to compare: tests are NaN.",
            SmallSampleWarning,
            stacklevel=2,
        )
    rows_idx = pairs.pre_row[base]
    alpha = 1 - confidence
    z = _z(confidence)
    out = []
    variables = [outcome] + [c for c in covariates if c != outcome]
    for var in variables:
        col = data[var].iloc[rows_idx].reset_index(drop=True)
        numeric = pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
        if numeric:
            vals = col.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(vals)
            xc, xd = vals[ok & completer], vals[ok & ~completer]
            mc, sc = _mean_sd(xc)
            md, sd_ = _mean_sd(xd)
            row = dict(
                term=var,
                variable=var,
                n=int(ok.sum()),
                n_completers=xc.size,
                n_dropouts=xd.size,
                mean_completers=mc,
                mean_dropouts=md,
                sd_completers=sc,
                sd_dropouts=sd_,
                estimate=md - mc,
                test="Welch t-test",
            )
            if xc.size >= 2 and xd.size >= 2 and (sc > 0 or sd_ > 0):
                vc, vd = sc * sc / xc.size, sd_ * sd_ / xd.size
                se = math.sqrt(vc + vd)
                dfw = (vc + vd) ** 2 / (vc * vc / (xc.size - 1) + vd * vd / (xd.size - 1))
                tval = (md - mc) / se
                tcrit = stats.t.ppf(1 - alpha / 2, dfw)
                row.update(
                    std_error=se,
                    ci_lower=md - mc - tcrit * se,
                    ci_upper=md - mc + tcrit * se,
                    statistic=tval,
                    df=dfw,
                    p_value=float(2 * stats.t.sf(abs(tval), dfw)),
                    std_diff=(md - mc) / math.sqrt((sc * sc + sd_ * sd_) / 2),
                )
            out.append(row)
        else:
            ok = col.notna().to_numpy()
            labels = col[ok].astype(str).to_numpy()
            comp = completer[ok]
            levels = sorted(pd.unique(labels))
            tab = np.array(
                [[np.sum((labels == lv) & comp), np.sum((labels == lv) & ~comp)] for lv in levels],
                dtype=float,
            ).reshape(len(levels), 2)
            if not levels:  # no baseline unit has a value: one row that says so
                out.append(
                    dict(term=var, variable=var, n=0, n_completers=0, n_dropouts=0, test="Pearson chi-square")
                )
                continue
            chi = dfc = pchi = math.nan
            keep = tab.sum(axis=1) > 0
            if keep.sum() >= 2 and tab[:, 0].sum() > 0 and tab[:, 1].sum() > 0:
                res = stats.chi2_contingency(tab[keep], correction=False)
                chi, pchi, dfc = float(res.statistic), float(res.pvalue), float(res.dof)
            ncomp, ndrop = tab[:, 0].sum(), tab[:, 1].sum()
            for lv, (kc, kd) in zip(levels, tab):
                pc = kc / ncomp if ncomp else math.nan
                pd_ = kd / ndrop if ndrop else math.nan
                diff = pd_ - pc
                se = (
                    math.sqrt(pc * (1 - pc) / ncomp + pd_ * (1 - pd_) / ndrop)
                    if ncomp and ndrop
                    else math.nan
                )
                denom = math.sqrt((pc * (1 - pc) + pd_ * (1 - pd_)) / 2) if ncomp and ndrop else math.nan
                out.append(
                    dict(
                        term=f"{var}:{lv}",
                        variable=var,
                        level=lv,
                        n=int(ok.sum()),
                        n_completers=int(ncomp),
                        n_dropouts=int(ndrop),
                        mean_completers=pc,
                        mean_dropouts=pd_,
                        estimate=diff,
                        std_error=se,
                        ci_lower=diff - z * se,
                        ci_upper=diff + z * se,
                        std_diff=(diff / denom) if denom and denom > 0 else math.nan,
                        statistic=chi,
                        df=dfc,
                        p_value=pchi,
                        test="Pearson chi-square",
                    )
                )
    return AttritionResult(
        rows=out,
        n_baseline=int(base.size),
        n_completers=n_c,
        n_dropouts=n_d,
        confidence=confidence,
        outcome=outcome,
    )


# ----------------------------------------------------------------------------------------
# by_group
# ----------------------------------------------------------------------------------------
_KEEP_LABELS = ("term", "method", "variable", "level", "test")
_BY_COLS = ("by", "group")  # fixed subgroup columns of ByGroupResult.tidy()
_HEADLINE = {"paired": "mean_diff", "proportion_change": "change", "reliable_change": "improved"}


class ByGroupResult(Result):
    """Result of :func:`by_group`: one analysis per subgroup, full numbers.

    An analysis result for the analyst (e.g. the committee in JupyterLab): every subgroup
    with its own ``n``, however small. It is not a publication: a page shown to readers
    (report, portal, overview) is built as typed content and passes the one disclosure
    layer, :mod:`evalkit.reports.disclosure` (rules R1-R4).

    Attributes
    ----------
    overall : Result
        The analysis on all data.
    by : list of str
        The grouping columns.

    ``n`` (in ``tidy()``): units in each subgroup's analysis (NaN where the analysis cannot
    be estimated in a subgroup).
    """

    title = i18n.Message("methods.prepost.by_group.title")

    def __init__(self, *, table, overall, by, func_name, confidence):
        self._table = table
        self.overall, self.by = overall, by
        self.func_name, self.confidence = func_name, confidence

    def tidy(self) -> pd.DataFrame:
        """The subgroup rows: the standard columns, the function's extra columns, then
        ``by`` (the name of the grouping column, e.g. ``"gender"``; several columns joined
        by ``", "``), ``group`` (the group's value, e.g. ``"vrouw"``; with several columns
        the values joined by ``", "``). A subgroup where the analysis cannot be
        estimated keeps its rows with blank statistics. The column names never depend on
        the arguments."""
        return self._table.copy()

    def _headline(self):
        terms = list(self._table["term"].dropna().unique())
        t = _HEADLINE.get(self.func_name)
        return t if t in terms else (terms[0] if terms else None)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        term = self._headline()
        lines = [
            i18n.t(
                "methods.prepost.by_group.analysis",
                lang,
                func_name=self.func_name,
                by=", ".join(self.by),
                term=term,
            )
        ]
        sub = self._table[self._table["term"] == term]
        for _, r in sub.iterrows():
            name = str(r["group"])
            if pd.isna(r["estimate"]):
                lines.append(f"- {name}: " + i18n.t("methods.prepost.by_group.not_estimable", lang))
            else:
                n = "–" if pd.isna(r["n"]) else str(int(r["n"]))
                lines.append(
                    f"- {name}: {_fmt(r['estimate'], 2, lang)} "
                    f"{i18n.fmt_ci(r['ci_lower'], r['ci_upper'], 2, lang, self.confidence)}, "
                    f"n = {n}, {i18n.fmt_p(r['p_value'], lang)}"
                )
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(self, *, term: str | None = None, ax=None, lang: str | None = None):
        """Estimate and interval of ``term`` (default: the headline term) per subgroup;
        groups where it cannot be estimated are listed without a value."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        term = term or self._headline()
        sub = self._table[self._table["term"] == term].reset_index(drop=True)
        ax = plotting.new_axes(ax, figsize=(7.0, max(2.5, 0.45 * len(sub) + 1)))
        ypos = np.arange(len(sub))[::-1]
        labels = []
        for y, (_, r) in zip(ypos, sub.iterrows()):
            name = str(r["group"])
            if pd.isna(r["estimate"]):
                labels.append(f"{name} ({i18n.t('methods.prepost.by_group.not_estimable', lang)})")
                continue
            labels.append(name if pd.isna(r["n"]) else f"{name} (n = {int(r['n'])})")
            ax.plot([r["ci_lower"], r["ci_upper"]], [y, y], color=plotting.COLORS["intervention"])
            ax.plot([r["estimate"]], [y], "s", color=plotting.COLORS["intervention"])
        ax.axvline(0, color=plotting.COLORS["national"], linewidth=1, linestyle="--")
        ax.set_yticks(ypos, labels)
        ax.set_xlabel(term)
        ax.set_title(i18n.t("methods.prepost.by_group.plot_title", lang, by=", ".join(self.by)))
        return plotting.localize_axes(ax, lang)


def by_group(
    func: Callable[..., Result],
    data: pd.DataFrame,
    *,
    by: str | Sequence[str],
    **kwargs,
) -> ByGroupResult:
    r"""Run an analysis per subgroup (full numbers, for the analyst).

    Parameters
    ----------
    func : callable
        One of :func:`paired`, :func:`proportion_change`, :func:`reliable_change`,
        :func:`attrition` (or any function returning a Result whose ``tidy()`` has an
        ``n`` column).
    data : DataFrame
        Long data.
    by : str or list of str
        Subgroup column(s), e.g. ``"gender"`` or ``["gender", "age_band"]``. When
        ``unit`` and ``time`` are among ``kwargs`` each unit is assigned to the subgroup
        of its ``pre`` row (of its first row when it has none), so a participant whose
        answer changes between waves is never split.
    **kwargs
        Passed to ``func`` (``outcome=``, ``unit=``, ``time=``, ...).

    Returns
    -------
    ByGroupResult
        ``tidy()`` has fixed columns whatever ``by`` is: the function's columns, then
        ``by`` (the grouping column's name) and ``group`` (the group's value). Every
        subgroup is analysed, however small (a subgroup where ``func`` cannot estimate
        keeps its rows with blank statistics).

    Notes
    -----
    Methods return full numbers; they never leave the analysis. There is no privacy
    threshold here (``min_cell`` was removed): a report, the portal or the overview builds
    its page as typed content and the one disclosure layer
    (:mod:`evalkit.reports.disclosure`) decides what a reader may see.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.prepost import by_group, paired
    >>> rng = np.random.default_rng(1)
    >>> ids = np.repeat(np.arange(60), 2)
    >>> df = pd.DataFrame({"id": ids, "wave": ["pre", "post"] * 60,
    ...                    "gender": np.where(ids < 52, "vrouw", "man"),
    ...                    "total": rng.integers(0, 12, 120)})
    >>> res = by_group(paired, df, by="gender", outcome="total", unit="id", time="wave")
    >>> res.tidy().groupby("group")["n"].first().to_dict()
    {'man': 8, 'vrouw': 52}
    """
    if not callable(func):
        raise ParameterError(f"func must be an analysis function such as paired, got {func!r}.")
    check_dataframe(data)
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ParameterError("by must name at least one column.")
    check_columns(data, by=by)
    if "min_cell" in kwargs:
        raise ParameterError(
            "by_group has no min_cell: methods return full numbers for the analysis; what a "
            "reader may see is decided by the disclosure layer of the report "
            "(evalkit.reports.disclosure)."
        )
    overall = func(data, **kwargs)
    unit, time = kwargs.get("unit"), kwargs.get("time")
    if unit is not None and time is not None:
        pre = kwargs.get("pre", "pre")
        order = np.argsort(~_wave_mask(data[time], pre), kind="stable")
        first = data.iloc[order].drop_duplicates(subset=[unit], keep="first")[[unit] + by]
        keys = data[[unit]].merge(first, on=unit, how="left", sort=False)[by]
        keys.index = data.index
    else:
        keys = data[by]
    pieces = []
    # template of a group that cannot be estimated: the overall table's rows and columns with
    # every statistic blank, so that the columns never depend on which groups are shown
    template = overall.tidy().copy()
    for c in template.columns:
        if c not in _KEEP_LABELS:
            template[c] = np.nan
    clash = [c for c in _BY_COLS if c in template.columns]
    if clash:
        raise ParameterError(
            f"by_group cannot run {getattr(func, '__name__', func)!r}: its result "
            f"already has column(s) {clash}, which by_group uses for the subgroup."
        )
    extra_cols: list[str] = list(template.columns)
    grouped = keys.groupby(by, dropna=False, sort=True, observed=True).indices
    for gkey, pos in grouped.items():
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        sub = data.iloc[pos]
        try:
            with warnings.catch_warnings():
                # the overall run above has already warned about the data as a whole
                warnings.simplefilter("ignore", EvalkitWarning)
                tidy = func(sub, **kwargs).tidy()
        except EstimationError:
            tidy = template.copy()
        tidy["by"] = ", ".join(by)
        tidy["group"] = gkey[0] if len(by) == 1 else ", ".join(str(v) for v in gkey)
        pieces.append(tidy)
        for c in tidy.columns:
            if c not in extra_cols:
                extra_cols.append(c)
    table = pd.concat(pieces, ignore_index=True, sort=False)
    std = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    rest = [c for c in extra_cols if c not in std and c not in _BY_COLS]
    table = table.reindex(columns=std + rest + list(_BY_COLS))
    return ByGroupResult(
        table=table,
        overall=overall,
        by=by,
        func_name=getattr(func, "__name__", "analysis"),
        confidence=kwargs.get("confidence", 0.95),
    )


# ----------------------------------------------------------------------------------------
# mixed: linear mixed model on all measurements (issue 15)
# ----------------------------------------------------------------------------------------
_MIXED_EXTRA = ("statistic", "df", "n_obs", "method")


class MixedResult(Result):
    """Result of :func:`mixed`: linear mixed model on all pre and post measurements.

    Attributes
    ----------
    n_units : int
        Participants with at least one usable measurement (``n`` in ``.tidy()``).
    n_obs : int
        Measurements used (pre and post together).
    n_complete, n_pre_only, n_post_only : int
        Participants measured at both waves, only at pre, only at post.
    n_rows_excluded : int
        Pre/post rows left out because the outcome or a covariate is missing.
    var_unit, var_residual : float
        REML variance of the participant intercepts and of the residuals.
    singular : bool
        The participant variance is estimated at its boundary 0.
    reml_loglik : float
        REML log-likelihood (as R's ``logLik(lmer(...))``).
    """

    title = i18n.Message("methods.prepost.mixed.title")

    def __init__(
        self,
        *,
        rows,
        outcome,
        confidence,
        is_djg,
        counts,
        fit,
        covariates,
        pre,
        post,
        df_method="satterthwaite",
    ):
        self._rows = rows
        self.outcome = outcome
        self.confidence = confidence
        self.is_djg = is_djg
        self.covariates = list(covariates)
        self.pre_label, self.post_label = pre, post
        self.n_units = counts["n_units"]
        self.n_obs = counts["n_obs"]
        self.n_complete = counts["n_complete"]
        self.n_pre_only = counts["n_pre_only"]
        self.n_post_only = counts["n_post_only"]
        self.n_rows_excluded = counts["n_rows_excluded"]
        self.var_unit = fit.s2u
        self.var_residual = fit.s2e
        self.singular = fit.singular
        self.reml_loglik = fit.reml_loglik
        self.df_method = df_method

    def tidy(self) -> pd.DataFrame:
        """Rows ``mean_diff`` (post - pre; t-interval and test with Satterthwaite or
        Kenward-Roger df),
        ``mean_pre`` and ``mean_post`` (model-based means, at the covariates' means),
        ``var_unit``, ``var_residual`` and ``icc`` (= var_unit / (var_unit + var_residual));
        extra columns ``statistic, df, n_obs, method``."""
        return tidy_frame(self._rows, extra=_MIXED_EXTRA)

    def _row(self, term):
        return next(r for r in self._rows if r["term"] == term)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        md = self._row("mean_diff")
        est, lo, hi, p = md["estimate"], md["ci_lower"], md["ci_upper"], md["p_value"]
        ci = i18n.fmt_ci(lo, hi, 2, lang, self.confidence)
        if est < 0:
            verb = i18n.t("methods.prepost.decreased", lang)
        elif est > 0:
            verb = i18n.t("methods.prepost.increased", lang)
        else:
            verb = i18n.t("methods.prepost.did_not_change", lang)
        lines = [
            i18n.t(
                "methods.prepost.mixed.change",
                lang,
                subject=i18n.t("methods.prepost.mixed.subject_djg", lang)
                if self.is_djg
                else i18n.t("methods.prepost.mixed.subject_score", lang, outcome=self.outcome),
                verb=verb,
                magnitude=_fmt(abs(est), 2, lang),
                ci=ci,
                df=_fmt(md["df"], 1, lang),
                statistic=_fmt(md["statistic"], 2, lang),
                p=i18n.fmt_p(p, lang),
            )
        ]
        lines.append(
            i18n.t(
                "methods.prepost.mixed.used",
                lang,
                n=self.n_units,
                n_obs=self.n_obs,
                n_complete=self.n_complete,
                n_pre_only=self.n_pre_only,
                n_post_only=self.n_post_only,
            )
        )
        if self.n_rows_excluded:
            lines.append(i18n.t("methods.prepost.mixed.rows_excluded", lang, n_excluded=self.n_rows_excluded))
        if self.covariates:
            lines.append(
                i18n.t("methods.prepost.mixed.adjusted_for", lang, covariates=", ".join(self.covariates))
            )
        lines.append(
            i18n.t(
                "methods.prepost.mixed.model",
                lang,
                df_method="Kenward-Roger" if self.df_method == "kenward-roger" else "Satterthwaite",
                var_unit=_fmt(self.var_unit, 2, lang),
                var_residual=_fmt(self.var_residual, 2, lang),
            )
        )
        lines.append(i18n.t("methods.prepost.mixed.uses_dropouts", lang))
        if self.singular:
            lines.append(i18n.t("methods.prepost.mixed.zero_unit_variance", lang))
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None, ylim="auto"):
        """Model-based means at pre and post with their confidence intervals."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax)
        means, los, his = [], [], []
        for term in ("mean_pre", "mean_post"):
            r = self._row(term)
            means.append(r["estimate"])
            los.append(r["ci_lower"])
            his.append(r["ci_upper"])
        ax.plot([0, 1], means, color=plotting.COLORS["national"], linewidth=2.2, zorder=3)
        for x, m, lo, hi, key in zip((0, 1), means, los, his, ("pre", "post")):
            err = None if not np.isfinite(lo) else [[m - lo], [hi - m]]
            ax.errorbar(
                [x],
                [m],
                yerr=err,
                fmt="o",
                color=plotting.COLORS[key],
                markersize=9,
                capsize=6,
                linewidth=2.2,
                zorder=4,
            )
        ax.set_xticks([0, 1], [plotting.label("pre", lang), plotting.label("post", lang)])
        ax.set_xlim(-0.35, 1.35)
        ax.set_ylabel(plotting.label("djg_total", lang) if self.is_djg else str(self.outcome))
        lvl = i18n.fmt_number(100 * self.confidence, 0, lang)
        ax.set_title(
            i18n.t(
                "methods.prepost.mixed.plot_title",
                lang,
                n=self.n_units,
                n_obs=self.n_obs,
                level=lvl,
            )
        )
        limits = (
            plotting.LONELINESS_LIMITS
            if (ylim == "auto" and self.is_djg)
            else (None if ylim == "auto" else ylim)
        )
        if limits is not None:
            ax.set_ylim(limits)
        return plotting.localize_axes(ax, lang)


def _covariate_matrix(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric covariates as they are; others as 0/1 columns per level (first level dropped)."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            cols.append(_numeric(s, "covariates"))
            names.append(c)
        else:
            ok = s.notna().to_numpy()
            labels = s.astype(str).where(s.notna())
            levels = sorted(pd.unique(labels[ok]))
            for lv in levels[1:]:
                col = np.where(ok, (labels == lv).to_numpy(dtype=float), np.nan)
                cols.append(col)
                names.append(f"{c}:{lv}")
    if not cols:
        return np.empty((len(frame), 0)), names
    return np.column_stack(cols), names


def mixed(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    pre="pre",
    post="post",
    covariates: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    df_method: str = "satterthwaite",
) -> MixedResult:
    r"""Pre/post change from a linear mixed model on all measurements (drop-outs included).

    Fits ``outcome ~ post + covariates + (1 | unit)`` by REML (one random intercept per
    participant) on every ``pre`` and ``post`` row with an outcome, so participants who
    missed one of the two measurements still count. Under "missing at random" (drop-out
    may depend on the measured pre-test score, not on the unmeasured post-test score) this
    is unbiased where the complete-pairs analysis of :func:`paired` is not, provided the
    model holds: one random intercept implies equal variances at pre and post. With
    clearly unequal variances it is biased too, far less than the complete pairs (simulation
    in ``benchmarks/montecarlo_impute.py``, docs/prepost.md); :func:`impute` is the
    sensitivity analysis that does not need that assumption. It equals R's
    ``lmerTest::lmer(outcome ~ post + covariates + (1 | unit))`` with Satterthwaite
    degrees of freedom (reference values in ``tests/reference/prepost_mixed/``). With
    complete pairs and no covariates it reproduces the paired t-test.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per participant per wave.
    outcome, unit, time : str
        Numeric outcome, participant identifier and wave columns.
    pre, post : scalar
        Values of ``time`` marking the two waves; other rows are ignored.
    covariates : str or list of str, optional
        Extra fixed effects taken from each measurement row: numeric columns as they are,
        other columns as 0/1 indicators per level (the first level in sorted order is the
        reference). Rows with a missing covariate are left out.
    confidence : float
        Confidence level of the intervals.
    df_method : {"satterthwaite", "kenward-roger"}
        Degrees of freedom of the t-tests and intervals: Satterthwaite (default, lmerTest's
        default) or Kenward-Roger (lmerTest ``ddf = "Kenward-Roger"`` via pbkrtest: also the
        standard errors are adjusted; computed on dense matrices, up to
        :data:`evalkit.methods.lmm.KR_MAX_OBS` measurements).

    Returns
    -------
    MixedResult
        ``.tidy()`` rows ``mean_diff`` (post - pre, Satterthwaite t-interval and test;
        ``df`` the Satterthwaite df), ``mean_pre``, ``mean_post`` (model-based means at
        the covariates' means over the measurements used), ``var_unit``, ``var_residual``,
        ``icc``; ``n`` = participants used, ``n_obs`` = measurements used.

    Raises
    ------
    DataValidationError
        Two rows of one participant for the same wave, a missing identifier, a non-numeric
        outcome.
    EstimationError
        No participant measured at both waves (the two variances cannot be separated), or
        the covariates are collinear with the wave.

    Warns
    -----
    DataQualityWarning
        Rows left out for a missing covariate; the participant variance estimated at 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.methods.prepost import mixed
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 5],
    ...                    "wave": ["pre", "post"] * 3 + ["pre", "pre"],
    ...                    "total": [6, 4, 5, 4, 7, 6, 8, 3]})
    >>> res = mixed(df, outcome="total", unit="id", time="wave")
    >>> res.n_units, res.n_obs
    (5, 8)
    """
    from evalkit.methods.lmm import KR_MAX_OBS, fit_random_intercept, kenward_roger

    confidence = check_confidence(confidence)
    check_option("df_method", df_method, ("satterthwaite", "kenward-roger"))
    covs = [] if covariates is None else ([covariates] if isinstance(covariates, str) else list(covariates))
    data = check_dataframe(data)
    check_columns(data, covariates=covs)
    for c in covs:
        if c in (outcome, unit, time):
            raise ParameterError(f"covariates must not include the outcome, unit or time column, got {c!r}.")
    _pair(data, outcome, unit, time, pre, post)  # checks ids, duplicates, numbers
    tcol = data[time]
    is_pre = _wave_mask(tcol, pre)
    is_post = _wave_mask(tcol, post)
    rows = np.flatnonzero(is_pre | is_post)
    frame = data.iloc[rows]
    y = _numeric(frame[outcome], "outcome")
    xpost = is_post[rows].astype(float)
    codes_all, _ = pd.factorize(frame[unit], sort=False)
    Z, znames = _covariate_matrix(frame, covs)
    ok = ~np.isnan(y) & ~np.isnan(Z).any(axis=1)
    n_cov_missing = int((~np.isnan(y) & np.isnan(Z).any(axis=1)).sum())
    if n_cov_missing:
        warnings.warn(
            f"{n_cov_missing} measurement(s) with an outcome but a missing covariate were left "
            "out of the mixed model.",
            DataQualityWarning,
            stacklevel=2,
        )
    y, xpost, Z = y[ok], xpost[ok], Z[ok]
    codes, _ = pd.factorize(codes_all[ok], sort=False)
    k = int(codes.max()) + 1 if codes.size else 0
    has_pre = np.bincount(codes[xpost == 0], minlength=k) > 0 if k else np.zeros(0, bool)
    has_post = np.bincount(codes[xpost == 1], minlength=k) > 0 if k else np.zeros(0, bool)
    n_complete = int((has_pre & has_post).sum())
    if n_complete == 0:
        raise EstimationError(
            f"No participant has a usable {outcome!r} at both {pre!r} and {post!r}: the "
            "variance between and within participants cannot be told apart."
        )
    X = np.column_stack([np.ones(y.size), xpost, Z])
    if np.linalg.matrix_rank(X) < X.shape[1] or y.size <= X.shape[1]:
        raise EstimationError(
            "The covariates are collinear with the wave or with each other (or there are too "
            f"few measurements for {X.shape[1]} coefficients); drop one of: {', '.join(znames)}."
        )
    fit = fit_random_intercept(y, X, codes)
    if fit.singular:
        warnings.warn(
            "The variance between participants is estimated at 0 (singular fit): the mixed "
            "model is then an ordinary regression on all measurements.",
            DataQualityWarning,
            stacklevel=2,
        )
    p = X.shape[1]
    zbar = Z.mean(axis=0) if Z.shape[1] else np.zeros(0)
    contrasts = {
        "mean_diff": np.concatenate([[0.0, 1.0], np.zeros(p - 2)]),
        "mean_pre": np.concatenate([[1.0, 0.0], zbar]),
        "mean_post": np.concatenate([[1.0, 1.0], zbar]),
    }
    if df_method == "kenward-roger" and y.size > KR_MAX_OBS:
        raise ParameterError(
            f"df_method='kenward-roger' is computed for at most {KR_MAX_OBS} measurements "
            f"(here {y.size}); use df_method='satterthwaite'."
        )
    kr = df_method == "kenward-roger"
    method = "linear mixed model (REML, random intercept), " + (
        "Kenward-Roger df and SE" if kr else "Satterthwaite df"
    )
    out = []
    alpha = 1 - confidence
    for term, L in contrasts.items():
        est, se, dfs = kenward_roger(fit, L) if kr else fit.satterthwaite(L)
        if np.isfinite(dfs) and se > 0:
            tval = est / se
            q = float(stats.t.ppf(1 - alpha / 2, dfs))
            pval = float(2 * stats.t.sf(abs(tval), dfs)) if term == "mean_diff" else math.nan
            lo, hi = est - q * se, est + q * se
        else:
            tval = pval = lo = hi = math.nan
        out.append(
            dict(
                term=term,
                estimate=est,
                std_error=se,
                ci_lower=lo,
                ci_upper=hi,
                p_value=pval,
                n=k,
                statistic=tval if term == "mean_diff" else math.nan,
                df=dfs,
                n_obs=int(y.size),
                method=method,
            )
        )
    tot = fit.s2u + fit.s2e
    for term, val in (
        ("var_unit", fit.s2u),
        ("var_residual", fit.s2e),
        ("icc", fit.s2u / tot if tot > 0 else math.nan),
    ):
        out.append(dict(term=term, estimate=val, n=k, n_obs=int(y.size), method="REML"))
    counts = dict(
        n_units=k,
        n_obs=int(y.size),
        n_complete=n_complete,
        n_pre_only=int((has_pre & ~has_post).sum()),
        n_post_only=int((~has_pre & has_post).sum()),
        n_rows_excluded=int(rows.size - ok.sum()),
    )
    return MixedResult(
        rows=out,
        outcome=outcome,
        confidence=confidence,
        is_djg=_looks_like_djg(outcome, y),
        counts=counts,
        fit=fit,
        covariates=covs,
        pre=pre,
        post=post,
        df_method=df_method,
    )


# ----------------------------------------------------------------------------------------
# impute: multiple imputation as a sensitivity analysis (issue 15)
# ----------------------------------------------------------------------------------------
_IMPUTE_EXTRA = ("statistic", "df", "fmi", "riv", "m", "method")


class ImputeResult(Result):
    """Result of :func:`impute`: the paired change after multiple imputation.

    Attributes
    ----------
    n_units : int
        Participants analysed (with at least one measured outcome).
    n_imputed_pre, n_imputed_post : int
        Pre- and post-test values that were imputed.
    m, n_iter, method, seed
        Imputations, sweeps per chain, imputation method and seed.
    estimates : ndarray
        The mean change in each completed data set.
    complete_case : dict
        ``estimate, ci_lower, ci_upper, n`` of the complete-pairs analysis, for comparison.

    ``n`` (in ``tidy()``): participants analysed (at least one measured outcome; missing ones imputed).
    """

    title = i18n.Message("methods.prepost.impute.title")

    def __init__(
        self, *, rows: list[dict], outcome: str, confidence: float, is_djg: bool, info: dict
    ) -> None:
        self._rows = rows
        self.outcome = outcome
        self.confidence = confidence
        self.is_djg = is_djg
        self.n_units: int = info["n_units"]
        self.n_imputed_pre: int = info["n_imputed_pre"]
        self.n_imputed_post: int = info["n_imputed_post"]
        self.m: int = info["m"]
        self.n_iter: int = info["n_iter"]
        self.method: str = info["method"]
        self.seed: int = info["seed"]
        self.estimates: np.ndarray = info["estimates"]
        self.complete_case: dict = info["complete_case"]
        self.pooled = info["pooled"]

    def tidy(self) -> pd.DataFrame:
        """Row ``mean_diff`` (pooled by Rubin's rules; ``df`` Barnard-Rubin) and row
        ``mean_diff_complete_case`` (the complete pairs, paired t); extra columns
        ``statistic, df, fmi, riv, m, method``."""
        return tidy_frame(self._rows, extra=_IMPUTE_EXTRA)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        md = self._rows[0]
        cc = self._rows[1]
        ci = i18n.fmt_ci(md["ci_lower"], md["ci_upper"], 2, lang, self.confidence)
        ci_cc = i18n.fmt_ci(cc["ci_lower"], cc["ci_upper"], 2, lang, self.confidence)
        lines = [
            i18n.t(
                "methods.prepost.impute.change",
                lang,
                n_imputations=self.m,
                method=self.method,
                estimate=_fmt(md["estimate"], 2, lang),
                ci=ci,
                df=_fmt(md["df"], 1, lang),
                statistic=_fmt(md["statistic"], 2, lang),
                p=i18n.fmt_p(md["p_value"], lang),
                n=self.n_units,
                n_imputed_pre=self.n_imputed_pre,
                n_imputed_post=self.n_imputed_post,
            )
        ]
        lines.append(
            i18n.t(
                "methods.prepost.impute.complete_cases",
                lang,
                estimate=_fmt(cc["estimate"], 2, lang),
                ci=ci_cc,
                n=cc["n"],
            )
        )
        lines.append(i18n.t("methods.prepost.impute.fmi", lang, fmi=_fmt(md["fmi"], 2, lang)))
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        """The pooled change and the complete-pairs change with their intervals."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax, figsize=(6.5, 2.6))
        labels = [
            i18n.t("methods.prepost.impute.multiple_imputation", lang),
            i18n.t("methods.prepost.impute.complete_pairs_only", lang),
        ]
        for y, r, key in zip((1, 0), self._rows[:2], ("post", "pre")):
            ax.errorbar(
                [r["estimate"]],
                [y],
                xerr=[[r["estimate"] - r["ci_lower"]], [r["ci_upper"] - r["estimate"]]],
                fmt="o",
                color=plotting.COLORS[key],
                capsize=5,
                markersize=8,
            )
        ax.axvline(0, color=plotting.COLORS["national"], linewidth=1)
        ax.set_yticks([1, 0], labels)
        ax.set_ylim(-0.6, 1.6)
        ax.set_xlabel(i18n.t("methods.prepost.impute.change_axis", lang))
        lvl = i18n.fmt_number(100 * self.confidence, 0, lang) if hasattr(self, "confidence") else "95"
        ax.set_title(
            i18n.t("figures.impute.title", lang, lvl=lvl),
            fontsize="medium",
        )
        return plotting.localize_axes(ax, lang)


def impute(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    pre="pre",
    post="post",
    covariates: Sequence[str] | str | None = None,
    m: int = 20,
    n_iter: int = 10,
    method: str = "norm",
    seed: int = 0,
    confidence: float = 0.95,
) -> ImputeResult:
    r"""Mean pre/post change after multiple imputation of the missing measurements.

    A sensitivity analysis for drop-out: every participant with at least one measured
    ``outcome`` is kept; the missing pre- or post-test values are imputed ``m`` times by
    chained equations from the other measurement and the ``covariates``
    (:mod:`evalkit.methods.imputation`: Bayesian linear regression, ``method="norm"``, the
    default; or predictive mean matching with 5 donors, ``method="pmm"``, R ``mice``'s
    default for numbers), the mean
    change post - pre and its squared standard error are computed in each completed data set
    and pooled by Rubin's rules with the Barnard-Rubin degrees of freedom (as
    ``mice::pool``; complete-data df n - 1).

    Parameters
    ----------
    data, outcome, unit, time, pre, post
        As in :func:`paired`.
    covariates : str or list of str, optional
        Auxiliary variables for the imputation model (numeric as they are, other columns as
        0/1 indicators), taken from the participant's pre row (post row if there is none).
        Participants with a missing covariate are left out (with a warning).
    m : int
        Number of imputations (at least 20; default 20).
    n_iter : int
        Sweeps of the chained equations per imputation (``mice``'s ``maxit``; default 10).
    method : {"norm", "pmm"}
        ``"norm"`` (default) met the coverage target in the simulation where drop-out is
        concentrated among the highest pre-test scores; ``"pmm"`` keeps imputed scores on
        the scale (whole numbers 0-11) but there fell short (bias -0.04, coverage 92.4%):
        with few observed post-tests at the high end it borrows from lower donors
        (``benchmarks/montecarlo_impute.py``, docs/prepost.md).
    seed : int
        Seed of the imputations (reproducible whatever the global random state).

    Returns
    -------
    ImputeResult
        ``.tidy()`` rows ``mean_diff`` (pooled; ``df`` Barnard-Rubin, ``fmi`` the fraction
        of missing information, ``riv`` the relative increase in variance, ``m``) and
        ``mean_diff_complete_case``.

    Notes
    -----
    Checked by simulation (``benchmarks/montecarlo_impute.py``, small version in
    ``tests/test_prepost_impute.py``): drop-out depending on the pre-test score (MAR),
    bias and coverage of the 95% interval.
    """
    from evalkit.core.checks import check_positive_int
    from evalkit.methods.imputation import analyse, chained_imputations, rubin_pool

    confidence = check_confidence(confidence)
    check_option("method", method, ("norm", "pmm"))
    m = check_positive_int(m, "m", minimum=20)
    n_iter = check_positive_int(n_iter, "n_iter", minimum=1)
    seed = check_positive_int(seed, "seed", minimum=0)
    covs = [] if covariates is None else ([covariates] if isinstance(covariates, str) else list(covariates))
    data = check_dataframe(data)
    check_columns(data, covariates=covs)
    for c in covs:
        if c in (outcome, unit, time):
            raise ParameterError(f"covariates must not include the outcome, unit or time column, got {c!r}.")
    pairs = _pair(data, outcome, unit, time, pre, post)
    keep = ~(np.isnan(pairs.pre_value) & np.isnan(pairs.post_value))
    # covariates per unit: from the pre row, else the post row
    is_pre = _wave_mask(data[time], pre)
    is_post = _wave_mask(data[time], post)
    rows = np.flatnonzero(is_pre | is_post)
    frame = data.iloc[rows]
    codes, _ = pd.factorize(frame[unit], sort=False)
    Z, znames = _covariate_matrix(frame, covs)
    order = np.lexsort((~is_pre[rows], codes))  # per unit: the pre row first
    first = np.ones(order.size, dtype=bool)
    first[1:] = codes[order][1:] != codes[order][:-1]
    Zu = np.full((pairs.n_units, Z.shape[1]), np.nan)
    Zu[codes[order][first]] = Z[order][first]
    cov_ok = ~np.isnan(Zu).any(axis=1)
    n_cov_missing = int((keep & ~cov_ok).sum())
    if n_cov_missing:
        warnings.warn(
            f"{n_cov_missing} participant(s) with a missing covariate were left out of the imputation.",
            DataQualityWarning,
            stacklevel=2,
        )
    keep &= cov_ok
    pre_v, post_v, Zu = pairs.pre_value[keep], pairs.post_value[keep], Zu[keep]
    n = int(keep.sum())
    n_mis_pre, n_mis_post = int(np.isnan(pre_v).sum()), int(np.isnan(post_v).sum())
    complete = ~np.isnan(pre_v) & ~np.isnan(post_v)
    if complete.sum() < 3 or np.isnan(pre_v).all() or np.isnan(post_v).all():
        raise EstimationError(
            f"Too few participants with both measurements of {outcome!r} "
            f"({int(complete.sum())}) to build an imputation model (at least 3)."
        )
    if Zu.shape[1] and np.linalg.matrix_rank(np.column_stack([np.ones(n), Zu])) < Zu.shape[1] + 1:
        raise EstimationError(f"The covariates are collinear; drop one of: {', '.join(znames)}.")
    X = np.column_stack([pre_v, post_v, Zu])

    def mean_change(c: np.ndarray) -> tuple[float, float]:
        d = c[:, 1] - c[:, 0]
        return float(d.mean()), float(d.var(ddof=1) / d.size)

    est, var = analyse(chained_imputations(X, m=m, n_iter=n_iter, seed=seed, method=method), mean_change)
    pooled = rubin_pool(est, var, df_complete=n - 1)
    alpha = 1 - confidence
    q = float(stats.t.ppf(1 - alpha / 2, pooled.df))
    tval = pooled.estimate / pooled.std_error if pooled.std_error > 0 else math.nan
    p_val = float(2 * stats.t.sf(abs(tval), pooled.df)) if np.isfinite(tval) else math.nan
    meth = f"multiple imputation ({method}, m = {m}, seed {seed}), Rubin's rules, Barnard-Rubin df"
    dcc = post_v[complete] - pre_v[complete]
    ncc = int(dcc.size)
    mcc, scc = _mean_sd(dcc)
    secc = scc / math.sqrt(ncc)
    qcc = float(stats.t.ppf(1 - alpha / 2, ncc - 1))
    tcc = mcc / secc if secc > 0 else math.nan
    out = [
        dict(
            term="mean_diff",
            estimate=pooled.estimate,
            std_error=pooled.std_error,
            ci_lower=pooled.estimate - q * pooled.std_error,
            ci_upper=pooled.estimate + q * pooled.std_error,
            p_value=p_val,
            n=n,
            statistic=tval,
            df=pooled.df,
            fmi=pooled.fmi,
            riv=pooled.riv,
            m=m,
            method=meth,
        ),
        dict(
            term="mean_diff_complete_case",
            estimate=mcc,
            std_error=secc,
            ci_lower=mcc - qcc * secc,
            ci_upper=mcc + qcc * secc,
            p_value=float(2 * stats.t.sf(abs(tcc), ncc - 1)) if np.isfinite(tcc) else math.nan,
            n=ncc,
            statistic=tcc,
            df=float(ncc - 1),
            method="paired t-test, complete pairs",
        ),
    ]
    info = dict(
        n_units=n,
        n_imputed_pre=n_mis_pre,
        n_imputed_post=n_mis_post,
        m=m,
        n_iter=n_iter,
        method=method,
        seed=seed,
        estimates=est,
        complete_case=dict(estimate=mcc, ci_lower=out[1]["ci_lower"], ci_upper=out[1]["ci_upper"], n=ncc),
        pooled=pooled,
    )
    return ImputeResult(
        rows=out,
        outcome=outcome,
        confidence=confidence,
        is_djg=_looks_like_djg(outcome, np.concatenate([pre_v, post_v])),
        info=info,
    )
