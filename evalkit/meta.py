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

from . import i18n
from ._checks import check_columns, check_confidence, check_dataframe, check_lang, check_option
from .errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    EvalkitWarning,
    ParameterError,
    PrivacyWarning,
)
from .privacy import DEFAULT_MIN_CELL, check_min_cell
from .results import Result, tidy_frame

__all__ = ["random_effects", "effect_sizes", "MetaResult"]


def _tau2_dl(y, v):
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - mu) ** 2))
    c = np.sum(w) - np.sum(w * w) / np.sum(w)
    return max(0.0, (q - (y.size - 1)) / c) if c > 0 else 0.0


def _tau2_reml(y, v, tol=1e-12, maxiter=1000):
    """REML tau^2 by Fisher scoring with step halving (as metafor's default algorithm)."""
    tau2 = _tau2_dl(y, v)
    converged = False
    for _ in range(maxiter):
        w = 1 / (v + tau2)
        sw = w.sum()
        mu = np.sum(w * y) / sw
        resid = y - mu
        # P = W - w w^T / sum(w) for an intercept-only model
        tr_p = sw - np.sum(w * w) / sw
        ypy = np.sum(w * w * resid * resid)  # y' P P y
        tr_pp = np.sum(w * w) - 2 * np.sum(w ** 3) / sw + (np.sum(w * w) / sw) ** 2
        step = (ypy - tr_p) / tr_pp  # score / information (the 1/2 factors cancel)
        new = tau2 + step
        while new < 0 and step > 1e-300:
            step /= 2
            new = tau2 + step
        new = max(new, 0.0)
        if abs(new - tau2) < tol:
            tau2 = new
            converged = True
            break
        tau2 = new
    w = 1 / (v + tau2)
    sw = w.sum()
    tr_pp = np.sum(w * w) - 2 * np.sum(w ** 3) / sw + (np.sum(w * w) / sw) ** 2
    se_tau2 = math.sqrt(2 / tr_pp)
    return tau2, se_tau2, converged


