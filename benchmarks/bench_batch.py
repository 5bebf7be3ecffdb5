"""Benchmark of the coalition reports: wall and CPU time per report, by route.

Routes (the same generated coalitions, one evaluation per municipality):

inprocess-2      ``evalkit demo --all`` as a function (``demo.run_demo(all_municipalities=
                 True, workers=2)``): read + validate + compute + disclose + render + audit
                 in 2 worker processes; then ``evalkit audit`` over the output
inprocess-1      ``batch.run`` with 1 worker (a subset)
warm-render      the portal's route: ``render_coalition(path, ...)`` one report at a time in
                 one warm process (imports done), from the data file to HTML + record
notebook-2       ``batch.run(renderer="notebook")``: papermill in warm kernels, 2 workers
naive            papermill CLI (fresh kernel, the notebook computes from the data file) +
                 ``jupyter nbconvert --to html`` CLI, per report

Usage::

    python benchmarks/bench_batch.py                       # 345 in-process, subsets else
    python benchmarks/bench_batch.py --n 40 --n-small 10 --n-naive 2

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

from evalkit.reports import batch, disclosure  # noqa: E402
from evalkit.reports.coalition import render_coalition  # noqa: E402
from evalkit.reports.demo import run_demo, write_example_coalitions  # noqa: E402

TEMPLATE = ROOT / "templates" / "coalition_report.ipynb"


def _cpu() -> float:
    """CPU seconds of this process and every finished descendant (workers, kernels, CLIs)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def warm_render(coalitions, out: Path) -> float:
    """render_coalition per report in this (warm) process: the portal's route."""
    rec = coalitions.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        render_coalition(
            rec["data_path"], coalition_code=rec["coalition_code"], coalition_name=rec["coalition_name"]
        )  # warm-up: imports, fonts
        t0 = time.perf_counter()
        for rec in coalitions.to_dict(orient="records"):
            r = render_coalition(
                rec["data_path"],
                coalition_code=rec["coalition_code"],
                coalition_name=rec["coalition_name"],
                output_dir=out,
            )
            assert r.ok, r.message
    return time.perf_counter() - t0


def naive(coalitions, out: Path) -> float:
    """papermill CLI + nbconvert CLI per report (fresh kernel, HTML export in a new process)."""
    out.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    t0 = time.perf_counter()
    for rec in coalitions.to_dict(orient="records"):
        nb = out / f"{rec['coalition_code']}.ipynb"
        subprocess.run(
            [
                str(bindir / "papermill"),
                str(TEMPLATE),
                str(nb),
                "-k",
                "python3",
                "--cwd",
                str(out),
                "--execution-timeout",
                "600",
                "-r",
                "coalition_code",
                rec["coalition_code"],
                "-r",
                "coalition_name",
                rec["coalition_name"],
                "-r",
                "data_path",
                rec["data_path"],
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - t0


def run_batch(coalitions, out: Path, workers: int, renderer: str):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    res = batch.run(
        TEMPLATE,
        coalitions,
        out,
        workers=workers,
        renderer=renderer,
        rerun="all",
        progress=False,
        parameters={"example_data": True},
    )
    wall = time.perf_counter() - t0
    assert res.n_failed == 0, res.table[res.table["status"] == "failed"]
    return wall, res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=345, help="coalitions for inprocess-2")
    ap.add_argument(
        "--n-small", type=int, default=20, help="coalitions for inprocess-1, warm-render and notebook-2"
    )
    ap.add_argument("--n-naive", type=int, default=3, help="reports made the naive way")
    ap.add_argument("--out", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--skip", nargs="*", default=[], help="routes to skip")
    args = ap.parse_args(argv)
    work = Path(args.out or tempfile.mkdtemp(prefix="bench_batch_"))
    work.mkdir(parents=True, exist_ok=True)
    co = write_example_coalitions(work / "voorbeelddata", all_municipalities=True)
    print(
        f"{len(co)} generated coalitions in {work}; cores: {os.cpu_count()}; load average: {os.getloadavg()}",
        flush=True,
    )
    rows = []
    last_cpu = [_cpu()]

    def add(route, n, wall, note=""):
        cpu = _cpu() - last_cpu[0]
        last_cpu[0] = _cpu()
        rows.append(
            {
                "route": route,
                "reports": n,
                "wall_s": round(wall, 2),
                "s_per_report": round(wall / n, 3),
                "cpu_s_per_report": round(cpu / n, 3),
                "idle_estimate_345_on_2_cores_s": round(345 * cpu / n / 2, 1),
                "load_after": [round(x, 1) for x in os.getloadavg()],
                "note": note,
            }
        )
        print(rows[-1], flush=True)

    if "inprocess-2" not in args.skip:
        out = work / "rapporten"
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        if args.n >= len(co):
            res = run_demo(
                out,
                workers=2,
                all_municipalities=True,
                rerun="all",
                progress=False,
                data_dir=work / "voorbeelddata",
            )
        else:
            _, res = run_batch(co.head(args.n), out, 2, "auto")
        wall = time.perf_counter() - t0
        assert res.n_failed == 0
        t1 = time.perf_counter()
        audit = disclosure.audit_dir(out)
        bad = {k: v for k, v in audit.items() if v}
        add(
            "inprocess-2",
            res.n_ok,
            wall,
            "phases: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items())
            + f"; audit of {len(audit)} pages: {len(bad)} with violations "
            f"({time.perf_counter() - t1:.1f} s)",
        )
        sizes = [f.stat().st_size for f in out.glob("GM*.html")]
        print(
            f"report size: median {sorted(sizes)[len(sizes) // 2] / 1024:.0f} KiB, "
            f"max {max(sizes) / 1024:.0f} KiB; index "
            f"{(out / 'index.html').stat().st_size / 1024:.0f} KiB",
            flush=True,
        )
        last_cpu[0] = _cpu()
    small = co.head(args.n_small)
    if "inprocess-1" not in args.skip:
        wall, _ = run_batch(small, work / "ip1", 1, "auto")
        add("inprocess-1", len(small), wall)
    if "warm-render" not in args.skip:
        add("warm-render (render_coalition, one process)", len(small), warm_render(small, work / "warm"))
    if "notebook-2" not in args.skip:
        wall, _ = run_batch(small, work / "nb2", 2, "notebook")
        add("notebook-2 (papermill, warm kernels)", len(small), wall)
    if "naive" not in args.skip and args.n_naive:
        sub = co.head(args.n_naive)
        add(
            "naive (papermill CLI + nbconvert CLI)",
            len(sub),
            naive(sub, work / "naive"),
            "the notebook computes from the data file",
        )
    print(
        "\n| route | reports | wall (s) | wall s/report | CPU s/report | 345 reports on 2 idle "
        "cores (CPU/2, s) | note |\n|---|---:|---:|---:|---:|---:|---|"
    )
    for r in rows:
        print(
            f"| {r['route']} | {r['reports']} | {r['wall_s']} | {r['s_per_report']} | "
            f"{r['cpu_s_per_report']} | {r['idle_estimate_345_on_2_cores_s']} | {r['note']} |"
        )
    (work / "bench_batch.json").write_text(
        json.dumps({"rows": rows, "load_average": os.getloadavg(), "cpu_count": os.cpu_count()}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
