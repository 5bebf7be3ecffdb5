"""Sampling weights and estimator choice in evalkit.did against csdid/moderndid (ports
of R did), R sandwich and closed-form weighted computations."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from evalkit.core.errors import DataValidationError, ParameterError
from evalkit.methods.did import staggered

REF = Path(__file__).parent / "reference" / "did"
WREF = json.loads((REF / "weighted_reference.json").read_text())


@pytest.fixture(scope="module")
def mpw():
    return pd.read_csv(REF / "mpdta_weighted.csv")


def _mp(d, **kw):
    return staggered(d, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat", **kw)


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(WREF.keys() - {"source"}))
def test_weighted_and_estimator_choice_match_csdid(mpw, key):
    """ATT(g,t), analytic SEs and the four aggregations (R did's weighted cohort shares)
    equal csdid 0.4.3; ATT(g,t) and SEs also equal moderndid 0.2.0."""
    cov, em, w = key.split("_")
    ref = WREF[key]
    r = _mp(
        mpw,
        covariates=None if cov == "nocov" else cov,
        est_method=em,
        weights=None if w == "unweighted" else "w",
    )
    assert_allclose(r.att_gt["estimate"], ref["csdid_att"], rtol=1e-9, atol=1e-12)
    assert_allclose(r.att_gt["std_error"], ref["csdid_se"], rtol=1e-9)
    assert_allclose(r.att_gt["estimate"], ref["moderndid_att"], rtol=1e-9, atol=1e-12)
    assert_allclose(r.att_gt["std_error"], ref["moderndid_se"], rtol=1e-9)
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = r.aggregate(kind)
        assert_allclose(agg.estimate("overall"), ref[kind]["overall_att"], rtol=1e-9)
        assert_allclose(agg.std_error, ref[kind]["overall_se"], rtol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"covariates": "lpop"},
        {"covariates": "lpop", "est_method": "ipw"},
        {"covariates": "lpop", "est_method": "reg"},
        {"control": "notyet", "bootstrap": 199, "seed": 2},
    ],
)
def test_weights_of_one_give_exactly_the_unweighted_numbers(mpw, kw):
    a = _mp(mpw, **kw)
    b = _mp(mpw.assign(one=1.0), weights="one", **kw)
    assert_array_equal(a.att_gt["estimate"], b.att_gt["estimate"])
    assert_array_equal(a.att_gt["std_error"], b.att_gt["std_error"])
    for kind in ("simple", "dynamic"):
        assert_allclose(
            a.aggregate(kind).tidy()[["estimate", "std_error"]],
            b.aggregate(kind).tidy()[["estimate", "std_error"]],
            rtol=1e-14,
        )
    # constant weights of any size are the same as none (normalised to mean 1)
    c = _mp(mpw.assign(k=7.5), weights="k", **kw)
    assert_allclose(c.att_gt["estimate"], a.att_gt["estimate"], rtol=1e-12, atol=1e-15)


def test_weighted_att_closed_form():
    """Two periods, treated A B C, comparison D E F G with weights: ATT = weighted mean
    change of the treated minus that of the comparison units; influence function
    n w (dy - m)/sum w, so SE^2 = sum_G w^2 (dy - m_G)^2/(sum_G w)^2 + same for C."""
    dy = {"A": 3.0, "B": 5.0, "C": 7.0, "D": 1.0, "E": 2.0, "F": 2.0, "G": 3.0}
    wt = {"A": 1.0, "B": 2.0, "C": 3.0, "D": 1.0, "E": 1.0, "F": 4.0, "G": 2.0}
    rows = []
    for u, ch in dy.items():
        g = 2 if u in "ABC" else 0
        rows += [dict(unit=u, time=1, y=10.0, g=g, w=wt[u]), dict(unit=u, time=2, y=10.0 + ch, g=g, w=wt[u])]
    d = pd.DataFrame(rows)
    r = staggered(d, outcome="y", unit="unit", time="time", first_treated="g", weights="w")
    G, C = "ABC", "DEFG"
    wG, wC = np.array([wt[u] for u in G]), np.array([wt[u] for u in C])
    yG, yC = np.array([dy[u] for u in G]), np.array([dy[u] for u in C])
    mG, mC = wG @ yG / wG.sum(), wC @ yC / wC.sum()
    se = np.sqrt((wG**2) @ (yG - mG) ** 2 / wG.sum() ** 2 + (wC**2) @ (yC - mC) ** 2 / wC.sum() ** 2)
    assert_allclose(r.att_gt["estimate"].iloc[0], (34 / 6) - (17 / 8), rtol=1e-14)
    assert_allclose(r.att_gt["estimate"].iloc[0], mG - mC, rtol=1e-14)
    assert_allclose(r.att_gt["std_error"].iloc[0], se, rtol=1e-13)
    # repeated cross-sections: weighted cell means
    rc = staggered(d, outcome="y", time="time", first_treated="g", weights="w", panel=False)
    assert_allclose(rc.att_gt["estimate"].iloc[0], mG - mC, rtol=1e-13)


def test_weights_bad_input(mpw):
    with pytest.raises(ParameterError, match="multipliers='mammen'"):
        _mp(mpw, weights="mammen")
    with pytest.raises(ParameterError, match="multipliers"):
        _mp(mpw, multipliers="normal")
    with pytest.raises(ParameterError, match="est_method"):
        _mp(mpw, est_method="ols")
    bad = mpw.copy()
    bad.loc[bad.index[0], "w"] = 99.0
    with pytest.raises(DataValidationError, match="constant within a unit"):
        _mp(bad, weights="w")
    with pytest.raises(DataValidationError, match="positive"):
        _mp(mpw.assign(w=mpw["w"] - 1.0), weights="w")
    with pytest.raises(DataValidationError, match="missing"):
        _mp(mpw.assign(w=mpw["w"].where(mpw["year"] != 2004)), weights="w")
    with pytest.raises(ParameterError, match="est_method='dr'"):
        staggered(
            mpw,
            outcome="lemp",
            time="year",
            first_treated="first.treat",
            covariates="lpop",
            est_method="reg",
            panel=False,
        )


# ---------------------------------------------------------------------------------------
# two_by_two, twfe, event_study: weighted least squares against R lm + sandwich
# ---------------------------------------------------------------------------------------
SW = json.loads((REF / "weighted_sandwich.json").read_text())


@pytest.mark.parametrize("spec,cov", [("nocov", None), ("age", "age")])
def test_weighted_two_by_two_matches_r_sandwich(spec, cov):
    from evalkit.core.errors import SmallSampleWarning
    from evalkit.methods.did import two_by_two

    d = pd.read_csv(REF / "cr1_weighted.csv")
    ref = SW[f"twobytwo_{spec}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)  # 24 clusters
        r = two_by_two(
            d,
            outcome="y",
            treated="treated",
            post="post",
            cluster="neighbourhood",
            covariates=cov,
            weights="w",
        )
        r1 = two_by_two(
            d.assign(one=1.0),
            outcome="y",
            treated="treated",
            post="post",
            cluster="neighbourhood",
            covariates=cov,
            weights="one",
        )
        r0 = two_by_two(
            d, outcome="y", treated="treated", post="post", cluster="neighbourhood", covariates=cov
        )
    se = r.se_table.set_index("se_type")["std_error"]
    assert_allclose(r.estimate(), ref["estimate"], rtol=1e-10)
    assert_allclose(se["conventional"], ref["se_conventional"], rtol=1e-10)
    assert_allclose(se["hc1"], ref["se_hc1"], rtol=1e-10)
    assert_allclose(se["cluster"], ref["se_cr1"], rtol=1e-10)
    if cov is None:  # the weighted DiD of means is the WLS coefficient
        assert_allclose(r.means.loc["difference", "change"], r.estimate(), rtol=1e-10)
    assert_allclose(r1.estimate(), r0.estimate(), rtol=1e-13)
    assert_allclose(r1.se_table["std_error"], r0.se_table["std_error"], rtol=1e-12)
    assert "weighted by w" in r.summary("en")


def test_weighted_twfe_and_event_study_match_r_lm():
    """Estimates equal R's lm with dummies and weights; the cluster-robust SEs equal
    sandwich's (HC0, G/(G-1)) times linearmodels' small-sample factor, which is the same
    for the weighted and the unweighted fit."""
    from evalkit.methods.did import event_study, twfe

    p = pd.read_csv(REF / "twfe_weighted.csv")
    kw = dict(outcome="y", unit="unit", time="time")
    tw = twfe(p, treated="treated", weights="w", **kw)
    tw0 = twfe(p, treated="treated", **kw)
    tw1 = twfe(p.assign(one=1.0), treated="treated", weights="one", **kw)
    assert_allclose(tw.estimate(), SW["twfe_w"]["estimate"], rtol=1e-8)
    assert_allclose(tw0.estimate(), SW["twfe_none"]["estimate"], rtol=1e-8)
    f_w = tw.std_error / SW["twfe_w"]["se_cl_hc0"]
    f_0 = tw0.std_error / SW["twfe_none"]["se_cl_hc0"]
    assert_allclose(f_w, f_0, rtol=1e-7)
    assert_allclose(tw1.estimate(), tw0.estimate(), rtol=1e-10)
    assert_allclose(tw1.std_error, tw0.std_error, rtol=1e-10)
    es = event_study(p, first_treated="g", window=(-3, 3), weights="w", **kw)
    es0 = event_study(p, first_treated="g", window=(-3, 3), **kw)
    t, t0 = es.tidy(), es0.tidy()
    t, t0 = t[~t["reference"]], t0[~t0["reference"]]
    assert_allclose(t["estimate"], SW["event_study_w"]["estimate"], rtol=1e-7)
    assert_allclose(t0["estimate"], SW["event_study_none"]["estimate"], rtol=1e-7)
    ratio_w = t["std_error"].to_numpy() / np.array(SW["event_study_w"]["se_cl_hc0"])
    ratio_0 = t0["std_error"].to_numpy() / np.array(SW["event_study_none"]["se_cl_hc0"])
    assert_allclose(ratio_w, ratio_0[0], rtol=1e-7)
    assert_allclose(ratio_0, ratio_0[0], rtol=1e-7)
    bad = p.copy()
    bad.loc[bad.index[0], "w"] = 50.0
    with pytest.raises(DataValidationError, match="constant within a unit"):
        twfe(bad, treated="treated", weights="w", **kw)


def _mc_module():
    import importlib.util

    path = Path(__file__).parents[1] / "benchmarks" / "montecarlo_honest.py"
    spec = importlib.util.spec_from_file_location("montecarlo_honest", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_monte_carlo_weighted_simple_att_small():
    """Small version of benchmarks/montecarlo_honest.py (1,000 replications there:
    coverage 0.940, MC se 0.008): 150 replications of 150 units; the weighted interval
    covers the weighted (population) ATT in 88-99%, the unweighted one far less often."""
    mc = _mc_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cw, cu = mc.weighted_coverage(150, 150, seed0=30_000)
    assert 0.88 <= cw <= 0.99
    assert cu < 0.6
