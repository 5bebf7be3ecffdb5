r"""Internal consistency: Cronbach's alpha (Feldt CI) and McDonald's omega.

- **alpha** (Cronbach 1951) from the pairwise covariance matrix C of the (reverse-keyed)
  items, :math:`\alpha = \frac{k}{k-1}(1 - \mathrm{tr}\,C / 1'C1)`, with Feldt's (1965;
  Feldt, Woodruff & Salih 1987) interval
  :math:`1 - (1-\alpha) F_{1-a/2}(n-1, (n-1)(k-1))` to
  :math:`1 - (1-\alpha) F_{a/2}(n-1, (n-1)(k-1))` -- ``psych::alpha`` / ``psych::alpha.ci``.
- **alpha_standardized**: the same on the correlation matrix; **average_r**: mean
  inter-item correlation.
- **omega_total** (McDonald 1999) from a one-factor ML CFA (:func:`evalkit.validation.cfa`,
  lavaan's defaults): :math:`\omega = (\sum\lambda_i)^2\psi / 1'S1` with S the observed
  covariance matrix (divisor N) -- ``semTools::compRelSEM`` with its default
  ``obs.var = TRUE``.
- **omega_hierarchical** either from a user-given bifactor CFA (``model=``: the factor
  that loads on every item is the general factor, group factors orthogonal; same formula
  for the general factor, as ``compRelSEM``), or by the Schmid-Leiman transformation of an
  oblimin-rotated minres EFA with ``sl_factors`` group factors (``psych::omega``:
  :math:`\omega_h = (\sum g_i)^2 / 1'R1`; Zinbarg et al. 2005).
- **omega_total_sl** with ``sl_factors``: psych's ``omega.tot`` of the same Schmid-Leiman
  solution, :math:`(1'R1 - \sum u_i^2) / 1'R1` after flipping items with a negative general
  loading (``flip = TRUE``). It sits beside omega_hierarchical because both come from one
  model; omega_total comes from the one-factor CFA.
- **Unkeyed reverse items**: items that load negatively on the first principal component of
  the correlation matrix (oriented so that the loadings sum to a positive number; the rule
  of ``psych::alpha(check.keys = TRUE)``) are named in a ``DataQualityWarning`` and in the
  summary (``reverse_suggested``). alpha and omega_total assume one keying direction: with
  mixed signs they collapse (loadings of opposite sign cancel in :math:`(\sum\lambda)^2`)
  while the Schmid-Leiman route flips items itself, so omega_hierarchical could exceed
  omega_total. The summary never shows omega_h above omega_total without saying why.
- Percentile bootstrap CIs (Efron & Tibshirani 1993) for every coefficient, seeded.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_confidence, check_lang, check_positive_int
from evalkit.core.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    EstimationError,
    EvalkitError,
    ParameterError,
    SmallSampleWarning,
)
from evalkit.core.i18n import Message, fmt_ci, fmt_number, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.validation.exploratory import _minres, _ml, _rotate
from evalkit.methods.validation.items import alpha_from_cov, pairwise_cov, prepare_items, std_alpha_from_cov

__all__ = ["reliability", "ReliabilityResult", "feldt_ci", "omega_from_cfa", "schmid_leiman"]


def _label(term: str, lang: str) -> str:
    """The name of a reliability coefficient (``term`` of ``tidy()``) in ``lang``."""
    return t(f"validation.consistency.label_{term}", lang)


def feldt_ci(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval of Cronbach's alpha (as ``psych::alpha.ci``)."""
    a = 1.0 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - a / 2.0, df1, df2)
    upper = 1.0 - (1.0 - alpha) * stats.f.ppf(a / 2.0, df1, df2)
    return float(lower), float(upper)


