"""Tests for evalkit.datasets: determinism, bundled files, recoverable known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import ParameterError
from evalkit.data import datasets
from evalkit.data.scales import score

GENERATED = ["interventions", "municipal_panel", "benchmark", "youth"]


# ---------------------------------------------------------------- API and bundled files
def test_names_and_load_shapes():
    assert datasets.names() == [
        "benchmark",
        "health_monitor",
        "interventions",
        "municipal_panel",
        "municipalities",
        "population_2020",
        "risk_groups_example",
        "young_adults_2024",
        "youth",
    ]
    muni = datasets.load("municipalities")
    assert len(muni) == 345 and muni["municipality_code"].is_unique
    assert {"'s-Hertogenbosch", "Súdwest-Fryslân", "Bergen (L.)", "Bergen (NH.)"} <= set(
        muni["municipality_name"]
    )
    assert datasets.load("municipal_panel").shape == (345 * 9, 8)
    with pytest.raises(ParameterError, match="name="):
        datasets.load("nope")
    with pytest.raises(ParameterError, match="name="):
        datasets.truth("municipalities")


@pytest.mark.parametrize("name", GENERATED)
def test_bundled_file_equals_regeneration_bytes(name):
    """The bundled CSV is exactly what the seeded generator produces today."""
    bundled = (datasets.DATA_DIR / datasets._FILES[name]).read_bytes()
    assert datasets.to_csv_bytes(datasets._generate_bundled(name)) == bundled


@pytest.mark.parametrize("name", GENERATED)
def test_load_roundtrip_equals_generator(name):
    loaded = datasets.load(name)
    generated = datasets._generate_bundled(name)
    pd.testing.assert_frame_equal(loaded, generated, check_exact=True)
    assert loaded.attrs["seed"] == datasets.SEEDS[name]


def test_regenerate_writes_identical_files(tmp_path):
    written = datasets.regenerate(tmp_path)
    for path in written.values():
        assert path.read_bytes() == (datasets.DATA_DIR / path.name).read_bytes()


def test_bundle_small_and_utf8():
    total = sum((datasets.DATA_DIR / f).stat().st_size for f in datasets._FILES.values())
    assert total < 2_000_000
    text = (datasets.DATA_DIR / "interventions.csv").read_text(encoding="utf-8")
    assert "Súdwest-Fryslân" in text and "'s-Hertogenbosch" in text and "Bergen (L.)" in text


def test_generators_deterministic_and_seed_sensitive():
    a = datasets.generate_interventions(4, seed=7)
    b = datasets.generate_interventions(4, seed=7)
    c = datasets.generate_interventions(4, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    pd.testing.assert_frame_equal(
        datasets.generate_youth(100, seed=3, n_retest=10), datasets.generate_youth(100, seed=3, n_retest=10)
    )
    pd.testing.assert_frame_equal(
        datasets.generate_municipal_panel(seed=5), datasets.generate_municipal_panel(seed=5)
    )


def test_generator_bad_arguments():
    with pytest.raises(ParameterError, match="n_coalitions"):
        datasets.generate_interventions(0)
    with pytest.raises(ParameterError, match="n_coalitions"):
        datasets.generate_interventions(346)
    with pytest.raises(ParameterError, match="unknown codes"):
        datasets.generate_interventions(municipality_codes=["GM9999"])
    with pytest.raises(ParameterError, match="n_retest"):
        datasets.generate_youth(50, n_retest=60)
    with pytest.raises(ParameterError, match="seed"):
        datasets.generate_municipal_panel(seed=-1)


# ---------------------------------------------------------------- interventions
def test_interventions_bundle_structure():
    df = datasets.load("interventions")
    assert df["municipality_code"].nunique() >= 12
    assert {"GM0796", "GM1900", "GM0893"} <= set(df["municipality_code"])
    assert not df.duplicated(["participant_id", "wave"]).any()
    pre_ids = set(df.loc[df["wave"] == "pre", "participant_id"])
    assert set(df.loc[df["wave"] == "post", "participant_id"]) <= pre_ids
    comp = df.groupby("municipality_code")["group"].apply(lambda g: (g == "comparison").any())
    assert 0.25 <= comp.mean() <= 0.45  # about a third
    home = df[df["intervention_type"] == "huisbezoek_75plus"]
    assert len(home) and home["age"].min() >= 75
    assert set(df["wave"]) == {"pre", "post"}
    assert all(f"djg{i}" in df for i in range(1, 12))  # 11-item version everywhere
    # attrition 15-30% on average, informative in some coalitions
    n_pre = df[df.wave == "pre"].groupby("municipality_code").size()
    n_post = df[df.wave == "post"].groupby("municipality_code").size()
    assert 0.15 <= (1 - n_post.sum() / n_pre.sum()) <= 0.30
    tr = datasets.truth("interventions")["coalitions"]
    assert tr["informative_dropout"].any() and not tr["informative_dropout"].all()
    assert (tr["true_effect"] == 0).any()  # some coalitions without effect
    # scoring works on the bundled file and exercises the missing-item rule
    s = score(df, "djg11")
    assert (s["n_missing"] > 0).any() and s["total"].notna().mean() > 0.99


@pytest.fixture(scope="module")
def all_345():
    """All 345 municipalities, generated once for the tests below (their speed is measured
    by benchmarks/bench_datasets_scales.py, not asserted here)."""
    return datasets.generate_interventions(345, seed=11, return_truth=True)


def test_all_municipality_codes(all_345):
    df, tr = all_345
    codes = set(datasets.load("municipalities")["municipality_code"])
    assert df["municipality_code"].nunique() == 345
    assert set(df["municipality_code"]) == codes  # every municipality, each once
    assert set(tr["coalitions"]["municipality_code"]) == codes


def test_interventions_truth_recovered(all_345):
    """Known truth, simplest way: pooled over 345 coalitions the observed mean pre-post
    change of the intervention group matches the true expected change where drop-out is
    not informative, and the difference-in-differences matches the true effect."""
    df, tr = all_345
    s = score(df, "djg11")
    d = pd.concat([df[["municipality_code", "participant_id", "group", "wave"]], s["total"]], axis=1)
    w = d.pivot_table(
        index=["municipality_code", "participant_id", "group"], columns="wave", values="total"
    ).dropna()
    w["change"] = w["post"] - w["pre"]
    c = tr["coalitions"].set_index("municipality_code")
    gi = w.xs("intervention", level="group").groupby("municipality_code")["change"].mean()
    ok = c.index[~c["informative_dropout"]]
    # pooled SE of the mean change ~0.02 points; tolerance 0.08 points
    assert abs(gi[ok].mean() - c.loc[ok, "true_change"].mean()) < 0.08
    gc = w.xs("comparison", level="group").groupby("municipality_code")["change"].mean()
    did = (gi - gc).dropna()
    assert len(did) > 100
    assert abs(did.mean() - c.loc[did.index, "true_effect"].mean()) < 0.1
    # zero-effect coalitions: DiD centred on 0
    zero = [m for m in did.index if c.at[m, "true_effect"] == 0]
    assert abs(did[zero].mean()) < 0.35


# ---------------------------------------------------------------- municipal panel
def test_panel_cohorts_and_truth():
    df = datasets.load("municipal_panel")
    tr = datasets.truth("municipal_panel")
    first = df.drop_duplicates("municipality_code")
    counts = first["joined_year"].value_counts(dropna=False)
    assert counts[2018] == 70 and counts[2019] == 58 and counts[2020] == 84 and counts[2021] == 51
    assert first["joined_year"].isna().sum() == 345 - 263
    assert df.groupby("municipality_code")["joined_year"].nunique(dropna=False).max() == 1
    assert df["n_respondents"].between(300, 3000).all()
    assert (df["severe_pct"] <= df["lonely_pct"]).all()
    # percentages are exact shares of n_respondents
    k = df["lonely_pct"] * df["n_respondents"] / 100
    np.testing.assert_allclose(k, np.round(k), atol=1e-6)
    # national prevalence (respondent-weighted) near 43% in 2016 and ~47% in 2020
    nat = df.groupby("year").apply(
        lambda x: np.average(x["lonely_pct"], weights=x["n_respondents"]), include_groups=False
    )
    assert abs(nat[2016] - 43.0) < 0.6 and 45.5 < nat[2020] < 47.5
    # truth: effect grows with exposure and differs by cohort
    att = tr["att_gt"].set_index(["g", "t"])["att"]
    assert att[(2018, 2017)] == 0 and att[(2018, 2018)] < 0
    assert att[(2018, 2020)] < att[(2018, 2019)]
    assert att[(2018, 2018)] != att[(2021, 2021)]
    # ATT(g, t) recovered by a simple 2x2 DiD against never-treated units (cohort 2018, 2022
    # vs 2017); sampling SE ~0.3 points, tolerance 1.0
    never = first.loc[first["joined_year"].isna(), "municipality_code"]
    g18 = first.loc[first["joined_year"] == 2018, "municipality_code"]
    m = df.set_index(["municipality_code", "year"])["lonely_pct"]
    est = (m.loc[g18, 2022].mean() - m.loc[g18, 2017].mean()) - (
        m.loc[never, 2022].mean() - m.loc[never, 2017].mean()
    )
    assert abs(est - att[(2018, 2022)]) < 1.0


def test_panel_expected_truth_matches_sample():
    df, tr = datasets.generate_municipal_panel(seed=2016, return_truth=True)
    e = tr["expected"].set_index(["municipality_code", "year"])
    o = df.set_index(["municipality_code", "year"])
    diff = (o["lonely_pct"] - e["lonely_pct"]) / np.sqrt(
        e["lonely_pct"] * (100 - e["lonely_pct"]) / o["n_respondents"].astype(float)
    )
    assert abs(diff.mean()) < 0.1 and 0.9 < diff.std() < 1.1  # binomial draws around truth


# ---------------------------------------------------------------- benchmark
def test_benchmark_programme_and_growth():
    b = datasets.load("benchmark")
    p = datasets.load("municipal_panel")
    joined = p.drop_duplicates("municipality_code").set_index("municipality_code")["joined_year"]
    assert set(b["municipality_code"]) == set(joined.dropna().index)
    assert b["year"].between(2019, 2024).all()
    assert (b["year"].to_numpy() >= joined[b["municipality_code"]].to_numpy()).all()
    assert not b.duplicated(["municipality_code", "year"]).any()
    pillars = [c for c in b if c.startswith("pillar_")]
    assert len(pillars) == 5 and b[pillars].ge(0).all().all() and b[pillars].le(10).all().all()
    tr = datasets.truth("benchmark")
    yrs = b["year"] - joined[b["municipality_code"]].to_numpy()
    for pcol in pillars:
        slope = np.polyfit(yrs.astype(float), b[pcol].astype(float), 1)[0]
        assert abs(slope - tr["slope"][pcol]) < 0.1, pcol


# ---------------------------------------------------------------- youth
def test_youth_structure_and_truth():
    y = datasets.load("youth")
    tr = datasets.truth("youth")
    t1, t2 = y[y["wave"] == "t1"], y[y["wave"] == "t2"]
    assert len(t1) == 1500 and len(t2) == 200
    assert set(t2["respondent_id"]) <= set(t1["respondent_id"])
    assert y["age"].between(8, 17).all()
    items = [f"y{i:02d}" for i in range(1, 13)]
    assert y[items].isin([0, 1, 2, 3, 4]).all().all()
    s = score(y, "youth_draft")
    ys = pd.concat([y[["respondent_id", "wave", "gender"]], s], axis=1)
    # reverse-keyed items are generated reversed: raw correlation with the rest is negative
    raw = t1[items].astype(float)
    assert raw["y02"].corr(raw["y01"]) < 0 and raw["y09"].corr(raw["y08"]) < 0
    # subscales correlate less than perfectly (two factors, latent r = 0.5)
    r_sub = ys.loc[ys.wave == "t1", ["social", "emotional"]].astype(float).corr().iloc[0, 1]
    assert 0.25 < r_sub < 0.6
    # retest stability (latent 0.93): total scores correlate highly
    w = ys.pivot(index="respondent_id", columns="wave", values="total").dropna()
    assert w.corr().iloc[0, 1] > 0.7
    # uniform DIF on y07: girls higher on y07 than boys beyond the emotional rest-score
    rest = t1[["y08", "y10", "y11", "y12"]].astype(float).sum(axis=1)
    resid = t1["y07"].astype(float) - np.polyval(np.polyfit(rest, t1["y07"].astype(float), 1), rest)
    gap = resid[t1["gender"] == "meisje"].mean() - resid[t1["gender"] == "jongen"].mean()
    resid8 = t1["y08"].astype(float) - np.polyval(
        np.polyfit(rest - t1["y08"], t1["y08"].astype(float), 1), rest - t1["y08"]
    )
    gap8 = resid8[t1["gender"] == "meisje"].mean() - resid8[t1["gender"] == "jongen"].mean()
    assert gap > 0.3 and abs(gap8) < 0.15
    assert tr["dif"]["item"] == "y07"
    # convergent hypotheses
    c = ys.loc[ys.wave == "t1", "total"].astype(float)
    conv = t1[["ucla3", "wellbeing", "friends", "lonely_self"]].astype(float)
    assert conv["ucla3"].corr(c) > 0.5 and conv["wellbeing"].corr(c) < -0.3
    assert conv["friends"].corr(c) < -0.2 and conv["lonely_self"].corr(c) > 0.2
    assert t2[["ucla3", "wellbeing", "friends", "lonely_self"]].isna().all().all()
    np.testing.assert_allclose(
        tr["items"]["loading_std"].iloc[0], (1.8 / 1.702) / np.sqrt(1 + (1.8 / 1.702) ** 2), rtol=1e-12
    )


# ---------------------------------------------------------------- codebooks
CODEBOOK_OF = {
    "interventions": "intervention",
    "municipal_panel": "municipal_panel",
    "benchmark": "benchmark",
    "youth": "youth_instrument",
}


@pytest.mark.parametrize("name", GENERATED)
def test_bundled_files_validate_against_codebook(name):
    from evalkit.data import readers as io

    report = io.validate(datasets.load(name), CODEBOOK_OF[name])
    errors = report.errors
    assert report.ok, errors.head(20).to_string()


def test_cli_regenerate(tmp_path, capsys):
    assert datasets.main(["--regenerate", "--out", str(tmp_path)]) == 0
    assert "interventions" in capsys.readouterr().out
    assert (tmp_path / "youth.csv").exists()


def test_write_example_coalitions(tmp_path):
    table = datasets.write_example_coalitions(tmp_path, n_coalitions=4, seed=3)
    assert list(table.columns) == ["coalition_code", "coalition_name", "data_path"]
    assert len(table) == 4
    whole = datasets.generate_interventions(4, seed=3)
    back = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in table["data_path"]])
    assert len(back) == len(whole)
    assert set(back["municipality_code"]) == set(table["coalition_code"])


@pytest.mark.parametrize("name", GENERATED)
def test_bundled_files_read_back_with_io(name):
    from evalkit.data import readers as io

    path = datasets.DATA_DIR / datasets._FILES[name]
    df = io.read(path, CODEBOOK_OF[name])
    assert len(df) == len(datasets.load(name))
    if name == "interventions":
        s = score(df, "djg11")
        pd.testing.assert_series_equal(s["total"], score(datasets.load(name), "djg11")["total"])
