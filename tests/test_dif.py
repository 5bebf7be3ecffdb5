"""DIF by ordinal logistic regression: equal to MASS::polr, and finds the known DIF item."""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError
from evalkit.methods.validation import dif

REF = Path(__file__).parent / "reference" / "dif"
sys.path.insert(0, str(REF))
from make_data import simulate  # noqa: E402

ITEMS = [f"y{j:02d}" for j in range(1, 13)]


@pytest.fixture(scope="module")
def youth():
    return pd.read_csv(REF / "youth_dif.csv")


@pytest.fixture(scope="module")
def res(youth):
    return dif(youth, items=ITEMS, group="gender")


def test_stored_data_regenerates(youth):
    pd.testing.assert_frame_equal(simulate(), youth, check_dtype=False)


def test_equals_polr(res):
    ref = pd.DataFrame(json.loads((REF / "reference.json").read_text()))
    t = res.table
    # polr with reltol 1e-14: log-likelihoods agree to ~1e-10
    assert_allclose(t["chi2_uniform"], 2 * (ref["ll2"] - ref["ll1"]), atol=1e-6)
    assert_allclose(t["chi2_nonuniform"], 2 * (ref["ll3"] - ref["ll2"]), atol=1e-6)
    assert_allclose(t["chi2_total"], 2 * (ref["ll3"] - ref["ll1"]), atol=1e-6)
    for m in (1, 2, 3):
        assert_allclose(t[f"r2_{m}"], 1 - ref[f"ll{m}"] / ref["ll0"], rtol=1e-8)
    assert_allclose(t["beta_group"], ref["beta_group"], rtol=1e-5)
    # polr's Hessian is numerical (optim): SEs agree to ~1e-5
    assert_allclose(t["se_beta_group"], ref["se_group"], rtol=1e-4)
    assert_allclose(t["p_total"], stats.chi2.sf(t["chi2_total"], 2), rtol=1e-12)


def test_flags_known_item_only(res):
    assert res.flagged == ["y05"]
    row = res.table.set_index("item").loc["y05"]
    assert row["dif_type"] == "uniform"
    assert row["beta_group"] < 0  # harder for girls at equal total score
    assert row["delta_r2_total"] >= 0.02 and row["p_total"] < 0.01
    others = res.table[res.table["item"] != "y05"]
    assert (others["delta_r2_total"] < 0.02).all()


@pytest.mark.parametrize("seed", [1, 2])
def test_flags_known_item_other_samples(seed):
    d = simulate(n=800, seed=seed, dif_item=8, shift=1.0)
    assert dif(d, items=ITEMS, group="gender").flagged == ["y09"]


def test_no_dif_no_flags():
    d = simulate(n=600, seed=9, shift=0.0)
    assert dif(d, items=ITEMS, group="gender").flagged == []


def test_three_groups_and_score_column(youth):
    d = youth.copy()
    rng = np.random.default_rng(4)
    d["gender"] = np.where(rng.uniform(size=len(d)) < 0.1, "anders", d["gender"])
    d["total"] = d[ITEMS].sum(axis=1)
    r = dif(d, items=ITEMS[:6], group="gender", score="total", reference="jongen")
    assert (r.table["df_uniform"] == 2).all() and (r.table["df_total"] == 4).all()
    assert r.table["beta_group"].isna().all()
    assert r.levels[0] == "jongen"
    assert "y05" in r.flagged


def test_result_interface(res):
    tid = res.tidy()
    assert list(tid.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert tid["term"].tolist() == ITEMS
    assert "y05" in res.summary() and "Flagged" in res.summary("en")
    assert res.plot().get_title()


def test_bad_input(youth):
    with pytest.raises(ParameterError, match="not a column"):
        dif(youth, items=ITEMS, group="sekse")
    with pytest.raises(ParameterError, match="alpha"):
        dif(youth, items=ITEMS, group="gender", alpha=1.5)
    with pytest.raises(ParameterError, match="reference"):
        dif(youth, items=ITEMS, group="gender", reference="x")
    with pytest.raises(ParameterError):
        dif(youth, items=["y01"], group="gender")
    with pytest.raises(DataValidationError, match="fewer than 2 levels"):
        dif(youth.assign(gender="meisje"), items=ITEMS, group="gender")
    with pytest.raises(DataValidationError, match="numeric"):
        dif(youth.assign(y01="a"), items=ITEMS, group="gender")
    small = youth.iloc[:40]
    with pytest.warns(DataQualityWarning):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            dif(small, items=ITEMS[:3], group="gender")


def test_bundled_youth_sample_flags_known_item_only():
    from evalkit.data import datasets

    data = datasets.load("youth")
    truth = datasets.truth("youth")["dif"]
    t1 = data.loc[data["wave"] == "t1"]
    res = dif(t1, items=ITEMS, group="gender", reference="jongen")
    assert res.flagged == [truth["item"]]
    row = res.table.set_index("item").loc[truth["item"]]
    assert row["dif_type"] == "uniform"
