"""Callaway & Sant'Anna (2021) group-time average treatment effects.

Follows the estimator of R ``did`` (``att_gt`` + ``aggte``) step by step; see
:func:`staggered` for the formulas and ``docs/did.md`` for where we deviate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_confidence, check_lang, check_option, check_positive_int
from evalkit.core.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    ParameterError,
    SmallSampleWarning,
)
from evalkit.core.i18n import Message, fmt_ci, fmt_number, fmt_p
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table
from evalkit.methods.did._bootstrap import (
    bootstrap_draws,
    cluster_sums,
    multiplier_bootstrap,
    summarise_draws,
)
from evalkit.methods.did._common import (
    as_list,
    check_balanced,
    check_unique,
    drop_missing,
    first_treated_values,
    norm_p,
    numeric_column,
    outcome_column,
    prepare,
    time_column,
    weight_column,
)

__all__ = ["staggered", "StaggeredResult", "AggregateResult"]

_TINY = np.sqrt(np.finfo(float).eps) * 10
_AGG_KINDS = ("simple", "group", "dynamic", "calendar")
_AGG_COLUMNS = ("kind", "group", "time", "event_time", "ci_type", "n_obs", "n_clusters", "se_type")


# ---------------------------------------------------------------------------------------
# 2x2 building blocks (one ATT(g,t) and its influence function)
# ---------------------------------------------------------------------------------------
def _logit(
    X: np.ndarray, d: np.ndarray, w: np.ndarray | None = None, max_iter: int = 100, tol: float = 1e-10
):
    """(Weighted) maximum likelihood logit by Newton-Raphson, as R's
    ``glm(d ~ X, weights = w, family = binomial)``; returns (beta, fitted p, converged)."""
    w = np.ones_like(d) if w is None else w
    beta = np.zeros(X.shape[1])
    ybar = float(np.sum(w * d) / np.sum(w))
    beta[0] = np.log(ybar / (1 - ybar))  # intercept start (X[:, 0] is the constant)
    converged = False
    for _ in range(max_iter):
        eta = X @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        v = w * p * (1 - p)
        grad = X.T @ (w * (d - p))
        hess = (X * v[:, None]).T @ X
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            converged = True
            break
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    return beta, p, converged


def _ps_fit(X: np.ndarray, d: np.ndarray, w: np.ndarray):
    """Propensity score by weighted logit and the asymptotic linear representation of
    its coefficients (R: score %*% vcov(glm) * n)."""
    n1 = d.shape[0]
    _, ps, conv = _logit(X, d, w)
    if not conv:
        warnings.warn("propensity-score logit did not converge.", ConvergenceWarning, stacklevel=5)
    hess_inv = np.linalg.inv((X * (w * ps * (1 - ps))[:, None]).T @ X) * n1
    lin_ps = (X * (w * (d - ps))[:, None]) @ hess_inv
    return ps, lin_ps


def _control_ols(dy: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray):
    """Weighted OLS of dy on X among the comparison units: fitted values for everyone
    and the asymptotic linear representation of the coefficients (n1 x k)."""
    n1 = dy.shape[0]
    wols = w * (1 - d)
    Xw = X * wols[:, None]
    beta = np.linalg.solve(Xw.T @ X, Xw.T @ dy)
    out = X @ beta
    xpx_inv = np.linalg.inv(Xw.T @ X / n1)
    lin_ols = (X * (wols * (dy - out))[:, None]) @ xpx_inv
    return out, lin_ols


def _drdid_panel(dy: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray):
    """Sant'Anna & Zhao (2020) doubly robust DiD for panel data (as DRDID::drdid_panel,
    with sampling weights ``w`` as its ``i.weights``).

    Returns the ATT and its influence function (length n1, mean zero) for the units
    passed in (treated ``d == 1`` and comparison ``d == 0``), and the largest ps.
    """
    ps, lin_ps = _ps_fit(X, d, w)
    psc = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 1, psc < 1.01, psc < 0.995).astype(float)
    out, lin_ols = _control_ols(dy, d, X, w)
    w_t = w * d
    w_c = w * trim * psc * (1 - d) / (1 - psc)
    resid = dy - out
    eta_t = np.mean(w_t * resid) / np.mean(w_t)
    eta_c = np.mean(w_c * resid) / np.mean(w_c)
    att = eta_t - eta_c
    m1 = np.mean(X * w_t[:, None], axis=0)
    inf_treat = (w_t * resid - w_t * eta_t - lin_ols @ m1) / np.mean(w_t)
    m2 = np.mean(X * (w_c * (resid - eta_c))[:, None], axis=0)
    m3 = np.mean(X * w_c[:, None], axis=0)
    inf_cont = (w_c * resid - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / np.mean(w_c)
    return att, inf_treat - inf_cont, float(np.max(ps))


def _reg_did_panel(dy: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray):
    """Outcome-regression DiD for panel data (Heckman, Ichimura & Todd 1997; as
    DRDID::reg_did_panel): mean change of the treated minus the mean over the treated
    of the comparison units' regression of the change on X."""
    out, lin_ols = _control_ols(dy, d, X, w)
    w_t = w * d
    eta_t = np.mean(w_t * dy) / np.mean(w_t)
    eta_c = np.mean(w_t * out) / np.mean(w_t)
    inf_treat = (w_t * dy - w_t * eta_t) / np.mean(w_t)
    m1 = np.mean(X * w_t[:, None], axis=0)
    inf_cont = (w_t * out - w_t * eta_c + lin_ols @ m1) / np.mean(w_t)
    return eta_t - eta_c, inf_treat - inf_cont, 0.0


def _std_ipw_did_panel(dy: np.ndarray, d: np.ndarray, X: np.ndarray, w: np.ndarray):
    """Inverse-probability-weighted DiD with normalised (Hajek) weights for panel data
    (Abadie 2005; as DRDID::std_ipw_did_panel, R did's ``est_method="ipw"``)."""
    ps, lin_ps = _ps_fit(X, d, w)
    psc = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 1, psc < 1.01, psc < 0.995).astype(float)
    w_t = trim * w * d
    w_c = trim * w * psc * (1 - d) / (1 - psc)
    eta_t = np.mean(w_t * dy) / np.mean(w_t)
    eta_c = np.mean(w_c * dy) / np.mean(w_c)
    inf_treat = (w_t * dy - w_t * eta_t) / np.mean(w_t)
    m2 = np.mean(X * (w_c * (dy - eta_c))[:, None], axis=0)
    inf_cont = (w_c * dy - w_c * eta_c + lin_ps @ m2) / np.mean(w_c)
    return eta_t - eta_c, inf_treat - inf_cont, float(np.max(ps))


_PANEL_ESTIMATORS = {"dr": _drdid_panel, "reg": _reg_did_panel, "ipw": _std_ipw_did_panel}


def _wols_lin(X, mask, y, n):
    """OLS of y on X within ``mask``: fitted values for all rows and the asymptotic
    linear representation of the coefficients (n x k), as DRDID's wols_rc."""
    Xm = X[mask]
    beta, *_ = np.linalg.lstsq(Xm, y[mask], rcond=None)
    fit = X @ beta
    w = mask.astype(float)
    xpx_inv = np.linalg.inv((X * w[:, None]).T @ X / n)
    lin = (X * (w * (y - fit))[:, None]) @ xpx_inv
    return fit, lin


