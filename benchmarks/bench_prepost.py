"""Benchmark of evalkit.prepost and evalkit.meta (a script, never a timed test).

1. All example coalitions (``evalkit.datasets.load("interventions")``, intervention group,
   DJG-11 total from ``evalkit.scales.score``): per coalition ``paired``,
   ``proportion_change``, ``reliable_change``, ``attrition`` and ``by_group`` (gender),
   then ``meta.effect_sizes`` + ``meta.random_effects``.
2. One ``paired`` call on 1,000,000 participants (2,000,000 rows, shuffled, string ids);
   also ``proportion_change`` and ``reliable_change`` on the same frame.

Wall time is the best of ``--repeat`` runs (time.perf_counter); peak memory is measured
in a separate run with tracemalloc (Python and NumPy allocations made during the call,
the input frame excluded) and the process's maximum resident set size is reported too.

Usage::

    .venv/bin/python benchmarks/bench_prepost.py [--n 1000000] [--repeat 3] [--write-docs]

``--write-docs`` replaces the block between the benchmark markers in docs/prepost.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import evalkit  # noqa: E402
from evalkit.methods import (  # noqa: E402 (after the sys.path set-up above)
    meta,
    prepost,
)

KW = dict(outcome="total", unit="participant_id", time="wave")


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_mib(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def example_coalitions(repeat):
    df = evalkit.datasets.load("interventions")
    df = df.assign(total=evalkit.scales.score(df, "djg11")["total"])
    iv = df[df["group"] == "intervention"]
    codes = sorted(iv["municipality_code"].unique())

    def run_all():
        for code in codes:
            sub = iv[iv["municipality_code"] == code]
            prepost.paired(sub, **KW)
            prepost.proportion_change(sub, cutoff=3, **KW)
            prepost.reliable_change(sub, reliability="retest", **KW)
            prepost.attrition(sub, covariates=["age", "gender", "education"], **KW)
            prepost.by_group(prepost.paired, sub, by="gender", **KW)
        es = meta.effect_sizes(iv, **KW)
        meta.random_effects(es, estimate="estimate", std_error="std_error", label="municipality_code")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds = best_time(run_all, repeat)
    return {
        "coalitions": len(codes),
        "rows": int(len(iv)),
        "participants": int(iv["participant_id"].nunique()),
        "seconds": seconds,
    }


def big_frame(n, seed=2026):
    rng = np.random.default_rng(seed)
    pre = rng.integers(0, 12, n)
    post = np.clip(pre - rng.integers(-2, 4, n), 0, 11)
    ids = pd.Series([f"P{i:07d}" for i in range(n)], dtype="str")
    df = pd.DataFrame(
        {
            "participant_id": pd.concat([ids, ids], ignore_index=True),
            "wave": pd.Series(["pre"] * n + ["post"] * n, dtype="str"),
            "total": np.r_[pre, post].astype(float),
        }
    )
    return df.sample(frac=1, random_state=seed, ignore_index=True)


def big(n, repeat):
    df = big_frame(n)
    out = {
        "participants": n,
        "rows": int(len(df)),
        "frame_mib": float(df.memory_usage(deep=True).sum() / 2**20),
    }
    calls = {
        "paired": lambda: prepost.paired(df, **KW),
        "proportion_change": lambda: prepost.proportion_change(df, cutoff=3, **KW),
        "reliable_change": lambda: prepost.reliable_change(df, reliability=0.85, **KW),
    }
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in calls.items():
            before = rss()
            seconds = best_time(fn, repeat)
            # growth of the maximum RSS also counts Arrow's string buffers (not traced)
            out[name] = {"seconds": seconds, "peak_mib": peak_mib(fn), "rss_growth_mib": rss() - before}
    out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def markdown(res):
    ex, bg = res["examples"], res["big"]
    lines = [
        f"Measured on {res['machine']} (Python {res['python']}, {res['date']}), "
        f"best of {res['repeat']} runs; peak memory by tracemalloc during the call "
        "(the input frame itself excluded).",
        "",
        "| task | size | wall time | peak memory (tracemalloc) | growth of max RSS |",
        "|---|---|---|---|---|",
        f"| all example coalitions: paired, proportion_change, reliable_change, attrition, "
        f"by_group(gender) per coalition + effect_sizes + random_effects | {ex['coalitions']} coalitions, "
        f"{ex['participants']:,} participants, {ex['rows']:,} rows | {ex['seconds']:.2f} s | – | – |",
    ]
    for name in ("paired", "proportion_change", "reliable_change"):
        lines.append(
            f"| `{name}` | {bg['participants']:,} participants ({bg['rows']:,} rows, shuffled, "
            f"string ids) | {bg[name]['seconds']:.2f} s | {bg[name]['peak_mib']:.0f} MiB | "
            f"{bg[name]['rss_growth_mib']:.0f} MiB |"
        )
    lines += [
        "",
        f"The {bg['rows']:,}-row input frame itself takes {bg['frame_mib']:.0f} MiB; "
        f"maximum resident set size of the benchmark process: {bg['max_rss_mib']:.0f} MiB.",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    res = {
        "machine": f"{platform.machine()}, {platform.system()}, 2 shared cores",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "repeat": args.repeat,
        "examples": example_coalitions(args.repeat),
        "big": big(args.n, args.repeat),
    }
    print(json.dumps(res, indent=2))
    md = markdown(res)
    print(md)
    if args.write_docs:
        doc = ROOT / "docs" / "prepost.md"
        text = doc.read_text(encoding="utf-8")
        start, end = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
        head, rest = text.split(start)
        _, tail = rest.split(end)
        doc.write_text(f"{head}{start}\n{md}\n{end}{tail}", encoding="utf-8")
        print(f"written to {doc}")


if __name__ == "__main__":
    main()
