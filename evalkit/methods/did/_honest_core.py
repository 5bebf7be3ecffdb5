"""Numerical core of :func:`evalkit.did.honest` (Rambachan & Roth 2023).

Two confidence sets for :math:`\\theta = l'\\tau_{post}` from event-study coefficients
:math:`\\hat\\beta = (\\hat\\beta_{pre}, \\hat\\beta_{post})` with covariance :math:`\\Sigma`
(the reference period, event time -1, is left out and normalised to 0):

- smoothness, :math:`\\Delta^{SD}(M)`: the optimal fixed-length confidence interval (FLCI)
  of Armstrong & Kolesar as used by R ``HonestDiD::findOptimalFLCI``;
- relative magnitudes, :math:`\\Delta^{RM}(\\bar M)`: the conditional test with the
  least-favourable hybrid of Andrews, Roth & Pakes (ARP) over a grid of :math:`\\theta`
  (R ``HonestDiD``'s default ``"C-LF"``), a union over the polyhedra that make up
  :math:`\\Delta^{RM}`.

The ARP linear programme :math:`\\eta = \\min_\\nu \\max_j (y_j - X_j\\nu)/\\sigma_j` is solved
through its dual: :math:`\\eta = \\max_{\\lambda \\in P} \\lambda'y` over the vertices of
:math:`P = \\{\\lambda \\ge 0, \\sigma'\\lambda = 1, X'\\lambda = 0\\}`, which depend on
:math:`\\Sigma` and the restriction but not on :math:`\\theta` or the data. The vertices are
enumerated once per restriction, after which every grid point and every simulation
draw of the least-favourable critical value is a matrix product. The conditioning
interval :math:`[V^{lo}, V^{up}]` of the test is the exact range over which the optimal
dual vertex stays optimal (R computes the same interval by bisection or by the primal
formula). See ``docs/did.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np
from scipy import optimize, special, stats

__all__ = ["flci", "rm_interval", "rm_grid", "original_ci", "folded_normal_quantile", "normal_draws"]

_TOL_LAMBDA = 1e-6  # dual weights below this count as zero (as R HonestDiD)
_MAX_SUBSETS = 400_000  # vertex enumeration limit (C(2 T_post, T_post) subsets)


# ---------------------------------------------------------------------------------------
# parallel trends
# ---------------------------------------------------------------------------------------
def original_ci(
    betahat: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, alpha: float
) -> tuple[float, float, float, float]:
    """Estimate, SE and the normal interval of l'beta_post (parallel trends exactly)."""
    post = slice(n_pre, None)
    est = float(l_vec @ betahat[post])
    se = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    z = stats.norm.ppf(1 - alpha / 2)
    return est, se, est - z * se, est + z * se


# ---------------------------------------------------------------------------------------
# smoothness: fixed-length confidence interval
# ---------------------------------------------------------------------------------------
def folded_normal_quantile(p: float, mu: float) -> float:
    """The p-quantile of |N(mu, 1)| (exact, by root finding on the CDF)."""
    mu = abs(float(mu))
    if mu == 0:
        return float(stats.norm.ppf((1 + p) / 2))

    def cdf(x: float) -> float:
        return float(stats.norm.cdf(x - mu) - stats.norm.cdf(-x - mu)) - p

    hi = mu + 10.0
    return float(optimize.brentq(cdf, 0.0, hi, xtol=1e-14, rtol=1e-14))


def _second_difference_dual(n_pre: int, n_post: int) -> np.ndarray:
    """Matrix G with bias(v) = M * ||G v||_1 over Delta^SD(M) for trend-free v.

    delta has n_pre + n_post free entries (delta_0 = 0). For v orthogonal to linear
    trends, v = D2' mu has a unique solution mu (D2 = second differences over all
    n_pre + n_post + 1 periods, column of delta_0 dropped), and
    max_{|D2 delta| <= M} v'delta = M ||mu||_1 (LP duality).
    """
    T = n_pre + n_post + 1
    D2 = np.zeros((T - 2, T))
    for r in range(T - 2):
        D2[r, r : r + 3] = (1.0, -2.0, 1.0)
    D2 = np.delete(D2, n_pre, axis=1)
    return np.linalg.pinv(D2.T)


