"""Reviewer's spot-checks of evalkit.scales: dtypes and layouts the authors' tests do not
cover, against an independent scoring written here from the published rule.

Independent rule (De Jong Gierveld & Van Tilburg 1999 manual; design.md): emotional items
2, 3, 5, 6, 9, 10 score 1 for "ja" (1) or "min of meer" (2); social items 1, 4, 7, 8, 11
score 1 for "min of meer" (2) or "nee" (3); total missing when more than 2 of 11 items
are missing; a subscale missing when any of its items is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit import DataValidationError
from evalkit.data.scales import scale_definition, score

EMO = [2, 3, 5, 6, 9, 10]
SOC = [1, 4, 7, 8, 11]
ITEMS = [f"djg{i}" for i in range(1, 12)]


def independent_djg11(codes: np.ndarray) -> pd.DataFrame:
    """codes: n x 11 float array (NaN = missing), column j = item j + 1."""
    lonely = np.zeros_like(codes)
    for j in range(11):
        item = j + 1
        hit = np.isin(codes[:, j], [1, 2] if item in EMO else [2, 3])
        lonely[:, j] = np.where(np.isnan(codes[:, j]), np.nan, hit.astype(float))
    miss = np.isnan(lonely)

    def part(cols, limit):
        sub = lonely[:, cols]
        total = np.nansum(sub, axis=1)
        return np.where(np.isnan(sub).sum(axis=1) <= limit, total, np.nan)

    return pd.DataFrame(
        {
            "total": part(list(range(11)), 2),
            "emotional": part([i - 1 for i in EMO], 0),
            "social": part([i - 1 for i in SOC], 0),
            "n_missing": miss.sum(axis=1),
        }
    )


@pytest.fixture(scope="module")
def djg():
    df = evalkit.datasets.load("interventions")
    assert all(str(df[c].dtype) == "Int64" for c in ITEMS)  # pandas nullable integers
    rng = np.random.default_rng(7)
    out = df[ITEMS].copy()
    # extra missing answers so that every missing-count 0..4 occurs
    for j, c in enumerate(ITEMS):
        out.loc[rng.random(len(out)) < 0.03 * (1 + j % 3), c] = pd.NA
    return out


def _check(scored: pd.DataFrame, expected: pd.DataFrame):
    for c in ("total", "emotional", "social"):
        got = scored[c].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(got, expected[c].to_numpy(), err_msg=c)
    np.testing.assert_array_equal(scored["n_missing"].to_numpy(), expected["n_missing"].to_numpy())


def test_bundled_data_nullable_int_equals_independent_rule(djg):
    codes = djg.to_numpy(dtype=float, na_value=np.nan)
    expected = independent_djg11(codes)
    assert set(expected["n_missing"]) >= {0, 1, 2, 3, 4}
    _check(score(djg, "djg11"), expected)


@pytest.mark.parametrize(
    "convert",
    [
        lambda d: d.astype("category"),  # categorical codes
        lambda d: d.astype("Float64"),  # nullable float
        lambda d: d.astype("float64"),  # NaN floats
        lambda d: d.astype("str"),  # pandas 3 str dtype
        lambda d: d.astype(object).replace({1: "ja", 2: "min of meer", 3: "nee"}).astype("category"),
        lambda d: d.astype(object).replace({1: "Ja ", 2: "min-of-meer", 3: "NEE"}).astype("str"),
    ],
    ids=["category", "Float64", "float64", "str", "category-words", "str-words"],
)
def test_dtypes_give_identical_scores(djg, convert):
    codes = djg.to_numpy(dtype=float, na_value=np.nan)
    _check(score(convert(djg), "djg11"), independent_djg11(codes))


def test_categories_follow_totals_and_lonely_flag(djg):
    s = score(djg, "djg11")
    tot = s["total"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    exp = np.select(
        [tot <= 2, tot <= 8, tot <= 10, tot == 11],
        ["niet_eenzaam", "matig_eenzaam", "sterk_eenzaam", "zeer_sterk_eenzaam"],
        "",
    )
    exp = np.where(np.isnan(tot), None, exp)
    assert s["category"].astype(object).where(s["category"].notna(), None).tolist() == exp.tolist()
    lon = s["lonely"].astype("boolean")
    assert (lon.isna().to_numpy() == np.isnan(tot)).all()
    assert (lon.dropna().to_numpy() == (tot[~np.isnan(tot)] >= 3)).all()


def test_non_default_index_is_kept(djg):
    sub = djg.iloc[:50].copy()
    sub.index = pd.Index([f"r{i}" for i in range(50)])
    s = score(sub, "djg11")
    assert list(s.index) == list(sub.index)


def test_invalid_numeric_answer_message_shows_plain_number(djg):
    """Defect found in review: a float answer 1.5 was shown as 'np.float64(1.5)'."""
    bad = djg.iloc[:3].astype("float64")
    bad.iloc[1, 0] = 1.5
    with pytest.raises(DataValidationError) as exc:
        score(bad, "djg11")
    assert "np.float64" not in str(exc.value) and "1.5" in str(exc.value)
    assert exc.value.errors[["row", "column"]].values.tolist() == [[2, "djg1"]]


def test_scales_find_codebooks_through_codebook_module(monkeypatch, tmp_path):
    """Review fix: scales uses evalkit.codebook.codebook_dir() (one lookup, not two)."""
    import json

    import evalkit.data.scales as sc

    block = scale_definition("djg6")
    (tmp_path / "myscale.json").write_text(json.dumps({"name": "myscale", "scale": block}))
    monkeypatch.setattr(sc, "codebook_dir", lambda: tmp_path)
    assert "myscale" in sc.available_scales()
    assert scale_definition("myscale")["subscales"] == block["subscales"]
