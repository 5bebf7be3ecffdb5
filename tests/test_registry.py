"""The results registry on SQLite and PostgreSQL: only disclosure-controlled aggregates,
newest record per coalition, intervention, year and term, and pooling over coalitions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import evalkit
from evalkit.core.errors import ParameterError
from evalkit.store import Store, registry

UTC = dt.UTC
ROW = {
    "term": "change_total",
    "estimate": -0.75,
    "std_error": 0.21,
    "ci_lower": -1.16,
    "ci_upper": -0.34,
    "p_value": 0.0004,
    "n": 48,
}


def test_public_name() -> None:
    assert evalkit.registry is registry
    assert callable(evalkit.registry.load) and callable(evalkit.registry.record)


def test_empty_registry_has_the_columns(db_url: str) -> None:
    df = registry.load(db_url)
    assert list(df.columns) == registry.COLUMNS and len(df) == 0


def test_record_and_load_round_trip(store: Store) -> None:
    t0 = dt.datetime(2026, 5, 1, tzinfo=UTC)
    tidy = pd.DataFrame(
        [
            ROW,
            {
                **ROW,
                "term": "d_z",
                "estimate": 0.52,
                "std_error": None,
                "ci_lower": 0.21,
                "ci_upper": 0.83,
                "p_value": np.nan,
            },
        ]
    )
    assert (
        registry.record(
            tidy, gm_code="GM0363", coalition="Amsterdam", intervention="maatje", year=2025, url=store, now=t0
        )
        == 2
    )
    registry.record(
        [{**ROW, "estimate": -0.5, "n": 30}],
        gm_code="GM0599",
        intervention="maatje",
        year=2025,
        url=store.url,
        now=t0,
    )
    df = registry.load(store)
    assert df[["gm_code", "term"]].values.tolist() == [
        ["GM0363", "change_total"],
        ["GM0363", "d_z"],
        ["GM0599", "change_total"],
    ]
    first = df.iloc[0]
    assert first["coalition"] == "Amsterdam" and first["year"] == 2025
    assert first["source"] == "batch" and first["n"] == 48
    assert_allclose(
        first[["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]].to_numpy(float),
        [-0.75, 0.21, -1.16, -0.34, 0.0004],
        rtol=1e-12,
    )
    assert np.isnan(df.iloc[1]["std_error"]) and np.isnan(df.iloc[1]["p_value"])
    assert df["recorded_at"].iloc[0] == pd.Timestamp(t0)


def test_newer_record_supersedes(store: Store) -> None:
    t0 = dt.datetime(2026, 5, 1, tzinfo=UTC)
    registry.record([ROW], gm_code="GM0363", intervention="maatje", year=2025, url=store, now=t0)
    registry.record(
        [{**ROW, "estimate": -0.9}],
        gm_code="GM0363",
        intervention="maatje",
        year=2025,
        url=store,
        source="portal",
        now=t0 + dt.timedelta(days=1),
    )
    registry.record([ROW], gm_code="GM0363", intervention="maatje", year=2026, url=store, now=t0)
    latest = registry.load(store)
    assert latest[["year", "estimate", "source"]].values.tolist() == [
        [2025, -0.9, "portal"],
        [2026, -0.75, "batch"],
    ]
    assert len(registry.load(store, latest=False)) == 3


@pytest.mark.parametrize(
    "bad, match",
    [
        ({**ROW, "n": 9}, "fewer than min_cell"),
        ({**ROW, "n": 12.5}, "whole number"),
        ({**ROW, "n": None}, "whole number"),
        ({**ROW, "estimate": "-0,75"}, "must be a number"),
        ({**ROW, "ci_upper": float("inf")}, "infinite"),
        ({**ROW, "term": ""}, "term"),
    ],
)
def test_refuses_rows_that_are_not_safe_aggregates(store: Store, bad: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        registry.record(
            [ROW | {"term": "other"}, bad], gm_code="GM0363", intervention="maatje", year=2025, url=store
        )
    assert len(registry.load(store)) == 0  # nothing half-written


def test_refuses_bad_keys(store: Store) -> None:
    kw = dict(gm_code="GM0363", intervention="maatje", year=2025, url=store)
    for change, match in [
        ({"gm_code": "363"}, "gm_code"),
        ({"year": "2025"}, "year"),
        ({"intervention": " "}, "intervention"),
        ({"source": "web"}, "source"),
        ({"min_cell": 5}, "min_cell"),
        ({"intervention": ", ".join(["Maatjesproject"] * 20)}, "at most"),
        ({"coalition": "x" * 201}, "coalition"),
        ({"report_id": "nope"}, "report_id"),
    ]:
        with pytest.raises(ParameterError, match=match):
            registry.record([ROW], **{**kw, **change})
    with pytest.raises(ParameterError, match="twice"):
        registry.record([ROW, ROW], **kw)
    with pytest.raises(ParameterError, match="min_cell"):
        registry.record([{**ROW, "n": 12}], **kw, min_cell=15)
    with pytest.raises(ParameterError, match="lack the column"):
        registry.record(pd.DataFrame({"term": ["x"]}), **kw)


def test_pooling_over_coalitions_and_years(store: Store) -> None:
    """The committee's use: random-effects pooling of one term over the registry equals
    pooling the same numbers directly."""
    rng = np.random.default_rng(13)
    rows = []
    for i, code in enumerate(["GM0363", "GM0599", "GM0344", "GM0518", "GM0014"]):
        for year in (2024, 2025):
            est, se = rng.normal(-0.6, 0.2), rng.uniform(0.1, 0.3)
            registry.record(
                [
                    {
                        "term": "change_total",
                        "estimate": est,
                        "std_error": se,
                        "ci_lower": est - 1.96 * se,
                        "ci_upper": est + 1.96 * se,
                        "p_value": 0.01,
                        "n": 20 + i,
                    }
                ],
                gm_code=code,
                intervention="maatje",
                year=year,
                url=store,
            )
            rows.append((est, se))
    df = registry.load(store)
    assert len(df) == 10
    pooled = evalkit.meta.random_effects(df, estimate="estimate", std_error="std_error")
    direct = evalkit.meta.random_effects(
        pd.DataFrame(rows, columns=["estimate", "std_error"]), estimate="estimate", std_error="std_error"
    )
    assert_allclose(pooled.tidy()["estimate"].iloc[0], direct.tidy()["estimate"].iloc[0], rtol=1e-12)


KEY = {  # the shape of evalkit.reports.coalition.key_numbers (shown numbers only)
    "coalition_code": "GM0363",
    "coalition_name": "Amsterdam",
    "min_cell": 10,
    "n_pairs": 41,
    "mean_diff": -0.9,
    "ci_lower": -1.4,
    "ci_upper": -0.4,
    "std_error": 0.25,
    "share_pre": None,
    "suppressed": False,
    "quantities": {
        "n_pairs": {"value": 41, "kind": "count", "group_n": 41},
        "mean_diff": {"value": -0.9, "kind": "estimate", "group_n": 41},
        "ci_lower": {"value": -1.4, "kind": "estimate", "group_n": 41},
        "ci_upper": {"value": -0.4, "kind": "estimate", "group_n": 41},
        "std_error": {"value": 0.25, "kind": "estimate", "group_n": 41},
        "mean_pre": {"value": 5.1, "kind": "mean", "group_n": 41},
        "share_post": {"value": 0.39, "kind": "share", "group_n": 41, "in_n": 16},
    },
}


def test_key_numbers_of_an_audited_page(store: Store) -> None:
    rows = registry.key_number_rows(KEY)
    assert [r["term"] for r in rows] == ["mean_diff", "mean_pre", "share_post"]
    assert rows[0] == {
        "term": "mean_diff",
        "estimate": -0.9,
        "std_error": 0.25,
        "ci_lower": -1.4,
        "ci_upper": -0.4,
        "p_value": None,
        "n": 41,
    }
    assert (
        registry.record_key_numbers(KEY, gm_code="GM0363", intervention="maatje", year=2024, url=store) == 3
    )
    df = registry.load(store)
    assert df["coalition"].unique().tolist() == ["Amsterdam"]
    assert registry.key_number_rows({**KEY, "suppressed": True}) == []
    assert (
        registry.record_key_numbers(
            {**KEY, "suppressed": True}, gm_code="GM0363", intervention="maatje", year=2024, url=store
        )
        == 0
    )
    with pytest.raises(ParameterError, match="min_cell"):  # the page's own threshold
        registry.record_key_numbers(
            {**KEY, "min_cell": 50}, gm_code="GM0363", intervention="maatje", year=2024, url=store
        )


def test_evaluation_year() -> None:
    d = pd.DataFrame(
        {
            "wave": ["pre", "post", "pre", "post", "post"],
            "date": pd.to_datetime(["2023-11-01", "2024-02-01", "2023-12-01", "2024-03-01", "2025-01-05"]),
        }
    )
    assert registry.evaluation_year(d) == 2024
    assert registry.evaluation_year(d.assign(wave="pre")) == 2024  # median of all dates
    assert registry.evaluation_year(d.iloc[[0, 2]]) == 2023
    assert registry.evaluation_year(d.drop(columns="date")) is None
    assert registry.evaluation_year(d.assign(date=pd.NaT)) is None
    data = evalkit.datasets.load("interventions")
    assert registry.evaluation_year(data) == 2024


def test_evaluation_context() -> None:
    data = evalkit.datasets.load("interventions")
    one = data[data["municipality_code"] == data["municipality_code"].iloc[0]]
    ctx = registry.evaluation_context(one)
    assert ctx == {"intervention": one["intervention"].iloc[0], "year": 2024}
    assert registry.evaluation_context(data)["intervention"] == registry.ALL_INTERVENTIONS
    assert registry.evaluation_context(data, intervention=" Maatje ")["intervention"] == "Maatje"
    assert registry.evaluation_context(data.drop(columns=["intervention", "date"])) == {
        "intervention": registry.ALL_INTERVENTIONS,
        "year": None,
    }


def test_batch_records_audited_pages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The batch with a database records every audited page's key numbers, with the
    intervention and year of its data; a coalition whose page failed records nothing."""
    from evalkit.reports import batch
    from evalkit.reports.demo import write_example_coalitions

    allc = write_example_coalitions(tmp_path / "data")
    co = allc.iloc[:3].reset_index(drop=True)
    broken = Path(co.loc[2, "data_path"])
    bad = pd.read_csv(broken, dtype=str, keep_default_na=False)
    bad.loc[0, "age"] = "999"
    bad.to_csv(broken, index=False)
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    res = batch.run(coalitions=co, output_dir=tmp_path / "reports", workers=1, progress=False, registry=url)
    assert res.n_ok == 2 and res.n_failed == 1
    df = registry.load(url)
    assert sorted(df["gm_code"].unique()) == sorted(co["coalition_code"].iloc[:2])
    data = evalkit.datasets.load("interventions")
    for code, part in df.groupby("gm_code"):
        own = data[data["municipality_code"] == code]
        assert part["intervention"].unique().tolist() == [own["intervention"].iloc[0]]
        assert part["year"].unique().tolist() == [registry.evaluation_year(own)]
        assert set(part["term"]) <= set(registry.KEY_TERMS) and "mean_diff" in set(part["term"])
        assert (part["n"] >= 10).all() and (part["source"] == "batch").all()
    # the numbers are the page's: the manifest's key numbers of that coalition
    manifest = json.loads((tmp_path / "reports" / batch.MANIFEST).read_text(encoding="utf-8"))
    for code, part in df.groupby("gm_code"):
        key = manifest["coalitions"][code]["key"]
        got = part.set_index("term")["estimate"]
        for term in got.index:
            assert_allclose(got[term], key["quantities"][term]["value"], rtol=1e-12)


def test_evaluation_year_with_an_empty_wave_cell():
    # a file read with strict=False keeps an empty row: its wave is <NA>, not a post-test
    data = pd.DataFrame(
        {
            "wave": pd.array(["pre", "post", None, "post"], dtype="string"),
            "date": ["2023-01-10", "2024-03-01", None, "2024-05-01"],
        }
    )
    assert registry.evaluation_year(data) == 2024
    assert registry.evaluation_context(data)["year"] == 2024
    data["wave"] = pd.array([None, "pre", None, "pre"], dtype="string")  # no post-test: all dates
    data["date"] = ["2023-01-10", "2023-02-01", None, "2024-05-01"]
    assert registry.evaluation_year(data) == 2023
