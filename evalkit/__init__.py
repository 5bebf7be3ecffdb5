"""evalkit: evaluate what works against loneliness.

A research workbench for the Dutch national action programme against loneliness
(2022-2025): read and validate coalition data against machine-readable codebooks, score
the De Jong Gierveld scales, evaluate interventions (pre/post, difference-in-differences),
validate the new youth loneliness instrument, and render comparable reports.

Submodules are imported on first use, so ``import evalkit`` stays fast::

    import evalkit
    df = evalkit.datasets.load("interventions")
    report = evalkit.validate(df, "intervention")
    scores = evalkit.scales.score(df, "djg11")
    res = evalkit.prepost.paired(..., outcome="total", unit="participant_id", time="wave")
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import (
    CodebookError,
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    EvalkitError,
    EvalkitWarning,
    ParameterError,
    PrivacyWarning,
    SmallSampleWarning,
)

__version__ = "0.1.0"

_SUBMODULES = (
    "io",
    "codebook",
    "scales",
    "datasets",
    "prepost",
    "meta",
    "funnel",
    "did",
    "validation",
    "report",
    "reportdata",
    "batch",
    "demo",
    "plotting",
    "privacy",
    "results",
    "cli",
)

# Names re-exported from submodules: name -> module.
_LAZY = {
    "read": "io",
    "validate": "io",
    "ValidationReport": "io",
    "load_codebook": "codebook",
    "Codebook": "codebook",
}

__all__ = [
    "__version__",
    # functions and classes
    "read",
    "validate",
    "ValidationReport",
    "load_codebook",
    "Codebook",
    # errors and warnings
    "EvalkitError",
    "DataValidationError",
    "EstimationError",
    "CodebookError",
    "ParameterError",
    "EvalkitWarning",
    "SmallSampleWarning",
    "ConvergenceWarning",
    "PrivacyWarning",
    "DataQualityWarning",
    # submodules
    *_SUBMODULES,
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from . import batch, cli, codebook, datasets, did, funnel, io, meta, plotting, prepost  # noqa
    from . import privacy, report, results, scales, validation  # noqa
    from .codebook import Codebook, load_codebook  # noqa
    from .io import ValidationReport, read, validate  # noqa
