"""prepost.mixed: linear mixed model on all measurements, against R lme4 + lmerTest.

Reference: tests/reference/prepost_mixed/ (mixed.R run on input.csv written by
make_input.py; sessionInfo.txt). Tolerances: estimates and standard errors 1e-6 relative;
variance components and Satterthwaite df 1e-5 relative, because lme4's optimiser stops
about 1e-7 (relative) from the REML optimum and lmerTest takes the Hessian by numDeriv
(evalkit's REML log-likelihood is higher than lme4's or equal to 1e-12 in every fit).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import evalkit
from evalkit.core.errors import DataQualityWarning, EstimationError, ParameterError
from evalkit.methods import prepost
from evalkit.methods.lmm import fit_random_intercept, reml_loglik

REF = Path(__file__).parent / "reference" / "prepost_mixed"


@pytest.fixture(scope="module")
def coalitions() -> pd.DataFrame:
    df = evalkit.datasets.load("interventions")
    df["total"] = evalkit.scales.score(df, "djg11")["total"].astype(float)
    return df[df["group"] == "intervention"]


def _ref() -> list[dict]:
    return json.loads((REF / "mixed.json").read_text())


def test_input_is_the_bundled_example(coalitions):
    stored = pd.read_csv(REF / "input.csv")
    assert_allclose(stored["total"].to_numpy(), coalitions["total"].to_numpy(), rtol=0)
    assert (stored["participant_id"].to_numpy() == coalitions["participant_id"].to_numpy()).all()


@pytest.mark.parametrize("ref", _ref(), ids=lambda r: f"{r['municipality_code']}-{r['covariates']}")
def test_mixed_equals_lmertest(coalitions, ref):
    d = coalitions[coalitions["municipality_code"] == ref["municipality_code"]]
    covs = None if ref["covariates"] == "none" else [ref["covariates"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = prepost.mixed(d, outcome="total", unit="participant_id", time="wave", covariates=covs)
    row = res.tidy().set_index("term").loc["mean_diff"]
    assert res.n_obs == ref["n_obs"] and res.n_units == ref["n_units"]
    assert row["n"] == ref["n_units"]
    assert_allclose(row["estimate"], ref["estimate"], rtol=1e-6)
    assert_allclose(row["std_error"], ref["std_error"], rtol=1e-6)
    assert_allclose(row["statistic"], ref["t"], rtol=1e-6)
    # Satterthwaite df and variance components: 1e-5 (see the module docstring)
    assert_allclose(row["df"], ref["df"], rtol=1e-5)
    assert_allclose(row["p_value"], ref["p_value"], rtol=1e-5)
    assert_allclose([row["ci_lower"], row["ci_upper"]], [ref["ci_lower"], ref["ci_upper"]], rtol=1e-6)
    assert_allclose(res.var_unit, ref["var_unit"], rtol=1e-5)
    assert_allclose(res.var_residual, ref["var_residual"], rtol=1e-5)
    assert res.reml_loglik >= ref["reml_loglik"] - 1e-9
    assert_allclose(res.reml_loglik, ref["reml_loglik"], rtol=0, atol=1e-8)
    assert not res.singular and not ref["singular"]


def _kr_params() -> list:
    """Every reference fit; the Kenward-Roger ones after the first four (two coalitions, with
    and without a covariate) are slow (about a third of a second of CPU each): make test."""
    return [pytest.param(r, marks=[pytest.mark.slow] if i >= 4 else []) for i, r in enumerate(_ref())]


@pytest.mark.parametrize("ref", _kr_params(), ids=lambda r: f"{r['municipality_code']}-{r['covariates']}")
def test_kenward_roger_equals_lmertest_pbkrtest(coalitions, ref):
    """lmerTest summary(ddf = "Kenward-Roger") (pbkrtest): adjusted SE and df; observed
    agreement 1e-8, tolerance 1e-6 (lme4's optimum, as above)."""
    d = coalitions[coalitions["municipality_code"] == ref["municipality_code"]]
    covs = None if ref["covariates"] == "none" else [ref["covariates"]]
    res = prepost.mixed(
        d, outcome="total", unit="participant_id", time="wave", covariates=covs, df_method="kenward-roger"
    )
    row = res.tidy().set_index("term").loc["mean_diff"]
    assert_allclose(row["std_error"], ref["std_error_kr"], rtol=1e-6)
    assert_allclose(row["df"], ref["df_kr"], rtol=1e-6)
    assert_allclose(row["estimate"], ref["estimate"], rtol=1e-6)
    assert "Kenward-Roger" in res.summary()


def test_engine_agrees_with_statsmodels_mixedlm(coalitions):
    """statsmodels' MixedLM fits the same REML model: its log-likelihood at its own optimum
    is never above ours, and the estimates agree to its optimiser's precision."""
    import statsmodels.api as sm

    d = coalitions[coalitions["municipality_code"] == "GM0014"].dropna(subset=["total"])
    y = d["total"].to_numpy(float)
    X = np.column_stack([np.ones(len(d)), (d["wave"] == "post").to_numpy(float)])
    codes = pd.factorize(d["participant_id"])[0]
    fit = fit_random_intercept(y, X, codes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_fit = sm.MixedLM(y, X, groups=codes).fit(reml=True)
    assert fit.reml_loglik >= sm_fit.llf - 1e-10
    # our log-likelihood formula at statsmodels' parameters equals statsmodels' own value
    s2u_sm = float(np.asarray(sm_fit.cov_re)[0, 0])
    assert_allclose(reml_loglik(y, X, codes, s2u_sm, float(sm_fit.scale)), sm_fit.llf, rtol=1e-10)
    # statsmodels stops ~1e-4 short in the variance; estimates agree to 1e-5
    assert_allclose(fit.beta, np.asarray(sm_fit.fe_params), rtol=1e-5)
    assert_allclose(fit.s2u, s2u_sm, rtol=1e-3)


def test_complete_pairs_reproduce_paired_t():
    """Balanced complete pairs, no covariates: the mixed model is the paired t-test
    (same estimate, standard error, df = n - 1)."""
    rng = np.random.default_rng(3)
    n = 40
    u = rng.normal(0, 1.5, n)
    pre = 6 + u + rng.normal(0, 1, n)
    post = 5.4 + u + rng.normal(0, 1, n)
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 2),
            "wave": ["pre", "post"] * n,
            "score": np.column_stack([pre, post]).ravel(),
        }
    )
    m = prepost.mixed(df, outcome="score", unit="id", time="wave").tidy().set_index("term")
    p = prepost.paired(df, outcome="score", unit="id", time="wave").tidy().set_index("term")
    for col in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
        assert_allclose(m.loc["mean_diff", col], p.loc["mean_diff", col], rtol=1e-7)
    assert_allclose(m.loc["mean_diff", "df"], n - 1, rtol=1e-6)
    # Kenward-Roger: no adjustment for balanced complete pairs either
    kr = (
        prepost.mixed(df, outcome="score", unit="id", time="wave", df_method="kenward-roger")
        .tidy()
        .set_index("term")
    )
    assert_allclose(kr.loc["mean_diff", "std_error"], p.loc["mean_diff", "std_error"], rtol=1e-7)
    assert_allclose(kr.loc["mean_diff", "df"], n - 1, rtol=1e-6)