def flci(
    betahat: np.ndarray,
    sigma: np.ndarray,
    n_pre: int,
    n_post: int,
    l_vec: np.ndarray,
    m: float,
    alpha: float,
    *,
    h_grid: int | None = None,
    quantile: Callable[[float, float], float] = folded_normal_quantile,
) -> tuple[float, float, np.ndarray]:
    """Optimal FLCI for l'tau_post under Delta^SD(m). Returns (lower, upper, weights v).

    The affine estimator v'betahat with v = (w_pre, l) must be unbiased for linear
    trends (sum_t t v_t = 0, else its worst-case bias is infinite). For each standard
    deviation h the smallest worst-case bias b(h) is a convex programme; the interval
    half-length h * cv_{1-alpha}(m b(h) / h) is minimised over all such estimators
    (one smooth programme, see below). ``h_grid=k`` instead evaluates k equally spaced
    h between the minimum-variance and the minimum-bias estimator and keeps the best,
    as R ``HonestDiD`` does (100 points); with ``quantile`` replaced by R's simulated
    folded-normal quantile this replays R's computation (used by the tests).
    """
    G = _second_difference_dual(n_pre, n_post)
    t = np.r_[np.arange(-n_pre, 0), np.arange(1, n_post + 1)].astype(float)
    t_pre, t_post = t[:n_pre], t[n_pre:]
    r = -float(t_post @ l_vec)  # constraint t_pre' w = r
    S_pp = sigma[:n_pre, :n_pre]
    s_pq = sigma[:n_pre, n_pre:] @ l_vec
    s_qq = float(l_vec @ sigma[n_pre:, n_pre:] @ l_vec)
    G_pre, g_post = G[:, :n_pre], G[:, n_pre:] @ l_vec

    def var(w: np.ndarray) -> float:
        return float(w @ S_pp @ w + 2 * w @ s_pq + s_qq)

    # minimum variance subject to t_pre'w = r (KKT system)
    K = np.block([[2 * S_pp, t_pre[:, None]], [t_pre[None, :], np.zeros((1, 1))]])
    sol = np.linalg.solve(K, np.r_[-2 * s_pq, r])
    w_minvar = sol[:n_pre]
    h_min = np.sqrt(var(w_minvar))
    # minimum bias: all weight on the last pre-period (the estimator that extrapolates
    # the last pre-treatment slope), as R HonestDiD
    w_minbias = np.zeros(n_pre)
    w_minbias[-1] = r / t_pre[-1]
    h_max = np.sqrt(var(w_minbias))

    def bias(w: np.ndarray) -> float:
        return float(np.abs(G_pre @ w + g_post).sum())

    if h_grid is not None and m > 0 and h_max > h_min * (1 + 1e-12):
        best_r: tuple[float, np.ndarray] | None = None
        w = w_minbias
        for h in np.linspace(h_max, h_min, h_grid):  # warm start from the previous h
            w = _min_bias_given_sd(h, w, G_pre, g_post, t_pre, r, var, S_pp, s_pq)
            half = h * quantile(1 - alpha, m * bias(w) / h)
            if best_r is None or half < best_r[0]:
                best_r = (half, w)
        assert best_r is not None
        half, w = best_r
        v = np.r_[w, l_vec]
        est = float(v @ betahat)
        return est - half, est + half, v

    if m == 0 or h_max <= h_min * (1 + 1e-12):
        w = w_minvar if m == 0 else w_minbias
        h = np.sqrt(var(w))
        half = h * quantile(1 - alpha, m * bias(w) / h)
        v = np.r_[w, l_vec]
        est = float(v @ betahat)
        return est - half, est + half, v

    q = G.shape[0]
    # One smooth problem over x = (w, p, n) with G_pre w + g_post = p - n, p, n >= 0 and
    # t_pre'w = r: minimise sd(w) * cv(m * sum(p + n) / sd(w)). At the optimum
    # p + n = |G_pre w + g_post| (the objective increases in the bias), so this is the
    # half-length of the best affine estimator; the gradient uses d cv / d mu from the
    # implicit function theorem on the folded-normal CDF.
    A_eq = np.vstack([np.hstack([G_pre, -np.eye(q), np.eye(q)]), np.r_[t_pre, np.zeros(2 * q)][None, :]])
    b_eq = np.r_[-g_post, r]
    z1 = 1 - alpha

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        w, B = x[:n_pre], float(x[n_pre:].sum())
        s = np.sqrt(var(w))
        mu = m * B / s
        c = folded_normal_quantile(z1, mu)
        f1, f2 = stats.norm.pdf(c - mu), stats.norm.pdf(c + mu)
        dc = (f1 - f2) / (f1 + f2)
        ds_dw = (S_pp @ w + s_pq) / s
        grad = np.r_[ds_dw * (c - mu * dc), np.full(2 * q, m * dc)]
        return s * c, grad

    best = None
    for w0 in (w_minvar, w_minbias):
        u = G_pre @ w0 + g_post
        x0 = np.r_[w0, np.maximum(u, 0), np.maximum(-u, 0)]
        res = optimize.minimize(
            fun,
            x0,
            jac=True,
            method="SLSQP",
            constraints=[optimize.LinearConstraint(A_eq, b_eq, b_eq)],
            bounds=[(None, None)] * n_pre + [(0, None)] * (2 * q),
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        w = res.x[:n_pre]
        s = np.sqrt(var(w))
        half = s * folded_normal_quantile(z1, m * bias(w) / s)
        if best is None or half < best[0]:
            best = (half, w)
    assert best is not None  # two starting points were tried
    half, w = best
    v = np.r_[w, l_vec]
    est = float(v @ betahat)
    return est - half, est + half, v


def _min_bias_given_sd(
    h: float,
    w0: np.ndarray,
    G_pre: np.ndarray,
    g_post: np.ndarray,
    t_pre: np.ndarray,
    r: float,
    var: Callable[[np.ndarray], float],
    S_pp: np.ndarray,
    s_pq: np.ndarray,
) -> np.ndarray:
    """Weights with the smallest worst-case bias among trend-unbiased estimators with
    standard deviation <= h (SLSQP on the split |.|; used for R's h grid)."""
    n_pre, q = w0.size, G_pre.shape[0]
    A_eq = np.vstack([np.hstack([G_pre, -np.eye(q), np.eye(q)]), np.r_[t_pre, np.zeros(2 * q)][None, :]])
    b_eq = np.r_[-g_post, r]
    u = G_pre @ w0 + g_post
    x0 = np.r_[w0, np.maximum(u, 0), np.maximum(-u, 0)]
    c = np.r_[np.zeros(n_pre), np.ones(2 * q)]
    cons = [
        optimize.LinearConstraint(A_eq, b_eq, b_eq),
        {
            "type": "ineq",
            "fun": lambda x: np.array([h * h - var(x[:n_pre])]),
            "jac": lambda x: np.r_[-(2 * S_pp @ x[:n_pre] + 2 * s_pq), np.zeros(2 * q)][None, :],
        },
    ]
    res = optimize.minimize(
        lambda x: float(c @ x),
        x0,
        jac=lambda x: c,
        method="SLSQP",
        constraints=cons,
        bounds=[(None, None)] * n_pre + [(0, None)] * (2 * q),
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    return np.asarray(res.x[:n_pre])


# ---------------------------------------------------------------------------------------
# relative magnitudes: ARP conditional test with the least-favourable hybrid
# ---------------------------------------------------------------------------------------
def _rm_matrix(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """A with Delta^RM_{s,sign}(mbar) = {delta: A delta <= 0} (delta_0 dropped).

    Every first difference of delta (over -n_pre..n_post) is bounded in absolute value
    by the pre-treatment first difference ending at s (s = -n_pre + 1 .. 0), times 1
    for pre-treatment differences and times mbar for post-treatment ones; sign says
    whether that difference is positive or negative.
    """
    T = n_pre + n_post
    diff = np.zeros((T, T + 1))
    for r in range(T):
        diff[r, r : r + 2] = (-1.0, 1.0)
    vmax = np.zeros(T + 1)
    vmax[n_pre + s - 1 : n_pre + s + 1] = (-1.0, 1.0)
    if not positive:
        vmax = -vmax
    ub = np.vstack([np.tile(vmax, (n_pre, 1)), np.tile(mbar * vmax, (n_post, 1))])
    A = np.vstack([diff - ub, -diff - ub])
    A = A[(A * A).sum(axis=1) > 1e-10]
    return np.delete(A, n_pre, axis=1)


def _completion(l_vec: np.ndarray) -> np.ndarray:
    """An invertible matrix with first row l' (l' plus unit vectors except a pivot)."""
    n = l_vec.size
    piv = int(np.flatnonzero(np.abs(l_vec) > 0)[0])
    rows = [l_vec] + [np.eye(n)[j] for j in range(n) if j != piv]
    return np.vstack(rows)


_RAYS: dict[tuple, np.ndarray] = {}


def _cone_rays(X: np.ndarray) -> np.ndarray:
    """Extreme rays of {lambda >= 0, X'lambda = 0} (rows, each summing to 1).

    A ray has k+1 non-zeros (k = columns of X): the null vector of X_S' for a subset S of
    k+1 rows, kept when all its entries have one sign. The rays do not depend on the
    scale sigma, so they are enumerated once and cached (X is the same for every
    polyhedron and every mbar of one honest() call).
    """
    key = (X.shape, X.tobytes())
    if key in _RAYS:
        return _RAYS[key]
    m, k = X.shape
    if k == 0:
        rays = np.eye(m)
    else:
        subsets = np.array(list(combinations(range(m), k + 1)))
        if len(subsets) > _MAX_SUBSETS:
            raise ValueError(
                "too many post-treatment periods for the relative-magnitudes "
                f"test ({k + 1}); use fewer event times (max_e)."
            )
        XS = np.transpose(X[subsets], (0, 2, 1))  # (n_sub, k, k+1)
        _, sv, vt = np.linalg.svd(XS)  # null vector: last row of vt
        ok = sv[:, -1] > 1e-10 * np.maximum(sv[:, 0], 1e-300)  # rank k
        null = vt[ok, -1, :]
        subsets = subsets[ok]
        scale = np.abs(null).max(axis=1, keepdims=True)
        null = null / scale
        pos = (null >= -1e-10).all(axis=1)
        neg = (null <= 1e-10).all(axis=1)
        null = np.where(neg[:, None] & ~pos[:, None], -null, null)
        keep = pos | neg
        rays = np.zeros((int(keep.sum()), m))
        rows = np.repeat(np.arange(rays.shape[0]), k + 1)
        rays[rows, subsets[keep].ravel()] = np.maximum(null[keep], 0.0).ravel()
        rays = rays[rays.sum(axis=1) > 0]
        rays = rays / rays.sum(axis=1, keepdims=True)
        if rays.shape[0] > 1:  # a degenerate ray appears once per basis: keep one
            _, first = np.unique(np.round(rays, 10), axis=0, return_index=True)
            rays = rays[np.sort(first)]
    if len(_RAYS) > 64:
        _RAYS.clear()
    _RAYS[key] = rays
    return rays


def _dual_vertices(sd: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Vertices of {lambda >= 0, sd'lambda = 1, X'lambda = 0} (rows): the extreme rays
    of the cone scaled to sd'lambda = 1."""
    rays = _cone_rays(X)
    return rays / (rays @ sd)[:, None]


def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(S)
    return (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T


LFDraws = Callable[[np.ndarray, np.ndarray], np.ndarray]


def normal_draws(seed: int, sims: int) -> LFDraws:
    """``draw(S, B)`` = draws xi ~ N(0, S) (rows of a standard normal stream times the
    symmetric square root of S, as R's ``mvtnorm::rmvnorm``; the same stream for every
    S) multiplied by B, i.e. xi @ B."""
    cache: dict[int, np.ndarray] = {}

    def draw(S: np.ndarray, B: np.ndarray) -> np.ndarray:
        m = S.shape[0]
        if m not in cache:
            cache[m] = np.random.default_rng(seed).standard_normal((sims, m))
        return cache[m] @ (_sqrtm_psd(S) @ B)

    return draw


def _arp_accept(
    y0: np.ndarray,
    a: np.ndarray,
    X: np.ndarray,
    S: np.ndarray,
    grid: np.ndarray,
    alpha: float,
    kappa: float,
    lf_draws: LFDraws,
    cap_vup: bool,
) -> np.ndarray:
    """Accept (1) / reject (0) of the conditional least-favourable hybrid test of
    H0: E[y0 - a theta - X nu] <= 0 for some nu, for every theta in ``grid``."""
    sd = np.sqrt(np.diag(S))
    L = _dual_vertices(sd, X)
    if L.shape[0] == 0:  # the moments can always be met: nothing is rejected
        return np.ones(grid.size)
    eta_sim = lf_draws(S, L.T).max(axis=1)
    lf_cv = float(np.quantile(eta_sim, 1 - kappa))  # R quantile type 7
    P, Q = L @ y0, L @ a
    vals = P[None, :] - grid[:, None] * Q[None, :]  # (grid, vertices)
    g = vals.argmax(axis=1)
    eta = vals[np.arange(grid.size), g]
    C = L @ S @ L.T
    cgg = C[g, g]
    sig_b = np.sqrt(np.maximum(cgg, 0.0))
    r = C[:, g].T / cgg[:, None]  # (grid, vertices)
    t = vals - r * eta[:, None]
    one_r = 1.0 - r
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = t / one_r
    lo_mask, up_mask = one_r > 1e-10, one_r < -1e-10
    vlo = np.where(lo_mask, ratio, -np.inf).max(axis=1)
    vup = np.where(up_mask, ratio, np.inf).min(axis=1)
    if cap_vup:
        vup = np.minimum(vup, lf_cv)
    mod_size = (alpha - kappa) / (1 - kappa)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat, zlo, zup = eta / sig_b, vlo / sig_b, vup / sig_b
    inside = (zlo <= stat) & (stat <= zup)
    accept = np.ones(grid.size)
    idx = np.flatnonzero(inside & (sig_b >= 1e-10))
    if idx.size:
        # reject iff stat > max(0, c) with c the (1 - mod_size) quantile of N(0,1)
        # truncated to [zlo, zup]; equivalently stat > 0 and the truncated upper tail
        # probability at stat is below mod_size (computed in logs: no quantile inversion)
        st, lo_, up_ = stat[idx], zlo[idx], zup[idx]
        ls, ll, lu = special.log_ndtr(-st), special.log_ndtr(-lo_), special.log_ndtr(-up_)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_tail = ls + np.log1p(-np.exp(lu - ls)) - ll - np.log1p(-np.exp(lu - ll))
        reject = (st > 0) & (log_tail < np.log(mod_size))
        accept[idx] = (~reject).astype(float)
    degenerate = sig_b < 1e-10
    accept[degenerate] = (eta[degenerate] <= 0).astype(float)
    accept[eta > lf_cv] = 0.0  # first stage of the hybrid
    return accept


def rm_grid(
    betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int, l_vec: np.ndarray, mbar: float
) -> np.ndarray:
    """The theta grid of R HonestDiD for Delta^RM (1,000 points): the estimate
    +- (mbar * sum_t t |l_t| * largest pre-treatment first difference + 20 SE)."""
    post = slice(n_pre, None)
    sd_theta = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    maxpre = float(np.max(np.abs(np.diff(np.r_[betahat[:n_pre], 0.0]))))
    off = float(betahat[post] @ l_vec)
    half = mbar * float(np.arange(1, n_post + 1) @ np.abs(l_vec)) * maxpre + 20 * sd_theta
    return np.linspace(off - half, off + half, 1000)


def rm_interval(
    betahat: np.ndarray,
    sigma: np.ndarray,
    n_pre: int,
    n_post: int,
    l_vec: np.ndarray,
    mbar: float,
    alpha: float,
    *,
    lf_draws: LFDraws,
    grid: np.ndarray | None = None,
) -> tuple[float, float, bool]:
    """Conditional-LF interval for l'tau_post under Delta^RM(mbar).

    Union over s and sign of the accepted grid points (R ``HonestDiD``'s
    ``computeConditionalCS_DeltaRM`` with ``hybrid_flag="LF"``, ``hybrid_kappa =
    alpha/10``, post-period moments only). ``lf_draws(S, B)`` returns N(0, S) draws for
    the least-favourable critical value times B (see :func:`normal_draws`).
    Returns (lower, upper, open) where ``open`` flags an interval that reaches the end
    of the grid.
    """
    if grid is None:
        grid = rm_grid(betahat, sigma, n_pre, n_post, l_vec, mbar)
    kappa = alpha / 10
    Ginv = np.linalg.inv(_completion(l_vec))
    accept = np.zeros(grid.size)
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = _rm_matrix(n_pre, n_post, mbar, s, positive)
            if n_post > 1:
                rows = np.flatnonzero((A[:, n_pre:] != 0).any(axis=1))
            else:
                rows = np.arange(A.shape[0])
            A = A[rows]
            AG = A[:, n_pre:] @ Ginv
            acc = _arp_accept(
                A @ betahat,
                AG[:, 0],
                AG[:, 1:],
                A @ sigma @ A.T,
                grid,
                alpha,
                kappa,
                lf_draws,
                cap_vup=n_post > 1,
            )
            accept = np.maximum(accept, acc)
    if not accept.any():
        return np.nan, np.nan, False
    idx = np.flatnonzero(accept)
    return float(grid[idx[0]]), float(grid[idx[-1]]), bool(accept[0] or accept[-1])