def _drdid_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, X: np.ndarray):
    """Sant'Anna & Zhao (2020) locally efficient doubly robust DiD for repeated
    cross-sections (as DRDID::drdid_rc). Returns (ATT, influence function, max ps)."""
    n = y.shape[0]
    _, ps, conv = _logit(X, d)
    if not conv:
        warnings.warn("propensity-score logit did not converge.", ConvergenceWarning, stacklevel=4)
    hess_inv = np.linalg.inv((X * (ps * (1 - ps))[:, None]).T @ X) * n
    psc = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 1, psc < 1.01, psc < 0.995).astype(float)
    c, t = d == 0, d == 1
    pre, po = post == 0, post == 1
    m_cpre, l_cpre = _wols_lin(X, c & pre, y, n)
    m_cpost, l_cpost = _wols_lin(X, c & po, y, n)
    m_tpre, l_tpre = _wols_lin(X, t & pre, y, n)
    m_tpost, l_tpost = _wols_lin(X, t & po, y, n)
    m_c = post * m_cpost + (1 - post) * m_cpre
    odds = psc * (1 - d) / (1 - psc)
    w = {
        "tpre": trim * d * (1 - post),
        "tpost": trim * d * post,
        "cpre": trim * odds * (1 - post),
        "cpost": trim * odds * post,
        "d": trim * d,
        "dt1": trim * d * post,
        "dt0": trim * d * (1 - post),
    }
    mw = {k: v.mean() for k, v in w.items()}
    eta = {
        "tpre": w["tpre"] * (y - m_c) / mw["tpre"],
        "tpost": w["tpost"] * (y - m_c) / mw["tpost"],
        "cpre": w["cpre"] * (y - m_c) / mw["cpre"],
        "cpost": w["cpost"] * (y - m_c) / mw["cpost"],
        "dpost": w["d"] * (m_tpost - m_cpost) / mw["d"],
        "dt1post": w["dt1"] * (m_tpost - m_cpost) / mw["dt1"],
        "dpre": w["d"] * (m_tpre - m_cpre) / mw["d"],
        "dt0pre": w["dt0"] * (m_tpre - m_cpre) / mw["dt0"],
    }
    a = {k: v.mean() for k, v in eta.items()}
    att = (
        (a["tpost"] - a["tpre"])
        - (a["cpost"] - a["cpre"])
        + (a["dpost"] - a["dt1post"])
        - (a["dpre"] - a["dt0pre"])
    )
    # treated part
    inf_tpre = eta["tpre"] - w["tpre"] * a["tpre"] / mw["tpre"]
    inf_tpost = eta["tpost"] - w["tpost"] * a["tpost"] / mw["tpost"]
    m1_post = -np.mean(X * (w["tpost"] * post)[:, None], axis=0) / mw["tpost"]
    m1_pre = -np.mean(X * (w["tpre"] * (1 - post))[:, None], axis=0) / mw["tpre"]
    inf_treat = inf_tpost - inf_tpre + l_cpost @ m1_post + l_cpre @ m1_pre
    # comparison part
    inf_cpre = eta["cpre"] - w["cpre"] * a["cpre"] / mw["cpre"]
    inf_cpost = eta["cpost"] - w["cpost"] * a["cpost"] / mw["cpost"]
    m2_pre = np.mean(X * (w["cpre"] * (y - m_c - a["cpre"]))[:, None], axis=0) / mw["cpre"]
    m2_post = np.mean(X * (w["cpost"] * (y - m_c - a["cpost"]))[:, None], axis=0) / mw["cpost"]
    lin_ps = (X * (d - ps)[:, None]) @ hess_inv
    m3_post = -np.mean(X * (w["cpost"] * post)[:, None], axis=0) / mw["cpost"]
    m3_pre = -np.mean(X * (w["cpre"] * (1 - post))[:, None], axis=0) / mw["cpre"]
    inf_cont = inf_cpost - inf_cpre + lin_ps @ (m2_post - m2_pre) + l_cpost @ m3_post + l_cpre @ m3_pre
    # local efficiency adjustment
    inf_eff = (
        (eta["dpost"] - w["d"] * a["dpost"] / mw["d"])
        - (eta["dt1post"] - w["dt1"] * a["dt1post"] / mw["dt1"])
        - (eta["dpre"] - w["d"] * a["dpre"] / mw["d"])
        + (eta["dt0pre"] - w["dt0"] * a["dt0pre"] / mw["dt0"])
    )
    mom_post = np.mean(X * (w["d"] / mw["d"] - w["dt1"] / mw["dt1"])[:, None], axis=0)
    mom_pre = np.mean(X * (w["d"] / mw["d"] - w["dt0"] / mw["dt0"])[:, None], axis=0)
    inf_or = (l_tpost - l_cpost) @ mom_post - (l_tpre - l_cpre) @ mom_pre
    return att, inf_treat - inf_cont + inf_eff + inf_or, float(np.max(ps))


# ---------------------------------------------------------------------------------------
# cell schedule (which (g, t) pairs, base periods and comparison groups), as R did
# ---------------------------------------------------------------------------------------
def _schedule(glist, tlist, control, base_period, anticipation):
    T = len(tlist)
    tfac = 0 if base_period == "universal" else 1
    cells = []
    for g in glist:
        base_idx = [j for j in range(T) if tlist[j] + anticipation < g]
        last_base = base_idx[-1] if base_idx else None
        for t in range(T - tfac):
            cur = t + tfac
            pret = t if base_period == "varying" else last_base
            ref = max(t, pret) if pret is not None else t
            thresh = None if control == "never" else tlist[ref + tfac] + anticipation
            post = g <= tlist[cur]
            if post:
                pret = last_base
                if pret is None:
                    warnings.warn(
                        f"no pre-treatment period for the group first treated in {g:g}; it is dropped.",
                        DataQualityWarning,
                        stacklevel=3,
                    )
                    break
            zero = base_period == "universal" and pret == cur
            cells.append(dict(group=g, cur=cur, pre=pret, thresh=thresh, post=post, zero=zero))
    return cells


# ---------------------------------------------------------------------------------------
# the public function
# ---------------------------------------------------------------------------------------
def _skip_cell(what: str, cell: dict, tlist, why: str = "") -> None:
    """Warn (from the caller of :func:`staggered`) that one ATT(g,t) cannot be estimated."""
    warnings.warn(
        f"{what} for group {cell['group']:g} in period {tlist[cell['cur']]:g}{why}; ATT(g,t) is missing.",
        DataQualityWarning,
        stacklevel=3,
    )


