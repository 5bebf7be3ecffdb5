"""Multiplier bootstrap on influence functions (Callaway & Sant'Anna 2021, Sec. 4).

Given the influence-function matrix ``IF`` (n units x k estimands), scaled such that
``se = sqrt(sum_i IF_i^2) / n`` (as R ``did``), draw B multipliers ``V_b`` with mean 0 and
variance 1 per unit (or per cluster; the same draw for every unit of a cluster) and form

    R_b = sqrt(n) * (1/n) * sum_i V_b,c(i) * IF_i.

The bootstrap standard error is the interquartile range of ``R_b`` divided by
``qnorm(.75) - qnorm(.25)`` and by ``sqrt(n)``; the simultaneous critical value is the
``1 - alpha`` quantile of ``max_j |R_bj| / sigma_j`` (both with R's ``quantile(type=1)``).
Draws are generated in fixed-size chunks from ``numpy.random.default_rng(seed)``, so the
same seed and the same number of units (clusters) give the same multipliers for the
group-time effects and for every aggregation.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["multiplier_bootstrap", "bootstrap_draws", "summarise_draws", "cluster_sums"]

_IQR_NORM = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
_TINY = np.sqrt(np.finfo(float).eps) * 10
_CHUNK = 5_000_000  # multipliers per chunk (20 MB as float32); fixed, so draws are reproducible


def cluster_sums(inf: np.ndarray, cluster_codes: np.ndarray | None) -> np.ndarray:
    """Sum influence functions within clusters (rows = clusters)."""
    if cluster_codes is None:
        return inf
    m = int(cluster_codes.max()) + 1
    out = np.zeros((m, inf.shape[1]))
    return _rowsum(out, cluster_codes, inf)


def _rowsum(out, codes, inf):
    order = np.argsort(codes, kind="stable")
    sc = codes[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    sums = np.add.reduceat(inf[order], starts, axis=0)
    out[sc[starts]] = sums
    return out


def _draw(rng: np.random.Generator, b: int, m: int, kind: str) -> np.ndarray:
    if kind == "rademacher":
        nbytes = -(-b * m // 8)
        bits = np.unpackbits(np.frombuffer(rng.bytes(nbytes), dtype=np.uint8))[: b * m]
        w = bits.reshape(b, m).astype(np.float32)
        del bits
        w *= 2.0
        w -= 1.0
        return w
    # Mammen (1993) two-point weights
    s5 = np.sqrt(5.0)
    p = (s5 + 1.0) / (2.0 * s5)
    u = rng.random((b, m), dtype=np.float32)
    lo, hi = (1.0 - s5) / 2.0, (1.0 + s5) / 2.0
    return np.where(u < p, np.float32(lo), np.float32(hi))


def bootstrap_draws(
    inf: np.ndarray,
    *,
    n: int,
    draws: int,
    seed,
    cluster_codes: np.ndarray | None = None,
    weights: str = "rademacher",
) -> np.ndarray:
    """The B x k matrix of bootstrap statistics R_b for the columns of ``inf``.

    R_b is linear in the influence function, so draws for any linear combination of the
    columns are ``bootstrap_draws(inf) @ coef`` (same multipliers).
    """
    inf = np.asarray(inf, dtype=float)
    if inf.ndim == 1:
        inf = inf[:, None]
    s = cluster_sums(inf, cluster_codes)
    m, k = s.shape
    s32 = s.astype(np.float32)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(draws, int(_CHUNK // max(m, 1))))
    res = np.empty((draws, k))
    done = 0
    scale = 1.0 / np.sqrt(n)
    while done < draws:
        b = min(chunk, draws - done)
        w = _draw(rng, b, m, weights)
        res[done : done + b] = (w @ s32).astype(float) * scale
        done += b
    return res


def summarise_draws(res: np.ndarray, *, n: int, alpha: float) -> dict:
    """Bootstrap SEs (IQR / 1.349 / sqrt(n)) and the sup-t critical value, as R did."""
    k = res.shape[1]
    ok = np.isfinite(res).all(axis=0) & ((res**2).sum(axis=0) > _TINY)
    q75 = np.full(k, np.nan)
    q25 = np.full(k, np.nan)
    if ok.any():
        q75[ok] = np.quantile(res[:, ok], 0.75, axis=0, method="inverted_cdf")
        q25[ok] = np.quantile(res[:, ok], 0.25, axis=0, method="inverted_cdf")
    sigma = (q75 - q25) / _IQR_NORM
    sigma[~(sigma > _TINY)] = np.nan
    good = np.isfinite(sigma)
    if good.any():
        t = np.max(np.abs(res[:, good] / sigma[good]), axis=1)
        crit = float(np.quantile(t, 1 - alpha, method="inverted_cdf"))
    else:
        crit = np.nan
    return {"se": sigma / np.sqrt(n), "crit": crit, "draws": res}


def multiplier_bootstrap(
    inf: np.ndarray,
    *,
    n: int,
    draws: int,
    seed,
    alpha: float,
    cluster_codes: np.ndarray | None = None,
    weights: str = "rademacher",
) -> dict:
    """Bootstrap SEs and the uniform critical value for the columns of ``inf``.

    Returns a dict with ``se`` (k,), ``crit`` (float), ``draws`` (B x k array R_b).
    """
    res = bootstrap_draws(inf, n=n, draws=draws, seed=seed, cluster_codes=cluster_codes, weights=weights)
    return summarise_draws(res, n=n, alpha=alpha)
