"""Confirmatory factor analysis (CFA) with lavaan's defaults, single- and multi-group.

The engine has four parts, so that other estimators (WLSMV for ordinal items) plug in
without a rewrite; ``docs/validation_cfa.md`` documents this internal API.

(a) :class:`ModelSpec` -- the model: a lavaan-like parameter table
    (:func:`evalkit.validation.model_syntax.build_partable`) and the LISREL all-y
    matrices per group, ``Sigma = Lambda Psi Lambda' + Theta`` and
    ``mu = nu + Lambda alpha``, with their analytic Jacobian with respect to the free
    parameters (equality constraints = shared free indices).
(b) :class:`SampleStats` -- sample statistics per group (covariance with divisor N, means,
    sizes, plus an ``extra`` dict for estimator-specific statistics such as polychoric
    correlations, thresholds and weight matrices).
(c) an estimator object (:class:`MLEstimator`; ``"WLSMV"`` is looked up in
    :mod:`evalkit.validation.wlsmv`, see :func:`get_estimator`) with the discrepancy
    function, its gradient and expected Hessian, the standard errors, the test statistic
    and the baseline model.
(d) fit statistics: :func:`fit_indices` (CFI, TLI, RMSEA with 90% CI, as lavaan) and
    :func:`srmr_bentler`.

Estimation is Fisher scoring (Gauss-Newton on the expected information) with analytic
gradients and step halving, on the sample statistics only, so the cost after computing
the covariance matrices does not depend on the number of respondents.
"""
from __future__ import annotations

import contextlib
import importlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from evalkit.core.checks import check_columns, check_dataframe, check_lang, check_option, check_unique_column
from evalkit.core.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    ParameterError,
    SmallSampleWarning,
)
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.validation.model_syntax import GROUP_EQUAL_OPTIONS, ParsedModel, build_partable, parse_model

__all__ = [
    "cfa",
    "CFAResult",
    "ModelSpec",
    "SampleStats",
    "MLEstimator",
    "get_estimator",
    "available_estimators",
    "fit_indices",
    "srmr_bentler",
    "fit_model",
    "plot_loadings",
    "FIT_INDEX_NAMES",
]

#: The names (and order) of ``CFAResult.fit_indices``.
FIT_INDEX_NAMES: tuple[str, ...] = (
    "chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
)


# ========================================================================================
# (b) sample statistics
# ========================================================================================
@dataclass
class SampleStats:
    """Sample statistics per group.

    Attributes
    ----------
    observed : list of str
        Indicator names, in the order of the model's matrices.
    groups : list of str
        Group labels (one ``"all"`` for a single-group model).
    nobs : list of int
        Respondents per group after listwise deletion.
    cov : list of ndarray
        Covariance matrices with divisor ``N`` (lavaan's ``likelihood="normal"``).
    mean : list of ndarray
        Mean vectors.
    extra : dict
        Estimator-specific statistics (e.g. ``"polychoric"``, ``"thresholds"``,
        ``"weights"``, ``"gamma"`` per group for WLSMV).
    """

    observed: list[str]
    groups: list[str]
    nobs: list[int]
    cov: list[np.ndarray]
    mean: list[np.ndarray]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ntotal(self) -> int:
        return int(sum(self.nobs))

    @property
    def n_groups(self) -> int:
        return len(self.nobs)

    @property
    def weights(self) -> np.ndarray:
        """Group weights ``n_g / N``."""
        n = np.asarray(self.nobs, dtype=float)
        return n / n.sum()

    @classmethod
    def from_data(cls, data: pd.DataFrame, observed, group: str | None, groups) -> "SampleStats":
        """Covariances (divisor N) and means per group of complete-case ``data``.

        ``data`` holds complete cases; its ``group`` column holds the group labels as
        strings (as :func:`cfa` prepares it).
        """
        x_all = data[list(observed)].to_numpy(dtype=float)
        if group is None:
            codes = np.zeros(len(x_all), dtype=np.int64)
        else:
            codes = pd.Categorical(data[group], categories=list(groups)).codes
        covs, means, nobs = [], [], []
        for k in range(len(groups)):
            x = x_all if group is None else x_all[codes == k]
            n = x.shape[0]
            m = x.mean(axis=0)
            xc = x - m  # centre first: accurate also when means dwarf the variances
            s = (xc.T @ xc) / n
            covs.append(s)
            means.append(m)
            nobs.append(int(n))
        return cls(list(observed), [str(g) for g in groups], nobs, covs, means)


