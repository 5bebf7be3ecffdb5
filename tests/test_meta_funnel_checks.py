"""meta and funnel: random effects at small k and at the tau^2 = 0 boundary against metafor
3.8.1 (REML and DL), summary wording, prediction intervals, funnel input checks.

R references (scripts + values) live in tests/reference/meta_review/.
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
from evalkit.methods import funnel, meta

REF = Path(__file__).parent / "reference"


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


MREF = json.loads((REF / "meta_review" / "metafor_small_k.json").read_text())


@pytest.mark.parametrize("key", sorted(MREF))
def test_random_effects_small_k_and_boundary_match_metafor(key):
    case, method = key.rsplit("_", 1)
    d = pd.read_csv(REF / "meta_review" / "cases.csv").query("case == @case")
    res = _quiet(meta.random_effects, d, estimate="yi", variance="vi", method=method)
    r = MREF[key]
    ours = [
        res.estimate(),
        res.std_error,
        res.p_value,
        res.ci_lower,
        res.ci_upper,
        res.tau2,
        res.se_tau2,
        res.i2,
        res.h2,
        res.q,
        res.q_p,
        res.pi_lower,
        res.pi_upper,
    ]
    ref = [
        r[k]
        for k in (
            "estimate",
            "se",
            "pval",
            "ci_lb",
            "ci_ub",
            "tau2",
            "se_tau2",
            "I2",
            "H2",
            "QE",
            "QEp",
            "pi_lb",
            "pi_ub",
        )
    ]
    # REML is solved to 1e-12 on both sides; atol for the exact zeros at the boundary
    assert_allclose(ours, ref, rtol=1e-8, atol=1e-12)
    if case.endswith("tau0"):
        assert res.tau2 == 0.0 and res.i2 == 0.0


def test_dl_se_tau2_matches_metafor_on_the_authors_references():
    """se_tau2 for DL was NaN before the review; metafor reports it (stored already)."""
    bcg = pd.read_csv(REF / "meta" / "dat_bcg_moderators.csv")
    ref = pd.read_csv(REF / "meta" / "metafor_results.csv").set_index("method")
    res = meta.random_effects(bcg, estimate="yi", variance="vi", method="DL")
    assert_allclose(res.se_tau2, ref.loc["DL", "se_tau2"], rtol=1e-10)
    assert_allclose(
        res.tidy().set_index("term").loc["tau2", "std_error"], ref.loc["DL", "se_tau2"], rtol=1e-10
    )
    st = pd.read_csv(REF / "meta" / "metareg_statistics.csv").query("method == 'DL'").set_index("model")
    mods = {"alloc": "alloc", "ablat_year": ["ablat", "year"], "alloc_ablat": ["alloc", "ablat"]}
    for model, m in mods.items():
        r = meta.meta_regression(bcg, estimate="yi", variance="vi", moderators=m, method="DL")
        assert_allclose(r.se_tau2, st.loc[model, "se_tau2"], rtol=1e-10)


def test_meta_summary_only_claims_differences_when_the_q_test_does():
    d = pd.read_csv(REF / "meta_review" / "cases.csv")
    homo = meta.random_effects(d.query("case == 'k5_tau0'"), estimate="yi", variance="vi")
    assert homo.tau2 == 0
    assert "niet groter dan door toeval" in homo.summary()
    assert "no larger than chance" in homo.summary(lang="en")
    assert "verschillen tussen coalities:" not in homo.summary().replace("De verschillen", "")
    bcg = pd.read_csv(REF / "meta" / "dat_bcg_moderators.csv")
    het = meta.random_effects(bcg, estimate="yi", variance="vi")
    assert "De effecten verschillen tussen coalities" in het.summary()


def test_t_prediction_interval_with_two_coalitions_warns_and_says_so():
    d = pd.read_csv(REF / "meta_review" / "cases.csv").query("case == 'k2'")
    with pytest.warns(evalkit.SmallSampleWarning, match="at least 3 coalitions"):
        res = meta.random_effects(d, estimate="yi", variance="vi", prediction="t")
    assert np.isnan(res.pi_lower) and np.isnan(res.pi_upper)
    assert "niet te berekenen" in res.summary() and "tussen – en –" not in res.summary()
    assert "no prediction interval" in res.summary(lang="en")


def test_funnel_missing_unit_label_and_nan_rows_give_clear_error():
    d = pd.DataFrame({"code": [np.nan, "GM0002", "GM0003"], "n": [100, 120, np.nan], "events": [40, 50, 60]})
    with pytest.raises(DataValidationError, match="GM0003"):
        funnel.funnel(d, events="events", n="n", unit="code")
    d = pd.DataFrame({c: [np.nan] * 4 for c in ("code", "n", "events")})
    with pytest.raises(DataValidationError, match="nan"):
        funnel.funnel(d, events="events", n="n", unit="code")


def test_funnel_without_any_event_explains_the_default_target():
    d = pd.DataFrame({"n": [40, 60, 80], "events": [0, 0, 0]})
    with pytest.raises(evalkit.EstimationError, match="pooled proportion.*target="):
        funnel.funnel(d, events="events", n="n")
    res = funnel.funnel(d, events="events", n="n", target=0.1)
    assert res.target == 0.1 and list(res.units["proportion"]) == [0.0, 0.0, 0.0]
