"""Fit statistics of the SEM engine, as lavaan's ``fitMeasures`` computes them.

One definition of each index serves every estimator:

- ``cfi = 1 - max(T - df, 0) / max(T - df, T_b - df_b, 0)`` (Bentler 1990);
- ``tli = (T_b/df_b - T/df) / (T_b/df_b - 1)`` (Tucker & Lewis 1973);
- ``rmsea = sqrt(max(T/(n df) - 1/n, 0)) * sqrt(G)`` (Steiger 1990; lavaan uses the
  sample size ``n`` -- ``N`` for ML, ``N - G`` for DWLS -- and multiplies by ``sqrt(G)``
  for ``G`` groups), with its 90% interval from the non-central chi-square (Browne &
  Cudeck 1993) scaled the same way (:func:`rmsea_ci`);
- a saturated model (``df = 0``) has CFI = TLI = 1 and RMSEA = 0 [0, 0], as in lavaan,
  for the standard and the scaled statistics alike.

The names of ``CFAResult.fit_indices`` are :data:`FIT_INDEX_NAMES` for every estimator:
the standard (normal-theory or unscaled) statistics without a suffix, the scaled test and
the indices computed from it under ``*_scaled`` (lavaan's ``*.scaled``), the robust
indices under ``*_robust`` (lavaan's ``*.robust``: Brosseau-Liard, Savalei & Li 2012,
2014 for MLR with complete data; Zhang & Savalei 2020 under FIML,
:func:`~evalkit.methods.validation.sem.fiml.fiml_robust_indices`; Savalei 2021 for WLSMV,
:func:`~evalkit.methods.validation.sem.dwls.catml_indices`), and the baseline model. A
statistic an estimator does not have is NaN (ML has no scaled test).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = [
    "FIT_INDEX_NAMES",
    "STANDARD_FIT_NAMES",
    "DELTA_CFI_CUTOFF",
    "DELTA_RMSEA_CUTOFF",
    "GOOD_FIT",
    "chi2_sf",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci",
    "fit_indices",
    "scaled_shifted",
]

#: The standard indices (the first nine names of ``fit_indices``).
STANDARD_FIT_NAMES: tuple[str, ...] = (
    "chi2",
    "df",
    "p_value",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "srmr",
)
#: The names (and order) of ``CFAResult.fit_indices``, whatever the estimator.
FIT_INDEX_NAMES: tuple[str, ...] = STANDARD_FIT_NAMES + (
    "chi2_scaled",
    "df_scaled",
    "p_value_scaled",
    "scaling_factor",
    "shift",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "rmsea_ci_lower_scaled",
    "rmsea_ci_upper_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust",
    "baseline_chi2",
    "baseline_df",
    "baseline_chi2_scaled",
)

#: Cheung & Rensvold (2002): a drop in CFI of 0.01 or more signals non-invariance.
DELTA_CFI_CUTOFF = -0.01
#: Chen (2007): an increase in RMSEA of 0.015 or more signals non-invariance.
DELTA_RMSEA_CUTOFF = 0.015
#: Conventional cut-offs for good fit (Hu & Bentler 1999), used in summaries.
GOOD_FIT: dict[str, tuple[str, float]] = {
    "cfi": (">=", 0.95),
    "tli": (">=", 0.95),
    "rmsea": ("<=", 0.06),
    "srmr": ("<=", 0.08),
}


def chi2_sf(x: float, df: float) -> float:
    """Upper tail of the chi-square distribution; NaN for ``df <= 0``."""
    if df <= 0 or not np.isfinite(x):
        return np.nan
    return float(stats.chi2.sf(x, df))


def cfi(
    chi2: float, df: float, chi2_base: float, df_base: float, c_hat: float = 1.0, c_hat_base: float = 1.0
) -> float:
    """Comparative fit index (Bentler 1990), as lavaan; with the scaling factors of the model
    and the baseline it is the robust CFI (Brosseau-Liard & Savalei 2014, lavaan's ``cfi.robust``)."""
    if not all(np.isfinite(v) for v in (chi2, chi2_base, c_hat, c_hat_base)):
        return np.nan
    t1 = max(chi2 - c_hat * df, 0.0)
    t2 = max(chi2 - c_hat * df, chi2_base - c_hat_base * df_base, 0.0)
    return 1.0 if t1 == 0 and t2 == 0 else 1.0 - t1 / t2


def tli(
    chi2: float, df: float, chi2_base: float, df_base: float, c_hat: float = 1.0, c_hat_base: float = 1.0
) -> float:
    """Tucker-Lewis index; 1 for a saturated model (``df = 0``), as lavaan. With the
    scaling factors it is lavaan's ``tli.robust``:
    ``1 - (T - c df) df_b / ((T_b - c_b df_b) df)``."""
    if not all(np.isfinite(v) for v in (chi2, chi2_base, c_hat, c_hat_base)):
        return np.nan
    if df > 0 and df_base > 0:
        if c_hat == 1.0 and c_hat_base == 1.0:
            return (chi2_base / df_base - chi2 / df) / (chi2_base / df_base - 1.0)
        t1 = (chi2 - c_hat * df) * df_base
        t2 = (chi2_base - c_hat_base * df_base) * df
        return 1.0 - t1 / t2 if t2 != 0 else 1.0
    return 1.0 if df == 0 else np.nan


def rmsea(chi2: float, df: float, n: float, n_groups: int = 1, c_hat: float = 1.0) -> float:
    """RMSEA with lavaan's sample size ``n`` and ``sqrt(G)`` multiplier; 0 when ``df = 0``.

    ``c_hat`` is the scaling factor of the robust RMSEA (Brosseau-Liard, Savalei & Li 2012:
    ``sqrt(max(T/(n df) - c/n, 0))``, lavaan's ``rmsea.robust``).
    """
    if not (np.isfinite(chi2) and np.isfinite(c_hat)):
        return np.nan
    if df > 0:
        return math.sqrt(max(chi2 / (n * df) - c_hat / n, 0.0)) * math.sqrt(n_groups)
    return 0.0 if df == 0 else np.nan


def rmsea_ci(
    chi2: float, df: float, n: float, n_groups: int = 1, level: float = 0.90, c_hat: float = 1.0
) -> tuple[float, float]:
    """lavaan's RMSEA confidence interval: invert the non-central chi-square in ``lambda``.

    ``[0, 0]`` for a saturated model (``df = 0``); NaN when ``df < 0`` or ``chi2`` is NaN.
    ``df`` may be fractional (lavaan's scaled interval for MLR uses ``c * df``); the
    bounds are ``sqrt(c_hat * lambda / (n df)) * sqrt(G)`` (``c_hat`` for the robust interval).
    """
    if not (np.isfinite(chi2) and np.isfinite(df) and np.isfinite(c_hat)) or df < 0:
        return np.nan, np.nan
    if df == 0:
        return 0.0, 0.0
    lo_p, hi_p = (1 + level) / 2, (1 - level) / 2

    def f(lam: float, pr: float) -> float:  # scipy.special.chndtr = stats.ncx2.cdf
        return float(special.chndtr(chi2, df, lam) if lam > 0 else special.chdtr(df, chi2)) - pr

    if df < 1 or f(0.0, lo_p) < 0:  # lavaan: no lower bound below 1 df
        lam_l = 0.0
    else:
        lam_l = optimize.brentq(f, 0.0, max(chi2, 1.0), args=(lo_p,), xtol=1e-12, rtol=1e-14)
    if f(0.0, hi_p) < 0:
        lam_u = 0.0
    else:
        hi = max(n, chi2 * 4)
        while f(hi, hi_p) > 0:
            hi *= 2
        lam_u = optimize.brentq(f, 0.0, hi, args=(hi_p,), xtol=1e-12, rtol=1e-14)
    g = math.sqrt(n_groups)
    return math.sqrt(c_hat * lam_l / (n * df)) * g, math.sqrt(c_hat * lam_u / (n * df)) * g


def scaled_shifted(T: float, df: float, tr1: float, tr2: float) -> tuple[float, float, float]:
    """Mean-and-variance adjusted statistic (Asparouhov & Muthen 2010).

    ``a = sqrt(df / tr[(U Gamma)^2])``, ``b = df - a tr(U Gamma)``; returns ``(a, b, a T + b)``.
    For ``df = 0`` (saturated model) the statistic is 0, as in lavaan.
    """
    if df == 0:
        return np.nan, np.nan, 0.0
    if df < 0 or tr2 <= 0:
        return np.nan, np.nan, np.nan
    a = math.sqrt(df / tr2)
    b = df - a * tr1
    return a, b, a * T + b


def fit_indices(
    chi2: float,
    df: float,
    chi2_base: float,
    df_base: float,
    n: float,
    n_groups: int = 1,
    srmr: float = np.nan,
) -> pd.Series:
    """The standard fit indices (:data:`STANDARD_FIT_NAMES`) exactly as lavaan's ``fitMeasures``.

    ``n`` is the sample size of the RMSEA (``N`` for ML, ``N - G`` for DWLS).
    """
    lo, hi = rmsea_ci(chi2, df, n, n_groups)
    vals = [
        chi2,
        float(df),
        chi2_sf(chi2, df),
        cfi(chi2, df, chi2_base, df_base),
        tli(chi2, df, chi2_base, df_base),
        rmsea(chi2, df, n, n_groups),
        lo,
        hi,
        srmr,
    ]
    return pd.Series(vals, index=list(STANDARD_FIT_NAMES), dtype=float, name="fit_indices")


def all_fit_indices(standard: pd.Series, **extra: float) -> pd.Series:
    """``standard`` extended to :data:`FIT_INDEX_NAMES`; names not in ``extra`` are NaN."""
    unknown = set(extra) - set(FIT_INDEX_NAMES)
    if unknown:
        raise KeyError(f"unknown fit index name(s): {sorted(unknown)}")
    vals = {**standard.to_dict(), **extra}
    return pd.Series(
        [vals.get(k, np.nan) for k in FIT_INDEX_NAMES],
        index=list(FIT_INDEX_NAMES),
        dtype=float,
        name="fit_indices",
    )


def scaled_indices(
    T_scaled: float, df: float, Tb_scaled: float, df_base: float, n: float, n_groups: int
) -> dict[str, float]:
    """The indices computed from a scaled test statistic (lavaan's ``*.scaled``)."""
    lo, hi = rmsea_ci(T_scaled, df, n, n_groups)
    return dict(
        chi2_scaled=T_scaled,
        df_scaled=float(df),
        p_value_scaled=chi2_sf(T_scaled, df),
        cfi_scaled=cfi(T_scaled, df, Tb_scaled, df_base),
        tli_scaled=tli(T_scaled, df, Tb_scaled, df_base),
        rmsea_scaled=rmsea(T_scaled, df, n, n_groups),
        rmsea_ci_lower_scaled=lo,
        rmsea_ci_upper_scaled=hi,
    )


def yuan_bentler_indices(
    chi2: float, df: float, c: float, chi2_base: float, df_base: float, c_base: float, n: float, n_groups: int
) -> dict[str, float]:
    """Scaled and robust indices of a Yuan-Bentler scaled test (lavaan ``test =
    "yuan.bentler.mplus"``, MLR): ``T / c``; lavaan's scaled RMSEA interval uses ``T`` on
    ``c df`` degrees of freedom; the robust CFI, TLI and RMSEA use ``c`` and the baseline's
    ``c_b`` (Brosseau-Liard, Savalei & Li 2012; Brosseau-Liard & Savalei 2014)."""
    Ts, Tbs = chi2 / c, chi2_base / c_base
    lo, hi = rmsea_ci(chi2, c * df, n, n_groups) if df > 0 else (0.0, 0.0)
    rlo, rhi = rmsea_ci(Ts, df, n, n_groups, c_hat=c) if df > 0 else (0.0, 0.0)
    return dict(
        chi2_scaled=Ts,
        df_scaled=float(df),
        p_value_scaled=chi2_sf(Ts, df),
        scaling_factor=c,
        cfi_scaled=cfi(Ts, df, Tbs, df_base),
        tli_scaled=tli(Ts, df, Tbs, df_base),
        rmsea_scaled=rmsea(Ts, df, n, n_groups),
        rmsea_ci_lower_scaled=lo,
        rmsea_ci_upper_scaled=hi,
        cfi_robust=cfi(chi2, df, chi2_base, df_base, c, c_base),
        tli_robust=tli(chi2, df, chi2_base, df_base, c, c_base),
        rmsea_robust=rmsea(chi2, df, n, n_groups, c_hat=c),
        rmsea_ci_lower_robust=rlo,
        rmsea_ci_upper_robust=rhi,
        baseline_chi2_scaled=Tbs,
    )
