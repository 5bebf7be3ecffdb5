"""Executed committee notebooks, shared by tests/test_notebooks.py and
tests/test_plotting_notebooks.py without depending on which runs first or in which worker.

An executed copy is kept under ``tests/artifacts/notebooks/executed/`` (git-ignored), named
after the notebook and a key: the SHA-256 of the notebook file and of every file under
``evalkit/`` (code, message catalogue, bundled data). A copy made from other sources is never
read back. Copies are written atomically (a temporary file, then ``os.replace``), so a test
in another worker never reads half a file; a test that finds no copy executes the notebook
itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "tests" / "artifacts" / "notebooks" / "executed"


@cache
def _package_digest() -> str:
    h = hashlib.sha256()
    for p in sorted((ROOT / "evalkit").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def copy_path(notebook: Path) -> Path:
    """Where the executed copy of ``notebook`` for the current sources is kept."""
    h = hashlib.sha256(notebook.read_bytes())
    h.update(_package_digest().encode())
    return EXECUTED / f"{notebook.stem}.{h.hexdigest()[:16]}.ipynb"


def save_executed(nb, notebook: Path) -> Path:
    """Keep ``nb`` (``notebook`` executed) for other tests; atomic."""
    target = copy_path(notebook)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    for old in EXECUTED.glob(f"{notebook.stem}.*.ipynb"):  # copies of older sources
        if old != target:
            old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=EXECUTED, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, target)
    return target


def executed(notebook: Path):
    """``notebook`` executed on the current sources: the kept copy, else run here (and kept)."""
    saved = copy_path(notebook)
    if saved.exists():
        return nbformat.read(saved, as_version=4)
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(notebook.parent)}}
    ).execute()
    save_executed(nb, notebook)
    return nb
