"""Psychometric validation of questionnaires (COSMIN), built for the youth instrument.

Submodules (imported on first use):

- ``syntax``      lavaan-style model syntax parser
- ``cfa``         confirmatory factor analysis (ML; multi-group with equality constraints)
- ``invariance``  measurement invariance (configural / metric / scalar, partial)
- ``items``       item analysis (distributions, floor/ceiling, item-total)
- ``reliability`` alpha (Feldt CI), omega total / hierarchical, bootstrap CIs
- ``efa``         exploratory factor analysis, parallel analysis
- ``agreement``   ICC (Shrout & Fleiss), SEM, SDC, Bland-Altman
- ``validity``    hypotheses testing, known groups, ROC/AUC
- ``norms``       percentile norms
- ``cosmin``      COSMIN summary table
- ``polychoric``, ``wlsmv``, ``irt``, ``dif``  ordinal items
"""
from __future__ import annotations

import importlib

# public name -> submodule
_LAZY = {
    "cfa": "cfa",
    "CFAResult": "cfa",
    "invariance": "invariance",
    "InvarianceResult": "invariance",
    "item_analysis": "items",
    "reliability": "reliability",
    "efa": "efa",
    "parallel_analysis": "efa",
    "icc": "agreement",
    "agreement": "agreement",
    "bland_altman": "agreement",
    "hypotheses_test": "validity",
    "known_groups": "validity",
    "roc": "validity",
    "norms": "norms",
    "cosmin_table": "cosmin",
    "polychoric": "polychoric",
    "graded_response": "irt",
    "dif": "dif",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        if name != _LAZY[name]:  # do not shadow a submodule with a same-named function
            globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit.validation' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
