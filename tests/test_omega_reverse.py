"""Audit edge case 5: reliability() on items with unkeyed reverse items (mixed-sign loadings).

Reference: tests/reference/omega_reverse/ (make_data.py writes items.csv, seeded; omega.R
runs psych::omega, psych::principal, psych::alpha and semTools::compRelSEM; sessionInfo).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning
from evalkit.methods.validation.consistency import reliability

REF = Path(__file__).parent / "reference" / "omega_reverse"
R = {
    k: (v[0] if isinstance(v, list) and len(v) == 1 and k != "reverse_items" else v)
    for k, v in json.loads((REF / "omega.json").read_text()).items()
}


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return pd.read_csv(REF / "items.csv")


def test_unkeyed_reverse_items_are_named(items):
    with pytest.warns(DataQualityWarning, match="reverse") as rec:
        res = reliability(items, items=list(items.columns), sl_factors=3, n_boot=0)
    assert list(res.reverse_suggested) == R["reverse_items"]
    msg = " ".join(str(w.message) for w in rec if issubclass(w.category, DataQualityWarning))
    for item in R["reverse_items"]:
        assert repr(item) in msg
    t = res.tidy().set_index("term")
    # Schmid-Leiman omegas as psych::omega (1e-4 as the existing psych omega tests: minres
    # and oblimin converge to ~1e-6 in both)
    assert_allclose(t.at["omega_hierarchical", "estimate"], R["omega_h"], rtol=1e-4)
    assert_allclose(t.at["omega_total_sl", "estimate"], R["omega_tot"], rtol=1e-4)
    assert_allclose(t.at["alpha", "estimate"], R["alpha_raw"], rtol=1e-10)
    # omega_h above omega_total is never printed without a word
    assert t.at["omega_hierarchical", "estimate"] > t.at["omega_total", "estimate"]
    nl, en = res.summary(), res.summary(lang="en")
    assert "hoger dan omega totaal" in nl and "Schmid-Leiman" in nl
    assert "higher than omega total" in en
    assert "reverse=['q1', 'q3'" in en and "Scoor ze om" in nl


def test_after_reverse_keying_agrees_with_r(items):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # no reverse warning any more
        res = reliability(
            items, items=list(items.columns), reverse=R["reverse_items"], sl_factors=3, n_boot=0
        )
    assert res.reverse_suggested == ()
    t = res.tidy().set_index("term")
    assert_allclose(t.at["alpha", "estimate"], R["reversed_alpha"], rtol=1e-10)
    assert_allclose(t.at["omega_hierarchical", "estimate"], R["reversed_omega_h"], rtol=1e-4)
    assert_allclose(t.at["omega_total_sl", "estimate"], R["reversed_omega_tot"], rtol=1e-4)
    # one-factor CFA omega as semTools::compRelSEM (ML optimum, 1e-6)
    assert_allclose(t.at["omega_total", "estimate"], R["reversed_omega_total_cfa"], rtol=1e-6)
    assert t.at["omega_hierarchical", "estimate"] <= t.at["omega_total", "estimate"]
    assert "hoger dan omega totaal" not in res.summary()


def test_no_warning_when_keyed_consistently(items):
    keyed = items.copy()
    for c in R["reverse_items"]:
        keyed[c] = 7 - keyed[c]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        res = reliability(keyed, items=list(keyed.columns), n_boot=0)
    assert res.reverse_suggested == ()