# ========================================================================================
# (a) the model
# ========================================================================================
class ModelSpec:
    """A measurement model: parameter table + LISREL all-y matrices per group.

    Parameters
    ----------
    partable : DataFrame
        From :func:`~evalkit.validation.model_syntax.build_partable`.
    observed, latent : list of str
        Indicator and factor names (matrix order).
    n_groups : int
    meanstructure : bool

    Notes
    -----
    ``theta`` (the free-parameter vector, length :attr:`npar`) maps to the matrices
    through ``partable.free`` (1-based; 0 = fixed). :meth:`implied` gives
    ``(Sigma_g, mu_g)`` and :meth:`jacobian` gives ``dSigma_g`` (npar x p x p) and
    ``dmu_g`` (npar x p) per group. Threshold rows (``mat == "tau"``) are carried in the
    table and in :meth:`matrices` (``"tau"``: list per indicator) for ordinal estimators;
    they do not enter ``Sigma``/``mu``.
    """

    def __init__(self, partable: pd.DataFrame, observed, latent, n_groups: int, meanstructure: bool):
        self.partable = partable.reset_index(drop=True)
        self.observed = list(observed)
        self.latent = list(latent)
        self.n_groups = int(n_groups)
        self.meanstructure = bool(meanstructure)
        self.p = len(self.observed)
        self.m = len(self.latent)
        self.npar = int(self.partable["free"].max()) if len(self.partable) else 0
        self._blocks = []
        pt = self.partable
        grp = pt["group"].to_numpy()
        mat_ = pt["mat"].to_numpy(dtype=object)
        row_ = pt["row"].to_numpy(np.int64)
        col_ = pt["col"].to_numpy(np.int64)
        free_ = pt["free"].to_numpy(np.int64) - 1
        val_ = pt["value"].to_numpy(float)
        for g in range(self.n_groups):
            blk = {}
            for mat in ("lambda", "theta", "psi", "nu", "alpha", "tau"):
                sel = (grp == g + 1) & (mat_ == mat)
                blk[mat] = dict(row=row_[sel], col=col_[sel], free=free_[sel], value=val_[sel])
            self._blocks.append(blk)

    # -- matrices ---------------------------------------------------------------------
    def _fill(self, theta, blk, mat, shape):
        b = blk[mat]
        out = np.zeros(shape)
        vals = np.where(b["free"] >= 0, theta[np.maximum(b["free"], 0)] if len(theta) else 0.0, b["value"])
        if len(shape) == 1:
            out[b["row"]] = vals
        else:
            out[b["row"], b["col"]] = vals
            if mat in ("theta", "psi"):
                out[b["col"], b["row"]] = vals
        return out

    def matrices(self, theta: np.ndarray, group: int) -> dict[str, np.ndarray]:
        """Model matrices of one group (0-based): lambda, theta, psi, nu, alpha, tau."""
        theta = np.asarray(theta, dtype=float)
        blk = self._blocks[group]
        out = {
            "lambda": self._fill(theta, blk, "lambda", (self.p, self.m)),
            "theta": self._fill(theta, blk, "theta", (self.p, self.p)),
            "psi": self._fill(theta, blk, "psi", (self.m, self.m)),
            "nu": self._fill(theta, blk, "nu", (self.p,)),
            "alpha": self._fill(theta, blk, "alpha", (self.m,)),
        }
        b = blk["tau"]
        if len(b["row"]):
            vals = np.where(b["free"] >= 0, theta[np.maximum(b["free"], 0)], b["value"])
            out["tau"] = [vals[b["row"] == i][np.argsort(b["col"][b["row"] == i])] for i in range(self.p)]
        return out

    def implied(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Model-implied ``(Sigma, mu)`` per group."""
        out = []
        for g in range(self.n_groups):
            M = self.matrices(theta, g)
            L = M["lambda"]
            sigma = L @ M["psi"] @ L.T + M["theta"]
            mu = M["nu"] + L @ M["alpha"]
            out.append((sigma, mu))
        return out

    def jacobian(self, theta: np.ndarray, group: int) -> tuple[np.ndarray, np.ndarray]:
        """Analytic derivatives of ``Sigma`` and ``mu`` of one group w.r.t. ``theta``.

        Returns ``dSigma`` with shape (npar, p, p) and ``dmu`` with shape (npar, p).
        """
        M = self.matrices(theta, group)
        L, P, A = M["lambda"], M["psi"], M["alpha"]
        k, p = self.npar, self.p
        dS = np.zeros((k, p, p))
        dmu = np.zeros((k, p))
        blk = self._blocks[group]
        b = blk["lambda"]
        sel = b["free"] >= 0
        if sel.any():
            J, R, C = b["free"][sel], b["row"][sel], b["col"][sel]
            PL = P @ L.T  # m x p
            np.add.at(dS, (J, R), PL[C])
            np.add.at(dS, (J, slice(None), R), PL[C])
            np.add.at(dmu, (J, R), A[C])
        b = blk["psi"]
        sel = b["free"] >= 0
        if sel.any():
            J, R, C = b["free"][sel], b["row"][sel], b["col"][sel]
            outer = L[:, R].T[:, :, None] * L[:, C].T[:, None, :]
            off = (R != C)
            outer = outer + np.where(off[:, None, None], np.transpose(outer, (0, 2, 1)), 0.0)
            np.add.at(dS, J, outer)
        b = blk["theta"]
        sel = b["free"] >= 0
        if sel.any():
            J, R, C = b["free"][sel], b["row"][sel], b["col"][sel]
            np.add.at(dS, (J, R, C), 1.0)
            off = R != C
            np.add.at(dS, (J[off], C[off], R[off]), 1.0)
        b = blk["nu"]
        sel = b["free"] >= 0
        if sel.any():
            np.add.at(dmu, (b["free"][sel], b["row"][sel]), 1.0)
        b = blk["alpha"]
        sel = b["free"] >= 0
        if sel.any():
            np.add.at(dmu, b["free"][sel], L[:, b["row"][sel]].T)
        return dS, dmu

    # -- bookkeeping ------------------------------------------------------------------
    def n_moments(self) -> int:
        """Sample moments per group times groups (covariances + means if meanstructure)."""
        p = self.p
        return self.n_groups * (p * (p + 1) // 2 + (p if self.meanstructure else 0))

    def values(self, theta: np.ndarray) -> np.ndarray:
        """Value of every row of the parameter table (fixed or estimated)."""
        f = self.partable["free"].to_numpy() - 1
        v = self.partable["value"].to_numpy(float).copy()
        v[f >= 0] = np.asarray(theta)[f[f >= 0]]
        return v

    def start(self, stats: SampleStats) -> np.ndarray:
        """Starting values: marker-based loadings, half the variance as residual variance.

        Each indicator is assumed to have reliability 0.5 for its marker: ``psi =
        0.5 s_mm / lambda_m^2``, ``lambda_i = s_im / (lambda_m psi)``, ``theta_ii =
        0.5 s_ii``; covariances start at 0, intercepts at the sample means, latent means
        at 0. Parameters shared across groups start at the average over groups.
        """
        acc = np.zeros(self.npar)
        cnt = np.zeros(self.npar)
        recs = self.partable.to_dict("records")
        oidx = {v: i for i, v in enumerate(self.observed)}
        for g in range(self.n_groups):
            S, xbar = stats.cov[g], stats.mean[g]
            sub = [(i, r) for i, r in enumerate(recs) if r["group"] == g + 1]
            psi_var = {r["lhs"]: (i, r) for i, r in sub if r["mat"] == "psi" and r["lhs"] == r["rhs"]}
            vals: dict[int, float] = {}
            for f in self.latent:
                rows = [(i, r) for i, r in sub if r["op"] == "=~" and r["lhs"] == f]
                if not rows:
                    continue
                i0, first = rows[0]
                mi = oidx[first["rhs"]]
                smm = max(S[mi, mi], 1e-8)
                lm = 1.0 if first["free"] > 0 or not math.isfinite(first["value"]) else first["value"]
                pv = psi_var.get(f)
                if pv is not None and pv[1]["free"] == 0:
                    psi = float(pv[1]["value"])
                    if first["free"] > 0 and psi > 0:
                        lm = math.sqrt(0.5 * smm / psi)
                else:
                    psi = 0.5 * smm / (lm * lm if lm != 0 else 1.0)
                    if pv is not None:
                        vals[pv[0]] = psi
                for i, r in rows:
                    if r["free"] > 0:
                        if i == i0:
                            vals[i] = lm
                        else:
                            denom = lm * psi if lm * psi != 0 else 1.0
                            vals[i] = S[oidx[r["rhs"]], mi] / denom
            for i, r in sub:
                if r["free"] == 0 or i in vals:
                    continue
                if r["mat"] == "theta":
                    vals[i] = 0.5 * S[r["row"], r["row"]] if r["row"] == r["col"] else 0.0
                elif r["mat"] == "psi":
                    vals[i] = 0.05 if r["row"] == r["col"] else 0.0
                elif r["mat"] == "nu":
                    vals[i] = xbar[r["row"]]
                else:
                    vals[i] = 0.0
            for i, v in vals.items():
                j = recs[i]["free"] - 1
                acc[j] += v
                cnt[j] += 1
        return np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.0)


# ========================================================================================
# (c) estimators
# ========================================================================================
class MLEstimator:
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

    def sample_statistics(self, data, observed, group, groups, spec=None) -> SampleStats:
        return SampleStats.from_data(data, observed, group, groups)

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
        return _inverse(stats.ntotal * info)

    def test(self, spec, stats, theta, fmin) -> dict:
        chi2 = 2.0 * stats.ntotal * fmin
        df = spec.n_moments() - spec.npar
        p = float(stats_chi2_sf(chi2, df))
        return {"chi2": chi2, "df": float(df), "p_value": p}

    def baseline(self, spec, stats) -> dict:
        """Independence model: free variances (and means), all covariances zero."""
        chi2 = 0.0
        for g, S in enumerate(stats.cov):
            chi2 += stats.nobs[g] * (np.log(np.diag(S)).sum() - self._logdetS[g])
        p = spec.p
        df = spec.n_groups * (p * (p + 1) // 2 - p)
        return {"chi2": chi2, "df": float(df)}


def stats_chi2_sf(x, df):
    if df <= 0:
        return np.nan
    return stats.chi2.sf(x, df)


def _inverse(a: np.ndarray) -> np.ndarray:
    try:
        c = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise EstimationError(
            "the information matrix is singular: the model is not identified (check that "
            "every factor has a fixed loading or a fixed variance, and at least 3 "
            "indicators or correlated factors)."
        ) from None
    ci = np.linalg.inv(c)
    return ci.T @ ci


#: registry of built-in estimators; "WLSMV" is resolved from evalkit.validation.wlsmv
_BUILTIN = {"ML": MLEstimator}


def _wlsmv_module():
    """``evalkit.validation.wlsmv`` if it exists (else None)."""
    try:
        return importlib.import_module("evalkit.methods.validation.wlsmv")
    except ModuleNotFoundError:
        return None


def available_estimators() -> list[str]:
    """Estimators that :func:`cfa` accepts now (``"WLSMV"`` once its module exists)."""
    names = list(_BUILTIN)
    mod = _wlsmv_module()
    if mod is not None and (hasattr(mod, "make_estimator") or hasattr(mod, "fit_wlsmv")):
        names.append("WLSMV")
    return names


def _check_estimator(name: str) -> str:
    return check_option("estimator", name, available_estimators())


def _delegated(name: str, function: str):
    """The function a non-engine estimator provides (``wlsmv.fit_wlsmv``), or None.

    Two ways to add ``"WLSMV"`` (see docs/validation_cfa.md):

    1. engine level: ``wlsmv.make_estimator()`` returns an estimator object (the
       :class:`MLEstimator` protocol); :func:`cfa` and :func:`invariance` then run it on
       this module's parameter table, optimiser, result and invariance machinery;
    2. function level: ``wlsmv.fit_wlsmv(data, model, *, group, equal, partial)`` and
       ``wlsmv.invariance_wlsmv(data, model, *, group, alpha)``, to which :func:`cfa` and
       :func:`invariance` hand the call (the WLSMV result types then apply).
    """
    if name in _BUILTIN:
        return None
    mod = _wlsmv_module()
    if mod is None or hasattr(mod, "make_estimator"):
        return None
    return getattr(mod, function, None)


def get_estimator(name: str):
    """Return an estimator object for ``name``.

    ``"ML"`` is built in. ``"WLSMV"`` is delegated to
    ``evalkit.validation.wlsmv.make_estimator()``, which must return an object with the
    same methods as :class:`MLEstimator` (see docs/validation_cfa.md). Until that module
    exists, asking for it raises :class:`~evalkit.ParameterError` listing the allowed
    estimators.
    """
    _check_estimator(name)
    if name in _BUILTIN:
        return _BUILTIN[name]()
    mod = _wlsmv_module()
    if not hasattr(mod, "make_estimator"):
        raise ParameterError(
            f"estimator={name!r} has no engine-level estimator object "
            "(evalkit.validation.wlsmv.make_estimator); use cfa()/invariance() with it."
        )
    return mod.make_estimator()


# ========================================================================================
# optimiser
# ========================================================================================
@dataclass
class FitState:
    theta: np.ndarray
    fmin: float
    iterations: int
    converged: bool
    grad_max: float


_BLAS_CONTROLLER = None


def single_thread_blas():
    """Context manager limiting BLAS to one thread (via threadpoolctl when installed).

    The matrices of a factor model are small (tens of rows); multi-threaded BLAS only adds
    synchronisation, which on a loaded machine made fits 10x slower.
    """
    global _BLAS_CONTROLLER
    try:
        if _BLAS_CONTROLLER is None:
            from threadpoolctl import ThreadpoolController
            _BLAS_CONTROLLER = ThreadpoolController()
        return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
    except Exception:  # threadpoolctl missing or failing: run as is
        return contextlib.nullcontext()


def fit_model(spec: ModelSpec, stats: SampleStats, estimator, theta0=None, *,
              max_iter: int = 500, tol: float = 1e-9) -> FitState:
    """Minimise ``estimator.objective`` (see :func:`_fit_model`) with single-threaded BLAS."""
    with single_thread_blas():
        return _fit_model(spec, stats, estimator, theta0, max_iter=max_iter, tol=tol)


def _fit_model(spec: ModelSpec, stats: SampleStats, estimator, theta0=None, *,
               max_iter: int = 500, tol: float = 1e-9) -> FitState:
    """Minimise ``estimator.objective`` by Fisher scoring with step halving.

    Each step solves ``H d = g`` with ``g, H = estimator.gradient_and_hessian(...)``
    (analytic gradient, expected Hessian) and halves the step until the discrepancy
    decreases (and the implied covariance stays positive definite). Converged when the
    largest absolute gradient element is below ``tol`` (lavaan's ``fmin`` scale).
    """
    theta = spec.start(stats) if theta0 is None else np.asarray(theta0, float).copy()
    f = estimator.objective(spec, stats, theta)
    if not np.isfinite(f):
        # fall back to a safe start: small loadings, variances from the data
        theta = np.where(np.isfinite(theta), theta, 0.0)
        f = estimator.objective(spec, stats, theta)
        if not np.isfinite(f):
            raise EstimationError("no valid starting values: the implied covariance is not positive definite.")
    converged = False
    gmax = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        g, H = estimator.gradient_and_hessian(spec, stats, theta)
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        if gmax < tol:
            converged = True
            break
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        t = 1.0
        while True:
            new = theta - t * step
            fn = estimator.objective(spec, stats, new)
            if np.isfinite(fn) and fn <= f + 1e-12 * max(1.0, abs(f)):
                break
            t *= 0.5
            if t < 1e-12:
                break
        if t < 1e-12:
            # no decrease possible along the scoring direction: try the gradient direction
            res = optimize.minimize(lambda x: estimator.objective(spec, stats, x), theta,
                                    jac=lambda x: estimator.gradient_and_hessian(spec, stats, x)[0],
                                    method="L-BFGS-B", options={"maxiter": 200, "gtol": tol})
            if res.fun < f:
                theta, f = res.x, res.fun
                continue
            break
        theta, f = new, fn
    if not converged:
        g, _ = estimator.gradient_and_hessian(spec, stats, theta)
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        converged = gmax < 1e-6
    return FitState(theta, float(f), it, converged, gmax)


# ========================================================================================
# (d) fit statistics
# ========================================================================================
def _rmsea_ci(chi2, df, n, g, level=0.90):
    """lavaan's RMSEA confidence interval (non-central chi-square inversion)."""
    if df <= 0 or not np.isfinite(chi2):
        return np.nan, np.nan
    lo_p, hi_p = (1 + level) / 2, (1 - level) / 2

    def f(lam, pr):  # non-central chi-square cdf (scipy.special.chndtr = stats.ncx2.cdf)
        return special.chndtr(chi2, df, lam) - pr if lam > 0 else special.chdtr(df, chi2) - pr

    if f(0.0, lo_p) < 0:
        lam_l = 0.0
    else:
        lam_l = optimize.brentq(f, 0.0, chi2, args=(lo_p,), xtol=1e-12, rtol=1e-14)
    if f(0.0, hi_p) < 0:
        lam_u = 0.0
    else:
        lam_u = optimize.brentq(f, 0.0, max(n, chi2 * 4), args=(hi_p,), xtol=1e-12, rtol=1e-14)
    return (math.sqrt(lam_l / (n * df)) * math.sqrt(g), math.sqrt(lam_u / (n * df)) * math.sqrt(g))


def fit_indices(chi2: float, df: float, chi2_base: float, df_base: float, n: int,
                n_groups: int = 1, srmr: float = np.nan) -> pd.Series:
    """Fit indices exactly as lavaan's ``fitMeasures``.

    - ``cfi = 1 - max(chi2 - df, 0) / max(chi2 - df, chi2_b - df_b, 0)`` (Bentler 1990);
    - ``tli = (chi2_b/df_b - chi2/df) / (chi2_b/df_b - 1)`` (Tucker & Lewis 1973);
    - ``rmsea = sqrt(max(chi2/(N df) - 1/N, 0)) * sqrt(G)`` (Steiger 1990; lavaan uses N
      and multiplies by sqrt(G) for G groups), its 90% CI from the non-central
      chi-square (Browne & Cudeck 1993) with the same scaling.
    """
    p_value = float(stats_chi2_sf(chi2, df))
    t1 = max(chi2 - df, 0.0)
    t2 = max(chi2 - df, chi2_base - df_base, 0.0)
    cfi = 1.0 if t1 == 0 and t2 == 0 else 1.0 - t1 / t2
    if df > 0 and df_base > 0:
        tli = (chi2_base / df_base - chi2 / df) / (chi2_base / df_base - 1.0)
        rmsea = math.sqrt(max(chi2 / (n * df) - 1.0 / n, 0.0)) * math.sqrt(n_groups)
        lo, hi = _rmsea_ci(chi2, df, n, n_groups)
    else:
        # saturated model (df = 0): lavaan reports TLI 1 and RMSEA 0 [0, 0]
        tli = 1.0 if df == 0 else np.nan
        rmsea, lo, hi = (0.0, 0.0, 0.0) if df == 0 else (np.nan,) * 3
    return pd.Series(
        [chi2, float(df), p_value, cfi, tli, rmsea, lo, hi, srmr], index=list(FIT_INDEX_NAMES),
        dtype=float, name="fit_indices",
    )


def srmr_bentler(stats: SampleStats, implied, meanstructure: bool) -> float:
    """lavaan's ``srmr`` (= ``srmr_bentler``): residuals scaled by the sample SDs.

    Per group ``sqrt(mean of squared standardised residuals over the p(p+1)/2 unique
    covariances [and the p means under a mean structure])``, then weighted by ``n_g/N``.
    """
    out = 0.0
    w = stats.weights
    for g, (sigma, mu) in enumerate(implied):
        S = stats.cov[g]
        sd = 1.0 / np.sqrt(np.diag(S))
        R = (S - sigma) * np.outer(sd, sd)
        il = np.tril_indices(len(sd))
        ss = np.sum(R[il] ** 2)
        e = len(il[0])
        if meanstructure:
            ss += np.sum(((stats.mean[g] - mu) * sd) ** 2)
            e += len(sd)
        out += w[g] * math.sqrt(ss / e)
    return out


# ========================================================================================
# data handling and the public function
# ========================================================================================
def _prepare_data(data, parsed: ParsedModel, group, *, min_group_size: int | None = None):
    check_dataframe(data)
    cols = set(map(str, data.columns))
    unknown = [v for v in parsed.observed if v not in cols]
    if unknown:
        raise ParameterError(
            "model syntax names variables that are not columns of data: "
            + ", ".join(repr(u) for u in unknown)
            + f" (latent variables are: {', '.join(parsed.latent)})."
        )
    clash = [v for v in parsed.latent if v in cols]
    if clash:
        raise ParameterError(
            f"latent variable name(s) {', '.join(map(repr, clash))} are also columns of data; "
            "rename the factor(s)."
        )
    if group is not None:
        check_columns(data, group=group)
        if group in parsed.observed:
            raise ParameterError(f"group={group!r} is also an indicator of the model.")
    items = list(parsed.observed)
    use = items + ([group] if group is not None else [])
    for c in use:
        check_unique_column(data, c)
    df = data[use]
    for c in items:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise DataValidationError(f"item {c!r} is not numeric (dtype {df[c].dtype}).")
    x = df[items].to_numpy(dtype=float)
    complete = np.isfinite(x).all(axis=1)
    if group is not None:
        complete &= df[group].notna().to_numpy()
    n_drop = int((~complete).sum())
    if n_drop:
        warnings.warn(
            f"{n_drop} of {len(df)} respondents with missing values on the items"
            + (" or the group" if group else "")
            + " were dropped (listwise deletion, lavaan's default for ML).",
            DataQualityWarning, stacklevel=3,
        )
        df = df.loc[complete]
        x = x[complete]
    if len(df) == 0:
        raise DataValidationError("no respondent has complete answers on all items of the model.")
    if group is None:
        groups = ["all"]
        codes = np.zeros(len(x), dtype=np.int64)
    else:
        labels = _group_labels(df[group])
        codes, uniq = pd.factorize(labels)  # order of appearance, as lavaan
        groups = [str(u) for u in uniq]
        if len(groups) < 2:
            raise DataValidationError(f"group={group!r} has only one value ({groups[0]!r}) in the complete cases.")
        df = df.assign(**{group: labels})
    p = len(items)
    for k, g in enumerate(groups):
        sub = x if group is None else x[codes == k]
        where = "" if group is None else f" in group {g!r}"
        need = max(p + 1, min_group_size or 0)
        if len(sub) < need:
            raise DataValidationError(
                f"too few respondents{where}: {len(sub)} with complete answers, at least "
                f"{need} needed for {p} items."
            )
        const = [c for c, lo, hi in zip(items, sub.min(axis=0), sub.max(axis=0)) if not hi > lo]
        if const:
            raise DataValidationError(
                f"item(s) {', '.join(map(repr, const))} have no variance{where} (everyone gave "
                "the same answer); drop them from the model."
            )
        if len(sub) < 5 * p:
            warnings.warn(
                f"only {len(sub)} respondents{where} for {p} items; CFA estimates and fit "
                "indices are unstable below about 5-10 respondents per item.",
                SmallSampleWarning, stacklevel=3,
            )
    return df, groups


def _group_labels(col: pd.Series) -> pd.Series:
    """Group labels as text; whole numbers stored as floats (a column with a missing value)
    print as ``7``, not ``7.0``."""
    if pd.api.types.is_float_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        if np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)):
            return pd.Series(vals.astype(np.int64), index=col.index).astype(str)
    return col.astype(str)


