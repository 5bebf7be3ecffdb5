"""The examples in evalkit's docstrings run as tests (doctest), one test per module.

Every module of the package whose source holds an example (``>>>``) is found by reading the
source, so collecting these tests imports nothing. An example that needs a file the reader
does not have is marked ``# doctest: +SKIP`` in the docstring itself. Output is compared
with ELLIPSIS and NORMALIZE_WHITESPACE (long tables may be cut with ``...``).
"""

from __future__ import annotations

import doctest
import importlib
import warnings
from pathlib import Path

import pytest

from evalkit.core.errors import DataQualityWarning, SmallSampleWarning

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:  # Alembic's scripts run only inside Alembic
            continue
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out.append(".".join(parts))
    return out


MODULES = _modules_with_examples()


def test_examples_are_found():
    assert len(MODULES) >= 30, MODULES
    assert "evalkit.methods.prepost" in MODULES and "evalkit.methods.meta" in MODULES


# Every module's examples run in the fast subset: together they touch each capability in
# well under a second of CPU each (the rest is importing the module).
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name}: no docstring examples found (the source has '>>>')"
    report: list[str] = []
    with warnings.catch_warnings():
        # the examples use small data on purpose: these warnings are expected there
        warnings.simplefilter("ignore", SmallSampleWarning)
        warnings.simplefilter("ignore", DataQualityWarning)
        for t in tests:
            runner.run(t, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
