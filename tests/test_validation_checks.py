"""validation: polychorics with unused categories (lavCor), omega and alpha with missing
answers (semTools, psych), one Cronbach's alpha, refused infinite values, warnings (small DIF
groups, non-convergence, singular correlations), summaries and messages.

R references (scripts + values) live in tests/reference/validation_review/.
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
from evalkit import DataValidationError, ParameterError
from evalkit.core.errors import ConvergenceWarning, DataQualityWarning
from evalkit.methods import prepost
from evalkit.methods import validation as val

REF = Path(__file__).parent / "reference"


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


VREF = json.loads((REF / "validation_review" / "reference.json").read_text())


def test_polychoric_with_unused_categories_matches_lavcor():
    d = pd.read_csv(REF / "validation_review" / "ordinal_gaps.csv")
    res = val.polychoric(d, list("abcd"))
    ref = VREF["polychoric"]
    t = res.tidy().set_index("term")
    assert list(t.index[t["kind"] == "threshold"]) == ref["threshold_names"]
    assert_allclose(res.threshold_vector, ref["thresholds"], rtol=1e-10)
    pairs = ["a~~b", "a~~c", "a~~d", "b~~c", "b~~d", "c~~d"]  # R's lower.tri order
    assert_allclose(t.loc[pairs, "estimate"], ref["cor"], atol=1e-6)
    # evalkit: SE = sqrt(diag(NACOV) / n); lavCor(se = "robust.sem") divides by n - 1
    n = len(d)
    assert_allclose(t.loc[pairs, "std_error"] * np.sqrt(n / (n - 1)), ref["cor_se"], rtol=1e-5)


def test_omega_and_alpha_with_missing_answers_match_semtools_and_psych():
    likert = pd.read_csv(REF / "psych" / "likert.csv")
    items = [f"i{i}" for i in range(1, 7)]
    res = _quiet(val.reliability, likert, items=items, reverse=["i3"], n_boot=0)
    t = res.tidy().set_index("term")
    a = VREF["alpha_missing"]
    assert_allclose(t.loc["omega_total", "estimate"], VREF["omega_missing"]["omega_total"], rtol=1e-5)
    assert t.loc["omega_total", "n"] == VREF["omega_missing"]["n_complete"]
    assert_allclose(
        t.loc[["alpha", "alpha_standardized", "average_r"], "estimate"],
        [a["raw_alpha"], a["std_alpha"], a["average_r"]],
        rtol=1e-10,
    )
    ia = _quiet(val.item_analysis, likert, items=items, reverse=["i3"])
    assert_allclose(ia.table["r_drop"], a["r_drop"], rtol=1e-10)
    assert_allclose(ia.table["alpha_if_deleted"], a["alpha_if_deleted"], rtol=1e-10)


def test_one_cronbach_alpha():
    import pingouin as pg

    df = evalkit.datasets.load("interventions")
    df = df[df["wave"] == "pre"]
    items = ["djg2", "djg3", "djg5", "djg6"]
    a, n = prepost._cronbach_alpha(df, items=items)
    complete = df[items].dropna().astype(float)
    assert n == len(complete)
    assert_allclose(a, pg.cronbach_alpha(complete)[0], rtol=1e-12)
    rel = _quiet(val.reliability, complete.reset_index(drop=True), items=items, n_boot=0)
    assert_allclose(a, rel.tidy().set_index("term").loc["alpha", "estimate"], rtol=1e-12)


def test_infinite_item_values_are_refused():
    likert = pd.read_csv(REF / "psych" / "likert.csv")
    likert.loc[0, "i2"] = np.inf
    items = [f"i{i}" for i in range(1, 7)]
    for f in (val.item_analysis, val.reliability):
        with pytest.raises(DataValidationError, match=r"infinite values: \['i2'\]"):
            f(likert, items=items)


def test_hypothesis_error_shows_the_bad_hypothesis():
    d = pd.DataFrame({"s": np.arange(60.0), "m": np.arange(60.0) ** 2})
    with pytest.raises(ParameterError, match=r"got 'm'\.$"):
        val.hypotheses_test(d, ["m"], score="s")


def test_dif_with_a_too_small_group_warns():
    youth = evalkit.datasets.load("youth").query("wave == 't1'").iloc[:300]
    youth = youth.assign(gender=["a"] * 295 + ["b"] * 5)
    with pytest.warns(DataQualityWarning, match="fewer than 30"):
        val.dif(youth, items=["y01", "y02", "y03", "y04"], group="gender")


def test_graded_response_non_convergence_warns():
    youth = evalkit.datasets.load("youth").query("wave == 't1'").iloc[:300]
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = val.graded_response(youth, ["y01", "y02", "y03", "y04"], tol=1e-300, se=False)
    assert not res.converged
    assert "niet geconvergeerd" in res.summary()


def test_unused_middle_category_is_dropped_like_lavaan():
    """A category nobody used inside the scale: the thresholds are those of the observed
    categories (lavaan does the same), and the result says which codes it used."""
    d = pd.read_csv(REF / "validation_review" / "ordinal_gaps.csv")
    res = val.polychoric(d, list("abcd"))
    assert res.tidy().query("item1 == 'a' and kind == 'threshold'").shape[0] == 3


def test_reliability_summary_names_feldt_properly():
    likert = pd.read_csv(REF / "psych" / "likert.csv")
    res = _quiet(val.reliability, likert, items=[f"i{i}" for i in range(1, 7)], n_boot=0)
    assert "(Feldt)" in res.summary() and "(feldt)" not in res.summary()


def test_efa_warns_on_a_singular_correlation_matrix():
    youth = evalkit.datasets.load("youth").query("wave == 't1'").iloc[:300]
    youth = youth.assign(copy=youth["y01"])
    with pytest.warns(DataQualityWarning, match="singular"):
        val.efa(youth, items=["y01", "y02", "y03", "y04", "y05", "y06", "copy"], n_factors=2)


def test_continuous_items_do_not_report_unused_categories():
    """Before the review the Holzinger-Swineford scores (fractions) gave a warning listing
    hundreds of 'answer categories nobody used'."""
    hs = pd.read_csv(REF / "lavaan" / "holzinger1939.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        val.item_analysis(hs, items=["x1", "x2", "x3"])
    d = pd.DataFrame({"a": [0, 1, 1, 3, 0] * 6, "b": [0, 1, 2, 3, 2] * 6})
    with pytest.warns(DataQualityWarning, match=r"a: \[2\]"):
        val.item_analysis(d, items=["a", "b"], scale_range=(0, 3))


def _with_inf(df: pd.DataFrame, col: str) -> pd.DataFrame:
    df = df.copy()
    df[col] = df[col].astype("float64")
    df.loc[df.index[0], col] = np.inf
    return df


def _validity_frame():
    rng = np.random.default_rng(8)
    s = rng.normal(size=120)
    return pd.DataFrame(
        {
            "score": s,
            "m": s + rng.normal(size=120),
            "g": np.where(s > 0, "hoog", "laag"),
            "ref": (s + rng.normal(size=120) > 0).astype(int),
        }
    )


_Y = ["y01", "y02", "y03", "y04"]


INF_CALLS = {
    # before the review: an infinite answer became an extra top category (polychoric, GRM,
    # DIF), a bare TypeError (efa, parallel_analysis) or NaN/inf with numpy RuntimeWarnings
    # (hypotheses_test, known_groups)
    "polychoric": lambda y, v: val.polychoric(_with_inf(y, "y01"), _Y),
    "graded_response": lambda y, v: val.graded_response(_with_inf(y, "y01"), _Y, se=False),
    "dif": lambda y, v: val.dif(_with_inf(y, "y01"), items=_Y, group="gender"),
    "efa": lambda y, v: val.efa(_with_inf(y, "y01"), items=_Y),
    "parallel_analysis": lambda y, v: val.parallel_analysis(_with_inf(y, "y01"), items=_Y, n_iter=2),
    "hypotheses_test": lambda y, v: val.hypotheses_test(
        _with_inf(v, "m"), [{"measure": "m", "direction": "+"}], score="score"
    ),
    "known_groups": lambda y, v: val.known_groups(_with_inf(v, "score"), score="score", group="g"),
    "roc": lambda y, v: val.roc(_with_inf(v, "score"), score="score", reference="ref"),
}


@pytest.mark.parametrize("name", sorted(INF_CALLS))
def test_infinite_values_are_refused(name):
    youth = evalkit.datasets.load("youth").query("wave == 't1'").iloc[:200]
    with pytest.raises(DataValidationError, match="infinite"):
        _quiet(INF_CALLS[name], youth, _validity_frame())


def test_roc_explains_text_reference_codes():
    d = _validity_frame().assign(ref=lambda x: x["ref"].astype("str"))
    with pytest.raises(DataValidationError, match=r"values are '0', '1'.*positive='1'"):
        val.roc(d, score="score", reference="ref")
    assert val.roc(d, score="score", reference="ref", positive="1").auc > 0.5
