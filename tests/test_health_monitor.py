"""The bundled REAL Health Monitor figures equal the public source files, and their codebooks.

The source files are the copies in ``../shared/data`` (provenance in its README); the bundled
copies in ``evalkit/data/files`` must be byte-identical. Spot values are typed from the
source (RIVM/CBS StatLine 50090NED as stored in ImkeDekkers/Buurtvergelijker; CBS 50140NED).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.data import datasets

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():  # the worktree layout: /work/wt/<name> beside /work/shared
    SHARED = ROOT.parents[1] / "shared" / "data"

BUNDLED = {
    "health_monitor": "health_monitor_loneliness_2012_2020.csv",
    "young_adults_2024": "young_adults_loneliness_2024.csv",
    "population_2020": "population_2020.csv",
}
#: SHA-256 of the source files (so the test also runs where ../shared is absent, as in a wheel).
SHA256 = {
    "health_monitor": "7edff0d8bb4d5d878521adb8f80b284f2a0953d521e7bdd91307f34b39d96c76",
    "young_adults_2024": "276f2f3351011af7b2254e9227629eab1fc08418453211faf14c0ae7eb8798aa",
    "population_2020": "1a4af3d347b35fe3418cf7b5df1d7d78a2c979bfe0cc8e85770de66377ac9d40",
}


@pytest.fixture(scope="module")
def hm():
    return datasets.load("health_monitor")


@pytest.fixture(scope="module")
def ya():
    return datasets.load("young_adults_2024")


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_file_is_the_source_file(name):
    bundled = (datasets.DATA_DIR / datasets._FILES[name]).read_bytes()
    assert hashlib.sha256(bundled).hexdigest() == SHA256[name]
    src = SHARED / BUNDLED[name]
    if src.is_file():
        assert src.read_bytes() == bundled


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_loaded_frame_equals_source_values(name):
    """``load`` changes types only: every value equals the CSV read as plain text."""
    df = datasets.load(name)
    raw = pd.read_csv(datasets.DATA_DIR / datasets._FILES[name], dtype=str, keep_default_na=False)
    assert list(df.columns) == list(raw.columns) and len(df) == len(raw)
    for c in raw.columns:
        if pd.api.types.is_numeric_dtype(df[c]):
            expected = pd.to_numeric(raw[c].replace("", np.nan)).to_numpy(dtype=float)
            np.testing.assert_array_equal(df[c].to_numpy(dtype=float, na_value=np.nan), expected)
        else:
            assert (df[c].astype(str) == raw[c]).all(), c
    assert df.attrs["synthetic"] is False
    for key in ("source", "source_short", "years", "licence", "caveat"):
        assert df.attrs[key]


def test_spot_values_2020(hm):
    idx = hm.set_index(["region_code", "year", "age_group"])
    nl = idx.loc[("NL01", 2020, "18+")]
    assert (nl["lonely_pct"], nl["severely_lonely_pct"]) == (47.0, 11.2)
    ams = idx.loc[("GM0363", 2020, "18+")]
    assert ams["region_name"] == "Amsterdam"
    assert (ams["lonely_pct"], ams["severely_lonely_pct"]) == (53.2, 14.8)
    # the national series of the programme: 43% lonely in 2016 (design.md)
    assert round(idx.loc[("NL01", 2016, "18+"), "lonely_pct"]) == 43


def test_shape_and_blanks(hm, ya):
    assert hm["region_code"].nunique() == 356  # 355 municipalities + NL01
    assert sorted(hm["year"].unique()) == [2012, 2016, 2020]
    assert set(hm["age_group"]) == {"18+", "65+"}
    assert not hm.duplicated(["region_code", "year", "age_group"]).any()
    # socially lonely not published for 2012, present otherwise
    assert hm.loc[hm["year"] == 2012, "socially_lonely_pct"].isna().all()
    assert hm.loc[hm["year"] > 2012, "socially_lonely_pct"].notna().all()
    assert (hm["severely_lonely_pct"] <= hm["lonely_pct"]).all()
    gm = ya[ya["region_type"] == "gemeente"]
    assert len(gm) == 338 and (ya["region_type"] == "ggd_regio").sum() == 25
    blank = gm[gm["lonely_pct"].isna()]
    assert len(blank) == 17
    assert blank.drop(columns=["region_code", "region_type", "year", "age_group"]).isna().all().all()


@pytest.mark.parametrize(
    "name", ["health_monitor", "young_adults_2024", "population_2020", "municipal_changes"]
)
def test_codebook_validates_bundled_file(name):
    from evalkit.data import readers
    from evalkit.data.codebook import load_codebook

    cb = load_codebook(name)
    assert cb.name == name
    path = (
        (datasets.DATA_DIR / datasets._FILES[name])
        if name in datasets._FILES
        else (datasets.DATA_DIR / f"{name}.csv")
    )
    df = readers.read(path, cb)
    assert readers.validate(df, cb).ok
    assert cb.raw["x-source"]["synthetic"] is False


def test_codebook_catches_bad_rows(hm):
    from evalkit.data import readers
    from evalkit.data.codebook import load_codebook

    bad = hm.copy()
    bad.loc[0, "severely_lonely_pct"] = 99.0
    bad.loc[1, "region_code"] = "363"
    rep = readers.validate(bad, load_codebook("health_monitor"))
    assert not rep.ok and len(rep.errors) >= 2


def test_population_total_is_cbs():
    pop = datasets.load("population_2020")
    assert int(pop["inhabitants_2020"].sum()) == 17_407_585
    hm_codes = set(datasets.load("health_monitor")["region_code"]) - {"NL01"}
    assert set(pop["gm_code"]) == hm_codes