def staggered(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None = None,
    time: str,
    first_treated: str,
    control: str = "never",
    base_period: str = "varying",
    anticipation: int = 0,
    covariates=None,
    cluster: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = 0,
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    weights: str | None = None,
    est_method: str = "dr",
    multipliers: str = "rademacher",
    confidence: float = 0.95,
) -> StaggeredResult:
    r"""Group-time average treatment effects under staggered adoption.

    Callaway & Sant'Anna (2021): for every cohort :math:`g` (units first treated in
    period :math:`g`) and period :math:`t`,

    .. math::

        ATT(g,t) = E[Y_t - Y_{b} \mid G = g] - E[Y_t - Y_{b} \mid C = 1],

    with base period :math:`b = g - \delta - 1` for post-treatment periods
    (:math:`\delta` = ``anticipation``) and, for pre-treatment periods, :math:`b = t - 1`
    (``base_period="varying"``) or :math:`b = g - \delta - 1` (``"universal"``, the
    effect at :math:`b` is then 0 by construction). The comparison group :math:`C` is
    the never-treated units (``control="never"``) or the never- and not-yet-treated units
    (``"notyet"``: first treated after :math:`\max(t, b) + \delta`). Without covariates
    this is the difference in mean changes (outcome regression on a constant); with
    covariates, as R ``did::att_gt``, ``est_method="dr"`` is the doubly robust estimator
    of Sant'Anna & Zhao (2020) (logit propensity score, linear outcome regression for
    the comparison group), ``"reg"`` the outcome regression (Heckman, Ichimura & Todd
    1997) and ``"ipw"`` inverse probability weighting with normalised weights (Abadie
    2005); covariates are taken from the earlier of the two periods (use time-invariant
    covariates). ``reg`` and ``ipw`` are for panels (repeated cross-sections: ``dr``).

    With ``weights`` (one sampling weight per unit, constant over time, as R ``did``'s
    ``weightsname``; normalised to mean 1) every mean, regression and propensity score
    is weighted, and so are the cohort shares P(G=g) of the aggregations and all
    influence functions (hence the analytic and bootstrap standard errors).

    Inference uses the influence function :math:`\psi_i` of each estimate, scaled as R
    ``did`` does: :math:`SE = \sqrt{\sum_i \psi_i^2}/n` over all :math:`n` units (with
    ``cluster``: :math:`\sqrt{\sum_c (\sum_{i \in c}\psi_i)^2}/n`). With ``bootstrap=B``
    the multiplier bootstrap (Rademacher multipliers as R ``did``;
    ``multipliers="mammen"`` for Mammen's) gives the standard errors (IQR / 1.349) and a critical value for
    simultaneous (uniform) confidence bands over all ATT(g,t); without it the intervals
    are pointwise normal intervals. The pre-test of parallel trends is the Wald test
    :math:`W = \hat\theta_{pre}'\hat V_{pre}^{-1}\hat\theta_{pre} \sim \chi^2_q` of the
    pre-treatment ATT(g,t) (:math:`t < g`, as R ``did``) with the analytic covariance
    (clustered when ``cluster`` is given).

    Parameters
    ----------
    data : DataFrame
        Long panel (one row per unit and period) or, with ``panel=False``, repeated
        cross-sections (one row per respondent).
    outcome, unit, time, first_treated : str
        Column names. ``time`` must be numeric (years). ``first_treated`` is the first
        treated period; never-treated units have 0 or a missing value. It must be
        constant within a unit. ``unit`` may be omitted with ``panel=False``.
    control : {"never", "notyet"}
        Comparison group.
    base_period : {"varying", "universal"}
    anticipation : int
        Number of periods before ``first_treated`` in which units may already react.
    covariates : str or list of str, optional
        Doubly robust estimation conditional on these (numeric) covariates.
    cluster : str, optional
        Cluster variable (constant within unit) for the standard errors; units are
        always the primary sampling unit.
    bootstrap : int or None
        Number of multiplier bootstrap draws (e.g. 999) or None for analytic SEs.
    seed : int
        Seed for the bootstrap (deterministic output).
    panel : bool
        ``False`` for repeated cross-sections (with covariates: the locally efficient
        doubly robust estimator of Sant'Anna & Zhao 2020, as ``DRDID::drdid_rc``).
    allow_unbalanced_panel : bool
        An unbalanced panel (units missing in some periods) raises an error unless this
        is True; then, as R ``did``'s ``allow_unbalanced_panel``, each ATT(g,t) compares
        the four cell means of the observed rows (the repeated cross-section estimator)
        and the influence function is summed within units, so SEs stay clustered by
        unit.
    weights : str, optional
        Column with sampling weights (positive, constant within a unit); R ``did``'s
        ``weightsname``. (Until evalkit 0.1 this argument chose the bootstrap
        multipliers; that is now ``multipliers``.)
    est_method : {"dr", "reg", "ipw"}
        Estimator with covariates (ignored without covariates, where all three are the
        difference in mean changes).
    multipliers : {"rademacher", "mammen"}
        Multiplier distribution of the bootstrap.
    confidence : float
        Confidence level.

    Returns
    -------
    StaggeredResult
        ``.att_gt`` (DataFrame), ``.aggregate(kind)``, ``.pretest``, ``.tidy()``,
        ``.summary()``, ``.plot()``.

    References
    ----------
    Callaway, B. & Sant'Anna, P.H.C. (2021). Difference-in-differences with multiple time
    periods. Journal of Econometrics 225(2), 200-230.
    Sant'Anna, P.H.C. & Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101-122.

    Examples
    --------
    >>> from evalkit.did import staggered, simulate_staggered
    >>> df = simulate_staggered(300, seed=1)   # cohorts 3, 5, 7; first_treated column g
    >>> res = staggered(df, outcome="y", unit="unit", time="time", first_treated="g")
    >>> res.att_gt.shape
    (21, 12)
    >>> res.aggregate("dynamic").tidy()["term"].head(2).tolist()
    ['overall', 'event_time=-5']
    >>> res.pretest["df"]  # pre-treatment cells t < g: 1 + 3 + 5
    9
    """
    control = check_option("control", control, ("never", "notyet"))
    base_period = check_option("base_period", base_period, ("varying", "universal"))
    multipliers = check_option("multipliers", multipliers, ("rademacher", "mammen"))
    est_method = check_option("est_method", est_method, ("dr", "reg", "ipw"))
    if weights in ("rademacher", "mammen") and (
        not isinstance(data, pd.DataFrame) or weights not in data.columns
    ):
        raise ParameterError(
            f"weights={weights!r}: weights= now names a column of sampling weights (as R "
            f"did's weightsname); the bootstrap multipliers are chosen with "
            f"multipliers={weights!r}."
        )
    check_option("panel", panel, (True, False))
    check_option("allow_unbalanced_panel", allow_unbalanced_panel, (True, False))
    alpha = 1 - check_confidence(confidence)
    anticipation = check_positive_int(anticipation, "anticipation", minimum=0)
    if bootstrap is not None:
        bootstrap = check_positive_int(bootstrap, "bootstrap", minimum=2)
    if seed is not None:
        seed = check_positive_int(seed, "seed", minimum=0)
    covs = as_list(covariates, "covariates")
    if panel and unit is None:
        raise ParameterError(
            "unit is required for panel data (or pass panel=False for repeated cross-sections)."
        )
    if covs and est_method != "dr" and not panel:
        raise ParameterError(
            f"est_method={est_method!r} is implemented for panel data; repeated "
            "cross-sections use est_method='dr'."
        )
    df = prepare(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        first_treated=first_treated,
        covariates=covs or None,
        cluster=cluster,
        weights=weights,
    )
    outcome_column(df, outcome)
    if weights is not None:
        df["__w"] = weight_column(df, weights)
    for c in covs:
        numeric_column(df, c, "covariates")
    tt = time_column(df, time)
    gg = first_treated_values(df, first_treated)
    df = df.assign(**{"__t": tt, "__g": gg})
    df = drop_missing(df, [outcome, *covs], "staggered")
    if cluster is not None and df[cluster].isna().any():
        raise DataValidationError(f"cluster={cluster!r} has missing values.")

    if panel:
        assert unit is not None  # checked above: panel data need a unit
        ucodes, ulabels = pd.factorize(df[unit], sort=True)
        if (ucodes < 0).any():
            raise DataValidationError(f"unit={unit!r} has missing values.")
        tall, tc = np.unique(df["__t"].to_numpy(), return_inverse=True)
        key = ucodes.astype(np.int64) * len(tall) + tc
        size = len(ulabels) * len(tall)
        dup = (
            (np.bincount(key, minlength=size).max() > 1)
            if size < 50_000_000
            else (np.unique(key).size < key.size)
        )
        if dup:
            check_unique(df, unit, time)  # raises with an example
        n_units = len(ulabels)
        g_min = np.full(n_units, np.inf)
        g_max = np.full(n_units, -np.inf)
        gv = df["__g"].to_numpy()
        np.minimum.at(g_min, ucodes, gv)
        np.maximum.at(g_max, ucodes, gv)
        bad = np.flatnonzero(g_min != g_max)
        if bad.size:
            raise DataValidationError(
                f"first_treated={first_treated!r} must be constant within a unit; "
                f"{bad.size} units have several values (e.g. unit {ulabels[bad[0]]!r}: "
                f"{g_min[bad[0]]:g} and {g_max[bad[0]]:g}). Treatment cannot switch off "
                "or restart in a staggered-adoption design."
            )
        gu = g_min
        if cluster is not None:
            cl = df[cluster].to_numpy()
            cu = pd.Series(cl).groupby(ucodes).nunique().to_numpy()
            if (cu > 1).any():
                raise DataValidationError(f"cluster={cluster!r} must be constant within each unit.")
        if weights is not None:
            wv = df["__w"].to_numpy()
            w_min = np.full(n_units, np.inf)
            w_max = np.full(n_units, -np.inf)
            np.minimum.at(w_min, ucodes, wv)
            np.maximum.at(w_max, ucodes, wv)
            if (w_min != w_max).any():
                u = int(np.flatnonzero(w_min != w_max)[0])
                raise DataValidationError(
                    f"weights={weights!r} must be constant within a unit (one weight per "
                    f"unit, as R did); unit {ulabels[u]!r} has {w_min[u]:g} and "
                    f"{w_max[u]:g}."
                )
            wu = w_min
        else:
            wu = np.ones(n_units)
    else:
        ucodes = np.arange(len(df))
        ulabels = None
        gu = df["__g"].to_numpy()
        n_units = len(df)
        wu = df["__w"].to_numpy() if weights is not None else np.ones(n_units)

    tlist = np.unique(df["__t"].to_numpy())
    if len(tlist) < 2:
        raise DataValidationError(f"time={time!r} has only one period; DiD needs two or more.")
    # --- pre-processing as R did ------------------------------------------------------
    late = gu > tlist[-1]
    if late.any():
        warnings.warn(
            f"{int(late.sum())} units are first treated after the last period "
            f"({tlist[-1]:g}); they are treated as never treated.",
            DataQualityWarning,
            stacklevel=2,
        )
        gu = np.where(late, 0.0, gu)
    early = (gu > 0) & (gu <= tlist[0] + anticipation)
    keep_units = ~early
    if early.any():
        warnings.warn(
            f"{int(early.sum())} units are already treated in the first period "
            f"({tlist[0]:g}{' + anticipation' if anticipation else ''}); they are dropped "
            "(no untreated period to compare with).",
            DataQualityWarning,
            stacklevel=2,
        )
    if not (gu[keep_units] > 0).any():
        raise EstimationError("no treated units: every unit is never treated.")
    if not (gu[keep_units] == 0).any():
        if control == "never":
            raise EstimationError(
                "no never-treated units, so control='never' has no comparison group. "
                "Use control='notyet' (not-yet-treated units as comparison group)."
            )
        gmax = gu[keep_units].max()
        warnings.warn(
            f"no never-treated units: periods from {gmax - anticipation:g} on are dropped "
            f"and the last cohort ({gmax:g}) serves as comparison group (as R did).",
            DataQualityWarning,
            stacklevel=2,
        )
        keep_t = tlist < gmax - anticipation
        tlist = tlist[keep_t]
        gu = np.where(gu == gmax, 0.0, gu)
        if len(tlist) < 2:
            raise EstimationError("too few periods before the last cohort is treated.")

    # restrict rows
    row_keep = keep_units[ucodes] & np.isin(df["__t"].to_numpy(), tlist)
    df = df.loc[row_keep]
    ucodes = ucodes[row_keep]
    if panel:
        kept_units = np.flatnonzero(keep_units)
        remap = np.full(n_units, -1)
        remap[kept_units] = np.arange(kept_units.size)
        ucodes = remap[ucodes]
        gu = gu[kept_units]
        wu = wu[kept_units]
        ulabels = ulabels[kept_units]
        n_units = kept_units.size
    else:
        gu = gu[row_keep]
        wu = wu[row_keep]
        ucodes = np.arange(len(df))
        n_units = len(df)
    wu = wu / wu.mean()  # as R did: weights normalised to mean 1
    tcodes = np.searchsorted(tlist, df["__t"].to_numpy())
    T = len(tlist)
    unbalanced = False
    if panel:
        if allow_unbalanced_panel:
            unbalanced = bool((np.bincount(ucodes, minlength=n_units) < T).any())
        else:
            check_balanced(
                ucodes,
                tcodes,
                n_units,
                T,
                ulabels,
                tlist,
                "Balance the panel (keep units observed in every period), use "
                "allow_unbalanced_panel=True, or analyse the data as repeated "
                "cross-sections with panel=False.",
            )
    glist = np.unique(gu[gu > 0])
    sizes = {g: int((gu == g).sum()) for g in glist}
    small = [g for g, s in sizes.items() if s < 2]
    if small:
        warnings.warn(
            "cohorts with a single unit: "
            + ", ".join(f"{g:g}" for g in small)
            + "; their ATT(g,t) rest on one unit and the standard errors are unreliable.",
            SmallSampleWarning,
            stacklevel=2,
        )
    if np.unique(np.diff(tlist)).size > 1:
        warnings.warn(
            "time periods are unequally spaced; event time is measured in the units of time (e.g. years).",
            DataQualityWarning,
            stacklevel=2,
        )

    y = df[outcome].to_numpy(dtype=float)
    if cluster is not None:
        cl_vals = df[cluster].to_numpy()
        if panel:
            cl_unit = np.empty(n_units, dtype=object)
            cl_unit[ucodes] = cl_vals
            cl_codes, cl_labels = pd.factorize(pd.Series(cl_unit), sort=True)
        else:
            cl_codes, cl_labels = pd.factorize(pd.Series(cl_vals), sort=True)
        n_clusters = len(cl_labels)
    else:
        cl_codes, n_clusters = None, None

    cells = _schedule(glist, tlist, control, base_period, anticipation)
    k = len(cells)
    inf = np.zeros((n_units, k), order="F")  # columns contiguous: filled column-wise
    att = np.full(k, np.nan)
    n_tr = np.zeros(k, dtype=int)
    n_co = np.zeros(k, dtype=int)
    if panel and not unbalanced:
        Y = np.empty((n_units, T), order="F")
        Y[ucodes, tcodes] = y
        if covs:
            Xw = np.empty((n_units, T, len(covs) + 1))
            Xw[:, :, 0] = 1.0
            for j, c in enumerate(covs):
                Xw[ucodes, tcodes, j + 1] = df[c].to_numpy(dtype=float)
        is_never = gu == 0
        masks: dict = {}

        def mask(key, make):
            # make() runs here, at once (loop variables are bound as defaults all the same)
            if key not in masks:
                m = make()
                masks[key] = (m, m.astype(float), int(m.sum()))
            return masks[key]

        for j, c in enumerate(cells):
            G, Gf, n_tr[j] = mask(("G", c["group"]), lambda c=c: gu == c["group"])
            if c["thresh"] is None:
                C, Cf, n_co[j] = mask(("C",), lambda: is_never)
            else:
                C, Cf, n_co[j] = mask(
                    ("C", c["thresh"], c["group"]),
                    lambda c=c: is_never | ((gu > c["thresh"]) & (gu != c["group"])),
                )
            if c["zero"]:
                att[j] = 0.0
                continue
            if n_tr[j] == 0 or n_co[j] == 0:
                _skip_cell("no comparison units", c, tlist)
                continue
            dy = Y[:, c["cur"]] - Y[:, c["pre"]]
            if not covs:
                # G and C are disjoint: psi = n w (dy - m_G) / sum_G w on G and
                # -n w (dy - m_C) / sum_C w on C (weighted means; w = 1 unweighted)
                WG, WC = wu * Gf, wu * Cf
                sg, sc = float(WG.sum()), float(WC.sum())
                mg = float(dy @ WG) / sg
                mc = float(dy @ WC) / sc
                att[j] = mg - mc
                inf[:, j] = (dy - mg) * (WG * (n_units / sg)) - (dy - mc) * (WC * (n_units / sc))
            else:
                sub = G | C
                X = Xw[sub, min(c["cur"], c["pre"]), :]
                Xc = X[~G[sub]]
                if np.linalg.matrix_rank(Xc) < X.shape[1]:
                    _skip_cell("not enough comparison units", c, tlist, " to fit the outcome regression")
                    continue
                try:
                    a, f, pmax = _PANEL_ESTIMATORS[est_method](dy[sub], G[sub].astype(float), X, wu[sub])
                except np.linalg.LinAlgError:
                    _skip_cell(
                        "the propensity score or outcome regression",
                        c,
                        tlist,
                        " is singular (perfect prediction?)",
                    )
                    continue
                if pmax >= 0.999:
                    _skip_cell("overlap violated", c, tlist, " (propensity score >= 0.999)")
                    continue
                att[j] = a
                inf[sub, j] = f * (n_units / sub.sum())
    else:
        # repeated cross-sections (rows are units) or an unbalanced panel (rows summed
        # within units): cell means of the observed rows
        row_unit = ucodes
        g_row = gu[ucodes] if panel else gu
        w_row = wu[ucodes] if panel else wu
        if covs and weights is not None:
            raise ParameterError(
                "weights with covariates are implemented for balanced panels; for repeated "
                "cross-sections or an unbalanced panel use weights without covariates."
            )
        if covs:
            Xr = np.column_stack([np.ones(len(y))] + [df[c].to_numpy(dtype=float) for c in covs])
        for j, c in enumerate(cells):
            G = g_row == c["group"]
            C = (g_row == 0) if c["thresh"] is None else ((g_row == 0) | ((g_row > c["thresh"]) & ~G))
            post_rows = tcodes == c["cur"]
            pre_rows = tcodes == c["pre"]
            if c["zero"]:
                att[j] = 0.0
                continue
            parts = [G & post_rows, G & pre_rows, C & post_rows, C & pre_rows]
            counts = [int(p.sum()) for p in parts]
            n_tr[j], n_co[j] = counts[0] + counts[1], counts[2] + counts[3]
            if min(counts) == 0:
                _skip_cell("an empty cell", c, tlist)
                continue
            col = np.zeros(len(y))
            if not covs:
                sums = [float(w_row[p].sum()) for p in parts]
                means = [float(w_row[p] @ y[p]) / sw for p, sw in zip(parts, sums)]
                att[j] = (means[0] - means[1]) - (means[2] - means[3])
                sign = (1.0, -1.0, -1.0, 1.0)
                for p, m, sw, s in zip(parts, means, sums, sign):
                    col[p] = s * w_row[p] * (y[p] - m) * (n_units / sw)
            else:
                sub = (G | C) & (post_rows | pre_rows)
                try:
                    a, f, pmax = _drdid_rc(
                        y[sub], post_rows[sub].astype(float), G[sub].astype(float), Xr[sub]
                    )
                except np.linalg.LinAlgError:
                    _skip_cell("a regression", c, tlist, " is singular (too few observations in a cell?)")
                    continue
                if pmax >= 0.999:
                    _skip_cell("overlap violated", c, tlist, " (propensity score >= 0.999)")
                    continue
                att[j] = a
                col[sub] = f * (n_units / sub.sum())
            inf[:, j] = np.bincount(row_unit, weights=col, minlength=n_units)

    groups = np.array([c["group"] for c in cells], dtype=float)
    times = np.array([tlist[c["cur"]] for c in cells], dtype=float)
    bases = np.array([tlist[c["pre"]] for c in cells], dtype=float)
    post = np.array([c["post"] for c in cells], dtype=bool)
    return StaggeredResult(
        att=att,
        inf=inf,
        groups=groups,
        times=times,
        bases=bases,
        post=post,
        n_treated=n_tr,
        n_control=n_co,
        gu=gu,
        n_units=n_units,
        n_obs=int(len(df)),
        cluster_codes=cl_codes,
        n_clusters=n_clusters,
        bootstrap=bootstrap,
        seed=seed,
        multipliers=multipliers,
        alpha=alpha,
        unit_weights=wu,
        weights=weights,
        est_method=est_method,
        control=control,
        base_period=base_period,
        anticipation=anticipation,
        covariates=covs,
        panel=panel,
        tlist=tlist,
        zero=np.array([c["zero"] for c in cells], dtype=bool),
        names=dict(outcome=outcome, unit=unit, time=time, first_treated=first_treated),
    )


