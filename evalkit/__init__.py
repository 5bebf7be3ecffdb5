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
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING

from evalkit._version import __version__
from evalkit.core.errors import (
    CodebookError,
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    EvalkitError,
    EvalkitWarning,
    NoFigureError,
    ParameterError,
    PrivacyWarning,
    SmallSampleWarning,
)

# Public short names -> the module in its layer (core / data / methods / store / reports).
# ``evalkit.prepost`` and ``from evalkit import prepost`` keep working; the layered
# path (``evalkit.methods.prepost``) is where the code lives.
_SUBMODULES = {
    # core
    "errors": "evalkit.core.errors",
    "language": "evalkit.core.language",
    "i18n": "evalkit.core.i18n",
    "plotting": "evalkit.core.plotting",
    "results": "evalkit.core.results",
    "privacy": "evalkit.core.privacy",
    # data in
    "codebook": "evalkit.data.codebook",
    "readers": "evalkit.data.readers",
    "excel_template": "evalkit.data.excel_template",
    "scales": "evalkit.data.scales",
    "datasets": "evalkit.data.datasets",
    "boundaries": "evalkit.data.boundaries",
    # methods
    "prepost": "evalkit.methods.prepost",
    "meta": "evalkit.methods.meta",
    "funnel": "evalkit.methods.funnel",
    "did": "evalkit.methods.did",
    "validation": "evalkit.methods.validation",
    "power": "evalkit.methods.power",
    "monitoring": "evalkit.methods.monitoring",
    # storage (portal database, results registry)
    "store": "evalkit.store",
    "registry": "evalkit.store.registry",
    # reports
    "report": "evalkit.reports.render",
    "reportdata": "evalkit.reports.compute",
    "batch": "evalkit.reports.batch",
    "demo": "evalkit.reports.demo",
    # command line
    "cli": "evalkit.cli",
}

# Names re-exported from submodules: name -> module.
_LAZY = {
    "read": "evalkit.data.readers",
    "validate": "evalkit.data.readers",
    "ValidationReport": "evalkit.data.readers",
    "load_codebook": "evalkit.data.codebook",
    "Codebook": "evalkit.data.codebook",
    "set_language": "evalkit.core.language",
    "get_language": "evalkit.core.language",
}

__all__ = [
    "__version__",
    # functions and classes
    "read",
    "validate",
    "ValidationReport",
    "load_codebook",
    "Codebook",
    "set_language",
    "get_language",
    # errors and warnings
    "EvalkitError",
    "DataValidationError",
    "EstimationError",
    "NoFigureError",
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


class _ShortNameFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import evalkit.prepost`` / ``from evalkit.validation import cfa`` /
    ``"ignore::evalkit.errors.SmallSampleWarning"``.

    A short public name is the layered module itself (one module object under two names), so
    ``import evalkit.validation`` and ``import evalkit.methods.validation`` give the same
    module and the same classes. Only the short names themselves are aliases: a deeper module
    is imported by its layered path (``evalkit.methods.did.staggered``). Aliasing deeper names
    would make Python set the submodule as an attribute of its package after the import,
    hiding the function of the same name (``evalkit.did.staggered`` the function).
    """

    @staticmethod
    def _split(fullname: str) -> tuple[str | None, str]:
        head, _, rest = fullname.partition(".")
        first, _, tail = rest.partition(".")
        if head != __name__ or first not in _SUBMODULES or _SUBMODULES[first] == f"{head}.{first}":
            return None, ""  # not a short name, or a real subpackage (evalkit.store, evalkit.cli)
        return _SUBMODULES[first], tail

    def find_spec(self, fullname, path=None, target=None):
        real, tail = self._split(fullname)
        if real is None:
            return None
        if tail:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: import the layered path {real + '.' + tail!r}", name=fullname
            )
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        real, _ = self._split(spec.name)
        return importlib.import_module(real)

    def exec_module(self, module):
        """Nothing to run: the real module is already imported."""


if not any(isinstance(f, _ShortNameFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _ShortNameFinder())


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(_SUBMODULES[name])
        globals()[name] = module
        return module
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from evalkit import cli, store
    from evalkit.core import errors, i18n, plotting, privacy, results
    from evalkit.core.language import get_language, set_language
    from evalkit.data import boundaries, codebook, datasets, excel_template, readers, scales
    from evalkit.data.codebook import Codebook, load_codebook
    from evalkit.data.readers import ValidationReport, read, validate
    from evalkit.methods import did, funnel, meta, monitoring, power, prepost, validation
    from evalkit.reports import batch, demo
    from evalkit.reports import compute as reportdata
    from evalkit.reports import render as report
    from evalkit.store import registry
