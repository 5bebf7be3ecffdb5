"""Normal-theory maximum likelihood (lavaan's ``estimator="ML"``) in the SEM engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, cast

import numpy as np
import pandas as pd
from scipy import stats as sps

from evalkit.core.errors import DataValidationError, EstimationError, ParameterError
from evalkit.methods.validation.model_syntax import ParsedModel, build_partable
from evalkit.methods.validation.sem.common import inverse_pd, srmr_bentler, standardized_solution
from evalkit.methods.validation.sem.data import prepare_continuous
from evalkit.methods.validation.sem.estimator import DifferenceTestValues, Estimator, Sample
from evalkit.methods.validation.sem.fiml import FIMLProblem, missing_stats
from evalkit.methods.validation.sem.fit_measures import all_fit_indices, chi2_sf, fit_indices
from evalkit.methods.validation.sem.model import ModelSpec, SampleStats
from evalkit.methods.validation.sem.optimize import OptimizerSettings, single_thread_blas

if TYPE_CHECKING:
    from evalkit.methods.validation.sem.results import CFAResult

__all__ = [
    "MLEstimator",
    "MLProblem",
    "MAX_ITER",
    "LEVELS",
    "inverse_pd",
    "srmr_bentler",
    "constraint_score_tests",
    "score_test_release",
    "standardized_solution",
]

#: iteration limit of the optimiser for ML
MAX_ITER = 500
#: The measurement-invariance levels of continuous items and their lavaan ``group.equal``.
LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
}


class MLEstimator(Estimator):
    """Normal-theory maximum likelihood, lavaan's ``estimator="ML"``, ``likelihood="normal"``.

    Discrepancy (lavaan's ``fmin``), with ``S_g`` the covariance matrix with divisor
    ``n_g`` and ``w_g = n_g / N``::

        fmin = 1/2 sum_g w_g [log|Sigma_g| - log|S_g| + tr(S_g Sigma_g^-1) - p
                              + (ybar_g - mu_g)' Sigma_g^-1 (ybar_g - mu_g)]

    Test statistic ``T = 2 N fmin``; expected information per respondent
    ``I = sum_g w_g [1/2 D_g'(Sigma^-1 (x) Sigma^-1) D_g + Dmu_g' Sigma^-1 Dmu_g]``;
    standard errors from ``(N I)^-1`` (lavaan ``information="expected"``).
    """

    name = "ML"
    robust = False
    levels = LEVELS

    # -- the estimator protocol ---------------------------------------------------------
    missing_options = ("listwise", "fiml")

    def sample(
        self,
        data: pd.DataFrame,
        parsed: ParsedModel,
        group: str | None,
        *,
        min_group_size: int | None = None,
        missing: str = "listwise",
    ) -> Sample:
        df, groups = prepare_continuous(data, parsed, group, min_group_size=min_group_size, missing=missing)
        if missing == "fiml":
            x = df[list(parsed.observed)].to_numpy(dtype=float)
            x = np.where(np.isfinite(x), x, np.nan)
            if group is None:
                xs = [x]
            else:
                codes = pd.Categorical(df[group], categories=groups).codes
                xs = [x[codes == k] for k in range(len(groups))]
            st = missing_stats(xs, list(parsed.observed), groups)
        else:
            st = SampleStats.from_data(df, parsed.observed, group, groups)
        return Sample(stats=st, groups=groups, n_rows=len(data), n_used=len(df), extra={"missing": missing})

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
            if meanstructure is False:
                raise ParameterError(
                    "meanstructure=False is not possible with missing='fiml': FIML "
                    "estimates the means too (lavaan does the same)."
                )
            pt = build_partable(
                parsed,
                n_groups=sample.stats.n_groups,
                meanstructure=True,
                group_equal=equal,
                group_partial=partial,
            )
            spec = ModelSpec(pt, parsed.observed, parsed.latent, sample.stats.n_groups, True)
            return self._fiml_problem(spec, sample.stats)
        return MLProblem.build(
            parsed, sample.stats, equal=equal, partial=partial, meanstructure=meanstructure
        )  # its own MLEstimator (caches log|S|)

    def _fiml_problem(self, spec: ModelSpec, stats: SampleStats) -> FIMLProblem:
        return FIMLProblem(spec, stats, MLEstimator())

    def difference_test(self, restricted: CFAResult, general: CFAResult) -> DifferenceTestValues:
        """lavTestLRT for ML: plain difference of the chi-square statistics."""
        d_chi2 = float(restricted.fit_indices["chi2"] - general.fit_indices["chi2"])
        d_df = float(restricted.fit_indices["df"] - general.fit_indices["df"])
        return DifferenceTestValues(d_chi2, d_df, chi2_sf(d_chi2, d_df))

    def invariance_score_tests(self, fit: CFAResult) -> pd.DataFrame:
        return constraint_score_tests(fit)

    def partial_candidates(
        self, fit: CFAResult, new_types: list[str], freed: list[str]
    ) -> dict[str, tuple[float, float]]:
        pt = fit.spec.partable
        keys = [
            k
            for k in dict.fromkeys(pt["equal_key"])
            if any(k.startswith(f"group.equal:{t}:") for t in new_types)
        ]
        return {
            k.split(":", 2)[2]: (score_test_release(fit, [k]), float((pt["equal_key"] == k).sum() - 1))
            for k in keys
        }

    # -- the numerical core (spec, stats, theta) ----------------------------------------

    def prepare(self, spec: ModelSpec, stats: SampleStats) -> None:
        self._logdetS = []
        for S in stats.cov:
            sign, ld = np.linalg.slogdet(S)
            if sign <= 0:
                raise DataValidationError(
                    "the sample covariance matrix of the items is singular (an item is a "
                    "linear combination of others, or a group has fewer respondents than items)."
                )
            self._logdetS.append(ld)

    def _group_terms(self, spec, stats, theta, g, sigma, mu):
        try:
            c = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return None
        dc = np.diag(c)
        if not np.all(dc > 0):  # numerically singular implied covariance: no log(0) warning
            return None
        logdet = 2.0 * np.log(dc).sum()
        sinv = np.linalg.inv(sigma)
        S = stats.cov[g]
        d = stats.mean[g] - mu if spec.meanstructure else np.zeros(spec.p)
        f = logdet - self._logdetS[g] + np.sum(S * sinv) - spec.p + d @ sinv @ d
        return f, sinv, d

    def objective(self, spec: ModelSpec, stats: SampleStats, theta: np.ndarray) -> float:
        w = stats.weights
        total = 0.0
        for g, (sigma, mu) in enumerate(spec.implied(theta)):
            t = self._group_terms(spec, stats, theta, g, sigma, mu)
            if t is None:
                return np.inf
            total += w[g] * t[0]
        return 0.5 * total

    def gradient_and_hessian(self, spec, stats, theta):
        """Gradient of ``fmin`` and its expected Hessian (= unit expected information)."""
        w = stats.weights
        grad = np.zeros(spec.npar)
        hess = np.zeros((spec.npar, spec.npar))
        for g, (sigma, mu) in enumerate(spec.implied(theta)):
            t = self._group_terms(spec, stats, theta, g, sigma, mu)
            if t is None:
                raise EstimationError("model-implied covariance matrix is not positive definite.")
            _, sinv, d = t
            dS, dmu = spec.jacobian(theta, g)
            C = stats.cov[g] + np.outer(d, d)
            G = sinv - sinv @ C @ sinv  # d fmin_g*2 / d Sigma
            grad += w[g] * 0.5 * (np.einsum("kij,ij->k", dS, G) - 2.0 * dmu @ (sinv @ d))
            A = np.einsum("ij,kjl,lm->kim", sinv, dS, sinv, optimize=True)
            k = spec.npar
            info = 0.5 * A.reshape(k, -1) @ dS.reshape(k, -1).T
            if spec.meanstructure:
                info += dmu @ sinv @ dmu.T
            hess += w[g] * info
        return grad, hess

    def vcov(self, spec, stats, theta) -> np.ndarray:
        _, info = self.gradient_and_hessian(spec, stats, theta)
        return inverse_pd(stats.ntotal * info)

    def test(self, spec, stats, theta, fmin) -> dict:
        chi2 = 2.0 * stats.ntotal * fmin
        df = spec.n_moments() - spec.npar
        return {"chi2": chi2, "df": float(df)}

    def baseline(self, spec, stats) -> dict:
        """Independence model: free variances (and means), all covariances zero."""
        chi2 = 0.0
        for g, S in enumerate(stats.cov):
            chi2 += stats.nobs[g] * (np.log(np.diag(S)).sum() - self._logdetS[g])
        p = spec.p
        df = spec.n_groups * (p * (p + 1) // 2 - p)
        return {"chi2": chi2, "df": float(df)}


class MLProblem:
    """The ML discrepancy of one model (:class:`ModelSpec`) on its sample statistics."""

    def __init__(self, spec: ModelSpec, stats: SampleStats, estimator: MLEstimator | None = None):
        self.spec = spec
        self.stats = stats
        self.estimator = MLEstimator() if estimator is None else estimator
        self.estimator.prepare(spec, stats)
        self.settings = OptimizerSettings(tol=1e-9, max_iter=MAX_ITER)

    @classmethod
    def build(
        cls,
        parsed: ParsedModel,
        stats: SampleStats,
        *,
        equal: tuple[str, ...] = (),
        partial: tuple[str, ...] = (),
        meanstructure: bool | None = None,
    ) -> Self:
        pt = build_partable(
            parsed,
            n_groups=stats.n_groups,
            meanstructure=meanstructure,
            group_equal=equal,
            group_partial=partial,
        )
        ms = bool(pt["mat"].isin(["nu", "alpha"]).any())
        spec = ModelSpec(pt, parsed.observed, parsed.latent, stats.n_groups, ms)
        return cls(spec, stats)

    @property
    def nobs(self) -> list[int]:
        return list(self.stats.nobs)

    @property
    def n_total(self) -> int:
        return self.stats.ntotal

    def df(self) -> int:
        return int(self.spec.n_moments() - self.spec.npar)

    def objective(self, theta: np.ndarray) -> float:
        return self.estimator.objective(self.spec, self.stats, theta)

    def gradient_and_hessian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.estimator.gradient_and_hessian(self.spec, self.stats, theta)

    def start(self) -> np.ndarray:
        return self.spec.start(self.stats)

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        return self.estimator.vcov(self.spec, self.stats, theta)

    def baseline(self) -> dict:
        return self.estimator.baseline(self.spec, self.stats)

    def fit_indices(self, theta: np.ndarray, fmin: float) -> pd.Series:
        test = self.estimator.test(self.spec, self.stats, theta, fmin)
        base = self.baseline()
        srmr = srmr_bentler(self.stats, self.spec.implied(theta), self.spec.meanstructure)
        standard = fit_indices(
            test["chi2"], test["df"], base["chi2"], base["df"], self.stats.ntotal, self.stats.n_groups, srmr
        )
        return all_fit_indices(standard, baseline_chi2=base["chi2"], baseline_df=base["df"])

    def estimates_and_std(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return standardized_solution(self.spec, theta)


def _expanded(result: CFAResult):
    """Unconstrained version of ``result``'s model and the equality-constraint matrix."""
    spec = result.spec
    pt = spec.partable.copy()
    free = pt["free"].to_numpy()
    new_free = np.zeros(len(pt), dtype=np.int64)
    k = 0
    for i in range(len(pt)):
        if free[i] > 0:
            k += 1
            new_free[i] = k
    theta_full = np.zeros(k)
    theta_full[new_free[free > 0] - 1] = result.theta[free[free > 0] - 1]
    # constraint rows: each later row with the same original index equals the first one
    cons, info = [], []
    first_of: dict[int, int] = {}
    for i in range(len(pt)):
        if free[i] <= 0:
            continue
        if free[i] in first_of:
            j = first_of[free[i]]
            r = np.zeros(k)
            r[new_free[j] - 1] = 1.0
            r[new_free[i] - 1] = -1.0
            cons.append(r)
            info.append(i)
        else:
            first_of[free[i]] = i
    pt2 = pt.copy()
    pt2["free"] = new_free
    spec2 = ModelSpec(pt2, spec.observed, spec.latent, spec.n_groups, spec.meanstructure)
    R = np.array(cons) if cons else np.zeros((0, k))
    return spec2, theta_full, R, info


def _score_context(result: CFAResult):
    """Gradient and information of the unconstrained model at the constrained solution."""
    ctx = getattr(result, "_score_ctx", None)
    if ctx is None:
        spec2, th, R, rows = _expanded(result)
        with single_thread_blas():
            # the same discrepancy as the fit (ML, or FIML on the missing-data patterns)
            problem_type = cast("type[MLProblem | FIMLProblem]", type(result.problem))
            g, info = problem_type(spec2, result.stats).gradient_and_hessian(th)
        ctx = (g, info, R, rows)
        result._score_ctx = ctx
    return ctx


def _lm_statistic(g, info, R1, n) -> float:
    k = len(g)
    Z = np.block([[info, R1.T], [R1, np.zeros((len(R1), len(R1)))]])
    rhs = np.concatenate([g, np.zeros(len(R1))])
    try:
        x = np.linalg.solve(Z, rhs)
        if not np.all(np.isfinite(x)):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        x = np.linalg.pinv(Z) @ rhs  # lavaan uses MASS::ginv
    return float(n * g @ x[:k])


def constraint_score_tests(result: CFAResult, keys=None) -> pd.DataFrame:
    """lavaan ``lavTestScore`` univariate tests of the equality constraints of an ML fit.

    For every parameter shared across groups (or by a label), the statistic for freeing it
    in each group after the first (one row per constraint ``group 1 == group g``); ``keys``
    restricts to some ``equal_key`` values. With ``R`` the constraint matrix in the
    unconstrained parameter space, ``g`` the gradient of ``fmin`` and ``I`` the expected
    information there, the test of constraint ``r`` is ``N g' P_{-r} g`` with ``P_{-r}`` the
    upper-left block of ``[[I, R_{-r}'], [R_{-r}, 0]]^+`` (Bentler 1990; Satorra 1989;
    lavaan). Returns ``lhs, op, rhs, group, equal_key, x2, df, p_value``.
    """
    cols = ["lhs", "op", "rhs", "group", "equal_key", "x2", "df", "p_value"]
    g, info, R, rows = _score_context(result)
    if len(rows) == 0:
        return pd.DataFrame(columns=cols)
    N = result.stats.ntotal
    pt = result.spec.partable
    out = []
    sel_idx = [i for i, r in enumerate(rows) if keys is None or pt.at[r, "equal_key"] in keys]
    for ci in sel_idx:
        x2 = _lm_statistic(g, info, np.delete(R, ci, axis=0), N)
        r = pt.loc[rows[ci]]
        out.append(
            dict(
                lhs=r["lhs"],
                op=r["op"],
                rhs=r["rhs"],
                group=result.groups[r["group"] - 1],
                equal_key=r["equal_key"],
                x2=x2,
                df=1.0,
                p_value=float(sps.chi2.sf(x2, 1)),
            )
        )
    return pd.DataFrame(out, columns=cols)


def score_test_release(result: CFAResult, release_keys) -> float:
    """Multivariate score test for releasing all constraints whose key is in ``release_keys``."""
    g, info, R, rows = _score_context(result)
    pt = result.spec.partable
    release = set(release_keys)
    keep = [i for i, r in enumerate(rows) if pt.at[r, "equal_key"] not in release]
    return _lm_statistic(g, info, R[keep], result.stats.ntotal)
