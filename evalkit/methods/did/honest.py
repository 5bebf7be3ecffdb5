"""Sensitivity of an event-study effect to violations of parallel trends.

:func:`honest` implements Rambachan & Roth (2023) for an event study
(:func:`evalkit.did.event_study`) or the dynamic aggregation of Callaway & Sant'Anna
(``staggered(...).aggregate("dynamic")``): confidence intervals for the effect at one
event time (or the average post-treatment effect) that stay valid when the
post-treatment violation of parallel trends is bounded relative to the pre-treatment
violations. The numerics are in :mod:`evalkit.methods.did._honest_core`; see
``docs/did.md`` for the comparison with R ``HonestDiD``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import ThreadpoolController

from evalkit.core import i18n
from evalkit.core.checks import check_confidence, check_option
from evalkit.core.errors import DataQualityWarning, EstimationError, ParameterError
from evalkit.core.i18n import Message, fmt_ci, fmt_number, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table
from evalkit.methods.did._honest_core import flci, normal_draws, original_ci, rm_interval

__all__ = ["honest", "HonestResult"]

_METHODS = ("relative_magnitudes", "smoothness")
_DEFAULT_MBAR = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
_LF_SEED = 0  # seed of the least-favourable critical value simulation
_LF_SIMS = 10_000  # R HonestDiD: 1,000 (see docs/did.md)
_BLAS: list[ThreadpoolController] = []  # created once: inspecting the libraries is slow


def _one_blas_thread():
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _event_path(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Event times, estimates and covariance (reference period -1 left out), n."""
    from evalkit.methods.did.staggered import AggregateResult, StaggeredResult
    from evalkit.methods.did.twfe import EventStudyResult

    if isinstance(result, StaggeredResult):
        result = result.aggregate("dynamic")
    if isinstance(result, AggregateResult):
        if result.kind != "dynamic":
            raise ParameterError(
                f"honest() needs the dynamic aggregation (aggregate('dynamic')), got kind={result.kind!r}."
            )
        if result.base_period != "universal":
            raise EstimationError(
                "honest() needs event-study estimates relative to one reference period: "
                "estimate with staggered(..., base_period='universal') (as R's "
                "honest_did). With the varying base period the pre-treatment estimates "
                "are period-to-period changes, not deviations from the reference."
            )
        tab = result.tidy().iloc[1:]
        ev = tab["event_time"].to_numpy(dtype=float)
        est = tab["estimate"].to_numpy(dtype=float)
        V = result.vcov.to_numpy()
        ref = -1.0 - result.anticipation
        keep = ev != ref
        if (ev == ref).any() and abs(est[~keep][0]) > 1e-12:
            raise EstimationError("the reference period is not normalised to zero.")
        ev, est, V = ev[keep], est[keep], V[np.ix_(keep, keep)]
        n = result.n_units
        if result.anticipation:
            ev = ev + result.anticipation  # reference at -1 after the shift
    elif isinstance(result, EventStudyResult):
        if result.reference != -1:
            raise ParameterError(
                f"honest() needs the event study with reference=-1 (the period before "
                f"the start), got reference={result.reference}."
            )
        vc = result.vcov
        ev = vc.index.to_numpy(dtype=float)
        est = result.tidy().set_index("event_time").loc[ev, "estimate"].to_numpy(float)
        V = vc.to_numpy()
        n = result.n_clusters
    else:
        raise ParameterError(
            "result must be an event_study() result or staggered(...).aggregate('dynamic') "
            f"(or a staggered() result), got {type(result).__name__}."
        )
    order = np.argsort(ev)
    ev, est, V = ev[order], est[order], V[np.ix_(order, order)]
    if not np.all(np.isfinite(est)) or not np.all(np.isfinite(V)):
        raise EstimationError("some event-time estimates or their covariances are missing.")
    want = np.r_[np.arange(ev.min(), -1), np.arange(0, ev.max() + 1)]
    if ev.size != want.size or not np.allclose(ev, want):
        raise EstimationError(
            "honest() needs consecutive event times around the reference period -1; "
            f"found {', '.join(f'{x:g}' for x in ev)}."
        )
    return ev, est, V, int(n)


