"""Benchmark evalkit.did.staggered against csdid and differences on the same data.

Datasets (simulated, fixed seeds):
- "municipal": 342 municipalities x 9 years (2016-2024), cohorts 2018/2019/2020/2021 of
  70/58/84/51 municipalities (cumulative 70, 128, 212, 263 as the action programme),
  79 never joined;
- "large": 100,000 units x 10 periods, 4 cohorts (periods 3, 5, 7, 9; 20% each), 20%
  never treated.

For each: analytic standard errors and 999 multiplier-bootstrap draws; wall time
(``time.perf_counter``, best of ``--repeat`` runs) and peak traced memory
(``tracemalloc``, a separate run) of ``att_gt`` + the simple aggregation, and the largest
differences of the ATT(g,t) and their analytic SEs from evalkit's.

csdid and differences are NOT dependencies of evalkit; they are imported only here
(``pip install csdid differences``) and skipped if missing.

Usage: .venv/bin/python benchmarks/bench_did.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata as md
import io
import platform
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from evalkit.methods.did import simulate_staggered, staggered

warnings.simplefilter("ignore")


def municipal_panel(seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.array([2018] * 70 + [2019] * 58 + [2020] * 84 + [2021] * 51 + [0] * 79)
    rng.shuffle(g)
    years = np.arange(2016, 2025)
    n = g.size
    alpha = rng.normal(45, 5, n)
    lam = np.linspace(0, 3, years.size)
    uu = np.repeat(np.arange(n), years.size)
    tt = np.tile(years, n)
    gg = g[uu]
    eff = np.where((gg > 0) & (tt >= gg), -0.5 - 0.4 * (tt - gg), 0.0)
    y = alpha[uu] + lam[tt - 2016] + eff + rng.normal(0, 1.5, uu.size)
    return pd.DataFrame({"unit": uu, "time": tt, "y": y, "g": gg.astype(float)})


def large_panel() -> pd.DataFrame:
    df = simulate_staggered(
        100_000, periods=range(1, 11), cohorts=(3, 5, 7, 9), shares=(0.2, 0.2, 0.2, 0.2), seed=1
    )
    df["time"] = df["time"].astype(int)
    return df[["unit", "time", "y", "g"]]


# --- runners: each returns (att array, se array or None, simple ATT) ---------------------
def run_evalkit(df, boot):
    r = staggered(df, outcome="y", unit="unit", time="time", first_treated="g", bootstrap=boot, seed=1)
    s = r.aggregate("simple").tidy()
    return r.att_gt["estimate"].to_numpy(), r.att_gt["std_error"].to_numpy(), float(s["estimate"].iloc[0])


def run_csdid(df, boot):
    from csdid.att_gt import ATTgt

    m = ATTgt(
        yname="y",
        tname="time",
        idname="unit",
        gname="g",
        data=df,
        control_group=["nevertreated"],
        biters=boot or 1000,
    )
    m.fit(est_method="dr", bstrap=bool(boot))
    res = m.results
    m.aggte(typec="simple")
    agg = m.atte if hasattr(m, "atte") else None
    simple = np.nan
    if isinstance(agg, dict) and "overall_att" in agg:
        simple = float(agg["overall_att"])
    return np.asarray(res["att"], dtype=float), np.asarray(res["se"], dtype=float), simple


def run_differences(df, boot):
    from differences import ATTgt

    d2 = df.assign(cohort=df["g"].replace(0, np.nan)).set_index(["unit", "time"])
    a = ATTgt(data=d2, cohort_column="cohort")
    a.fit(formula="y", est_method="reg", progress_bar=False, boot_iterations=boot or 0, random_state=1)
    tab = a.results()
    s = a.aggregate("simple", boot_iterations=boot or 0, random_state=1)
    att = tab.iloc[:, 0].to_numpy(dtype=float)
    se = tab.iloc[:, 1].to_numpy(dtype=float)
    return att, se, float(s.iloc[0, 0])


RUNNERS = {"evalkit": run_evalkit, "csdid": run_csdid, "differences": run_differences}


def version(pkg):
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return None


def _quiet(fn, df, boot):
    """csdid prints its summary and differences a progress bar: keep the table clean."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(df, boot)


def measure(fn, df, boot, repeat):
    best = np.inf
    out = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = _quiet(fn, df, boot)
        best = min(best, time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    _quiet(fn, df, boot)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="municipal panel only")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--skip-slow-bootstrap",
        action="store_true",
        help="skip the competitors' bootstrap on the large panel",
    )
    args = ap.parse_args()
    data = {"municipal (342 x 9)": municipal_panel()}
    if not args.quick:
        data["large (100,000 x 10)"] = large_panel()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas "
        f"{pd.__version__}; evalkit {version('evalkit')}, csdid {version('csdid')}, "
        f"differences {version('differences')}; {platform.machine()}"
    )
    print()
    print(
        "| data | package | SEs | time (s) | peak memory (MiB) | max abs diff ATT(g,t) "
        "| max rel diff SE | simple ATT |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for dname, df in data.items():
        ref = None
        for boot in (None, 999):
            for pkg, fn in RUNNERS.items():
                if pkg != "evalkit" and version(pkg) is None:
                    continue
                large = dname.startswith("large")
                if boot and large and pkg != "evalkit" and args.skip_slow_bootstrap:
                    continue
                rep = 1 if (pkg != "evalkit" and large) else args.repeat
                try:
                    sec, mem, (att, se, simple) = measure(fn, df, boot, rep)
                except Exception as exc:  # competitor failures are reported, not fatal
                    print(
                        f"| {dname} | {pkg} | {'bootstrap 999' if boot else 'analytic'} "
                        f"| failed: {type(exc).__name__}: {str(exc)[:60]} | | | | |"
                    )
                    continue
                if pkg == "evalkit" and boot is None:
                    ref = (att, se)
                datt = (
                    np.nanmax(np.abs(att - ref[0])) if ref is not None and att.size == ref[0].size else np.nan
                )
                dse = (
                    np.nanmax(np.abs(se / ref[1] - 1))
                    if ref is not None and se is not None and se.size == ref[1].size
                    else np.nan
                )
                print(
                    f"| {dname} | {pkg} | {'bootstrap 999' if boot else 'analytic'} | "
                    f"{sec:.3f} | {mem:.1f} | {datt:.1e} | {dse:.1e} | {simple:.6f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
