"""What every estimator of the SEM engine provides (the one estimator protocol).

An estimator turns data into a :class:`Sample` (checks, listwise deletion, sample
statistics), builds a problem for one model on that sample (:meth:`Estimator.build`: the
discrepancy function, gradient, expected information, standard errors, fit indices and
standardised solution; see :class:`SEMProblem`), and knows its measurement-invariance
levels, its nested-model (difference) test and its score tests for partial invariance.
:func:`evalkit.methods.validation.sem.cfa.fit_sample` runs the one optimiser on the problem
and wraps the solution in the one result type,
:class:`~evalkit.methods.validation.sem.results.CFAResult`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from evalkit.core.checks import check_option
from evalkit.core.i18n import t
from evalkit.methods.validation.model_syntax import ParsedModel
from evalkit.methods.validation.sem.model import ModelSpec
from evalkit.methods.validation.sem.optimize import OptimizerSettings

if TYPE_CHECKING:
    from evalkit.methods.validation.sem.results import CFAResult

__all__ = ["Sample", "SEMProblem", "Estimator", "DifferenceTestValues"]


@dataclass
class Sample:
    """The data of a fit, ready for an estimator.

    Attributes
    ----------
    stats : object
        The estimator's sample statistics (``SampleStats`` for ML; a list of
        ``PolychoricResult`` per group for WLSMV).
    groups : list of str
        Group labels in lavaan's order (first appearance); ``["all"]`` without groups.
    n_rows : int
        Rows of the data handed to the estimator.
    n_used : int
        Rows used (after listwise deletion of missing answers).
    extra : dict
        Anything else the estimator needs to build a model (e.g. number of thresholds).
    """

    stats: Any
    groups: list[str]
    n_rows: int
    n_used: int
    extra: dict[str, Any] = field(default_factory=dict)


class SEMProblem(Protocol):
    """One model on one sample: what the optimiser and the result need."""

    settings: OptimizerSettings
    spec: ModelSpec
    stats: Any
    estimator: Estimator

    @property
    def nobs(self) -> list[int]: ...

    @property
    def n_total(self) -> int: ...

    def df(self) -> int: ...

    def objective(self, theta: np.ndarray) -> float: ...

    def gradient_and_hessian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def start(self) -> np.ndarray: ...

    def vcov(self, theta: np.ndarray) -> np.ndarray: ...

    def baseline(self) -> dict: ...

    def fit_indices(self, theta: np.ndarray, fmin: float) -> pd.Series: ...

    def estimates_and_std(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class DifferenceTestValues:
    """The numbers of a nested-model comparison (see :class:`DifferenceTest`)."""

    delta_chi2: float
    delta_df: float
    p_value: float
    delta_chi2_scaled: float = np.nan
    p_value_scaled: float = np.nan
    scale: float = np.nan
    shift: float = np.nan


class Estimator(ABC):
    """The estimator protocol of the SEM engine (ML, WLSMV; see the module docstring)."""

    #: name as the user passes it (``cfa(..., estimator=name)``)
    name: ClassVar[str]
    #: whether the estimator has a scaled test statistic (``*_scaled`` fit indices)
    robust: ClassVar[bool] = False
    #: invariance levels, in order, with their lavaan ``group.equal``
    levels: ClassVar[dict[str, tuple[str, ...]]]
    #: whether ``cfa(..., equal=, partial=)`` (lavaan ``group.equal``) is available
    group_equal: ClassVar[bool] = True
    #: what ``missing=`` may be (the first is the default)
    missing_options: ClassVar[tuple[str, ...]] = ("listwise",)

    def describe(self, lang: str) -> str:
        """One line on the estimator for summaries (``sem.describe.<name>`` in the catalogue)."""
        return t(f"sem.describe.{self.name.lower()}", lang)

    def difference_text(self, lang: str) -> str:
        """The difference test of nested models, for summaries (``sem.difference_test.<name>``)."""
        return t(f"sem.difference_test.{self.name.lower()}", lang)

    @abstractmethod
    def sample(
        self,
        data: pd.DataFrame,
        parsed: ParsedModel,
        group: str | None,
        *,
        min_group_size: int | None = None,
        missing: str = "listwise",
    ) -> Sample:
        """Check ``data``, handle missing answers (``missing``), compute the sample statistics."""

    @abstractmethod
    def build(
        self,
        sample: Sample,
        parsed: ParsedModel,
        *,
        equal: tuple[str, ...] = (),
        partial: tuple[str, ...] = (),
        meanstructure: bool | None = None,
        level: str | None = None,
    ) -> SEMProblem:
        """The problem of one model (``level``: an invariance level of :attr:`levels`)."""

    @abstractmethod
    def difference_test(self, restricted: CFAResult, general: CFAResult) -> DifferenceTestValues:
        """Nested-model test as lavaan's ``lavTestLRT`` does it for this estimator."""

    @abstractmethod
    def invariance_score_tests(self, fit: CFAResult) -> pd.DataFrame:
        """Score tests of the equality constraints of an invariance level's fit."""

    @abstractmethod
    def partial_candidates(
        self, fit: CFAResult, new_types: list[str], freed: list[str]
    ) -> dict[str, tuple[float, float]]:
        """For partial invariance: ``{group.partial name: (score statistic, df)}`` of the
        constraints of ``new_types`` still in place in ``fit``."""

    def check_partial_level(self, level: str, levels: list[str], what: str) -> None:
        """Raise ParameterError when ``what`` (score tests, partial) is not available at ``level``."""
        check_option("level", level, levels[1:])