def omega_from_cfa(result, factor: str, data: pd.DataFrame) -> float:
    """``semTools::compRelSEM`` omega of one factor of a fitted single-group CFA.

    ``(sum of the factor's loadings)^2 * var(factor) / (sum of the observed covariance
    matrix, divisor N, of the factor's indicators)`` on the complete cases the CFA used.
    """
    p = result.parameters
    lam = p.loc[(p["op"] == "=~") & (p["lhs"] == factor)]
    if lam.empty:
        raise ParameterError(f"factor {factor!r} is not in the model.")
    psi = p.loc[(p["op"] == "~~") & (p["lhs"] == factor) & (p["rhs"] == factor), "estimate"]
    ind = lam["rhs"].tolist()
    all_obs = list(dict.fromkeys(p.loc[p["op"] == "=~", "rhs"]))
    x = data[all_obs].dropna()[ind].to_numpy(dtype=float)
    s = np.cov(x, rowvar=False, ddof=0)
    return float(lam["estimate"].sum() ** 2 * float(psi.iloc[0]) / s.sum())


def _omega_fast(x: np.ndarray, start: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Omega total from a one-factor ML factor analysis of complete data ``x``.

    ML factor analysis is scale invariant, so the standardised one-factor ML solution
    rescaled by the item SDs (divisor N) is the one-factor ML CFA solution (uniquenesses
    bounded below by 0.005 of the item variance, where lavaan would allow a negative
    variance). Used for bootstrap replicates; the point estimate uses the CFA engine.
    """
    sd = x.std(axis=0, ddof=0)
    r = np.corrcoef(x, rowvar=False)
    L, _, _, psi = _ml(r, 1, start=start)
    lam = L[:, 0] * sd
    if lam.sum() < 0:
        lam = -lam
    s = np.cov(x, rowvar=False, ddof=0)
    return float(lam.sum() ** 2 / s.sum()), psi


def schmid_leiman(r: np.ndarray, n_factors: int) -> dict:
    """Schmid-Leiman omega as ``psych::omega(fm="minres", rotate="oblimin")``.

    Returns ``omega_h``, ``omega_total``, ``g_loadings`` (after flipping items with a
    negative general loading, as psych's ``flip=TRUE``) and the oblique solution.
    """
    if n_factors < 2:
        raise ParameterError("sl_factors must be at least 2 for a Schmid-Leiman solution.")
    L0, _, _ = _minres(r, n_factors)
    h2 = np.sum(L0 * L0, axis=1)
    F, Phi, _ = _rotate(L0, "oblimin")
    if n_factors > 2:
        g, _, _ = _minres(Phi, 1)
        g = g[:, 0]
        if g.sum() < 0:
            g = -g
    else:
        g = np.array([np.sqrt(abs(Phi[0, 1])), np.sign(Phi[0, 1]) * np.sqrt(abs(Phi[0, 1]))])
    gl = F @ g
    key = np.where(gl < 0, -1.0, 1.0)
    m = r * np.outer(key, key)
    vt = m.sum()
    gl = gl * key
    u2 = np.diag(r) - h2
    return {
        "omega_h": float(gl.sum() ** 2 / vt),
        "omega_total": float((vt - u2.sum()) / vt),
        "g_loadings": gl,
        "pattern": F,
        "phi": Phi,
        "key": key,
    }


def _general_factor(parameters: pd.DataFrame, items: Sequence[str]) -> str:
    lam = parameters.loc[parameters["op"] == "=~"]
    cover = lam.groupby("lhs")["rhs"].apply(set)
    general = [f for f, s in cover.items() if set(items) <= s]
    if len(general) != 1:
        raise ParameterError(
            "model must be a bifactor model with exactly one general factor that loads on "
            f"every item (found {general or 'none'}); higher-order models: use sl_factors=."
        )
    return general[0]


# ----------------------------------------------------------------------------- result
_CI_METHOD = {"feldt": "Feldt", "bootstrap": "bootstrap"}


@dataclass(repr=False)
class ReliabilityResult(Result):
    """Result of :func:`reliability`; ``tidy()`` has one row per coefficient.

    Terms: ``alpha`` (Feldt CI), ``alpha_standardized``, ``average_r``, ``omega_total``
    (bootstrap CI) and ``omega_hierarchical`` when a bifactor model or ``sl_factors`` is
    given. Extra columns: ``ci_method``, ``boot_ci_lower``, ``boot_ci_upper``,
    ``n_items``, ``method``.

    ``n`` (in ``tidy()``): respondents used for that coefficient (complete cases on the items).
    """

    rows: list
    items: tuple
    n: int
    n_boot: int
    confidence: float
    cfa_result: object = None
    boot: pd.DataFrame | None = None
    reverse_suggested: tuple = ()

    title = Message("validation.title.reliability")

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(
            self.rows, extra=("ci_method", "boot_ci_lower", "boot_ci_upper", "n_items", "method")
        )

    def estimate(self, term: str) -> float:
        """The point estimate of one term, e.g. ``res.estimate("alpha")``."""
        t = self.tidy().set_index("term")
        if term not in t.index:
            raise ParameterError(f"term={term!r} is not in this result; terms: {list(t.index)}.")
        return float(t.at[term, "estimate"])

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        head = i18n.t("validation.consistency.summary_head", lang, n_items=len(self.items), n=self.n)
        lines = [head]
        for r in self.rows:
            txt = f"- {_label(r['term'], lang)}: {fmt_number(r['estimate'], 3, lang)}"
            if np.isfinite(r.get("ci_lower", np.nan)):
                txt += " " + fmt_ci(r["ci_lower"], r["ci_upper"], 3, lang, self.confidence)
                txt += f" ({_CI_METHOD.get(r['ci_method'], r['ci_method'])})"
            lines.append(txt)
        est = {r["term"]: r["estimate"] for r in self.rows}
        if self.reverse_suggested:
            lines.append(
                i18n.t(
                    "validation.consistency.reverse_suggested",
                    lang,
                    items=", ".join(self.reverse_suggested),
                    quoted=", ".join(repr(i) for i in self.reverse_suggested),
                )
            )
        oh, ot = est.get("omega_hierarchical", np.nan), est.get("omega_total", np.nan)
        if np.isfinite(oh) and np.isfinite(ot) and oh > ot:
            ot_sl = est.get("omega_total_sl", np.nan)
            lines.append(
                i18n.t(
                    "validation.consistency.omega_h_above_total",
                    lang,
                    omega_h=fmt_number(oh, 3, lang),
                    omega_total=fmt_number(ot, 3, lang),
                    solution=t(
                        "validation.consistency.omega_total_of_that_solution",
                        lang,
                        omega=fmt_number(ot_sl, 3, lang),
                    )
                    if np.isfinite(ot_sl)
                    else "",
                )
            )
        a = est.get("alpha", np.nan)
        crit = i18n.t("validation.consistency.cosmin_criterion", lang)
        lines.append(crit + ("+" if a >= 0.70 else "-"))
        return "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        """Point estimates with confidence intervals."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        t = self.tidy()
        t = t[t["term"] != "average_r"]
        y = np.arange(len(t))[::-1]
        ax.errorbar(
            t["estimate"],
            y,
            xerr=[t["estimate"] - t["ci_lower"], t["ci_upper"] - t["estimate"]],
            fmt="o",
            color=PALETTE[0],
            capsize=3,
        )
        ax.set_yticks(y, [_label(v, lang) for v in t["term"]])
        ax.axvline(0.70, color="#555555", linestyle="--", linewidth=1.2)
        ax.set_xlim(min(0.5, float(np.nanmin(t["ci_lower"].fillna(t["estimate"]))) - 0.05), 1.0)
        ax.set_xlabel(i18n.t("figures.reliability.x", lang))
        ax.set_title(i18n.t("figures.reliability.title", lang), fontsize="medium")
        return localize_axes(ax, lang)


def _unkeyed_reverse(c: np.ndarray, items: Sequence[str]) -> list[str]:
    """Items with a negative loading on the first principal component of the correlation
    matrix of covariance ``c``, the component oriented so its loadings sum to a positive
    number (``psych::alpha(check.keys = TRUE)``'s rule)."""
    d = np.sqrt(np.diag(c))
    if not np.all(d > 0):
        return []
    r = c / np.outer(d, d)
    vals, vecs = np.linalg.eigh(r)
    v = vecs[:, -1] * np.sqrt(max(vals[-1], 0.0))
    if v.sum() < 0:
        v = -v
    return [str(i) for i, lv in zip(items, v) if lv < 0]


def _nan_cov(xv: np.ndarray) -> np.ndarray:
    """Covariance matrix (divisor n - 1); pairwise-complete when there are missing values."""
    if not np.isnan(xv).any():
        return np.cov(xv, rowvar=False)
    return pd.DataFrame(xv).cov(min_periods=2).to_numpy(dtype=float)


def _coefficients(
    xv: np.ndarray, *, with_omega: bool, sl_factors: int | None, start: np.ndarray | None = None
) -> dict:
    """Point values of the fast coefficients on one (bootstrap) sample (numpy array)."""
    c = _nan_cov(xv)
    out = {"alpha": alpha_from_cov(c), "alpha_standardized": std_alpha_from_cov(c)}
    d = 1.0 / np.sqrt(np.diag(c))
    rr = c * np.outer(d, d)
    k = c.shape[0]
    out["average_r"] = (rr.sum() - k) / (k * (k - 1))
    if with_omega:
        cc = xv[~np.isnan(xv).any(axis=1)]
        out["omega_total"] = _omega_fast(cc, start)[0]
    if sl_factors:
        sl = schmid_leiman(rr, sl_factors)
        out["omega_hierarchical"] = sl["omega_h"]
        out["omega_total_sl"] = sl["omega_total"]
    return out


def reliability(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    scale_range: tuple[float, float] | None = None,
    model: str | None = None,
    sl_factors: int | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> ReliabilityResult:
    r"""Cronbach's alpha with Feldt CI, omega total and (optionally) omega hierarchical.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Items of one unidimensional (sub)scale; call once per subscale.
    reverse : list of str
        Reverse-keyed items (recoded ``lo + hi - x``, see :func:`item_analysis`).
    scale_range : (lowest, highest), optional
        Possible answer range (default: observed range over the items).
    model : str, optional
        lavaan-style syntax of a *bifactor* model for omega hierarchical: one general
        factor loading on every item plus group factors, all factor covariances fixed to 0
        (``g ~~ 0*s1``); fitted by :func:`evalkit.validation.cfa` (ML).
        Use the names of the (reverse-keyed) item columns.
    sl_factors : int, optional
        Number of group factors for a Schmid-Leiman omega hierarchical
        (``psych::omega``); used when ``model`` is not given.
    n_boot : int
        Bootstrap replicates (percentile CIs for all coefficients; 0 = none).
        Replicates resample respondents; omega total in a replicate comes from the
        equivalent one-factor ML factor analysis (fast), omega hierarchical from the
        Schmid-Leiman route (a bifactor ``model`` is not refitted per replicate).
    seed : int
        Seed of ``numpy.random.default_rng``.
    confidence : float
        Confidence level (default 0.95).

    Returns
    -------
    ReliabilityResult
        ``tidy()`` rows ``alpha, alpha_standardized, average_r, omega_total`` (+
        ``omega_hierarchical``) with ``estimate, ci_lower, ci_upper``. ``ci_method`` says
        which interval ``ci_lower/ci_upper`` hold (alpha: Feldt; omega: bootstrap
        percentile); ``boot_ci_lower/upper`` always hold the bootstrap interval.

    Notes
    -----
    Alpha uses pairwise-complete covariances (``psych::alpha``'s default) and Feldt's
    ``n`` = respondents with at least one answer; omega uses the complete cases (lavaan's
    listwise deletion). A one-factor CFA needs at least 3 items.

    Examples
    --------
    >>> import semopy.examples.holzinger39 as hs
    >>> from evalkit.validation import reliability
    >>> res = reliability(hs.get_data(), items=["x4", "x5", "x6"], n_boot=0)
    >>> round(res.estimate("alpha"), 3), round(res.estimate("omega_total"), 3)
    (0.883, 0.886)
    """
    confidence = check_confidence(confidence)
    n_boot = check_positive_int(n_boot, "n_boot", minimum=0)
    if sl_factors is not None:
        sl_factors = check_positive_int(sl_factors, "sl_factors", minimum=2)
    if model is not None and not isinstance(model, str):
        raise ParameterError("model must be lavaan-style model syntax (a string).")
    x, items, _ = prepare_items(
        data, items, reverse=reverse, scale_range=scale_range, min_n=3, what="reliability"
    )
    n, k = len(x), len(items)
    if n < 30:
        warnings.warn(
            f"only {n} respondents: reliability estimates are imprecise.", SmallSampleWarning, stacklevel=2
        )
    c = pairwise_cov(x)
    if not np.all(np.isfinite(c)):
        raise EstimationError("some pairs of items have fewer than 2 common respondents.")
    reverse_suggested = _unkeyed_reverse(c, items)
    if reverse_suggested:
        warnings.warn(
            f"item(s) {reverse_suggested} correlate negatively with the other items (first "
            "principal component): they look reverse-worded but are not reverse-keyed, so "
            "alpha and omega_total are too low. Add them to reverse= (or take them out of "
            "it) and compute again.",
            DataQualityWarning,
            stacklevel=2,
        )
    point = _coefficients(x.to_numpy(dtype=float), with_omega=False, sl_factors=None)
    lo, hi = feldt_ci(point["alpha"], n, k, confidence)
    rows = [
        {
            "term": "alpha",
            "estimate": point["alpha"],
            "ci_lower": lo,
            "ci_upper": hi,
            "n": n,
            "ci_method": "feldt",
            "n_items": k,
            "method": "cronbach",
        },
        {
            "term": "alpha_standardized",
            "estimate": point["alpha_standardized"],
            "n": n,
            "ci_method": "bootstrap" if n_boot else "none",
            "n_items": k,
            "method": "cronbach",
        },
        {
            "term": "average_r",
            "estimate": point["average_r"],
            "n": n,
            "ci_method": "bootstrap" if n_boot else "none",
            "n_items": k,
            "method": "pearson",
        },
    ]

    # omega total from the one-factor ML CFA (the SEM engine, evalkit.methods.validation.sem)
    complete = x.dropna()
    with_omega = k >= 3
    cfa_res = None
    if with_omega:
        from evalkit.methods.validation.sem.cfa import cfa

        names = (
            {c_: f"i{j}" for j, c_ in enumerate(items)}
            if any(not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", c_) for c_ in items)
            else {c_: c_ for c_ in items}
        )
        fac = "eta_" if "eta_" not in items else "eta__"
        syntax = f"{fac} =~ " + " + ".join(names[c_] for c_ in items)
        omega = np.nan
        try:
            with warnings.catch_warnings():
                # reliability() already warns about small samples; CFA warnings about the
                # solution itself (Heywood cases, convergence) pass through
                warnings.simplefilter("ignore", SmallSampleWarning)
                cfa_res = cfa(complete.rename(columns=names), syntax)
            omega = omega_from_cfa(cfa_res, fac, complete.rename(columns=names))
            if not getattr(cfa_res, "converged", True):
                warnings.warn(
                    "the one-factor CFA for omega did not converge.", ConvergenceWarning, stacklevel=2
                )
        except EvalkitError as e:
            warnings.warn(f"omega total could not be estimated: {e}", ConvergenceWarning, stacklevel=2)
        rows.append(
            {
                "term": "omega_total",
                "estimate": omega,
                "n": len(complete),
                "ci_method": "bootstrap" if n_boot else "none",
                "n_items": k,
                "method": "one-factor ML CFA (compRelSEM)",
            }
        )
    else:
        warnings.warn(
            "omega needs at least 3 items (a one-factor model with 2 items is not "
            "identified); only alpha is reported.",
            SmallSampleWarning,
            stacklevel=2,
        )

    if model is not None:
        from evalkit.methods.validation.sem.cfa import cfa

        try:
            res_b = cfa(complete, model)
        except EvalkitError as e:
            raise EstimationError(f"the bifactor model could not be fitted: {e}") from e
        general = _general_factor(res_b.parameters, items)
        rows.append(
            {
                "term": "omega_hierarchical",
                "estimate": omega_from_cfa(res_b, general, complete),
                "n": len(complete),
                "ci_method": "bootstrap" if n_boot and sl_factors else "none",
                "n_items": k,
                "method": f"bifactor ML CFA, general factor {general!r}",
            }
        )
    elif sl_factors is not None:
        if sl_factors >= k:
            raise ParameterError(f"sl_factors={sl_factors} must be smaller than the number of items ({k}).")
        with np.errstate(all="ignore"):  # singular R (collinear items): no bare numpy warnings
            sl = schmid_leiman(x.corr(min_periods=2).to_numpy(dtype=float), sl_factors)
        rows.append(
            {
                "term": "omega_hierarchical",
                "estimate": sl["omega_h"],
                "n": n,
                "ci_method": "bootstrap" if n_boot else "none",
                "n_items": k,
                "method": f"Schmid-Leiman, {sl_factors} group factors (psych::omega)",
            }
        )
        rows.append(
            {
                "term": "omega_total_sl",
                "estimate": sl["omega_total"],
                "n": n,
                "ci_method": "bootstrap" if n_boot else "none",
                "n_items": k,
                "method": f"Schmid-Leiman, {sl_factors} group factors (psych::omega omega.tot)",
            }
        )

    boot = None
    if n_boot:
        rng = np.random.default_rng(seed)
        xv = x.to_numpy(dtype=float)
        start = None
        # no bootstrap of an omega that could not be estimated (singular / collinear items:
        # the ConvergenceWarning above says so); alpha is still bootstrapped
        boot_omega = with_omega and bool(np.isfinite(omega))
        if boot_omega:  # warm start of every replicate at the full-sample uniquenesses
            try:
                with np.errstate(all="ignore"):
                    start = _omega_fast(xv[~np.isnan(xv).any(axis=1)])[1]
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                start = None
        reps = []
        failed = 0
        for _ in range(n_boot):
            xb = xv[rng.integers(0, n, n)]
            try:
                with np.errstate(all="ignore"):
                    reps.append(_coefficients(xb, with_omega=boot_omega, sl_factors=sl_factors, start=start))
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                failed += 1
        if failed:
            warnings.warn(
                f"{failed} of {n_boot} bootstrap replicates failed and were skipped.",
                ConvergenceWarning,
                stacklevel=2,
            )
        boot = pd.DataFrame(reps)
        a = (1.0 - confidence) / 2.0
        for r in rows:
            if r["term"] in boot and r["ci_method"] != "none" and np.isfinite(r["estimate"]):
                vals = boot[r["term"]].to_numpy()
                vals = vals[np.isfinite(vals)]
                bl, bh = np.quantile(vals, [a, 1.0 - a])
                r["boot_ci_lower"], r["boot_ci_upper"] = float(bl), float(bh)
                if r["ci_method"] == "bootstrap":
                    r["ci_lower"], r["ci_upper"] = float(bl), float(bh)
    return ReliabilityResult(
        rows=rows,
        items=tuple(items),
        n=n,
        n_boot=n_boot,
        confidence=confidence,
        cfa_result=cfa_res,
        boot=boot,
        reverse_suggested=tuple(reverse_suggested),
    )