def _check_equal(equal) -> tuple[str, ...]:
    if isinstance(equal, str):
        equal = (equal,)
    equal = tuple(equal or ())
    for e in equal:
        check_option("equal", e, GROUP_EQUAL_OPTIONS)
    return equal


def cfa(data: pd.DataFrame, model: str, *, estimator: str = "ML", group: str | None = None,
        equal=(), partial=(), meanstructure: bool | None = None) -> "CFAResult":
    r"""Confirmatory factor analysis with lavaan's ``cfa()`` defaults.

    Maximum likelihood (lavaan ``likelihood="normal"``: sample covariances with divisor
    N) on the complete cases, first loading of each factor fixed to 1, all residual
    variances, factor variances and factor covariances free; with ``group`` a mean
    structure with free intercepts and factor means fixed at 0 (free in groups after
    the first when intercepts are equal, as lavaan). Equality constraints across groups
    follow lavaan's ``group.equal``; standard errors come from the expected information.
    The model is

    .. math:: \Sigma_g = \Lambda_g \Psi_g \Lambda_g' + \Theta_g, \quad
              \mu_g = \nu_g + \Lambda_g \alpha_g,

    fitted by minimising
    :math:`F = \tfrac12\sum_g \tfrac{n_g}{N}[\log|\Sigma_g| + \mathrm{tr}(S_g\Sigma_g^{-1})
    - \log|S_g| - p + (\bar y_g-\mu_g)'\Sigma_g^{-1}(\bar y_g-\mu_g)]`, with
    :math:`\chi^2 = 2NF` (Joreskog 1969; Bollen 1989; Rosseel 2012, lavaan).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; numeric item columns.
    model : str
        lavaan-style syntax, e.g. ``"social =~ y01 + y02 + y03"`` (see
        :mod:`evalkit.validation.model_syntax`).
    estimator : {"ML"}
        ``"WLSMV"`` becomes available with :mod:`evalkit.validation.wlsmv`.
    group : str, optional
        Column defining groups for a multi-group model.
    equal : sequence of str
        lavaan ``group.equal``: any of ``"loadings", "intercepts", "means", "residuals",
        "residual.covariances", "lv.variances", "lv.covariances"``.
    partial : sequence of str
        lavaan ``group.partial``: parameters exempt from ``equal``, e.g. ``("x3~1",)``.
    meanstructure : bool, optional
        Force a mean structure in a single-group model (default: only with groups).

    Returns
    -------
    CFAResult
        ``fit_indices`` (Series ``chi2, df, p_value, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr``), ``loadings``, ``parameters``, ``tidy()``,
        ``summary()``, ``plot()``.

    Raises
    ------
    ParameterError
        Unknown option, unknown variable names in the syntax.
    DataValidationError
        Non-numeric item, an item without variance, too few respondents (per group).
    EstimationError
        Unidentified model or no valid solution.

    Warns
    -----
    ConvergenceWarning
        The optimiser stopped before the gradient vanished.
    DataQualityWarning
        Respondents dropped for missing values; negative variance estimates.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(500, 1))
    >>> x = f @ np.array([[0.8, 0.7, 0.6, 0.5]]) + rng.normal(scale=0.6, size=(500, 4))
    >>> df = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    >>> res = cfa(df, "f =~ a + b + c + d")
    >>> list(res.fit_indices.index)[:3]
    ['chi2', 'df', 'p_value']
    """
    _check_estimator(estimator)
    equal = _check_equal(equal)
    if meanstructure is not None and not isinstance(meanstructure, (bool, np.bool_)):
        raise ParameterError(f"meanstructure must be None, True or False, got {meanstructure!r}.")
    if isinstance(partial, str):
        partial = (partial,)
    delegate = _delegated(estimator, "fit_wlsmv")
    if delegate is not None:  # function-level hook (see _delegated)
        return delegate(data, model, group=group, equal=equal, partial=tuple(partial))
    est = get_estimator(estimator)
    parsed = parse_model(model)
    df, groups = _prepare_data(data, parsed, group)
    if equal and group is None:
        raise ParameterError("equal=... needs group=...: equality constraints are across groups.")
    return _fit(df, parsed, est, group, groups, equal, tuple(partial), meanstructure, model)


