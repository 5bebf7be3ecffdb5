"""Benchmark of evalkit.validation's classical psychometrics (issue 7, non-CFA part).

Times reliability (alpha + omega total with n_boot bootstrap replicates), item analysis,
EFA, parallel analysis, ICC and ROC on simulated 10-item, two-factor data with 2,000 and
50,000 respondents, and psych (R) for comparison where R is installed.

Run: .venv/bin/python benchmarks/bench_validation.py
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from evalkit.methods.validation import efa, icc, item_analysis, parallel_analysis, reliability, roc


def simulate(n, seed=1):
    rng = np.random.default_rng(seed)
    lam = np.zeros((10, 2))
    lam[:5, 0] = [0.8, 0.7, 0.7, 0.6, 0.6]
    lam[5:, 1] = [0.8, 0.7, 0.6, 0.6, 0.5]
    f = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], size=n)
    x = f @ lam.T + rng.normal(size=(n, 10)) * np.sqrt(1 - (lam**2).sum(1))
    items = np.clip(np.round(x * 1.2 + 2), 0, 4)
    df = pd.DataFrame(items, columns=[f"y{i:02d}" for i in range(1, 11)])
    df["t2"] = df.iloc[:, :5].sum(1) + rng.normal(0, 1.5, n)
    df["ref"] = (f[:, 0] + rng.normal(0, 0.8, n) > 1).astype(int)
    return df


def timed(label, fn, rows):
    tracemalloc.start()
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rows.append((label, dt, peak))
    print(f"{label:55s} {dt:8.3f} s  peak {peak:8.1f} MiB", flush=True)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(psych))
d <- read.csv(commandArgs(TRUE)[1])
it <- d[, 1:5]
t <- system.time(a <- alpha(it, warnings = FALSE))[["elapsed"]]
cat(sprintf("psych::alpha (5 items)                    %8.3f s\n", t))
t <- system.time(f <- fa(d[, 1:10], 2, fm = "minres", rotate = "oblimin"))[["elapsed"]]
cat(sprintf("psych::fa minres oblimin (10 items, 2 f)  %8.3f s\n", t))
t <- system.time(ICC(cbind(rowSums(it), d$t2), lmer = FALSE))[["elapsed"]]
cat(sprintf("psych::ICC (2 occasions)                  %8.3f s\n", t))
"""


def main():
    warnings.simplefilter("ignore")
    for n in (2000, 50000):
        print(f"\n== n = {n:,} respondents, 10 items ==")
        df = simulate(n)
        items5 = [f"y{i:02d}" for i in range(1, 6)]
        items10 = [f"y{i:02d}" for i in range(1, 11)]
        rows = []
        timed(
            "reliability, 5 items, n_boot=0",
            lambda df=df, items=items5: reliability(df, items=items, n_boot=0),
            rows,
        )
        timed(
            "reliability, 5 items, n_boot=1000 (bootstrap omega)",
            lambda df=df, items=items5: reliability(df, items=items, n_boot=1000),
            rows,
        )
        timed(
            "item_analysis, 10 items",
            lambda df=df, items=items10: item_analysis(df, items=items, scale_range=(0, 4)),
            rows,
        )
        timed(
            "efa minres oblimin, 10 items, 2 factors",
            lambda df=df, items=items10: efa(df, items=items, n_factors=2),
            rows,
        )
        timed(
            "parallel_analysis, 10 items, 20 simulations",
            lambda df=df, items=items10: parallel_analysis(df, items=items, n_iter=20),
            rows,
        )
        s = df[items5].sum(1)
        timed("icc, 2 occasions", lambda s=s, df=df: icc(pd.DataFrame({"t1": s, "t2": df["t2"]})), rows)
        timed(
            "roc",
            lambda s=s, df=df: roc(pd.DataFrame({"s": s, "ref": df["ref"]}), score="s", reference="ref"),
            rows,
        )
        if shutil.which("Rscript"):
            with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
                df.to_csv(fh, index=False)
            with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fr:
                fr.write(R_SCRIPT)
            out = subprocess.run(["Rscript", fr.name, fh.name], capture_output=True, text=True)
            print(out.stdout.strip() or out.stderr.strip()[:500])


if __name__ == "__main__":
    main()
