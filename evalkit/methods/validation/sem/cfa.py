"""``cfa``: confirmatory factor analysis with lavaan's defaults, for every estimator."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.core.checks import check_option
from evalkit.core.errors import ConvergenceWarning, EstimationError, ParameterError
from evalkit.methods.validation.model_syntax import ParsedModel, parse_model
from evalkit.methods.validation.sem.data import check_equal
from evalkit.methods.validation.sem.dwls import WLSMVEstimator
from evalkit.methods.validation.sem.estimator import Estimator, Sample
from evalkit.methods.validation.sem.ml import MLEstimator
from evalkit.methods.validation.sem.mlr import MLREstimator
from evalkit.methods.validation.sem.optimize import fit_model, single_thread_blas
from evalkit.methods.validation.sem.results import CFAResult

__all__ = [
    "cfa",
    "fit_wlsmv",
    "ESTIMATORS",
    "get_estimator",
    "available_estimators",
    "fit_sample",
    "check_missing",
]

#: The estimators of the engine by name.
ESTIMATORS: dict[str, type[Estimator]] = {"ML": MLEstimator, "MLR": MLREstimator, "WLSMV": WLSMVEstimator}


def available_estimators() -> list[str]:
    """Names that ``cfa(..., estimator=)`` and ``invariance(..., estimator=)`` accept."""
    return list(ESTIMATORS)


def get_estimator(name: str) -> Estimator:
    """A new estimator object for ``name`` (ParameterError listing the allowed names)."""
    check_option("estimator", name, available_estimators())
    return ESTIMATORS[name]()


def fit_sample(
    est: Estimator,
    sample: Sample,
    parsed: ParsedModel,
    *,
    group: str | None,
    model: str,
    equal: tuple[str, ...] = (),
    partial: tuple[str, ...] = (),
    meanstructure: bool | None = None,
    level: str | None = None,
    theta0: np.ndarray | None = None,
) -> CFAResult:
    """Build the problem of one model on ``sample``, run the optimiser, wrap the result."""
    problem = est.build(
        sample, parsed, equal=equal, partial=partial, meanstructure=meanstructure, level=level
    )
    if problem.df() < 0:
        raise EstimationError(
            f"the model has more free parameters ({problem.spec.npar}) than sample statistics "
            f"({problem.df() + problem.spec.npar}): it is not identified."
        )
    state = fit_model(problem, problem.start() if theta0 is None else theta0)
    if not state.converged:
        small = [f"{g} ({n})" for g, n in zip(sample.groups, problem.nobs) if n < 5 * problem.spec.p]
        warnings.warn(
            f"CFA ({est.name}) did not converge: it did not reach the optimum after {state.iterations} "
            f"iterations (largest gradient {state.grad_max:.2e}, should be below 1e-6); the estimates "
            "and fit indices are not a solution and must not be reported"
            + (f"; few respondents for {problem.spec.p} items in: {', '.join(small)}" if small else "")
            + ".",
            ConvergenceWarning,
            stacklevel=3,
        )
    with single_thread_blas():
        return CFAResult(
            problem,
            state,
            groups=sample.groups,
            group=group,
            equal=equal,
            partial=partial,
            level=level,
            model=model,
            parsed=parsed,
            n_rows=sample.n_rows,
            missing=sample.extra.get("missing", "listwise"),
        )


def check_missing(est: Estimator, missing: str) -> str:
    """``missing`` checked against the estimator's options; ``"ml"`` is lavaan's name for ``"fiml"``."""
    allowed = list(est.missing_options) + (["ml"] if "fiml" in est.missing_options else [])
    check_option("missing", missing, allowed)
    return "fiml" if missing == "ml" else missing


def cfa(
    data: pd.DataFrame,
    model: str,
    *,
    estimator: str = "ML",
    group: str | None = None,
    equal: str | Sequence[str] = (),
    partial: str | Sequence[str] = (),
    meanstructure: bool | None = None,
    missing: str = "listwise",
) -> CFAResult:
    r"""Confirmatory factor analysis with lavaan's ``cfa()`` defaults.

    ``estimator="ML"`` (default): maximum likelihood (lavaan ``likelihood="normal"``:
    sample covariances with divisor N) on the complete cases, first loading of each factor
    fixed to 1, all residual variances, factor variances and factor covariances free; with
    ``group`` a mean structure with free intercepts and factor means fixed at 0 (free in
    groups after the first when intercepts are equal, as lavaan). Equality constraints
    across groups follow lavaan's ``group.equal``; standard errors come from the expected
    information. The model is

    .. math:: \Sigma_g = \Lambda_g \Psi_g \Lambda_g' + \Theta_g, \quad
              \mu_g = \nu_g + \Lambda_g \alpha_g,

    fitted by minimising
    :math:`F = \tfrac12\sum_g \tfrac{n_g}{N}[\log|\Sigma_g| + \mathrm{tr}(S_g\Sigma_g^{-1})
    - \log|S_g| - p + (\bar y_g-\mu_g)'\Sigma_g^{-1}(\bar y_g-\mu_g)]`, with
    :math:`\chi^2 = 2NF` (Joreskog 1969; Bollen 1989; Rosseel 2012, lavaan).

    ``estimator="WLSMV"``: ordinal items as ``lavaan::cfa(..., ordered=<all indicators>,
    estimator="WLSMV")``: polychoric correlations and thresholds, DWLS, delta
    parameterisation, robust standard errors and the scaled-shifted test (see
    :mod:`evalkit.methods.validation.sem.dwls`).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; numeric item columns (whole-number category codes for WLSMV).
    model : str
        lavaan-style syntax, e.g. ``"social =~ y01 + y02 + y03"`` (see
        :mod:`evalkit.methods.validation.model_syntax`).
    estimator : {"ML", "MLR", "WLSMV"}
        ``"MLR"``: the ML estimates with Huber-White standard errors and the Yuan-Bentler
        scaled test (lavaan's ``estimator = "MLR"``; see :mod:`~evalkit.methods.validation.sem.mlr`).
    group : str, optional
        Column defining groups for a multi-group model.
    equal : sequence of str
        lavaan ``group.equal`` (ML): any of ``"loadings", "intercepts", "means",
        "residuals", "residual.covariances", "lv.variances", "lv.covariances"``. For
        ordinal invariance use :func:`~evalkit.validation.invariance`.
    partial : sequence of str
        lavaan ``group.partial`` (ML): parameters exempt from ``equal``, e.g. ``("x3~1",)``.
    meanstructure : bool, optional
        Force a mean structure in a single-group ML model (default: only with groups);
        WLSMV and FIML always have one.
    missing : {"listwise", "fiml", "ml", "pairwise"}
        ``"listwise"`` (default): respondents with a missing answer are left out.
        ``"fiml"`` (lavaan's ``missing = "ml"``; ``"ml"`` is accepted too; ML and MLR):
        full-information ML on every respondent with at least one answer, the fit
        statistics against the saturated model estimated by EM. ``"pairwise"`` (WLSMV, as
        lavaan): thresholds from each item's answers, polychoric correlations from the
        pairwise-complete rows, their NACOV from every row. The summary says how many rows
        were used.

    Returns
    -------
    CFAResult
        The same type for every estimator: ``fit_indices`` (the names of
        :data:`~evalkit.methods.validation.sem.fit_measures.FIT_INDEX_NAMES`; scaled
        statistics under ``*_scaled``, NaN for ML), ``loadings``, ``thresholds``,
        ``parameters``, ``tidy()``, ``summary()``, ``plot()``.

    Raises
    ------
    ParameterError
        Unknown option, unknown variable names in the syntax, ``equal``/``partial`` with WLSMV.
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
    est = get_estimator(estimator)
    equal_t = check_equal(equal)
    if meanstructure is not None and not isinstance(meanstructure, (bool, np.bool_)):
        raise ParameterError(f"meanstructure must be None, True or False, got {meanstructure!r}.")
    partial_t = (partial,) if isinstance(partial, str) else tuple(partial or ())
    if not est.group_equal and (equal_t or partial_t):
        raise ParameterError(
            f"equal=/partial= are not supported with estimator={est.name!r}; use "
            f"invariance(..., estimator={est.name!r}) (Wu & Estabrook 2016)."
        )
    miss = check_missing(est, missing)
    parsed = parse_model(model)
    sample = est.sample(data, parsed, group, missing=miss)
    if equal_t and group is None:
        raise ParameterError("equal=... needs group=...: equality constraints are across groups.")
    return fit_sample(
        est,
        sample,
        parsed,
        group=group,
        model=model,
        equal=equal_t,
        partial=partial_t,
        meanstructure=None if meanstructure is None else bool(meanstructure),
    )


def fit_wlsmv(
    data: pd.DataFrame,
    model: str,
    *,
    group: str | None = None,
    equal: str | Sequence[str] = (),
    partial: str | Sequence[str] = (),
) -> CFAResult:
    """Same as ``cfa(data, model, estimator="WLSMV", ...)``; kept for existing code."""
    return cfa(data, model, estimator="WLSMV", group=group, equal=equal, partial=partial)
