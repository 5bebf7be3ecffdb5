"""Benchmark: WLSMV CFA (polychorics + NACOV + DWLS + robust test) vs lavaan.

Data: two-factor model, five-point items, N in {2,000, 50,000}, p in {10, 30}
(seeded simulation). For each size evalkit's ``cfa(..., estimator="WLSMV")`` is timed (best of
``--repeat`` runs, wall clock) and, when ``Rscript`` with lavaan is available, lavaan's
``cfa(..., ordered = TRUE, estimator = "WLSMV")`` is timed inside R on the same data
(``system.time`` around ``cfa`` only, CSV reading excluded). The scaled chi-square,
CFI/RMSEA (scaled) and SRMR of both are printed to show the numbers agree.

Run:  .venv/bin/python benchmarks/bench_wlsmv.py [--repeat 3] [--no-r]
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

SIZES = [(2_000, 10), (2_000, 30), (50_000, 10), (50_000, 30)]

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
model <- readLines(args[2])
best <- Inf
for (i in seq_len(as.integer(args[3]))) {
  tm <- system.time(fit <- cfa(model, data = d, ordered = names(d), estimator = "WLSMV"))
  best <- min(best, tm[["elapsed"]])
}
fm <- fitMeasures(fit, c("chisq.scaled", "cfi.scaled", "rmsea.scaled", "srmr"))
cat(jsonlite::toJSON(list(time = best, fm = as.list(fm)), digits = NA, auto_unbox = TRUE))
"""


def simulate(n: int, p: int, seed: int = 1) -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(seed)
    half = p // 2
    lam = np.zeros((p, 2))
    lam[:half, 0] = rng.uniform(0.5, 0.8, half)
    lam[half:, 1] = rng.uniform(0.5, 0.8, p - half)
    eta = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], n)
    lam[0, 1] = 0.3  # one cross-loading the fitted model omits: a (mildly) misfitting model
    common = np.einsum("ij,jk,ik->i", lam, np.array([[1, 0.3], [0.3, 1]]), lam)
    ystar = eta @ lam.T + rng.normal(size=(n, p)) * np.sqrt(1 - common)
    cuts = np.array([-1.5, -0.5, 0.4, 1.3])
    y = np.digitize(ystar + rng.normal(0, 0.2, p), cuts)
    cols = [f"x{j + 1:02d}" for j in range(p)]
    model = f"f1 =~ {' + '.join(cols[:half])}\nf2 =~ {' + '.join(cols[half:])}"
    return pd.DataFrame(y, columns=cols), model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    have_r = shutil.which("Rscript") is not None and not args.no_r
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rfile = Path(tmp) / "bench.R"
        rfile.write_text(R_SCRIPT)
        for n, p in SIZES:
            data, model = simulate(n, p)
            best = np.inf
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = cfa(data, model, estimator="WLSMV")
                best = min(best, time.perf_counter() - t0)
            fi = res.fit_indices
            row = dict(
                n=n,
                items=p,
                evalkit_s=best,
                chi2_scaled=fi["chi2_scaled"],
                cfi_scaled=fi["cfi_scaled"],
                rmsea_scaled=fi["rmsea_scaled"],
                srmr=fi["srmr"],
            )
            if have_r:
                csv = Path(tmp) / "d.csv"
                mfile = Path(tmp) / "model.txt"
                data.to_csv(csv, index=False)
                mfile.write_text(model)
                out = subprocess.run(
                    ["Rscript", str(rfile), str(csv), str(mfile), str(args.repeat)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                row.update(
                    lavaan_s=r["time"],
                    lavaan_chi2_scaled=r["fm"]["chisq.scaled"],
                    max_rel_diff=max(
                        abs(row[a] - r["fm"][b]) / max(abs(r["fm"][b]), 1e-12)
                        for a, b in [
                            ("chi2_scaled", "chisq.scaled"),
                            ("cfi_scaled", "cfi.scaled"),
                            ("rmsea_scaled", "rmsea.scaled"),
                            ("srmr", "srmr"),
                        ]
                    ),
                )
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
