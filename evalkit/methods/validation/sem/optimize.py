"""The optimiser of the SEM engine: Fisher scoring with step halving.

Every estimator hands a :class:`Problem` (discrepancy function, its gradient and expected
Hessian, starting values) to :func:`fit_model`; the estimator only chooses the
:class:`OptimizerSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import optimize
from threadpoolctl import ThreadpoolController

from evalkit.core.errors import EstimationError

__all__ = ["FitState", "OptimizerSettings", "Problem", "fit_model", "single_thread_blas"]


@dataclass
class FitState:
    """Where the optimiser stopped."""

    theta: np.ndarray
    fmin: float
    iterations: int
    converged: bool
    grad_max: float


@dataclass(frozen=True)
class OptimizerSettings:
    """Stopping rules of :func:`fit_model`.

    ``tol``: converged when the largest absolute gradient element is below it;
    ``max_iter``: scoring steps; ``accept_rtol``: a step is accepted when the discrepancy
    does not rise by more than ``accept_rtol * max(1, |f|)``; ``min_step``: the step is
    halved down to this length before the quasi-Newton ``fallback`` (a
    :func:`scipy.optimize.minimize` method, ``fallback_iter`` iterations) takes over.
    """

    tol: float = 1e-9
    max_iter: int = 500
    accept_rtol: float = 1e-12
    min_step: float = 1e-12
    fallback: str = "L-BFGS-B"
    fallback_iter: int = 200


class Problem(Protocol):
    """What :func:`fit_model` needs from an estimator's problem."""

    settings: OptimizerSettings

    def objective(self, theta: np.ndarray) -> float: ...

    def gradient_and_hessian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


_BLAS_CONTROLLER: ThreadpoolController | None = None


def single_thread_blas():
    """Context manager limiting BLAS to one thread.

    The matrices of a factor model are small (tens of rows); multi-threaded BLAS only adds
    synchronisation, which on a loaded machine made fits 10x slower.
    """
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def fit_model(problem: Problem, theta0: np.ndarray, *, max_iter: int | None = None) -> FitState:
    """Minimise ``problem.objective`` by Fisher scoring with step halving.

    Each step solves ``H d = g`` with ``g, H = problem.gradient_and_hessian(theta)``
    (analytic gradient, expected Hessian) and halves the step until the discrepancy
    decreases (and the implied moments stay valid); when no step length helps, a
    quasi-Newton search takes one turn. Converged when the largest absolute gradient
    element is below ``problem.settings.tol``; after ``max_iter`` steps a gradient below
    1e-6 still counts as converged. Runs with single-threaded BLAS.
    """
    with single_thread_blas():
        state = _fit_model(problem, theta0, max_iter=max_iter)
        if not state.converged:
            alt = _restart(problem, theta0, max_iter=max_iter)
            if alt.converged or alt.fmin < state.fmin:
                state = alt
        return state


def _restart(problem: Problem, theta0: np.ndarray, *, max_iter: int | None) -> FitState:
    """Second attempt when scoring stalls (e.g. it runs into a Heywood ridge on small or
    noisy data): BFGS from the same start values, then scoring to polish."""
    n_iter = problem.settings.max_iter if max_iter is None else max_iter
    res = optimize.minimize(
        _safe_objective(problem),
        np.asarray(theta0, dtype=float),
        jac=True,
        method="BFGS",
        options={"maxiter": 4 * n_iter, "gtol": problem.settings.tol},
    )
    polished = _fit_model(problem, res.x, max_iter=max_iter)
    if polished.converged:
        return polished
    g = problem.gradient_and_hessian(res.x)[0]
    gmax = float(np.max(np.abs(g))) if g.size else 0.0
    return FitState(res.x, float(res.fun), int(res.nit), gmax < 1e-6, gmax)


def _safe_objective(problem: Problem):
    """Objective and gradient for scipy's quasi-Newton search: an inadmissible point (the
    implied covariance not positive definite) gets a huge value and no gradient, so that the
    line search steps back instead of failing."""

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        f = problem.objective(x)
        if not np.isfinite(f):
            return 1e300, np.zeros_like(x)
        return f, problem.gradient_and_hessian(x)[0]

    return fun


def _fit_model(problem: Problem, theta0: np.ndarray, *, max_iter: int | None) -> FitState:
    s = problem.settings
    n_iter = s.max_iter if max_iter is None else max_iter
    theta = np.asarray(theta0, dtype=float).copy()
    f = problem.objective(theta)
    if not np.isfinite(f):
        theta = np.where(np.isfinite(theta), theta, 0.0)
        f = problem.objective(theta)
        if not np.isfinite(f):
            raise EstimationError(
                "no valid starting values: the implied covariance is not positive definite."
            )
    converged = False
    gmax = np.inf
    it = 0
    for _ in range(n_iter):
        it += 1
        g, H = problem.gradient_and_hessian(theta)
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        if gmax < s.tol:
            converged = True
            break
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        t = 1.0
        accepted = False
        while t >= s.min_step:
            new = theta - t * step
            fn = problem.objective(new)
            if np.isfinite(fn) and fn <= f + s.accept_rtol * max(1.0, abs(f)):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            # no decrease along the scoring direction: a quasi-Newton search from here
            res = optimize.minimize(
                _safe_objective(problem),
                theta,
                jac=True,
                method=s.fallback,
                options={"maxiter": s.fallback_iter, "gtol": s.tol},
            )
            if res.fun < f:
                theta, f = res.x, float(res.fun)
                continue
            break
        theta, f = new, fn
    if not converged:
        g, _ = problem.gradient_and_hessian(theta)
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        converged = gmax < 1e-6
    return FitState(theta, float(f), it, converged, gmax)
