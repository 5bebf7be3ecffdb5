"""Shared test set-up: markers and the fast subset.

Markers (registered in pyproject.toml):

- ``slow``: more than about two seconds on a quiet 2-core machine (notebooks, report
  rendering, the batch, Monte Carlo, bootstrap, browser and database tests).
  ``make test-fast`` runs ``-m "not slow"`` (under a minute); ``make test`` runs everything.
- ``browser``: drives Debian's Chromium through Playwright.
- ``postgres``: needs the PostgreSQL server that ``.ci/run`` starts.

The storage fixtures (SQLite and PostgreSQL) come from ``store_fixtures``.

Whole files that are slow are marked here (``SLOW_FILES``), so a new test in them is slow
without a decorator; a slow test elsewhere carries ``@pytest.mark.slow`` itself.
"""

from __future__ import annotations

import os

import matplotlib
import pytest
from store_fixtures import db_url, store  # noqa: F401 (fixtures for tests/test_store*.py)

matplotlib.use("Agg")

#: Test files whose every test is slow (executing notebooks, rendering reports, browsers ...).
SLOW_FILES = {
    "test_notebooks.py",
    "test_batch.py",
    "test_report.py",
    "test_validation_template.py",
    "test_irt.py",
    "test_dif.py",
    "test_montecarlo.py",
}

#: Words in a test's file name that make the whole file slow.
SLOW_FILE_WORDS = ("browser", "playwright", "portal_e2e", "load", "montecarlo", "postgres")


def pytest_collection_modifyitems(config, items):
    slow = pytest.mark.slow
    for item in items:
        name = item.path.name
        if name in SLOW_FILES or any(w in name for w in SLOW_FILE_WORDS):
            item.add_marker(slow)
        if "browser" in item.keywords or "postgres" in item.keywords:
            item.add_marker(slow)


@pytest.fixture(autouse=True)
def _session_language_is_dutch():
    """Every test starts in Dutch (evalkit.set_language must not leak between tests)."""
    from evalkit.core.language import get_language, set_language

    before = get_language()
    set_language("nl")
    yield
    set_language(before)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close matplotlib figures after each test (memory stays flat over the suite)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_report_header(config):
    return f"evalkit tests; CI={os.environ.get('CI', '')!r}; fast subset: make test-fast (-m 'not slow')"
