"""Benchmark: evalkit.monitoring on the real Health Monitor data (a script, never a timed test).

Times, in one process on the bundled data: the first ``compare`` (loads and caches the data),
then ``compare`` for ``--n`` municipalities of 2022 (a seeded sample; merged ones included),
``peer_group`` alone, ``change_vs_level``, ``model_funnel`` and ``plot_safety_regions``
(figure built and rendered to PNG).

Usage::

    .venv/bin/python benchmarks/bench_monitoring.py [--n 30] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np


def _t(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--json")
    args = ap.parse_args()
    from evalkit.data import datasets
    from evalkit.methods import monitoring as mon

    codes = list(datasets.load("municipalities")["municipality_code"])
    sample = list(np.random.default_rng(12).choice(codes, args.n, replace=False)) + [
        "GM1979",
        "GM1982",
        "GM0363",
    ]
    first, _ = _t(lambda: mon.compare("GM0014"))
    times = [_t(lambda c=c: mon.compare(c))[0] for c in sample]
    peer = [_t(lambda c=c: mon.peer_group(c))[0] for c in sample[:10]]
    chg, _ = _t(mon.change_vs_level)
    fun, _ = _t(mon.model_funnel)

    def small_multiples():
        fig = mon.plot_safety_regions()
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)

    sm, _ = _t(small_multiples)
    res = {
        "machine": platform.platform(),
        "first_compare_s": round(first, 3),
        "compare_median_s": round(statistics.median(times), 4),
        "compare_max_s": round(max(times), 4),
        "n_compare": len(times),
        "peer_group_median_s": round(statistics.median(peer), 4),
        "change_vs_level_s": round(chg, 4),
        "model_funnel_s": round(fun, 4),
        "safety_region_plot_s": round(sm, 3),
    }
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
