"""Monte Carlo check of evalkit.did.honest and of weighted staggered DiD.

1. Weighted simple ATT (``staggered(weights=...)``): panels from ``simulate_staggered``
   with a sampling weight per unit (uniform 0.3-3) and unit effects that grow with the
   weight (tau_i = tau_gt * (0.5 + 0.5 w_i)), so the weighted (population) ATT differs
   from the unweighted one. Truth: tau_gt * E[w (0.5 + 0.5 w)] / E[w] averaged over the
   post-treatment cells (equal cohort shares). Coverage of the 95% interval of the
   weighted simple ATT (and, for contrast, of the unweighted one).
2. Rambachan & Roth intervals: event-study estimates beta ~ N(tau + delta, Sigma) with
   Sigma the covariance of the example panel's dynamic aggregation (or a small
   diagonal one with --small) and a violation delta inside the restriction:
   relative magnitudes with every post-treatment change exactly mbar times the largest
   pre-treatment change, smoothness with second differences of +-M. Coverage of
   tau_{e=0} by the C-LF interval (mbar) and by the FLCI (M); the methods guarantee at
   least 95%.

Usage: .venv/bin/python benchmarks/montecarlo_honest.py [--reps 1000] [--units 300]
The fast versions are in tests/test_did_honest.py and tests/test_did_weights.py.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from evalkit.methods.did import simulate_staggered, staggered
from evalkit.methods.did._honest_core import flci, normal_draws, rm_interval

W_LO, W_HI = 0.3, 3.0


def weighted_factor() -> float:
    """E[w (0.5 + 0.5 w)] / E[w] for w ~ U(W_LO, W_HI)."""
    ew = (W_LO + W_HI) / 2
    ew2 = (W_HI**3 - W_LO**3) / (3 * (W_HI - W_LO))
    return (0.5 * ew + 0.5 * ew2) / ew


def weighted_panel(n_units: int, seed: int):
    df = simulate_staggered(n_units, periods=range(1, 7), cohorts=(3, 4, 5), seed=seed)
    rng = np.random.default_rng(seed + 7)
    w = rng.uniform(W_LO, W_HI, df["unit"].nunique())
    df = df.assign(w=df["unit"].map(dict(zip(np.unique(df["unit"]), w))).to_numpy())
    df["y"] = df["y"] + df["tau"] * (0.5 + 0.5 * df["w"] - 1.0)
    return df


def weighted_truth(df, att_gt) -> float:
    tau = df.groupby(["g", "time"])["tau"].mean()
    post = (att_gt["time"] >= att_gt["group"]).to_numpy()
    base = np.array([tau.get((g, t), 0.0) for g, t in zip(att_gt["group"], att_gt["time"])])
    return float(np.mean(base[post])) * weighted_factor()


def weighted_coverage(reps: int, n_units: int, seed0: int = 20_000):
    cov_w, cov_u = [], []
    for rep in range(reps):
        df = weighted_panel(n_units, seed0 + rep)
        kw = dict(outcome="y", unit="unit", time="time", first_treated="g")
        rw = staggered(df, weights="w", **kw)
        ru = staggered(df, **kw)
        truth = weighted_truth(df, rw.att_gt)
        for r, c in ((rw, cov_w), (ru, cov_u)):
            a = r.aggregate("simple")
            c.append(a.ci[0] <= truth <= a.ci[1])
    return float(np.mean(cov_w)), float(np.mean(cov_u))


def honest_coverage(reps: int, V: np.ndarray, n_pre: int, n_post: int, mbar: float, M: float, seed: int = 1):
    rng = np.random.default_rng(seed)
    L = np.linalg.cholesky(V)
    e1 = np.eye(n_post)[0]
    tau = np.linspace(0.5, 1.0, n_post)
    # relative magnitudes: pre changes of size a (alternating sign), post changes mbar * a
    a = 0.5 * float(np.sqrt(V[0, 0]))
    ch = a * np.where(np.arange(n_pre) % 2 == 0, 1.0, -1.0)  # changes into -n_pre+1..0
    lev = np.zeros(n_pre + 1)  # levels at -n_pre..0 (0 = ref)
    for k in range(n_pre - 1, -1, -1):
        lev[k] = lev[k + 1] - ch[k]
    d_rm = np.r_[lev[:n_pre], np.cumsum(np.full(n_post, mbar * a))]
    # smoothness: quadratic violation with second difference M
    t = np.r_[np.arange(-n_pre, 0), np.arange(1, n_post + 1)].astype(float)
    d_sd = 0.5 * M * t * (t + 1)  # every second difference M; 0 at the reference
    draws = normal_draws(0, 1000)
    cov_rm, cov_sd = [], []
    for _ in range(reps):
        noise = L @ rng.standard_normal(n_pre + n_post)
        b_rm = np.r_[np.zeros(n_pre), tau] + d_rm + noise
        lo, hi, _ = rm_interval(b_rm, V, n_pre, n_post, e1, mbar, 0.05, lf_draws=draws)
        cov_rm.append(lo <= tau[0] <= hi)
        b_sd = np.r_[np.zeros(n_pre), tau] + d_sd + noise
        lo, hi, _ = flci(b_sd, V, n_pre, n_post, e1, M, 0.05)
        cov_sd.append(lo <= tau[0] <= hi)
    return float(np.mean(cov_rm)), float(np.mean(cov_sd))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--units", type=int, default=300)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    se = lambda p, m: np.sqrt(p * (1 - p) / m)  # noqa: E731
    t0 = time.perf_counter()
    cw, cu = weighted_coverage(args.reps, args.units)
    print(
        f"weighted simple ATT, {args.reps} replications x {args.units} units: 95% coverage "
        f"{cw:.3f} (MC se {se(cw, args.reps):.3f}); unweighted interval for the weighted "
        f"truth: {cu:.3f}; {time.perf_counter() - t0:.0f} s"
    )
    V = np.diag(np.full(6, 0.04)) + 0.01
    for mbar, M in ((0.5, 0.02), (1.0, 0.05)):
        t0 = time.perf_counter()
        crm, csd = honest_coverage(args.reps, V, 3, 3, mbar, M)
        print(
            f"honest, 3 pre / 3 post periods, violation inside the restriction: C-LF "
            f"(mbar={mbar}) coverage {crm:.3f}, FLCI (M={M}) coverage {csd:.3f} "
            f"(MC se {se(0.95, args.reps):.3f}); {time.perf_counter() - t0:.0f} s"
        )


if __name__ == "__main__":
    main()
