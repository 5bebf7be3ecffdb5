"""COSMIN summary table: ratings per Prinsen et al. (2018), from results and plain numbers."""

import numpy as np
import pandas as pd
import pytest

from evalkit.methods.validation import cosmin_table, hypotheses_test, icc, roc


def _ratings(res):
    return dict(zip(res.tidy()["term"], res.tidy()["rating"]))


def test_criteria_boundaries():
    good = cosmin_table(
        structural={"cfi": 0.90, "tli": 0.90, "rmsea": 0.10, "srmr": 0.079},
        internal_consistency={"social": 0.70, "emotional": 0.91},
        reliability=0.70,
        measurement_error=3.0,
        mic=3.5,
        criterion=0.70,
    )
    r = _ratings(good)
    assert r == {
        "structural_validity": "+",
        "internal_consistency": "+",
        "measurement_invariance": "?",
        "reliability": "+",
        "measurement_error": "+",
        "hypotheses_testing": "?",
        "criterion_validity": "+",
    }
    bad = cosmin_table(
        structural={"cfi": 0.95, "tli": 0.95, "rmsea": 0.06, "srmr": 0.08},
        internal_consistency=0.9,
        reliability=0.69,
        measurement_error=4.0,
        mic=4.0,
        criterion=0.69,
    )
    r = _ratings(bad)
    assert r["structural_validity"] == "-"  # > .95 and < .06 / < .08 are strict
    assert r["internal_consistency"] == "?"  # no sufficient structural validity
    assert r["reliability"] == "-" and r["measurement_error"] == "-" and r["criterion_validity"] == "-"
    assert _ratings(cosmin_table(measurement_error=2.0))["measurement_error"] == "?"  # no MIC


def test_from_results():
    rng = np.random.default_rng(1)
    n = 300
    s = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "score": s,
            "m1": s + rng.normal(size=n),
            "m2": -s + rng.normal(size=n),
            "m3": rng.normal(size=n),
            "m4": s + rng.normal(scale=0.5, size=n),
            "ref": (s + rng.normal(size=n) > 1).astype(int),
            "t1": s,
            "t2": s + rng.normal(scale=0.3, size=n),
        }
    )
    hyp = hypotheses_test(
        df,
        [
            {"measure": "m1", "direction": "+", "min_r": 0.5},
            {"measure": "m2", "direction": "-", "min_r": 0.5},
            {"measure": "m3", "direction": "0", "max_r": 0.2},
            {"measure": "m4", "direction": "+", "min_r": 0.99},
        ],
        score="score",
    )
    res = cosmin_table(
        reliability=icc(df[["t1", "t2"]]),
        hypotheses=hyp,
        criterion=roc(df, score="score", reference="ref"),
        lang="nl",
    )
    t = res.tidy().set_index("term")
    assert t.at["hypotheses_testing", "estimate"] == pytest.approx(0.75)
    assert t.at["hypotheses_testing", "rating"] == "+"
    assert t.at["reliability", "rating"] == "+"
    assert t.at["criterion_validity", "rating"] == "+"
    assert t.at["structural_validity", "rating"] == "?"
    assert "Beoordeling" in res.summary() and "Rating" in res.summary("en")
    assert list(res.table("en").columns) == ["Measurement property", "Result", "Criterion", "Rating"]


def test_wlsmv_fit_rated_on_scaled_indices():
    # unscaled DWLS indices look excellent, the scaled ones (what lavaan users report) do not
    fi = pd.Series(
        {
            "chi2": 120.0,
            "df": 34.0,
            "cfi": 0.99,
            "tli": 0.99,
            "rmsea": 0.03,
            "srmr": 0.09,
            "chi2_scaled": 400.0,
            "cfi_scaled": 0.90,
            "tli_scaled": 0.88,
            "rmsea_scaled": 0.10,
        }
    )
    res = cosmin_table(structural=fi)
    row = res.tidy().set_index("term").loc["structural_validity"]
    assert row["rating"] == "-"
    assert row["estimate"] == pytest.approx(0.90)
    assert "CFI = 0.900" in row["result"] and "scaled" in row["result"]
    nl = cosmin_table(structural=fi, lang="nl").tidy().set_index("term")
    assert "geschaald" in nl.at["structural_validity", "result"]
    assert "CFI = 0,900" in nl.at["structural_validity", "result"]
    # the same numbers without the scaled ones are rated on the unscaled indices
    plain = cosmin_table(structural=fi[["cfi", "tli", "rmsea", "srmr"]])
    assert _ratings(plain)["structural_validity"] == "+"
    assert "scaled" not in plain.tidy().at[0, "result"]


def test_wlsmv_result_object():
    from pathlib import Path

    from evalkit.methods.validation.sem import fit_wlsmv

    ref = Path(__file__).parent / "reference" / "lavaan_ordinal" / "sim3.csv"
    fit = fit_wlsmv(pd.read_csv(ref), "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8")
    t = cosmin_table(structural=fit).tidy().set_index("term")
    assert t.at["structural_validity", "estimate"] == fit.fit_indices["cfi_scaled"]
    assert "RMSEA" in t.at["structural_validity", "result"]


def test_dutch_criteria():
    res = cosmin_table(structural={"cfi": 0.97}, reliability=0.8, lang="nl")
    crit = res.table("nl")["Criterium"].tolist()
    assert crit[0] == "CFI of TLI > 0,95 of RMSEA < 0,06 of SRMR < 0,08"
    assert crit[2].startswith("scalaire invariantie")
    assert crit[3] == "ICC >= 0,70"
    assert "van de hypothesen" in crit[5]
    assert not any(" or " in c for c in crit)
    assert res.tidy()["criterion"].tolist() == crit
    # the display language decides the criterion column
    assert res.table("en")["Criterion"].iloc[0] == "CFI or TLI > 0.95 or RMSEA < 0.06 or SRMR < 0.08"
    assert "Criterium" in res.summary("nl")


