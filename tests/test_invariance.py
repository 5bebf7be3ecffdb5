"""Tests of evalkit.validation.invariance against lavaan 0.6-14 (tests/reference/lavaan/)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataValidationError, ParameterError
from evalkit.methods.validation.sem import (
    DECISION_COLUMNS,
    TABLE_COLUMNS,
    InvarianceResult,
    invariance,
)

REF = Path(__file__).parent / "reference" / "lavaan"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
# lavaan's multi-group solutions carry gradients ~1e-6 (see test_cfa.py): rtol 1e-4
# (the requirement) for quantities computed from the estimates; fit statistics
# agree to ~3e-6.
RTOL = 1e-4


@pytest.fixture(scope="module")
def hs_data():
    return pd.read_csv(REF / "holzinger1939.csv")


@pytest.fixture(scope="module")
def hs_inv(hs_data):
    return invariance(hs_data, HS, group="school")


def test_table_equals_lavaan(hs_inv):
    t = hs_inv.table
    assert list(t.index) == ["configural", "metric", "scalar"]
    assert list(t.columns[: len(TABLE_COLUMNS)]) == [
        "chi2",
        "df",
        "cfi",
        "tli",
        "rmsea",
        "srmr",
        "delta_chi2",
        "delta_df",
        "p_value",
        "delta_cfi",
        "delta_rmsea",
    ]
    for level in t.index:
        ref = pd.read_csv(REF / f"hs_{level}_fit.csv").set_index("index")["value"]
        for ours, theirs in [
            ("chi2", "chisq"),
            ("df", "df"),
            ("cfi", "cfi"),
            ("tli", "tli"),
            ("rmsea", "rmsea"),
            ("srmr", "srmr"),
        ]:
            assert_allclose(t.loc[level, ours], ref[theirs], rtol=1e-5, err_msg=f"{level} {ours}")
    # published in the lavaan tutorial
    assert [round(x, 3) for x in t["chi2"]] == [115.851, 124.044, 164.103]
    assert list(t["df"]) == [48, 54, 60]


def test_lrt_equals_lavTestLRT(hs_inv):
    lrt = pd.read_csv(REF / "hs_lrt.csv")
    t = hs_inv.table
    assert_allclose(t["delta_chi2"].iloc[1:], lrt["delta_chisq"].iloc[1:], rtol=1e-5)
    assert_allclose(t["delta_df"].iloc[1:], lrt["delta_df"].iloc[1:])
    assert_allclose(t["p_value"].iloc[1:], lrt["p_value"].iloc[1:], rtol=1e-4)
    assert t["delta_chi2"].isna().iloc[0]


def test_decisions(hs_inv):
    t = hs_inv.table
    assert_allclose(t.loc["scalar", "delta_cfi"], t.loc["scalar", "cfi"] - t.loc["metric", "cfi"])
    # metric holds, scalar fails (LRT and Cheung-Rensvold); Chen's RMSEA rule not triggered
    assert bool(t.loc["metric", "lrt_invariant"]) and bool(t.loc["metric", "cfi_invariant"])
    assert not bool(t.loc["scalar", "lrt_invariant"]) and not bool(t.loc["scalar", "cfi_invariant"])
    assert bool(t.loc["scalar", "rmsea_invariant"])
    assert t[DECISION_COLUMNS].iloc[0].isna().all()


def test_score_tests_equal_lavTestScore(hs_inv):
    ref = pd.read_csv(REF / "hs_scalar_score_uni.csv")
    ours = hs_inv.score_tests("scalar")
    assert len(ours) == len(ref) == 15
    assert list(ours["lhs"]) == list(ref["lhs_name"])
    assert list(ours["op"]) == list(ref["op_name"])
    # score statistics depend on the gradient at the solution, where lavaan's is ~1e-6:
    # agreement ~1e-5 relative; rtol 1e-4
    assert_allclose(ours["x2"], ref["X2"], rtol=RTOL)
    assert_allclose(ours["p_value"], ref["p.value"], rtol=RTOL)


def test_total_score_test(hs_inv):
    from evalkit.methods.validation.sem import score_test_release

    fit = hs_inv.fits["scalar"]
    keys = [k for k in set(fit.spec.partable["equal_key"]) if k]
    total = pd.read_csv(REF / "hs_scalar_score_total.csv")
    assert_allclose(score_test_release(fit, keys), total["X2"].iloc[0], rtol=RTOL)


def test_partial_frees_x3_intercept_first(hs_inv):
    part = hs_inv.partial("scalar", criterion="lrt")
    assert part.freed[0] == "x3~1"
    ref = pd.read_csv(REF / "hs_partial_x3_fit.csv").set_index("index")["value"]
    assert_allclose(part.steps.loc[0, "chi2"], ref["chisq"], rtol=1e-5)
    assert_allclose(part.steps.loc[0, "cfi"], ref["cfi"], rtol=1e-5)
    # after x3 the LRT still fails; freeing x7's intercept (second largest) makes it pass
    assert part.freed == ["x3~1", "x7~1"]
    assert bool(part.steps["lrt_invariant"].iloc[-1])
    assert part.table.loc["scalar", "df"] == 58
    assert list(part.tidy()["term"]) == ["x3~1", "x7~1"]
    assert "x3~1" in part.summary("en")


def test_partial_with_cfi_criterion(hs_inv):
    part = hs_inv.partial(criterion="cfi")
    assert part.freed == ["x3~1", "x7~1"]


def test_known_intercept_dif_is_found():
    """Simulation: item y03's intercept is 0.6 higher in group B; everything else equal."""
    rng = np.random.default_rng(7)
    n, lam = 1500, np.array([0.9, 0.8, 0.7, 0.8, 0.6, 0.7])
    frames = []
    for g, shift in (("A", 0.0), ("B", 0.6)):
        f = rng.normal(0.3 if g == "B" else 0.0, 1.0, size=n)
        x = 2.0 + np.outer(f, lam) + rng.normal(scale=0.6, size=(n, 6))
        x[:, 2] += shift
        frames.append(pd.DataFrame(x, columns=[f"y{i:02d}" for i in range(1, 7)]).assign(groep=g))
    df = pd.concat(frames, ignore_index=True)
    res = invariance(df, "f =~ y01 + y02 + y03 + y04 + y05 + y06", group="groep")
    t = res.table
    assert bool(t.loc["metric", "lrt_invariant"])
    assert not bool(t.loc["scalar", "lrt_invariant"]) and not bool(t.loc["scalar", "cfi_invariant"])
    st = res.score_tests().sort_values("x2", ascending=False)
    assert st.iloc[0]["lhs"] == "y03" and st.iloc[0]["op"] == "~1"
    part = res.partial()
    assert part.freed == ["y03~1"]
    assert bool(part.table.loc["scalar", "lrt_invariant"]) and bool(part.table.loc["scalar", "cfi_invariant"])
    # the latent mean difference is recovered once y03 is freed
    p = part.fit.parameters
    alpha_b = p.loc[(p["lhs"] == "f") & (p["op"] == "~1") & (p["group"] == "B"), "estimate"].item()
    lam1_b = 0.9
    assert abs(alpha_b * lam1_b - 0.3 * 0.9) < 0.1


