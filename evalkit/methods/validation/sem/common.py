"""Shared numerical pieces of the SEM engine's likelihood estimators (ML, MLR, FIML):
information inverses, the standardised solution, SRMR, numerical Hessians, the robust
trace of the Yuan-Bentler test, and the baseline and saturated models as ModelSpecs."""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import pandas as pd

from evalkit.core.errors import EstimationError
from evalkit.methods.validation.sem.model import ModelSpec, SampleStats

__all__ = [
    "inverse_pd",
    "standardized_solution",
    "srmr_bentler",
    "numeric_hessian",
    "robust_trace",
    "independence_spec",
    "saturated_spec",
    "saturated_theta",
    "RobustParts",
]


class RobustParts(Protocol):
    """A problem that gives ``E^-1`` and the per-group meat ``B_g`` at ``theta``."""

    stats: SampleStats

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]: ...


def inverse_pd(a: np.ndarray) -> np.ndarray:
    """Inverse of a positive definite information matrix (Cholesky); EstimationError if singular."""
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


def standardized_solution(spec: ModelSpec, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value of every parameter-table row and its ``std.all`` (lavaan's
    ``standardizedSolution``; covariances of a negative variance divide by the square
    root of its absolute value, as lavaan)."""
    pt = spec.partable
    est = spec.values(theta)
    std = np.full(len(pt), np.nan)
    implied = spec.implied(theta)
    mats = [spec.matrices(theta, g) for g in range(spec.n_groups)]
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
            den = math.sqrt(abs(th[r.row, r.row] * th[r.col, r.col]))
            std[i] = est[i] / den if den > 0 else np.nan
        elif r.mat == "psi":
            den = math.sqrt(max(psi[r.row, r.row] * psi[r.col, r.col], 0))
            std[i] = est[i] / den if den > 0 else np.nan
        elif r.mat == "nu":
            std[i] = est[i] / math.sqrt(sigma[r.row, r.row])
        elif r.mat == "alpha":
            den = math.sqrt(max(psi[r.row, r.row], 0))
            std[i] = est[i] / den if den > 0 else np.nan
    return est, std


def srmr_bentler(
    stats: SampleStats, implied: list[tuple[np.ndarray, np.ndarray]], meanstructure: bool
) -> float:
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


def numeric_hessian(gradient, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Hessian from an analytic gradient by lavaan's five-point stencil (symmetrised)."""
    k = len(theta)
    H = np.zeros((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        H[:, j] = (
            gradient(theta - 2 * e)
            - 8 * gradient(theta - e)
            + 8 * gradient(theta + e)
            - gradient(theta + 2 * e)
        ) / (12 * h)
    return (H + H.T) / 2


def robust_trace(problem: RobustParts, theta: np.ndarray) -> float:
    """``sum_g (n_g/N) tr(B_g E^-1)`` of a problem with ``_parts(theta) -> (E^-1, [B_g])``
    (lavaan's ``trace.h0``; for the saturated model ``trace.h1``)."""
    E_inv, B = problem._parts(theta)
    w = problem.stats.weights
    return float(sum(w[g] * np.sum(B[g] * E_inv.T) for g in range(len(B))))


def _add_free(
    rows: list[dict], lhs: str, op: str, rhs: str, group: int, mat: str, row: int, col: int
) -> None:
    """Append one free, unlabelled parameter row (numbered in order of appearance)."""
    free = len(rows) + 1
    rows.append(
        dict(
            id=free,
            lhs=lhs,
            op=op,
            rhs=rhs,
            group=group,
            free=free,
            label="",
            value=np.nan,
            user=0,
            mat=mat,
            row=row,
            col=col,
            equal_key="",
        )
    )


def independence_spec(p: int, observed: list[str], n_groups: int, meanstructure: bool) -> ModelSpec:
    """The baseline (independence) model as a ModelSpec: free variances (and means)."""
    rows: list[dict] = []
    for g in range(n_groups):
        for i, v in enumerate(observed):
            _add_free(rows, v, "~~", v, g + 1, "theta", i, i)
        if meanstructure:
            for i, v in enumerate(observed):
                _add_free(rows, v, "~1", "", g + 1, "nu", i, 0)
    return ModelSpec(pd.DataFrame(rows), observed, [], n_groups, meanstructure)


def saturated_spec(observed: list[str], n_groups: int) -> ModelSpec:
    """The saturated model (free means and covariances) as a ModelSpec without factors."""
    rows: list[dict] = []
    p = len(observed)
    for g in range(n_groups):
        for j in range(p):
            for i in range(j, p):
                _add_free(rows, observed[i], "~~", observed[j], g + 1, "theta", i, j)
        for i in range(p):
            _add_free(rows, observed[i], "~1", "", g + 1, "nu", i, 0)
    return ModelSpec(pd.DataFrame(rows), observed, [], n_groups, True)


def saturated_theta(spec: ModelSpec, stats: SampleStats) -> np.ndarray:
    """``theta`` of :func:`saturated_spec` at the covariances and means of ``stats``."""
    theta = np.zeros(spec.npar)
    for r in spec.partable.itertuples(index=False):
        g = r.group - 1
        theta[r.free - 1] = stats.cov[g][r.row, r.col] if r.mat == "theta" else stats.mean[g][r.row]
    return theta
