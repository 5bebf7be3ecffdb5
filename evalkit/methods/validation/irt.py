"""Samejima's graded response model by marginal maximum likelihood (Bock-Aitkin EM).

Model (unidimensional, logistic; mirt's slope-intercept parameterisation)::

    P(Y_j >= k | theta) = 1 / (1 + exp(-(a_j theta + d_jk))),   k = 1, ..., K_j - 1
    P(Y_j  = k | theta) = P(Y_j >= k | theta) - P(Y_j >= k+1 | theta)

with ``theta ~ N(0, 1)`` and decreasing intercepts ``d_j1 > d_j2 > ...``. The IRT
("difficulty") thresholds are ``b_jk = -d_jk / a_j`` (ltm's ``Dffclt``/``Extrmt``,
mirt's ``coef(..., IRTpars = TRUE)``), so that ``P(Y_j >= k) = 1/(1+exp(-a_j (theta -
b_jk)))``. With two categories this is the two-parameter logistic model (2PL).

Estimation (Bock & Aitkin 1981): the latent distribution is discretised on quadrature
points (``quadrature="fixed"``: ``quadpts`` equally spaced points on ``theta_range``
with normalised N(0,1) weights, as mirt; or ``"gauss-hermite"``, as ltm). The E-step
computes each response pattern's posterior over the points and the expected category
counts ``r_jkq``; the M-step takes a Fisher-scoring step per item on the expected
complete-data log-likelihood. After the EM phase the marginal log-likelihood is
maximised to full precision by Newton steps (exact gradient by Louis/Fisher's identity,
Hessian by central differences of that gradient), as ltm finishes EM with a
quasi-Newton phase. Standard errors are the square roots of the diagonal of the inverse
observed information (the negative Hessian of the marginal log-likelihood); SEs of
``b`` follow by the delta method.

Information: ``I_j(theta) = sum_k P'_jk(theta)^2 / P_jk(theta)`` (Samejima 1969), the test
information is the sum over items and ``SE(theta) = 1/sqrt(I(theta))``.

References
----------
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded
scores. *Psychometrika Monograph Supplement*, 17.
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item
parameters: application of an EM algorithm. *Psychometrika*, 46, 443-459.
Chalmers, R. P. (2012). mirt: A multidimensional item response theory package for the R
environment. *Journal of Statistical Software*, 48(6).
Rizopoulos, D. (2006). ltm: An R package for latent variable modelling and item response
theory analyses. *Journal of Statistical Software*, 17(5).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from evalkit.core import i18n
from evalkit.core.checks import (
    check_columns,
    check_confidence,
    check_dataframe,
    check_option,
    check_positive_int,
)
from evalkit.core.errors import ConvergenceWarning, DataValidationError, EstimationError, ParameterError
from evalkit.core.i18n import Message, fmt_number
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table

__all__ = ["graded_response", "GRMResult"]


# --------------------------------------------------------------------------------------
# model pieces
# --------------------------------------------------------------------------------------
def _quadrature(kind: str, n: int, theta_range):
    if kind == "fixed":
        x = np.linspace(theta_range[0], theta_range[1], n)
        w = stats.norm.pdf(x)
        return x, w / w.sum()
    x, w = np.polynomial.hermite_e.hermegauss(n)  # weight exp(-x^2/2)
    return x, w / w.sum()


def _cum_probs(a, d, theta):
    """P(Y >= k), k = 0..K (rows), at the points theta (columns)."""
    z = a * theta[None, :] + d[:, None]
    ps = special.expit(z)
    K1 = len(d)
    out = np.empty((K1 + 2, len(theta)))
    out[0] = 1.0
    out[1:-1] = ps
    out[-1] = 0.0
    return out


def _cat_probs(a, d, theta):
    cp = _cum_probs(a, d, theta)
    return np.maximum(cp[:-1] - cp[1:], 1e-300), cp


class _Data:
    """Response patterns (collapsed, with frequencies) as a one-hot design.

    ``onehot`` (patterns x sum_j K_j) has a 1 in the column of each item's observed
    category (a row of zeros for a missing answer), so that the pattern log-likelihoods
    are one matrix product ``onehot @ log P`` and the expected counts ``onehot' @ post``.
    """

    def __init__(self, codes: np.ndarray, ncat: list[int]):
        # missing responses are coded -1
        pats, inv, freq = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
        self.pats = pats
        self.freq = freq.astype(float)
        self.inv = inv.ravel()
        self.ncat = ncat
        self.J = len(ncat)
        self.offsets = np.concatenate(([0], np.cumsum(ncat)))
        oh = np.zeros((pats.shape[0], int(self.offsets[-1])))
        for j in range(self.J):
            ok = pats[:, j] >= 0
            oh[np.flatnonzero(ok), self.offsets[j] + pats[ok, j]] = 1.0
        self.onehot = oh


def _unpack(x, ncat):
    out = []
    k = 0
    for K in ncat:
        out.append((x[k], x[k + 1 : k + K]))
        k += K
    return out


def _pack(params):
    return np.concatenate([np.concatenate(([a], d)) for a, d in params])


def _estep(x, dat: _Data, theta, w):
    """Marginal loglik, posterior-weighted expected counts r_j[c, q]."""
    params = _unpack(x, dat.ncat)
    LP = np.vstack([np.log(_cat_probs(a, d, theta)[0]) for a, d in params])
    logL = dat.onehot @ LP
    logL += np.log(w)[None, :]
    mx = logL.max(axis=1, keepdims=True)
    L = np.exp(logL - mx)
    s = L.sum(axis=1, keepdims=True)
    ll = float(np.sum(dat.freq * (np.log(s[:, 0]) + mx[:, 0])))
    post = (L / s) * dat.freq[:, None]
    R = dat.onehot.T @ post
    r = [R[dat.offsets[j] : dat.offsets[j + 1]] for j in range(dat.J)]
    return ll, r, post


def _item_grad_info(a, d, theta, r):
    """Gradient of sum_{c,q} r_cq log P_cq and the expected (Fisher) information."""
    P, cp = _cat_probs(a, d, theta)
    K = P.shape[0]
    W = cp * (1 - cp)  # w_0 = w_K = 0 automatically
    # dP_c / d a = theta (w_c - w_{c+1}); dP_c / d d_k = w_k (delta_ck - delta_{c,k-1})
    dPa = theta[None, :] * (W[:-1] - W[1:])  # K x Q
    dPd = np.zeros((K - 1, K, len(theta)))
    for k in range(1, K):
        dPd[k - 1, k] = W[k]
        dPd[k - 1, k - 1] = -W[k]
    D = np.concatenate((dPa[None], dPd), axis=0)  # npar x K x Q
    g = np.einsum("pcq,cq->p", D, r / P)
    nq = r.sum(axis=0)
    info = np.einsum("pcq,scq,q->ps", D, D / P[None], nq)
    return g, info


def _gradient(x, dat, theta, w):
    ll, r, _ = _estep(x, dat, theta, w)
    g = []
    for (a, d), rj in zip(_unpack(x, dat.ncat), r):
        gj, _ = _item_grad_info(a, d, theta, rj)
        g.append(gj)
    return ll, np.concatenate(g)


def _valid(x, ncat):
    return all(np.all(np.diff(d) < 0) for _, d in _unpack(x, ncat))


def _start_values(codes, ncat):
    """Intercepts from the marginal proportions (logit scale), slopes from item-rest r."""
    J = codes.shape[1]
    total = np.where(codes >= 0, codes, 0).sum(axis=1).astype(float)
    params = []
    for j in range(J):
        y = codes[:, j]
        ok = y >= 0
        cnt = np.bincount(y[ok], minlength=ncat[j]).astype(float) + 0.5
        cum = 1 - np.cumsum(cnt)[:-1] / cnt.sum()  # P(Y >= k), k=1..K-1
        rest = total[ok] - y[ok]
        rr = np.corrcoef(y[ok], rest)[0, 1] if np.std(rest) > 0 else 0.3
        rr = float(np.clip(np.nan_to_num(rr, nan=0.3), 0.05, 0.9))
        a = 1.7 * rr / np.sqrt(1 - rr * rr)
        d = special.logit(cum) * np.sqrt(1 + (a / 1.7) ** 2)
        params.append((a, d))
    return _pack(params)


# --------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------
def _theta_grid(theta) -> np.ndarray:
    """Latent trait values as a finite 1-d float array (a number or a list of numbers)."""
    try:
        t = np.atleast_1d(np.asarray(theta, dtype=float))
    except (TypeError, ValueError):
        raise ParameterError(f"theta must be a number or a list of numbers, got {theta!r}.") from None
    if t.ndim != 1 or not np.isfinite(t).all():
        raise ParameterError(
            f"theta must be a finite number or a flat list of finite numbers, got {theta!r}."
        )
    return t


def _theta_range(theta_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in theta_range)
    except (TypeError, ValueError):
        raise ParameterError(f"theta_range must be (low, high), got {theta_range!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ParameterError(f"theta_range must be (low, high) with low < high, got {theta_range!r}.")
    return lo, hi


class GRMResult(Result):
    """Graded response model estimates.

    Attributes
    ----------
    parameters : pandas.DataFrame
        One row per item parameter: ``item, parameter (a, d1.., b1..), estimate,
        std_error``.
    loglik : float
        Marginal log-likelihood at the estimate.
    vcov : pandas.DataFrame
        Covariance matrix of (a, d) per item (inverse observed information).
    n : int
    converged : bool

    ``n`` (in ``tidy()``): respondents used to fit the model.
    """

    title = Message("validation.title.grm")

    def __init__(
        self, *, items, levels, x, cov, loglik, n, theta, w, converged, n_iter, confidence, dat, quadrature
    ):
        self.items = list(items)
        self.levels = dict(zip(self.items, levels))
        self.ncat = [len(lv) for lv in levels]
        self._x = x
        self._cov = cov
        self.loglik = float(loglik)
        self.n = int(n)
        self._theta, self._w = theta, w
        self.converged = converged
        self.n_iter = n_iter
        self.confidence = confidence
        self._dat = dat
        self.quadrature = quadrature
        names = []
        for it, K in zip(self.items, self.ncat):
            names += [f"{it}|a"] + [f"{it}|d{k}" for k in range(1, K)]
        self.vcov = pd.DataFrame(cov, index=names, columns=names)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        rows = []
        k = 0
        for it, (a, d) in zip(self.items, _unpack(x, self.ncat)):
            K1 = len(d)
            sa = se[k]
            rows.append({"item": it, "parameter": "a", "estimate": a, "std_error": sa})
            for m in range(K1):
                rows.append(
                    {"item": it, "parameter": f"d{m + 1}", "estimate": d[m], "std_error": se[k + 1 + m]}
                )
            block = cov[k : k + 1 + K1, k : k + 1 + K1]
            for m in range(K1):
                b = -d[m] / a
                g = np.zeros(1 + K1)
                g[0] = d[m] / a**2
                g[1 + m] = -1 / a
                rows.append(
                    {
                        "item": it,
                        "parameter": f"b{m + 1}",
                        "estimate": b,
                        "std_error": float(np.sqrt(max(g @ block @ g, 0.0))),
                    }
                )
            k += 1 + K1
        self.parameters = pd.DataFrame(rows, columns=["item", "parameter", "estimate", "std_error"])

    # -------------------------------------------------------------
    def coef(self, irt_pars: bool = False) -> pd.DataFrame:
        """Wide table per item: ``a, d1, d2, ...`` or with ``irt_pars=True`` ``a, b1, ...``."""
        p = self.parameters
        keep = p[p["parameter"].str.match("a|b" if irt_pars else "a|d")]
        wide = keep.pivot(index="item", columns="parameter", values="estimate")
        order = ["a"] + sorted([c for c in wide.columns if c != "a"], key=lambda s: int(s[1:]))
        return wide.loc[self.items, order]

    def tidy(self) -> pd.DataFrame:
        """One row per parameter (``term`` like ``A1|a``, ``A1|d1``, ``A1|b1``); Wald CIs."""
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        rows = []
        for r in self.parameters.itertuples(index=False):
            null = 0.0
            p = (
                2 * stats.norm.sf(abs((r.estimate - null) / r.std_error))
                if r.parameter == "a" and r.std_error > 0
                else np.nan
            )
            rows.append(
                {
                    "term": f"{r.item}|{r.parameter}",
                    "estimate": r.estimate,
                    "std_error": r.std_error,
                    "ci_lower": r.estimate - z * r.std_error,
                    "ci_upper": r.estimate + z * r.std_error,
                    "p_value": p,
                    "n": self.n,
                    "item": r.item,
                    "parameter": r.parameter,
                }
            )
        return tidy_frame(rows, extra=("item", "parameter"))

    def probabilities(self, theta) -> dict[str, np.ndarray]:
        """Category response curves: per item an array (categories x len(theta))."""
        theta = _theta_grid(theta)
        return {it: _cat_probs(a, d, theta)[0] for it, (a, d) in zip(self.items, _unpack(self._x, self.ncat))}

    def item_information(self, theta) -> pd.DataFrame:
        """Item information ``I_j(theta) = sum_k P'_jk^2 / P_jk`` (columns = items)."""
        theta = _theta_grid(theta)
        out = {}
        for it, (a, d) in zip(self.items, _unpack(self._x, self.ncat)):
            P, cp = _cat_probs(a, d, theta)
            W = cp * (1 - cp)
            dP = a * (W[:-1] - W[1:])
            out[it] = (dP * dP / P).sum(axis=0)
        return pd.DataFrame(out, index=pd.Index(theta, name="theta"))

    def test_information(self, theta) -> pd.Series:
        """Test information (sum of the item information) at ``theta``."""
        return self.item_information(theta).sum(axis=1).rename("information")

    def scores(self) -> pd.DataFrame:
        """EAP person estimates with posterior SD, one row per respondent (input order)."""
        _, _, post = _estep(self._x, self._dat, self._theta, self._w)
        post = post / post.sum(axis=1, keepdims=True)
        eap = post @ self._theta
        sd = np.sqrt(post @ self._theta**2 - eap**2)
        return pd.DataFrame({"theta_eap": eap[self._dat.inv], "theta_sd": sd[self._dat.inv]})

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        head = i18n.t(
            "validation.irt.summary_head",
            lang,
            n=self.n,
            n_items=len(self.items),
            loglik=fmt_number(self.loglik, 3, lang),
        )
        if not self.converged:
            head += i18n.t("validation.irt.not_converged", lang)
        tab = text_table(self.coef(irt_pars=True), lang, digits=3)
        return f"{head}\n\n{tab}"

    def plot(self, *, kind: str = "information", ax=None, lang: str | None = None, theta_range=(-4, 4)):
        """Item and test information curves (``kind="information"``) or, for
        ``kind="curves"``, the category response curves of every item."""
        lang = resolve_lang(lang)
        check_option("kind", kind, ("information", "curves"))
        from evalkit.core import plotting

        lo, hi = _theta_range(theta_range)
        theta = np.linspace(lo, hi, 201)
        ax = plotting.new_axes(ax)
        xlab = i18n.t("validation.irt.latent_trait", lang)
        if kind == "information":
            info = self.item_information(theta)
            for i, it in enumerate(self.items):
                # item curves never black (black is the test information); five clearly
                # different hues, then the same hues dashed, dotted, ... (sky blue next to
                # blue would look alike)
                color, style = _item_style(i)
                ax.plot(theta, info[it], lw=1.2, color=color, linestyle=style, label=it)
            ax2 = ax.twinx()
            ax2.plot(
                theta, info.sum(axis=1), color="black", lw=2.2, label=i18n.t("validation.irt.test", lang)
            )
            ax2.set_ylabel(i18n.t("validation.irt.test_information", lang))
            ax2.grid(False)
            ax.set_ylabel(i18n.t("validation.irt.item_information", lang))
            ax.set_title(i18n.t("validation.irt.item_and_test_information", lang))
            ax.set_xlabel(xlab)
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            plotting.legend_outside(
                ax, loc="below", handles=h1 + h2, labels=l1 + l2, fontsize=8, ncol=min(len(l1) + 1, 6)
            )
        else:
            probs = self.probabilities(theta)
            for i, it in enumerate(self.items):
                color, style = _item_style(i)
                for c, pc in enumerate(probs[it]):
                    ax.plot(
                        theta,
                        pc,
                        color=color,
                        linestyle=style,
                        lw=1,
                        alpha=0.9,
                        label=it if c == 0 else None,
                    )
            ax.set_ylabel(i18n.t("validation.irt.category_probability", lang))
            ax.set_xlabel(xlab)
            plotting.legend_outside(ax, fontsize=8)
            ax.set_title(i18n.t("validation.irt.category_response_curves", lang))
        return plotting.localize_axes(ax, lang)


