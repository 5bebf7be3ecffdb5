"""MLR and FIML CFA, MLR/FIML invariance and the audit's edge cases against lavaan 0.6-14.

Reference values: tests/reference/lavaan_mlr/make_reference.R -> reference.json (with the
data it wrote: HolzingerSwineford1939 and the youth example with values deleted at random,
psych::bfi, near-noise data, a 12-row group). Tolerance: rtol 1e-4 (the issue's
requirement) for fit indices, estimates and standard errors; lavaan's own optimiser
(nlminb, rel.tol 1e-10), its EM for the h1 model (tol 1e-5) and its RMSEA intervals
(uniroot, tol ~1e-4 in lambda) limit the agreement, hence atol for values near zero.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning, ParameterError
from evalkit.methods.validation.sem import cfa, invariance

REF_DIR = Path(__file__).parent / "reference" / "lavaan_mlr"
REF = json.loads((REF_DIR / "reference.json").read_text())
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
YM = "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
HS_FULL = Path(__file__).parent / "reference" / "lavaan" / "holzinger1939.csv"

STANDARD = {
    "chi2": "chisq",
    "df": "df",
    "p_value": "pvalue",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea_ci_lower": "rmsea.ci.lower",
    "rmsea_ci_upper": "rmsea.ci.upper",
    "srmr": "srmr",
    "baseline_chi2": "baseline.chisq",
    "baseline_df": "baseline.df",
}
SCALED = {
    "chi2_scaled": "chisq.scaled",
    "df_scaled": "df.scaled",
    "p_value_scaled": "pvalue.scaled",
    "scaling_factor": "chisq.scaling.factor",
    "cfi_scaled": "cfi.scaled",
    "tli_scaled": "tli.scaled",
    "rmsea_scaled": "rmsea.scaled",
    "rmsea_ci_lower_scaled": "rmsea.ci.lower.scaled",
    "rmsea_ci_upper_scaled": "rmsea.ci.upper.scaled",
    "baseline_chi2_scaled": "baseline.chisq.scaled",
}
ROBUST = {
    "cfi_robust": "cfi.robust",
    "tli_robust": "tli.robust",
    "rmsea_robust": "rmsea.robust",
    "rmsea_ci_lower_robust": "rmsea.ci.lower.robust",
    "rmsea_ci_upper_robust": "rmsea.ci.upper.robust",
}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


def assert_fit(res, ref: dict, names: dict, *, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    fm = ref["fit_measures"]
    for ours, theirs in names.items():
        assert_allclose(res.fit_indices[ours], fm[theirs], rtol=rtol, atol=atol, err_msg=ours)


def assert_params(res, ref: dict, *, rtol: float = 1e-4, atol: float = 1e-6, se: bool = True) -> None:
    pe = pd.DataFrame(ref["params"])
    ours = res.parameters
    gidx = {g: i + 1 for i, g in enumerate(res.groups)}
    table = {}
    for r in ours.itertuples(index=False):
        key = (r.lhs, r.op, r.rhs, gidx[r.group])
        table[key] = r
        if r.op == "~~":
            table[(r.rhs, r.op, r.lhs, gidx[r.group])] = r
    n = 0
    for r in pe.itertuples(index=False):
        g = int(getattr(r, "group", 1) or 1)
        key = (r.lhs, r.op, r.rhs if isinstance(r.rhs, str) else "", g)
        if key not in table:
            continue
        mine = table[key]
        assert_allclose(mine.estimate, r.est, rtol=rtol, atol=atol, err_msg=str(key))
        if se and r.se and r.se > 0:
            assert_allclose(mine.std_error, r.se, rtol=rtol, atol=atol, err_msg=f"se {key}")
        n += 1
    assert n >= len(pe) * 0.8, "too few parameters matched"


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(HS_FULL)


@pytest.fixture(scope="module")
def hs_miss():
    return pd.read_csv(REF_DIR / "holzinger_missing.csv")


@pytest.fixture(scope="module")
def youth_miss():
    return pd.read_csv(REF_DIR / "youth_t1_missing.csv")


# ------------------------------------------------------------------------------------
# MLR, complete data
# ------------------------------------------------------------------------------------
def test_mlr_equals_lavaan(hs):
    res = cfa(hs, HS, estimator="MLR")
    ref = REF["hs_mlr"]
    assert_fit(res, ref, {**STANDARD, **SCALED, **ROBUST})
    assert_params(res, ref)
    assert res.robust and "Yuan-Bentler" in res.summary("en")
    ml = cfa(hs, HS)
    assert_allclose(res.parameters["estimate"], ml.parameters["estimate"], rtol=1e-10)  # ML estimates
    assert np.isnan(ml.fit_indices["cfi_robust"])


def test_mlr_meanstructure_and_groups_equal_lavaan(hs):
    res = cfa(hs, HS, estimator="MLR", meanstructure=True)
    assert_fit(res, REF["hs_mlr_meanstructure"], {**STANDARD, **SCALED, **ROBUST})
    assert_params(res, REF["hs_mlr_meanstructure"])
    res = cfa(hs, HS, estimator="MLR", group="school", equal="loadings")
    assert_fit(res, REF["hs_mlr_group"], {**STANDARD, **SCALED, **ROBUST})
    assert_params(res, REF["hs_mlr_group"])


def test_mlr_youth_equals_lavaan():
    y = pd.read_csv(REF_DIR / "youth_t1.csv")
    res = cfa(y, YM, estimator="MLR")
    assert_fit(res, REF["youth_mlr"], {**STANDARD, **SCALED, **ROBUST})
    assert_params(res, REF["youth_mlr"])


def test_mlr_invariance_scaled_difference_equals_lavTestLRT(hs):
    inv = invariance(hs, HS, group="school", estimator="MLR")
    ref = REF["hs_mlr_invariance"]
    for lev, fit in inv.fits.items():
        assert_fit(fit, ref["levels"][lev], {**STANDARD, **SCALED, **ROBUST})
    t = inv.table
    lrt = ref["lrt"]
    assert_allclose(t["chi2"], lrt["chisq"], rtol=1e-6)
    assert_allclose(t["delta_chi2_scaled"].iloc[1:], lrt["chisq_diff"][1:], rtol=1e-4)
    assert_allclose(t["delta_df"].iloc[1:], lrt["df_diff"][1:])
    assert_allclose(t["p_value_scaled"].iloc[1:], lrt["p"][1:], rtol=1e-4)
    assert "Satorra & Bentler" in inv.summary("en")


# ------------------------------------------------------------------------------------
# FIML
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, estimator", [("hs_fiml_ml", "ML"), ("hs_fiml_mlr", "MLR")])
def test_fiml_holzinger_equals_lavaan(hs_miss, name, estimator):
    res = _quiet(cfa, hs_miss, HS, estimator=estimator, missing="fiml")
    ref = REF[name]
    assert res.n == ref["ntotal"] == 301 and res.missing == "fiml"
    names = {**STANDARD, **SCALED} if estimator == "MLR" else STANDARD
    assert_fit(res, ref, names)
    assert_params(res, ref)


def test_fiml_alias_ml_and_rows_in_summary(hs_miss):
    a = _quiet(cfa, hs_miss, HS, missing="ml")
    b = _quiet(cfa, hs_miss, HS, missing="fiml")
    assert_allclose(a.fit_indices.to_numpy(float), b.fit_indices.to_numpy(float), equal_nan=True)
    assert "FIML" in a.summary("en") and "301" in a.summary("en")
    with pytest.warns(DataQualityWarning, match="listwise"):
        lw = cfa(hs_miss, HS)
    assert lw.n < 301 and "listwise" in lw.summary("en") and f"{lw.n_rows - lw.n}" in lw.summary("en")
    with pytest.raises(ParameterError, match="missing='pairwise'"):
        cfa(hs_miss, HS, missing="pairwise")
    with pytest.raises(ParameterError, match="meanstructure"):
        cfa(hs_miss, HS, missing="fiml", meanstructure=False)


@pytest.mark.parametrize("name, estimator", [("youth_fiml_ml", "ML"), ("youth_fiml_mlr", "MLR")])
def test_fiml_youth_equals_lavaan(youth_miss, name, estimator):
    res = _quiet(cfa, youth_miss, YM, estimator=estimator, missing="fiml")
    ref = REF[name]
    assert res.n == ref["ntotal"]
    assert_fit(res, ref, {**STANDARD, **SCALED} if estimator == "MLR" else STANDARD)
    assert_params(res, ref)


def test_listwise_youth_equals_lavaan(youth_miss):
    res = _quiet(cfa, youth_miss, YM)
    assert res.n == REF["youth_listwise_ml"]["ntotal"]
    assert_fit(res, REF["youth_listwise_ml"], STANDARD)


@pytest.mark.parametrize(
    "name, estimator", [("hs_fiml_ml_invariance", "ML"), ("hs_fiml_mlr_invariance", "MLR")]
)
def test_fiml_invariance_equals_lavaan(hs_miss, name, estimator):
    inv = _quiet(invariance, hs_miss, HS, group="school", estimator=estimator, missing="fiml")
    ref = REF[name]
    for lev, fit in inv.fits.items():
        assert_fit(fit, ref["levels"][lev], {**STANDARD, **SCALED} if estimator == "MLR" else STANDARD)
    col = "delta_chi2_scaled" if estimator == "MLR" else "delta_chi2"
    pcol = "p_value_scaled" if estimator == "MLR" else "p_value"
    assert_allclose(inv.table[col].iloc[1:], ref["lrt"]["chisq_diff"][1:], rtol=1e-4)
    assert_allclose(inv.table[pcol].iloc[1:], ref["lrt"]["p"][1:], rtol=1e-4)


# ------------------------------------------------------------------------------------
# WLSMV with pairwise deletion (psych::bfi with its own missing answers)
# ------------------------------------------------------------------------------------
BFI = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
WLSMV_FIT = {
    "chi2": "chisq",
    "df": "df",
    "chi2_scaled": "chisq.scaled",
    "p_value_scaled": "pvalue.scaled",
    "scaling_factor": "chisq.scaling.factor",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "cfi_scaled": "cfi.scaled",
    "tli_scaled": "tli.scaled",
    "rmsea_scaled": "rmsea.scaled",
    "srmr": "srmr",
}


@pytest.mark.parametrize(
    "missing, name", [("pairwise", "bfi_wlsmv_pairwise"), ("listwise", "bfi_wlsmv_listwise")]
)
def test_wlsmv_pairwise_equals_lavaan(missing, name):
    d = pd.read_csv(REF_DIR / "bfi_AC_missing.csv")
    res = _quiet(cfa, d, BFI, estimator="WLSMV", missing=missing)
    ref = REF[name]
    assert res.n == ref["ntotal"] and res.missing == missing
    # lavaan's nlminb stops at rel.tol 1e-10: statistics agree to ~1e-7
    assert_fit(res, ref, WLSMV_FIT, rtol=1e-5)
    assert_params(res, ref)
    if missing == "pairwise":
        assert res.n == len(d) and "pairwise" in res.summary("en")
    with pytest.raises(ParameterError, match="missing='fiml'"):
        cfa(d, BFI, estimator="WLSMV", missing="fiml")
