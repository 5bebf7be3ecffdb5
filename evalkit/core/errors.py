"""Named exceptions and warnings of evalkit, all in one place.

Users can catch the exceptions and filter the warnings by class, e.g.::

    import warnings, evalkit
    warnings.simplefilter("ignore", evalkit.SmallSampleWarning)
"""

from __future__ import annotations

__all__ = [
    "EvalkitError",
    "DataValidationError",
    "EstimationError",
    "NoFigureError",
    "CodebookError",
    "ParameterError",
    "StoreError",
    "StoreConfigError",
    "NotFoundError",
    "EvalkitWarning",
    "SmallSampleWarning",
    "ConvergenceWarning",
    "PrivacyWarning",
    "DataQualityWarning",
]


class EvalkitError(Exception):
    """Base class of every error raised on purpose by evalkit.

    ``nl`` optionally holds the message in Dutch for people (the command line shows it);
    ``str(exc)`` stays the message the error was raised with.
    """

    def __init__(self, *args: object, nl: str | None = None):
        super().__init__(*args)
        self.nl = nl

    def message(self, lang: str = "nl") -> str:
        """The message in Dutch (when there is one) or as raised."""
        return getattr(self, lang, None) or str(self)  # a Dutch text in .nl when there is one


class DataValidationError(EvalkitError, ValueError):
    """Input data break the rules of their codebook.

    Attributes
    ----------
    report : evalkit.readers.ValidationReport or None
        All violations found in one pass (``report.errors`` is a DataFrame with
        columns ``row, column, value, rule, message``).
    """

    def __init__(self, message: str, report=None, *, nl: str | None = None):
        super().__init__(message, nl=nl)
        self.report = report


class CodebookError(EvalkitError, ValueError):
    """A codebook (data dictionary) is missing, unknown or malformed."""


class ParameterError(EvalkitError, ValueError):
    """An invalid argument value (names the parameter and the allowed values)."""


class EstimationError(EvalkitError, RuntimeError):
    """A statistic cannot be estimated from these data (e.g. no complete pairs)."""


class StoreError(EvalkitError, RuntimeError):
    """The portal's database refused an operation (e.g. a file that was already deleted)."""


class StoreConfigError(StoreError):
    """The database URL or the encryption key of the store is missing or unusable."""


class NotFoundError(StoreError, LookupError):
    """No such object in the store, or not within the municipality codes asked for."""


class NoFigureError(EvalkitError, NotImplementedError):
    """``plot()`` was asked of a result that has no figure (its table says it all)."""


class EvalkitWarning(UserWarning):
    """Base class of evalkit's warnings."""


class SmallSampleWarning(EvalkitWarning):
    """Too few observations for the statistic to be trustworthy."""


class ConvergenceWarning(EvalkitWarning):
    """An iterative estimator did not (properly) converge."""


class PrivacyWarning(EvalkitWarning):
    """Cells were suppressed because they hold fewer respondents than the threshold."""


class DataQualityWarning(EvalkitWarning):
    """Data are usable but something should be looked at (e.g. dropped rows)."""
