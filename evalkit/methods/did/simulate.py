"""Simulated staggered-adoption panels with known effects (for tests and examples)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.core.checks import check_positive_int

__all__ = ["simulate_staggered", "true_att"]


def true_att(group: float, time: float, effects: dict | None = None, slope: float = 1.0) -> float:
    """True ATT(g,t) of :func:`simulate_staggered`: ``effects[g] * (1 + slope*(t-g))``
    for ``t >= g`` (0 before)."""
    if time < group or group == 0:
        return 0.0
    base = 1.0 if effects is None else effects[group]
    return base * (1.0 + slope * (time - group))


def simulate_staggered(
    n_units: int = 500,
    *,
    periods: Sequence[float] | np.ndarray = tuple(range(1, 9)),
    cohorts: Sequence[float] = (3, 5, 7),
    shares: Sequence[float] | None = None,
    effects: dict | None = None,
    slope: float = 1.0,
    covariate_trend: float = 0.0,
    pre_trend: float = 0.0,
    sd: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    r"""A balanced panel with staggered adoption and known dynamic effects.

    .. math:: y_{it} = \alpha_i + \lambda_t + \gamma x_i (t - t_1) + \beta_g (t - g)\,1[t<g]
              + \tau_g (1 + s\,(t-g))\,1[t \ge g] + \varepsilon_{it}

    with cohort shares ``shares`` (the rest never treated, ``g = 0``), cohort effects
    ``effects`` (default 1, 2, 3, ... for the cohorts in order), ``slope`` s (effects grow
    with exposure, so two-way fixed effects are biased), a covariate :math:`x_i` whose
    mean differs by cohort and whose trend ``covariate_trend`` :math:`\gamma` makes
    unconditional parallel trends fail, and an optional linear pre-trend ``pre_trend``
    :math:`\beta_g` for treated cohorts. Columns: ``unit, time, y, g, treated, x,
    cluster`` (25 clusters) and ``tau``, the true effect of each unit and period (the
    true ATT(g,t) is the mean of ``tau`` in cohort g at time t).
    """
    n_units = check_positive_int(n_units, "n_units")
    seed = check_positive_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    periods = np.asarray(periods, dtype=float)
    cohorts = list(cohorts)
    if shares is None:
        shares = [0.75 / len(cohorts)] * len(cohorts)
    if effects is None:
        effects = {g: float(i + 1) for i, g in enumerate(cohorts)}
    probs = list(shares) + [1 - sum(shares)]
    gi = rng.choice(np.array(cohorts + [0], dtype=float), size=n_units, p=probs)
    x = rng.normal(size=n_units) + 0.5 * (gi > 0) + 0.1 * np.where(gi > 0, gi, 0) / max(cohorts)
    alpha = rng.normal(size=n_units) + 0.5 * x
    lam = np.linspace(0, 1, len(periods)) + rng.normal(scale=0.2, size=len(periods))
    T = len(periods)
    tt = np.tile(periods, n_units)
    uu = np.repeat(np.arange(n_units), T)
    g = gi[uu]
    e = tt - g
    treated = (g > 0) & (tt >= g)
    tau = np.where(treated, np.array([effects.get(v, 0.0) for v in g]) * (1 + slope * e), 0.0)
    pre = np.where((g > 0) & (tt < g), pre_trend * e, 0.0)
    y = (
        alpha[uu]
        + np.tile(lam, n_units)
        + covariate_trend * x[uu] * (tt - periods[0])
        + pre
        + tau
        + rng.normal(scale=sd, size=n_units * T)
    )
    return pd.DataFrame(
        {
            "unit": uu,
            "time": tt,
            "y": y,
            "g": g,
            "treated": treated.astype(int),
            "x": x[uu],
            "cluster": uu % 25,
            "tau": tau,
        }
    )