def _grid(values: Any, name: str, default: Sequence[float]) -> np.ndarray:
    if values is None:
        return np.asarray(default, dtype=float)
    arr = (
        np.atleast_1d(np.asarray(values, dtype=float)) if not isinstance(values, str) else np.array([np.nan])
    )
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or (arr < 0).any():
        raise ParameterError(f"{name} must be a non-negative number or a list of them, got {values!r}.")
    return np.unique(arr)


def _smoothness_default(est: np.ndarray, V: np.ndarray, n_pre: int, alpha: float) -> list:
    """Ten values from 0 to an upper confidence bound of the largest pre-treatment
    second difference (R HonestDiD's DeltaSD_upperBound_Mpre: one-sided 1 - alpha)."""
    b = np.r_[est[:n_pre], 0.0]
    S = np.zeros((n_pre + 1, n_pre + 1))
    S[:n_pre, :n_pre] = V[:n_pre, :n_pre]
    if n_pre < 2:
        return list(np.linspace(0, float(np.sqrt(V[0, 0])), 10))
    D = np.zeros((n_pre - 1, n_pre + 1))
    for r in range(n_pre - 1):
        D[r, r : r + 3] = (1.0, -2.0, 1.0)
    d, sd = D @ b, np.sqrt(np.diag(D @ S @ D.T))
    ub = float(np.max(np.abs(d) + stats.norm.ppf(1 - alpha) * sd))
    return list(np.linspace(0.0, ub, 10))


