"""WLSMV CFA and ordinal invariance against lavaan 0.6-14 (+ semTools measEq.syntax).

References: tests/reference/lavaan_ordinal/make_reference.R -> reference.json,
reference_invariance.json; make_reference_scalar.R -> reference_scalar.json (all four
Wu & Estabrook levels incl. scalar, modindices / lavTestScore, partial invariance).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError
from evalkit.methods.validation.sem import INVARIANCE_LEVELS, WLSMV_FIT_NAMES, fit_wlsmv, invariance_wlsmv

REF_DIR = Path(__file__).parent / "reference" / "lavaan_ordinal"
REF = json.loads((REF_DIR / "reference.json").read_text())
REF_INV_ALL = json.loads((REF_DIR / "reference_invariance.json").read_text())
REF_INV = REF_INV_ALL["bfi"]
REF_SC = json.loads((REF_DIR / "reference_scalar.json").read_text())
YOUTH_MODEL = "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
BFI_MODEL = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
SIM3_MODEL = "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
BFI_ITEMS = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]

# evalkit name -> lavaan fitMeasures name
FIT_MAP = {
    "chi2": "chisq",
    "df": "df",
    "chi2_scaled": "chisq.scaled",
    "df_scaled": "df.scaled",
    "p_value_scaled": "pvalue.scaled",
    "scaling_factor": "chisq.scaling.factor",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "cfi_scaled": "cfi.scaled",
    "tli_scaled": "tli.scaled",
    "rmsea_scaled": "rmsea.scaled",
    "rmsea_ci_lower": "rmsea.ci.lower",
    "rmsea_ci_upper": "rmsea.ci.upper",
    "rmsea_ci_upper_scaled": "rmsea.ci.upper.scaled",
    "srmr": "srmr",
    "baseline_chi2": "baseline.chisq",
    "baseline_chi2_scaled": "baseline.chisq.scaled",
}


def _bfi():
    return pd.read_csv(REF_DIR / "bfi_AC.csv")


@pytest.fixture(scope="module", params=["bfi", "sim3", "bin"])
def case(request):
    if request.param == "bfi":
        data, model = _bfi()[BFI_ITEMS], BFI_MODEL
    elif request.param == "sim3":
        data, model = pd.read_csv(REF_DIR / "sim3.csv"), SIM3_MODEL
    else:  # binary items, one empty cell (lavaan's zero.add)
        data, model = pd.read_csv(REF_DIR / "bin.csv"), "f =~ b1 + b2 + b3 + b4"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = fit_wlsmv(data, model)
    return res, REF[request.param]


def test_fit_indices_equal_lavaan(case):
    res, ref = case
    assert res.converged
    assert list(res.fit_indices.index) == list(WLSMV_FIT_NAMES)
    fm = ref["fit_measures"]
    ours = np.array([res.fit_indices[k] for k in FIT_MAP])
    theirs = np.array([fm[v] for v in FIT_MAP.values()], dtype=float)
    # lavaan's nlminb stops at rel.tol 1e-10: statistics agree to ~1e-7
    assert_allclose(ours, theirs, rtol=1e-5, atol=1e-8)
    assert res.n == ref["n"]


def test_scaled_pvalue_tiny_and_lower_ci(case):
    res, ref = case
    fm = ref["fit_measures"]
    # the lower scaled RMSEA bound sits near 0 for sim3 (flat ncx2 inversion): 1e-4
    assert_allclose(res.fit_indices["rmsea_ci_lower_scaled"], fm["rmsea.ci.lower.scaled"], rtol=1e-4)
    assert_allclose(res.fit_indices["p_value_scaled"], fm["pvalue.scaled"], rtol=1e-4, atol=1e-12)


def test_parameters_equal_lavaan(case):
    res, ref = case
    pe = pd.DataFrame(ref["params"])
    lam = pe.loc[pe["op"] == "=~"]
    ld = res.loadings
    assert list(ld["item"]) == list(lam["rhs"])
    assert_allclose(ld["estimate"], lam["est"], rtol=1e-4)
    assert_allclose(ld["std_all"], lam["std_all"], rtol=1e-4)
    free = lam["se"] > 0
    assert_allclose(ld["std_error"][free.to_numpy()], lam["se"][free], rtol=1e-4)
    th = pe.loc[pe["op"] == "|"]
    assert_allclose(res.thresholds["estimate"], th["est"], rtol=1e-8)
    assert_allclose(res.thresholds["std_error"], th["se"], rtol=1e-4)
    # residual variances (derived, delta parameterisation) and factor (co)variances
    ours = res.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
    for r in pe.loc[pe["op"] == "~~"].itertuples():
        key = (r.lhs, "~~", r.rhs) if (r.lhs, "~~", r.rhs) in ours.index else (r.rhs, "~~", r.lhs)
        assert_allclose(ours[key], r.est, rtol=1e-4, atol=1e-7)


def test_result_interface(case):
    res, _ = case
    tid = res.tidy()
    assert list(tid.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert tid["term"].str.contains(r"\|t1").any()
    assert "WLSMV" in res.summary() and "scaled" in res.summary("en")
    assert res.plot().get_xlabel()


def _assert_fit_equal_lavaan(fit, ref, name):
    """Fit measures (rtol 1e-5) and every parameter: estimate, robust SE, std_all (rtol
    1e-4: lavaan stops its optimiser at a gradient of ~1e-6)."""
    keys = [
        "chi2",
        "chi2_scaled",
        "scaling_factor",
        "cfi",
        "tli",
        "rmsea",
        "cfi_scaled",
        "tli_scaled",
        "rmsea_scaled",
        "srmr",
        "baseline_chi2",
        "baseline_chi2_scaled",
    ]
    fm = ref["fit_measures"]
    assert_allclose(
        [fit.fit_indices[k] for k in keys], [fm[FIT_MAP[k]] for k in keys], rtol=1e-5, err_msg=name
    )
    assert fit.fit_indices["df"] == fm["df"]
    pe = pd.DataFrame(ref["params"])
    # lavaan numbers the groups; evalkit labels them (same order, tested separately)
    pe["group"] = [fit.groups[int(g) - 1] for g in pe["group"]]
    ours = fit.parameters.assign(
        key=[
            (a, o, b, g)
            for a, o, b, g in zip(
                fit.parameters.lhs, fit.parameters.op, fit.parameters.rhs, fit.parameters.group
            )
        ]
    )
    pe["key"] = [(a, o, b, g) for a, o, b, g in zip(pe.lhs, pe.op, pe.rhs, pe.group)]
    m = ours.merge(pe, on="key", how="inner")
    assert len(m) == len(pe) == len(ours), name
    assert_allclose(m["estimate"], m["est"], rtol=1e-4, atol=1e-5, err_msg=name)
    fr = m["free"] > 0
    assert_allclose(m.loc[fr, "std_error"], m.loc[fr, "se"], rtol=1e-4, err_msg=name)
    assert (m.loc[~fr, "se"] == 0).all(), name  # the same parameters are free as in lavaan
    assert_allclose(m["std_all_x"], m["std_all_y"], rtol=1e-4, atol=1e-5, err_msg=name)


def test_multigroup_and_invariance_equal_lavaan():
    data = _bfi()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        plain = fit_wlsmv(data, BFI_MODEL, group="gender")
        inv = invariance_wlsmv(data, BFI_MODEL, group="gender")
    assert plain.groups == REF_INV["group_labels"]
    fits = {"plain": plain, **inv.fits}
    # configural .. thresholds_loadings: reference_invariance.json and (the same values)
    # reference_scalar.json, which adds the scalar level
    refs = {"plain": REF_INV["plain"], **REF_SC["bfi"]["levels"]}
    for lev in ("configural", "thresholds", "thresholds_loadings"):
        assert_allclose(
            REF_SC["bfi"]["levels"][lev]["fit_measures"]["chisq.scaled"],
            REF_INV["levels"][lev]["fit_measures"]["chisq.scaled"],
            rtol=1e-7,
        )
    for name, fit in fits.items():
        _assert_fit_equal_lavaan(fit, refs[name], name)
    # scaled-shifted difference tests (lavTestLRT, satorra.2000)
    t = inv.table
    assert list(t.index) == list(INVARIANCE_LEVELS)
    assert list(t.index) == ["configural", "thresholds", "thresholds_loadings", "scalar"]
    lrt = REF_SC["bfi"]["lrt"]
    assert_allclose(t["delta_chi2_scaled"].iloc[1:3], REF_INV["lrt"]["chisq_diff"][1:], rtol=1e-5)
    assert_allclose(t["delta_chi2_scaled"].iloc[1:], lrt["chisq_diff"][1:], rtol=1e-5)
    assert_allclose(t["delta_df"].iloc[1:], lrt["df_diff"][1:])
    assert_allclose(t["p_value_scaled"].iloc[1:], lrt["p"][1:], rtol=1e-4)
    # bfi: equal intercepts fail by gender (44.37 on 8 df)
    assert t.loc["scalar", "p_value_scaled"] < 1e-5 and not t.loc["scalar", "lrt_invariant"]
    # score tests (modification indices of the intercepts in group 2): rtol 1e-4, atol
    # 1e-3 for the near-zero ones (lavaan's convergence)
    mi = pd.DataFrame(REF_SC["bfi"]["modindices"])
    mi = mi.loc[mi["group"] == 2]
    sc = inv.score_tests()
    assert list(sc["item"]) == list(mi["lhs"])
    assert_allclose(sc["x2"], mi["mi"], rtol=1e-4, atol=1e-3)
    assert_allclose(sc["epc"], mi["epc"], rtol=1e-4, atol=1e-5)
    assert_allclose(
        t["delta_cfi_scaled"].iloc[2],
        fits["thresholds_loadings"].fit_indices["cfi_scaled"] - fits["thresholds"].fit_indices["cfi_scaled"],
    )
    assert "Satorra" in inv.summary()
    assert list(inv.tidy()["term"]) == list(INVARIANCE_LEVELS)


def test_three_groups_youth_invariance_equal_lavaan():
    ref = REF_INV_ALL["youth"]
    ref_sc = REF_SC["youth_age"]
    d = pd.read_csv(REF_DIR / "youth_t1.csv")
    model = YOUTH_MODEL
    inv = invariance_wlsmv(d, model, group="age_band")
    keys = ["chi2", "chi2_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"]
    for lev, fit in inv.fits.items():
        assert fit.groups == ref["group_labels"]
        fm = ref_sc["levels"][lev]["fit_measures"]
        assert_allclose(
            [fit.fit_indices[k] for k in keys], [fm[FIT_MAP[k]] for k in keys], rtol=1e-5, err_msg=lev
        )
        pe = pd.DataFrame(ref_sc["levels"][lev]["params"])
        lam = pe.loc[pe["op"] == "=~"]
        assert_allclose(fit.loadings["estimate"], lam["est"], rtol=1e-4, atol=1e-6)
        assert_allclose(fit.loadings["std_error"], lam["se"], rtol=1e-4)
    _assert_fit_equal_lavaan(inv.fits["scalar"], ref_sc["levels"]["scalar"], "scalar")
    assert_allclose(inv.table["delta_chi2_scaled"].iloc[1:3], ref["lrt"]["chisq_diff"][1:], rtol=1e-5)
    assert_allclose(inv.table["delta_chi2_scaled"].iloc[1:], ref_sc["lrt"]["chisq_diff"][1:], rtol=1e-5)
    assert_allclose(inv.table["p_value_scaled"].iloc[1:], ref_sc["lrt"]["p"][1:], rtol=1e-4)
    # joint score test of each intercept over the two later groups = lavTestScore(release=)
    sc = inv.score_tests()
    assert (sc["df"] == 2).all()
    assert_allclose(sc["x2"], [ref_sc["joint_score"][it] for it in sc["item"]], rtol=1e-4)
    plain = fit_wlsmv(d, model, group="age_band")
    fm = ref["plain"]["fit_measures"]
    assert_allclose([plain.fit_indices[k] for k in keys], [fm[FIT_MAP[k]] for k in keys], rtol=1e-5)
    pe = pd.DataFrame(ref["plain"]["params"])
    lam = pe.loc[pe["op"] == "=~"]
    assert_allclose(plain.loadings["std_all"], lam["std_all"], rtol=1e-4, atol=1e-6)


@pytest.fixture(scope="module")
def youth_gender():
    d = pd.read_csv(REF_DIR / "youth_t1_gender.csv")
    return invariance_wlsmv(d, YOUTH_MODEL, group="gender")


def test_scalar_level_detects_uniform_dif_as_lavaan(youth_gender):
    # youth t1 by gender (jongen/meisje) has uniform DIF on y07 (threshold shift -0.6 for
    # girls): the Wu & Estabrook levels up to thresholds_loadings all pass (free item
    # intercepts absorb the shift); the scalar level fails clearly
    ref = REF_SC["youth_gender"]
    inv = youth_gender
    assert [fit.groups for fit in inv.fits.values()][0] == ref["group_labels"]
    for lev, fit in inv.fits.items():
        _assert_fit_equal_lavaan(fit, ref["levels"][lev], lev)
    t = inv.table
    assert_allclose(t["delta_chi2_scaled"].iloc[1:], ref["lrt"]["chisq_diff"][1:], rtol=1e-5)
    assert_allclose(t["delta_df"].iloc[1:], ref["lrt"]["df_diff"][1:])
    assert_allclose(t["p_value_scaled"].iloc[1:], ref["lrt"]["p"][1:], rtol=1e-4)
    earlier = t.loc[["thresholds", "thresholds_loadings"]]
    assert earlier[["lrt_invariant", "cfi_invariant", "rmsea_invariant"]].all().all()
    sc = t.loc["scalar"]
    assert (
        sc["p_value_scaled"] < 1e-20 and sc["delta_cfi_scaled"] <= -0.01 and sc["delta_rmsea_scaled"] >= 0.015
    )
    assert not (sc["lrt_invariant"] or sc["cfi_invariant"] or sc["rmsea_invariant"])
    # score tests = lavaan modindices (group 2 intercepts); y07 has by far the largest
    mi = pd.DataFrame(ref["modindices"])
    mi = mi.loc[mi["group"] == 2]
    st = inv.score_tests()
    assert list(st["item"]) == list(mi["lhs"])
    assert_allclose(st["x2"], mi["mi"], rtol=1e-4, atol=1e-3)
    assert_allclose(st["epc"], mi["epc"], rtol=1e-4, atol=1e-5)
    assert st.loc[st["x2"].idxmax(), "item"] == "y07"
    assert "partial()" in inv.summary() and "verworpen" in inv.summary()
    assert "rejected" in inv.summary("en")


def test_partial_scalar_frees_the_dif_item(youth_gender):
    from evalkit.data.datasets import truth

    dif_item = truth("youth")["dif"]["item"]
    ref = REF_SC["youth_gender"]["partial"]
    # by delta CFI and delta RMSEA, freeing y07's intercept restores scalar invariance
    part = youth_gender.partial(criterion="cfi+rmsea")
    assert part.freed == [f"{dif_item}~1"] == [ref["group_partial"]]
    _assert_fit_equal_lavaan(part.fit, ref, "partial y07~1")
    step = part.steps.iloc[0]
    assert_allclose(step["delta_chi2_scaled"], ref["lrt"]["chisq_diff"][1], rtol=1e-5)
    assert step["delta_df"] == ref["lrt"]["df_diff"][1] == 9
    assert_allclose(step["p_value_scaled"], ref["lrt"]["p"][1], rtol=1e-4)
    assert_allclose(step["score_x2"], youth_gender.score_tests()["x2"].max())
    assert bool(step["cfi_invariant"]) and bool(step["rmsea_invariant"])
    assert part.table.loc["scalar", "df"] == 149
    assert_allclose(part.table.loc["scalar", "chi2_scaled"], ref["fit_measures"]["chisq.scaled"], rtol=1e-5)
    assert "y07~1" in part.summary() and list(part.tidy()["term"]) == ["y07~1"]
    # the scaled LR test (p = .038 after y07, n = 1,455) then also frees y02's intercept
    part_lrt = youth_gender.partial(criterion="lrt")
    assert part_lrt.freed[0] == "y07~1" and len(part_lrt.freed) == 2
    assert bool(part_lrt.steps["lrt_invariant"].iloc[-1])


def test_partial_and_score_tests_unsupported_levels_raise_parameter_error(youth_gender):
    for level in ("thresholds", "thresholds_loadings"):
        with pytest.raises(ParameterError, match="scalar"):
            youth_gender.partial(level=level)
        with pytest.raises(ParameterError, match="scalar"):
            youth_gender.score_tests(level=level)
    with pytest.raises(ParameterError):
        youth_gender.partial(level="configural")
    with pytest.raises(ParameterError):
        youth_gender.partial(level="metric")
    with pytest.raises(ParameterError, match="criterion"):
        youth_gender.partial(criterion="aic")
    d = pd.read_csv(REF_DIR / "youth_t1_gender.csv")
    short = invariance_wlsmv(d, YOUTH_MODEL, group="gender", levels=("configural", "thresholds"))
    with pytest.raises(ParameterError, match="needs the levels"):
        short.partial()
    with pytest.raises(ParameterError, match="needs the levels"):
        short.score_tests()


def test_three_category_thresholds_model_equivalent_to_configural():
    # Wu & Estabrook (2016): with 3 categories equal thresholds are not testable
    rng = np.random.default_rng(8)
    n = 1200
    f = rng.normal(size=(n, 1))
    y = f @ np.full((1, 5), 0.7) + rng.normal(scale=0.7, size=(n, 5))
    d = pd.DataFrame(np.digitize(y, [-0.5, 0.7]), columns=[f"x{i}" for i in range(5)])
    d["g"] = np.where(rng.uniform(size=n) < 0.5, "a", "b")
    inv = invariance_wlsmv(d, "f =~ x0 + x1 + x2 + x3 + x4", group="g")
    t = inv.table
    assert t.loc["thresholds", "df"] == t.loc["configural", "df"]
    assert_allclose(t.loc["thresholds", "chi2"], t.loc["configural", "chi2"], rtol=1e-6)
    assert np.isnan(t.loc["thresholds", "delta_chi2_scaled"])


def test_known_loading_difference_detected():
    rng = np.random.default_rng(5)
    n = 1500
    g = np.where(rng.uniform(size=n) < 0.5, "a", "b")
    f = rng.normal(size=(n, 1))
    lam = np.tile([0.8, 0.7, 0.7, 0.6, 0.7], (n, 1))
    lam[g == "b", 0] = 0.3  # strong loading difference on item x0
    y = lam * f + rng.normal(size=(n, 5)) * np.sqrt(1 - lam**2)
    d = pd.DataFrame(np.digitize(y, [-1.0, -0.2, 0.6, 1.3]), columns=[f"x{i}" for i in range(5)])
    d["g"] = g
    t = invariance_wlsmv(d, "f =~ x0 + x1 + x2 + x3 + x4", group="g").table
    assert t.loc["thresholds", "p_value_scaled"] > 0.01
    assert t.loc["thresholds_loadings", "p_value_scaled"] < 0.001


def test_bad_input():
    data = _bfi()
    with pytest.raises(ParameterError, match="not columns"):
        fit_wlsmv(data, "f =~ A1 + A2 + Z9")
    with pytest.raises(ParameterError, match="invariance"):
        fit_wlsmv(data, BFI_MODEL, group="gender", equal=("loadings",))
    with pytest.raises(ParameterError):
        invariance_wlsmv(data, BFI_MODEL, group="gender", levels=("thresholds", "configural"))
    with pytest.raises(ParameterError, match="not a column"):
        fit_wlsmv(data, BFI_MODEL, group="sex")
    d = data[BFI_ITEMS].dropna().astype(int)
    with pytest.raises(DataValidationError, match="no variance"):
        fit_wlsmv(d.assign(A1=1), BFI_MODEL)
    # a category unused in one group
    d2 = d.copy()
    d2["g"] = np.where(np.arange(len(d2)) % 2 == 0, "x", "y")
    d2.loc[(d2["g"] == "x") & (d2["A1"] == 6), "A1"] = 5
    with pytest.raises(DataValidationError, match="never used"):
        invariance_wlsmv(d2, BFI_MODEL, group="g")


def test_free_marker_fixed_variance_and_residual_covariance():
    ref = REF["sim3_rescov"]
    d = pd.read_csv(REF_DIR / "sim3.csv")
    res = fit_wlsmv(d, "f1 =~ NA*y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8\nf1 ~~ 1*f1\ny1 ~~ y5")
    fm = ref["fit_measures"]
    keys = ["chi2", "chi2_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"]
    assert_allclose([res.fit_indices[k] for k in keys], [fm[FIT_MAP[k]] for k in keys], rtol=1e-5)
    pe = pd.DataFrame(ref["params"])
    p = res.parameters.set_index(["lhs", "op", "rhs"])
    for r in pe.loc[pe["op"].isin(["=~", "~~"])].itertuples():
        key = (r.lhs, r.op, r.rhs) if (r.lhs, r.op, r.rhs) in p.index else (r.rhs, r.op, r.lhs)
        row = p.loc[key]
        assert_allclose(row["estimate"], r.est, rtol=1e-4, atol=1e-6, err_msg=str(key))
        assert_allclose(row["std_all"], r.std_all, rtol=1e-4, atol=1e-6, err_msg=str(key))
        if r.se > 0:
            assert_allclose(row["std_error"], r.se, rtol=1e-4, err_msg=str(key))


def test_dispatch_from_cfa_and_invariance():
    # evalkit.validation.cfa / invariance hand estimator="WLSMV" to this module
    from evalkit.methods.validation import cfa, invariance

    d = pd.read_csv(REF_DIR / "sim3.csv")
    res = cfa(d, SIM3_MODEL, estimator="WLSMV")
    assert_allclose(res.fit_indices["chi2_scaled"], REF["sim3"]["fit_measures"]["chisq.scaled"], rtol=1e-5)
    assert list(res.loadings.columns[:5]) == ["factor", "item", "estimate", "std_error", "std_all"]
    data = pd.read_csv(REF_DIR / "youth_t1.csv")
    model = "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
    inv = invariance(data, model, group="age_band", estimator="WLSMV", alpha=0.05)
    assert list(inv.table.index) == list(INVARIANCE_LEVELS)
    assert_allclose(
        inv.table["delta_chi2_scaled"].iloc[1:], REF_SC["youth_age"]["lrt"]["chisq_diff"][1:], rtol=1e-5
    )
    # partial invariance through the dispatched result: clear errors, never AttributeError
    with pytest.raises(ParameterError, match="scalar"):
        inv.partial(level="thresholds_loadings")
    assert len(inv.score_tests()) == 12
    assert inv.partial().freed == []  # by age band scalar holds (p = .23): nothing freed


def test_group_order_is_first_appearance_as_lavaan():
    # lavaan: group labels in order of first appearance (checked in R 0.6-14)
    d = pd.read_csv(REF_DIR / "youth_t1.csv")
    d = pd.concat([d.loc[d["age_band"] == "8-11"], d.loc[d["age_band"] != "8-11"]])
    res = fit_wlsmv(d, "social =~ y01 + y02 + y03 + y04 + y05 + y06", group="age_band")
    assert res.groups[0] == "8-11"


def _small_ordinal():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(300, 1))
    y = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(300, 4))
    df = pd.DataFrame(np.digitize(y, [-0.8, 0.0, 0.8]), columns=list("abcd"))
    return df.assign(g=np.where(rng.uniform(size=300) < 0.5, "x", "y"))


def test_bad_input_round_three():
    """Duplicated columns, odd argument types and plain category codes in messages."""
    from evalkit.methods.validation.sem import scaled_difference_test

    d = _small_ordinal()
    m = "f =~ a + b + c + d"
    with pytest.raises(DataValidationError, match="'a' occurs 2 times"):
        fit_wlsmv(pd.concat([d, d[["a"]]], axis=1), m)
    with pytest.raises(DataValidationError, match="'g' occurs 2 times"):
        fit_wlsmv(pd.concat([d, d[["g"]]], axis=1), m, group="g")
    with pytest.raises(ParameterError, match="alpha"):
        invariance_wlsmv(d, m, group="g", alpha="0.05")
    with pytest.raises(ParameterError, match="at least one"):
        invariance_wlsmv(d, m, group="g", levels=[])
    with pytest.raises(ParameterError, match="levels must be a list"):
        invariance_wlsmv(d, m, group="g", levels=3)
    with pytest.raises(ParameterError, match="WLSMV results"):
        scaled_difference_test("a", None)
    # the unused category is named as the user wrote it (3, not np.float64(3.0))
    d2 = d.assign(a=np.where(d["g"] == "x", d["a"].clip(0, 2), d["a"]).astype(float))
    with pytest.raises(DataValidationError, match=r"category \[3\] is never used in group 'x'"):
        invariance_wlsmv(d2, m, group="g")


def test_nullable_int64_items_equal_int():
    d = _small_ordinal()
    m = "f =~ a + b + c + d"
    ref = fit_wlsmv(d, m).fit_indices
    got = fit_wlsmv(d.astype({c: "Int64" for c in "abcd"}), m).fit_indices
    assert_allclose(got.to_numpy(dtype=float), ref.to_numpy(dtype=float), rtol=1e-12, equal_nan=True)
