"""Pooling coalition results: random-effects meta-analysis with a forest plot.

Each coalition evaluates its own intervention; the committee wants one pooled view. The
coalitions differ (people, intervention, context), so the effects are pooled with a
random-effects model: coalition effect y_i = mu + u_i + e_i, u_i ~ N(0, tau^2),
e_i ~ N(0, v_i) with v_i the known sampling variance.

- :func:`random_effects` -- REML (default) or DerSimonian-Laird estimate of tau^2, the
  pooled effect with its z-test and interval, the Q test, I^2, H^2 and a prediction
  interval; the same numbers as R ``metafor::rma()`` / ``predict()``.
- :func:`effect_sizes` -- one effect size per coalition from long pre/post data, using
  :func:`evalkit.prepost.paired`, ready for :func:`random_effects`.

References
----------
DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
Clinical Trials*, 7, 177-188.
Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. *Journal of Educational and Behavioral Statistics*, 30, 261-293.
Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software*, 36(3), 1-48.
Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
*Statistics in Medicine*, 21, 1539-1558.
Higgins, J. P. T., Thompson, S. G., & Spiegelhalter, D. J. (2009). A re-evaluation of
random-effects meta-analysis. *JRSS A*, 172, 137-159 (prediction interval).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_confidence, check_dataframe, check_lang, check_option
from evalkit.core.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    EvalkitWarning,
    ParameterError,
    SmallSampleWarning,
)
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table

__all__ = [
    "METAFOR_THRESHOLD",
    "random_effects",
    "effect_sizes",
    "MetaResult",
    "subgroups",
    "SubgroupResult",
    "meta_regression",
    "MetaRegressionResult",
    "permutation_test",
    "PermutationTestResult",
]


def _tau2_dl(y, v):
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - mu) ** 2))
    c = np.sum(w) - np.sum(w * w) / np.sum(w)
    return max(0.0, (q - (y.size - 1)) / c) if c > 0 else 0.0


#: metafor's default stopping rule for REML (``rma(control = list(threshold = 1e-5))``).
METAFOR_THRESHOLD = 1e-5


def _tau2_he(y, v):
    """Hedges' (1983) estimator, metafor's starting value for REML: (RSS - tr(PV)) / (k - 1)
    with the unweighted projection P = I - J/k, truncated at 0."""
    k = y.size
    rss = float(np.sum((y - y.mean()) ** 2))
    tr_pv = float(np.sum(v) * (1 - 1 / k))
    return max(0.0, (rss - tr_pv) / (k - 1))


def _tau2_reml(y, v, tol=1e-12, maxiter=1000):
    """REML tau^2 by Fisher scoring with step halving, as metafor's default algorithm:
    started at Hedges' estimator, stopped when a step changes tau^2 by at most ``tol``
    (metafor: ``threshold``, default 1e-5; evalkit's default 1e-12 reaches the optimum)."""
    tau2 = _tau2_he(y, v)
    converged = False
    for _ in range(maxiter):
        w = 1 / (v + tau2)
        sw = w.sum()
        mu = np.sum(w * y) / sw
        resid = y - mu
        # P = W - w w^T / sum(w) for an intercept-only model
        tr_p = sw - np.sum(w * w) / sw
        ypy = np.sum(w * w * resid * resid)  # y' P P y
        tr_pp = np.sum(w * w) - 2 * np.sum(w**3) / sw + (np.sum(w * w) / sw) ** 2
        step = (ypy - tr_p) / tr_pp  # score / information (the 1/2 factors cancel)
        new = tau2 + step
        while new < 0 and step > 1e-300:
            step /= 2
            new = tau2 + step
        new = max(new, 0.0)
        if abs(new - tau2) <= tol:
            tau2 = new
            converged = True
            break
        tau2 = new
    w = 1 / (v + tau2)
    sw = w.sum()
    tr_pp = np.sum(w * w) - 2 * np.sum(w**3) / sw + (np.sum(w * w) / sw) ** 2
    se_tau2 = math.sqrt(2 / tr_pp)
    return tau2, se_tau2, converged


class MetaResult(Result):
    """Result of :func:`random_effects`.

    The pooled effect is ``estimate()`` (``estimate("pooled")``; ``estimate(term)`` reads any
    row of ``tidy()``).

    Attributes
    ----------
    std_error, ci_lower, ci_upper, z, p_value : float
        Inference for the pooled effect (normal distribution, as metafor's default).
    tau2, i2, h2, q, q_df, q_p : float
        Between-coalition variance, I^2 (in percent), H^2, Cochran's Q with its df and p.
    pi_lower, pi_upper : float
        Prediction interval for the effect in a new coalition.
    studies : DataFrame
        ``label, estimate, std_error, ci_lower, ci_upper, weight`` (weight in percent of
        the random-effects weights).

    ``n`` (in ``tidy()``): coalitions (studies) pooled, k.
    """

    title = i18n.Message("methods.meta.pooled.title")

    k: int
    method: str
    confidence: float
    prediction: str
    test: str
    std_error: float
    ci_lower: float
    ci_upper: float
    z: float
    p_value: float
    tau2: float
    se_tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_lower: float
    pi_upper: float
    studies: pd.DataFrame

    def __init__(self, *, estimate: float, **kw):
        self._estimate = estimate  # the pooled effect: read it with estimate()
        self.__dict__.update(kw)

    def estimate(self, term: str | None = "pooled") -> float:
        """The estimate of one row of :meth:`tidy`; by default the pooled effect."""
        return super().estimate(term)

    def tidy(self) -> pd.DataFrame:
        """Rows ``pooled``, ``tau2``, ``i2`` (percent), ``h2``, ``q`` (Cochran's Q with its
        p-value and ``df``) and ``prediction`` (``ci_lower``/``ci_upper`` = the prediction
        interval); ``n`` = number of coalitions (k). Extra ``statistic, df, method``."""
        k = self.k
        rows = [
            dict(
                term="pooled",
                estimate=self._estimate,
                std_error=self.std_error,
                ci_lower=self.ci_lower,
                ci_upper=self.ci_upper,
                p_value=self.p_value,
                n=k,
                statistic=self.z,
                df=(k - 1) if self.test == "knha" else math.nan,
                method=f"random effects ({self.method}), "
                + ("Knapp-Hartung t-test" if self.test == "knha" else "z-test"),
            ),
            dict(term="tau2", estimate=self.tau2, std_error=self.se_tau2, n=k, method=self.method),
            dict(term="i2", estimate=self.i2, n=k, method="100 tau2 / (tau2 + typical v)"),
            dict(term="h2", estimate=self.h2, n=k, method="(tau2 + typical v) / typical v"),
            dict(
                term="q",
                estimate=self.q,
                p_value=self.q_p,
                n=k,
                statistic=self.q,
                df=self.q_df,
                method="Cochran's Q (fixed-effect weights)",
            ),
            dict(
                term="prediction",
                estimate=self._estimate,
                ci_lower=self.pi_lower,
                ci_upper=self.pi_upper,
                n=k,
                df={"t": k - 2, "t(k-1)": k - 1}.get(self.prediction, math.nan),
                method=f"prediction interval ({self.prediction})",
            ),
        ]
        return tidy_frame(rows, extra=("statistic", "df", "method"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        ci = i18n.fmt_ci(self.ci_lower, self.ci_upper, 2, lang, self.confidence)
        pi_lo, pi_hi = _f(self.pi_lower, lang), _f(self.pi_upper, lang)
        lvl = i18n.fmt_number(100 * self.confidence, 0, lang)
        # only say that effects differ when the Q-test says so (tau^2 = 0 or p >= 0.05: no)
        differ = self.tau2 > 0 and self.q_p < 0.05
        has_pi = bool(np.isfinite(self.pi_lower) and np.isfinite(self.pi_upper))
        heterogeneity = (
            f"tau² = {_f(self.tau2, lang, 3)}, I² = {i18n.fmt_number(self.i2, 0, lang)}% "
            f"(Q({self.q_df}) = {_f(self.q, lang)}, {i18n.fmt_p(self.q_p, lang)})."
        )
        lines = [
            i18n.t(
                "methods.meta.pooled.average",
                lang,
                k=self.k,
                estimate=_f(self._estimate, lang),
                ci=ci,
                p=i18n.fmt_p(self.p_value, lang),
            ),
            i18n.t(
                "methods.meta.pooled.effects_differ"
                if differ
                else "methods.meta.pooled.no_larger_than_chance",
                lang,
                heterogeneity=heterogeneity,
            ),
            i18n.t("methods.meta.pooled.prediction", lang, lower=pi_lo, upper=pi_hi, level=lvl)
            if has_pi
            else i18n.t("methods.meta.pooled.no_prediction", lang),
            i18n.t("methods.meta.estimator", lang, method=self.method),
        ]
        text = "\n".join(lines)
        return f"{self.title[lang]}\n\n{text}"

    def plot(self, *, ax=None, lang: str | None = None, xlabel: str | None = None, null: float = 0.0):
        """Forest plot: each coalition's estimate and interval (square size ~ weight), the
        pooled estimate as a diamond, the prediction interval as a line under it, and a
        dashed line at ``null``."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        st = self.studies
        k = len(st)
        own = ax is None
        ax = plotting.new_axes(ax, figsize=(9.5, max(3.0, 0.32 * (k + 3) + 1)))
        if own:  # room for the number columns right of the plot
            ax.figure.subplots_adjust(left=0.2, right=0.62)
        ypos = np.arange(k)[::-1] + 2
        sizes = 20 + 180 * st["weight"].to_numpy() / max(st["weight"].max(), 1e-12)
        ax.hlines(ypos, st["ci_lower"], st["ci_upper"], color=plotting.COLORS["intervention"], linewidth=1.2)
        ax.scatter(st["estimate"], ypos, s=sizes, marker="s", color=plotting.COLORS["intervention"], zorder=3)
        m, lo, hi = self._estimate, self.ci_lower, self.ci_upper
        ax.fill([lo, m, hi, m], [0.6, 0.85, 0.6, 0.35], color=plotting.COLORS["highlight"], zorder=3)
        if np.isfinite(self.pi_lower):
            ax.hlines(
                0.6,
                self.pi_lower,
                self.pi_upper,
                color=plotting.COLORS["highlight"],
                linewidth=1.2,
                linestyle=":",
                zorder=2,
            )
        ax.axvline(_null_value(null), color=plotting.COLORS["national"], linestyle="--", linewidth=1)
        labels = [str(x) for x in st["label"]]
        pooled = plotting.label("pooled", lang) + f" ({self.method})"
        ax.set_yticks(list(ypos) + [0.6], labels + [pooled])
        ax.set_ylim(0, k + 2.5)
        ax.set_xlabel(xlabel or plotting.label("effect_size", lang))
        lvl = i18n.fmt_number(100 * self.confidence, 0, lang)
        # the numbers beside the plot, as in a published forest plot: estimate [CI] and weight
        rows = [
            (y, _ci_text(e, lo_, hi_, lang), i18n.fmt_number(w, 1, lang) + "%")
            for y, e, lo_, hi_, w in zip(
                ypos, st["estimate"], st["ci_lower"], st["ci_upper"], st["weight"], strict=True
            )
        ]
        rows.append((0.6, _ci_text(m, lo, hi, lang), "100%"))
        _forest_columns(
            ax,
            rows,
            header_y=k + 1.9,
            headers=(
                i18n.t("figures.forest.head_estimate", lang, lvl=lvl),
                i18n.t("figures.forest.head_weight", lang),
            ),
        )
        ax.set_title(
            i18n.t("figures.forest.title", lang, k=self.k, lvl=lvl, i2=i18n.fmt_number(self.i2, 0, lang)),
            fontsize=9,
            loc="left",
        )
        plotting.set_alt_text(
            ax,
            i18n.t(
                "figures.forest.alt",
                lang,
                k=self.k,
                est=_ci_text(m, lo, hi, lang),
                lvl=lvl,
                pi=_ci_text(m, self.pi_lower, self.pi_upper, lang) if np.isfinite(self.pi_lower) else "–",
                i2=i18n.fmt_number(self.i2, 0, lang),
                lo=min(labels, key=lambda s: st["estimate"].iloc[labels.index(s)]),
                hi=max(labels, key=lambda s: st["estimate"].iloc[labels.index(s)]),
            ),
        )
        return plotting.localize_axes(ax, lang)


def _ci_text(est: float, lo: float, hi: float, lang: str) -> str:
    """``-0,25 [-0,41; -0,09]`` / ``-0.25 [-0.41, -0.09]``: a forest plot's number column."""
    f = i18n.fmt_number
    return i18n.t("figures.est_ci", lang, est=f(est, 2, lang), lo=f(lo, 2, lang), hi=f(hi, 2, lang))


def _forest_columns(ax, rows, *, header_y: float, headers: tuple[str, ...]) -> None:
    """Text columns right of a forest plot (y in data units, x beyond the axes)."""
    from matplotlib.transforms import blended_transform_factory

    tr = blended_transform_factory(ax.transAxes, ax.transData)
    xs = (1.03, 1.40)[: len(headers)]
    for x, h in zip(xs, headers, strict=True):
        ax.text(x, header_y, h, transform=tr, fontsize=8, fontweight="bold", va="center", clip_on=False)
    for y, *cells in rows:
        for x, c in zip(xs, cells, strict=True):
            ax.text(x, y, c, transform=tr, fontsize=8, va="center", clip_on=False)


def _null_value(null) -> float:
    """The no-effect reference of a forest plot as a finite number."""
    try:
        v = float(null)
    except (TypeError, ValueError):
        raise ParameterError(f"null must be a number (the no-effect value), got {null!r}.") from None
    if not math.isfinite(v):
        raise ParameterError(f"null must be a finite number, got {null!r}.")
    return v


def _f(x, lang, digits=2):
    return i18n.fmt_number(x, digits, lang)


def random_effects(
    data: pd.DataFrame,
    *,
    estimate: str,
    std_error: str | None = None,
    variance: str | None = None,
    label: str | None = None,
    method: str = "REML",
    confidence: float = 0.95,
    prediction: str | None = None,
    tau2_tol: float = 1e-12,
    test: str = "z",
) -> MetaResult:
    r"""Random-effects meta-analysis of one effect per coalition (study).

    Parameters
    ----------
    data : DataFrame
        One row per coalition.
    estimate : str
        Column with the effect sizes y_i.
    std_error, variance : str
        Column with the standard errors or (exclusively) the sampling variances v_i.
    label : str, optional
        Column with the coalition names for the forest plot (default: row numbers).
    method : {"REML", "DL"}
        Estimator of tau^2: restricted maximum likelihood (Viechtbauer 2005; Fisher
        scoring, tolerance 1e-12, truncated at 0) or DerSimonian & Laird (1986):
        tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w)), w = 1 / v.
    confidence : float
        Level of the confidence and prediction intervals.
    prediction : {None, "normal", "t", "t(k-1)"}
        Distribution of the prediction interval mu +- crit * sqrt(SE^2 + tau^2) (SE of mu
        from the chosen ``test``). ``"t"`` uses the t-distribution with k - 2 df (Higgins,
        Thompson & Spiegelhalter 2009; Riley, Higgins & Deeks 2011), wider for few
        coalitions; it equals R ``predict(fit, pi.type = "riley")`` (metafor 3.8.1).
        ``"normal"`` uses the normal quantile and ``"t(k-1)"`` the t-distribution with
        k - 1 df. ``None`` (default) does what R ``metafor::predict.rma`` does by default:
        ``"normal"`` with ``test="z"`` and ``"t(k-1)"`` with ``test="knha"``. The committee
        notebook uses ``"t"``; metafor's defaults do not follow Riley et al.
    test : {"z", "knha"}
        ``"z"`` (default): z-test and normal interval for mu, as ``rma(..., test = "z")``.
        ``"knha"``: Knapp & Hartung (2003) / Hartung & Knapp (2001): Var(mu) multiplied by
        s^2 = sum w*_i (y_i - mu)^2 / (k - 1) (not truncated at 1, as metafor), t-test and
        t interval with k - 1 df, as ``rma(..., test = "knha")``. Recommended with few
        coalitions (IntHout et al. 2014).
    tau2_tol : float
        REML only: Fisher scoring (started, as metafor, at Hedges' estimator) stops when a
        step changes tau^2 by at most this much. The default 1e-12 reaches the REML
        optimum. metafor's default ``rma()`` stops at ``threshold = 1e-5``, which can stop
        short when tau^2 is small (``dat.molloy2014``: metafor 0.00811050, optimum
        0.00810956); pass ``tau2_tol=meta.METAFOR_THRESHOLD`` (1e-5) to reproduce a default
        ``rma()`` exactly, e.g. to match a published metafor analysis.

    Returns
    -------
    MetaResult
        Pooled mu = sum w*_i y_i / sum w*_i with w*_i = 1 / (v_i + tau^2),
        SE = 1 / sqrt(sum w*_i), z-test and normal interval. Q = sum w_i (y_i - mu_FE)^2
        with df = k - 1. I^2 = 100 tau^2 / (tau^2 + s^2), H^2 = (tau^2 + s^2) / s^2 with
        the "typical" within-study variance s^2 = (k - 1) / (sum w - sum w^2 / sum w)
        (Higgins & Thompson 2002; as metafor, so I^2 depends on the tau^2 estimator; for
        DL it equals (Q - df) / Q). ``std_error`` of ``tau2`` is the REML information-based
        one, for DL the moment-based SE metafor reports,
        sqrt(2 (k - p) + 4 tau^2 tr P + 2 tau^4 tr(P P)) / tr P with P the fixed-effect
        projection (p = 1 here).

    Raises
    ------
    DataValidationError
        Non-positive or missing variances/standard errors.
    EstimationError
        Fewer than two coalitions.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.meta import random_effects
    >>> d = pd.DataFrame({"y": [-0.3, -0.1, -0.5, 0.05], "se": [0.1, 0.15, 0.2, 0.12]})
    >>> res = random_effects(d, estimate="y", std_error="se", method="DL")
    >>> res.k
    4
    """
    check_dataframe(data)
    method = check_option("method", method, ("REML", "DL"))
    confidence = check_confidence(confidence)
    test = check_option("test", test, ("z", "knha"))
    if prediction is None:
        prediction = "normal" if test == "z" else "t(k-1)"
    check_option("prediction", prediction, ("normal", "t", "t(k-1)"))
    if isinstance(tau2_tol, bool) or not isinstance(tau2_tol, (int, float)) or not (0 < float(tau2_tol) < 1):
        raise ParameterError(
            f"tau2_tol must be a number between 0 and 1 (exclusive), e.g. "
            f"1e-12 (default) or 1e-5 (metafor's default), got {tau2_tol!r}."
        )
    if (std_error is None) == (variance is None):
        raise ParameterError("Give exactly one of std_error= or variance= (a column name).")
    check_columns(data, estimate=estimate, std_error=std_error, variance=variance, label=label)
    y = pd.to_numeric(data[estimate], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if std_error is not None:
        s = pd.to_numeric(data[std_error], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        v = s * s
        vname = str(std_error)
    else:
        v = pd.to_numeric(data[variance], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        vname = str(variance)
    labels = (
        data[label].astype(str).to_numpy()
        if label is not None
        else np.array([str(i + 1) for i in range(len(data))])
    )
    ok = np.isfinite(y) & np.isfinite(v)
    if (~ok).any():
        warnings.warn(
            f"{int((~ok).sum())} row(s) with a missing {estimate!r} or {vname!r} left out.",
            DataQualityWarning,
            stacklevel=2,
        )
    y, v, labels = y[ok], v[ok], labels[ok]
    bad = v <= 0
    if std_error is not None:
        bad = bad | (s[ok] <= 0)
    if bad.any():
        raise DataValidationError(f"{vname!r} must be positive; rows {', '.join(labels[bad][:5])} are not.")
    k = y.size
    if k < 2:
        raise EstimationError(f"A meta-analysis needs at least 2 coalitions, got {k}.")
    w = 1 / v
    mu_fe = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - mu_fe) ** 2))
    q_df = k - 1
    q_p = float(stats.chi2.sf(q, q_df))
    c = np.sum(w) - np.sum(w * w) / np.sum(w)
    if method == "DL":
        tau2 = _tau2_dl(y, v)
        se_tau2 = _se_tau2_dl(_p_matrix(np.ones((k, 1)), 1 / v), tau2)
    else:
        tau2, se_tau2, conv = _tau2_reml(y, v, tol=float(tau2_tol))
        if not conv:
            warnings.warn(
                "REML estimation of tau^2 did not converge in 1000 iterations.",
                ConvergenceWarning,
                stacklevel=2,
            )
    ws = 1 / (v + tau2)
    mu = float(np.sum(ws * y) / np.sum(ws))
    se = float(math.sqrt(1 / np.sum(ws)))
    zc = float(stats.norm.ppf(0.5 + confidence / 2))
    if test == "knha":
        # Knapp-Hartung: scale Var(mu) by the weighted residual variance (metafor: no truncation)
        se *= math.sqrt(float(np.sum(ws * (y - mu) ** 2)) / (k - 1))
        z = mu / se
        p = float(2 * stats.t.sf(abs(z), k - 1))
        mu_crit = float(stats.t.ppf(0.5 + confidence / 2, k - 1))
    else:
        z = mu / se
        p = float(2 * stats.norm.sf(abs(z)))
        mu_crit = zc
    s2 = q_df / c
    i2 = 100 * tau2 / (tau2 + s2)
    h2 = (tau2 + s2) / s2
    if prediction == "normal":
        crit = zc
    elif prediction == "t(k-1)":
        crit = float(stats.t.ppf(0.5 + confidence / 2, k - 1))
    else:
        crit = float(stats.t.ppf(0.5 + confidence / 2, k - 2)) if k > 2 else math.nan
        if k <= 2:
            warnings.warn(
                "prediction='t' needs at least 3 coalitions (k - 2 degrees of "
                "freedom); the prediction interval is NaN.",
                SmallSampleWarning,
                stacklevel=2,
            )
    half = crit * math.sqrt(se * se + tau2)
    study_se = np.sqrt(v)
    studies = pd.DataFrame(
        {
            "label": labels,
            "estimate": y,
            "std_error": study_se,
            "ci_lower": y - zc * study_se,
            "ci_upper": y + zc * study_se,
            "weight": 100 * ws / ws.sum(),
        }
    )
    return MetaResult(
        k=k,
        method=method,
        confidence=confidence,
        prediction=prediction,
        test=test,
        estimate=mu,
        std_error=se,
        ci_lower=mu - mu_crit * se,
        ci_upper=mu + mu_crit * se,
        z=z,
        p_value=p,
        tau2=tau2,
        se_tau2=se_tau2,
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df,
        q_p=q_p,
        pi_lower=mu - half,
        pi_upper=mu + half,
        studies=studies,
    )


def effect_sizes(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    by: str = "municipality_code",
    effect: str = "g_av",
    pre="pre",
    post="post",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One pre/post effect size per coalition, ready for :func:`random_effects`.

    Runs :func:`evalkit.prepost.paired` per value of ``by`` and keeps the row ``effect``.
    Coalitions where the effect cannot be estimated (e.g. constant scores, a single pair)
    are left out with a :class:`~evalkit.DataQualityWarning`. Every other coalition is
    kept, however small: methods return full numbers for the analysis (there is no
    ``min_cell`` here); a page shown to readers passes the disclosure layer of the
    reports (:mod:`evalkit.reports.disclosure`), which decides what may be shown.

    Parameters
    ----------
    data : DataFrame
        Long pre/post data of all coalitions.
    outcome, unit, time, pre, post, confidence
        As in :func:`evalkit.prepost.paired`.
    by : str
        Coalition column (default ``municipality_code``).
    effect : {"g_av", "d_av", "d_z", "mean_diff"}
        Which estimate to pool. ``g_av`` (default) is comparable with between-subject
        effect sizes; its standard error is Borenstein et al.'s (2009, eq. 4.28) variance
        of d_rm times Hedges' correction. ``mean_diff`` pools raw score changes (fine when
        every coalition uses the same scale, e.g. DJG-11).

    Returns
    -------
    DataFrame
        Columns ``<by>, estimate, std_error, ci_lower, ci_upper, n, n_dropped, effect``,
        one row per coalition, sorted by ``by``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.meta import effect_sizes
    >>> rng = np.random.default_rng(3)
    >>> ids = np.repeat(np.arange(80), 2)
    >>> df = pd.DataFrame({"participant_id": ids, "wave": ["pre", "post"] * 80,
    ...                    "municipality_code": np.where(ids < 40, "GM0363", "GM0599"),
    ...                    "total": rng.integers(0, 12, 160)})
    >>> es = effect_sizes(df, outcome="total", unit="participant_id", time="wave")
    >>> list(es["municipality_code"])
    ['GM0363', 'GM0599']
    """
    from evalkit.methods.prepost import paired

    check_dataframe(data)
    check_columns(data, by=by, outcome=outcome, unit=unit, time=time)
    check_option("effect", effect, ("g_av", "d_av", "d_z", "mean_diff"))
    confidence = check_confidence(confidence)
    rows, failed = [], []
    for key, sub in data.groupby(by, sort=True, observed=True, dropna=True):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EvalkitWarning)
                res = paired(
                    sub, outcome=outcome, unit=unit, time=time, pre=pre, post=post, confidence=confidence
                )
        except EstimationError:
            failed.append(key)
            continue
        row = res.tidy().set_index("term").loc[effect]
        if not (np.isfinite(row["estimate"]) and np.isfinite(row["std_error"]) and row["std_error"] > 0):
            failed.append(key)
            continue
        rows.append(
            {
                by: key,
                "estimate": float(row["estimate"]),
                "std_error": float(row["std_error"]),
                "ci_lower": float(row["ci_lower"]),
                "ci_upper": float(row["ci_upper"]),
                "n": int(res.n),
                "n_dropped": int(res.n_dropped),
                "effect": effect,
            }
        )
    if failed:
        warnings.warn(
            f"No {effect} could be estimated for {len(failed)} coalition(s): "
            f"{', '.join(map(str, failed[:10]))}.",
            DataQualityWarning,
            stacklevel=2,
        )
    return pd.DataFrame(
        rows, columns=[by, "estimate", "std_error", "ci_lower", "ci_upper", "n", "n_dropped", "effect"]
    )


# ====================================================================== moderators
# Added for the committee notebooks: subgroup analysis and meta-regression.


def _effects_and_variances(data, estimate, std_error, variance):
    """Numeric y and v (NaN where missing) and the name of the variance column."""
    if (std_error is None) == (variance is None):
        raise ParameterError("Give exactly one of std_error= or variance= (a column name).")
    y = pd.to_numeric(data[estimate], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if std_error is not None:
        s = pd.to_numeric(data[std_error], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad_s = np.isfinite(s) & (s <= 0)
        return y, s * s, std_error, bad_s
    v = pd.to_numeric(data[variance], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return y, v, variance, np.zeros(v.size, bool)


def _is_categorical(col: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col))


def _levels(col: pd.Series) -> list:
    """Factor levels as R's factor(): categories in their order, else sorted values."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna())
        return [c for c in col.cat.categories if c in present]
    return sorted(col.dropna().unique().tolist(), key=lambda x: (str(type(x)), x))


def _design(data: pd.DataFrame, moderators: list[str]):
    """Model matrix with an intercept; categorical moderators in treatment coding (first
    level = reference, as R ``factor()``), numeric ones linear. Returns X, term names, the
    moderator each column belongs to, and the reference level per categorical moderator."""
    cols: list[np.ndarray] = [np.ones(len(data))]
    names: list[str] = ["intercept"]
    owner: list[str | None] = [None]
    refs: dict[str, object] = {}
    for m in moderators:
        col = data[m]
        if _is_categorical(col):
            lev = _levels(col)
            refs[m] = lev[0] if lev else None
            values = col.to_numpy(dtype=object)
            for lv in lev[1:]:
                cols.append((values == lv).astype(float))
                names.append(f"{m}[{lv}]")
                owner.append(m)
        else:
            cols.append(pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
            names.append(m)
            owner.append(m)
    return np.column_stack(cols), names, owner, refs


def _p_matrix(x, w):
    """P = W - W X (X'WX)^-1 X'W for weights w (a vector)."""
    wx = x * w[:, None]
    xtwx_inv = np.linalg.inv(x.T @ wx)
    return np.diag(w) - wx @ xtwx_inv @ wx.T


def _se_tau2_dl(p0: np.ndarray, tau2: float, p: int = 1) -> float:
    """Standard error of the DerSimonian-Laird tau^2 (metafor's ``se.tau2`` for DL):
    sqrt(2 (k - p) + 4 tau^2 tr P + 2 tau^4 tr(P P)) / tr P, P = P(W = 1/v)."""
    k = p0.shape[0]
    tr = float(np.trace(p0))
    if not tr > 0:
        return math.nan
    return math.sqrt(2 * (k - p) + 4 * tau2 * tr + 2 * tau2**2 * float(np.sum(p0 * p0))) / tr


def _tau2_reml_mods(y, v, x, tol=1e-12, maxiter=1000):
    """REML tau^2 of the mixed-effects model by Fisher scoring with step halving."""
    k, p = x.shape
    p0 = _p_matrix(x, 1 / v)
    tau2 = max(0.0, (float(y @ p0 @ y) - (k - p)) / float(np.trace(p0)))  # DL start
    converged = False
    for _ in range(maxiter):
        pm = _p_matrix(x, 1 / (v + tau2))
        py = pm @ y
        step = (float(py @ py) - float(np.trace(pm))) / float(np.sum(pm * pm))
        new = tau2 + step
        while new < 0 and step > 1e-300:
            step /= 2
            new = tau2 + step
        new = max(new, 0.0)
        if abs(new - tau2) < tol:
            tau2, converged = new, True
            break
        tau2 = new
    pm = _p_matrix(x, 1 / (v + tau2))
    se_tau2 = math.sqrt(2 / float(np.sum(pm * pm)))
    return tau2, se_tau2, converged


def _fit_mixed(y, v, x, method):
    """Mixed-effects model y = X b + u + e: tau^2, b, Var(b), QE, I^2, H^2."""
    k, p = x.shape
    p0 = _p_matrix(x, 1 / v)
    qe = float(y @ p0 @ y)
    tr_p0 = float(np.trace(p0))
    if method == "DL":
        tau2, conv = max(0.0, (qe - (k - p)) / tr_p0), True
        se_tau2 = _se_tau2_dl(p0, tau2, p)
    else:
        tau2, se_tau2, conv = _tau2_reml_mods(y, v, x)
    w = 1 / (v + tau2)
    vb = np.linalg.inv(x.T @ (x * w[:, None]))
    b = vb @ (x.T @ (w * y))
    s2 = (k - p) / tr_p0
    return dict(
        tau2=tau2,
        se_tau2=se_tau2,
        converged=conv,
        b=b,
        vb=vb,
        qe=qe,
        qe_df=k - p,
        i2=100 * tau2 / (tau2 + s2),
        h2=(tau2 + s2) / s2,
    )


def _mixed_tests(y, v, x, method, test):
    """Fit the mixed-effects model and its tests: coefficients, their covariance (scaled by
    the Knapp-Hartung factor with ``test="knha"``), z/t statistics and the omnibus QM (a
    chi-square statistic for ``"z"``, an F statistic for ``"knha"``) over all coefficients
    except the intercept (column 0)."""
    k, p = x.shape
    fit = _fit_mixed(y, v, x, method)
    b, vb = fit["b"], fit["vb"]
    if test == "knha":
        r = y - x @ b
        vb = vb * (float(np.sum(r * r / (v + fit["tau2"]))) / (k - p))
    se = np.sqrt(np.diag(vb))
    idx = np.arange(1, p)
    qm = float(b[idx] @ np.linalg.solve(vb[np.ix_(idx, idx)], b[idx]))
    if test == "knha":
        qm /= p - 1
    return fit, b, vb, se, b / se, qm


class MetaRegressionResult(Result):
    """Result of :func:`meta_regression`.

    Attributes
    ----------
    coefficients : DataFrame
        ``term, estimate, std_error, z, p_value, ci_lower, ci_upper``.
    qm, qm_df, qm_p : float
        Omnibus Wald test of all moderators (all coefficients except the intercept).
    tau2, se_tau2, i2, h2 : float
        Residual heterogeneity (between-coalition variance not explained by the moderators).
    r2 : float
        Percentage of tau^2 explained: max(0, 100 (tau2_0 - tau2) / tau2_0), tau2_0 from the
        model without moderators (same estimator); NaN when tau2_0 = 0.
    qe, qe_df, qe_p : float
        Test for residual heterogeneity.
    k : int
        Number of coalitions (studies) used.

    ``n`` (in ``tidy()``): coalitions (studies) in the meta-regression, k.
    """

    title = i18n.Message("methods.meta.regression.title")

    k: int
    p: int
    method: str
    confidence: float
    moderators: list
    reference_levels: dict
    coefficients: pd.DataFrame
    qm: float
    qm_df: int
    qm_p: float
    tau2: float
    se_tau2: float
    i2: float
    h2: float
    r2: float
    tau2_without_moderators: float
    qe: float
    qe_df: int
    qe_p: float
    test: str
    df_residual: int
    #: (y, v, model matrix) of the fit, for :func:`permutation_test`
    _inputs: tuple[np.ndarray, np.ndarray, np.ndarray]

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient (``intercept``, ``<moderator>[<level>]`` or the numeric
        moderator's name), then ``qm`` (omnibus test), ``tau2`` (residual), ``i2``, ``r2``
        (percent) and ``qe`` (residual heterogeneity). Extra columns ``statistic, df,
        method``; ``n`` is the number of coalitions k."""
        k = self.k
        rows = []
        for r in self.coefficients.itertuples(index=False):
            rows.append(
                dict(
                    term=r.term,
                    estimate=r.estimate,
                    std_error=r.std_error,
                    ci_lower=r.ci_lower,
                    ci_upper=r.ci_upper,
                    p_value=r.p_value,
                    n=k,
                    statistic=r.z,
                    df=self.df_residual if self.test == "knha" else math.nan,
                    method=f"mixed-effects model ({self.method}), "
                    + ("Knapp-Hartung t-test" if self.test == "knha" else "z-test"),
                )
            )
        rows += [
            dict(
                term="qm",
                estimate=self.qm,
                p_value=self.qm_p,
                n=k,
                statistic=self.qm,
                df=self.qm_df,
                method="omnibus Wald test of the moderators "
                + (
                    f"(Knapp-Hartung F on {self.qm_df} and {self.df_residual} df)"
                    if self.test == "knha"
                    else "(chi-square)"
                ),
            ),
            dict(
                term="tau2",
                estimate=self.tau2,
                std_error=self.se_tau2,
                n=k,
                method=f"residual tau2 ({self.method})",
            ),
            dict(term="i2", estimate=self.i2, n=k, method="residual I2 (percent)"),
            dict(
                term="r2",
                estimate=self.r2,
                n=k,
                method="percent of tau2 explained: 100 (tau2_0 - tau2) / tau2_0, truncated at 0",
            ),
            dict(
                term="qe",
                estimate=self.qe,
                p_value=self.qe_p,
                n=k,
                statistic=self.qe,
                df=self.qe_df,
                method="test for residual heterogeneity",
            ),
        ]
        return tidy_frame(rows, extra=("statistic", "df", "method"))

    def _qm_label(self) -> str:
        return f"F({self.qm_df}, {self.df_residual})" if self.test == "knha" else f"QM({self.qm_df})"

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        mods = ", ".join(self.moderators)
        r2 = i18n.fmt_number(self.r2, 0, lang)
        text = i18n.t(
            "methods.meta.regression.summary",
            lang,
            moderators=mods,
            k=self.k,
            method=self.method,
            qm_label=self._qm_label(),
            qm=_f(self.qm, lang),
            qm_p=i18n.fmt_p(self.qm_p, lang),
            tau2=_f(self.tau2, lang, 3),
            i2=i18n.fmt_number(self.i2, 0, lang),
            r2=r2,
            qe_df=self.qe_df,
            qe=_f(self.qe, lang),
            qe_p=i18n.fmt_p(self.qe_p, lang),
        )
        coef = text_table(self.coefficients, lang, digits=3, index=False)
        return f"{self.title[lang]}\n\n{text}\n\n{coef}"


def meta_regression(
    data: pd.DataFrame,
    *,
    estimate: str,
    std_error: str | None = None,
    variance: str | None = None,
    moderators: str | list[str],
    method: str = "REML",
    confidence: float = 0.95,
    test: str = "z",
) -> MetaRegressionResult:
    r"""Mixed-effects meta-regression: do coalition effects depend on moderators?

    The model (Thompson & Higgins 2002; Viechtbauer 2010) is
    y_i = x_i' beta + u_i + e_i, u_i ~ N(0, tau^2), e_i ~ N(0, v_i), the same as R
    ``metafor::rma(yi, vi, mods = ~ factor(x) + z, method = "REML")``.

    Parameters
    ----------
    data : DataFrame
        One row per coalition (study).
    estimate : str
        Column with the effect sizes y_i.
    std_error, variance : str
        Column with the standard errors or (exclusively) the sampling variances v_i.
    moderators : str or list of str
        Moderator columns. Text, boolean and categorical columns are factors in treatment
        coding (reference = first category of a pandas Categorical, else the first value
        in sorted order, as R's ``factor()``); numeric columns enter linearly.
    method : {"REML", "DL"}
        Estimator of the residual tau^2: REML (Fisher scoring, tolerance 1e-12,
        truncated at 0) or the method of moments of DerSimonian & Laird generalised to
        meta-regression, tau^2 = max(0, (QE - (k - p)) / tr(P)).
    confidence : float
        Level of the coefficient intervals.
    test : {"z", "knha"}
        ``"z"`` (default): z-tests, normal intervals and a chi-square QM, as
        ``rma(..., test = "z")``. ``"knha"``: Knapp & Hartung (2003): Var(beta) multiplied by
        s^2 = r' W* r / (k - p) (residuals r, not truncated at 1), t-tests and t intervals
        with k - p df and QM as an F statistic on (p - 1, k - p) df, as
        ``rma(..., test = "knha")``. For a permutation p-value of the moderators see
        :func:`permutation_test`.

    Returns
    -------
    MetaRegressionResult
        beta = (X'W*X)^-1 X'W*y with W* = diag(1 / (v_i + tau^2)), Var(beta) = (X'W*X)^-1,
        z-tests; the omnibus test QM = b' Var(b)^-1 b over the non-intercept coefficients
        (chi-square, p - 1 df); residual heterogeneity QE = y' P y with fixed-effect
        weights (chi-square, k - p df), I^2 = 100 tau^2 / (tau^2 + s^2) with
        s^2 = (k - p) / tr(P), H^2; R^2 = max(0, 100 (tau2_0 - tau2) / tau2_0)
        (Raudenbush 2009), tau2_0 from the random-effects model without moderators.

    Raises
    ------
    DataValidationError
        Non-positive variances or missing moderator values.
    EstimationError
        Too few coalitions for the number of coefficients (k <= p), or a moderator that
        does not vary (singular design).

    References
    ----------
    Thompson, S. G., & Higgins, J. P. T. (2002). How should meta-regression analyses be
    undertaken and interpreted? *Statistics in Medicine*, 21, 1559-1573.
    Raudenbush, S. W. (2009). Analyzing effect sizes: random-effects models. In Cooper,
    Hedges & Valentine (Eds.), *The Handbook of Research Synthesis and Meta-Analysis*
    (2nd ed., pp. 295-315).
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. *JSS*, 36(3).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.meta import meta_regression
    >>> d = pd.DataFrame({"y": [-0.5, -0.4, -0.1, 0.0, -0.45, -0.05],
    ...                   "se": [0.1, 0.12, 0.1, 0.15, 0.11, 0.1],
    ...                   "type": ["maatje", "maatje", "kletskassa", "kletskassa", "maatje",
    ...                            "kletskassa"]})
    >>> res = meta_regression(d, estimate="y", std_error="se", moderators="type")
    >>> list(res.coefficients["term"])
    ['intercept', 'type[maatje]']
    """
    check_dataframe(data)
    method = check_option("method", method, ("REML", "DL"))
    confidence = check_confidence(confidence)
    test = check_option("test", test, ("z", "knha"))
    if isinstance(moderators, str):
        moderators = [moderators]
    moderators = list(moderators)
    if not moderators:
        raise ParameterError("moderators must name at least one column.")
    check_columns(data, estimate=estimate, std_error=std_error, variance=variance, moderators=moderators)
    y, v, vname, bad_s = _effects_and_variances(data, estimate, std_error, variance)
    missing_mod = data[moderators].isna().any(axis=1).to_numpy()
    ok = np.isfinite(y) & np.isfinite(v) & ~missing_mod
    if (~ok).any():
        warnings.warn(
            f"{int((~ok).sum())} row(s) with a missing {estimate!r}, {vname!r} or moderator left out.",
            DataQualityWarning,
            stacklevel=2,
        )
    sub = data.loc[ok]
    y, v = y[ok], v[ok]
    if (v <= 0).any() or bad_s[ok].any():
        raise DataValidationError(f"{vname!r} must be positive; {int((v <= 0).sum())} row(s) are not.")
    x, names, owner, refs = _design(sub, moderators)
    if not np.isfinite(x).all():
        raise DataValidationError("A numeric moderator has non-numeric values.")
    k, p = x.shape
    if p < 2:
        raise EstimationError("The moderators do not vary in these data (only one level).")
    if np.linalg.matrix_rank(x) < p:
        raise EstimationError(
            "The moderators are collinear (singular model matrix); drop a moderator or a level."
        )
    if k <= p:
        raise EstimationError(
            f"A meta-regression with {p} coefficients needs more than {p} coalitions, got {k}."
        )
    fit, b, vb, se, z, qm = _mixed_tests(y, v, x, method, test)
    if not fit["converged"]:
        warnings.warn(
            "REML estimation of tau^2 did not converge in 1000 iterations.", ConvergenceWarning, stacklevel=2
        )
    if test == "knha":
        zc = float(stats.t.ppf(0.5 + confidence / 2, k - p))
        pz = 2 * stats.t.sf(np.abs(z), k - p)
        qm_p = float(stats.f.sf(qm, p - 1, k - p))
    else:
        zc = float(stats.norm.ppf(0.5 + confidence / 2))
        pz = 2 * stats.norm.sf(np.abs(z))
        qm_p = float(stats.chi2.sf(qm, p - 1))
    coefs = pd.DataFrame(
        {
            "term": names,
            "estimate": b,
            "std_error": se,
            "z": z,
            "p_value": pz,
            "ci_lower": b - zc * se,
            "ci_upper": b + zc * se,
        }
    )
    null = _fit_mixed(y, v, np.ones((k, 1)), method)
    tau2_0 = null["tau2"]
    r2 = max(0.0, 100 * (tau2_0 - fit["tau2"]) / tau2_0) if tau2_0 > 0 else math.nan
    return MetaRegressionResult(
        k=k,
        p=p,
        method=method,
        confidence=confidence,
        moderators=moderators,
        reference_levels=refs,
        coefficients=coefs,
        qm=qm,
        qm_df=p - 1,
        qm_p=qm_p,
        test=test,
        df_residual=k - p,
        _inputs=(y, v, x),
        tau2=fit["tau2"],
        se_tau2=fit["se_tau2"],
        i2=fit["i2"],
        h2=fit["h2"],
        r2=r2,
        tau2_without_moderators=tau2_0,
        qe=fit["qe"],
        qe_df=fit["qe_df"],
        qe_p=float(stats.chi2.sf(fit["qe"], fit["qe_df"])),
    )


class SubgroupResult(Result):
    """Result of :func:`subgroups`.

    Attributes
    ----------
    groups : DataFrame
        One row per level: ``level, k, estimate, std_error, ci_lower, ci_upper, p_value,
        tau2, i2, q, q_df, q_p, pi_lower, pi_upper``.
    fits : dict
        ``level -> MetaResult`` (levels with at least two coalitions).
    q_between, q_between_df, q_between_p : float
        Test of differences between the subgroup estimates.
    overall : MetaResult
        The random-effects model over all coalitions (ignoring the moderator).
    studies : DataFrame
        The coalitions (``label, level, estimate, std_error, ci_lower, ci_upper``).

    ``n`` (in ``tidy()``): coalitions (studies) in each subgroup; the ``q_between`` row counts all of them.
    """

    title = i18n.Message("methods.meta.subgroups.title")

    moderator: str
    method: str
    confidence: float
    groups: pd.DataFrame
    fits: dict
    q_between: float
    q_between_df: int
    q_between_p: float
    overall: MetaResult
    studies: pd.DataFrame

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def tidy(self) -> pd.DataFrame:
        """One row per level (``term`` = the level; pooled estimate within the level, ``n``
        = its number of coalitions k; ``tau2``, ``i2``, ``pi_lower``, ``pi_upper`` extra),
        then ``q_between`` (``statistic``, ``df``, ``p_value``) and ``overall`` (all
        coalitions pooled)."""
        rows = []
        for r in self.groups.itertuples(index=False):
            rows.append(
                dict(
                    term=str(r.level),
                    estimate=r.estimate,
                    std_error=r.std_error,
                    ci_lower=r.ci_lower,
                    ci_upper=r.ci_upper,
                    p_value=r.p_value,
                    n=r.k,
                    statistic=r.estimate / r.std_error,
                    df=math.nan,
                    tau2=r.tau2,
                    i2=r.i2,
                    pi_lower=r.pi_lower,
                    pi_upper=r.pi_upper,
                    method=(
                        f"random effects ({self.method})"
                        if r.k >= 2
                        else "single coalition (its own estimate)"
                    ),
                )
            )
        rows.append(
            dict(
                term="q_between",
                estimate=self.q_between,
                p_value=self.q_between_p,
                n=int(self.groups["k"].sum()),
                statistic=self.q_between,
                df=self.q_between_df,
                method="Q between subgroups (fixed-effect test of the subgroup estimates)",
            )
        )
        o = self.overall
        rows.append(
            dict(
                term="overall",
                estimate=o.estimate("pooled"),
                std_error=o.std_error,
                ci_lower=o.ci_lower,
                ci_upper=o.ci_upper,
                p_value=o.p_value,
                n=o.k,
                statistic=o.z,
                tau2=o.tau2,
                i2=o.i2,
                pi_lower=o.pi_lower,
                pi_upper=o.pi_upper,
                method=f"random effects ({self.method}), all coalitions",
            )
        )
        return tidy_frame(rows, extra=("statistic", "df", "tau2", "i2", "pi_lower", "pi_upper", "method"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = []
        for r in self.groups.itertuples(index=False):
            ci = i18n.fmt_ci(r.ci_lower, r.ci_upper, 2, lang, self.confidence)
            kk = i18n.t(
                "methods.meta.coalitions.one" if r.k == 1 else "methods.meta.coalitions.many", lang, k=r.k
            )
            lines.append(f"- {r.level}: {_f(r.estimate, lang)} ({ci}; {kk})")
        test = f"QB({self.q_between_df}) = {_f(self.q_between, lang)}, {i18n.fmt_p(self.q_between_p, lang)}"
        head = i18n.t("methods.meta.subgroups.head", lang, moderator=self.moderator, method=self.method)
        tail = i18n.t("methods.meta.subgroups.do_they_differ", lang, test=test)
        return f"{self.title[lang]}\n\n{head}\n" + "\n".join(lines) + f"\n{tail}"

    def plot(self, *, ax=None, lang: str | None = None, xlabel: str | None = None, null: float = 0.0):
        """Forest plot grouped by level: the coalitions of each level, then the level's
        pooled estimate as a diamond; the overall estimate at the bottom."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        st, gr = self.studies, self.groups
        n_rows = len(st) + 2 * len(gr) + 2
        own = ax is None
        ax = plotting.new_axes(ax, figsize=(9.0, max(3.5, 0.28 * n_rows + 1)))
        if own:  # room for the number column right of the plot
            ax.figure.subplots_adjust(left=0.25, right=0.7)
        y = n_rows
        ticks, labels, numbers = [], [], []
        for i, g in enumerate(gr.itertuples(index=False)):
            colour = plotting.PALETTE[i % len(plotting.PALETTE)]
            part = st[st["level"] == g.level]
            for s in part.itertuples(index=False):
                ax.hlines(y, s.ci_lower, s.ci_upper, color=colour, linewidth=1.1)
                ax.scatter([s.estimate], [y], marker="s", s=30, color=colour, zorder=3)
                ticks.append(y)
                labels.append(str(s.label))
                numbers.append((y, _ci_text(s.estimate, s.ci_lower, s.ci_upper, lang)))
                y -= 1
            ax.fill(
                [g.ci_lower, g.estimate, g.ci_upper, g.estimate],
                [y, y + 0.3, y, y - 0.3],
                color=colour,
                zorder=3,
            )
            ticks.append(y)
            labels.append(f"{g.level} (k = {g.k})")
            numbers.append((y, _ci_text(g.estimate, g.ci_lower, g.ci_upper, lang)))
            y -= 2
        o = self.overall
        ax.fill(
            [o.ci_lower, o.estimate("pooled"), o.ci_upper, o.estimate("pooled")],
            [y, y + 0.35, y, y - 0.35],
            color=plotting.COLORS["national"],
            zorder=3,
        )
        ticks.append(y)
        labels.append(plotting.label("pooled", lang))
        numbers.append((y, _ci_text(o.estimate("pooled"), o.ci_lower, o.ci_upper, lang)))
        lvl = i18n.fmt_number(100 * o.confidence, 0, lang)
        _forest_columns(
            ax,
            numbers,
            header_y=n_rows + 0.6,
            headers=(i18n.t("figures.forest.head_estimate", lang, lvl=lvl),),
        )
        ax.axvline(_null_value(null), color=plotting.COLORS["national"], linestyle="--", linewidth=1)
        ax.set_yticks(ticks, labels)
        for lab in ax.get_yticklabels():
            if "(k = " in lab.get_text() or lab.get_text() == plotting.label("pooled", lang):
                lab.set_fontweight("bold")
        ax.set_ylim(y - 1, n_rows + 1)
        ax.set_xlabel(xlabel or plotting.label("effect_size", lang))
        ax.set_title(
            i18n.t(
                "methods.meta.by_qb",
                lang,
                moderator=self.moderator,
                q_between_df=self.q_between_df,
                q_between=_f(self.q_between, lang),
                q_between_p=i18n.fmt_p(self.q_between_p, lang),
            ),
            fontsize=9,
        )
        return plotting.localize_axes(ax, lang)


def subgroups(
    data: pd.DataFrame,
    *,
    estimate: str,
    std_error: str | None = None,
    variance: str | None = None,
    moderator: str,
    label: str | None = None,
    method: str = "REML",
    confidence: float = 0.95,
    prediction: str = "normal",
) -> SubgroupResult:
    r"""Subgroup analysis: a random-effects model per level of a moderator, and the test
    of whether the subgroups differ (Borenstein et al. 2009, ch. 19; separate tau^2 per
    subgroup).

    Parameters
    ----------
    data : DataFrame
        One row per coalition (study).
    estimate, std_error, variance, label, method, confidence, prediction
        As in :func:`random_effects`.
    moderator : str
        Column with the subgroup of each coalition (e.g. ``intervention_type``). Levels
        in the order of a pandas Categorical, else sorted.

    Returns
    -------
    SubgroupResult
        Per level the random-effects pooled estimate mu_g with SE_g (:func:`random_effects`,
        its own tau^2). A level with a single coalition keeps that coalition's estimate and
        standard error (tau^2 not estimable: NaN). Test of differences:
        Q_B = sum_g (mu_g - mu_bar)^2 / SE_g^2, mu_bar = sum_g mu_g / SE_g^2 / sum_g 1 / SE_g^2,
        chi-square with G - 1 df, i.e. a fixed-effect meta-analysis of the subgroup
        estimates (as R: ``rma(estimate, sei = se, method = "FE")`` on the per-level fits).
        ``overall`` pools all coalitions ignoring the moderator.

    Notes
    -----
    With separate tau^2 per subgroup, a subgroup with two or three coalitions has a very
    uncertain tau^2; :func:`meta_regression` (a common residual tau^2) is the alternative
    and gives the omnibus QM test of the same question. Subgroup differences are
    observational (coalitions chose their intervention), not randomised comparisons.

    Raises
    ------
    DataValidationError
        Non-positive variances, missing moderator values are left out with a warning.
    EstimationError
        Fewer than two levels.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.meta import subgroups
    >>> d = pd.DataFrame({"y": [-0.5, -0.4, -0.1, 0.0, -0.45, -0.05],
    ...                   "se": [0.1, 0.12, 0.1, 0.15, 0.11, 0.1],
    ...                   "type": ["maatje", "maatje", "kletskassa", "kletskassa", "maatje",
    ...                            "kletskassa"]})
    >>> res = subgroups(d, estimate="y", std_error="se", moderator="type", method="DL")
    >>> list(res.groups["level"])
    ['kletskassa', 'maatje']
    """
    check_dataframe(data)
    method = check_option("method", method, ("REML", "DL"))
    confidence = check_confidence(confidence)
    check_option("prediction", prediction, ("normal", "t"))
    check_columns(
        data, estimate=estimate, std_error=std_error, variance=variance, moderator=moderator, label=label
    )
    y, v, vname, bad_s = _effects_and_variances(data, estimate, std_error, variance)
    ok = np.isfinite(y) & np.isfinite(v) & data[moderator].notna().to_numpy()
    if (~ok).any():
        warnings.warn(
            f"{int((~ok).sum())} row(s) with a missing {estimate!r}, {vname!r} or {moderator!r} left out.",
            DataQualityWarning,
            stacklevel=2,
        )
    if (v[ok] <= 0).any() or bad_s[ok].any():
        raise DataValidationError(f"{vname!r} must be positive; {int((v[ok] <= 0).sum())} row(s) are not.")
    labels = (
        data[label].astype(str).to_numpy()
        if label is not None
        else np.array([str(i + 1) for i in range(len(data))])
    )
    work = pd.DataFrame(
        {"label": labels[ok], "level": data[moderator].to_numpy(dtype=object)[ok], "y": y[ok], "v": v[ok]}
    )
    levels = _levels(data.loc[ok, moderator])
    if len(levels) < 2:
        raise EstimationError(f"{moderator!r} has fewer than two levels; nothing to compare.")
    zc = float(stats.norm.ppf(0.5 + confidence / 2))
    rows, fits = [], {}
    for lv in levels:
        part = work[work["level"] == lv]
        if len(part) >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataQualityWarning)
                fit = random_effects(
                    part,
                    estimate="y",
                    variance="v",
                    label="label",
                    method=method,
                    confidence=confidence,
                    prediction=prediction,
                )
            fits[lv] = fit
            rows.append(
                dict(
                    level=lv,
                    k=fit.k,
                    estimate=fit.estimate("pooled"),
                    std_error=fit.std_error,
                    ci_lower=fit.ci_lower,
                    ci_upper=fit.ci_upper,
                    p_value=fit.p_value,
                    tau2=fit.tau2,
                    i2=fit.i2,
                    q=fit.q,
                    q_df=fit.q_df,
                    q_p=fit.q_p,
                    pi_lower=fit.pi_lower,
                    pi_upper=fit.pi_upper,
                )
            )
        else:
            est, se = float(part["y"].iloc[0]), math.sqrt(float(part["v"].iloc[0]))
            rows.append(
                dict(
                    level=lv,
                    k=1,
                    estimate=est,
                    std_error=se,
                    ci_lower=est - zc * se,
                    ci_upper=est + zc * se,
                    p_value=float(2 * stats.norm.sf(abs(est / se))),
                    tau2=math.nan,
                    i2=math.nan,
                    q=math.nan,
                    q_df=0,
                    q_p=math.nan,
                    pi_lower=math.nan,
                    pi_upper=math.nan,
                )
            )
    groups = pd.DataFrame(rows)
    wg = 1 / groups["std_error"].to_numpy() ** 2
    mg = groups["estimate"].to_numpy()
    mbar = np.sum(wg * mg) / np.sum(wg)
    qb = float(np.sum(wg * (mg - mbar) ** 2))
    qb_df = len(groups) - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        overall = random_effects(
            work,
            estimate="y",
            variance="v",
            label="label",
            method=method,
            confidence=confidence,
            prediction=prediction,
        )
    se_w = np.sqrt(work["v"].to_numpy())
    studies = pd.DataFrame(
        {
            "label": work["label"],
            "level": work["level"],
            "estimate": work["y"],
            "std_error": se_w,
            "ci_lower": work["y"] - zc * se_w,
            "ci_upper": work["y"] + zc * se_w,
        }
    )
    order = {lv: i for i, lv in enumerate(levels)}
    studies = studies.sort_values("level", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return SubgroupResult(
        moderator=moderator,
        method=method,
        confidence=confidence,
        groups=groups,
        fits=fits,
        q_between=qb,
        q_between_df=qb_df,
        q_between_p=float(stats.chi2.sf(qb, qb_df)),
        overall=overall,
        studies=studies,
    )


# ================================================================ permutation test
#: Largest number of distinct permutations :func:`permutation_test` enumerates with exact=True.
MAX_EXACT_PERMUTATIONS = 1_000_000


def _n_distinct_permutations(labels: np.ndarray) -> float:
    """k! / prod(c_j!) for the multiplicities c_j of the distinct labels."""
    _, counts = np.unique(labels, return_counts=True)
    return math.exp(math.lgamma(len(labels) + 1) - sum(math.lgamma(c + 1) for c in counts))


def _distinct_permutations(labels: np.ndarray):
    """Every distinct permutation of a multiset (lexicographic order, 'next permutation'
    algorithm, so repeated labels give each arrangement once)."""
    a = np.sort(labels).tolist()
    n = len(a)
    while True:
        yield np.array(a)
        i = n - 2
        while i >= 0 and a[i] >= a[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while a[j] <= a[i]:
            j -= 1
        a[i], a[j] = a[j], a[i]
        a[i + 1 :] = reversed(a[i + 1 :])


class PermutationTestResult(Result):
    """Result of :func:`permutation_test`.

    Attributes
    ----------
    qm, qm_p, qm_p_asymptotic : float
        The omnibus statistic of the moderators (chi-square QM, or F with Knapp-Hartung),
        its permutation p-value and the p-value of the asymptotic test.
    coefficients : DataFrame
        ``term, estimate, statistic, p_value`` (permutation, two-sided on |z| or |t|),
        ``p_value_asymptotic``.
    iterations : int
        Permutations used (the observed arrangement included).
    exact : bool
        True when every distinct permutation of the moderator rows was used.
    k : int
        Coalitions (studies).

    ``n`` (in ``tidy()``): coalitions (studies), k.
    """

    title = i18n.Message("methods.meta.permutation.title")

    qm: float
    qm_df: int
    qm_p: float
    qm_p_asymptotic: float
    coefficients: pd.DataFrame
    iterations: int
    exact: bool
    seed: int | None
    k: int
    test: str
    method: str

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient and a row ``qm``; ``p_value`` is the permutation p-value.
        Extra columns ``statistic, p_value_asymptotic, iterations, method``."""
        kind = "exact" if self.exact else "approximate"
        rows = [
            dict(
                term=r.term,
                estimate=r.estimate,
                p_value=r.p_value,
                n=self.k,
                statistic=r.statistic,
                p_value_asymptotic=r.p_value_asymptotic,
                iterations=self.iterations,
                method=f"{kind} permutation test ({self.method}, {self.test})",
            )
            for r in self.coefficients.itertuples(index=False)
        ]
        rows.append(
            dict(
                term="qm",
                estimate=self.qm,
                p_value=self.qm_p,
                n=self.k,
                statistic=self.qm,
                p_value_asymptotic=self.qm_p_asymptotic,
                iterations=self.iterations,
                method=f"{kind} permutation test of the moderators together ({self.method}, {self.test})",
            )
        )
        return tidy_frame(rows, extra=("statistic", "p_value_asymptotic", "iterations", "method"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        n_it = i18n.fmt_number(self.iterations, 0, lang)
        stat = f"{'F' if self.test == 'knha' else 'QM'} = {_f(self.qm, lang)}"
        if self.exact:
            how = i18n.t("methods.meta.permutation.all_distinct", lang, n=n_it)
        else:
            how = i18n.t("methods.meta.permutation.random", lang, n=n_it, seed=self.seed)
        text = i18n.t(
            "methods.meta.permutation.summary",
            lang,
            k=self.k,
            statistic=stat,
            how=how,
            p=i18n.fmt_p(self.qm_p, lang),
            p_asymptotic=i18n.fmt_p(self.qm_p_asymptotic, lang),
        )
        return f"{self.title[lang]}\n\n{text}"


def permutation_test(
    result: MetaRegressionResult,
    *,
    iterations: int = 1000,
    exact: bool | None = None,
    seed: int | None = None,
) -> PermutationTestResult:
    """Permutation test of the moderators of a meta-regression, as R ``metafor::permutest``.

    The rows of the model matrix (the moderator values) are permuted over the coalitions
    while the effects and their variances stay in place, the model is refitted (same tau^2
    estimator and ``test``), and the p-value is the share of permutations whose statistic
    is at least the observed one (QM for the moderators together; |z| or |t| per
    coefficient), with metafor's tolerance sqrt(machine epsilon). Under the null hypothesis
    of no moderator effect every arrangement is equally likely, so the p-value does not rest
    on the chi-square approximation, which is too liberal with few coalitions (Higgins &
    Thompson 2004).

    Parameters
    ----------
    result : MetaRegressionResult
        From :func:`meta_regression`.
    iterations : int
        Random permutations (the observed arrangement counts as the first), as
        ``permutest(iter = 1000)``.
    exact : bool or None
        True: every distinct permutation of the moderator rows (identical rows are not
        told apart, as metafor); None (default): exact when that number is at most
        ``iterations`` (as metafor), otherwise random permutations.
    seed : int, optional
        Seed of the random permutations. metafor uses R's generator, so a random (not
        exact) permutation p-value agrees with R's only within Monte Carlo error,
        about sqrt(p (1 - p) / iterations).

    Returns
    -------
    PermutationTestResult

    References
    ----------
    Higgins, J. P. T., & Thompson, S. G. (2004). Controlling the risk of spurious findings
    from meta-regression. *Statistics in Medicine*, 23, 1663-1682.
    Viechtbauer, W., López-López, J. A., Sánchez-Meca, J., & Marín-Martínez, F. (2015). A
    comparison of procedures to test for moderators in mixed-effects meta-regression
    models. *Psychological Methods*, 20, 360-374.
    """
    if not isinstance(result, MetaRegressionResult):
        raise ParameterError(
            f"result must be a MetaRegressionResult (from meta.meta_regression), got {type(result).__name__}."
        )
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 2:
        raise ParameterError(f"iterations must be an integer >= 2, got {iterations!r}.")
    if exact not in (None, True, False):
        raise ParameterError(f"exact must be True, False or None, got {exact!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ParameterError(f"seed must be a non-negative integer or None, got {seed!r}.")
    y, v, x = result._inputs
    k = len(y)
    # identical model-matrix rows get the same label: permuting them changes nothing
    _, labels = np.unique(x, axis=0, return_inverse=True)
    labels = labels.ravel()
    n_exact = _n_distinct_permutations(labels)
    use_exact = bool(exact) or (exact is None and n_exact <= iterations)
    if use_exact and n_exact > MAX_EXACT_PERMUTATIONS:
        raise ParameterError(
            f"exact=True would need {n_exact:.3g} permutations (more than "
            f"{MAX_EXACT_PERMUTATIONS:,}); use exact=None or False with iterations=..."
        )
    obs = result.coefficients
    z_obs = obs["z"].to_numpy()
    tol = math.sqrt(np.finfo(float).eps)
    if use_exact:
        rows_by_label = np.array([np.flatnonzero(labels == lab)[0] for lab in range(labels.max() + 1)])
        arrangements = (rows_by_label[perm] for perm in _distinct_permutations(labels))
        n_it = int(round(n_exact))
    else:
        rng = np.random.default_rng(seed)
        n_it = int(iterations)
        arrangements = (np.arange(k) if i == 0 else rng.permutation(k) for i in range(n_it))
    qm_perm = np.full(n_it, np.nan)
    z_perm = np.full((n_it, x.shape[1]), np.nan)
    for i, rows in enumerate(arrangements):
        try:
            _, _, _, _, z, qm = _mixed_tests(y, v, x[rows], result.method, result.test)
        except np.linalg.LinAlgError:  # a singular refit counts as missing, as metafor's try()
            continue
        qm_perm[i], z_perm[i] = qm, z
    ok = np.isfinite(qm_perm)
    qm_p = float(np.mean(qm_perm[ok] >= result.qm - tol))
    p_coef = np.mean(np.abs(z_perm[ok]) >= np.abs(z_obs) - tol, axis=0)
    coefs = pd.DataFrame(
        {
            "term": obs["term"],
            "estimate": obs["estimate"],
            "statistic": z_obs,
            "p_value": p_coef,
            "p_value_asymptotic": obs["p_value"],
        }
    )
    return PermutationTestResult(
        qm=result.qm,
        qm_df=result.qm_df,
        qm_p=qm_p,
        qm_p_asymptotic=result.qm_p,
        coefficients=coefs,
        iterations=n_it,
        exact=use_exact,
        seed=None if use_exact else seed,
        k=k,
        test=result.test,
        method=result.method,
    )
