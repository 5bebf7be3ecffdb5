"""Shared helpers and texts of every result: one Wilson interval, Dutch summaries with decimal
commas and Dutch table words, the text table helper, argument checks of results' methods.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import evalkit
from evalkit import ParameterError
from evalkit.core.stats import wilson_interval
from evalkit.core.text import text_table
from evalkit.methods import did, funnel, meta, prepost
from evalkit.methods import validation as val

REF = Path(__file__).parent / "reference"


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


def test_one_wilson_interval_everywhere():
    from statsmodels.stats.proportion import proportion_confint

    for x, n, conf in [(0, 10, 0.95), (3, 10, 0.95), (10, 10, 0.9), (47, 100, 0.99), (1, 1, 0.95)]:
        assert_allclose(
            wilson_interval(x, n, conf),
            proportion_confint(x, n, alpha=1 - conf, method="wilson"),
            rtol=1e-12,
            atol=1e-15,
        )
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert np.isnan(wilson_interval(0, 0)).all()
    from evalkit.methods.validation import validity

    assert funnel.wilson_interval is wilson_interval and prepost.wilson_interval is wilson_interval
    assert not hasattr(funnel, "_wilson") and not hasattr(prepost, "_wilson")
    assert validity.proportion_ci(7, 20, 0.9) == wilson_interval(7, 20, 0.9)


def _results():
    sim = did.simulate_staggered(60, seed=1)
    cr1 = pd.read_csv(REF / "did" / "cr1_data.csv")
    bcg = pd.read_csv(REF / "meta" / "dat_bcg_moderators.csv")
    youth = evalkit.datasets.load("youth").query("wave == 't1'").iloc[:300]
    likert = pd.read_csv(REF / "psych" / "likert.csv")
    y6 = [f"y{i:02d}" for i in range(1, 7)]
    rng = np.random.default_rng(8)
    s = rng.normal(size=200)
    vd = pd.DataFrame(
        {
            "score": s,
            "ucla3": 0.7 * s + rng.normal(scale=0.7, size=200),
            "group": np.where(s + rng.normal(size=200) > 0, "eenzaam", "niet"),
        }
    )
    kw = dict(outcome="y", unit="unit", time="time")
    return {
        "meta_regression": lambda: meta.meta_regression(
            bcg, estimate="yi", variance="vi", moderators=["ablat", "alloc"]
        ),
        "two_by_two": lambda: did.two_by_two(
            cr1, outcome="y", treated="treated", post="post", cluster="neighbourhood"
        ),
        "event_study": lambda: did.event_study(sim, first_treated="g", **kw),
        "staggered": lambda: did.staggered(sim, first_treated="g", **kw),
        "item_analysis": lambda: val.item_analysis(likert, items=[f"i{i}" for i in range(1, 7)]),
        "parallel_analysis": lambda: val.parallel_analysis(youth, items=y6, n_iter=3),
        "hypotheses": lambda: val.hypotheses_test(
            vd, [{"measure": "ucla3", "direction": "+", "min_r": 0.35}], score="score"
        ),
        "known_groups": lambda: val.known_groups(vd, score="score", group="group"),
        "polychoric": lambda: val.polychoric(youth, y6),
        "graded_response": lambda: val.graded_response(youth, y6[:4], se=False),
        "dif": lambda: val.dif(youth, items=y6[:4], group="gender"),
    }


ENGLISH = [
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "p_value",
    "comparison",
    "treated",
    "change",
    "flag",
    "True",
    "False",
    "missing_share",
    "alpha_if_deleted",
    "fa_observed",
    "chi2_total",
    "leads",
]


@pytest.mark.parametrize("name", sorted(_results()))
def test_dutch_summary_has_decimal_commas_and_dutch_table_words(name):
    res = _quiet(_results()[name])
    nl = res.summary(lang="nl")
    # no decimal points (a thousands point as in 1.710,114 is fine)
    assert not re.search(r"(?<![\w.,])\d+\.\d+(?![\w.,])", nl), nl
    for word in ENGLISH:
        assert not re.search(rf"\b{word}\b", nl), (word, nl)
    en = res.summary(lang="en")
    assert not re.search(r"\d,\d{1,2}(?!\d)", en.replace(", ", "; ")), en  # no decimal commas


def test_text_table_helper():
    df = pd.DataFrame(
        {"estimate": [-0.12345, np.nan], "n": [12, 1500], "flag": [True, False], "item": ["a", "b"]},
        index=pd.Index(["treated", "comparison"]),
    )
    nl = text_table(df, "nl", digits=2)
    assert "schatting" in nl and "interventiegroep" in nl and "vergelijkingsgroep" in nl
    assert "−0,12" in nl and "–" in nl and "1.500" in nl and "ja" in nl and "nee" in nl
    en = text_table(df, "en", digits={"estimate": 3})
    assert "estimate" in en and "−0.123" in en and "1,500" in en and "yes" in en
    with pytest.raises(ParameterError, match="lang"):
        text_table(df, "de")


def test_new_argument_checks():
    sim = did.simulate_staggered(60, seed=1)
    with pytest.raises(ParameterError, match="seed"):
        did.staggered(sim, outcome="y", unit="unit", time="time", first_treated="g", bootstrap=9, seed=-1)
    with pytest.raises(ParameterError, match="n_units"):
        did.simulate_staggered(2.5)
    with pytest.raises(ParameterError, match="target must"):
        funnel.binomial_limit(0.975, 100, 1.5)
    youth = evalkit.datasets.load("youth").iloc[:200]
    with pytest.raises(ParameterError, match="nacov=1.0|nacov='yes'"):
        val.polychoric(youth, ["y01", "y02"], nacov="yes")
    with pytest.raises(ParameterError, match="se=None"):
        val.graded_response(youth, ["y01", "y02"], se=None)
    with pytest.raises(ParameterError, match="panel must be"):
        evalkit.datasets.generate_benchmark(panel="municipal_panel")
    with pytest.raises(ParameterError, match="municipality_name"):
        evalkit.datasets.generate_benchmark(
            panel=pd.DataFrame({"municipality_code": ["GM0363"], "joined_year": [2019]})
        )
    with pytest.raises(ParameterError, match="df must"):
        evalkit.datasets.to_csv_bytes([1, 2])
    with pytest.raises(ParameterError, match="directory"):
        evalkit.datasets.regenerate(5)


_Y = ["y01", "y02", "y03", "y04"]


def test_result_methods_check_their_arguments():
    youth = evalkit.datasets.load("youth").query("wave == 't1'").iloc[:300]
    g = val.graded_response(youth, _Y, se=False)
    for bad in ("a", None, [np.nan, 0.0], [[0, 1], [1, 2]]):
        with pytest.raises(ParameterError, match="theta"):
            g.item_information(bad)
    with pytest.raises(ParameterError, match="theta"):
        g.probabilities("a")
    for bad in ("a", (3, -3)):
        with pytest.raises(ParameterError, match="theta_range"):
            g.plot(theta_range=bad)
    assert_allclose(
        g.test_information([0.0, 1.0]).to_numpy(),
        g.item_information([0.0, 1.0]).sum(axis=1).to_numpy(),
        rtol=1e-12,
    )
    pc = val.polychoric(youth, _Y)
    with pytest.raises(ParameterError, match="single string"):
        pc.ordinal_alpha("y01")
    d = pd.DataFrame({"n": [40, 60, 80, 120], "events": [10, 20, 25, 50]})
    fr = funnel.funnel(d, events="events", n="n")
    for kw in (dict(n_min=-5), dict(n_min=100, n_max=10), dict(points=0), dict(points="a")):
        with pytest.raises(ParameterError):
            fr.curve(**kw)
    assert len(fr.curve(n_min=10, n_max=1000, points=50)) > 10
    bcg = pd.read_csv(REF / "meta" / "dat_bcg_moderators.csv")
    with pytest.raises(ParameterError, match="null"):
        meta.random_effects(bcg, estimate="yi", variance="vi").plot(null="a")
    import matplotlib.pyplot as plt

    plt.close("all")
