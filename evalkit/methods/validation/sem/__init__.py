"""The SEM engine of evalkit: one model, one optimiser, several estimators, one result.

Layers (each module imports only the ones above it; no cycles):

- :mod:`~.model`          sample statistics and the parameter-table model (``ModelSpec``:
                          LISREL all-y matrices and their analytic Jacobian)
- :mod:`~.optimize`       the one optimiser (Fisher scoring with step halving)
- :mod:`~.fit_measures`   fit indices (CFI, TLI, RMSEA with one interval function, SRMR),
                          the names of ``fit_indices`` and the invariance cut-offs, once
- :mod:`~.data`           data checks, listwise deletion, group labels
- :mod:`~.estimator`      the estimator protocol (``Estimator``, ``Sample``, ``SEMProblem``)
- :mod:`~.ml`, :mod:`~.dwls`  the estimators: ML, and WLSMV (DWLS on polychoric
                          correlations) with their problems, difference and score tests
- :mod:`~.results`        ``CFAResult``: the one result type of every estimator
- :mod:`~.cfa`            ``cfa()``
- :mod:`~.invariance`     ``invariance()``, ``InvarianceResult``, ``DifferenceTest``

The column rule (``fit_indices`` and the invariance table alike): names without a suffix
are the standard statistics, the scaled statistics of a robust estimator are under
``*_scaled`` (NaN where the estimator has none). See docs/validation_cfa.md.
"""

from __future__ import annotations

from evalkit.methods.validation.sem.cfa import available_estimators, cfa, fit_wlsmv, get_estimator
from evalkit.methods.validation.sem.dwls import INVARIANCE_LEVELS
from evalkit.methods.validation.sem.fit_measures import (
    DELTA_CFI_CUTOFF,
    DELTA_RMSEA_CUTOFF,
    FIT_INDEX_NAMES,
    fit_indices,
)
from evalkit.methods.validation.sem.invariance import (
    DECISION_COLUMNS,
    SCALED_COLUMNS,
    TABLE_COLUMNS,
    DifferenceTest,
    InvarianceResult,
    PartialInvarianceResult,
    invariance,
    invariance_wlsmv,
    scaled_difference_test,
)
from evalkit.methods.validation.sem.ml import LEVELS, score_test_release
from evalkit.methods.validation.sem.results import CFAResult

#: Kept name: the fit-index names are the same for every estimator.
WLSMV_FIT_NAMES = FIT_INDEX_NAMES
#: Kept name: the result of every estimator is a CFAResult.
WLSMVResult = CFAResult

__all__ = [
    "cfa",
    "invariance",
    "CFAResult",
    "InvarianceResult",
    "PartialInvarianceResult",
    "DifferenceTest",
    "scaled_difference_test",
    "score_test_release",
    "fit_indices",
    "available_estimators",
    "get_estimator",
    "FIT_INDEX_NAMES",
    "WLSMV_FIT_NAMES",
    "LEVELS",
    "INVARIANCE_LEVELS",
    "TABLE_COLUMNS",
    "SCALED_COLUMNS",
    "DECISION_COLUMNS",
    "DELTA_CFI_CUTOFF",
    "DELTA_RMSEA_CUTOFF",
    "fit_wlsmv",
    "invariance_wlsmv",
    "WLSMVResult",
]
