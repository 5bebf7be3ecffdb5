"""Small statistical helpers shared by several modules (private)."""

from __future__ import annotations

import math

from scipy import stats

__all__ = ["wilson_interval"]


def wilson_interval(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson (1927) score interval for a binomial proportion x/n.

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    with :math:`z` the normal quantile for ``confidence``; the bounds are exactly 0 at
    x = 0 and 1 at x = n (as ``statsmodels.stats.proportion.proportion_confint(...,
    method="wilson")`` up to rounding); ``(nan, nan)`` when n = 0.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA*, 22, 209-212.
    """
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if x == 0 else max(0.0, centre - half)
    hi = 1.0 if x == n else min(1.0, centre + half)
    return lo, hi
