"""Monte Carlo check of evalkit.prepost.impute (and mixed) under drop-out at random (MAR).

Two scenarios with known truth, both with mean change post - pre = -0.7 and the post-test
missing with probability logistic(-1.0 + 0.5 (pre - 6)) (the lonelier drop out more; about
30% overall): MAR, and the complete pairs are biased.

- ``regression`` (default): pre ~ N(6, 2.5^2), post = 2.0 + 0.55 pre + N(0, 1.8^2): the
  variance at post (5.1) differs from that at pre (6.25), so the random-intercept model's
  compound symmetry does not hold;
- ``cs``: pre = 6 + u + e1, post = 5.3 + u + e2, u ~ N(0, 2^2), e ~ N(0, 1.5^2): the
  random-intercept model is the true model. For each replication we record bias and coverage of the 95%
interval of: multiple imputation (pmm and norm, m = 20), the mixed model, complete pairs.

Usage: .venv/bin/python benchmarks/montecarlo_impute.py [--reps 1000] [--n 200] [--m 20]
The fast version is tests/test_prepost_impute.py::test_mar_simulation_small.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from evalkit.core.errors import DataQualityWarning
from evalkit.methods import prepost

TRUTH = -0.7


def simulate(n: int, rng: np.random.Generator, scenario: str = "regression") -> pd.DataFrame:
    if scenario == "cs":
        u = rng.normal(0, 2.0, n)
        pre = 6 + u + rng.normal(0, 1.5, n)
        post = 5.3 + u + rng.normal(0, 1.5, n)
    else:
        pre = rng.normal(6, 2.5, n)
        post = 2.0 + 0.55 * pre + rng.normal(0, 1.8, n)
    drop = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.5 * (pre - 6))))
    post[drop] = np.nan
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 2),
            "wave": ["pre", "post"] * n,
            "y": np.column_stack([pre, post]).ravel(),
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--m", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--scenario", choices=("regression", "cs"), default="regression")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    rec: dict[str, list[tuple[float, float, float]]] = {
        "impute_pmm": [],
        "impute_norm": [],
        "mixed": [],
        "complete_pairs": [],
    }
    t0 = time.perf_counter()
    for i in range(a.reps):
        df = simulate(a.n, rng, a.scenario)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            for meth in ("pmm", "norm"):
                # only the post-test has holes: one sweep per chain is the full model
                r = (
                    prepost.impute(
                        df, outcome="y", unit="id", time="wave", m=a.m, n_iter=2, method=meth, seed=i
                    )
                    .tidy()
                    .set_index("term")
                )
                row = r.loc["mean_diff"]
                rec[f"impute_{meth}"].append((row["estimate"], row["ci_lower"], row["ci_upper"]))
            cc = r.loc["mean_diff_complete_case"]
            rec["complete_pairs"].append((cc["estimate"], cc["ci_lower"], cc["ci_upper"]))
            mx = prepost.mixed(df, outcome="y", unit="id", time="wave").tidy().set_index("term")
            row = mx.loc["mean_diff"]
            rec["mixed"].append((row["estimate"], row["ci_lower"], row["ci_upper"]))
    secs = time.perf_counter() - t0
    print(f"scenario {a.scenario}: {a.reps} replications, n = {a.n}, m = {a.m}, truth {TRUTH}; {secs:.0f} s")
    print(f"{'method':16s} {'bias':>8s} {'MC se':>8s} {'coverage':>9s} {'MC se':>7s} {'width':>7s}")
    for k, v in rec.items():
        arr = np.array(v)
        bias = arr[:, 0].mean() - TRUTH
        se_b = arr[:, 0].std(ddof=1) / np.sqrt(len(arr))
        cov = np.mean((arr[:, 1] <= TRUTH) & (TRUTH <= arr[:, 2]))
        se_c = np.sqrt(cov * (1 - cov) / len(arr))
        width = np.mean(arr[:, 2] - arr[:, 1])
        print(f"{k:16s} {bias:8.4f} {se_b:8.4f} {100 * cov:8.1f}% {100 * se_c:6.1f}% {width:7.3f}")


if __name__ == "__main__":
    main()