def honest(
    result: Any,
    *,
    method: str = "relative_magnitudes",
    mbar: Any = None,
    m: Any = None,
    e: int | str = 0,
    confidence: float = 0.95,
) -> HonestResult:
    r"""How robust is an event-study effect to violations of parallel trends?

    Rambachan & Roth (2023): with :math:`\hat\beta` the event-study estimates
    (pre-treatment :math:`e \le -2`, post-treatment :math:`e \ge 0`, reference
    :math:`e=-1` normalised to 0) and :math:`\delta` the unknown violation of parallel
    trends, :math:`\beta = \tau + \delta` with :math:`\tau_{pre} = 0`. The target is
    :math:`\theta = l'\tau_{post}` (the effect at event time ``e`` or, with
    ``e="average"``, the mean of the post-treatment effects). Restrictions on
    :math:`\delta`:

    - ``method="relative_magnitudes"``, :math:`\Delta^{RM}(\bar M)`: every
      post-treatment change of :math:`\delta` between consecutive periods is at most
      :math:`\bar M` times the largest pre-treatment change. Intervals: the
      conditional test with least-favourable hybrid of Andrews, Roth & Pakes (R
      ``HonestDiD``'s default ``"C-LF"``), over R's grid of 1,000 values of
      :math:`\theta`; the least-favourable critical value from 10,000 simulated
      draws (R: 1,000, whose Monte Carlo error can move a bound by a grid step).
    - ``method="smoothness"``, :math:`\Delta^{SD}(M)`: the slope of :math:`\delta`
      changes by at most :math:`M` between consecutive periods (:math:`M = 0`:
      a linear pre-trend continues). Intervals: the optimal fixed-length confidence
      interval (FLCI) as R ``HonestDiD``; evalkit uses the exact folded-normal
      quantile and the continuous optimum where R simulates the quantile (10^6 draws)
      and searches 100 values of the standard deviation.

    For the Callaway & Sant'Anna path the covariance of the event-time estimates comes
    from their influence functions (``aggregate("dynamic").vcov``; clustered when the
    estimate was), as R's ``honest_did`` for ``did``; estimate with
    ``base_period="universal"``.

    Parameters
    ----------
    result
        ``event_study(...)`` (reference -1) or ``staggered(...).aggregate("dynamic")``
        (or the ``staggered`` result itself).
    method : {"relative_magnitudes", "smoothness"}
    mbar : float or list of float, optional
        Values of :math:`\bar M` (relative magnitudes); default 0, 0.25, ..., 2.
    m : float or list of float, optional
        Values of :math:`M` (smoothness, in units of the outcome per period squared);
        default ten values from 0 to an upper bound of the largest pre-treatment
        second difference (as R ``HonestDiD``).
    e : int or "average"
        Event time of the effect (0 = first treated period) or ``"average"``.
    confidence : float

    Returns
    -------
    HonestResult
        ``.tidy()`` (the parallel-trends interval first, then one row per restriction
        value), ``.breakdown``, ``.original``, ``.summary()``, ``.plot()``.

    References
    ----------
    Rambachan, A. & Roth, J. (2023). A more credible approach to parallel trends.
    Review of Economic Studies 90(5), 2555-2591.
    Andrews, I., Roth, J. & Pakes, A. (2023). Inference for linear conditional moment
    inequalities. Review of Economic Studies 90(6), 2763-2791.

    Examples
    --------
    >>> from evalkit.did import honest, staggered, simulate_staggered
    >>> df = simulate_staggered(400, seed=1)
    >>> dyn = staggered(df, outcome="y", unit="unit", time="time", first_treated="g",
    ...                 base_period="universal").aggregate("dynamic")
    >>> h = honest(dyn, mbar=[0.5, 1])
    >>> h.tidy()["term"].tolist()
    ['parallel_trends', 'mbar=0.5', 'mbar=1']
    """
    method = check_option("method", method, _METHODS)
    alpha = 1 - check_confidence(confidence)
    ev, est, V, n = _event_path(result)
    n_pre, n_post = int((ev < 0).sum()), int((ev >= 0).sum())
    if n_post == 0:
        raise EstimationError("no post-treatment event times to assess.")
    if isinstance(e, str):
        check_option("e", e, ("average",))
        l_vec = np.full(n_post, 1.0 / n_post)
    else:
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or not 0 <= e < n_post:
            raise ParameterError(f"e must be an event time 0..{n_post - 1} or 'average', got {e!r}.")
        l_vec = np.zeros(n_post)
        l_vec[int(e)] = 1.0
    if method == "relative_magnitudes":
        if m is not None:
            raise ParameterError("m is the smoothness bound; use mbar= with method='relative_magnitudes'.")
        if n_pre < 1:
            raise EstimationError(
                "relative magnitudes need at least one pre-treatment event time besides the reference period."
            )
        values = _grid(mbar, "mbar", _DEFAULT_MBAR)
    else:
        if mbar is not None:
            raise ParameterError("mbar is the relative-magnitudes bound; use m= with method='smoothness'.")
        if n_pre < 1:
            raise EstimationError(
                "smoothness restrictions need at least one "
                "pre-treatment event time besides the reference period."
            )
        values = _grid(m, "m", _smoothness_default(est, V, n_pre, alpha))
    o_est, o_se, o_lo, o_hi = original_ci(est, V, n_pre, l_vec, alpha)
    rows = [
        dict(
            term="parallel_trends",
            estimate=o_est,
            std_error=o_se,
            ci_lower=o_lo,
            ci_upper=o_hi,
            p_value=float(2 * stats.norm.sf(abs(o_est / o_se))),
            n=n,
            method="original",
            restriction="parallel_trends",
            value=np.nan,
        )
    ]
    # small matrices: BLAS threads only cost time (and thrash on a busy machine)
    with _one_blas_thread():
        n_open = _robust_rows(rows, method, values, est, V, n_pre, n_post, l_vec, alpha, n, o_est)
    if n_open:
        warnings.warn(
            f"{n_open} interval(s) reach the end of the grid of effect values; "
            "their true bounds may lie further out.",
            DataQualityWarning,
            stacklevel=2,
        )
    table = tidy_frame(rows, extra=("method", "restriction", "value"))
    return HonestResult(
        table=table, method=method, e=e, alpha=alpha, n_pre=n_pre, n_post=n_post, event_times=ev
    )


