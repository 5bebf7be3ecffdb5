"""Psychometric validation of questionnaires (COSMIN), built for the youth instrument.

Submodules (imported on first use; named so that no submodule shadows a function):

- ``model_syntax``  lavaan-style model syntax parser
- ``sem``           the SEM engine: ``cfa`` (ML, MLR, WLSMV; FIML or pairwise deletion for
                    missing answers; multi-group with equality constraints) and
                    ``invariance`` (levels per estimator, partial invariance)
- ``items``         ``item_analysis`` (distributions, floor/ceiling, item-total)
- ``consistency``   ``reliability`` (alpha with Feldt CI, omega total / hierarchical)
- ``exploratory``   ``efa``, ``parallel_analysis``
- ``retest``        ``icc`` (Shrout & Fleiss), ``agreement`` (SEM, SDC), ``bland_altman``
- ``validity``      ``hypotheses_test``, ``known_groups``, ``roc``
- ``norming``       ``norms``
- ``cosmin``        ``cosmin_table``
- ``study``         ``validation_study``: the whole COSMIN route (notebook 03 and the report)
- ``grading``       risk of bias per property and COSMIN's modified GRADE (used by ``study``)
- ``ordinal``, ``irt``, ``differential``  ordinal items (polychoric, GRM, DIF)
"""

from __future__ import annotations

import importlib

# public name -> submodule
_LAZY = {
    "cfa": "sem",
    "CFAResult": "sem",
    "invariance": "sem",
    "InvarianceResult": "sem",
    "item_analysis": "items",
    "reliability": "consistency",
    "efa": "exploratory",
    "parallel_analysis": "exploratory",
    "icc": "retest",
    "agreement": "retest",
    "bland_altman": "retest",
    "hypotheses_test": "validity",
    "known_groups": "validity",
    "roc": "validity",
    "norms": "norming",
    "cosmin_table": "cosmin",
    "polychoric": "ordinal",
    "graded_response": "irt",
    "dif": "differential",
    "DIFResult": "differential",
    "PolychoricResult": "ordinal",
    "GRMResult": "irt",
    "fit_wlsmv": "sem",
    "invariance_wlsmv": "sem",
    "WLSMVResult": "sem",
    "PartialInvarianceResult": "sem",
    "DifferenceTest": "sem",
    "scaled_difference_test": "sem",
    "ItemAnalysisResult": "items",
    "ReliabilityResult": "consistency",
    "EFAResult": "exploratory",
    "ParallelAnalysisResult": "exploratory",
    "AgreementResult": "retest",
    "BlandAltmanResult": "retest",
    "HypothesesResult": "validity",
    "KnownGroupsResult": "validity",
    "ROCResult": "validity",
    "NormsResult": "norming",
    "CosminResult": "cosmin",
    "validation_study": "study",
    "ValidationStudy": "study",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit.validation' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
