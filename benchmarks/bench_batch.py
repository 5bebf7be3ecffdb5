"""Benchmark of the coalition report batch: wall time per report.

Routes (each over the same generated coalitions; one evaluation per municipality):

floor          the same analysis in-process, serially: read + validate + compute + the
               position section (what a report costs without kernels and HTML export)
naive          papermill CLI (fresh kernel) + ``jupyter nbconvert --to html`` CLI, per report
fresh-1/2      ``batch.run(kernel="fresh")`` with 1 / 2 workers (a new kernel per report)
warm-1/2       ``batch.run(kernel="warm")`` with 1 / 2 workers (one reset kernel per worker)

Usage::

    python benchmarks/bench_batch.py                 # 345 coalitions warm, subsets else
    python benchmarks/bench_batch.py --n 40 --n-fresh 10 --n-naive 2

Prints a Markdown table (paste into docs/reports.md) and writes it as JSON next to the
outputs. Timings depend on the load of the machine: the load average is printed too.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evalkit.reports import batch

from evalkit.reports import compute as reportdata  # noqa: E402
from evalkit.reports.demo import write_example_coalitions  # noqa: E402

TEMPLATE = ROOT / "templates" / "coalition_report.ipynb"


def floor(coalitions, cache_dir):
    """Analysis in-process, serial: per coalition read+validate, compute, funnel section."""
    t0 = time.perf_counter()
    keys = {}
    for rec in coalitions.to_dict(orient="records"):
        params = {**rec, "lang": "nl", "min_cell": 10}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df, errors = batch._read_and_validate(params, Path.cwd(), True)
            keys[rec["coalition_code"]] = reportdata.prepare(df, params, cache_dir=cache_dir)
    names = dict(zip(coalitions["coalition_code"], coalitions["coalition_name"]))
    reportdata.finalize(keys, names, cache_dir=cache_dir)
    for rec in coalitions.to_dict(orient="records"):
        r = reportdata.load(coalition_code=rec["coalition_code"],
                            coalition_name=rec["coalition_name"], data_path=rec["data_path"],
                            results_cache=cache_dir)
        for s in reportdata.SECTION_IDS:
            r.section_html(s)
    return time.perf_counter() - t0


def naive(coalitions, out: Path, cache_dir):
    """papermill CLI + nbconvert CLI per report (fresh kernel, HTML export in a new process)."""
    out.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    t0 = time.perf_counter()
    for rec in coalitions.to_dict(orient="records"):
        nb = out / f"{rec['coalition_code']}.ipynb"
        subprocess.run([str(bindir / "papermill"), str(TEMPLATE), str(nb),
                        "-k", "python3", "--cwd", str(out), "--execution-timeout", "600",
                        "-r", "coalition_code", rec["coalition_code"],
                        "-r", "coalition_name", rec["coalition_name"],
                        "-r", "data_path", rec["data_path"], "-r", "results_cache", cache_dir,
                        "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(nb)], check=True, capture_output=True)
    return time.perf_counter() - t0


def _cpu() -> float:
    """CPU seconds of this process and every finished descendant (workers, kernels, CLIs)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def run_batch(coalitions, out: Path, workers: int, kernel: str):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    res = batch.run(TEMPLATE, coalitions, out, workers=workers, kernel=kernel,
                    rerun="all", progress=False)
    wall = time.perf_counter() - t0
    assert res.n_failed == 0, res.table[res.table["status"] == "failed"]
    return wall, res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=345, help="coalitions for the warm batches")
    ap.add_argument("--n-fresh", type=int, default=30, help="coalitions for fresh batches")
    ap.add_argument("--n-naive", type=int, default=3, help="reports made the naive way")
    ap.add_argument("--n-floor", type=int, default=60, help="coalitions for the floor")
    ap.add_argument("--out", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--skip", nargs="*", default=[], help="routes to skip")
    args = ap.parse_args(argv)
    work = Path(args.out or tempfile.mkdtemp(prefix="bench_batch_"))
    work.mkdir(parents=True, exist_ok=True)
    co = write_example_coalitions(work / "data", all_municipalities=True)
    print(f"{len(co)} generated coalitions in {work}; cores: {os.cpu_count()}; "
          f"load average: {os.getloadavg()}", flush=True)
    rows = []
    last_cpu = [_cpu()]

    def add(route, n, wall, note=""):
        cpu = _cpu() - last_cpu[0]
        last_cpu[0] = _cpu()
        rows.append({"route": route, "reports": n, "wall_s": round(wall, 2),
                     "s_per_report": round(wall / n, 3), "cpu_s_per_report": round(cpu / n, 3),
                     "idle_estimate_345_on_2_cores_s": round(345 * cpu / n / 2, 1),
                     "note": note})
        print(rows[-1], flush=True)

    if "warm-2" not in args.skip:
        sub = co.head(args.n)
        wall, res = run_batch(sub, work / "warm2", 2, "warm")
        add("warm-2", len(sub), wall, "phases: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in res.timings.items()))
        cache = str(work / "warm2" / "_cache")
        sizes = [f.stat().st_size for f in (work / "warm2").glob("GM*.html")]
        print(f"report size: median {sorted(sizes)[len(sizes) // 2] / 1024:.0f} KiB, "
              f"max {max(sizes) / 1024:.0f} KiB", flush=True)
    if "warm-1" not in args.skip:
        sub = co.head(min(args.n, args.n_fresh * 2))
        wall, _ = run_batch(sub, work / "warm1", 1, "warm")
        add("warm-1", len(sub), wall)
    if "fresh-2" not in args.skip:
        sub = co.head(args.n_fresh)
        wall, _ = run_batch(sub, work / "fresh2", 2, "fresh")
        add("fresh-2", len(sub), wall)
    if "fresh-1" not in args.skip:
        sub = co.head(args.n_fresh)
        wall, _ = run_batch(sub, work / "fresh1", 1, "fresh")
        add("fresh-1", len(sub), wall)
    if "floor" not in args.skip:
        sub = co.head(args.n_floor)
        cache = str(work / "floor_cache")
        add("floor (in-process, 1 core)", len(sub), floor(sub, cache))
    if "naive" not in args.skip and args.n_naive:
        sub = co.head(args.n_naive)
        cache = str(work / "floor_cache")
        if not Path(cache, "_all.pkl").is_file():
            floor(co.head(max(args.n_naive, 2)), cache)
        add("naive (papermill CLI + nbconvert CLI)", len(sub), naive(sub, work / "naive", cache),
            "analysis cached; kernel start, imports and CLI export only")
    print("\n| route | reports | wall (s) | wall s/report | CPU s/report | 345 reports on 2 idle "
          "cores (CPU/2, s) | note |\n|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['route']} | {r['reports']} | {r['wall_s']} | {r['s_per_report']} | "
              f"{r['cpu_s_per_report']} | {r['idle_estimate_345_on_2_cores_s']} | {r['note']} |")
    (work / "bench_batch.json").write_text(json.dumps(
        {"rows": rows, "load_average": os.getloadavg(), "cpu_count": os.cpu_count()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
