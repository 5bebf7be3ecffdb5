"""Monte Carlo sample sizes for validating the youth instrument (evalkit.power.simulate),
each run twice with the same seed to show that a rerun gives the same numbers.

    .venv/bin/python benchmarks/montecarlo_power.py [--quick]

Prints the power per sample size, the sample size that reaches 80% power, whether the
rerun was identical, and the run time. The figures in docs/power.md come from this script.
"""

from __future__ import annotations

import argparse
import time

from evalkit.methods import power


def run(label: str, **kwargs) -> None:
    t0 = time.perf_counter()
    first = power.simulate(**kwargs)
    t1 = time.perf_counter()
    second = power.simulate(**kwargs)
    same = first.grid.equals(second.grid)
    print(f"\n== {label}  ({kwargs})")
    print(first.grid.to_string(index=False))
    print(f"n for 80% power: {first.n}; rerun identical: {same}; one run {t1 - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="few replications (a smoke test)")
    a = ap.parse_args()
    k = 10 if a.quick else 1
    run("CFA fit (CFI >= .95, RMSEA <= .06)", target="fit", n=[50, 100, 150, 200], n_rep=200 // k, seed=2026)
    run(
        "scalar invariance by gender (DIF y07)",
        target="invariance",
        n=[200, 400, 600],
        n_rep=50 // k,
        seed=2026,
        level="scalar",
    )
    run(
        "metric invariance by gender (no loading DIF: false alarms)",
        target="invariance",
        n=[400],
        n_rep=50 // k,
        seed=2027,
        level="metric",
    )


if __name__ == "__main__":
    main()
