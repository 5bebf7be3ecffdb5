"""Monte Carlo check of evalkit.did: bias and coverage of 95% intervals.

Simulated staggered panels (``evalkit.did.simulate_staggered``: cohort effects 1, 2, 3
growing with exposure, so two-way fixed effects are biased) with known truth. For each
replication we record, for the simple aggregation, the dynamic aggregation at event time
1, one ATT(g,t), and TWFE:
- bias of the estimate,
- coverage of the analytic 95% interval,
- (with --bootstrap B) coverage of the bootstrap simultaneous band of all ATT(g,t).

Usage: .venv/bin/python benchmarks/montecarlo_did.py [--reps 1000] [--units 300]
       [--bootstrap 199] [--covariates]
The fast version is tests/test_did.py::test_monte_carlo_coverage_small.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from evalkit.methods.did import simulate_staggered, staggered, twfe

warnings.simplefilter("ignore")


def truth(df, att_gt):
    """True ATT(g,t) and the true simple ATT. The aggregations target population cohort
    shares P(G=g) (here equal for the three cohorts); their SEs include the variability
    of the estimated shares, so the truth uses the population shares, not the sample's."""
    tau = df.groupby(["g", "time"])["tau"].mean()
    tr = np.array([tau.get((g, t), 0.0) for g, t in zip(att_gt["group"], att_gt["time"])])
    post = (att_gt["time"] >= att_gt["group"]).to_numpy()
    return tr, float(np.mean(tr[post]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--bootstrap", type=int, default=0)
    ap.add_argument(
        "--covariates",
        action="store_true",
        help="covariate-driven trends; estimate with the doubly robust method",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    rec = {k: [] for k in ("simple", "dyn1", "gt", "twfe")}
    cov = {k: [] for k in ("simple", "dyn1", "gt", "band")}
    for rep in range(args.reps):
        df = simulate_staggered(
            args.units,
            periods=range(1, 7),
            cohorts=(3, 4, 5),
            covariate_trend=0.5 if args.covariates else 0.0,
            seed=10_000 + rep,
        )
        r = staggered(
            df,
            outcome="y",
            unit="unit",
            time="time",
            first_treated="g",
            covariates="x" if args.covariates else None,
            bootstrap=args.bootstrap or None,
            seed=rep,
        )
        a = r.att_gt
        tr, ts = truth(df, a)
        s = r.aggregate("simple").tidy().iloc[0]
        rec["simple"].append(s.estimate - ts)
        cov["simple"].append(s.ci_lower <= ts <= s.ci_upper)
        dyn = r.aggregate("dynamic").tidy()
        d1 = dyn[dyn["event_time"] == 1].iloc[0]
        e = (a["time"] - a["group"]).to_numpy()
        t1 = float(np.mean(tr[e == 1]))  # equal population shares
        rec["dyn1"].append(d1.estimate - t1)
        cov["dyn1"].append(d1.ci_lower <= t1 <= d1.ci_upper)
        j = np.flatnonzero((a["group"] == 3) & (a["time"] == 4))[0]
        rec["gt"].append(a["estimate"].iloc[j] - tr[j])
        if not args.bootstrap:
            cov["gt"].append(a["ci_lower"].iloc[j] <= tr[j] <= a["ci_upper"].iloc[j])
        else:
            # pointwise coverage from the analytic SE, band coverage from the bootstrap
            se = r._se_analytic[j]
            cov["gt"].append(abs(a["estimate"].iloc[j] - tr[j]) <= 1.959964 * se)
            ok = a["std_error"].notna().to_numpy()
            cov["band"].append(
                bool(
                    np.all(
                        (a["ci_lower"].to_numpy()[ok] <= tr[ok]) & (tr[ok] <= a["ci_upper"].to_numpy()[ok])
                    )
                )
            )
        if rep < 200:  # TWFE is slower (linearmodels); 200 replications show its bias
            tw = twfe(df, outcome="y", unit="unit", time="time", treated="treated")
            rec["twfe"].append(tw.estimate() - ts)
    n = args.reps
    print(
        f"{n} replications, {args.units} units x 6 periods, cohorts 3/4/5"
        f"{', covariates (DR)' if args.covariates else ''}"
        f"{f', bootstrap {args.bootstrap}' if args.bootstrap else ''}; "
        f"{time.perf_counter() - t0:.1f} s"
    )
    se_cov = lambda p, m: np.sqrt(p * (1 - p) / m)  # noqa: E731
    for k in ("simple", "dyn1", "gt", "twfe"):
        b = np.array(rec[k])
        line = f"{k:7s} bias {b.mean():+.4f} (MC se {b.std(ddof=1) / np.sqrt(b.size):.4f}), sd {b.std(ddof=1):.4f}"
        if cov.get(k):
            p = float(np.mean(cov[k]))
            line += f", 95% coverage {p:.3f} (MC se {se_cov(p, len(cov[k])):.3f})"
        print(line)
    if cov["band"]:
        p = float(np.mean(cov["band"]))
        print(f"uniform band over all ATT(g,t): coverage {p:.3f} (MC se {se_cov(p, n):.3f})")


if __name__ == "__main__":
    main()
