"""Knapp-Hartung, the Riley t prediction interval and permutation tests of moderators,
against R metafor 3.8.1 (tests/reference/meta/make_reference_knha_permutest.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import ParameterError
from evalkit.methods.meta import meta_regression, permutation_test, random_effects

REF = Path(__file__).parent / "reference" / "meta"


@pytest.fixture(scope="module")
def bcg():
    return pd.read_csv(REF / "dat_bcg_moderators.csv")


@pytest.mark.parametrize("method", ["REML", "DL"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_random_effects_knha_and_prediction_intervals(bcg, method, test):
    ref = pd.read_csv(REF / "knha_random_effects.csv").set_index(["method", "test"]).loc[(method, test)]
    res = random_effects(bcg, estimate="yi", variance="vi", method=method, test=test)
    assert_allclose(
        [res.estimate(), res.std_error, res.z, res.p_value, res.ci_lower, res.ci_upper, res.tau2],
        ref[["estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "tau2"]].astype(float),
        rtol=1e-6,
    )
    # default prediction interval = metafor's predict(): normal for z, t(k - 1) for knha
    assert_allclose(
        [res.pi_lower, res.pi_upper], ref[["pi_lb_default", "pi_ub_default"]].astype(float), rtol=1e-6
    )
    # prediction="t" (Riley et al. 2011, k - 2 df) = predict(fit, pi.type = "riley")
    riley = random_effects(bcg, estimate="yi", variance="vi", method=method, test=test, prediction="t")
    assert_allclose(
        [riley.pi_lower, riley.pi_upper], ref[["pi_lb_riley", "pi_ub_riley"]].astype(float), rtol=1e-6
    )
    assert riley.tidy().set_index("term").loc["prediction", "df"] == 11
    # Riley's interval is wider than metafor's default
    assert riley.pi_upper - riley.pi_lower > res.pi_upper - res.pi_lower


@pytest.mark.parametrize("method", ["REML", "DL"])
def test_meta_regression_knha(bcg, method):
    coef = pd.read_csv(REF / "knha_metareg_coefficients.csv")
    coef = coef[coef["method"] == method]
    st = pd.read_csv(REF / "knha_metareg_statistics.csv").set_index("method").loc[method]
    res = meta_regression(
        bcg, estimate="yi", variance="vi", moderators=["alloc", "ablat"], method=method, test="knha"
    )
    c = res.coefficients
    assert_allclose(c["estimate"], coef["estimate"], rtol=1e-6)
    assert_allclose(c["std_error"], coef["se"], rtol=1e-6)
    assert_allclose(c["z"], coef["tval"], rtol=1e-6)
    assert_allclose(c["p_value"], coef["pval"], rtol=1e-6)
    assert_allclose(c[["ci_lower", "ci_upper"]], coef[["ci_lb", "ci_ub"]], rtol=1e-6)
    assert_allclose([res.tau2, res.qm, res.qm_p], st[["tau2", "QM", "QMp"]].astype(float), rtol=1e-6)
    assert (res.qm_df, res.df_residual) == (st["QMdf1"], st["QMdf2"])
    assert "F(3, 9)" in res.summary("en")


CASES = {"alloc10": (slice(0, 10), "alloc"), "ablat7": (slice(0, 7), "ablat")}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("method", ["REML", "DL"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_permutation_test_exact_equals_permutest(bcg, case, method, test):
    ref = pd.read_csv(REF / "permutest_exact.csv")
    ref = ref[(ref["case"] == case) & (ref["method"] == method) & (ref["test"] == test)]
    rows, mod = CASES[case]
    d = bcg.iloc[rows]
    res = meta_regression(d, estimate="yi", variance="vi", moderators=mod, method=method, test=test)
    assert_allclose([res.qm, res.qm_p], ref[["QM", "QMp"]].iloc[0].astype(float), rtol=1e-6)
    pt = permutation_test(res, exact=True)
    assert pt.exact and pt.iterations == ref["iterations"].iloc[0]  # distinct permutations (ablat has a tie)
    # p-values are counts over the same finite set of permutations: equal up to rounding
    assert_allclose(pt.qm_p, ref["QMp_perm"].iloc[0], rtol=1e-12)
    assert_allclose(pt.coefficients["p_value"], ref["pval_perm"], rtol=1e-12)
    tidy = pt.tidy()
    assert list(tidy.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert tidy.set_index("term").loc["qm", "p_value"] == pt.qm_p


def test_permutation_test_random_is_seeded_and_near_exact(bcg):
    # 360 distinct permutations: 2000 random ones (with replacement) estimate the exact p-value;
    # Monte Carlo SE sqrt(p (1 - p) / 2000) ~ 0.011, so 4 SE = 0.045
    d = bcg.iloc[:10]
    res = meta_regression(d, estimate="yi", variance="vi", moderators="alloc")
    exact = permutation_test(res, exact=True)
    a = permutation_test(res, exact=False, iterations=2000, seed=1)
    b = permutation_test(res, exact=False, iterations=2000, seed=1)
    assert not a.exact and a.iterations == 2000
    assert a.qm_p == b.qm_p
    assert abs(a.qm_p - exact.qm_p) < 0.045
    # exact=None: exact when the distinct permutations are at most `iterations` (as metafor)
    assert permutation_test(res, iterations=1000).exact
    assert not permutation_test(res, iterations=100, seed=2).exact


def test_permutation_test_detects_a_real_moderator():
    """Known truth: 12 coalitions, moderator effect 0.6 with small SEs -> p < 0.05; no effect ->
    the permutation p-value is uniform-ish (here: not tiny)."""
    rng = np.random.default_rng(5)
    x = np.repeat([0, 1], 6)
    se = np.full(12, 0.1)
    y1 = 0.6 * x + rng.normal(0, 0.1, 12) + rng.normal(0, se)
    d = pd.DataFrame({"y": y1, "se": se, "x": np.where(x == 1, "b", "a")})
    res = meta_regression(d, estimate="y", std_error="se", moderators="x")
    pt = permutation_test(res, exact=True)  # 924 distinct arrangements
    assert pt.iterations == 924
    assert pt.qm_p < 0.01


def test_bad_arguments(bcg):
    res = meta_regression(bcg.iloc[:10], estimate="yi", variance="vi", moderators="alloc")
    with pytest.raises(ParameterError, match="iterations"):
        permutation_test(res, iterations=1)
    with pytest.raises(ParameterError, match="exact"):
        permutation_test(res, exact="yes")
    with pytest.raises(ParameterError, match="MetaRegressionResult"):
        permutation_test(random_effects(bcg, estimate="yi", variance="vi"))
    with pytest.raises(ValueError, match="test"):
        random_effects(bcg, estimate="yi", variance="vi", test="t")
    with pytest.raises(ValueError, match="test"):
        meta_regression(bcg, estimate="yi", variance="vi", moderators="alloc", test="hksj")
    with pytest.raises(ParameterError, match="exact=True"):
        permutation_test(meta_regression(bcg, estimate="yi", variance="vi", moderators="ablat"), exact=True)
