"""Execute every committee notebook in ``notebooks/`` on the bundled data.

Each ``notebooks/*.ipynb`` is picked up automatically (new notebooks need no change here) and
run top to bottom with nbclient in a fresh kernel of *this* Python environment (the kernel
spec ``python3``; jupyter_client starts it with ``sys.executable``, which the test checks),
with the working directory ``notebooks/`` and a timeout per cell. Any error fails the test
with the cell that raised. The wall time of each run is recorded (``record_property``,
visible in ``--junitxml`` and with ``-rA``) and must stay under the issue's budget of two
minutes (``EVALKIT_NOTEBOOK_BUDGET`` seconds overrides it on a slow machine).

Notebooks are stored without outputs; a second test checks that.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
EXECUTED = ROOT / "tests" / "artifacts" / "notebooks" / "executed"
CELL_TIMEOUT = 300  # seconds per cell
BUDGET = float(os.environ.get("EVALKIT_NOTEBOOK_BUDGET", "120"))  # seconds per notebook
#: Notebooks that must show figures (guards against a non-inline matplotlib backend).
WITH_FIGURES = {
    "01_programme_effect.ipynb",
    "02_intervention_synthesis.ipynb",
    "03_youth_instrument_validation.ipynb",
    "04_monitoring.ipynb",
}

_CHECK = "import sys as _sys, evalkit as _ek\nprint(_sys.executable)\nprint(_ek.__file__)"


def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: strip outputs and execution counts (cells {dirty})"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_executes(path, record_property):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_CHECK))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        allow_errors=False,
        record_timing=True,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    wall = time.perf_counter() - start
    record_property("wall_time_s", round(wall, 2))
    # kept for tests/test_plotting_notebooks.py (screenshots of the figures; git-ignored)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, EXECUTED / path.name)
    print(f"{path.name}: {wall:.1f} s")

    # the kernel ran this environment's Python and this checkout's evalkit
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream").split()
    assert Path(out[0]).resolve() == Path(sys.executable).resolve(), out
    assert Path(out[1]).resolve().is_relative_to(ROOT), out
    if path.name in WITH_FIGURES:
        images = sum(
            "image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )
        assert images >= 3, f"{path.name} showed {images} figures; is the inline backend active?"
    assert wall < BUDGET, f"{path.name} took {wall:.0f} s (budget {BUDGET:.0f} s on 2 cores)"
