"""Robust maximum likelihood (lavaan's ``estimator="MLR"``) in the SEM engine.

The estimates are ML's. lavaan 0.6-14's MLR defaults, reproduced:

- standard errors ``se = "robust.huber.white"``: ``V = E^-1 B E^-1 / N`` with ``E`` the
  observed information per respondent (the Hessian of ``fmin``; lavaan differentiates the
  analytic gradient numerically with a five-point stencil, ``h = 1e-6``, and so do we) and
  ``B = sum_g (n_g/N) B_g``, ``B_g`` the mean cross-product of the casewise scores of the
  log-likelihood at the model-implied moments (``information.meat = "first.order"``,
  ``h1.information.meat = "structured"``);
- the test ``"yuan.bentler.mplus"`` (Yuan & Bentler 2000; the Mplus variant): scaling
  factor ``c = (sum_g tr(A1_g^-1 B1_g) - sum_g (n_g/N) tr(B_g E^-1)) / df`` with ``A1_g``
  and ``B1_g`` the expected and first-order information of the saturated model at the
  sample moments (``tr(A1^-1 B1) = p + (b_2p - p)/2`` with Mardia's multivariate kurtosis
  ``b_2p``; ``p`` drops out without a mean structure); ``T_scaled = T / c``. The baseline
  model gets its own ``c_b`` the same way; the scaled and robust indices follow
  :func:`~evalkit.methods.validation.sem.fit_measures.yuan_bentler_indices`;
- nested models are compared by the scaled difference test of Satorra & Bentler (2001),
  lavaan's ``lavTestLRT`` default for MLR:
  ``c_d = (df0 c0 - df1 c1) / (df0 - df1)``, ``T_d = (T0 - T1) / c_d``.

References: Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean
and covariance structure analysis with nonnormal missing data. *Sociological Methodology*,
30, 165-200. Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test
statistic for moment structure analysis. *Psychometrika*, 66, 507-514.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.methods.validation.model_syntax import ParsedModel
from evalkit.methods.validation.sem.common import independence_spec, inverse_pd, numeric_hessian, srmr_bentler
from evalkit.methods.validation.sem.estimator import DifferenceTestValues, Sample
from evalkit.methods.validation.sem.fiml import FIMLProblem, FIMLRobustProblem
from evalkit.methods.validation.sem.fit_measures import (
    all_fit_indices,
    chi2_sf,
    fit_indices,
    yuan_bentler_indices,
)
from evalkit.methods.validation.sem.ml import LEVELS, MLEstimator, MLProblem
from evalkit.methods.validation.sem.model import ModelSpec, SampleStats

if TYPE_CHECKING:
    from evalkit.methods.validation.sem.results import CFAResult

__all__ = ["MLREstimator", "MLRProblem", "casewise_scores", "saturated_trace"]


def casewise_scores(
    spec: ModelSpec, theta: np.ndarray, group: int, x: np.ndarray, mean: np.ndarray
) -> np.ndarray:
    """Derivative of each respondent's log-likelihood with respect to ``theta`` (n x k).

    With ``z_i = Sigma^-1 (y_i - mu)``: ``1/2 tr[(z_i z_i' - Sigma^-1) dSigma_k] + z_i' dmu_k``
    (the mean part only under a mean structure; ``mean`` is ``mu`` then, else the sample
    mean, as lavaan's structured first-order information).
    """
    sigma, mu = spec.implied(theta)[group]
    m = mu if spec.meanstructure else mean
    sinv = np.linalg.inv(sigma)
    dS, dmu = spec.jacobian(theta, group)
    k, p = spec.npar, spec.p
    Z = (x - m) @ sinv
    M = dS.reshape(k, p * p)
    ZZ = (Z[:, :, None] * Z[:, None, :]).reshape(len(x), p * p)
    sc = 0.5 * (ZZ @ M.T) - 0.5 * (M @ sinv.ravel())[None, :]
    if spec.meanstructure:
        sc += Z @ dmu.T
    return sc


def saturated_trace(x: np.ndarray, meanstructure: bool) -> float:
    """``tr(A1^-1 B1)`` of the saturated model at the sample moments (lavaan's ``trace.h1``):
    ``p + (b_2p - p) / 2`` with Mardia's ``b_2p`` (``p`` only under a mean structure)."""
    n, p = x.shape
    d = x - x.mean(axis=0)
    S = d.T @ d / n
    q = np.einsum("ij,jk,ik->i", d, np.linalg.inv(S), d)
    return (p if meanstructure else 0.0) + 0.5 * (float(np.mean(q * q)) - p)


def _information_parts(
    spec: ModelSpec, stats: SampleStats, theta: np.ndarray, problem: MLProblem
) -> tuple[np.ndarray, list[np.ndarray]]:
    """``E^-1`` (inverse observed information per respondent) and the ``B_g``."""
    E = numeric_hessian(lambda t: problem.gradient_and_hessian(t)[0], theta)
    E_inv = inverse_pd(E)
    assert stats.raw is not None
    B = []
    for g, x in enumerate(stats.raw):
        sc = casewise_scores(spec, theta, g, x, stats.mean[g])
        B.append(sc.T @ sc / len(x))
    return E_inv, B


def _scaling(spec: ModelSpec, stats: SampleStats, E_inv: np.ndarray, B: list[np.ndarray], df: float) -> float:
    """Yuan-Bentler (Mplus) scaling factor ``c``; NaN for ``df <= 0`` or a negative trace."""
    if df <= 0:
        return np.nan
    assert stats.raw is not None
    w = stats.weights
    tr = sum(saturated_trace(x, spec.meanstructure) for x in stats.raw)
    tr -= sum(w[g] * float(np.sum(B[g] * E_inv.T)) for g in range(len(B)))
    c = tr / df
    return c if c > 0 else np.nan


class MLRProblem(MLProblem):
    """ML discrepancy with MLR's sandwich standard errors and Yuan-Bentler scaled test."""

    def __init__(self, spec: ModelSpec, stats: SampleStats, estimator: MLEstimator | None = None):
        super().__init__(spec, stats, MLREstimator() if estimator is None else estimator)
        self._cache: dict[bytes, tuple[np.ndarray, list[np.ndarray]]] = {}

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        key = np.asarray(theta, dtype=float).tobytes()
        if key not in self._cache:
            self._cache = {key: _information_parts(self.spec, self.stats, theta, self)}
        return self._cache[key]

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        """Huber-White sandwich ``E^-1 B E^-1 / N`` (lavaan ``se = "robust.huber.white"``)."""
        E_inv, B = self._parts(theta)
        w = self.stats.weights
        meat = sum(w[g] * B[g] for g in range(len(B)))
        return E_inv @ meat @ E_inv / self.stats.ntotal

    def scaling_factor(self, theta: np.ndarray) -> float:
        E_inv, B = self._parts(theta)
        return _scaling(self.spec, self.stats, E_inv, B, float(self.df()))

    def baseline_scaling_factor(self) -> float:
        st = self.stats
        spec_b = independence_spec(self.spec.p, self.spec.observed, st.n_groups, self.spec.meanstructure)
        theta_b = np.concatenate(
            [
                np.concatenate([np.diag(st.cov[g]), st.mean[g]])
                if self.spec.meanstructure
                else np.diag(st.cov[g])
                for g in range(st.n_groups)
            ]
        )
        prob_b = MLProblem(spec_b, st)
        E_inv, B = _information_parts(spec_b, st, theta_b, prob_b)
        p = self.spec.p
        return _scaling(spec_b, st, E_inv, B, float(st.n_groups * (p * (p + 1) // 2 - p)))

    def baseline(self) -> dict:
        base = super().baseline()
        cb = self.baseline_scaling_factor()
        return {**base, "chi2_scaled": base["chi2"] / cb, "scaling_factor": cb}

    def fit_indices(self, theta: np.ndarray, fmin: float) -> pd.Series:
        test = self.estimator.test(self.spec, self.stats, theta, fmin)
        base = self.baseline()
        st = self.stats
        srmr = srmr_bentler(st, self.spec.implied(theta), self.spec.meanstructure)
        T, df = test["chi2"], test["df"]
        standard = fit_indices(T, df, base["chi2"], base["df"], st.ntotal, st.n_groups, srmr)
        c = self.scaling_factor(theta)
        extra = {}
        if df > 0:
            extra = yuan_bentler_indices(
                T, df, c, base["chi2"], base["df"], base["scaling_factor"], st.ntotal, st.n_groups
            )
        else:  # saturated: lavaan keeps the standard statistic, scaling factor NA
            extra = dict(
                chi2_scaled=T,
                df_scaled=float(df),
                cfi_scaled=1.0,
                tli_scaled=1.0,
                rmsea_scaled=0.0,
                rmsea_ci_lower_scaled=0.0,
                rmsea_ci_upper_scaled=0.0,
                cfi_robust=1.0,
                tli_robust=1.0,
                rmsea_robust=0.0,
                rmsea_ci_lower_robust=0.0,
                rmsea_ci_upper_robust=0.0,
                baseline_chi2_scaled=base["chi2_scaled"],
            )
        return all_fit_indices(standard, baseline_chi2=base["chi2"], baseline_df=base["df"], **extra)


class MLREstimator(MLEstimator):
    """Robust ML (lavaan ``estimator="MLR"``): ML estimates, Huber-White SEs, Yuan-Bentler test."""

    name = "MLR"
    robust = True
    levels = LEVELS

    def build(
        self,
        sample: Sample,
        parsed: ParsedModel,
        *,
        equal: tuple[str, ...] = (),
        partial: tuple[str, ...] = (),
        meanstructure: bool | None = None,
        level: str | None = None,
    ) -> MLProblem | FIMLProblem:
        if level is not None:
            equal = LEVELS[level]
        if sample.extra.get("missing") == "fiml":
            return super().build(sample, parsed, equal=equal, partial=partial, meanstructure=meanstructure)
        return MLRProblem.build(
            parsed, sample.stats, equal=equal, partial=partial, meanstructure=meanstructure
        )

    def _fiml_problem(self, spec: ModelSpec, stats: SampleStats) -> FIMLProblem:
        return FIMLRobustProblem(spec, stats, MLREstimator())

    def difference_test(self, restricted: CFAResult, general: CFAResult) -> DifferenceTestValues:
        """Satorra-Bentler (2001) scaled difference, lavaan's ``lavTestLRT`` for MLR."""
        f0, f1 = restricted.fit_indices, general.fit_indices
        T0, T1, r0, r1 = float(f0["chi2"]), float(f1["chi2"]), float(f0["df"]), float(f1["df"])
        c0, c1 = float(f0["scaling_factor"]), (1.0 if r1 == 0 else float(f1["scaling_factor"]))
        m = r0 - r1
        d = T0 - T1
        if m <= 0:
            return DifferenceTestValues(d, m, np.nan)
        cd = (r0 * c0 - r1 * c1) / m
        if not cd > 0:
            return DifferenceTestValues(d, m, chi2_sf(d, m))
        Td = d / cd
        return DifferenceTestValues(
            d, m, chi2_sf(d, m), delta_chi2_scaled=Td, p_value_scaled=chi2_sf(Td, m), scale=cd
        )