def test_mixed_uses_dropouts_and_contract(coalitions):
    d = coalitions[coalitions["municipality_code"] == "GM0363"]
    res = prepost.mixed(d, outcome="total", unit="participant_id", time="wave")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        pr = prepost.paired(d, outcome="total", unit="participant_id", time="wave")
    assert res.n_units > pr.n and res.n_complete == pr.n
    assert res.n_pre_only + res.n_post_only + res.n_complete == res.n_units
    tidy = res.tidy()
    assert list(tidy.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert list(tidy["term"]) == ["mean_diff", "mean_pre", "mean_post", "var_unit", "var_residual", "icc"]
    t = tidy.set_index("term")
    assert_allclose(
        t.loc["mean_post", "estimate"] - t.loc["mean_pre", "estimate"],
        t.loc["mean_diff", "estimate"],
        rtol=1e-12,
    )
    nl, en = res.summary(), res.summary(lang="en")
    assert "gemengde model" in nl and "mixed model" in en and "metingen" in nl
    assert "<div" in res._repr_html_()
    import matplotlib.pyplot as plt

    ax = res.plot(lang="en")
    assert ax.get_ylim() == (0.0, 11.0)
    plt.close("all")
    with pytest.raises(TypeError):
        res.plot("paired")  # keyword-only


def test_mixed_bad_input():
    df = pd.DataFrame(
        {
            "id": [1, 1, 2, 2, 3],
            "wave": ["pre", "post", "pre", "post", "pre"],
            "y": [3.0, 2.0, 5.0, 4.5, 6.0],
            "g": ["a", "a", "b", "b", "a"],
        }
    )
    with pytest.raises(ParameterError, match="covariates"):
        prepost.mixed(df, outcome="y", unit="id", time="wave", covariates=["nope"])
    with pytest.raises(ParameterError, match="confidence"):
        prepost.mixed(df, outcome="y", unit="id", time="wave", confidence=2)
    with pytest.raises(ParameterError, match="df_method"):
        prepost.mixed(df, outcome="y", unit="id", time="wave", df_method="containment")
    with pytest.raises(ParameterError, match="covariates"):
        prepost.mixed(df, outcome="y", unit="id", time="wave", covariates=["y"])
    only_pre = df.assign(wave=["pre", "post", "pre", "post", "pre"], y=[3.0, np.nan, 5.0, np.nan, 6.0])
    with pytest.raises(EstimationError, match="both"):
        prepost.mixed(only_pre, outcome="y", unit="id", time="wave")
    with pytest.raises(EstimationError, match="collinear"):
        prepost.mixed(df.assign(w=df["wave"]), outcome="y", unit="id", time="wave", covariates=["w"])


def test_singular_fit_warns():
    # negative pre-post correlation: the participant variance sits at its boundary 0
    rng = np.random.default_rng(11)
    n = 30
    pre = rng.normal(5, 1, n)
    post = 10 - pre + rng.normal(0, 0.3, n)
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 2),
            "wave": ["pre", "post"] * n,
            "y": np.column_stack([pre, post]).ravel(),
        }
    )
    with pytest.warns(DataQualityWarning, match="estimated at 0"):
        res = prepost.mixed(df, outcome="y", unit="id", time="wave")
    assert res.singular and res.var_unit == 0.0
    # then the model is ordinary least squares on all measurements
    X = np.column_stack([np.ones(2 * n), np.tile([0.0, 1.0], n)])
    beta = np.linalg.lstsq(X, df["y"].to_numpy(), rcond=None)[0]
    assert_allclose(res.tidy().set_index("term").loc["mean_diff", "estimate"], beta[1], rtol=1e-10)
