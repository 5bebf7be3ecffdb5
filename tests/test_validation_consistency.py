"""Reliability: alpha/Feldt vs psych::alpha, omega vs semTools::compRelSEM and psych::omega.

References: tests/reference/psych/psych_reference.R, tests/reference/semtools/semtools_reference.R.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataValidationError, ParameterError, SmallSampleWarning
from evalkit.methods.validation import cfa, reliability
from evalkit.methods.validation.consistency import _omega_fast, feldt_ci, omega_from_cfa, schmid_leiman

REF = Path(__file__).parent / "reference"
P = json.loads((REF / "psych" / "psych_reference.json").read_text())
S = json.loads((REF / "semtools" / "semtools_reference.json").read_text())
# lavaan stops its optimiser at a relative change of about 1e-8 in the objective, which
# moves omega in the 7th digit: ML-based values are compared with rtol 1e-5.
RTOL_ML = 1e-5


@pytest.fixture(scope="module")
def hs():
    import semopy.examples.holzinger39 as h

    return h.get_data()


@pytest.fixture(scope="module")
def likert():
    return pd.read_csv(REF / "psych" / "likert.csv")


def _t(res):
    return res.tidy().set_index("term")


@pytest.mark.parametrize(
    "items,key",
    [
        (["x1", "x2", "x3"], "alpha_hs_x1_x3"),
        (["x4", "x5", "x6"], "alpha_hs_x4_x6"),
        ([f"x{i}" for i in range(1, 10)], "alpha_hs_x1_x9"),
    ],
)
def test_alpha_and_feldt_match_psych(hs, items, key):
    t = _t(reliability(hs, items=items, n_boot=0))
    ref = P[key]
    assert_allclose(t.at["alpha", "estimate"], ref["raw_alpha"], rtol=1e-10)
    assert_allclose(
        [t.at["alpha", "ci_lower"], t.at["alpha", "ci_upper"]],
        [ref["feldt_lower"], ref["feldt_upper"]],
        rtol=1e-10,
    )
    assert_allclose([t.at["alpha", "ci_lower"], t.at["alpha", "ci_upper"]], ref["alpha_ci"], rtol=1e-10)
    assert_allclose(t.at["alpha_standardized", "estimate"], ref["std_alpha"], rtol=1e-10)
    assert_allclose(t.at["average_r", "estimate"], ref["average_r"], rtol=1e-10)
    assert t.at["alpha", "ci_method"] == "feldt"


def test_likert_reverse_keyed_with_missing(likert):
    res = reliability(likert, items=list(likert.columns), reverse=["i3"], scale_range=(0, 4), n_boot=0)
    t = _t(res)
    ref = P["alpha_likert"]
    assert_allclose(t.at["alpha", "estimate"], ref["raw_alpha"], rtol=1e-10)
    assert_allclose(
        [t.at["alpha", "ci_lower"], t.at["alpha", "ci_upper"]],
        [ref["feldt_lower"], ref["feldt_upper"]],
        rtol=1e-10,
    )
    # omega on the complete cases (lavaan listwise), i3 reversed as 4 - x
    assert_allclose(t.at["omega_total", "estimate"], S["likert_listwise"]["omega"]["f"], rtol=RTOL_ML)
    assert t.at["omega_total", "n"] == len(likert.dropna())


@pytest.mark.parametrize(
    "items,key,fac",
    [
        (["x1", "x2", "x3"], "visual", "visual"),
        (["x4", "x5", "x6"], "textual", "textual"),
        ([f"x{i}" for i in range(1, 7)], "one_factor_x1_x6", "g"),
        ([f"x{i}" for i in range(1, 10)], "one_factor_x1_x9", "g"),
    ],
)
def test_omega_total_matches_compRelSEM(hs, items, key, fac):
    t = _t(reliability(hs, items=items, n_boot=0))
    assert_allclose(t.at["omega_total", "estimate"], S[key]["omega"][fac], rtol=RTOL_ML)
    # the fast route used in bootstrap replicates gives the same value
    assert_allclose(_omega_fast(hs[items].to_numpy(float))[0], S[key]["omega"][fac], rtol=RTOL_ML)


def test_omega_two_factor_model_matches_compRelSEM(hs):
    res = cfa(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6")
    for f in ("visual", "textual"):
        assert_allclose(omega_from_cfa(res, f, hs), S["two_factor"]["omega"][f], rtol=RTOL_ML)


BIFACTOR = """g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
g ~~ 0*textual
g ~~ 0*speed
textual ~~ 0*speed"""


def test_omega_hierarchical_bifactor_matches_compRelSEM(hs):
    items = [f"x{i}" for i in range(1, 10)]
    t = _t(reliability(hs, items=items, model=BIFACTOR, n_boot=0))
    assert_allclose(t.at["omega_hierarchical", "estimate"], S["bifactor"]["omega"]["g"], rtol=RTOL_ML)
    assert "bifactor" in t.at["omega_hierarchical", "method"]


def test_schmid_leiman_matches_psych_omega(hs):
    # psych's minres (optim, L-BFGS-B) and GPArotation (eps 1e-5) stop early: rtol 1e-4
    items = [f"x{i}" for i in range(1, 10)]
    sl = schmid_leiman(hs[items].corr().to_numpy(), 3)
    ref = P["omega_hs"]
    assert_allclose(sl["omega_h"], ref["omega_h"], rtol=1e-4)
    assert_allclose(sl["omega_total"], ref["omega_tot"], rtol=1e-4)
    assert_allclose(np.sort(sl["g_loadings"]), np.sort(ref["g_loadings"]), atol=1e-4)
    t = _t(reliability(hs, items=items, sl_factors=3, n_boot=0))
    assert_allclose(t.at["omega_hierarchical", "estimate"], ref["omega_h"], rtol=1e-4)
    # psych::omega's "alpha" is computed on the correlation matrix (standardised alpha)
    assert_allclose(t.at["alpha_standardized", "estimate"], ref["alpha"], rtol=1e-10)


def test_bootstrap_is_seeded_and_sensible(hs):
    items = ["x4", "x5", "x6"]
    a = reliability(hs, items=items, n_boot=150, seed=7).tidy()
    b = reliability(hs, items=items, n_boot=150, seed=7).tidy()
    c = reliability(hs, items=items, n_boot=150, seed=8).tidy()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["boot_ci_lower"], c["boot_ci_lower"])
    t = a.set_index("term")
    for term in ("alpha", "omega_total", "alpha_standardized"):
        assert t.at[term, "boot_ci_lower"] < t.at[term, "estimate"] < t.at[term, "boot_ci_upper"]
    assert t.at["omega_total", "ci_method"] == "bootstrap"
    # the percentile bootstrap interval of alpha is close to Feldt's (normal items, n = 301)
    w_boot = t.at["alpha", "boot_ci_upper"] - t.at["alpha", "boot_ci_lower"]
    w_feldt = t.at["alpha", "ci_upper"] - t.at["alpha", "ci_lower"]
    assert 0.6 < w_boot / w_feldt < 1.5


def test_bootstrap_coverage_of_true_omega():
    """Simulation with known truth: congeneric one-factor items, population omega known."""
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.7])
    theta = 1 - lam**2
    omega_true = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    rng = np.random.default_rng(11)
    hits = 0
    reps = 12
    for r in range(reps):
        f = rng.normal(size=(250, 1))
        x = f * lam + rng.normal(size=(250, 5)) * np.sqrt(theta)
        df = pd.DataFrame(x, columns=list("abcde"))
        t = _t(reliability(df, items=list("abcde"), n_boot=120, seed=r))
        hits += t.at["omega_total", "ci_lower"] <= omega_true <= t.at["omega_total", "ci_upper"]
    assert hits >= 9  # nominal 95%: P(hits <= 8 of 12) < 0.001


def test_feldt_formula_against_f_distribution():
    # Feldt (1965): (1 - alpha)/(1 - alpha_hat) ~ F(n-1, (n-1)(k-1)); the interval inverts it
    from scipy import stats

    lo, hi = feldt_ci(0.8, 100, 6, 0.9)
    f = stats.f(99, 99 * 5)
    assert_allclose(f.cdf((1 - lo) / (1 - 0.8)), 0.95, rtol=1e-10)
    assert_allclose(f.cdf((1 - hi) / (1 - 0.8)), 0.05, rtol=1e-10)


def test_tidy_contract_and_summary(hs):
    res = reliability(hs, items=["x1", "x2", "x3"], n_boot=20)
    t = res.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert {"alpha", "omega_total"} <= set(t["term"])
    assert "Cronbachs alfa" in res.summary() and "Cronbach's alpha" in res.summary(lang="en")
    import matplotlib.pyplot as plt

    res.plot()
    plt.close("all")


def test_bad_input(hs):
    df = hs[["x1", "x2", "x3"]].copy()
    df["flat"] = 1.0
    with pytest.raises(DataValidationError, match="without variance"):
        reliability(df, items=["x1", "x2", "flat"])
    with pytest.warns(SmallSampleWarning, match="at least 3 items"):
        res = reliability(hs, items=["x1", "x2"], n_boot=0)
    assert "omega_total" not in set(res.tidy()["term"])
    with pytest.raises(ParameterError, match="sl_factors"):
        reliability(hs, items=["x1", "x2", "x3"], sl_factors=1)
    with pytest.raises(ParameterError, match="n_boot"):
        reliability(hs, items=["x1", "x2", "x3"], n_boot=-1)
    with pytest.raises(ParameterError, match="general factor"):
        reliability(
            hs, items=[f"x{i}" for i in range(1, 7)], model="a =~ x1 + x2 + x3\nb =~ x4 + x5 + x6", n_boot=0
        )
    with pytest.raises(DataValidationError, match="at least 3 respondents"):
        reliability(hs.head(2), items=["x1", "x2", "x3"])
    with pytest.raises(ParameterError, match="term="):
        reliability(hs, items=["x1", "x2", "x3"], n_boot=0).estimate("nope")


@pytest.mark.parametrize(
    "make",
    [
        lambda d: d.assign(i3=d["i1"] + d["i2"]),  # an item is the sum of two others
        lambda d: d.assign(i3=d["i1"]),  # an exact duplicate
        lambda d: d.assign(i3=2 * d["i1"] + 1),  # a linear transform
    ],
    ids=["sum", "duplicate", "linear"],
)
@pytest.mark.parametrize("n_boot,sl", [(0, None), (20, None), (20, 2)])
def test_collinear_items_give_clear_warning_not_numpy_noise(likert, make, n_boot, sl):
    """Perfectly collinear items: omega total is NaN with a ConvergenceWarning that says
    why; no bare numpy RuntimeWarning ("invalid value encountered in log") leaks out and
    alpha (with its bootstrap CI) is still reported."""
    import warnings

    from evalkit.core.errors import ConvergenceWarning

    items = [c for c in likert.columns if c.startswith("i")][:6]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = reliability(make(likert.copy()), items=items, n_boot=n_boot, sl_factors=sl)
    bare = [w for w in caught if w.category is RuntimeWarning]
    assert not bare, [str(w.message) for w in bare]
    conv = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("omega total could not be estimated" in m and "singular" in m for m in conv), conv
    t = res.tidy().set_index("term")
    assert np.isnan(t.loc["omega_total", "estimate"])
    assert np.isfinite(t.loc["alpha", "estimate"])
    if n_boot:
        assert np.isfinite(t.loc["alpha_standardized", "ci_lower"])