def _robust_rows(
    rows: list,
    method: str,
    values: np.ndarray,
    est: np.ndarray,
    V: np.ndarray,
    n_pre: int,
    n_post: int,
    l_vec: np.ndarray,
    alpha: float,
    n: int,
    o_est: float,
) -> int:
    """Append one tidy row per restriction value; return the number of open intervals."""
    n_open = 0
    if method == "relative_magnitudes":
        draws = normal_draws(_LF_SEED, _LF_SIMS)
        for v in values:
            lo, hi, is_open = rm_interval(est, V, n_pre, n_post, l_vec, float(v), alpha, lf_draws=draws)
            n_open += is_open
            rows.append(
                dict(
                    term=f"mbar={v:g}",
                    estimate=o_est,
                    ci_lower=lo,
                    ci_upper=hi,
                    n=n,
                    method="C-LF",
                    restriction="relative_magnitudes",
                    value=float(v),
                )
            )
    else:
        for v in values:
            lo, hi, wts = flci(est, V, n_pre, n_post, l_vec, float(v), alpha)
            rows.append(
                dict(
                    term=f"m={v:g}",
                    estimate=float(wts @ est),
                    ci_lower=lo,
                    ci_upper=hi,
                    n=n,
                    method="FLCI",
                    restriction="smoothness",
                    value=float(v),
                )
            )
    return n_open