class MetaResult(Result):
    """Result of :func:`random_effects`.

    Attributes
    ----------
    estimate, std_error, ci_lower, ci_upper, z, p_value : float
        Pooled effect and its inference (normal distribution, as metafor's default).
    tau2, i2, h2, q, q_df, q_p : float
        Between-coalition variance, I^2 (in percent), H^2, Cochran's Q with its df and p.
    pi_lower, pi_upper : float
        Prediction interval for the effect in a new coalition.
    studies : DataFrame
        ``label, estimate, std_error, ci_lower, ci_upper, weight`` (weight in percent of
        the random-effects weights).
    """

    title = {"nl": "Gepoold effect (random-effects meta-analyse)",
             "en": "Pooled effect (random-effects meta-analysis)"}

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def tidy(self) -> pd.DataFrame:
        """Rows ``pooled``, ``tau2``, ``i2`` (percent), ``h2``, ``q`` (Cochran's Q with its
        p-value and ``df``) and ``prediction`` (``ci_lower``/``ci_upper`` = the prediction
        interval); ``n`` = number of coalitions (k). Extra ``statistic, df, method``."""
        k = self.k
        rows = [
            dict(term="pooled", estimate=self.estimate, std_error=self.std_error,
                 ci_lower=self.ci_lower, ci_upper=self.ci_upper, p_value=self.p_value, n=k,
                 statistic=self.z, method=f"random effects ({self.method}), z-test"),
            dict(term="tau2", estimate=self.tau2, std_error=self.se_tau2, n=k, method=self.method),
            dict(term="i2", estimate=self.i2, n=k, method="100 tau2 / (tau2 + typical v)"),
            dict(term="h2", estimate=self.h2, n=k, method="(tau2 + typical v) / typical v"),
            dict(term="q", estimate=self.q, p_value=self.q_p, n=k, statistic=self.q, df=self.q_df,
                 method="Cochran's Q (fixed-effect weights)"),
            dict(term="prediction", estimate=self.estimate, ci_lower=self.pi_lower,
                 ci_upper=self.pi_upper, n=k, df=(k - 2) if self.prediction == "t" else math.nan,
                 method=f"prediction interval ({self.prediction})"),
        ]
        return tidy_frame(rows, extra=("statistic", "df", "method"))

    def summary(self, lang: str = "nl") -> str:
        check_lang(lang)
        ci = i18n.fmt_ci(self.ci_lower, self.ci_upper, 2, lang, self.confidence)
        pi_lo, pi_hi = _f(self.pi_lower, lang), _f(self.pi_upper, lang)
        lvl = i18n.fmt_number(100 * self.confidence, 0, lang)
        if lang == "nl":
            text = (f"Over {self.k} coalities samen is het gemiddelde effect {_f(self.estimate, lang)} "
                    f"({ci}, {i18n.fmt_p(self.p_value, lang)}).\n"
                    f"De effecten verschillen tussen coalities: tau² = {_f(self.tau2, lang, 3)}, "
                    f"I² = {i18n.fmt_number(self.i2, 0, lang)}% (Q({self.q_df}) = {_f(self.q, lang)}, "
                    f"{i18n.fmt_p(self.q_p, lang)}).\n"
                    f"Bij een nieuwe, vergelijkbare coalitie ligt het effect naar verwachting tussen "
                    f"{pi_lo} en {pi_hi} ({lvl}%-voorspellingsinterval).\n"
                    f"Schatter: {self.method}.")
        else:
            text = (f"Across {self.k} coalitions the average effect is {_f(self.estimate, lang)} "
                    f"({ci}, {i18n.fmt_p(self.p_value, lang)}).\n"
                    f"Effects differ between coalitions: tau² = {_f(self.tau2, lang, 3)}, "
                    f"I² = {i18n.fmt_number(self.i2, 0, lang)}% (Q({self.q_df}) = {_f(self.q, lang)}, "
                    f"{i18n.fmt_p(self.q_p, lang)}).\n"
                    f"In a new, similar coalition the effect is expected between {pi_lo} and {pi_hi} "
                    f"({lvl}% prediction interval).\nEstimator: {self.method}.")
        return f"{self.title[lang]}\n\n{text}"

    def plot(self, *, ax=None, lang: str = "nl", xlabel: str | None = None, null: float = 0.0):
        """Forest plot: each coalition's estimate and interval (square size ~ weight), the
        pooled estimate as a diamond, the prediction interval as a line under it, and a
        dashed line at ``null``."""
        from . import plotting

        check_lang(lang)
        st = self.studies
        k = len(st)
        ax = plotting.new_axes(ax, figsize=(7.5, max(3.0, 0.32 * (k + 3) + 1)))
        ypos = np.arange(k)[::-1] + 2
        sizes = 20 + 180 * st["weight"].to_numpy() / max(st["weight"].max(), 1e-12)
        ax.hlines(ypos, st["ci_lower"], st["ci_upper"], color=plotting.COLORS["intervention"], linewidth=1.2)
        ax.scatter(st["estimate"], ypos, s=sizes, marker="s", color=plotting.COLORS["intervention"], zorder=3)
        m, lo, hi = self.estimate, self.ci_lower, self.ci_upper
        ax.fill([lo, m, hi, m], [0.6, 0.85, 0.6, 0.35], color=plotting.COLORS["highlight"], zorder=3)
        if np.isfinite(self.pi_lower):
            ax.hlines(0.6, self.pi_lower, self.pi_upper, color=plotting.COLORS["highlight"],
                      linewidth=1.2, linestyle=":", zorder=2)
        ax.axvline(null, color=plotting.COLORS["national"], linestyle="--", linewidth=1)
        labels = [str(x) for x in st["label"]]
        pooled = plotting.label("pooled", lang) + f" ({self.method})"
        ax.set_yticks(list(ypos) + [0.6], labels + [pooled])
        ax.set_ylim(0, k + 2.5)
        ax.set_xlabel(xlabel or plotting.label("effect_size", lang))
        lvl = i18n.fmt_number(100 * self.confidence, 0, lang)
        ax.set_title({"nl": f"{self.k} coalities; ruit = gepoold {lvl}%-BI, stippellijn = voorspellingsinterval; "
                            f"I² = {i18n.fmt_number(self.i2, 0, lang)}%",
                      "en": f"{self.k} coalitions; diamond = pooled {lvl}% CI, dotted = prediction interval; "
                            f"I² = {i18n.fmt_number(self.i2, 0, lang)}%"}[lang], fontsize=9)
        return ax


def _f(x, lang, digits=2):
    return i18n.fmt_number(x, digits, lang)


