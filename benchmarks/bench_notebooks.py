"""Benchmark: wall time of each committee notebook (a script, never a timed test).

Runs every ``notebooks/*.ipynb`` top to bottom with nbclient, as the tests do (fresh kernel
of this Python, ``python3`` kernel spec, cwd ``notebooks/``), ``--repeat`` times, with the
process (and so the kernel it starts) pinned to at most 2 CPU cores (``os.sched_setaffinity``
where available). Reports kernel start + execution wall time (best and median) and the
slowest cell of the best run. The issue's budget is 2 minutes per notebook.

Usage::

    .venv/bin/python benchmarks/bench_notebooks.py [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"


def _pin_two_cores() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return f"{os.cpu_count()} cores (affinity not supported)"
    cpus = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cpus)
    return f"pinned to CPUs {cpus} of {os.cpu_count()}"


def run_once(path: Path) -> tuple[float, float, int]:
    """Wall time of one run, the slowest cell's time and its index."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        record_timing=True,
    )
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    slowest, which = 0.0, -1
    for i, c in enumerate(nb.cells):
        t = c.get("metadata", {}).get("execution", {})
        if "shell.execute_reply" in t and "iopub.execute_input" in t:
            a = datetime.fromisoformat(t["iopub.execute_input"].replace("Z", "+00:00"))
            b = datetime.fromisoformat(t["shell.execute_reply"].replace("Z", "+00:00"))
            d = (b - a).total_seconds()
            if d > slowest:
                slowest, which = d, i
    return wall, slowest, which


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write the results as JSON")
    args = ap.parse_args(argv)
    cores = _pin_two_cores()
    print(f"# Notebook benchmark: Python {platform.python_version()}, {cores}, repeat {args.repeat}\n")
    print("| notebook | best (s) | median (s) | slowest cell (s, index) |")
    print("|---|---|---|---|")
    results = []
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        runs = [run_once(path) for _ in range(args.repeat)]
        walls = [r[0] for r in runs]
        best = min(runs, key=lambda r: r[0])
        results.append(
            {
                "notebook": path.name,
                "best_s": min(walls),
                "median_s": statistics.median(walls),
                "slowest_cell_s": best[1],
                "slowest_cell": best[2],
            }
        )
        print(
            f"| `{path.name}` | {min(walls):.1f} | {statistics.median(walls):.1f} | "
            f"{best[1]:.1f} (cell {best[2]}) |",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
