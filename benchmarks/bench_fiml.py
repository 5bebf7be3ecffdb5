"""Benchmark: FIML CFA (``missing="fiml"``, ML and MLR) vs lavaan's ``missing = "ml"``.

Data: two-factor model, 10 continuous items, N = 50,000 (and 2,000), 10% of the answers
deleted completely at random (seeded simulation). evalkit's ``cfa(..., missing="fiml")``
is timed (best of ``--repeat`` runs, wall clock, data preparation and the h1 model
included) and, when ``Rscript`` with lavaan is available, lavaan's
``cfa(..., missing = "ml")`` inside R on the same data (``system.time`` around ``cfa``
only, CSV reading excluded). The chi-square, CFI and RMSEA of both are printed to show that
the numbers agree.

Run:  .venv/bin/python benchmarks/bench_fiml.py [--repeat 3] [--no-r] [--sizes 2000,50000]
"""

from __future__ import annotations

import os

# Small dense matrices: multi-threaded BLAS only adds overhead (and thrashes on a shared
# machine); R's lavaan runs single-threaded too. Override by setting the variable.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from evalkit.methods.validation.sem import cfa  # noqa: E402

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
model <- readLines(args[2])
est <- args[4]
best <- Inf
for (i in seq_len(as.integer(args[3]))) {
  tm <- system.time(fit <- cfa(model, data = d, missing = "ml", estimator = est))
  best <- min(best, tm[["elapsed"]])
}
fm <- fitMeasures(fit, c("chisq", "cfi", "rmsea"))
cat(jsonlite::toJSON(list(time = best, fm = as.list(fm)), digits = NA, auto_unbox = TRUE))
"""


def simulate(n: int, p: int = 10, share_missing: float = 0.10, seed: int = 1) -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(seed)
    half = p // 2
    lam = np.zeros((p, 2))
    lam[:half, 0] = rng.uniform(0.5, 0.8, half)
    lam[half:, 1] = rng.uniform(0.5, 0.8, p - half)
    phi = np.array([[1, 0.3], [0.3, 1]])
    eta = rng.multivariate_normal([0, 0], phi, n)
    resid = 1 - np.einsum("ij,jk,ik->i", lam, phi, lam)
    x = 3 + eta @ lam.T + rng.normal(size=(n, p)) * np.sqrt(resid)
    x[rng.uniform(size=x.shape) < share_missing] = np.nan
    names = [f"x{i + 1}" for i in range(p)]
    model = f"f1 =~ {' + '.join(names[:half])}\nf2 =~ {' + '.join(names[half:])}"
    return pd.DataFrame(x, columns=names), model


def time_evalkit(data: pd.DataFrame, model: str, estimator: str, repeat: int) -> tuple[float, pd.Series]:
    best, res = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            res = cfa(data, model, estimator=estimator, missing="fiml")
        best = min(best, time.perf_counter() - t0)
    assert res is not None
    return best, res.fit_indices


def time_lavaan(data: pd.DataFrame, model: str, estimator: str, repeat: int) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        d, m, s = Path(tmp, "d.csv"), Path(tmp, "m.txt"), Path(tmp, "s.R")
        data.to_csv(d, index=False, na_rep="")
        m.write_text(model)
        s.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(s), str(d), str(m), str(repeat), estimator],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--sizes", default="2000,50000")
    ap.add_argument("--estimators", default="ML,MLR")
    args = ap.parse_args()
    print(f"{'N':>7} {'est':>4} {'evalkit s':>10} {'lavaan s':>9}  chi2 (evalkit / lavaan)  CFI  RMSEA")
    for n in [int(s) for s in args.sizes.split(",")]:
        data, model = simulate(n)
        for est in args.estimators.split(","):
            t_ev, fi = time_evalkit(data, model, est, args.repeat)
            lav = None if args.no_r else time_lavaan(data, model, est, args.repeat)
            t_lav = f"{lav['time']:9.2f}" if lav else "        -"
            ref = f"{lav['fm']['chisq']:.3f}" if lav else "-"
            print(
                f"{n:>7} {est:>4} {t_ev:10.2f} {t_lav}  {fi['chi2']:.3f} / {ref}  "
                f"{fi['cfi']:.4f}  {fi['rmsea']:.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
