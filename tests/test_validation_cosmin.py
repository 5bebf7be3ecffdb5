"""COSMIN summary table: ratings per Prinsen et al. (2018), from results and plain numbers."""
import numpy as np
import pandas as pd
import pytest

from evalkit.validation import cosmin_table, hypotheses_test, icc, roc


def _ratings(res):
    return dict(zip(res.tidy()["term"], res.tidy()["rating"]))


def test_criteria_boundaries():
    good = cosmin_table(structural={"cfi": 0.90, "tli": 0.90, "rmsea": 0.10, "srmr": 0.079},
                        internal_consistency={"social": 0.70, "emotional": 0.91},
                        reliability=0.70, measurement_error=3.0, mic=3.5, criterion=0.70)
    r = _ratings(good)
    assert r == {"structural_validity": "+", "internal_consistency": "+", "reliability": "+",
                 "measurement_error": "+", "hypotheses_testing": "?", "criterion_validity": "+"}
    bad = cosmin_table(structural={"cfi": 0.95, "tli": 0.95, "rmsea": 0.06, "srmr": 0.08},
                       internal_consistency=0.9, reliability=0.69, measurement_error=4.0, mic=4.0,
                       criterion=0.69)
    r = _ratings(bad)
    assert r["structural_validity"] == "-"  # > .95 and < .06 / < .08 are strict
    assert r["internal_consistency"] == "?"  # no sufficient structural validity
    assert r["reliability"] == "-" and r["measurement_error"] == "-" and r["criterion_validity"] == "-"
    assert _ratings(cosmin_table(measurement_error=2.0))["measurement_error"] == "?"  # no MIC


def test_from_results():
    rng = np.random.default_rng(1)
    n = 300
    s = rng.normal(size=n)
    df = pd.DataFrame({"score": s, "m1": s + rng.normal(size=n), "m2": -s + rng.normal(size=n),
                       "m3": rng.normal(size=n), "m4": s + rng.normal(scale=0.5, size=n),
                       "ref": (s + rng.normal(size=n) > 1).astype(int),
                       "t1": s, "t2": s + rng.normal(scale=0.3, size=n)})
    hyp = hypotheses_test(df, [{"measure": "m1", "direction": "+", "min_r": 0.5},
                               {"measure": "m2", "direction": "-", "min_r": 0.5},
                               {"measure": "m3", "direction": "0", "max_r": 0.2},
                               {"measure": "m4", "direction": "+", "min_r": 0.99}], score="score")
    res = cosmin_table(reliability=icc(df[["t1", "t2"]]), hypotheses=hyp,
                       criterion=roc(df, score="score", reference="ref"), lang="nl")
    t = res.tidy().set_index("term")
    assert t.at["hypotheses_testing", "estimate"] == pytest.approx(0.75)
    assert t.at["hypotheses_testing", "rating"] == "+"
    assert t.at["reliability", "rating"] == "+"
    assert t.at["criterion_validity", "rating"] == "+"
    assert t.at["structural_validity", "rating"] == "?"
    assert "Beoordeling" in res.summary() and "Rating" in res.summary("en")
    assert list(res.table("en").columns) == ["Measurement property", "Result", "Criterion", "Rating"]
