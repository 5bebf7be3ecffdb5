"""Two-way fixed effects regression and the event study (leads and lags)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_confidence, check_lang
from evalkit.core.errors import DataValidationError, EstimationError, ParameterError, SmallSampleWarning
from evalkit.core.i18n import Message, fmt_ci, fmt_number, fmt_p
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table
from evalkit.methods.did._common import (
    absorbing_first_treated,
    binary_column,
    check_unique,
    drop_missing,
    first_treated_values,
    outcome_column,
    prepare,
    time_column,
    weight_column,
)

__all__ = ["twfe", "event_study", "TWFEResult", "EventStudyResult"]


def _panel_fit(
    df: pd.DataFrame,
    outcome: str,
    regressors: list[str],
    unit: str,
    time: str,
    cluster: str | None,
    weights: str | None = None,
):
    """PanelOLS with unit and time effects, clustered by unit (default) or ``cluster``."""
    from linearmodels.panel import PanelOLS

    if cluster is not None and df[cluster].isna().any():
        raise DataValidationError(f"cluster={cluster!r} has missing values.")
    pdf = df.set_index([unit, time])
    exog = pdf[regressors]
    try:
        mod = PanelOLS(
            pdf[outcome],
            exog,
            entity_effects=True,
            time_effects=True,
            drop_absorbed=False,
            check_rank=True,
            weights=pdf[weights] if weights is not None else None,
        )
        if cluster is None:
            fit = mod.fit(cov_type="clustered", cluster_entity=True)
            n_cl = int(df[unit].nunique())
        else:
            codes = pd.Series(pd.factorize(pdf[cluster])[0], index=pdf.index, name="cl")
            fit = mod.fit(cov_type="clustered", clusters=codes.to_frame())
            n_cl = int(codes.nunique())
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise EstimationError(
            f"the two-way fixed effects regression cannot be estimated from these data "
            f"({len(df)} rows): {exc}"
        ) from exc
    return fit, n_cl


def _check_unit_weights(df: pd.DataFrame, unit: str, weights: str | None) -> None:
    """Weights: positive, never missing, one per unit (constant over time)."""
    if weights is None:
        return
    df[weights] = weight_column(df, weights)
    nun = df.groupby(unit)[weights].nunique()
    if (nun > 1).any():
        raise DataValidationError(
            f"weights={weights!r} must be constant within a unit (one weight per unit); "
            f"unit {nun.index[np.flatnonzero(nun.to_numpy() > 1)[0]]!r} has several."
        )


def _unit_first_treated(df, unit, first_treated):
    g = first_treated_values(df, first_treated)
    s = pd.Series(g, index=df.index)
    nun = s.groupby(df[unit].to_numpy()).nunique()
    if (nun > 1).any():
        u = nun.index[np.flatnonzero(nun.to_numpy() > 1)[0]]
        raise DataValidationError(
            f"first_treated={first_treated!r} must be constant within a unit; unit {u!r} "
            "has several values. Treatment cannot switch off or restart."
        )
    return g


def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    cluster: str | None = None,
    weights: str | None = None,
    confidence: float = 0.95,
) -> TWFEResult:
    r"""Two-way fixed effects DiD regression.

    .. math:: y_{it} = \alpha_i + \lambda_t + \beta D_{it} + \varepsilon_{it}

    estimated by linearmodels ``PanelOLS`` (unit and time effects) with standard errors
    clustered by unit (or by ``cluster``). With staggered adoption and effects that
    change over time or differ by cohort, :math:`\hat\beta` is a weighted average of
    2x2 comparisons with possibly negative weights (Goodman-Bacon 2021; see
    :func:`evalkit.did.bacon`) and can be badly biased; use
    :func:`evalkit.did.staggered` then.

    Parameters
    ----------
    data : DataFrame
        Long panel (one row per unit and period).
    outcome, unit, time : str
    treated : str
        0/1 treatment indicator per unit and period; once treated, always treated.
    cluster : str, optional
    weights : str, optional
        Sampling weight per unit (positive, constant over time, as R ``did``'s
        ``weightsname``): weighted least squares with unit and time effects.
    confidence : float

    Returns
    -------
    TWFEResult

    Examples
    --------
    >>> from evalkit.did import twfe, simulate_staggered
    >>> df = simulate_staggered(200, seed=1)
    >>> res = twfe(df, outcome="y", unit="unit", time="time", treated="treated")
    >>> res.tidy()["term"].tolist()
    ['treated']
    """
    alpha = 1 - check_confidence(confidence)
    df = prepare(
        data, outcome=outcome, unit=unit, time=time, treated=treated, cluster=cluster, weights=weights
    )
    df = drop_missing(df, [outcome, treated], "twfe")
    _check_unit_weights(df, unit, weights)
    outcome_column(df, outcome)
    t = time_column(df, time)
    d = binary_column(df, treated, "treated")
    check_unique(df, unit, time)
    ucodes, ulabels = pd.factorize(df[unit], sort=True)
    absorbing_first_treated(ucodes, t, d, len(ulabels), ulabels)
    if d.min() == d.max():
        raise EstimationError(f"treated={treated!r} does not vary; nothing to estimate.")
    df = df.assign(**{time: t, "__d": d})
    fit, n_cl = _panel_fit(df, outcome, ["__d"], unit, time, cluster, weights)
    est = float(fit.params["__d"])
    se = float(fit.std_errors["__d"])
    z = stats.norm.ppf(1 - alpha / 2)
    return TWFEResult(
        estimate=est,
        std_error=se,
        ci=(est - z * se, est + z * se),
        p_value=float(fit.pvalues["__d"]),
        n_obs=int(fit.nobs),
        n_units=len(ulabels),
        n_clusters=n_cl,
        fit=fit,
        alpha=alpha,
        outcome=outcome,
        data=df[[unit, time, outcome, "__d"]],
        names=dict(unit=unit, time=time),
    )


class TWFEResult(Result):
    """Result of :func:`twfe` (``.fit`` holds the linearmodels result).

    The coefficient is ``estimate()`` (the ``treated`` row of ``tidy()``); ``std_error``,
    ``ci`` and ``p_value`` are attributes.

    ``n`` (in ``tidy()``): units in the panel.
    """

    title = Message("did.title.twfe")
    ci: tuple[float, float]

    def __init__(
        self,
        *,
        estimate,
        std_error,
        ci,
        p_value,
        n_obs,
        n_units,
        n_clusters,
        fit,
        alpha,
        outcome,
        data,
        names,
    ):
        self._att = float(estimate)  # read it with estimate()
        self.std_error, self.ci, self.p_value = std_error, ci, p_value
        self.n_obs, self.n_units, self.n_clusters, self.fit = n_obs, n_units, n_clusters, fit
        self.alpha, self.outcome, self._data, self._names = alpha, outcome, data, names
        self.se_type = "cluster"

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(
            [
                dict(
                    term="treated",
                    estimate=self._att,
                    std_error=self.std_error,
                    ci_lower=self.ci[0],
                    ci_upper=self.ci[1],
                    p_value=self.p_value,
                    n=self.n_units,
                    n_obs=self.n_obs,
                    n_clusters=self.n_clusters,
                    se_type=self.se_type,
                )
            ],
            extra=("n_obs", "n_clusters", "se_type"),
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        conf = 1 - self.alpha
        return "\n".join(
            [
                self.title[lang],
                i18n.t(
                    "did.twfe.outcome",
                    lang,
                    outcome=self.outcome,
                    n_units=self.n_units,
                    n_obs=self.n_obs,
                    n_clusters=self.n_clusters,
                ),
                i18n.t(
                    "did.twfe.effect",
                    lang,
                    est=fmt_number(self._att, 3, lang),
                    se=fmt_number(self.std_error, 3, lang),
                    ci=fmt_ci(*self.ci, 3, lang, conf),
                    p=fmt_p(self.p_value, lang),
                ),
                i18n.t("did.twfe.caution", lang),
            ]
        )

    def plot(self, *, lang: str | None = None, ax=None):
        """Mean outcome over time by adoption cohort."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, label, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        d = self._data
        u, t = self._names["unit"], self._names["time"]
        first = d[d["__d"] == 1].groupby(u)[t].min()
        coh = d[u].map(first).fillna(0)
        m = d.assign(cohort=coh.to_numpy()).groupby(["cohort", t])[self.outcome].mean()
        for i, (c, s) in enumerate(m.groupby(level=0)):
            lab = i18n.t("did.twfe.never_treated", lang) if c == 0 else f"cohort {c:g}"
            ax.plot(
                s.index.get_level_values(1),
                s.to_numpy(),
                ["o-", "s--", "^-.", "D:"][(i // 6) % 4],
                color=PALETTE[i % 6],
                label=lab,
            )
        ax.set_xlabel(label("year", lang))
        ax.set_ylabel(i18n.t("did.twfe.plot_y_label", lang, outcome=self.outcome))
        ax.set_title(i18n.t("figures.twfe.cohort_means", lang))
        _integer_years(ax)
        legend_outside(ax)
        return localize_axes(ax, lang)


# ---------------------------------------------------------------------------------------
def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    window: tuple[int, int] = (-4, 4),
    reference: int = -1,
    cluster: str | None = None,
    weights: str | None = None,
    confidence: float = 0.95,
) -> EventStudyResult:
    r"""Event-study regression with leads and lags and binned endpoints.

    .. math:: y_{it} = \alpha_i + \lambda_t + \sum_{e \ne r} \beta_e\,1[\tilde e_{it} = e]
              + \varepsilon_{it},\quad \tilde e_{it} = \min(\max(t - g_i, a), b)

    for treated units (never-treated units, ``first_treated`` 0 or missing, have no
    event-time dummies); :math:`(a, b)` = ``window`` (event times beyond are binned into
    the endpoints), :math:`r` = ``reference`` (normalised to 0). Estimated with
    ``PanelOLS`` (unit and time effects), standard errors clustered by unit (or
    ``cluster``). The pre-trend test is the joint Wald test
    :math:`W = \hat\beta_{pre}'\hat V_{pre}^{-1}\hat\beta_{pre} \sim \chi^2_q` of all
    leads (:math:`e < 0`, :math:`e \ne r`). With heterogeneous effects under staggered
    adoption the coefficients mix cohorts (Sun & Abraham 2021); compare with
    ``staggered(...).aggregate("dynamic")``.

    Parameters
    ----------
    data : DataFrame
    outcome, unit, time, first_treated : str
    window : (int, int)
        Lowest and highest event time; endpoints are binned.
    reference : int
        Omitted event time (default -1, the period before the start).
    cluster : str, optional
    weights : str, optional
        Sampling weight per unit (constant over time): weighted least squares.
    confidence : float

    Returns
    -------
    EventStudyResult

    Examples
    --------
    >>> from evalkit.did import event_study, simulate_staggered
    >>> df = simulate_staggered(200, seed=1)
    >>> res = event_study(df, outcome="y", unit="unit", time="time", first_treated="g",
    ...                   window=(-3, 3))
    >>> res.tidy()["event_time"].tolist()
    [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    """
    alpha = 1 - check_confidence(confidence)
    try:
        lo, hi = (int(window[0]), int(window[1]))
    except (TypeError, ValueError, IndexError):
        raise ParameterError(f"window must be a pair of whole numbers (low, high), got {window!r}.") from None
    if not lo < 0 <= hi:
        raise ParameterError(f"window={window!r} must satisfy low < 0 <= high.")
    if not isinstance(reference, (int, np.integer)) or not lo <= reference < 0:
        raise ParameterError(
            f"reference={reference!r} must be a whole number in "
            f"[{lo}, -1] (a pre-treatment event time inside window)."
        )
    df = prepare(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        first_treated=first_treated,
        cluster=cluster,
        weights=weights,
    )
    df = drop_missing(df, [outcome], "event_study")
    _check_unit_weights(df, unit, weights)
    outcome_column(df, outcome)
    t = time_column(df, time)
    check_unique(df, unit, time)
    g = _unit_first_treated(df, unit, first_treated)
    if not (g > 0).any():
        raise EstimationError("no treated units (first_treated is 0 or missing everywhere).")
    e = np.where(g > 0, np.clip(t - g, lo, hi), np.nan)
    cols = []
    df = df.assign(**{time: t})
    for ev in range(lo, hi + 1):
        if ev == reference:
            continue
        name = f"__e{ev}"
        df[name] = (e == ev).astype(float)
        if df[name].sum() == 0:
            df = df.drop(columns=name)
            warnings.warn(
                f"no observations at event time {ev}; it is left out.", SmallSampleWarning, stacklevel=2
            )
            continue
        cols.append(name)
    fit, n_cl = _panel_fit(df, outcome, cols, unit, time, cluster, weights)
    z = stats.norm.ppf(1 - alpha / 2)
    evs = [int(c[3:]) for c in cols]
    est = fit.params[cols].to_numpy()
    se = fit.std_errors[cols].to_numpy()
    cov = fit.cov.loc[cols, cols].to_numpy()
    pre = [i for i, ev in enumerate(evs) if ev < 0]
    if pre:
        b = est[pre]
        V = cov[np.ix_(pre, pre)]
        W = float(b @ np.linalg.solve(V, b))
        pt = {"statistic": W, "df": len(pre), "p_value": float(stats.chi2.sf(W, len(pre)))}
    else:
        pt = {"statistic": np.nan, "df": 0, "p_value": np.nan}
    counts = pd.Series(e).value_counts()
    rows = []
    for ev in range(lo, hi + 1):
        if ev == reference:
            rows.append(
                dict(
                    term=f"event_time={ev}",
                    estimate=0.0,
                    std_error=np.nan,
                    ci_lower=np.nan,
                    ci_upper=np.nan,
                    p_value=np.nan,
                    n=int(counts.get(float(ev), 0)),
                    event_time=float(ev),
                    reference=True,
                    binned=ev in (lo, hi),
                )
            )
            continue
        if ev not in evs:
            continue
        i = evs.index(ev)
        rows.append(
            dict(
                term=f"event_time={ev}",
                estimate=float(est[i]),
                std_error=float(se[i]),
                ci_lower=float(est[i] - z * se[i]),
                ci_upper=float(est[i] + z * se[i]),
                p_value=float(2 * stats.norm.sf(abs(est[i] / se[i]))),
                n=int(counts.get(float(ev), 0)),
                event_time=float(ev),
                reference=False,
                binned=ev in (lo, hi),
            )
        )
    table = tidy_frame(rows, extra=("event_time", "reference", "binned"))
    table["n_obs"] = int(fit.nobs)
    table["n_clusters"] = n_cl
    table["se_type"] = "cluster"
    vcov = pd.DataFrame(cov, index=np.array(evs, dtype=float), columns=np.array(evs, dtype=float))
    return EventStudyResult(
        table=table,
        pretest=pt,
        fit=fit,
        n_obs=int(fit.nobs),
        n_clusters=n_cl,
        alpha=alpha,
        outcome=outcome,
        window=(lo, hi),
        reference=reference,
        vcov=vcov,
    )


class EventStudyResult(Result):
    """Result of :func:`event_study`; ``.pretest`` holds the joint Wald test of leads,
    ``.vcov`` the cluster-robust covariance of the coefficients (indexed by event time,
    the reference period left out), as used by :func:`evalkit.did.honest`.

    ``n`` (in ``tidy()``): units observed at that event time (rows for a repeated cross-section).
    """

    title = Message("did.title.event_study")

    def __init__(self, *, table, pretest, fit, n_obs, n_clusters, alpha, outcome, window, reference, vcov):
        self._table, self.pretest, self.fit, self.vcov = table, pretest, fit, vcov
        self.n_obs, self.n_clusters, self.alpha = n_obs, n_clusters, alpha
        self.outcome, self.window, self.reference = outcome, window, reference

    def tidy(self) -> pd.DataFrame:
        """One row per event time (the reference row has estimate 0 and no SE)."""
        return self._table.copy()

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        pt = self.pretest
        tab = self._table[["event_time", "estimate", "std_error", "ci_lower", "ci_upper"]]
        L = [
            self.title[lang],
            i18n.t(
                "did.event_study.outcome",
                lang,
                outcome=self.outcome,
                n_obs=self.n_obs,
                n_clusters=self.n_clusters,
                reference=self.reference,
                window=self.window,
            ),
        ]
        if pt["df"]:
            L.append(
                i18n.t(
                    "did.event_study.pretest",
                    lang,
                    df=pt["df"],
                    stat=fmt_number(pt["statistic"], 2, lang),
                    p=fmt_p(pt["p_value"], lang),
                )
            )
            if pt["p_value"] < 0.05:
                L.append(i18n.t("did.event_study.pretest_fails", lang))
        L += ["", text_table(tab, lang, digits={"event_time": 0}, index=False)]
        return "\n".join(L)

    def plot(self, *, lang: str | None = None, ax=None):
        """Coefficients with confidence intervals against event time."""
        lang = resolve_lang(lang)
        from evalkit.core.i18n import t
        from evalkit.core.plotting import COLORS, label, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        d = self._table
        lvl = fmt_number(100 * (1 - self.alpha), 0, lang)
        for mask, col, lab, fmt in (
            (d["event_time"] < 0, COLORS["pre"], "figures.before_start", "s"),
            (d["event_time"] >= 0, COLORS["post"], "figures.after_start", "o"),
        ):
            dd = d[mask]
            err = [(dd["estimate"] - dd["ci_lower"]).fillna(0), (dd["ci_upper"] - dd["estimate"]).fillna(0)]
            ax.errorbar(
                dd["event_time"], dd["estimate"], yerr=err, fmt=fmt, color=col, capsize=3, label=t(lab, lang)
            )
        ax.axhline(0, color=COLORS["national"], linewidth=1)
        ax.axvline(-0.5, color=COLORS["national"], linewidth=1, linestyle=":")
        ax.set_xlabel(label("event_time", lang))
        ax.set_ylabel(t("figures.effect_on", lang, y=self.outcome))
        ax.set_title(t("figures.twfe.event_study", lang, lvl=lvl), fontsize="medium")
        _integer_years(ax)
        legend_outside(ax, loc="below")
        return localize_axes(ax, lang)


def _integer_years(ax) -> None:
    """Whole years on the x axis (no 2.5 years, no thousands separator in 2018)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}".replace("-", "\u2212")))
