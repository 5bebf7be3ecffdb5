"""Timing of the example-data generators and of DJG scoring (run: python benchmarks/bench_datasets_scales.py)."""

from __future__ import annotations

import time

from evalkit.data import datasets
from evalkit.data.scales import score


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


if __name__ == "__main__":
    t, df = best(lambda: datasets.generate_interventions(345, seed=1))
    # budget 5 s (about 0.6 s on the quiet 2-core machine); timed here, not asserted in
    # tests/test_datasets.py, where a wall-clock limit failed under load
    print(f"generate_interventions(345): {t:.3f} s, {len(df):,} rows (budget 5 s)")
    t, _ = best(lambda: score(df, "djg11"))
    print(f"score(djg11) on {len(df):,} rows, integer codes: {t:.3f} s")
    words = df.copy()
    lab = {1: "ja", 2: "min of meer", 3: "nee"}
    for i in range(1, 12):
        words[f"djg{i}"] = words[f"djg{i}"].map(lab)
    t, _ = best(lambda: score(words, "djg11"))
    print(f"score(djg11) on {len(df):,} rows, Dutch words: {t:.3f} s")
    for name, fn in [
        ("generate_municipal_panel", datasets.generate_municipal_panel),
        ("generate_benchmark", datasets.generate_benchmark),
        ("generate_youth", datasets.generate_youth),
    ]:
        t, _ = best(fn)
        print(f"{name}(): {t:.3f} s")
    t, _ = best(lambda: [datasets.load(n) for n in datasets.names()])
    print(f"load() all bundled datasets: {t:.3f} s")
