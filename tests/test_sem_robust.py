"""Robust CFI/TLI/RMSEA under FIML and for WLSMV, and score tests of MLR/FIML models,
against lavaan 0.6-14 (issue 15).

Reference values: tests/reference/lavaan_robust/make_reference.R -> reference.json, on the
data of ../lavaan_mlr and ../lavaan_ordinal. Besides ``fitMeasures`` the script stores the
intermediate statistics lavaan builds the robust indices from (``lav_fit_fiml_corrected``:
Zhang & Savalei 2020; ``lav_fit_catml_dwls``: Savalei 2021), so that a mismatch shows where.

Tolerances: WLSMV rtol 1e-6 (observed agreement 1e-8). FIML rtol 1e-6 on the indices and
the correction factors (observed 1e-8 to 1e-7: lavaan's optimiser, nlminb rel.tol 1e-10,
leaves the estimates ~1e-8 from ours); the complete-data statistics XX3 rtol 1e-6 as well.
Robust RMSEA intervals atol 1e-6 (lavaan inverts the non-central chi-square by uniroot;
observed agreement 1e-8). Score tests rtol 1e-4 (atol 1e-6 for statistics near zero) as
the ML score tests in test_invariance.py: they depend on the gradient at the solution,
which lavaan leaves at ~1e-6 (observed: 1e-6 relative on statistics above 1).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning
from evalkit.methods.validation.sem import cfa, invariance
from evalkit.methods.validation.sem.dwls import catml_indices
from evalkit.methods.validation.sem.fiml import fiml_corrected

REF_ROOT = Path(__file__).parent / "reference"
REF = json.loads((REF_ROOT / "lavaan_robust" / "reference.json").read_text())
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
YM = "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
BFI = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
AC = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
ROBUST = {
    "cfi_robust": "cfi.robust",
    "tli_robust": "tli.robust",
    "rmsea_robust": "rmsea.robust",
}
ROBUST_CI = {
    "rmsea_ci_lower_robust": "rmsea.ci.lower.robust",
    "rmsea_ci_upper_robust": "rmsea.ci.upper.robust",
}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


def assert_robust(res, ref: dict, rtol: float = 1e-6) -> None:
    fm = ref["fit_measures"]
    for ours, theirs in ROBUST.items():
        assert_allclose(res.fit_indices[ours], fm[theirs], rtol=rtol, atol=1e-10, err_msg=ours)
    for ours, theirs in ROBUST_CI.items():
        assert_allclose(res.fit_indices[ours], fm[theirs], atol=1e-6, err_msg=ours)


@pytest.fixture(scope="module")
def hs_miss():
    return pd.read_csv(REF_ROOT / "lavaan_mlr" / "holzinger_missing.csv")


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(REF_ROOT / "lavaan_ordinal" / "bfi_AC.csv")


# ------------------------------------------------------------------------------------
# FIML: Zhang & Savalei (2020), lavaan's FIML-corrected V3 (MLR) and V6 (ML)
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("estimator", ["MLR", "ML"])
def test_fiml_robust_indices_equal_lavaan(hs_miss, estimator):
    res = _quiet(cfa, hs_miss, HS, estimator=estimator, missing="fiml")
    ref = REF[f"hs_fiml_{estimator.lower()}"]
    assert_robust(res, ref)
    parts = ref["parts"]
    assert parts["version"] == ("V3" if estimator == "MLR" else "V6")
    fc = fiml_corrected(res.problem.spec, res.theta, res.stats, parts["version"])
    assert_allclose(fc["XX3"], parts["XX3"], rtol=1e-6)
    assert_allclose(fc["XX3_null"], parts["XX3.null"], rtol=1e-6)
    assert_allclose(fc["c_hat3"], parts["c.hat3"], rtol=1e-6)
    assert_allclose(fc["c_hat3_null"], parts["c.hat3.null"], rtol=1e-6)
    assert fc["df3"] == parts["df3"] and fc["df3_null"] == parts["df3.null"]


@pytest.mark.parametrize("estimator", ["MLR", "ML"])
def test_fiml_robust_indices_youth_equal_lavaan(estimator):
    ym = pd.read_csv(REF_ROOT / "lavaan_mlr" / "youth_t1_missing.csv")
    res = _quiet(cfa, ym, YM, estimator=estimator, missing="fiml")
    ref = REF[f"youth_fiml_{estimator.lower()}"]
    assert_robust(res, ref)
    # CFI at its ceiling and RMSEA 0 here: the parts carry the test
    fc = fiml_corrected(res.problem.spec, res.theta, res.stats, ref["parts"]["version"])
    assert_allclose(fc["XX3"], ref["parts"]["XX3"], rtol=1e-6)
    assert_allclose(fc["c_hat3"], ref["parts"]["c.hat3"], rtol=1e-6)
    assert_allclose(fc["c_hat3_null"], ref["parts"]["c.hat3.null"], rtol=1e-6)


@pytest.mark.parametrize("estimator", ["MLR", "ML"])
def test_fiml_invariance_robust_indices_equal_lavaan(hs_miss, estimator):
    inv = _quiet(invariance, hs_miss, HS, group="school", estimator=estimator, missing="fiml")
    for level in ("configural", "metric", "scalar"):
        ref = REF[f"hs_fiml_{estimator.lower()}_{level}"]
        assert_robust(inv.fits[level], ref)
    table = inv.table
    if "cfi_robust" in table.columns:
        assert_allclose(
            table.loc["scalar", "cfi_robust"],
            REF[f"hs_fiml_{estimator.lower()}_scalar"]["fit_measures"]["cfi.robust"],
            rtol=1e-6,
        )


@pytest.mark.parametrize("estimator", ["MLR", "ML"])
def test_fiml_robust_indices_saturated_as_lavaan(hs_miss, estimator):
    res = _quiet(cfa, hs_miss, "f =~ x1 + x2 + x3", estimator=estimator, missing="fiml")
    fm = REF[f"hs_fiml_saturated_{estimator.lower()}"]["fit_measures"]
    assert fm["df"] == 0 and res.fit_indices["df"] == 0
    for ours, theirs in {**ROBUST, **ROBUST_CI}.items():
        # 1, 1, 0 [0, 0]; lavaan's MLR cfi.robust is 1 - 7e-11 (its EM h1 is not exact)
        assert_allclose(res.fit_indices[ours], fm[theirs], atol=1e-9, err_msg=ours)


# ------------------------------------------------------------------------------------
# WLSMV: Savalei (2021) catML, lavaan's lav_fit_catml_dwls
# ------------------------------------------------------------------------------------
def _catml_parts(res):
    fi = res.fit_indices
    return catml_indices(res.problem, res.theta, float(fi["df"]), float(fi["baseline_df"]))


def test_wlsmv_robust_indices_equal_lavaan(bfi):
    res = _quiet(cfa, bfi[AC], BFI, estimator="WLSMV")
    assert_robust(res, REF["bfi_wlsmv"])
    bm = pd.read_csv(REF_ROOT / "lavaan_mlr" / "bfi_AC_missing.csv")
    res = cfa(bm[AC], BFI, estimator="WLSMV", missing="pairwise")
    assert_robust(res, REF["bfi_wlsmv_pairwise"])


def test_wlsmv_robust_indices_youth_and_three_point_equal_lavaan():
    yt = pd.read_csv(REF_ROOT / "lavaan_ordinal" / "youth_t1.csv")
    assert_robust(cfa(yt, YM, estimator="WLSMV"), REF["youth_wlsmv"])
    sim3 = pd.read_csv(REF_ROOT / "lavaan_ordinal" / "sim3.csv")
    model = "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
    assert_robust(cfa(sim3, model, estimator="WLSMV"), REF["sim3_wlsmv"])


def test_wlsmv_invariance_robust_indices_equal_lavaan(bfi):
    inv = _quiet(invariance, bfi, BFI, group="gender", estimator="WLSMV")
    assert_robust(inv.fits["configural"], REF["bfi_wlsmv_gender_configural"])
    # with thresholds held equal lavaan 0.6-14 gives NA (its catML model fails on the
    # equality constraints of the thresholds it drops): NaN here too
    for level in ("thresholds", "thresholds_loadings", "scalar"):
        assert REF[f"bfi_wlsmv_gender_{level}"]["fit_measures"]["cfi.robust"] is None
        fi = inv.fits[level].fit_indices
        assert fi[list(ROBUST) + list(ROBUST_CI)].isna().all()
        assert np.isfinite(fi["cfi_scaled"])
    # a plain multi-group fit (lavaan's group = "gender", no measEq syntax)
    ref = REF["bfi_wlsmv_gender_plain"]
    assert ref["parts"]["df3"] == 68 and ref["parts"]["df3.null"] == 90
    assert_robust(_quiet(cfa, bfi, BFI, estimator="WLSMV", group="gender"), ref)


def test_wlsmv_robust_saturated_and_not_positive_definite(bfi):
    # df = 0: 1, 1, 0 as lavaan (bfi N1-N3, one factor; lavaan_mlr edge case 2)
    nb = pd.read_csv(REF_ROOT / "lavaan_mlr" / "bfi_N.csv")
    res = cfa(nb, "neuro =~ N1 + N2 + N3", estimator="WLSMV")
    fm = json.loads((REF_ROOT / "lavaan_mlr" / "reference.json").read_text())["edge2"]["fit_measures"]
    assert_allclose(
        res.fit_indices[["cfi_robust", "tli_robust", "rmsea_robust"]],
        [fm["cfi.robust"], 1.0, fm["rmsea.robust"]],
    )
    # a polychoric matrix that is not positive definite: lavaan returns NA, so do we
    res = _quiet(cfa, bfi[AC], BFI, estimator="WLSMV")
    prob = res.problem
    saved = prob.s[0].copy()
    try:
        nth = prob.nth[0]
        prob.s[0] = saved.copy()
        prob.s[0][nth:] = 1.0  # every polychoric correlation 1: a singular matrix
        out = catml_indices(prob, res.theta, 34.0, 45.0)
        assert all(np.isnan(v) for v in out.values())
    finally:
        prob.s[0] = saved


# ------------------------------------------------------------------------------------
# score tests: lavaan 0.6-14's lavTestScore has no robust version; for MLR it warns and
# falls back to the ordinary score test with the expected information -- as evalkit
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("score_hs_mlr_scalar", dict(estimator="MLR")),
        ("score_hs_fiml_mlr_scalar", dict(estimator="MLR", missing="fiml")),
        ("score_hs_fiml_ml_scalar", dict(estimator="ML", missing="fiml")),
    ],
)
def test_score_tests_mlr_fiml_equal_lavTestScore(hs_miss, key, kwargs):
    from evalkit.methods.validation.sem import score_test_release

    data = hs_miss if "fiml" in key else pd.read_csv(REF_ROOT / "lavaan" / "holzinger1939.csv")
    inv = _quiet(invariance, data, HS, group="school", **kwargs)
    ref = REF[key]
    ours = inv.score_tests("scalar")
    uni = ref["uni"]
    assert len(ours) == len(uni["X2"]) == 15
    assert list(ours["lhs"]) == uni["lhs"] and list(ours["op"]) == uni["op"]
    # atol 1e-6: statistics near zero (1.3e-4 for x5 ~1 under FIML) carry lavaan's
    # gradient at its solution (~1e-6) as an absolute error of ~2e-7
    assert_allclose(ours["x2"], uni["X2"], rtol=1e-4, atol=1e-6)
    assert_allclose(ours["p_value"], uni["p"], rtol=1e-4, atol=1e-6)
    fit = inv.fits["scalar"]
    keys = [k for k in set(fit.spec.partable["equal_key"]) if k]
    assert_allclose(score_test_release(fit, keys), ref["total"]["X2"], rtol=1e-4)
