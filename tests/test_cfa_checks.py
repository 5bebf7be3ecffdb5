"""Reviewer's spot-checks of evalkit.validation.cfa / invariance against lavaan 0.6-14.

Models the authors' tests do not cover (reference: tests/reference/lavaan_review/
cfa_review.R, run once; no R needed here):

A. every first loading freed (``NA*``) with factor variances fixed to 1, a loading fixed to
   0.5 and a factor covariance fixed to 0;
B. two groups with per-group modifiers ``c(...)``: a shared label makes a loading equal,
   different labels keep one free, a labelled intercept ``x1 ~ c(i1, i1)*1``;
C. missing item values (listwise deletion, lavaan's default for ML);
D. metric invariance by an integer-coded group column that has a missing value.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning, ParameterError
from evalkit.methods.validation import cfa, invariance

REF = Path(__file__).parent / "reference" / "lavaan_review"
HS = """visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9"""
MODEL_A = """visual  =~ NA*x1 + x2 + x3
textual =~ NA*x4 + x5 + x6
speed   =~ NA*x7 + 0.5*x8 + x9
visual ~~ 1*visual
textual ~~ 1*textual
speed ~~ 1*speed
visual ~~ 0*speed"""
MODEL_B = """visual  =~ x1 + c(v2, v2)*x2 + c(v3a, v3b)*x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
x1 ~ c(i1, i1)*1"""
FIT = {
    "chisq": "chi2",
    "df": "df",
    "pvalue": "p_value",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "srmr": "srmr",
}
# Fit indices: 1e-6 (as the authors' single-group tests). Estimates, SEs and std.all: 1e-4
# relative, the tolerance; lavaan stops at a gradient of ~1e-6 (measured here: at
# most 2.1e-5 relative difference, in the two-group models).
RTOL_FIT, RTOL_EST = 1e-6, 1e-4


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(REF.parent / "lavaan" / "holzinger1939.csv")


@pytest.fixture(scope="module")
def hs_missing():
    return pd.read_csv(REF / "holzinger_missing.csv")


def _fits(hs, hs_missing):
    return {
        "A_stdlv_fixed": lambda: cfa(hs, MODEL_A),
        "B_cmod": lambda: cfa(hs, MODEL_B, group="school"),
        "C_listwise": lambda: cfa(hs_missing, HS),
        "D_grade_metric": lambda: cfa(hs_missing, HS, group="grade", equal=("loadings",)),
    }


def _lookup(par, lhs, op, rhs, group):
    if op == "~1":
        rhs = ""
    sel = (par["lhs"] == lhs) & (par["op"] == op) & (par["rhs"] == rhs)
    if group is not None:
        sel &= par["group"] == group
    if sel.sum() == 0 and op == "~~":
        sel = (par["lhs"] == rhs) & (par["op"] == op) & (par["rhs"] == lhs)
        if group is not None:
            sel &= par["group"] == group
    assert sel.sum() == 1, (lhs, op, rhs, group)
    return par.loc[sel].iloc[0]


@pytest.mark.parametrize("tag", ["A_stdlv_fixed", "B_cmod", "C_listwise", "D_grade_metric"])
def test_equals_lavaan(hs, hs_missing, tag):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # listwise deletion is announced
        res = _fits(hs, hs_missing)[tag]()
    ref_fit = pd.read_csv(REF / f"{tag}_fit.csv").set_index("index")["value"]
    for theirs, ours in FIT.items():
        assert_allclose(
            res.fit_indices[ours], ref_fit[theirs], rtol=RTOL_FIT, atol=1e-12, err_msg=f"{tag} {ours}"
        )
    pe = pd.read_csv(REF / f"{tag}_estimates.csv")
    assert len(pe) == len(res.parameters)
    for r in pe.to_dict("records"):
        group = res.groups[int(r["group"]) - 1] if "group" in r else None
        p = _lookup(res.parameters, r["lhs"], r["op"], r["rhs"], group)
        assert_allclose(p["estimate"], r["est"], rtol=RTOL_EST, atol=1e-8, err_msg=str(r))
        assert_allclose(p["std_all"], r["std.all"], rtol=RTOL_EST, atol=1e-8, err_msg=str(r))
        if r["se"] == 0 or np.isnan(r["se"]):  # lavaan: 0 for fixed parameters
            assert np.isnan(p["std_error"]), str(r)
        else:
            assert_allclose(p["std_error"], r["se"], rtol=RTOL_EST, err_msg=str(r))


def test_listwise_deletion_is_announced_and_counted(hs_missing):
    with pytest.warns(DataQualityWarning, match="30 of 301"):
        res = cfa(hs_missing, HS)
    assert res.n == 271


def test_integer_group_codes_print_as_integers(hs_missing):
    """Defect found in review: a float group column (integers plus a missing value) gave the
    group labels '7.0' and '8.0'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = cfa(hs_missing, HS, group="grade")
    assert res.groups == ["7", "8"]
    assert set(res.loadings["group"]) == {"7", "8"}


def test_nullable_integer_items_equal_float_items(hs):
    """pandas nullable Int64 items with <NA> give the same fit as float items with NaN."""
    rounded = hs[[f"x{i}" for i in range(1, 10)]].round().astype("float64")
    rounded.iloc[:7, 0] = np.nan
    nullable = rounded.astype("Int64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        a = cfa(rounded, HS).fit_indices
        b = cfa(nullable, HS).fit_indices
    pd.testing.assert_series_equal(a, b)


def test_meanstructure_must_be_bool(hs):
    """Defect found in review: meanstructure='yes' was silently taken as True."""
    with pytest.raises(ParameterError, match="meanstructure"):
        cfa(hs, HS, meanstructure="yes")


def test_summary_readable_in_dutch_and_english(hs):
    res = cfa(hs, HS)
    nl, en = res.summary(), res.summary("en")
    assert "Passing van het model bij de gegevens: onvoldoende" in nl
    assert "lading" in nl and "vast" in nl and "nan" not in nl.lower()
    assert "Fit of the model to the data: poor" in en and "nan" not in en.lower()
    saturated = cfa(hs, "visual =~ x1 + x2 + x3")
    assert "verzadigd" in saturated.summary()


def test_invariance_summary_names_levels_in_dutch(hs):
    inv = invariance(hs, HS, group="school")
    s = inv.summary()
    assert "Metrische invariantie" in s and "Scalaire invariantie" in s and "verworpen" in s
    assert "Scalar invariance" in inv.summary("en")