def test_nan_values_are_rated_indeterminate_with_a_warning():
    """A statistic that could not be estimated (NaN) is left out with a warning, never rated -."""
    from evalkit.core.errors import DataQualityWarning

    with pytest.warns(DataQualityWarning, match="NaN"):
        res = cosmin_table(
            internal_consistency={"social": np.nan, "emotional": 0.80},
            structural={"cfi": 0.97, "tli": 0.96, "rmsea": 0.05, "srmr": 0.04},
        )
    t = res.tidy().set_index("term")
    assert t.loc["internal_consistency", "rating"] == "+"  # rated on the estimable subscale
    assert "social" not in t.loc["internal_consistency", "result"]
    with pytest.warns(DataQualityWarning):
        res = cosmin_table(reliability=np.nan, criterion=np.nan, measurement_error=np.nan, mic=2.0)
    assert set(_ratings(res).values()) == {"?"}


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(internal_consistency="hoog"), "internal_consistency.*number"),
        (dict(reliability=1.5), "reliability.*between -1 and 1"),
        (dict(reliability=pd.DataFrame({"icc": [0.8]})), "ICC2"),
        (dict(measurement_error=-0.5), "at least 0"),
        (dict(measurement_error=2.0, mic=0), "mic must be a positive"),
        (dict(criterion=1.2), "criterion.*between 0 and 1"),
        (dict(structural={"cfi": "hoog"}), "'cfi' must be a number"),
    ],
)
def test_bad_values_raise_parameter_error(kwargs, match):
    from evalkit.core.errors import ParameterError

    with pytest.raises(ParameterError, match=match):
        cosmin_table(**kwargs)


# --- issue 18: invariance row (cross-cultural validity) and the worst subscale -------------
def _inv_table(scalar_cfi_ok: bool) -> pd.DataFrame:
    """An invariance table as invariance() makes it: decisions NA for the first level."""
    tab = pd.DataFrame(
        {
            "cfi_invariant": [pd.NA, True, scalar_cfi_ok],
            "rmsea_invariant": [pd.NA, True, True],
            "lrt_invariant": [pd.NA, False, False],
        },
        index=pd.Index(["configural", "metric", "scalar"], name="model"),
    )
    return tab.astype("boolean")


def test_failed_scalar_invariance_makes_the_row_minus():
    # Holzinger-Swineford by school (lavaan 0.6-14, tests/reference/lavaan): scalar
    # invariance fails (delta CFI = -0.039 against metric), so the row is "-"
    from pathlib import Path

    from evalkit.methods.validation.sem import invariance

    ref = Path(__file__).parent / "reference" / "lavaan" / "holzinger1939.csv"
    hs = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    inv = invariance(pd.read_csv(ref), hs, group="school")
    assert not bool(inv.table.at["scalar", "cfi_invariant"])  # the result's own decision
    row = cosmin_table(invariance=inv).tidy().set_index("term").loc["measurement_invariance"]
    assert row["rating"] == "-"
    assert "school: rejected at scalar" in row["result"]
    # the same by its table, and in a dict with a grouping where it holds: the worst decides
    assert _ratings(cosmin_table(invariance=inv.table))["measurement_invariance"] == "-"
    both = cosmin_table(invariance={"gender": _inv_table(True), "school": inv}, lang="nl")
    assert _ratings(both)["measurement_invariance"] == "-"


def test_invariance_holds_or_not_assessed():
    assert _ratings(cosmin_table(invariance=_inv_table(True)))["measurement_invariance"] == "+"
    assert _ratings(cosmin_table(invariance=_inv_table(False)))["measurement_invariance"] == "-"
    # lrt_invariant False alone does not reject (approximate fit decides, as the summary)
    none = cosmin_table().tidy().set_index("term").loc["measurement_invariance"]
    assert none["rating"] == "?" and none["result"] == "not assessed"
    assert (
        cosmin_table(lang="nl").tidy().set_index("term").at["measurement_invariance", "result"]
        == "niet onderzocht"
    )
    # scalar not tested: indeterminate
    partial = _inv_table(True).loc[["configural", "metric"]]
    assert _ratings(cosmin_table(invariance=partial))["measurement_invariance"] == "?"
    from evalkit.core.errors import ParameterError

    with pytest.raises(ParameterError, match="invariance"):
        cosmin_table(invariance="scalar holds")


def test_worst_subscale_decides_internal_consistency():
    good_fit = {"cfi": 0.97, "tli": 0.96, "rmsea": 0.05, "srmr": 0.04}
    res = cosmin_table(
        structural=good_fit, internal_consistency={"social": 0.91, "emotional": 0.66, "other": 0.85}
    )
    row = res.tidy().set_index("term").loc["internal_consistency"]
    assert row["rating"] == "-"
    assert row["estimate"] == pytest.approx(0.66)
    assert "worst: emotional" in row["result"]
    # the worst listed first or last: same rating
    assert (
        _ratings(cosmin_table(structural=good_fit, internal_consistency={"emotional": 0.69, "social": 0.91}))[
            "internal_consistency"
        ]
        == "-"
    )
    assert (
        _ratings(cosmin_table(structural=good_fit, internal_consistency={"social": 0.71, "emotional": 0.70}))[
            "internal_consistency"
        ]
        == "+"
    )
