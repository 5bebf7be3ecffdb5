"""Second review round of meta, funnel, datasets, did/* and validation.{items, consistency,
exploratory, validity, ordinal, irt, differential}: independent R spot-checks of cases the
authors' tests do not cover, Dutch summaries, shared helpers and fixed defects.

R references (scripts + values) live in tests/reference/{meta,did,validation}_review/.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import evalkit
from evalkit import DataValidationError, ParameterError
from evalkit.core.errors import ConvergenceWarning, DataQualityWarning
from evalkit.core.stats import wilson_interval
from evalkit.core.text import text_table
from evalkit.methods import did, funnel, meta, prepost
from evalkit.methods import validation as val

REF = Path(__file__).parent / "reference"


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


# ---------------------------------------------------------------------------------------
# meta: small k and the tau^2 = 0 boundary vs metafor 3.8.1 (REML and DL)
# ---------------------------------------------------------------------------------------
MREF = json.loads((REF / "meta_review" / "metafor_small_k.json").read_text())


@pytest.mark.parametrize("key", sorted(MREF))
def test_random_effects_small_k_and_boundary_match_metafor(key):
    case, method = key.rsplit("_", 1)
    d = pd.read_csv(REF / "meta_review" / "cases.csv").query("case == @case")
    res = _quiet(meta.random_effects, d, estimate="yi", variance="vi", method=method)
    r = MREF[key]
    ours = [
        res.estimate,
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


# ---------------------------------------------------------------------------------------
# did: two_by_two with missing values, two covariates, a one-observation cluster vs sandwich
# ---------------------------------------------------------------------------------------
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
    assert_allclose(r.estimate, ref["estimate"], rtol=1e-10)
    assert_allclose(
        [se["conventional"], se["hc1"], se["cluster"]],
        [ref["se_conventional"], ref["se_hc1"], ref["se_cr1"]],
        rtol=1e-10,
    )
    t = r.tidy()
    assert t.loc[0, "n"] == ref["n"] and t.loc[0, "n_clusters"] == ref["n_clusters"]


# ---------------------------------------------------------------------------------------
# validation: polychoric with unused categories vs lavCor; omega/alpha with missing answers
# ---------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------
# merged duplicates: one Wilson interval, one Cronbach's alpha
# ---------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------
# Dutch summaries: decimal commas and Dutch words in the tables too
# ---------------------------------------------------------------------------------------
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


def test_event_study_dutch_title_is_plain():
    sim = did.simulate_staggered(60, seed=1)
    es = did.event_study(sim, outcome="y", unit="unit", time="time", first_treated="g")
    assert es.summary().startswith("Effect per periode vóór en na de start")
    assert "periodes vóór de start" in es.summary()


# ---------------------------------------------------------------------------------------
# fixed defects
# ---------------------------------------------------------------------------------------
def test_funnel_missing_unit_label_and_nan_rows_give_clear_error():
    d = pd.DataFrame({"code": [np.nan, "GM0002", "GM0003"], "n": [100, 120, np.nan], "events": [40, 50, 60]})
    with pytest.raises(DataValidationError, match="GM0003"):
        funnel.funnel(d, events="events", n="n", unit="code")
    d = pd.DataFrame({c: [np.nan] * 4 for c in ("code", "n", "events")})
    with pytest.raises(DataValidationError, match="nan"):
        funnel.funnel(d, events="events", n="n", unit="code")


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


# ---------------------------------------------------------------------------------------
# validation bad input the issue names: too small group, non-convergence
# ---------------------------------------------------------------------------------------
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


def test_reliability_summary_names_feldt_properly():
    likert = pd.read_csv(REF / "psych" / "likert.csv")
    res = _quiet(val.reliability, likert, items=[f"i{i}" for i in range(1, 7)], n_boot=0)
    assert "(Feldt)" in res.summary() and "(feldt)" not in res.summary()


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


def test_t_prediction_interval_with_two_coalitions_warns_and_says_so():
    d = pd.read_csv(REF / "meta_review" / "cases.csv").query("case == 'k2'")
    with pytest.warns(evalkit.SmallSampleWarning, match="at least 3 coalitions"):
        res = meta.random_effects(d, estimate="yi", variance="vi", prediction="t")
    assert np.isnan(res.pi_lower) and np.isnan(res.pi_upper)
    assert "niet te berekenen" in res.summary() and "tussen – en –" not in res.summary()
    assert "no prediction interval" in res.summary(lang="en")


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


def test_funnel_without_any_event_explains_the_default_target():
    d = pd.DataFrame({"n": [40, 60, 80], "events": [0, 0, 0]})
    with pytest.raises(evalkit.EstimationError, match="pooled proportion.*target="):
        funnel.funnel(d, events="events", n="n")
    res = funnel.funnel(d, events="events", n="n", target=0.1)
    assert res.target == 0.1 and list(res.units["proportion"]) == [0.0, 0.0, 0.0]


def test_roc_explains_text_reference_codes():
    d = _validity_frame().assign(ref=lambda x: x["ref"].astype("str"))
    with pytest.raises(DataValidationError, match=r"values are '0', '1'.*positive='1'"):
        val.roc(d, score="score", reference="ref")
    assert val.roc(d, score="score", reference="ref", positive="1").auc > 0.5


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
