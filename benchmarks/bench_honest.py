"""Speed of evalkit.did.honest on the Callaway & Sant'Anna event study of the bundled
municipal panel (345 municipalities x 9 years; 4 pre-treatment and 7 post-treatment
event times), a grid of 10 restriction values.

Usage: .venv/bin/python benchmarks/bench_honest.py [--repeat 5]
R HonestDiD is not installed here; the Python port honestdid 0.1.1 needed 680 s for one
value of mbar on this panel (tests/reference/honestdid/honestdid_panel.json, on the
same busy machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import evalkit
from evalkit.methods.did import honest, staggered


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    panel = evalkit.datasets.load("municipal_panel")
    r = staggered(
        panel,
        outcome="lonely_pct",
        unit="municipality_code",
        time="year",
        first_treated="joined_year",
        control="notyet",
        base_period="universal",
    )
    dyn = r.aggregate("dynamic")
    mbar = np.linspace(0.25, 2.5, 10)
    for label, kw in (
        ("relative magnitudes (C-LF), 10 values of mbar", dict(mbar=mbar)),
        ("relative magnitudes, e='average'", dict(mbar=mbar, e="average")),
        ("smoothness (FLCI), 10 values of M", dict(method="smoothness")),
    ):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            honest(dyn, **kw)
            times.append(time.perf_counter() - t0)
        print(f"{label}: min {min(times):.2f} s, median {np.median(times):.2f} s ({args.repeat} runs)")


if __name__ == "__main__":
    main()
