"""did: 2x2 listwise deletion and the two-period staggered case against R (lm + sandwich),
Dutch event-study title, refused inputs (constant outcome, no residual degrees of freedom,
aggregations with nothing left).

R references (scripts + values) live in tests/reference/did_review/.
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
from evalkit import DataValidationError
from evalkit.core.errors import DataQualityWarning
from evalkit.methods import did

REF = Path(__file__).parent / "reference"


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


def test_two_by_two_listwise_deletion_matches_lm_and_sandwich():
    ref = json.loads((REF / "did_review" / "sandwich_missing.json").read_text())
    d = pd.read_csv(REF / "did_review" / "cr1_missing.csv")
    with pytest.warns(DataQualityWarning, match="dropped 54 of 933 rows"):
        r = did.two_by_two(
            d,
            outcome="y",
            treated="treated",
            post="post",
            cluster="neighbourhood",
            covariates=["age", "female"],
        )
    se = r.se_table.set_index("se_type")["std_error"]
    assert_allclose(r.estimate(), ref["estimate"], rtol=1e-10)
    assert_allclose(
        [se["conventional"], se["hc1"], se["cluster"]],
        [ref["se_conventional"], ref["se_hc1"], ref["se_cr1"]],
        rtol=1e-10,
    )
    t = r.tidy()
    assert t.loc[0, "n"] == ref["n"] and t.loc[0, "n_clusters"] == ref["n_clusters"]


def test_event_study_dutch_title_is_plain():
    sim = did.simulate_staggered(60, seed=1)
    es = did.event_study(sim, outcome="y", unit="unit", time="time", first_treated="g")
    assert es.summary().startswith("Effect per periode vóór en na de start")
    assert "periodes vóór de start" in es.summary()


def test_constant_outcome_is_refused_by_every_did_estimator():
    """Before the review a constant outcome gave an effect of ~1e-16 with a standard error of
    rounding noise (two_by_two: p ~ 0.02, a 'significant' nothing)."""
    sim = did.simulate_staggered(60, seed=1).assign(y=3.0)
    cr1 = pd.read_csv(REF / "did" / "cr1_data.csv").assign(y=2.0)
    kw = dict(outcome="y", unit="unit", time="time")
    calls = [
        lambda: did.two_by_two(cr1, outcome="y", treated="treated", post="post"),
        lambda: did.twfe(sim, treated="treated", **kw),
        lambda: did.event_study(sim, first_treated="g", **kw),
        lambda: did.staggered(sim, first_treated="g", **kw),
        lambda: did.staggered(sim, outcome="y", time="time", first_treated="g", panel=False),
        lambda: did.bacon(sim, first_treated="g", **kw),
    ]
    for call in calls:
        with pytest.raises(DataValidationError, match="outcome='y' is constant"):
            _quiet(call)


def test_two_by_two_without_residual_degrees_of_freedom_is_refused():
    cr1 = pd.read_csv(REF / "did" / "cr1_data.csv")
    one_each = cr1.groupby(["treated", "post"]).head(1)
    with pytest.raises(evalkit.EstimationError, match=r"more observations \(4\) than coefficients \(4\)"):
        did.two_by_two(one_each, outcome="y", treated="treated", post="post")


def test_staggered_analytic_and_clustered_se_equal_sandwich_in_the_two_period_case():
    """One cohort, two periods: ATT(2,2) is the slope of dy on D; the influence-function
    SEs equal HC0 and cluster-robust HC0 without small-sample factor (R sandwich)."""
    ref = json.loads((REF / "did_review" / "cluster_two_period.json").read_text())
    df = pd.read_csv(REF / "did_review" / "two_period_cluster.csv")
    assert_allclose(
        df["y"],
        did.simulate_staggered(300, periods=(1, 2), cohorts=(2,), shares=(0.5,), seed=31)["y"],
        rtol=1e-12,
    )
    kw = dict(outcome="y", unit="unit", time="time", first_treated="g")
    r0 = _quiet(did.staggered, df, **kw)
    r1 = _quiet(did.staggered, df, cluster="cluster", **kw)
    assert_allclose(r0.att_gt["estimate"].iloc[0], ref["att"], rtol=1e-10)
    assert_allclose(r0.att_gt["std_error"].iloc[0], ref["se_hc0"], rtol=1e-10)
    assert_allclose(r1.att_gt["std_error"].iloc[0], ref["se_cl_hc0"], rtol=1e-10)


def test_aggregate_with_nothing_left_gives_clear_errors():
    """Before the review: a bare numpy ValueError ('need at least one array to
    concatenate') for balance_e/min_e beyond the data, NaN with RuntimeWarnings for
    max_e < 0 in the simple/group aggregations."""
    sim = did.simulate_staggered(60, seed=1)
    r = did.staggered(sim, outcome="y", unit="unit", time="time", first_treated="g")
    for kw in (dict(balance_e=100), dict(min_e=100)):
        with pytest.raises(evalkit.EstimationError, match="no event times left"):
            r.aggregate("dynamic", **kw)
    for kind in ("simple", "group"):
        with pytest.raises(evalkit.EstimationError, match="max_e=-1 leaves no post-treatment"):
            r.aggregate(kind, max_e=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        leads = r.aggregate("dynamic", max_e=-1).tidy()
    assert np.isnan(leads.loc[0, "estimate"]) and (leads["event_time"].dropna() < 0).all()