def test_youth_sample_finds_known_dif_item():
    """Bundled youth sample: uniform DIF on y07 (girls vs boys) and no other item."""
    from evalkit.data import datasets

    y = datasets.load("youth")
    t1 = y.loc[y["wave"] == "t1"]
    model = "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
    # the 'anders' group is too small for a 12-item invariance analysis: clear message
    with pytest.raises(DataValidationError, match="group 'anders': 45 .* at least 60"):
        invariance(t1, model, group="gender")
    inv = invariance(t1.loc[t1["gender"].isin(["jongen", "meisje"])], model, group="gender")
    t = inv.table
    assert bool(t.loc["metric", "lrt_invariant"]) and bool(t.loc["metric", "cfi_invariant"])
    assert not bool(t.loc["scalar", "cfi_invariant"]) and not bool(t.loc["scalar", "lrt_invariant"])
    st = inv.score_tests().sort_values("x2", ascending=False)
    assert (st.iloc[0]["lhs"], st.iloc[0]["op"]) == (datasets.truth("youth")["dif"]["item"], "~1")
    part = inv.partial()
    assert part.freed == ["y07~1"]
    assert bool(part.table.loc["scalar", "lrt_invariant"]) and bool(part.table.loc["scalar", "cfi_invariant"])


def test_tidy_summary_plot(hs_inv):
    td = hs_inv.tidy()
    assert list(td.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert list(td.index) == ["configural", "metric", "scalar"]
    for c in TABLE_COLUMNS:
        assert c in td.columns
    assert_allclose(td["p_value"].iloc[1:], hs_inv.table["p_value"].iloc[1:])
    assert "Meetinvariantie" in hs_inv.summary() and "Cheung" in hs_inv.summary("en")
    assert isinstance(hs_inv.plot(), matplotlib.axes.Axes)
    matplotlib.pyplot.close("all")
    assert isinstance(hs_inv, InvarianceResult)


def test_estimator_dispatch(hs_data):
    """invariance(estimator=) runs the engine's estimator; unknown names are refused."""
    with pytest.raises(
        ParameterError, match="estimator='DWLS' is not allowed; use one of: 'ML', 'MLR', 'WLSMV'"
    ):
        invariance(hs_data, HS, group="school", estimator="DWLS")
    with pytest.raises(ParameterError, match="levels='thresholds'"):
        invariance(hs_data, HS, group="school", levels=["configural", "thresholds"])


def test_bad_input(hs_data):
    with pytest.raises(ParameterError, match="estimator"):
        invariance(hs_data, HS, group="school", estimator="MLM")
    with pytest.raises(ParameterError, match="group='schooltype'"):
        invariance(hs_data, HS, group="schooltype")
    with pytest.raises(DataValidationError, match="only one value"):
        invariance(hs_data.assign(one="x"), HS, group="one")
    small = pd.concat([hs_data, hs_data.head(30).assign(school="Klein")])
    with pytest.raises(DataValidationError, match="too few respondents in group 'Klein': 30 .* at least 45"):
        invariance(small, HS, group="school")
    with pytest.raises(ParameterError, match="unknown_item"):
        invariance(hs_data, HS + " + unknown_item", group="school")


def test_partial_bad_options(hs_inv):
    with pytest.raises(ParameterError, match="level"):
        hs_inv.partial("strict")
    with pytest.raises(ParameterError, match="criterion"):
        hs_inv.partial(criterion="aic")


def test_three_groups_equal_lavaan(hs_data):
    d = hs_data.assign(g3=np.array(["a", "b", "c"])[np.arange(len(hs_data)) % 3])
    res = invariance(d, HS, group="g3")
    for level in res.table.index:
        ref = pd.read_csv(REF / f"hs_g3_{level}_fit.csv").set_index("index")["value"]
        for ours, theirs in [
            ("chi2", "chisq"),
            ("df", "df"),
            ("cfi", "cfi"),
            ("tli", "tli"),
            ("rmsea", "rmsea"),
            ("srmr", "srmr"),
        ]:
            assert_allclose(res.table.loc[level, ours], ref[theirs], rtol=1e-5, err_msg=f"{level} {ours}")
        pe = pd.read_csv(REF / f"hs_g3_{level}_estimates.csv")
        pe = pe.loc[pe["op"] == "=~"]
        ld = res.fits[level].loadings
        assert_allclose(ld["estimate"], pe["est"], rtol=RTOL)
        assert_allclose(ld["std_error"].fillna(0), pe["se"], rtol=RTOL)