# ---------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------
class StaggeredResult(Result):
    """Result of :func:`staggered` (Callaway & Sant'Anna group-time effects).

    Attributes
    ----------
    att_gt : DataFrame
        One row per (group, time): ``group, time, estimate, std_error, ci_lower,
        ci_upper, p_value, event_time, base_period, post, n_treated, n_control``.
    pretest : dict
        Wald pre-test of parallel trends: ``statistic, df, p_value``.
    crit_value : float
        Critical value used for the intervals of ``att_gt`` (uniform band with bootstrap).
    influence_function : ndarray
        n units x number of ATT(g,t), scaled as R ``did``.

    ``n`` (in ``tidy()``): units in the comparison of each ATT(g,t) (cohort g plus its controls); rows for a repeated cross-section count observations.
    """

    title = Message("did.title.staggered")

    def __init__(
        self,
        *,
        att,
        inf,
        groups,
        times,
        bases,
        post,
        n_treated,
        n_control,
        gu,
        n_units,
        n_obs,
        cluster_codes,
        n_clusters,
        bootstrap,
        seed,
        multipliers,
        alpha,
        unit_weights,
        weights,
        est_method,
        control,
        base_period,
        anticipation,
        covariates,
        panel,
        tlist,
        zero,
        names,
    ):
        self._att = att
        self.influence_function = inf
        self._groups, self._times, self._bases, self._post = groups, times, bases, post
        self._gu = gu
        self.n_units, self.n_obs = n_units, n_obs
        self._cl = cluster_codes
        self.n_clusters = n_clusters
        self.bootstrap, self.seed, self.multipliers, self.alpha = (bootstrap, seed, multipliers, alpha)
        self.weights, self.est_method, self._wu = weights, est_method, unit_weights
        self.control, self.base_period, self.anticipation = control, base_period, anticipation
        self.covariates, self.panel, self.names = covariates, panel, names
        self._tlist = tlist
        self.se_type = ("bootstrap" if bootstrap else "analytic") + (
            "_cluster" if cluster_codes is not None else ""
        )
        se_an = self._analytic_se(inf)
        se_an[zero] = np.nan
        se_an[np.isnan(att)] = np.nan
        self._se_analytic = se_an
        z = stats.norm.ppf(1 - alpha / 2)
        # basis of every influence function used here: the ATT(g,t) columns and the
        # cohort indicators 1{G_i = g} (for the estimated aggregation weights)
        self._glist = np.unique(gu[gu > 0])
        self._gidx = np.where(gu > 0, np.searchsorted(self._glist, gu), -1)
        self._bdraws = None
        if bootstrap:
            ind = np.zeros((n_units, len(self._glist)))
            treated = self._gidx >= 0
            ind[np.flatnonzero(treated), self._gidx[treated]] = unit_weights[treated]
            self._bdraws = bootstrap_draws(
                np.hstack([inf, ind]),
                n=n_units,
                draws=bootstrap,
                seed=seed,
                cluster_codes=cluster_codes,
                weights=multipliers,
            )
            del ind
            ok = ~np.isnan(att)
            bs = summarise_draws(self._bdraws[:, : len(att)][:, ok], n=n_units, alpha=alpha)
            se = np.full(att.shape, np.nan)
            se[ok] = bs["se"]
            crit = bs["crit"]
            if not np.isfinite(crit):
                crit = z
            elif crit < z:
                crit = z
            self.crit_value = crit
        else:
            se = se_an
            self.crit_value = z
        self._se = se
        self.att_gt = pd.DataFrame(
            {
                "group": groups,
                "time": times,
                "estimate": att,
                "std_error": se,
                "ci_lower": att - self.crit_value * se,
                "ci_upper": att + self.crit_value * se,
                "p_value": norm_p(att / se),
                "event_time": times - groups,
                "base_period": bases,
                "post": post,
                "n_treated": n_treated,
                "n_control": n_control,
            }
        )
        for col in ("group", "time", "event_time", "base_period"):  # periods stay whole numbers
            vals = self.att_gt[col].to_numpy(dtype=float)
            if np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)):
                self.att_gt[col] = vals.astype(np.int64)
        self.pretest = self._pretest()

    def _method_words(self, lang: str) -> str:
        text = (
            i18n.t(f"did.staggered.method.{self.est_method}", lang)
            if self.covariates
            else i18n.t("did.staggered.difference_in_mean_changes", lang)
        )
        if self.weights is not None:
            text += i18n.t("did.staggered.weighted_by", lang, weights=self.weights)
        return text

    # -- inference helpers ------------------------------------------------------------
    def _analytic_se(self, inf: np.ndarray) -> np.ndarray:
        inf = inf if inf.ndim == 2 else inf[:, None]
        s = cluster_sums(inf, self._cl)
        se = np.sqrt(np.einsum("ij,ij->j", s, s)) / self.n_units
        se[se <= _TINY] = np.nan
        return se

    def _boot(self, inf: np.ndarray) -> dict:
        """Multiplier bootstrap of arbitrary influence-function columns (same seed)."""
        return multiplier_bootstrap(
            inf,
            n=self.n_units,
            draws=self.bootstrap,
            seed=self.seed,
            alpha=self.alpha,
            cluster_codes=self._cl,
            weights=self.multipliers,
        )

    def _materialise(self, coef: np.ndarray) -> np.ndarray:
        """Influence function (n units) of a linear combination of the basis."""
        k = self.influence_function.shape[1]
        f = self.influence_function @ coef[:k]
        cg = coef[k:]
        f += np.where(self._gidx >= 0, cg[np.maximum(self._gidx, 0)] * self._wu, 0.0)
        return f

    def _pretest(self) -> dict:
        pre = (self._groups > self._times) & np.isfinite(self._att) & np.isfinite(self._se_analytic)
        q = int(pre.sum())
        if q == 0:
            return {"statistic": np.nan, "df": 0, "p_value": np.nan}
        s = cluster_sums(self.influence_function[:, pre], self._cl)
        V = s.T @ s / self.n_units**2
        th = self._att[pre]
        try:
            if np.linalg.cond(V) > 1 / np.finfo(float).eps:
                raise np.linalg.LinAlgError
            W = float(th @ np.linalg.solve(V, th))
        except np.linalg.LinAlgError:
            warnings.warn(
                "the covariance of the pre-treatment ATT(g,t) is singular; no pre-test.",
                DataQualityWarning,
                stacklevel=3,
            )
            return {"statistic": np.nan, "df": q, "p_value": np.nan}
        return {"statistic": W, "df": q, "p_value": float(stats.chi2.sf(W, q))}

    # -- aggregation --------------------------------------------------------------------
    def _agg_parts(
        self, kind: str, min_e: float = -np.inf, max_e: float = np.inf, balance_e: int | None = None
    ):
        """Aggregated estimates with their influence functions as coefficient vectors on
        the basis [ATT(g,t) influence functions, cohort indicators] (all linear, so the
        same coefficients serve the analytic SEs and the bootstrap draws).

        Returns (list of (label dict, estimate, coef), (overall estimate, coef)).
        """
        K = len(self._att)
        glist = self._glist
        p = K + len(glist)
        okidx = np.flatnonzero(np.isfinite(self._att))
        att = self._att[okidx]
        grp, tim = self._groups[okidx], self._times[okidx]
        gu = self._gu
        pg_g = np.array([np.mean(self._wu * (gu == g)) for g in glist])
        gpos = np.searchsorted(glist, grp)
        pg = pg_g[gpos]

        def cells(keep, w):
            c = np.zeros(p)
            np.add.at(c, okidx[keep], w)
            return c

        def wif(gidx, pgk, a):
            # R did's wif(): influence of the estimated weights pgk / sum(pgk), times a
            S = pgk.sum()
            A = float(np.sum(a * pgk))
            c = np.zeros(p)
            np.add.at(c, K + gidx, a / S - A / S**2)
            return c

        rows: list[tuple[dict, float, np.ndarray]] = []
        if kind in ("simple", "group") and max_e < 0:
            raise EstimationError(
                f"max_e={max_e!r} leaves no post-treatment periods for the "
                f"{kind!r} aggregation (use kind='dynamic' for leads)."
            )
        if kind == "simple":
            keep = np.flatnonzero((grp <= tim) & (tim <= grp + max_e))
            w = pg[keep] / pg[keep].sum()
            coef = cells(keep, w) + wif(gpos[keep], pg[keep], att[keep])
            return rows, (float(np.sum(w * att[keep])), coef)
        if kind == "group":
            ests, coefs = [], []
            for g in glist:
                keep = np.flatnonzero((grp == g) & (g <= tim) & (tim <= grp + max_e))
                w = pg[keep] / pg[keep].sum()
                est, coef = float(np.sum(w * att[keep])), cells(keep, w)
                rows.append(({"group": g}, est, coef))
                ests.append(est)
                coefs.append(coef)
            est_g = np.array(ests)
            wg = pg_g / pg_g.sum()
            coef = np.column_stack(coefs) @ wg + wif(np.arange(len(glist)), pg_g, est_g)
            return rows, (float(np.sum(wg * est_g)), coef)
        if kind == "dynamic":
            e = tim - grp
            incl = np.ones(len(e), dtype=bool)
            labels = np.unique(e)
            if balance_e is not None:
                # R did: only cohorts observed at least balance_e periods after the start
                incl = (self._tlist[-1] - grp) >= balance_e
                labels = np.unique(e[incl])
                labels = labels[
                    (labels <= balance_e) & (labels >= balance_e - self._tlist[-1] + self._tlist[0])
                ]
            labels = labels[(labels >= min_e) & (labels <= max_e)]
            sel = [np.flatnonzero((e == ev) & incl) for ev in labels]
            key = "event_time"
        else:  # calendar
            labels = np.unique(tim[tim >= grp.min()])
            sel = [np.flatnonzero((tim == t1) & (grp <= tim)) for t1 in labels]
            keepl = [i for i, k_ in enumerate(sel) if k_.size]
            labels, sel = labels[keepl], [sel[i] for i in keepl]
            key = "time"
        if not len(labels):
            raise EstimationError("no event times left after min_e/max_e/balance_e.")
        ests, coefs = [], []
        for lab, keep in zip(labels, sel):
            w = pg[keep] / pg[keep].sum()
            est = float(np.sum(w * att[keep]))
            coef = cells(keep, w) + wif(gpos[keep], pg[keep], att[keep])
            rows.append(({key: lab}, est, coef))
            ests.append(est)
            coefs.append(coef)
        est_e = np.array(ests)
        use = labels >= 0 if kind == "dynamic" else np.ones(len(labels), dtype=bool)
        if not use.any():  # only leads selected: no overall post-treatment effect
            return rows, (np.nan, np.full(p, np.nan))
        coef = np.column_stack(coefs)[:, use].mean(axis=1)
        return rows, (float(est_e[use].mean()), coef)

    def aggregate(
        self,
        kind: str = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
    ) -> AggregateResult:
        r"""Aggregate the ATT(g,t) as R ``did::aggte``.

        ``"simple"``: :math:`\sum_{g \le t} w_{gt} ATT(g,t)` with :math:`w_{gt} \propto
        P(G=g)`; ``"group"``: per cohort the mean of its post-treatment ATT(g,t), overall
        the :math:`P(G=g)`-weighted mean of these; ``"dynamic"``: per event time
        :math:`e = t - g` the :math:`P(G=g)`-weighted mean, overall the mean over
        :math:`e \ge 0`; ``"calendar"``: per period the weighted mean over treated
        cohorts, overall their mean. Standard errors include the influence-function
        term of the estimated weights (R ``did``'s ``wif``). With a bootstrap, the
        per-element intervals are simultaneous bands (the overall row is pointwise).

        ``min_e``/``max_e`` restrict event times (``max_e`` also limits the periods
        used by ``"simple"`` and ``"group"``), ``balance_e`` keeps only cohorts observed
        at least that many periods after their start in the dynamic aggregation, so
        that the composition does not change with event time (as R ``aggte``).

        Returns
        -------
        AggregateResult
            ``.tidy()``: standard tidy columns, then ``kind, group, time, event_time,
            ci_type, n_obs, n_clusters, se_type``. The first row (``term="overall"``)
            is the overall summary; ``"simple"`` has only that row. ``.vcov``: the
            covariance of the per-element estimates (rows after the first) from their
            influence functions (clustered when ``cluster`` was given; the analytic
            covariance also with a bootstrap), as used by :func:`evalkit.did.honest`.
        """
        kind = check_option("kind", kind, _AGG_KINDS)
        for name, v in (("min_e", min_e), ("max_e", max_e)):
            if not isinstance(v, (int, float, np.integer, np.floating)) or np.isnan(v):
                raise ParameterError(f"{name} must be a number, got {v!r}.")
        if min_e > max_e:
            raise ParameterError(f"min_e={min_e!r} must not exceed max_e={max_e!r}.")
        if balance_e is not None:
            balance_e = check_positive_int(balance_e, "balance_e", minimum=0)
        parts, (oest, ocoef) = self._agg_parts(kind, min_e, max_e, balance_e)
        if kind == "dynamic" and not parts:
            raise EstimationError("no event times left after min_e/max_e/balance_e.")
        z = stats.norm.ppf(1 - self.alpha / 2)
        label_n = self.n_units

        def boot(coefs):
            return summarise_draws(self._bdraws @ coefs, n=self.n_units, alpha=self.alpha)

        if self.bootstrap:
            ose = float(boot(ocoef[:, None])["se"][0])
        else:
            ose = float(self._analytic_se(self._materialise(ocoef)[:, None])[0])
        base = dict(kind=kind, n=label_n, n_obs=self.n_obs, n_clusters=self.n_clusters, se_type=self.se_type)
        rows = [
            dict(
                term="overall",
                estimate=oest,
                std_error=ose,
                ci_lower=oest - z * ose,
                ci_upper=oest + z * ose,
                p_value=float(norm_p(oest / ose)),
                ci_type="pointwise",
                **base,
            )
        ]
        vcov = np.zeros((0, 0))
        if parts:
            Cm = np.column_stack([p[2] for p in parts])
            Fm = np.column_stack([self._materialise(c) for c in Cm.T])
            Sm = cluster_sums(Fm, self._cl)
            vcov = Sm.T @ Sm / self.n_units**2
            if self.bootstrap:
                b = boot(Cm)
                se = b["se"]
                crit = b["crit"] if np.isfinite(b["crit"]) else z
                crit = max(crit, z)
                ci_type = "uniform"
            else:
                se = self._analytic_se(Fm)
                crit, ci_type = z, "pointwise"
            for (lab, e_, _), s in zip(parts, se):
                key, val = next(iter(lab.items()))
                row = dict(
                    term=f"{key}={val:g}",
                    estimate=e_,
                    std_error=s,
                    ci_lower=e_ - crit * s,
                    ci_upper=e_ + crit * s,
                    p_value=float(norm_p(e_ / s)) if np.isfinite(s) else np.nan,
                    ci_type=ci_type,
                    **base,
                )
                row[key] = val
                rows.append(row)
        table = tidy_frame(rows, extra=_AGG_COLUMNS)
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(kind)
        labels = table[key].iloc[1:].to_numpy() if key else np.array([])
        return AggregateResult(
            table=table,
            kind=kind,
            vcov=pd.DataFrame(vcov, index=labels, columns=labels),
            alpha=self.alpha,
            outcome=self.names["outcome"],
            bootstrap=self.bootstrap,
            base_period=self.base_period,
            anticipation=self.anticipation,
            n_units=self.n_units,
        )

    # -- contract -----------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t) (``term`` = ``ATT(g,t)``)."""
        a = self.att_gt
        rows = []
        for r in a.itertuples(index=False):
            rows.append(
                dict(
                    term=f"ATT({r.group:g},{r.time:g})",
                    estimate=r.estimate,
                    std_error=r.std_error,
                    ci_lower=r.ci_lower,
                    ci_upper=r.ci_upper,
                    p_value=r.p_value,
                    n=int(r.n_treated + r.n_control),
                    group=r.group,
                    time=r.time,
                    event_time=r.event_time,
                    post=bool(r.post),
                    n_obs=self.n_obs,
                    n_clusters=self.n_clusters,
                    se_type=self.se_type,
                )
            )
        return tidy_frame(
            rows, extra=("group", "time", "event_time", "post", "n_obs", "n_clusters", "se_type")
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        simple = self.aggregate("simple").tidy().iloc[0]
        grp = self.aggregate("group").tidy()
        pt = self.pretest
        conf = 1 - self.alpha
        units = (
            i18n.t("did.staggered.units.panel", lang, n_units=self.n_units, n_obs=self.n_obs)
            if self.panel
            else i18n.t("did.staggered.units.cross_sections", lang, n_obs=self.n_obs)
        )
        L = [
            self.title[lang],
            i18n.t(
                "did.staggered.outcome",
                lang,
                outcome=self.names["outcome"],
                units=units,
                control=i18n.t(f"did.staggered.control.{self.control}", lang),
                method=self._method_words(lang),
            ),
            i18n.t(
                "did.staggered.average_effect",
                lang,
                est=fmt_number(simple.estimate, 3, lang),
                se=fmt_number(simple.std_error, 3, lang),
                ci=fmt_ci(simple.ci_lower, simple.ci_upper, 3, lang, conf),
            ),
            i18n.t(
                "did.staggered.cohort_average",
                lang,
                est=fmt_number(grp.iloc[0].estimate, 3, lang),
                se=fmt_number(grp.iloc[0].std_error, 3, lang),
            ),
        ]
        if self.bootstrap:
            L.append(i18n.t("did.staggered.bootstrap", lang, draws=self.bootstrap))
        if np.isfinite(pt["p_value"]):
            L.append(
                i18n.t(
                    "did.staggered.pretest",
                    lang,
                    df=pt["df"],
                    stat=fmt_number(pt["statistic"], 2, lang),
                    p=fmt_p(pt["p_value"], lang),
                )
            )
            if pt["p_value"] < 0.05:
                L.append(i18n.t("did.staggered.pretest_fails", lang))
        tab = self.att_gt[["group", "time", "estimate", "std_error", "ci_lower", "ci_upper"]]
        L.append("")
        L.append(text_table(tab.rename(columns={"group": "cohort"}), lang, digits=4, index=False))
        return "\n".join(L)

    def plot(self, *, kind: str = "dynamic", lang: str | None = None, ax=None):
        """Event-study plot of the dynamic aggregation (``kind="dynamic"``) or the
        ATT(g,t) per cohort (``kind="att_gt"``), with confidence intervals. The title
        says which intervals are drawn: simultaneous (uniform) bands with a bootstrap,
        pointwise intervals without (see ``staggered(bootstrap=...)``)."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, label, legend_outside, localize_axes, new_axes

        kind = check_option("kind", kind, ("dynamic", "att_gt"))
        check_lang(lang)
        ax = new_axes(ax)
        if kind == "dynamic":
            return self.aggregate("dynamic").plot(lang=lang, ax=ax)
        else:
            a = self.att_gt
            for i, g in enumerate(np.unique(a["group"])):
                dd = a[a["group"] == g]
                off = (i - 1) * 0.08
                ax.errorbar(
                    dd["time"] + off,
                    dd["estimate"],
                    yerr=[dd["estimate"] - dd["ci_lower"], dd["ci_upper"] - dd["estimate"]],
                    fmt="o",
                    color=PALETTE[i % len(PALETTE)],
                    capsize=2,
                    label=f"cohort {g:.0f}",
                )
            ax.set_xlabel(label("year", lang))
        ax.axhline(0, color="0.3", linewidth=1)
        ax.set_ylabel(i18n.t("figures.staggered.effect_att", lang))
        ax.set_title(
            i18n.t("figures.staggered.att_gt", lang, lvl=fmt_number(100 * (1 - self.alpha), 0, lang)),
            fontsize="medium",
        )
        _integer_years(ax)
        legend_outside(ax)
        return localize_axes(ax, lang)


def _integer_years(ax) -> None:
    """Whole years on the x axis (no 2.5 years, no thousands separator in 2018)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}".replace("-", "\u2212")))


