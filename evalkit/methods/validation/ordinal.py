"""Polychoric correlations for ordinal items, their asymptotic covariance, ordinal alpha.

The estimator is the two-step method that ``lavaan::lavCor(ordered=...)`` uses
(Olsson 1979): first the thresholds of every item from its marginal proportions,
``tau_ik = Phi^-1(P(y_i <= k))``; then, with the thresholds fixed, each correlation
maximises the bivariate-normal likelihood of the two-way table

.. math:: \\ell(\\rho) = \\sum_{k,l} n_{kl} \\log \\pi_{kl}(\\rho), \\qquad
   \\pi_{kl} = \\Phi_2(\\tau_{ik}, \\tau_{jl}; \\rho) - \\Phi_2(\\tau_{i,k-1}, \\tau_{jl}; \\rho)
   - \\Phi_2(\\tau_{ik}, \\tau_{j,l-1}; \\rho) + \\Phi_2(\\tau_{i,k-1}, \\tau_{j,l-1}; \\rho).

The asymptotic covariance matrix (``NACOV``, lavaan's ``lavInspect(fit, "gamma")``) of
``sqrt(N) (tau, rho)`` follows Muthén (1984) / Muthén & Satorra (1995) exactly as lavaan
implements it: with per-respondent scores ``s_i`` of the univariate (thresholds) and
bivariate (correlations) log-likelihoods, ``B = [[A11, 0], [A21, A22]]`` built from
cross-products of the scores (``A11`` block-diagonal per item, ``A22`` diagonal),
``NACOV = N B^-1 (sum_i s_i s_i') B^-T``. This is the weight basis of DWLS/WLSMV
(:mod:`evalkit.methods.validation.sem.dwls`).

The bivariate normal distribution function is evaluated vectorised with Owen's T
function (``scipy.special.owens_t``), all pairs at once, and the correlations are found by
Fisher scoring on all pairs simultaneously; there are no per-cell Python loops.

Ordinal alpha (Zumbo, Gadermann & Zeisser 2007) is Cronbach's alpha computed on the
polychoric correlation matrix, ``alpha = p/(p-1) (1 - p / sum(R))``; its standard error
here is the delta method on the NACOV of the correlations.

References
----------
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
coefficient. *Psychometrika*, 44, 443-460.
Muthén, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. *Psychometrika*, 49, 115-132.
Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients
alpha and theta for Likert rating scales. *Journal of Modern Applied Statistical
Methods*, 6, 21-29.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_confidence, check_dataframe, check_option
from evalkit.core.errors import DataQualityWarning, DataValidationError, EstimationError, ParameterError
from evalkit.core.i18n import Message, fmt_number
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table

__all__ = ["polychoric", "PolychoricResult", "bivariate_normal_cdf"]

_RHO_BOUND = 0.999  # lavaan's box constraint for the two-step correlation


# --------------------------------------------------------------------------------------
# bivariate normal
# --------------------------------------------------------------------------------------
def bivariate_normal_cdf(h, k, rho):
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``rho``.

    Vectorised over broadcastable arrays; ``h`` and ``k`` may be +/-inf. Uses Owen's T
    function: ``Phi2(h,k;r) = [Phi(h)+Phi(k)]/2 - T(h, a_h) - T(k, a_k) - beta`` with
    ``a_h = (k - r h) / (h sqrt(1-r^2))`` (Owen 1956), ``beta = 1/2`` when ``h k < 0``
    (or ``h k = 0`` and ``h + k < 0``), else 0.

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 6)
    0.333333
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (h, k, rho)))
    out = np.zeros(h.shape)
    hinf_pos = np.isposinf(h)
    kinf_pos = np.isposinf(k)
    anyneg = np.isneginf(h) | np.isneginf(k)
    both = hinf_pos & kinf_pos & ~anyneg
    out[both] = 1.0
    m = hinf_pos & ~kinf_pos & ~anyneg
    out[m] = special.ndtr(k[m])
    m = kinf_pos & ~hinf_pos & ~anyneg
    out[m] = special.ndtr(h[m])
    fin = np.isfinite(h) & np.isfinite(k)
    if fin.any():
        out[fin] = _bvn_finite(h[fin], k[fin], rho[fin])
    return out


def _bvn_finite(h, k, r):
    s = np.sqrt((1.0 - r) * (1.0 + r))
    tiny = 1e-200
    hh = np.where(h == 0.0, tiny, h)
    kk = np.where(k == 0.0, tiny, k)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ah = (k - r * h) / (hh * s)
        ak = (h - r * k) / (kk * s)
    # k - r h == 0 with h == 0 (both thresholds zero): the limit is a = 0 -> T = 0 is
    # wrong; use the exact value for the origin instead.
    origin = (h == 0.0) & (k == 0.0)
    ah = np.where(np.isnan(ah), 0.0, ah)
    ak = np.where(np.isnan(ak), 0.0, ak)
    beta = np.where((h * k < 0) | ((h * k == 0) & (h + k < 0)), 0.5, 0.0)
    val = 0.5 * (special.ndtr(h) + special.ndtr(k)) - special.owens_t(hh, ah) - special.owens_t(kk, ak) - beta
    val = np.where(origin, 0.25 + np.arcsin(r) / (2 * np.pi), val)
    return np.clip(val, 0.0, 1.0)


def _bvn_pdf(h, k, r):
    """Bivariate normal density; zero where h or k is infinite."""
    h = np.asarray(h, float)
    k = np.asarray(k, float)
    fin = np.isfinite(h) & np.isfinite(k)
    out = np.zeros(np.broadcast(h, k, r).shape)
    hf, kf, rf = (np.broadcast_to(x, out.shape)[fin] for x in (h, k, r))
    s2 = (1 - rf) * (1 + rf)
    out[fin] = np.exp(-(hf * hf - 2 * rf * hf * kf + kf * kf) / (2 * s2)) / (2 * np.pi * np.sqrt(s2))
    return out


def _dcdf_dh(h, k, r):
    """d Phi2(h, k; r) / d h = phi(h) Phi((k - r h)/sqrt(1-r^2)); 0 for infinite h."""
    h = np.asarray(h, float)
    k = np.asarray(k, float)
    out = np.zeros(np.broadcast(h, k, r).shape)
    hb, kb, rb = (np.broadcast_to(x, out.shape) for x in (h, k, r))
    fin = np.isfinite(hb)
    s = np.sqrt((1 - rb[fin]) * (1 + rb[fin]))
    with np.errstate(invalid="ignore"):
        z = (kb[fin] - rb[fin] * hb[fin]) / s
    z = np.where(np.isposinf(kb[fin]), np.inf, np.where(np.isneginf(kb[fin]), -np.inf, z))
    out[fin] = stats.norm.pdf(hb[fin]) * special.ndtr(z)
    return out


# --------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------
def ordinal_codes(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    min_categories: int = 2,
    warn_dropped: bool = True,
    pairwise: bool = False,
):
    """Integer codes 0..K-1 per item (levels = sorted observed values).

    Listwise (default): the complete rows. ``pairwise=True``: every row with at least one
    answer; a missing answer is coded -1 (lavaan's ``missing = "pairwise"``).
    """
    sub = data[list(items)]
    seen = sub.notna().to_numpy()
    complete = seen.any(axis=1) if pairwise else seen.all(axis=1)
    n_drop = int((~complete).sum())
    if n_drop and warn_dropped:
        warnings.warn(
            f"{n_drop} rows with missing item responses were dropped (listwise, as lavaan's default).",
            DataQualityWarning,
            stacklevel=3,
        )
    sub = sub.loc[complete]
    seen = seen[complete]
    if sub.shape[0] < 2:
        raise DataValidationError("fewer than 2 complete rows for the ordinal items.")
    codes = np.full(sub.shape, -1, dtype=np.int64)
    levels = []
    for j, col in enumerate(items):
        x = sub[col]
        ok = seen[:, j]
        if not (pd.api.types.is_numeric_dtype(x) or isinstance(x.dtype, pd.CategoricalDtype)):
            raise DataValidationError(
                f"item {col!r} must hold numeric (or ordered categorical) codes, not {x.dtype}."
            )
        if isinstance(x.dtype, pd.CategoricalDtype):
            if not x.cat.ordered:
                raise DataValidationError(f"item {col!r} is an unordered categorical.")
            c = x.cat.codes.to_numpy()[ok]
            used = np.unique(c)
            codes[ok, j] = np.searchsorted(used, c)
            levels.append([x.cat.categories[u] for u in used])
        else:
            v = x.to_numpy(dtype=float)[ok]
            if np.isinf(v).any():
                raise DataValidationError(
                    f"item {col!r} has infinite values; ordinal items need whole-number category codes."
                )
            if np.any(v != np.round(v)):
                raise DataValidationError(
                    f"item {col!r} has non-integer values; ordinal items need whole-number category codes."
                )
            used, inv = np.unique(v, return_inverse=True)
            codes[ok, j] = inv.ravel()
            levels.append(list(used))
        if len(levels[-1]) < min_categories:
            raise DataValidationError(
                f"item {col!r} has no variance (only {len(levels[-1])} category used); "
                "drop it before estimating polychoric correlations."
            )
    return codes, levels, complete


def _thresholds(codes: np.ndarray, ncat: Sequence[int]):
    """Thresholds per item from its answers (code -1 = missing, left out)."""
    out = []
    for j, K in enumerate(ncat):
        c = codes[:, j]
        c = c[c >= 0]
        cnt = np.bincount(c, minlength=K)
        out.append(special.ndtri(np.cumsum(cnt)[:-1] / len(c)))
    return out


def item_pairs(p: int):
    """lavaan's order of correlations: lower triangle by column (vech without diagonal)."""
    return [(i, j) for j in range(p) for i in range(j + 1, p)]


class _PairCells:
    """All cells of all two-way tables, flattened (for vectorised likelihoods)."""

    def __init__(self, codes, th, pairs, zero_add=(0.5, 0.0)):
        self.pairs = pairs
        self.n = codes.shape[0]
        ncat = [len(t) + 1 for t in th]
        tb = [np.concatenate(([-np.inf], t, [np.inf])) for t in th]
        pid, a_lo, a_hi, b_lo, b_hi, freq, ci, cj = ([] for _ in range(8))
        for q, (i, j) in enumerate(pairs):
            Ki, Kj = ncat[i], ncat[j]
            both = (codes[:, i] >= 0) & (codes[:, j] >= 0)  # pairwise complete
            f = np.bincount(codes[both, i] * Kj + codes[both, j], minlength=Ki * Kj).astype(float)
            f = f.reshape(Ki, Kj)
            if Ki == 2 and Kj == 2 and zero_add[0] > 0 and (f == 0).sum() == 1:
                # lavaan's zero.add / zero.keep.margins for a 2x2 table with one empty cell
                z = zero_add[0]
                idx = int(np.flatnonzero(f.ravel() == 0)[0])
                sgn = 1.0 if idx in (0, 3) else -1.0
                f = f + sgn * z * np.array([[1.0, -1.0], [-1.0, 1.0]])
            elif zero_add[1] > 0:
                f = np.where(f == 0, zero_add[1], f)
            kk, ll = np.meshgrid(np.arange(Ki), np.arange(Kj), indexing="ij")
            kk, ll = kk.ravel(), ll.ravel()
            pid.append(np.full(Ki * Kj, q))
            a_lo.append(tb[i][kk])
            a_hi.append(tb[i][kk + 1])
            b_lo.append(tb[j][ll])
            b_hi.append(tb[j][ll + 1])
            freq.append(f.ravel())
            ci.append(kk)
            cj.append(ll)
        cat = np.concatenate
        self.pid, self.freq = cat(pid), cat(freq)
        self.a_lo, self.a_hi, self.b_lo, self.b_hi = cat(a_lo), cat(a_hi), cat(b_lo), cat(b_hi)
        self.ci, self.cj = cat(ci), cat(cj)
        self.npair = len(pairs)

    def prob(self, rho):
        r = rho[self.pid]
        F = bivariate_normal_cdf
        p = (
            F(self.a_hi, self.b_hi, r)
            - F(self.a_lo, self.b_hi, r)
            - F(self.a_hi, self.b_lo, r)
            + F(self.a_lo, self.b_lo, r)
        )
        return np.maximum(p, 1e-300)

    def dprob_drho(self, rho):
        r = rho[self.pid]
        f = _bvn_pdf
        return (
            f(self.a_hi, self.b_hi, r)
            - f(self.a_lo, self.b_hi, r)
            - f(self.a_hi, self.b_lo, r)
            + f(self.a_lo, self.b_lo, r)
        )

    def loglik(self, rho):
        return np.bincount(self.pid, self.freq * np.log(self.prob(rho)), minlength=self.npair)


def _fit_rho(cells: _PairCells, start: np.ndarray, tol: float = 1e-12, maxit: int = 200):
    """Fisher scoring for all pairs at once, kept inside (-0.999, 0.999)."""
    rho = np.clip(start, -0.9, 0.9).astype(float)
    n_tot = np.bincount(cells.pid, cells.freq, minlength=cells.npair)
    ll = cells.loglik(rho)
    active = np.ones_like(rho, dtype=bool)
    for _ in range(maxit):
        P = cells.prob(rho)
        dP = cells.dprob_drho(rho)
        g = np.bincount(cells.pid, cells.freq * dP / P, minlength=cells.npair)
        info = n_tot * np.bincount(cells.pid, dP * dP / P, minlength=cells.npair)
        step = np.where(active, g / np.maximum(info, 1e-300), 0.0)
        new = np.clip(rho + step, -_RHO_BOUND, _RHO_BOUND)
        ll_new = cells.loglik(new)
        # step halving where the likelihood went down
        for _h in range(30):
            bad = ll_new < ll - 1e-10 * np.abs(ll)
            if not bad.any():
                break
            step = np.where(bad, step / 2, step)
            new = np.where(bad, np.clip(rho + step, -_RHO_BOUND, _RHO_BOUND), new)
            ll_new = np.where(bad, cells.loglik(new), ll_new)
        delta = np.abs(new - rho)
        rho, ll = new, ll_new
        active = delta > tol
        if not active.any():
            return rho, True
    return rho, False


# --------------------------------------------------------------------------------------
# scores and NACOV (Muthén 1984, as lavaan's muthen1984())
# --------------------------------------------------------------------------------------
def _uni_score_tables(th):
    """Per item: table S[c, m] = d log P(y=c) / d tau_m."""
    out = []
    for t in th:
        K = len(t) + 1
        tb = np.concatenate(([-np.inf], t, [np.inf]))
        P = special.ndtr(tb[1:]) - special.ndtr(tb[:-1])
        S = np.zeros((K, K - 1))
        dens = stats.norm.pdf(t)
        for c in range(K):
            if c < K - 1:
                S[c, c] = dens[c] / P[c]
            if c > 0:
                S[c, c - 1] = -dens[c - 1] / P[c]
        out.append(S)
    return out


def _nacov(codes, th, rho_vec, pairs, cells: _PairCells, chunk: int = 20000):
    """NACOV of (thresholds, correlations) exactly as lavaan's muthen1984()."""
    n, p = codes.shape
    ncat = [len(t) + 1 for t in th]
    nth = [K - 1 for K in ncat]
    th_start = np.concatenate(([0], np.cumsum(nth)))
    n_th = int(th_start[-1])
    npair = len(pairs)
    ntot = n_th + npair

    # cell-level bivariate scores (raw data frequencies, not zero-added ones)
    r = rho_vec[cells.pid]
    P = np.maximum(cells.prob(rho_vec), 1e-300)
    s_rho_cell = cells.dprob_drho(rho_vec) / P
    # d P / d tau_i(upper = a_hi) and d tau_i(lower = a_lo); same for j
    dA_hi = (_dcdf_dh(cells.a_hi, cells.b_hi, r) - _dcdf_dh(cells.a_hi, cells.b_lo, r)) / P
    dA_lo = -(_dcdf_dh(cells.a_lo, cells.b_hi, r) - _dcdf_dh(cells.a_lo, cells.b_lo, r)) / P
    dB_hi = (_dcdf_dh(cells.b_hi, cells.a_hi, r) - _dcdf_dh(cells.b_hi, cells.a_lo, r)) / P
    dB_lo = -(_dcdf_dh(cells.b_lo, cells.a_hi, r) - _dcdf_dh(cells.b_lo, cells.a_lo, r)) / P

    uni = _uni_score_tables(th)
    # A11: block-diagonal cross-products of univariate scores
    A11 = np.zeros((n_th, n_th))
    for j in range(p):
        cj_ = codes[:, j]
        cnt = np.bincount(cj_[cj_ >= 0], minlength=ncat[j]).astype(float)
        S = uni[j]
        sl = slice(th_start[j], th_start[j + 1])
        A11[sl, sl] = (S * cnt[:, None]).T @ S
    # A21 and A22 from cell counts (raw frequencies)
    A21 = np.zeros((npair, n_th))
    A22 = np.zeros(npair)
    off = 0
    cell_off = []
    for q, (i, j) in enumerate(pairs):
        Ki, Kj = ncat[i], ncat[j]
        ncell = Ki * Kj
        sl = slice(off, off + ncell)
        cell_off.append(off)
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        f = np.bincount(codes[both, i] * Kj + codes[both, j], minlength=ncell).astype(float)
        sr = s_rho_cell[sl]
        A22[q] = np.sum(f * sr * sr)
        ci, cj = cells.ci[sl], cells.cj[sl]
        w = f * sr
        # thresholds of item i: tau_i[c] is the upper bound of category c (if c < Ki-1)
        gi = np.zeros(Ki - 1)
        up = ci < Ki - 1
        np.add.at(gi, ci[up], (w * dA_hi[sl])[up])
        lo = ci > 0
        np.add.at(gi, ci[lo] - 1, (w * dA_lo[sl])[lo])
        gj = np.zeros(Kj - 1)
        up = cj < Kj - 1
        np.add.at(gj, cj[up], (w * dB_hi[sl])[up])
        lo = cj > 0
        np.add.at(gj, cj[lo] - 1, (w * dB_lo[sl])[lo])
        A21[q, th_start[i] : th_start[i + 1]] = gi
        A21[q, th_start[j] : th_start[j + 1]] = gj
        off += ncell
    if np.any(A22 <= 0):
        raise EstimationError(
            "a polychoric correlation has zero information; check for empty or degenerate two-way tables."
        )
    A11_inv = np.linalg.inv(A11)
    A22_inv = 1.0 / A22
    Binv = np.zeros((ntot, ntot))
    Binv[:n_th, :n_th] = A11_inv
    Binv[n_th:, n_th:] = np.diag(A22_inv)
    Binv[n_th:, :n_th] = -(A22_inv[:, None] * A21) @ A11_inv

    # INNER = sum_i s_i s_i' with per-respondent scores looked up from the tables,
    # accumulated in row chunks to bound memory.
    inner = np.zeros((ntot, ntot))
    for start in range(0, n, chunk):
        cb = codes[start : start + chunk]
        m = cb.shape[0]
        SC = np.empty((m, ntot))
        miss = cb < 0  # a missing answer contributes no score (lavaan's pairwise NACOV)
        for j in range(p):
            SC[:, th_start[j] : th_start[j + 1]] = np.where(
                miss[:, j, None], 0.0, uni[j][np.maximum(cb[:, j], 0)]
            )
        for q, (i, j) in enumerate(pairs):
            sc = s_rho_cell[cell_off[q] + np.maximum(cb[:, i], 0) * ncat[j] + np.maximum(cb[:, j], 0)]
            SC[:, n_th + q] = np.where(miss[:, i] | miss[:, j], 0.0, sc)
        inner += SC.T @ SC
    W = Binv @ inner @ Binv.T
    return n * W


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
class PolychoricResult(Result):
    """Thresholds, polychoric correlations and their asymptotic covariance.

    Attributes
    ----------
    correlation : pandas.DataFrame
        The polychoric correlation matrix (items x items).
    thresholds : pandas.DataFrame
        One row per threshold: ``item, threshold, estimate, std_error``. Standard errors
        (here and in ``tidy()``) are ``sqrt(diag(NACOV) / N)``. lavaan's ``lavCor`` divides
        by ``N - 1`` instead, with ``se = "standard"`` and ``se = "robust.sem"`` alike: its
        standard errors of thresholds and polychoric correlations are exactly
        ``sqrt(N / (N - 1))`` times these (checked in tests/test_sem_edge_cases.py).
    nacov : pandas.DataFrame
        Asymptotic covariance of ``sqrt(N) (thresholds, correlations)`` (lavaan's
        ``gamma``/NACOV), labelled ``"A1|t1"`` and ``"A2~~A1"`` in lavaan's order.
    n : int
        Number of complete respondents used (listwise).
    levels : dict
        The observed categories of every item, in order.
    converged : bool

    ``n`` (in ``tidy()``): respondents used (complete cases on the items).
    """

    title = Message("validation.title.polychoric")

    def __init__(
        self, *, items, correlation, th, nacov, labels, n, levels, converged, confidence, codes=None
    ):
        self.items = list(items)
        self.n = int(n)
        self.levels = dict(zip(self.items, levels))
        self.converged = bool(converged)
        self.confidence = confidence
        self.correlation = pd.DataFrame(correlation, index=self.items, columns=self.items)
        self._th = [np.asarray(t, float) for t in th]
        self.nacov = pd.DataFrame(nacov, index=labels, columns=labels) if nacov is not None else None
        se = np.sqrt(np.diag(nacov) / n) if nacov is not None else None
        rows = []
        k = 0
        for it, t in zip(self.items, self._th):
            for m, v in enumerate(t, start=1):
                rows.append(
                    {
                        "item": it,
                        "threshold": m,
                        "estimate": float(v),
                        "std_error": float(se[k]) if se is not None else np.nan,
                    }
                )
                k += 1
        self.thresholds = pd.DataFrame(rows, columns=["item", "threshold", "estimate", "std_error"])
        self._codes = codes

    # ------------------------------------------------------------------
    @property
    def item_thresholds(self) -> list[np.ndarray]:
        """The thresholds of each item (one array per item, in item order)."""
        return self._th

    @property
    def threshold_vector(self) -> np.ndarray:
        """All thresholds in lavaan's order (item by item)."""
        return np.concatenate(self._th)

    @property
    def correlation_vector(self) -> np.ndarray:
        """The correlations in lavaan's order (lower triangle, column by column)."""
        R = self.correlation.to_numpy()
        return np.array([R[i, j] for i, j in item_pairs(len(self.items))])

    def ordinal_alpha(self, items: Sequence[str] | None = None) -> dict:
        """Ordinal alpha (Zumbo, Gadermann & Zeisser 2007) of ``items`` (default: all).

        ``alpha = p/(p-1) * (1 - p / sum(R))`` on the polychoric matrix ``R``; the standard
        error is the delta method with the NACOV of the correlations,
        ``d alpha / d r_ij = 2 p^2 / ((p-1) sum(R)^2)`` for every pair in the scale.

        Returns
        -------
        dict with ``estimate, std_error, ci_lower, ci_upper, n_items``.
        """
        if isinstance(items, str):
            raise ParameterError("items must be a list of item names, not a single string.")
        items = self.items if items is None else list(items)
        unknown = [i for i in items if i not in self.items]
        if unknown:
            raise ParameterError(
                f"items {unknown} are not in this polychoric result; available: {self.items}."
            )
        p = len(items)
        if p < 2:
            raise ParameterError("ordinal alpha needs at least 2 items.")
        R = self.correlation.loc[items, items].to_numpy()
        S = R.sum()
        alpha = p / (p - 1) * (1 - p / S)
        se = np.nan
        if self.nacov is not None:
            idx = [self.items.index(i) for i in items]
            sel = []
            for q, (i, j) in enumerate(item_pairs(len(self.items))):
                if i in idx and j in idx:
                    sel.append(q)
            nth = len(self.threshold_vector)
            V = self.nacov.to_numpy()[nth:, nth:][np.ix_(sel, sel)] / self.n
            g = np.full(len(sel), 2 * p * p / ((p - 1) * S * S))
            se = float(np.sqrt(g @ V @ g))
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        return {
            "estimate": float(alpha),
            "std_error": se,
            "ci_lower": float(alpha - z * se),
            "ci_upper": float(alpha + z * se),
            "n_items": p,
        }

    # ------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """Rows ``A1|t1`` (thresholds), ``A1~~A2`` (correlations) and ``ordinal_alpha``.

        Standard errors are ``sqrt(diag(NACOV)/N)`` (lavaan's ``lavCor``: ``sqrt(N/(N-1))``
        times larger, see ``thresholds``); Wald CIs; p-values test 0 for the correlations
        (NaN for thresholds and alpha).
        """
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        rows = []
        for r in self.thresholds.itertuples(index=False):
            rows.append(
                {
                    "term": f"{r.item}|t{r.threshold}",
                    "estimate": r.estimate,
                    "std_error": r.std_error,
                    "ci_lower": r.estimate - z * r.std_error,
                    "ci_upper": r.estimate + z * r.std_error,
                    "n": self.n,
                    "kind": "threshold",
                    "item1": r.item,
                    "item2": "",
                }
            )
        nth = len(self.threshold_vector)
        diag = np.diag(self.nacov.to_numpy()) if self.nacov is not None else None
        R = self.correlation.to_numpy()
        for q, (i, j) in enumerate(item_pairs(len(self.items))):
            est = R[i, j]
            se = np.sqrt(diag[nth + q] / self.n) if diag is not None else np.nan
            rows.append(
                {
                    "term": f"{self.items[j]}~~{self.items[i]}",
                    "estimate": est,
                    "std_error": se,
                    "ci_lower": est - z * se,
                    "ci_upper": est + z * se,
                    "p_value": 2 * stats.norm.sf(abs(est / se)),
                    "n": self.n,
                    "kind": "correlation",
                    "item1": self.items[j],
                    "item2": self.items[i],
                }
            )
        a = self.ordinal_alpha()
        rows.append(
            {
                "term": "ordinal_alpha",
                "estimate": a["estimate"],
                "std_error": a["std_error"],
                "ci_lower": a["ci_lower"],
                "ci_upper": a["ci_upper"],
                "n": self.n,
                "kind": "alpha",
                "item1": "",
                "item2": "",
            }
        )
        return tidy_frame(rows, extra=("kind", "item1", "item2"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        a = self.ordinal_alpha()
        head = i18n.t(
            "validation.polychoric.summary_head",
            lang,
            n=self.n,
            n_items=len(self.items),
            estimate=fmt_number(a["estimate"], 3, lang),
        )
        mat = text_table(self.correlation, lang, digits=3)
        if not self.converged:
            head += i18n.t("validation.polychoric.not_converged", lang)
        return f"{head}\n\n{mat}"

    def plot(self, *, ax=None, lang: str | None = None):
        """Heat map of the polychoric correlation matrix."""
        lang = resolve_lang(lang)
        import seaborn as sns

        from evalkit.core import plotting

        ax = plotting.new_axes(ax, figsize=(1.0 + 0.55 * len(self.items),) * 2)
        sns.heatmap(
            self.correlation,
            vmin=-1,
            vmax=1,
            cmap="RdBu_r",
            annot=len(self.items) <= 12,
            fmt=".2f",
            square=True,
            ax=ax,
            cbar_kws={
                "shrink": 0.7,
                "label": i18n.t("figures.polychoric.colorbar", lang),
            },
        )
        ax.set_title(i18n.t("validation.polychoric.plot_title", lang))
        return plotting.localize_axes(ax, lang, texts=True)


def polychoric(
    data: pd.DataFrame, items: Sequence[str], *, nacov: bool = True, confidence: float = 0.95
) -> PolychoricResult:
    """Thresholds and polychoric correlations of ordinal items (two-step, as lavCor).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : sequence of str
        Ordinal item columns (integer codes or ordered categoricals). Categories are the
        observed values in sorted order (as ``ordered()`` in R). Rows with a missing item
        are dropped listwise (lavaan's default), with a ``DataQualityWarning``.
    nacov : bool, default True
        Also compute the asymptotic covariance matrix of thresholds and correlations
        (Muthén 1984; lavaan's ``gamma``), needed for standard errors, DWLS/WLSMV and the
        standard error of ordinal alpha.
    confidence : float, default 0.95
        Level of the Wald intervals in ``tidy()``.

    Returns
    -------
    PolychoricResult

    Notes
    -----
    Thresholds ``tau_ik = Phi^-1(cumulative proportion)``; each correlation maximises
    the bivariate normal likelihood of its two-way table with the thresholds fixed
    (Olsson 1979), bounded to [-0.999, 0.999] as lavaan does; a 2x2 table with one empty
    cell gets lavaan's ``zero.add = 0.5`` keeping the margins. Equal to
    ``lavaan::lavCor(data, ordered = items)`` to about 1e-8 (see the tests).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], 500)
    >>> df = pd.DataFrame(np.digitize(z, [-0.5, 0.7]), columns=["a", "b", "c"])
    >>> res = polychoric(df, ["a", "b", "c"])
    >>> res.correlation.shape
    (3, 3)
    """
    check_dataframe(data)
    if isinstance(items, str) or items is None:
        raise ParameterError("items must be a list of at least 2 column names.")
    items = list(items)
    if len(items) < 2:
        raise ParameterError("items must name at least 2 columns.")
    if len(set(items)) != len(items):
        raise ParameterError("items contains duplicate names.")
    check_columns(data, items=items)
    confidence = check_confidence(confidence)
    nacov = check_option("nacov", nacov, (True, False))
    codes, levels, _ = ordinal_codes(data, items)
    return polychoric_codes(codes, items, levels, nacov=nacov, confidence=confidence)


def polychoric_codes(codes, items, levels, *, nacov=True, confidence=0.95):
    """Polychoric statistics of integer codes (-1 = missing answer: thresholds per item from
    its answers, correlations from the pairwise-complete rows, NACOV as lavaan's
    ``muthen1984`` with ``missing = "pairwise"``; ``n`` counts every row)."""
    p = codes.shape[1]
    ncat = [len(lv) for lv in levels]
    th = _thresholds(codes, ncat)
    pairs = item_pairs(p)
    cells = _PairCells(codes, th, pairs)
    # start values: Pearson correlations of the codes (pairwise complete with missing answers)
    if (codes < 0).any():
        start = pd.DataFrame(np.where(codes < 0, np.nan, codes)).corr().to_numpy()
    else:
        start = np.corrcoef(codes, rowvar=False)
    start = np.nan_to_num(np.array([start[i, j] for i, j in pairs]))
    rho, conv = _fit_rho(cells, start)
    if not conv:
        warnings.warn("polychoric correlations did not all converge.", stacklevel=3)
    R = np.eye(p)
    for q, (i, j) in enumerate(pairs):
        R[i, j] = R[j, i] = rho[q]
    for q, (i, j) in enumerate(pairs):
        if abs(rho[q]) > 0.99:
            warnings.warn(
                f"polychoric correlation between {items[i]} and {items[j]} is (nearly) 1.",
                DataQualityWarning,
                stacklevel=3,
            )
    labels = [f"{it}|t{m}" for it, t in zip(items, th) for m in range(1, len(t) + 1)]
    labels += [f"{items[j]}~~{items[i]}" for i, j in pairs]
    G = None
    if nacov:
        # the scores use the raw frequencies (recounted inside), as lavaan does
        G = _nacov(codes, th, rho, pairs, cells)
    return PolychoricResult(
        items=items,
        correlation=R,
        th=th,
        nacov=G,
        labels=labels,
        n=codes.shape[0],
        levels=levels,
        converged=conv,
        confidence=confidence,
        codes=codes,
    )