class HonestResult(Result):
    """Result of :func:`honest`.

    Attributes
    ----------
    original : tuple
        (estimate, std_error, ci_lower, ci_upper) under exact parallel trends.
    breakdown : float or None
        The largest restriction value (of the grid) up to which every interval excludes
        zero: the conclusion "there is an effect" survives violations up to this size.
        None when the parallel-trends interval already includes zero or the smallest
        value does; equal to the largest grid value when no interval includes zero
        (then the true breakdown is at least that).

    ``n`` (in ``tidy()``): units behind the event-study estimates the bounds rest on.
    """

    title = Message("did.title.honest")

    def __init__(
        self,
        *,
        table: pd.DataFrame,
        method: str,
        e: int | str,
        alpha: float,
        n_pre: int,
        n_post: int,
        event_times: np.ndarray,
    ) -> None:
        self._table, self.method, self.e, self.alpha = table, method, e, alpha
        self.n_pre, self.n_post, self.event_times = n_pre, n_post, event_times
        o = table.iloc[0]
        self.original = (float(o.estimate), float(o.std_error), float(o.ci_lower), float(o.ci_upper))
        rob = table.iloc[1:]
        excl = ((rob["ci_lower"] > 0) | (rob["ci_upper"] < 0)).to_numpy()
        self.breakdown: float | None = None
        self.breakdown_is_lower_bound = False
        orig_excl = self.original[2] > 0 or self.original[3] < 0
        if orig_excl and excl.size and excl[0]:
            k = int(np.argmin(excl)) if not excl.all() else excl.size
            self.breakdown = float(rob["value"].iloc[k - 1])
            self.breakdown_is_lower_bound = bool(excl.all())

    def tidy(self) -> pd.DataFrame:
        """The parallel-trends row (``method="original"``), then one row per value of
        the restriction (``value``; ``method`` "C-LF" or "FLCI"). Robust rows have no
        standard error or p-value (the intervals are not estimate +- z SE)."""
        return self._table.copy()

    def _what(self, lang: str) -> str:
        if self.e == "average":
            return i18n.t("did.honest.what.average", lang, n_post=self.n_post)
        return i18n.t("did.honest.what.event_time", lang, event_time=self.e)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        conf = 1 - self.alpha
        est, _, lo, hi = self.original
        rm = self.method == "relative_magnitudes"
        sym = "M̄" if rm else "M"
        L = [self.title[lang]]
        L.append(
            i18n.t(
                "did.honest.under_parallel_trends",
                lang,
                what=self._what(lang),
                est=fmt_number(est, 3, lang),
                ci=fmt_ci(lo, hi, 3, lang, conf),
            )
        )
        L.append(
            i18n.t(
                "did.honest.restriction_line",
                lang,
                restriction=t(f"did.honest.restriction.{self.method}", lang),
            )
        )
        orig_excl = lo > 0 or hi < 0
        vals = self._table.iloc[1:]
        top = float(vals["value"].max())
        if not orig_excl:
            L.append(i18n.t("did.honest.no_effect_anyway", lang))
        elif self.breakdown is None:
            L.append(
                i18n.t(
                    "did.honest.fragile_at_first",
                    lang,
                    symbol=sym,
                    value=fmt_number(float(vals["value"].iloc[0]), 2, lang),
                )
            )
        elif self.breakdown_is_lower_bound:
            L.append(i18n.t("did.honest.holds_for_all", lang, symbol=sym, value=fmt_number(top, 2, lang)))
        else:
            bd = fmt_number(self.breakdown, 2, lang)
            if rm:
                robust = "robust" if self.breakdown >= 1 else "fragile"
                L.append(
                    i18n.t(
                        "did.honest.holds_until_rm",
                        lang,
                        breakdown=bd,
                        strength=t(f"did.honest.strength.{robust}", lang),
                        why=t(f"did.honest.why.{robust}", lang),
                    )
                )
            else:
                L.append(i18n.t("did.honest.holds_until_sd", lang, breakdown=bd))
        tab = self._table[["value", "ci_lower", "ci_upper"]].iloc[1:].rename(columns={"value": sym})
        L += ["", text_table(tab, lang, digits=4, index=False)]
        return "\n".join(L)

    def plot(self, *, lang: str | None = None, ax=None):
        """Intervals against the restriction value, the parallel-trends interval on the
        left (as R ``HonestDiD``'s sensitivity plots)."""
        from evalkit.core.plotting import COLORS, legend_outside, localize_axes, new_axes

        lang = resolve_lang(lang)
        ax = new_axes(ax)
        d = self._table
        rob = d.iloc[1:]
        vals = rob["value"].to_numpy()
        step = float(np.min(np.diff(vals))) if vals.size > 1 else max(float(vals[0]), 1.0)
        x0 = float(vals.min()) - step
        o = d.iloc[0]
        ax.errorbar(
            [x0],
            [o.estimate],
            yerr=[[o.estimate - o.ci_lower], [o.ci_upper - o.estimate]],
            fmt="o",
            color=COLORS["pre"],
            capsize=4,
            label=i18n.t("did.honest.plot.parallel_trends", lang),
        )
        mid = (rob["ci_lower"] + rob["ci_upper"]) / 2
        ax.errorbar(
            vals,
            mid,
            yerr=[mid - rob["ci_lower"], rob["ci_upper"] - mid],
            fmt="none",
            color=COLORS["post"],
            capsize=4,
            linewidth=2,
            label=i18n.t("did.honest.plot.robust_interval", lang, method=rob["method"].iloc[0]),
        )
        ax.axhline(0, color=COLORS["national"], linewidth=1)
        rm = self.method == "relative_magnitudes"
        ax.set_xlabel(
            t("figures.honest.x_rm", lang) if rm else t("figures.honest.x_sd", lang), fontsize="small"
        )
        ax.set_ylabel(t("figures.honest.y", lang))
        ax.set_title(t("figures.honest.title", lang), fontsize="medium", pad=12)
        if self.breakdown is not None:
            ax.axvline(self.breakdown, color=COLORS["national"], linestyle=":", linewidth=1)
        legend_outside(ax, loc="below")
        return localize_axes(ax, lang)
