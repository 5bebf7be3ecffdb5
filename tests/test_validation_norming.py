"""Norm tables: percentile ranks vs scipy.stats.percentileofscore(kind="mean"), suppression."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from evalkit.core.errors import DataValidationError, ParameterError, PrivacyWarning
from evalkit.methods.validation import norms


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    n = 600
    df = pd.DataFrame(
        {
            "age_band": rng.choice(["8-11", "12-14", "15-17"], n),
            "gender": rng.choice(["jongen", "meisje"], n),
            "score": rng.integers(0, 25, n).astype(float),
        }
    )
    # a tiny cell: only 4 respondents say "anders"
    df.loc[:3, "gender"] = "anders"
    df.loc[:3, "age_band"] = "8-11"
    return df


def test_percentile_ranks_match_scipy(data):
    with pytest.warns(PrivacyWarning):
        res = norms(data, score="score", min_cell=10)
    t = res.table
    for (ab, g), sub in data.groupby(["age_band", "gender"]):
        if len(sub) < 10:
            continue
        cell = t[(t["age_band"] == ab) & (t["gender"] == g)]
        expected = [stats.percentileofscore(sub["score"], x, kind="mean") for x in cell["score"]]
        assert_allclose(cell["percentile_rank"], expected, rtol=1e-12)
        assert (cell["n"] == len(sub)).all()
        q = res.quantiles.loc[f"age_band={ab}, gender={g}"]
        assert_allclose(q["p50"], np.quantile(sub["score"], 0.5))
    tot = t[t["group"] == "totaal"]
    assert_allclose(
        tot["percentile_rank"],
        [stats.percentileofscore(data["score"], x, kind="mean") for x in tot["score"]],
        rtol=1e-12,
    )
    assert list(tot["score"]) == list(np.arange(0.0, 25.0))


def test_small_cells_suppressed(data):
    with pytest.warns(PrivacyWarning, match="1 norm group"):
        res = norms(data, score="score", min_cell=10)
    small = res.table[res.table["gender"] == "anders"]
    assert small["suppressed"].all()
    assert small["percentile_rank"].isna().all() and small["n"].isna().all()
    assert res.quantiles.loc["age_band=8-11, gender=anders", "suppressed"]
    assert np.isnan(res.quantiles.loc["age_band=8-11, gender=anders", "p50"])
    assert not res.table.loc[res.table["gender"] != "anders", "suppressed"].any()
    t = res.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert "onderdrukt" in res.summary()
    import matplotlib.pyplot as plt

    res.plot()
    plt.close("all")


def test_bad_input(data):
    with pytest.raises(ParameterError, match="not a column"):
        norms(data, score="nope")
    with pytest.raises(ParameterError, match="min_cell"):
        norms(data, score="score", min_cell=0)
    with pytest.raises(ParameterError, match="quantiles"):
        norms(data, score="score", quantiles=[50])
    with pytest.raises(DataValidationError, match="no respondent"):
        norms(data.assign(score=np.nan), score="score")


def test_total_row_labelled_in_report_language(data):
    import matplotlib.pyplot as plt

    from evalkit.methods.validation.norming import TOTAL_GROUP

    with pytest.warns(PrivacyWarning):
        res = norms(data, score="score", min_cell=10)
    assert TOTAL_GROUP == "totaal" and TOTAL_GROUP in res.quantiles.index  # stable key
    nl, en = res.summary("nl"), res.summary("en")
    assert "\ntotaal " in nl and "\ntotal " not in nl
    assert "\ntotal " in en and "totaal" not in en
    labels = {
        lang: [t.get_text() for t in res.plot(lang=lang).get_legend().get_texts()] for lang in ("nl", "en")
    }
    plt.close("all")
    assert any(x.startswith("totaal (n=") for x in labels["nl"])
    assert any(x.startswith("total (n=") for x in labels["en"])
    assert not any(x.startswith("totaal") for x in labels["en"])


def test_by_none_is_one_overall_group_and_bad_arguments(data):
    a = norms(data, score="score", by=None, min_cell=10)
    b = norms(data, score="score", by=(), min_cell=10)
    pd.testing.assert_frame_equal(a.table, b.table)
    with pytest.raises(ParameterError, match="quantiles must be a list"):
        norms(data, score="score", quantiles=0.5)
    with pytest.raises(ParameterError, match="scores must be a list"):
        norms(data, score="score", scores=["a"])
    with pytest.raises(ParameterError, match="include_total"):
        norms(data, score="score", include_total="ja")
    with pytest.raises(ParameterError, match="score must name one column"):
        norms(data, score=None)
    with pytest.raises(DataValidationError, match="infinite"):
        norms(data.assign(score=np.where(data.index == 5, np.inf, data["score"])), score="score")