def random_effects(data: pd.DataFrame, *, estimate: str, std_error: str | None = None,
                   variance: str | None = None, label: str | None = None, method: str = "REML",
                   confidence: float = 0.95, prediction: str = "normal") -> MetaResult:
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
    prediction : {"normal", "t"}
        Distribution of the prediction interval mu +- crit * sqrt(SE^2 + tau^2).
        ``"normal"`` (default) is what R ``metafor::predict.rma`` does for a standard
        ``rma()`` fit; ``"t"`` uses the t-distribution with k - 2 df (Higgins et al.
        2009), wider for few coalitions.

    Returns
    -------
    MetaResult
        Pooled mu = sum w*_i y_i / sum w*_i with w*_i = 1 / (v_i + tau^2),
        SE = 1 / sqrt(sum w*_i), z-test and normal interval. Q = sum w_i (y_i - mu_FE)^2
        with df = k - 1. I^2 = 100 tau^2 / (tau^2 + s^2), H^2 = (tau^2 + s^2) / s^2 with
        the "typical" within-study variance s^2 = (k - 1) / (sum w - sum w^2 / sum w)
        (Higgins & Thompson 2002; as metafor, so I^2 depends on the tau^2 estimator; for
        DL it equals (Q - df) / Q). ``std_error`` of ``tau2`` is the REML information-based
        one (NaN for DL).

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
    check_option("prediction", prediction, ("normal", "t"))
    if (std_error is None) == (variance is None):
        raise ParameterError("Give exactly one of std_error= or variance= (a column name).")
    check_columns(data, estimate=estimate, std_error=std_error, variance=variance, label=label)
    y = pd.to_numeric(data[estimate], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if std_error is not None:
        s = pd.to_numeric(data[std_error], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        v = s * s
        vname = std_error
    else:
        v = pd.to_numeric(data[variance], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        vname = variance
    labels = (data[label].astype(str).to_numpy() if label is not None
              else np.array([str(i + 1) for i in range(len(data))]))
    ok = np.isfinite(y) & np.isfinite(v)
    if (~ok).any():
        warnings.warn(f"{int((~ok).sum())} row(s) with a missing {estimate!r} or {vname!r} left out.",
                      DataQualityWarning, stacklevel=2)
    y, v, labels = y[ok], v[ok], labels[ok]
    bad = v <= 0
    if std_error is not None:
        bad = bad | (s[ok] <= 0)
    if bad.any():
        raise DataValidationError(
            f"{vname!r} must be positive; rows {', '.join(labels[bad][:5])} are not.")
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
        tau2, se_tau2 = _tau2_dl(y, v), math.nan
    else:
        tau2, se_tau2, conv = _tau2_reml(y, v)
        if not conv:
            warnings.warn("REML estimation of tau^2 did not converge in 1000 iterations.",
                          ConvergenceWarning, stacklevel=2)
    ws = 1 / (v + tau2)
    mu = float(np.sum(ws * y) / np.sum(ws))
    se = float(math.sqrt(1 / np.sum(ws)))
    z = mu / se
    p = float(2 * stats.norm.sf(abs(z)))
    zc = float(stats.norm.ppf(0.5 + confidence / 2))
    s2 = q_df / c
    i2 = 100 * tau2 / (tau2 + s2)
    h2 = (tau2 + s2) / s2
    if prediction == "normal":
        crit = zc
    else:
        crit = float(stats.t.ppf(0.5 + confidence / 2, k - 2)) if k > 2 else math.nan
    half = crit * math.sqrt(se * se + tau2)
    study_se = np.sqrt(v)
    studies = pd.DataFrame({"label": labels, "estimate": y, "std_error": study_se,
                            "ci_lower": y - zc * study_se, "ci_upper": y + zc * study_se,
                            "weight": 100 * ws / ws.sum()})
    return MetaResult(
        k=k, method=method, confidence=confidence, prediction=prediction, estimate=mu,
        std_error=se, ci_lower=mu - zc * se, ci_upper=mu + zc * se, z=z, p_value=p, tau2=tau2,
        se_tau2=se_tau2, i2=i2, h2=h2, q=q, q_df=q_df, q_p=q_p, pi_lower=mu - half,
        pi_upper=mu + half, studies=studies)


def effect_sizes(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                 by: str = "municipality_code", effect: str = "g_av", pre="pre", post="post",
                 confidence: float = 0.95, min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """One pre/post effect size per coalition, ready for :func:`random_effects`.

    Runs :func:`evalkit.prepost.paired` per value of ``by`` and keeps the row ``effect``.

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
    min_cell : int
        Coalitions with fewer complete pairs are left out (privacy: their effect could
        not be shown in a forest plot), with a :class:`~evalkit.PrivacyWarning` giving
        their number. Coalitions where the effect cannot be estimated (e.g. constant
        scores) are left out with a :class:`~evalkit.DataQualityWarning`.

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
    from .prepost import paired

    check_dataframe(data)
    check_columns(data, by=by, outcome=outcome, unit=unit, time=time)
    check_option("effect", effect, ("g_av", "d_av", "d_z", "mean_diff"))
    min_cell = check_min_cell(min_cell)
    confidence = check_confidence(confidence)
    rows, small, failed = [], 0, []
    for key, sub in data.groupby(by, sort=True, observed=True, dropna=True):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EvalkitWarning)
                res = paired(sub, outcome=outcome, unit=unit, time=time, pre=pre, post=post,
                             confidence=confidence)
        except EstimationError:
            failed.append(key)
            continue
        if res.n < min_cell:
            small += 1
            continue
        row = res.tidy().set_index("term").loc[effect]
        if not (np.isfinite(row["estimate"]) and np.isfinite(row["std_error"]) and row["std_error"] > 0):
            failed.append(key)
            continue
        rows.append({by: key, "estimate": float(row["estimate"]), "std_error": float(row["std_error"]),
                     "ci_lower": float(row["ci_lower"]), "ci_upper": float(row["ci_upper"]),
                     "n": int(res.n), "n_dropped": int(res.n_dropped), "effect": effect})
    if small:
        warnings.warn(f"{small} coalition(s) with fewer than {min_cell} complete pairs left out.",
                      PrivacyWarning, stacklevel=2)
    if failed:
        warnings.warn(f"No {effect} could be estimated for {len(failed)} coalition(s): "
                      f"{', '.join(map(str, failed[:10]))}.", DataQualityWarning, stacklevel=2)
    return pd.DataFrame(rows, columns=[by, "estimate", "std_error", "ci_lower", "ci_upper", "n",
                                       "n_dropped", "effect"])