class AggregateResult(Result):
    """Result of :meth:`StaggeredResult.aggregate` (R ``did::aggte``).

    ``.tidy()`` holds the overall row (``term="overall"``) and, except for
    ``"simple"``, one row per event time, cohort or period; ``.estimate("overall")``
    (or ``.estimate("event_time=2")``) one of them; ``.std_error``/``.ci`` of the overall
    row; ``.vcov`` the covariance of the rows after the overall one from their influence
    functions; ``.kind``; ``n`` = number of units.
    """

    title = Message("did.title.aggregate")

    def __init__(
        self,
        *,
        table: pd.DataFrame,
        kind: str,
        vcov: pd.DataFrame,
        alpha: float,
        outcome: str,
        bootstrap: int | None,
        base_period: str,
        anticipation: int,
        n_units: int,
    ) -> None:
        self._table, self.kind, self.vcov, self.alpha = table, kind, vcov, alpha
        self.outcome, self.bootstrap, self.base_period = outcome, bootstrap, base_period
        self.anticipation, self.n_units = anticipation, n_units
        row = table.iloc[0]  # the overall row; its estimate: .estimate("overall")
        self.std_error = float(row.std_error)
        self.ci = (float(row.ci_lower), float(row.ci_upper))
        self.p_value = float(row.p_value)

    def tidy(self) -> pd.DataFrame:
        """Overall row first, then one row per element (event time, cohort, period)."""
        return self._table.copy()

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        conf = 1 - self.alpha
        head = i18n.t(
            "did.staggered.aggregate_head",
            lang,
            title=self.title[lang],
            kind=i18n.t(f"did.staggered.kind.{self.kind}", lang),
            outcome=self.outcome,
            n=self.n_units,
        )
        overall = i18n.t(
            "did.staggered.overall_effect",
            lang,
            est=fmt_number(self.estimate("overall"), 3, lang),
            se=fmt_number(self.std_error, 3, lang),
            ci=fmt_ci(*self.ci, 3, lang, conf),
            p=fmt_p(self.p_value, lang),
        )
        L = [head, overall]
        if len(self._table) > 1:
            band = self._table["ci_type"].iloc[1] == "uniform"
            L.append(
                i18n.t(
                    "did.staggered.intervals_line",
                    lang,
                    kind=i18n.t(
                        "did.staggered.intervals.band" if band else "did.staggered.intervals.pointwise", lang
                    ),
                )
            )
            key = {"dynamic": "event_time", "group": "group", "calendar": "time"}[self.kind]
            tab = self._table.iloc[1:][[key, "estimate", "std_error", "ci_lower", "ci_upper"]]
            L += ["", text_table(tab, lang, digits={key: 0}, index=False)]
        return "\n".join(L)

    def plot(self, *, lang: str | None = None, ax=None):
        """Estimates with their intervals against event time, cohort or period; the
        title says whether the intervals are simultaneous bands or pointwise."""
        from evalkit.core.plotting import COLORS, label, legend_outside, localize_axes, new_axes

        lang = resolve_lang(lang)
        ax = new_axes(ax)
        d = self._table.iloc[1:] if len(self._table) > 1 else self._table
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.kind)
        x = d[key] if key else pd.Series([0.0])
        yerr = [d["estimate"] - d["ci_lower"], d["ci_upper"] - d["estimate"]]
        if self.kind == "dynamic":
            pre = (d["event_time"] < 0).to_numpy()
            for mask, col, lab, fmt in (
                (pre, COLORS["pre"], i18n.t("figures.before_start", lang), "s"),
                (~pre, COLORS["post"], i18n.t("figures.after_start", lang), "o"),
            ):
                ax.errorbar(
                    x[mask],
                    d["estimate"][mask],
                    yerr=[yerr[0][mask], yerr[1][mask]],
                    fmt=fmt,
                    color=col,
                    capsize=3,
                    label=lab,
                )
            ax.axvline(-0.5, color=COLORS["national"], linestyle=":", linewidth=1)
            ax.set_xlabel(label("event_time", lang))
            legend_outside(ax, loc="below")
        else:
            ax.errorbar(x, d["estimate"], yerr=yerr, fmt="o", color=COLORS["post"], capsize=3)
            ax.set_xlabel(
                i18n.t(f"figures.staggered.x.{self.kind}", lang) if self.kind in ("group", "calendar") else ""
            )
        band = len(self._table) > 1 and self._table["ci_type"].iloc[1] == "uniform"
        # one title (what is shown, which intervals): a notebook's own set_title replaces it
        # instead of being drawn over a separate subtitle
        ax.set_title(
            i18n.t(
                f"figures.staggered.title.{self.kind}",
                lang,
                lvl=fmt_number(100 * (1 - self.alpha), 0, lang),
                kind=i18n.t("figures.staggered.band", lang)
                if band
                else i18n.t("figures.staggered.pointwise", lang),
            ),
            fontsize="medium",
        )
        ax.axhline(0, color=COLORS["national"], linewidth=1)
        ax.set_ylabel(i18n.t("figures.effect_on_att", lang, y=self.outcome))
        if self.kind in ("dynamic", "group", "calendar"):
            _integer_years(ax)
        return localize_axes(ax, lang)
