"""Named exceptions and warnings of evalkit, all in one place.

Users can catch the exceptions and filter the warnings by class, e.g.::

    import warnings, evalkit
    warnings.simplefilter("ignore", evalkit.SmallSampleWarning)
"""

from __future__ import annotations

import logging
import os
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

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
    "log_unexpected",
    "report_warnings_handled",
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
        super().__init__(message)
        self.nl = nl  # the Dutch message, as EvalkitError keeps it
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


@contextmanager
def report_warnings_handled() -> Iterator[None]:
    """While a report or the portal's feedback is made: evalkit's own warnings (small samples,
    dropped rows, ...) are not printed, because the page says what matters and the disclosure
    layer decides what is shown; nor are openpyxl's notes about Excel features it does not
    read (the template's drop-down lists). Every other warning still shows (no blanket
    filter: issue 17)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        yield


# ----------------------------------------------------------------------------------------
# the last resort at a process boundary
# ----------------------------------------------------------------------------------------
#: Logger of failures nobody anticipated (the traceback; never shown to a reader).
UNEXPECTED_LOGGER = logging.getLogger("evalkit.unexpected")


def log_unexpected(exc: BaseException, *, where: str, log_file: str | os.PathLike | None = None) -> None:
    """Record an exception that no code anticipated: its full traceback goes to ``log_file``
    (appended, one block per failure) and to the ``evalkit.unexpected`` logger.

    Analyses catch the exceptions they mean. Only a process boundary that must survive ANY
    failure of one unit of work catches ``Exception``, once, and calls this: the batch (each
    coalition gets its report or an error page and the batch goes on,
    ``evalkit.reports.batch._isolated``) and the portal's render worker (each job ends with a
    status, ``evalkit.web.jobs._guarded``). The reader sees one line (the exception's type
    and message, with identifiers hidden); the traceback is for the maintainer, in the log.
    ``tests/test_no_blanket_except.py`` keeps the list of these places.
    """
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    UNEXPECTED_LOGGER.error("unexpected failure in %s\n%s", where, text)
    if log_file is None:
        return
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    block = f"--- {stamp} pid {os.getpid()} {where}\n{text}\n"
    try:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # tracebacks may quote data
        with os.fdopen(fd, "a", encoding="utf-8") as fh:  # one write per block
            fh.write(block)
    except OSError as err:  # the log cannot be written: the logger still has it
        UNEXPECTED_LOGGER.error("could not write %s: %s", log_file, err)
