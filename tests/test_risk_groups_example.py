"""Tests of the SYNTHETIC national example by risk group (datasets.generate_risk_groups_example)
and its codebook data_dictionary/risk_groups_example.json (called health_monitor before; that
name now loads the real Health Monitor figures, tests/test_health_monitor.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import ParameterError
from evalkit.data import datasets

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data_dictionary" / "risk_groups_example.json"


@pytest.fixture(scope="module")
def hm():
    return datasets.load("risk_groups_example")


@pytest.fixture(scope="module")
def truth():
    return datasets.truth("risk_groups_example")


def test_registered_and_bundled_bytes(hm):
    assert "risk_groups_example" in datasets.names()
    assert datasets.SEEDS["risk_groups_example"] == 2020
    bundled = (datasets.DATA_DIR / "risk_groups_example.csv").read_bytes()
    assert datasets.to_csv_bytes(datasets.generate_risk_groups_example()) == bundled
    pd.testing.assert_frame_equal(hm, datasets.generate_risk_groups_example(), check_exact=True)
    assert hm.attrs == {
        "dataset": "risk_groups_example",
        "seed": 2020,
        "generator": "generate_risk_groups_example",
    }
    assert list(hm.columns) == ["year", "dimension", "level", "n_respondents", "lonely_pct", "severe_pct"]
    assert str(hm["year"].dtype) == "Int64" and str(hm["n_respondents"].dtype) == "Int64"
    assert not hm.duplicated(["year", "dimension", "level"]).any()
    assert sorted(hm["year"].unique()) == [2016, 2020, 2022, 2024]
    assert set(hm["dimension"]) == {
        "total",
        "age",
        "education",
        "disability",
        "mental_health",
        "migration",
        "informal_carer",
    }
    assert len(hm) == 4 * 18


def test_deterministic_and_seed_sensitive():
    a = datasets.generate_risk_groups_example(seed=3)
    pd.testing.assert_frame_equal(a, datasets.generate_risk_groups_example(seed=3))
    assert not a.equals(datasets.generate_risk_groups_example(seed=4))
    with pytest.raises(ParameterError, match="seed"):
        datasets.generate_risk_groups_example(seed=-1)


def test_truth_matches_programme_facts(truth):
    """The expected values reproduce the programme's national figures (design.md)."""
    e = truth["expected"].set_index(["year", "dimension", "level"])
    tot = e.xs(("total", "18+"), level=("dimension", "level"))
    np.testing.assert_allclose(tot.loc[[2016, 2020], "lonely_pct"], [43.0, 47.0], atol=1e-9)
    np.testing.assert_allclose(tot.loc[[2016, 2020], "severe_pct"], [9.0, 11.0], atol=1e-9)
    facts_2020 = {
        ("age", "75+"): 56,
        ("age", "18-34"): 46,
        ("education", "laag"): 65,
        ("disability", "ja"): 62,
        ("mental_health", "ja"): 81,
        ("migration", "niet_westers"): 64,
    }
    for (d, lv), v in facts_2020.items():
        assert abs(e.loc[(2020, d, lv), "lonely_pct"] - v) < 0.6, (d, lv)
    assert abs(e.loc[(2016, "age", "18-34"), "lonely_pct"] - 39) < 0.6
    # every dimension averages (population shares) to the national value, every year
    for (year, _dim), part in truth["expected"].groupby(["year", "dimension"]):
        np.testing.assert_allclose(
            np.sum(part["weight"] * part["lonely_pct"]), truth["national_lonely_pct"][year], rtol=1e-9
        )
        np.testing.assert_allclose(
            np.sum(part["weight"] * part["severe_pct"]), truth["national_severe_pct"][year], rtol=1e-9
        )
        assert np.isclose(part["weight"].sum(), 1.0)
    assert (truth["expected"]["severe_pct"] < truth["expected"]["lonely_pct"]).all()


def test_observed_scatter_binomially_around_truth(hm, truth):
    m = hm.merge(truth["expected"], on=["year", "dimension", "level"], suffixes=("", "_true"))
    p = m["lonely_pct_true"] / 100
    z = (m["lonely_pct"] / 100 - p) / np.sqrt(p * (1 - p) / m["n_respondents"].astype(float))
    assert abs(z.mean()) < 0.4 and 0.7 < z.std() < 1.35  # 72 cells
    assert (hm["severe_pct"] <= hm["lonely_pct"]).all()
    # counts behind the percentages are whole numbers
    k = hm["lonely_pct"] / 100 * hm["n_respondents"].astype(float)
    np.testing.assert_allclose(k, np.round(k), atol=1e-6)


def test_codebook_validates_bundled_file(hm):
    from evalkit.data import readers as io
    from evalkit.data.codebook import load_codebook

    cb = load_codebook(CODEBOOK)
    assert cb.name == "risk_groups_example"
    assert cb.primary_key == ["year", "dimension", "level"]
    assert io.validate(hm, cb).ok
    back = io.read(datasets.DATA_DIR / "risk_groups_example.csv", cb)
    assert len(back) == len(hm)
    bad = hm.copy()
    bad.loc[0, "severe_pct"] = 99.0
    bad.loc[1, "level"] = "onbekend"
    rep = io.validate(bad, cb)
    assert not rep.ok and len(rep.errors) >= 2
