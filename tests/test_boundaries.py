"""Municipal boundaries 2020 -> 2022 and later (evalkit.data.boundaries).

References: the CBS counts of municipalities (355 in 2020, 352 in 2021, 345 on 1 January
2022, 344 from 24 March 2022, 342 in 2023-2025; CBS/RvIG announcements), the bundled 2022
list (``municipalities.csv``) and the municipalities in the young adults' file of 2024.
"""

from __future__ import annotations

import pytest

from evalkit import ParameterError
from evalkit.data import boundaries, datasets


@pytest.mark.parametrize(
    "day, count",
    [
        ("2020-01-01", 355),
        ("2021-01-01", 352),
        ("2022-01-01", 345),
        ("2022-03-23", 345),
        ("2022-03-24", 344),
        ("2023-01-01", 342),
        (2025, 342),
    ],
)
def test_number_of_municipalities_equals_cbs(day, count):
    assert len(boundaries.municipalities_at(day)) == count


def test_2022_list_is_reproduced_with_names_and_regions():
    ref = datasets.load("municipalities").set_index("municipality_code")
    m = boundaries.municipalities_at("2022-01-01").set_index("gm_code")
    assert set(m.index) == set(ref.index)
    assert (m["name"] == ref.loc[m.index, "municipality_name"]).all()
    assert (m["safety_region"] == ref.loc[m.index, "safety_region"]).all()


def test_every_2022_municipality_maps_to_2020_figures():
    hm = datasets.load("health_monitor")
    have = {(c, y) for c, y in zip(hm["region_code"], hm["year"])}
    for code in datasets.load("municipalities")["municipality_code"]:
        pre = boundaries.predecessors(code, "2022-01-01")
        assert len(pre) >= 1
        whole = pre[pre["relation"] != "part"]
        assert len(whole) >= 1, code
        for c in pre["gm_code_2020"]:
            for year in (2012, 2016, 2020):
                assert (c, year) in have, (code, c, year)
    # and the latest boundaries too
    for code in boundaries.municipalities_at().gm_code:
        assert len(boundaries.predecessors(code)) >= 1


def test_every_2020_municipality_lands_somewhere():
    for day in ("2022-01-01", "2023-01-01"):
        m = boundaries.mapping(day)
        assert m["gm_code_2020"].nunique() == 355


def test_young_adults_2024_municipalities_exist_in_2024_boundaries():
    ya = datasets.load("young_adults_2024")
    codes = set(ya.loc[ya["region_type"] == "gemeente", "region_code"])
    current = set(boundaries.municipalities_at(2024)["gm_code"])
    assert codes <= current
    # the four Wadden islands are the only ones without a row
    assert sorted(current - codes) == ["GM0060", "GM0088", "GM0093", "GM0096"]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("GM1979", ["GM0003", "GM0010", "GM0024"]),  # Eemsdelta 2021
        ("GM1980", ["GM0398", "GM0416"]),  # Dijk en Waard 2022
        ("GM1982", ["GM0756", "GM0786", "GM0815", "GM1684", "GM1702"]),  # Land van Cuijk 2022
        ("GM1991", ["GM0856", "GM1685"]),  # Maashorst 2022
        ("GM0439", ["GM0439", "GM0370"]),  # Purmerend + Beemster 2022
        ("GM0363", ["GM0363", "GM0457"]),  # Amsterdam + Weesp 24-3-2022
        ("GM1992", ["GM0501", "GM0530", "GM0614"]),  # Voorne aan Zee 2023
        ("GM0757", ["GM0757", "GM0788"]),  # Boxtel + Esch (Haaren)
        ("GM0014", ["GM0014"]),  # unchanged
    ],
)
def test_mergers(code, expected):
    pre = boundaries.predecessors(code)
    assert sorted(pre["gm_code_2020"]) == sorted(expected)
    assert pre["gm_code_2020"].iloc[0] == expected[0] or code not in expected


def test_haaren_split_over_four():
    s = boundaries.successors("GM0788", "2021-01-01")
    assert sorted(s["gm_code"]) == ["GM0757", "GM0824", "GM0855", "GM0865"]
    assert set(s["relation"]) == {"part"}
    assert boundaries.current_code("GM0788") is None  # split, not merged whole


def test_weesp_before_and_after():
    assert boundaries.predecessors("GM0363", "2022-03-23")["gm_code_2020"].tolist() == ["GM0363"]
    assert boundaries.predecessors("GM0457")["gm_code_2020"].tolist() == ["GM0457"]
    assert boundaries.current_code("GM0457", 2024) == ("GM0363", "Amsterdam", "2022-03-24")
    assert boundaries.current_code("GM0457", "2022-01-01") is None


@pytest.mark.parametrize("bad", [363, "0363", "GM9999", None, "GM03631"])
def test_bad_codes(bad):
    with pytest.raises(ParameterError, match="code"):
        boundaries.predecessors(bad)


@pytest.mark.parametrize("bad", ["2019-12-31", "1-1-2022", True, 1999, 3.5])
def test_bad_dates(bad):
    with pytest.raises(ParameterError, match="as_of"):
        boundaries.mapping(bad)


def test_gone_code_at_later_date():
    with pytest.raises(ParameterError, match="does not exist"):
        boundaries.predecessors("GM0003", "2022-01-01")