#: iteration limit of the optimiser used by cfa()/invariance()
MAX_ITER = 500


def _fit(df, parsed, est, group, groups, equal, partial, meanstructure, model, theta0=None,
         stats_=None):
    thresholds = None
    if hasattr(est, "thresholds"):
        thresholds = est.thresholds(df, parsed, group, groups)
    pt = build_partable(parsed, n_groups=len(groups), meanstructure=meanstructure,
                        group_equal=equal, group_partial=partial, thresholds=thresholds)
    if hasattr(est, "adjust_partable"):  # hook: e.g. delta parameterisation fixes theta
        pt = est.adjust_partable(pt, parsed)
    ms = bool(pt["mat"].isin(["nu", "alpha"]).any())
    spec_cls = getattr(est, "spec_class", ModelSpec)  # hook: a ModelSpec subclass
    spec = spec_cls(pt, parsed.observed, parsed.latent, len(groups), ms)
    if stats_ is None:
        stats_ = est.sample_statistics(df, parsed.observed, group, groups, spec)
    est.prepare(spec, stats_)
    dfree = spec.n_moments() - spec.npar
    if dfree < 0:
        raise EstimationError(
            f"the model has more free parameters ({spec.npar}) than sample moments "
            f"({spec.n_moments()}): it is not identified."
        )
    state = fit_model(spec, stats_, est, theta0, max_iter=MAX_ITER)
    if not state.converged:
        warnings.warn(
            f"CFA did not converge after {state.iterations} iterations (largest gradient "
            f"{state.grad_max:.2e}); results are unreliable.",
            ConvergenceWarning, stacklevel=3,
        )
    with single_thread_blas():
        return CFAResult._build(spec, stats_, est, state, group=group, equal=equal, partial=partial,
                                model=model, parsed=parsed)


