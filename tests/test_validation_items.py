"""Item analysis: compared with psych::alpha (tests/reference/psych/psych_reference.R)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError
from evalkit.methods.validation import item_analysis

REF = Path(__file__).parent / "reference" / "psych"
P = json.loads((REF / "psych_reference.json").read_text())


@pytest.fixture(scope="module")
def hs():
    import semopy.examples.holzinger39 as h

    return h.get_data()


@pytest.fixture(scope="module")
def likert():
    return pd.read_csv(REF / "likert.csv")


def test_hs_matches_psych_alpha(hs):
    for items, key in (
        (["x1", "x2", "x3"], "alpha_hs_x1_x3"),
        ([f"x{i}" for i in range(1, 10)], "alpha_hs_x1_x9"),
    ):
        res = item_analysis(hs, items=items)
        assert_allclose(res.table["r_drop"], P[key]["r_drop"], rtol=1e-10)
        assert_allclose(res.table["alpha_if_deleted"], P[key]["alpha_if_deleted"], rtol=1e-10)
        assert_allclose(res.table["mean"], P[key]["item_mean"], rtol=1e-12)
        assert_allclose(res.table["sd"], P[key]["item_sd"], rtol=1e-12)


def test_likert_with_missing_and_reverse_key_matches_psych(likert):
    # psych::alpha(keys = c(1, 1, -1, 1, 1, 1)), pairwise-complete covariances
    res = item_analysis(likert, items=list(likert.columns), reverse=["i3"], scale_range=(0, 4))
    ref = P["alpha_likert"]
    assert_allclose(res.table["r_drop"], ref["r_drop"], rtol=1e-10)
    assert_allclose(res.table["alpha_if_deleted"], ref["alpha_if_deleted"], rtol=1e-10)
    assert_allclose(res.table["mean"], ref["item_mean"], rtol=1e-12)
    # psych's response.freq (last column = share missing) counts the answers as given
    freq = np.array(ref["response_freq"])
    assert_allclose(res.distribution.to_numpy(), freq[:, :5], rtol=1e-10)
    assert_allclose(res.table["missing_share"], freq[:, 5], rtol=1e-10)
    # floor/ceiling of the reverse-keyed item i3 use the keyed values
    assert res.table.loc["i3", "floor"] == pytest.approx(
        (likert["i3"] == 4).sum() / likert["i3"].notna().sum()
    )


def test_floor_ceiling_by_hand():
    df = pd.DataFrame({"a": [0] * 4 + [1, 2, 3, 4] * 4, "b": [4] * 3 + [0, 1, 2, 3, 1] * 3 + [2, 2]})
    res = item_analysis(df, items=["a", "b"], scale_range=(0, 4))
    n = len(df)
    assert n == 20
    assert res.table.loc["a", "floor"] == pytest.approx(4 / n)
    assert res.table.loc["a", "ceiling"] == pytest.approx(4 / n)
    assert bool(res.table.loc["a", "floor_flag"]) is True  # 20% > 15%
    assert res.table.loc["b", "ceiling"] == pytest.approx(3 / n)
    assert bool(res.table.loc["b", "ceiling_flag"]) is False  # exactly 15% is not above 15%
    total = df.sum(axis=1)
    assert res.total["floor"] == pytest.approx((total == 0).mean())
    assert res.total["ceiling"] == pytest.approx((total == 8).mean())
    t = res.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert t["term"].tolist() == ["a", "b", "total"]
    assert "Itemanalyse" in res.summary() and "Item analysis" in res.summary(lang="en")


def test_unused_category_warns():
    df = pd.DataFrame({"a": [0, 1, 2, 3, 1, 2], "b": [1, 2, 3, 3, 2, 1], "c": [0, 1, 2, 3, 2, 2]})
    with pytest.warns(DataQualityWarning, match="nobody used"):
        res = item_analysis(df, items=["a", "b", "c"], scale_range=(0, 4))
    assert res.unused["a"] == [4] and res.unused["b"] == [0, 4]


def test_bad_input_messages():
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 2, 2], "c": [1, 3, 2, 4]})
    with pytest.raises(DataValidationError, match="without variance.*'b'"):
        item_analysis(df, items=["a", "b", "c"])
    with pytest.raises(ParameterError, match="not a column"):
        item_analysis(df, items=["a", "zz"])
    with pytest.raises(ParameterError, match="at least 2 items"):
        item_analysis(df, items=["a"])
    with pytest.raises(ParameterError, match="not among items"):
        item_analysis(df, items=["a", "c"], reverse=["b"])
    with pytest.raises(DataValidationError, match="outside scale_range"):
        item_analysis(df, items=["a", "c"], scale_range=(0, 3))
    with pytest.raises(DataValidationError, match="at least 3 respondents"):
        item_analysis(df.head(2), items=["a", "c"])
    with pytest.raises(ParameterError, match="list of column names"):
        item_analysis(df, items="a")
    bad = df.assign(a=["x", "1", "2", "3"])
    with pytest.raises(DataValidationError, match="non-numeric"):
        item_analysis(bad, items=["a", "c"])


def test_plot_returns_axes(likert):
    import matplotlib.pyplot as plt

    res = item_analysis(likert, items=list(likert.columns), scale_range=(0, 4))
    ax = res.plot()
    assert ax.get_xlabel()
    plt.close("all")