def _item_style(i: int) -> tuple[str, str]:
    """Colour and line style of the i-th item's curves: five distinct hues of the palette
    (not black, not sky blue beside blue), repeated with another line style."""
    from evalkit.core import plotting

    hues = [c for c in plotting.PALETTE if c.upper() not in ("#000000", "#56B4E9", "#F0E442")]
    styles = ["-", "--", ":", "-."]
    return hues[i % len(hues)], styles[(i // len(hues)) % len(styles)]


# --------------------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------------------
def graded_response(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    quadrature: str = "fixed",
    quadpts: int | None = None,
    theta_range=(-6.0, 6.0),
    tol: float = 1e-8,
    max_iter: int = 500,
    se: bool = True,
    confidence: float = 0.95,
) -> GRMResult:
    """Fit Samejima's graded response model by marginal maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; missing item responses are allowed (they contribute no
        likelihood term, as in mirt/ltm); rows with all items missing are dropped.
    items : sequence of str
        Ordinal item columns (whole-number codes or ordered categoricals; categories are
        the observed values in sorted order). Two categories give the 2PL model.
    quadrature : {"fixed", "gauss-hermite"}
        ``"fixed"``: equally spaced points on ``theta_range`` (mirt's default grid,
        61 points on [-6, 6]); ``"gauss-hermite"``: Gauss-Hermite points for N(0,1)
        (ltm's default, 21 points).
    quadpts : int, optional
        Number of quadrature points (default 61 fixed / 21 Gauss-Hermite).
    theta_range : (float, float)
        Range of the fixed grid.
    tol : float
        Convergence: the largest absolute score (gradient) of the marginal log-likelihood
        per respondent below ``tol``.
    max_iter : int
        Maximum number of EM cycles.
    se : bool
        Compute standard errors from the observed information.
    confidence : float
        Level of the Wald intervals in ``tidy()``.

    Returns
    -------
    GRMResult
        ``.parameters`` / ``.tidy()`` with ``a``, ``d1..`` (mirt's slope-intercept form)
        and ``b1..`` (``b = -d/a``), ``.item_information(theta)``,
        ``.test_information(theta)``, ``.scores()`` (EAP), ``.plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> th = rng.normal(size=400)
    >>> z = 1.4 * th[:, None] + rng.logistic(size=(400, 4))
    >>> df = pd.DataFrame(np.digitize(z, [-1.0, 0.5, 2.0]), columns=list("abcd"))
    >>> fit = graded_response(df, list("abcd"))
    >>> sorted(fit.coef().columns)
    ['a', 'd1', 'd2', 'd3']
    """
    check_dataframe(data)
    if isinstance(items, str) or items is None or len(list(items)) < 2:
        raise ParameterError("items must be a list of at least 2 column names.")
    items = list(items)
    if len(set(items)) != len(items):
        raise ParameterError("items contains duplicate names.")
    check_columns(data, items=items)
    check_option("quadrature", quadrature, ("fixed", "gauss-hermite"))
    confidence = check_confidence(confidence)
    max_iter = check_positive_int(max_iter, "max_iter")
    se = check_option("se", se, (True, False))
    if quadpts is None:
        quadpts = 61 if quadrature == "fixed" else 21
    quadpts = check_positive_int(quadpts, "quadpts", minimum=5)
    theta_range = _theta_range(theta_range)
    if not tol > 0:
        raise ParameterError("tol must be positive.")

    codes, levels = _codes(data, items)
    with _blas_single_thread():
        return _graded_response_fit(
            codes, levels, items, quadrature, quadpts, theta_range, tol, max_iter, se, confidence
        )


def _graded_response_fit(
    codes, levels, items, quadrature, quadpts, theta_range, tol, max_iter, se, confidence
):
    ncat = [len(lv) for lv in levels]
    dat = _Data(codes, ncat)
    n = codes.shape[0]
    theta, w = _quadrature(quadrature, quadpts, theta_range)
    x = _start_values(codes, ncat)

    # --- EM (Bock-Aitkin) with one Fisher-scoring step per item as M-step -----------
    ll_old = -np.inf
    n_iter = 0
    for _ in range(max_iter):
        n_iter += 1
        ll, r, _ = _estep(x, dat, theta, w)
        new = []
        maxstep = 0.0
        for (a, d), rj in zip(_unpack(x, ncat), r):
            g, info = _item_grad_info(a, d, theta, rj)
            try:
                step = np.linalg.solve(info, g)
            except np.linalg.LinAlgError:
                step = g * 1e-3
            cur = np.concatenate(([a], d))
            for _h in range(30):
                cand = cur + step
                if np.all(np.diff(cand[1:]) < 0) and abs(cand[0]) < 50:
                    break
                step = step / 2
            maxstep = max(maxstep, float(np.max(np.abs(step))))
            new.append((cand[0], cand[1:]))
        x = _pack(new)
        if maxstep < 1e-4 or abs(ll - ll_old) < 1e-7:
            break
        ll_old = ll
    # --- Newton on the marginal log-likelihood (exact gradient, numerical Hessian) ----
    # The Hessian is computed once near the optimum and reused (chord Newton), then
    # recomputed at the solution for the standard errors.
    converged = False
    H = _num_hessian(x, dat, theta, w)
    h_fresh = True  # H was computed at the current x
    ll, g = _gradient(x, dat, theta, w)
    for _ in range(100):
        if np.max(np.abs(g)) / n < tol:
            converged = True
            break
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        for _h in range(30):
            cand = x + t * step
            if _valid(cand, ncat):
                ll_c, g_c = _gradient(cand, dat, theta, w)
                if ll_c >= ll - 1e-9 * abs(ll):
                    break
            t /= 2
        else:
            if h_fresh:
                break  # no ascent even with the exact Hessian here
            H = _num_hessian(x, dat, theta, w)  # refresh and retry
            h_fresh = True
            continue
        x, ll, g = cand, ll_c, g_c
        h_fresh = False
    if not h_fresh:
        H = None
    if not converged:
        warnings.warn(
            "graded response model did not converge (largest score "
            f"{np.max(np.abs(g)) / n:.2e} per respondent); interpret with care.",
            ConvergenceWarning,
            stacklevel=3,
        )
    ll, _ = _gradient(x, dat, theta, w)
    if se:
        if H is None:
            H = _num_hessian(x, dat, theta, w)
        try:
            cov = np.linalg.inv(-H)
        except np.linalg.LinAlgError:
            raise EstimationError(
                "the information matrix of the graded response model is "
                "singular (an item with too few responses per category?)."
            ) from None
        cov = (cov + cov.T) / 2
        if np.any(np.diag(cov) <= 0):
            warnings.warn(
                "information matrix not positive definite; some standard errors are unavailable.",
                ConvergenceWarning,
                stacklevel=3,
            )
    else:
        cov = np.full((len(x), len(x)), np.nan)
    return GRMResult(
        items=items,
        levels=levels,
        x=x,
        cov=cov,
        loglik=ll,
        n=n,
        theta=theta,
        w=w,
        converged=converged,
        n_iter=n_iter,
        confidence=confidence,
        dat=dat,
        quadrature=(quadrature, quadpts),
    )


def _blas_single_thread():
    """Limit BLAS to one thread: these estimators do many small matrix products, where
    thread start-up dominates (on a busy 2-core machine multi-threaded OpenBLAS made
    them up to 20x slower). ``threadpoolctl`` is a dependency of evalkit."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _num_hessian(x, dat, theta, w, h=1e-5):
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h * max(1.0, abs(x[i]))
        _, gp = _gradient(x + e, dat, theta, w)
        _, gm = _gradient(x - e, dat, theta, w)
        H[:, i] = (gp - gm) / (2 * e[i])
    return (H + H.T) / 2


def _codes(data, items):
    sub = data[items]
    allmiss = sub.isna().all(axis=1).to_numpy()
    sub = sub.loc[~allmiss]
    if sub.shape[0] < 10:
        raise DataValidationError("fewer than 10 respondents with item responses.")
    codes = np.full(sub.shape, -1, dtype=np.int64)
    levels = []
    for j, col in enumerate(items):
        x = sub[col]
        if isinstance(x.dtype, pd.CategoricalDtype):
            if not x.cat.ordered:
                raise DataValidationError(f"item {col!r} is an unordered categorical.")
            c = x.cat.codes.to_numpy()
            ok = c >= 0
            used = np.unique(c[ok])
            codes[ok, j] = np.searchsorted(used, c[ok])
            levels.append([x.cat.categories[u] for u in used])
        else:
            if not pd.api.types.is_numeric_dtype(x):
                raise DataValidationError(f"item {col!r} must hold numeric codes, not {x.dtype}.")
            v = x.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(v)
            if np.isinf(v[ok]).any():
                raise DataValidationError(f"item {col!r} has infinite values.")
            if np.any(v[ok] != np.round(v[ok])):
                raise DataValidationError(f"item {col!r} has non-integer values.")
            used, inv = np.unique(v[ok], return_inverse=True)
            codes[ok, j] = inv
            levels.append(list(used))
        if len(levels[-1]) < 2:
            raise DataValidationError(f"item {col!r} has no variance (one category used).")
    return codes, levels
