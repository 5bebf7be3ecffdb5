"""prepost.impute: multiple imputation (chained equations, Rubin's rules, Barnard-Rubin df).

Checked by simulation with known truth (the full run is benchmarks/montecarlo_impute.py;
figures in docs/prepost.md) and the pooling rules against their formulas (mice::pool)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import evalkit
from evalkit.core.errors import DataQualityWarning, EstimationError, ParameterError
from evalkit.methods import prepost
from evalkit.methods.imputation import chained_imputations, rubin_pool

TRUTH = -0.7


def _mar(n: int, rng: np.random.Generator) -> pd.DataFrame:
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


def test_mar_simulation_small():
    """Drop-out depends on the pre-test (MAR): multiple imputation is unbiased and covers,
    the complete pairs are biased. 60 seeded replications (the benchmark runs 1,000);
    bands are wide enough for 60 (coverage SE ~ 2.8 points)."""
    rng = np.random.default_rng(7)
    est, cover, cc = [], [], []
    for i in range(60):
        df = _mar(150, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            t = (
                prepost.impute(df, outcome="y", unit="id", time="wave", m=20, n_iter=5, seed=i)
                .tidy()
                .set_index("term")
            )
        r = t.loc["mean_diff"]
        est.append(r["estimate"])
        cover.append(r["ci_lower"] <= TRUTH <= r["ci_upper"])
        cc.append(t.loc["mean_diff_complete_case", "estimate"])
    est, cc = np.array(est), np.array(cc)
    mc_se = est.std(ddof=1) / math.sqrt(est.size)
    assert abs(est.mean() - TRUTH) < 3 * mc_se + 0.01
    assert np.mean(cover) >= 0.85
    # the design is informative: complete pairs are clearly biased upwards
    assert cc.mean() - TRUTH > 0.15


def test_rubin_pool_formulas():
    q = np.array([1.0, 1.2, 0.9, 1.1, 1.05])
    u = np.array([0.04, 0.05, 0.045, 0.05, 0.04])
    p = rubin_pool(q, u, df_complete=99)
    m = 5
    b = q.var(ddof=1)
    w = u.mean()
    t = w + (1 + 1 / m) * b
    lam = max((1 + 1 / m) * b / t, 1e-4)
    nu_old = (m - 1) / lam**2
    nu_obs = (99 + 1) / (99 + 3) * 99 * (1 - lam)
    assert_allclose(p.estimate, q.mean(), rtol=1e-15)
    assert_allclose(p.std_error, math.sqrt(t), rtol=1e-15)
    assert_allclose(p.df, nu_old * nu_obs / (nu_old + nu_obs), rtol=1e-12)
    riv = (1 + 1 / m) * b / w
    assert_allclose(p.riv, riv, rtol=1e-12)
    assert_allclose(p.fmi, (riv + 2 / (p.df + 3)) / (1 + riv), rtol=1e-12)


def test_no_missing_values_gives_the_paired_t():
    rng = np.random.default_rng(1)
    n = 50
    df = pd.DataFrame(
        {"id": np.repeat(np.arange(n), 2), "wave": ["pre", "post"] * n, "y": rng.normal(5, 2, 2 * n)}
    )
    res = prepost.impute(df, outcome="y", unit="id", time="wave")
    t = res.tidy().set_index("term")
    p = prepost.paired(df, outcome="y", unit="id", time="wave").tidy().set_index("term")
    for col in ("estimate", "std_error"):
        assert_allclose(t.loc["mean_diff", col], p.loc["mean_diff", col], rtol=1e-10)
    # mice::pool's df without missing data: (n_com + 1) / (n_com + 3) n_com (1 - 1e-4),
    # slightly below the paired t's n - 1
    nu_obs = (n - 1 + 1) / (n - 1 + 3) * (n - 1) * (1 - 1e-4)
    nu_old = 19 / 1e-8
    assert_allclose(t.loc["mean_diff", "df"], nu_old * nu_obs / (nu_old + nu_obs), rtol=1e-12)
    assert res.n_imputed_post == 0


def test_seeded_reproducible_and_pmm_values_are_observed():
    df = evalkit.datasets.load("interventions")
    df["total"] = evalkit.scales.score(df, "djg11")["total"].astype(float)
    d = df[(df["municipality_code"] == "GM0363") & (df["group"] == "intervention")]
    kw = dict(outcome="total", unit="participant_id", time="wave", covariates=["age", "gender"])
    a = prepost.impute(d, **kw, seed=3)
    b = prepost.impute(d, **kw, seed=3)
    c = prepost.impute(d, **kw, seed=4)
    assert a.tidy().equals(b.tidy())
    assert not a.tidy().equals(c.tidy())
    assert a.m == 20 and a.n_imputed_post > 0
    # pmm imputes values that occur in the data: DJG totals stay whole numbers 0-11
    x = np.column_stack([np.r_[1.0, 2, 3, 4, 5, 6, 7, 8], np.r_[2.0, np.nan, 4, 4, np.nan, 7, 8, 9]])
    for comp in chained_imputations(x, m=20, n_iter=3, seed=1, method="pmm"):
        assert set(comp[:, 1]) <= {2.0, 4.0, 7.0, 8.0, 9.0}
    assert "imputatie" in a.summary() and "imputation" in a.summary(lang="en")
    assert "<div" in a._repr_html_()
    import matplotlib.pyplot as plt

    a.plot(lang="en")
    plt.close("all")


def test_impute_bad_input():
    df = pd.DataFrame(
        {
            "id": [1, 1, 2, 2, 3, 3, 4, 4],
            "wave": ["pre", "post"] * 4,
            "y": [3.0, 2.0, 5.0, 4.5, 6.0, 5.0, 4.0, np.nan],
        }
    )
    with pytest.raises(ParameterError, match="m"):
        prepost.impute(df, outcome="y", unit="id", time="wave", m=5)
    with pytest.raises(ParameterError, match="method"):
        prepost.impute(df, outcome="y", unit="id", time="wave", method="rf")
    with pytest.raises(ParameterError, match="covariates"):
        prepost.impute(df, outcome="y", unit="id", time="wave", covariates=["nope"])
    few = df.assign(y=[3.0, np.nan, 5.0, np.nan, 6.0, 5.0, 4.0, np.nan])
    with pytest.raises(EstimationError, match="both"):
        prepost.impute(few, outcome="y", unit="id", time="wave")


def test_pooled_numbers_agree_with_r_mice():
    """tests/reference/prepost_impute/mice.R: R mice (pmm, 5 donors, m = 500) on example
    coalition GM0014 with age as auxiliary variable. Different random numbers, so the pooled
    estimate is compared within 4 Monte Carlo standard errors sqrt(B_R / m + B / m); the
    total standard error and fmi within 5% / 0.05 (their Monte Carlo spread at m = 500 is
    about 1% / 0.02). Only the post-test has holes (pre and age complete), so one sweep per
    chain is the same model as mice's maxit = 10."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parent / "reference" / "prepost_impute" / "mice.json").read_text())
    df = evalkit.datasets.load("interventions")
    df["total"] = evalkit.scales.score(df, "djg11")["total"].astype(float)
    d = df[(df["municipality_code"] == "GM0014") & (df["group"] == "intervention")]
    res = prepost.impute(
        d,
        outcome="total",
        unit="participant_id",
        time="wave",
        covariates=["age"],
        m=500,
        n_iter=1,
        seed=1,
        method="pmm",
    )
    p = res.pooled
    assert res.n_units == ref["n"] and res.n_imputed_post == ref["n_missing_post"]
    mc = math.sqrt(ref["between"] / 500 + p.between / 500)
    assert abs(p.estimate - ref["estimate"]) < 4 * mc
    assert_allclose(p.std_error, ref["std_error"], rtol=0.05)
    assert abs(p.fmi - ref["fmi"]) < 0.05
