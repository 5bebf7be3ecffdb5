"""Benchmark: evalkit CFA and invariance vs semopy and lavaan (R), 10 items, two factors.

Run:  .venv/bin/python benchmarks/bench_cfa.py [--sizes 2000 50000] [--repeat 5] [--no-r]

For each sample size the script simulates (seed 2024) 10 continuous items loading on two
correlated factors, with a two-level group column, and times

- evalkit ``cfa`` (ML, single group) and ``invariance`` (configural + metric + scalar);
- semopy 2.3 ``Model(desc).fit(data)`` (ML, single group; semopy cannot fit the
  constrained multi-group models);
- lavaan 0.6-14 ``cfa()`` and the three invariance fits, timed inside R with
  ``system.time`` (elapsed; R start-up and CSV reading excluded), when ``Rscript`` exists.

Time is the median wall-clock time of ``--repeat`` runs after one warm-up run; peak
memory is the ``tracemalloc`` peak of Python allocations during one run (numpy arrays
included). Results are printed as a Markdown table (copied into docs/validation_cfa.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from evalkit.methods.validation import cfa, invariance  # noqa: E402

MODEL = "f1 =~ y01 + y02 + y03 + y04 + y05\nf2 =~ y06 + y07 + y08 + y09 + y10"


def simulate(n: int, seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lam = np.zeros((10, 2))
    lam[:5, 0] = [1.0, 0.8, 0.9, 0.7, 1.1]
    lam[5:, 1] = [1.0, 1.2, 0.6, 0.8, 0.9]
    f = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.3], [0.3, 1.0]], size=n)
    x = 2.0 + f @ lam.T + rng.normal(scale=0.7, size=(n, 10))
    df = pd.DataFrame(x, columns=[f"y{i:02d}" for i in range(1, 11)])
    df["groep"] = np.where(rng.random(n) < 0.5, "a", "b")
    return df


def measure(fn, repeat: int):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(TRUE); d <- read.csv(args[1]); reps <- as.integer(args[2])
m <- 'f1 =~ y01 + y02 + y03 + y04 + y05
      f2 =~ y06 + y07 + y08 + y09 + y10'
med <- function(expr) { f <- function() system.time(eval(expr))[["elapsed"]]; f();
                        median(replicate(reps, f())) }
t_cfa <- med(quote(cfa(m, data = d)))
t_inv <- med(quote({cfa(m, data = d, group = "groep");
                    cfa(m, data = d, group = "groep", group.equal = "loadings");
                    cfa(m, data = d, group = "groep", group.equal = c("loadings", "intercepts"))}))
fit <- cfa(m, data = d)
cat(sprintf("%.6f %.6f %.6f\n", t_cfa, t_inv, fitMeasures(fit, "chisq")))
"""


def lavaan_times(df: pd.DataFrame, repeat: int):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "d.csv")
        script = os.path.join(tmp, "bench.R")
        df.to_csv(csv, index=False)
        with open(script, "w") as fh:
            fh.write(R_SCRIPT)
        out = subprocess.run(["Rscript", script, csv, str(repeat)], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return None
        t_cfa, t_inv, chi2 = map(float, out.stdout.split())
        return t_cfa, t_inv, chi2


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 50000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-r", action="store_true", help="skip lavaan")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = []
    for n in args.sizes:
        df = simulate(n)
        items = df.drop(columns="groep")
        t, mem = measure(lambda df=df: cfa(df, MODEL), args.repeat)
        chi2 = cfa(df, MODEL).fit_indices["chi2"]
        rows.append(("evalkit", "CFA (ML)", n, t, mem, chi2))
        t, mem = measure(lambda df=df: invariance(df, MODEL, group="groep"), args.repeat)
        rows.append(("evalkit", "invariance (3 models)", n, t, mem, np.nan))
        try:
            import semopy

            def run_semopy(items=items):
                mod = semopy.Model(MODEL)
                mod.fit(items)
                return mod

            t, mem = measure(run_semopy, args.repeat)
            mod = run_semopy()
            chi2_s = float(semopy.calc_stats(mod)["chi2"].iloc[0])
            rows.append(("semopy", "CFA (ML)", n, t, mem, chi2_s))
        except Exception as exc:  # pragma: no cover - optional comparison
            print(f"semopy failed: {exc}", file=sys.stderr)
        if not args.no_r:
            lt = lavaan_times(df, args.repeat)
            if lt is not None:
                rows.append(("lavaan 0.6-14", "CFA (ML)", n, lt[0], np.nan, lt[2]))
                rows.append(("lavaan 0.6-14", "invariance (3 models)", n, lt[1], np.nan, np.nan))
    res = pd.DataFrame(rows, columns=["tool", "task", "n", "seconds", "peak_MiB", "chi2"])
    print(res.to_markdown(index=False, floatfmt=".4g") if _has_tabulate() else res.to_string(index=False))
    return res


def _has_tabulate():
    try:
        import tabulate  # noqa: F401

        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
