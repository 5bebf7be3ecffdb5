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
        if len(sub) < 10 or f"age_band={ab}, gender={g}" in res.secondary:
            continue  # suppressed (small, or hidden so that the small one cannot be recovered)
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
    # one more group hidden (the smallest other one) so that "anders" is not total minus the rest
    sizes = data[data["gender"] != "anders"].groupby(["age_band", "gender"]).size()
    smallest = "age_band={}, gender={}".format(*sizes.idxmin())
    assert res.secondary == (smallest,)
    shown = res.table.loc[~res.table["group"].isin(["age_band=8-11, gender=anders", smallest])]
    assert not shown["suppressed"].any()
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


def _recover(res, min_cell):
    """What an attacker gets from a norm table: the total minus every shown norm group, per
    raw score (counts) and overall (respondents, sum of scores)."""
    t, q = res.table, res.quantiles
    shown = q[~q["suppressed"] & (q.index != "totaal")]
    total = q.loc["totaal"]
    n_hidden = total["n"] - shown["n"].sum()
    counts = t[t["group"] == "totaal"].set_index("score")["count"] - (
        t[t["group"].isin(shown.index)].groupby("score")["count"].sum()
    ).reindex(t["score"].unique(), fill_value=0)
    score_sum = total["n"] * total["mean"] - (shown["n"] * shown["mean"]).sum()
    return n_hidden, counts, score_sum


@pytest.mark.parametrize("small_sizes", [(4,), (3, 2), (1,), (4, 7)])
def test_a_small_group_cannot_be_recovered_from_the_total(small_sizes):
    """Secondary suppression: total minus the shown groups always covers at least min_cell
    respondents (or none), so no small group's size, score counts or mean can be read off."""
    rng = np.random.default_rng(11)
    parts = [
        pd.DataFrame({"band": b, "sex": s, "score": rng.integers(0, 10, size).astype(float)})
        for (b, s), size in zip([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")], [60, 35, 40, 50])
    ]
    for k, size in enumerate(small_sizes):
        parts.append(
            pd.DataFrame({"band": f"c{k}", "sex": "z", "score": rng.integers(0, 10, size).astype(float)})
        )
    data = pd.concat(parts, ignore_index=True)
    with pytest.warns(PrivacyWarning):
        res = norms(data, score="score", by=["band", "sex"], min_cell=10)
    small = {f"band=c{k}, sex=z" for k in range(len(small_sizes))}
    q = res.quantiles
    assert set(q.index[q["suppressed"]]) >= small
    n_hidden, counts, score_sum = _recover(res, 10)
    assert n_hidden == 0 or n_hidden >= 10, n_hidden
    # the attacker's residual is the hidden groups together, never one small group
    shown = q[~q["suppressed"] & (q.index != "totaal")]
    shown_pairs = set(zip(shown["band"], shown["sex"]))
    hidden = data[[pair not in shown_pairs for pair in zip(data["band"], data["sex"])]]
    assert n_hidden == len(hidden) and n_hidden > max(small_sizes)
    assert counts.sum() == n_hidden
    assert score_sum == pytest.approx(hidden["score"].sum())
    if sum(small_sizes) >= 10:  # the small groups together are already safe: nothing more hidden
        assert res.secondary == ()
    else:  # the smallest shown group is hidden with them
        assert res.secondary == ("band=a, sex=y",)  # 35 respondents, the smallest
    assert "Ook onderdrukt" in res.summary("nl") or not res.secondary


def test_without_the_total_nothing_more_is_hidden(data):
    with pytest.warns(PrivacyWarning):
        res = norms(data, score="score", min_cell=10, include_total=False)
    assert res.secondary == ()
    assert res.quantiles["suppressed"].sum() == 1