# ========================================================================================
# result
# ========================================================================================
_TITLE = {"nl": "Confirmatieve factoranalyse", "en": "Confirmatory factor analysis"}
#: Words of the fit verdict in CFAResult.summary (good / mediocre / poor).
_FIT_WORDS = {
    "nl": {"verdict": ("goed", "matig", "onvoldoende"), "head": "Passing van het model bij de gegevens",
           "meets": "Voldoet aan de vuistregel", "fails": "Voldoet niet",
           "source": "Vuistregels van Hu & Bentler 1999."},
    "en": {"verdict": ("good", "mediocre", "poor"), "head": "Fit of the model to the data",
           "meets": "Meets the rule of thumb", "fails": "Does not meet it",
           "source": "Rules of thumb of Hu & Bentler 1999."},
}


class CFAResult(Result):
    """Result of :func:`cfa`.

    Attributes
    ----------
    fit_indices : pandas.Series
        ``chi2, df, p_value, cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper, srmr``.
    loadings : pandas.DataFrame
        ``factor, item, estimate, std_error, std_all, z, p_value`` (``group`` first for
        multi-group models); fixed loadings have NaN standard errors.
    parameters : pandas.DataFrame
        The full parameter table: ``lhs, op, rhs, group, label, free, estimate,
        std_error, z, p_value, ci_lower, ci_upper, std_all`` (one row per matrix element
        per group; rows constrained equal share ``free``).
    baseline : dict
        ``chi2`` and ``df`` of the independence (baseline) model.
    n : int
        Respondents used (complete cases); ``nobs`` per group.
    converged, iterations : bool, int
    spec, stats, estimator, theta, vcov
        The engine objects (see docs/validation_cfa.md).
    """

    title = _TITLE

    @classmethod
    def _build(cls, spec, stats_, est, state, *, group, equal, partial, model, parsed):
        self = cls()
        self.spec, self.stats, self.estimator, self.theta = spec, stats_, est, state.theta
        self.fmin, self.converged, self.iterations = state.fmin, state.converged, state.iterations
        self.group, self.equal, self.partial, self.model, self.parsed = group, equal, partial, model, parsed
        self.groups = stats_.groups
        self.n = stats_.ntotal
        self.nobs = dict(zip(stats_.groups, stats_.nobs))
        self.vcov = est.vcov(spec, stats_, state.theta)
        test = est.test(spec, stats_, state.theta, state.fmin)
        self.test = test
        self.baseline = est.baseline(spec, stats_)
        implied = spec.implied(state.theta)
        self.implied = implied
        srmr = est.srmr(spec, stats_, state.theta) if hasattr(est, "srmr") else srmr_bentler(
            stats_, implied, spec.meanstructure)
        fi = fit_indices(test["chi2"], test["df"], self.baseline["chi2"], self.baseline["df"],
                         stats_.ntotal, stats_.n_groups, srmr)
        if hasattr(est, "extra_fit_indices"):  # hook: e.g. chi2_scaled, cfi_scaled, ...
            extra_fi = est.extra_fit_indices(spec, stats_, state.theta, test, self.baseline)
            fi = pd.concat([fi, pd.Series(extra_fi, dtype=float)])
            fi.name = "fit_indices"
        self.fit_indices = fi
        extra = {k: v for k, v in test.items() if k not in ("chi2", "df", "p_value")}
        self.fit_extra = pd.Series(extra, dtype=float) if extra else pd.Series(dtype=float)
        self.parameters = self._parameter_table(implied)
        neg = self.parameters.loc[
            (self.parameters["op"] == "~~") & (self.parameters["lhs"] == self.parameters["rhs"])
            & (self.parameters["estimate"] < 0)
        ]
        if len(neg):
            warnings.warn(
                "negative variance estimate(s) (Heywood case): "
                + ", ".join(f"{r.lhs}~~{r.rhs}" for r in neg.itertuples())
                + "; the model may be misspecified or the sample too small.",
                DataQualityWarning, stacklevel=4,
            )
        return self

    def _parameter_table(self, implied) -> pd.DataFrame:
        spec = self.spec
        pt = spec.partable
        est = spec.values(self.theta)
        se_free = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        f = pt["free"].to_numpy() - 1
        se = np.where(f >= 0, se_free[np.maximum(f, 0)], np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        pv = 2 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(0.975)
        std = np.full(len(pt), np.nan)
        mats = [spec.matrices(self.theta, g) for g in range(spec.n_groups)]
        for i, r in enumerate(pt.itertuples(index=False)):
            g = r.group - 1
            sigma = implied[g][0]
            M = mats[g]
            psi = M["psi"]
            if r.mat == "lambda":
                std[i] = est[i] * math.sqrt(max(psi[r.col, r.col], 0)) / math.sqrt(sigma[r.row, r.row])
            elif r.mat == "theta" and r.row == r.col:
                std[i] = est[i] / sigma[r.row, r.row]
            elif r.mat == "theta":  # residual covariance -> residual correlation (lavaan)
                th = M["theta"]
                den = math.sqrt(max(th[r.row, r.row] * th[r.col, r.col], 0))
                std[i] = est[i] / den if den > 0 else np.nan
            elif r.mat == "psi":
                den = math.sqrt(max(psi[r.row, r.row] * psi[r.col, r.col], 0))
                std[i] = est[i] / den if den > 0 else np.nan
            elif r.mat == "nu":
                std[i] = est[i] / math.sqrt(sigma[r.row, r.row])
            elif r.mat == "alpha":
                den = math.sqrt(max(psi[r.row, r.row], 0))
                std[i] = est[i] / den if den > 0 else np.nan
            elif r.mat == "tau":
                std[i] = est[i] / math.sqrt(sigma[r.row, r.row])
        out = pd.DataFrame({
            "lhs": pt["lhs"].astype(str), "op": pt["op"].astype(str), "rhs": pt["rhs"].astype(str),
            "group": [self.groups[g - 1] for g in pt["group"]],
            "label": pt["label"].astype(str), "free": pt["free"].to_numpy(),
            "estimate": est, "std_error": se, "z": z, "p_value": pv,
            "ci_lower": np.where(f >= 0, est - q * se, est),
            "ci_upper": np.where(f >= 0, est + q * se, est),
            "std_all": std,
        })
        out.loc[f < 0, ["z", "p_value"]] = np.nan
        return out

    # -- views ------------------------------------------------------------------------
    @property
    def multigroup(self) -> bool:
        return len(self.groups) > 1

    @property
    def loadings(self) -> pd.DataFrame:
        p = self.parameters.loc[self.parameters["op"] == "=~"]
        cols = ["factor", "item", "estimate", "std_error", "std_all", "z", "p_value"]
        out = pd.DataFrame({
            "factor": p["lhs"].to_numpy(), "item": p["rhs"].to_numpy(),
            "estimate": p["estimate"].to_numpy(), "std_error": p["std_error"].to_numpy(),
            "std_all": p["std_all"].to_numpy(), "z": p["z"].to_numpy(),
            "p_value": p["p_value"].to_numpy(),
        }, columns=cols)
        if self.multigroup:
            out.insert(0, "group", p["group"].to_numpy())
        return out.reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """One row per free parameter (per group): ``term`` like ``social=~y01``.

        Extra columns: ``lhs, op, rhs, group, free, z, std_all``. Rows constrained equal
        (across groups or by a shared label) have the same ``free`` index and estimate.
        ``n`` is the group's number of respondents.
        """
        p = self.parameters.loc[self.parameters["free"] > 0]
        rows = []
        for r in p.itertuples(index=False):
            rows.append(dict(
                term=f"{r.lhs}{r.op}{r.rhs}", estimate=r.estimate, std_error=r.std_error,
                ci_lower=r.ci_lower, ci_upper=r.ci_upper, p_value=r.p_value,
                n=self.nobs[r.group], lhs=r.lhs, op=r.op, rhs=r.rhs, group=r.group,
                free=r.free, z=r.z, std_all=r.std_all,
            ))
        return tidy_frame(rows, extra=["lhs", "op", "rhs", "group", "free", "z", "std_all"])

    #: Conventional cut-offs for good fit (Hu & Bentler 1999), used in the summary text.
    GOOD_FIT = {"cfi": (">=", 0.95), "tli": (">=", 0.95), "rmsea": ("<=", 0.06), "srmr": ("<=", 0.08)}

    def summary(self, lang: str = "nl") -> str:
        """Readable text: sample, fit in words against the usual cut-offs, the loadings."""
        from evalkit.core.i18n import fmt_number, fmt_p
        check_lang(lang)
        fi = self.fit_indices
        nl = lang == "nl"
        lines = [self.title[lang]]
        lines.append(
            (f"Schatter: {self.estimator.name}; n = {self.n}" if nl else
             f"Estimator: {self.estimator.name}; n = {self.n}")
            + ("" if not self.multigroup else
               (("; groepen: " if nl else "; groups: ")
                + ", ".join(f"{g} (n = {n})" for g, n in self.nobs.items())))
        )
        if self.equal:
            lines.append(("Gelijk over groepen: " if nl else "Equal across groups: ") + ", ".join(self.equal))
        if not self.converged:
            lines.append("LET OP: niet geconvergeerd; de uitkomsten zijn onbetrouwbaar." if nl
                         else "WARNING: not converged; the results are unreliable.")
        f2 = lambda x, d=3: fmt_number(float(x), d, lang)  # noqa: E731
        df_txt = fmt_number(float(fi["df"]), 0, lang)
        lines.append(
            f"chi2({df_txt}) = {f2(fi['chi2'])}, {fmt_p(float(fi['p_value']), lang)}; "
            f"CFI = {f2(fi['cfi'])}; TLI = {f2(fi['tli'])}; RMSEA = {f2(fi['rmsea'])} "
            f"[{f2(fi['rmsea_ci_lower'])}; {f2(fi['rmsea_ci_upper'])}]; SRMR = {f2(fi['srmr'])}"
        )
        good, bad = [], []
        for k, (op, cut) in self.GOOD_FIT.items():
            v = float(fi[k])
            if not np.isfinite(v):
                continue
            ok = v >= cut if op == ">=" else v <= cut
            (good if ok else bad).append(f"{k.upper()} {f2(v)} ({'≥' if op == '>=' else '≤'} {f2(cut, 2)})")
        if float(fi["df"]) == 0:
            lines.append("Het model is verzadigd (df = 0): of het bij de gegevens past, is niet te toetsen."
                         if nl else "The model is saturated (df = 0): its fit cannot be tested.")
        elif good or bad:
            w = _FIT_WORDS[lang]
            verdict = w["verdict"][0 if not bad else 1 if len(good) >= 2 else 2]
            text = f"{w['head']}: {verdict}."
            if good:
                text += f" {w['meets']}: " + ", ".join(good) + "."
            if bad:
                text += f" {w['fails']}: " + ", ".join(bad) + "."
            lines.append(text + f" ({w['source']})")
        lines.append("")
        lines.append("Ladingen (gestandaardiseerd: tussen 0 en 1; 0,4 of meer is een duidelijke samenhang):"
                     if nl else "Loadings (standardised: between 0 and 1; 0.4 or more is a clear relation):")
        ld = self.loadings[[c for c in ("group", "factor", "item", "estimate", "std_error", "std_all")
                            if c in self.loadings]].copy()
        for c in ("estimate", "std_error", "std_all"):
            ld[c] = [("vast" if nl else "fixed") if (c == "std_error" and not np.isfinite(v))
                     else f2(v) for v in ld[c].to_numpy(dtype=float)]
        if nl:
            ld = ld.rename(columns={"group": "groep", "factor": "factor", "item": "item",
                                    "estimate": "lading", "std_error": "standaardfout",
                                    "std_all": "gestandaardiseerd"})
        else:
            ld = ld.rename(columns={"estimate": "loading", "std_error": "std. error",
                                    "std_all": "standardised"})
        with pd.option_context("display.width", 120, "display.max_rows", 500):
            lines.append(ld.to_string(index=False))
        return "\n".join(lines)

    def plot(self, ax=None, lang: str = "nl"):
        """Dot plot of the standardised loadings per item (coloured by factor or group)."""
        return plot_loadings(self.loadings, multigroup=self.multigroup, ax=ax, lang=lang,
                             title=self.title[check_lang(lang)])

    # -- score tests for equality constraints (partial invariance) ---------------------
    def score_tests(self, keys=None) -> pd.DataFrame:
        """Score (Lagrange multiplier) tests for releasing equality constraints.

        For every parameter shared across groups (or by a label), the statistic for
        freeing it in each group after the first equals lavaan's ``lavTestScore`` univariate
        test (one row per constraint ``group 1 == group g``); ``keys`` restricts to some
        ``equal_key`` values. With ``R`` the constraint matrix in the unconstrained
        parameter space, ``g`` the gradient of ``fmin`` and ``I`` the expected
        information there, the test of constraint ``r`` is
        ``N g' P_{-r} g`` with ``P_{-r}`` the upper-left block of
        ``[[I, R_{-r}'], [R_{-r}, 0]]^+`` (Bentler 1990; Satorra 1989; lavaan).

        Returns
        -------
        DataFrame with ``lhs, op, rhs, group, equal_key, x2, df, p_value``.
        """
        return _score_tests(self, keys)


def plot_loadings(loadings: pd.DataFrame, *, multigroup: bool, ax=None, lang: str = "nl",
                  title: str | None = None):
    """Dot plot of standardised loadings (``std_all``) per item, coloured by factor or,
    for multi-group models, by group; a dotted line at 0.4. Shared by every CFA result
    type (ML here; the WLSMV result can call it too)."""
    from evalkit.core.plotting import PALETTE, localize_axes, new_axes
    check_lang(lang)
    ld = loadings
    items = list(dict.fromkeys(ld["item"]))
    ax = new_axes(ax, figsize=(7.0, 0.35 * len(items) + 1.5))
    ypos = {it: i for i, it in enumerate(items)}
    hue = "group" if multigroup else "factor"
    levels = list(dict.fromkeys(ld[hue]))
    for k, lev in enumerate(levels):
        sub = ld.loc[ld[hue] == lev]
        off = (k - (len(levels) - 1) / 2) * 0.15 if multigroup else 0.0
        ax.scatter(sub["std_all"], [ypos[i] + off for i in sub["item"]],
                   color=PALETTE[k % len(PALETTE)], label=str(lev), zorder=3)
    ax.set_yticks(range(len(items)), items)
    ax.invert_yaxis()
    lo, hi = float(np.nanmin(ld["std_all"])), float(np.nanmax(ld["std_all"]))
    ax.set_xlim(min(0.0, lo - 0.05), max(1.0, hi + 0.05))
    ax.axvline(0.4, color="#999999", linestyle=":", linewidth=1)
    ax.set_xlabel("Gestandaardiseerde lading" if lang == "nl" else "Standardised loading")
    if title:
        ax.set_title(title)
    ax.legend(title=("Groep" if lang == "nl" else "Group") if multigroup else "Factor",
              loc="lower left", fontsize="small")
    return localize_axes(ax, lang)


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
            g, info = result.estimator.gradient_and_hessian(spec2, result.stats, th)
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


def _score_tests(result: CFAResult, keys=None) -> pd.DataFrame:
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
        out.append(dict(lhs=r["lhs"], op=r["op"], rhs=r["rhs"], group=result.groups[r["group"] - 1],
                        equal_key=r["equal_key"], x2=x2, df=1.0, p_value=float(stats.chi2.sf(x2, 1))))
    return pd.DataFrame(out, columns=cols)


def score_test_release(result: CFAResult, release_keys) -> float:
    """Multivariate score test for releasing all constraints whose key is in ``release_keys``."""
    g, info, R, rows = _score_context(result)
    pt = result.spec.partable
    release = set(release_keys)
    keep = [i for i, r in enumerate(rows) if pt.at[r, "equal_key"] not in release]
    return _lm_statistic(g, info, R[keep], result.stats.ntotal)
