"""Codebooks: structure of the JSON files, the Codebook API and the rendered pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import evalkit
from evalkit.core.errors import CodebookError
from evalkit.data.codebook import (
    KNOWN_CODEBOOKS,
    Codebook,
    available_codebooks,
    load_codebook,
    municipalities,
)

ROOT = Path(evalkit.__file__).parents[1]
DD = ROOT / "data_dictionary"
TABLES = ("intervention", "municipal_panel", "youth_instrument", "benchmark")
SCHEMA = (ROOT / "docs" / "data_schema.md").read_text(encoding="utf-8")


def raw(name):
    return json.loads((DD / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", TABLES)
def test_table_codebook_structure(name):
    d = raw(name)
    for key in (
        "name",
        "title",
        "description",
        "version",
        "kind",
        "fields",
        "primaryKey",
        "missingValues",
        "title_nl",
        "title_en",
        "description_nl",
        "description_en",
    ):
        assert key in d, key
    assert d["name"] == name and d["kind"] == "table"
    allowed_constraints = {"required", "enum", "minimum", "maximum", "unique", "pattern"}
    for f in d["fields"]:
        for key in (
            "name",
            "type",
            "title",
            "description",
            "constraints",
            "title_nl",
            "title_en",
            "description_nl",
            "description_en",
        ):
            assert f.get(key) not in (None, ""), (name, f["name"], key)
        assert set(f["constraints"]) <= allowed_constraints
        if "enum" in f["constraints"] and "value_labels" in f:
            assert set(f["value_labels"]) == {str(c) for c in f["constraints"]["enum"]}
            assert all(set(v) == {"nl", "en"} for v in f["value_labels"].values())
        if "pattern" in f["constraints"]:
            re.compile(f["constraints"]["pattern"])
    cb = load_codebook(name)
    assert cb.kind == "table" and cb.primary_key == d["primaryKey"]


def _schema_columns(section: str) -> list[str]:
    """Column names listed in a table of docs/data_schema.md (the contract)."""
    part = SCHEMA.split(f"## `{section}`")[1].split("\n## ")[0]
    names = []
    for line in part.splitlines():
        m = re.match(r"\| ((?:`[a-z0-9_]+`(?:, | \.\.\. )?)+)", line)
        if m:
            names += re.findall(r"`([a-z0-9_]+)`", m.group(1))
    return names


@pytest.mark.parametrize(
    "name, extra",
    [
        ("intervention", {f"djg{k}" for k in range(2, 11)}),
        ("municipal_panel", set()),
        ("youth_instrument", {f"y{k:02d}" for k in range(2, 13)}),
        ("benchmark", set()),
    ],
)
def test_field_names_follow_data_schema(name, extra):
    schema = set(_schema_columns(name)) | extra
    assert set(load_codebook(name).field_names) == schema


def test_intervention_codes_match_schema():
    cb = load_codebook("intervention")
    assert cb["wave"].enum == ["pre", "post", "followup"]
    assert cb["group"].enum == ["intervention", "comparison"]
    assert cb["intervention_type"].enum == [
        "maatje",
        "huisbezoek_75plus",
        "ontmoeting",
        "kletskassa",
        "cursus",
        "anders",
    ]
    assert cb["gender"].enum == ["man", "vrouw", "anders"]
    assert cb["education"].enum == ["laag", "midden", "hoog"]
    assert (cb["age"].minimum, cb["age"].maximum) == (0, 120)
    assert cb["municipality_code"].pattern == r"^GM\d{4}$"
    for k in range(1, 12):
        f = cb[f"djg{k}"]
        assert f.type == "integer" and not f.required and f.enum == [1, 2, 3]
        assert f.value_labels("nl") == {1: "ja", 2: "min of meer", 3: "nee"}
        assert f.value_labels("en") == {1: "yes", 2: "more or less", 3: "no"}
    assert cb.primary_key == ["participant_id", "wave"]
    assert cb.scales == ["djg11", "djg6"]
    item_set = cb.rules_of_type("item_set")[0]["alternatives"]
    assert item_set["djg6"] == ["djg3", "djg4", "djg7", "djg8", "djg9", "djg10"]
    assert item_set["djg11"] == [f"djg{k}" for k in range(1, 12)]
    rb = cb.rules_of_type("requires_baseline")[0]
    assert (rb["unit"], rb["time"], rb["baseline"], rb["later"]) == (
        "participant_id",
        "wave",
        "pre",
        ["post", "followup"],
    )
    assert cb.rules_of_type("in_reference_list")[0]["field"] == "municipality_code"


def test_panel_and_benchmark_rules():
    p = load_codebook("municipal_panel")
    assert (p["year"].minimum, p["year"].maximum) == (2016, 2024)
    assert (p["joined_year"].minimum, p["joined_year"].maximum) == (2018, 2021)
    assert not p["joined_year"].required
    assert p["safety_region"].pattern == r"^VR\d{2}$"
    cmp_ = p.rules_of_type("compare")[0]
    assert (cmp_["left"], cmp_["op"], cmp_["right"]) == ("severe_pct", "<=", "lonely_pct")
    b = load_codebook("benchmark")
    assert (b["year"].minimum, b["year"].maximum) == (2019, 2024)
    pillars = [f for f in b.field_names if f.startswith("pillar_")]
    assert pillars == [
        "pillar_commitment",
        "pillar_network",
        "pillar_participation",
        "pillar_sustainable",
        "pillar_monitoring",
    ]
    for f in pillars:
        assert (b[f].minimum, b[f].maximum) == (0, 10) and b[f].type == "number"


def test_youth_codebook_is_draft_with_scale_block():
    d = raw("youth_instrument")
    cb = load_codebook("youth_instrument")
    assert cb.is_draft
    assert d["title"].startswith("DRAFT") and d["title_nl"].startswith("CONCEPT")
    assert "DRAFT" in d["description_en"]
    s = d["scale"]
    assert s["id"] == "youth_draft"
    items = [f"y{k:02d}" for k in range(1, 13)]
    assert list(s["items"]) == items
    for it in s["items"].values():
        assert set(it) == {"keying", "subscale", "text_nl", "text_en"}
        assert it["keying"] in ("positive", "negative") and it["subscale"] in ("social", "emotional")
        assert it["text_nl"] and it["text_en"]
    assert [k for k, it in s["items"].items() if it["keying"] == "negative"] == ["y02", "y05", "y09"]
    assert s["subscales"] == {"social": items[:6], "emotional": items[6:]}
    assert [(o["code"], o["label_nl"]) for o in s["response_options"]] == [
        (0, "nooit"),
        (1, "bijna nooit"),
        (2, "soms"),
        (3, "vaak"),
        (4, "altijd"),
    ]
    assert s["scoring"]["method"] == "sum" and s["scoring"]["reverse"] == ["y02", "y05", "y09"]
    assert s["scoring"]["max_missing"] == 1 and s["scoring"]["note"]
    for it in items:
        assert cb[it].enum == [0, 1, 2, 3, 4]
    assert "⚠" in cb.to_markdown("nl") and "CONCEPT" in cb.to_markdown("nl")


def test_header_aliases_case_and_whitespace_insensitive():
    cb = load_codebook("intervention")
    for header in (
        "municipality_code",
        "Gemeentecode",
        "  gemeentecode ",
        "MUNICIPALITY CODE",
        "Municipality code",
        "GM-code",
    ):
        assert cb.resolve_header(header) == "municipality_code", header
    assert cb.resolve_header("Meetmoment") == "wave"
    assert cb.resolve_header("DJG-item  3") == "djg3"
    assert cb.resolve_header("\ufeffgemeentecode") == "municipality_code"
    assert cb.resolve_header("schoenmaat") is None
    assert cb.labels("nl")["age"] == "Leeftijd" and cb.labels("en")["age"] == "Age"
    assert cb.value_labels("wave", "en") == {"pre": "pre-test", "post": "post-test", "followup": "follow-up"}
    assert cb.answer_map("djg1")["min of meer"] == 2 and cb.answer_map("djg1")["no"] == 3


def test_load_by_name_path_and_errors(tmp_path):
    for n in KNOWN_CODEBOOKS:
        assert load_codebook(n).name == n
    cb = load_codebook("benchmark")
    assert load_codebook(cb) is cb
    assert load_codebook(DD / "benchmark.json").name == "benchmark"
    with pytest.raises(
        CodebookError,
        match="known codebooks are: intervention, municipal_panel, youth_instrument, benchmark, djg11, djg6",
    ):  # then any others
        load_codebook("interventions")
    with pytest.raises(CodebookError, match="does not exist"):
        load_codebook(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid JSON"):
        load_codebook(bad)
    bad.write_text(json.dumps({"name": "x", "kind": "table", "fields": [{"name": "a", "type": "complex"}]}))
    with pytest.raises(CodebookError, match="type 'complex'"):
        load_codebook(str(bad))
    clash = {
        "name": "c",
        "kind": "table",
        "fields": [
            {"name": "a", "type": "string", "title_nl": "Naam"},
            {"name": "b", "type": "string", "title_nl": "naam"},
        ],
    }
    bad.write_text(json.dumps(clash))
    with pytest.raises(CodebookError, match="would mean both"):
        Codebook(clash)
    with pytest.raises(CodebookError):
        load_codebook(42)


def test_custom_codebook_file_validates(tmp_path):
    custom = {
        "name": "mini",
        "kind": "table",
        "fields": [
            {
                "name": "id",
                "type": "string",
                "title_nl": "Nummer",
                "constraints": {"required": True, "unique": True},
            },
            {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
        ],
    }
    p = tmp_path / "mini.json"
    p.write_text(json.dumps(custom))
    rep = evalkit.validate(pd.DataFrame({"Nummer": ["a", "a", "b"], "score": ["0,5", "2", ""]}), p, lang="en")
    assert [(int(r), c, x) for r, c, x in zip(rep.errors.row, rep.errors.column, rep.errors.rule)] == [
        (1, "id", "unique"),
        (2, "id", "unique"),
        (2, "score", "maximum"),
    ]


def test_municipality_list():
    m = municipalities()
    assert len(m) == 345 and m["gm_code"].str.fullmatch(r"GM\d{4}").all()
    names = set(m["name"])
    assert {"'s-Hertogenbosch", "Súdwest-Fryslân", "Bergen (L.)", "Bergen (NH.)"} <= names


@pytest.mark.parametrize("name", available_codebooks())
def test_rendering_markdown_and_html(name):
    cb = load_codebook(name)
    for lang in ("nl", "en"):
        md = cb.to_markdown(lang)
        assert md.startswith("# " + cb.title(lang))
        for f in cb.fields:
            assert f"`{f.name}`" in md
        h = cb.to_html(lang)
        assert h.startswith("<!DOCTYPE html>") and f'lang="{lang}"' in h and "<table>" in h


def test_committed_pages_are_up_to_date():
    """docs/codebooks/*.md are generated; regenerate with `evalkit codebook --out docs/codebooks`."""
    out = ROOT / "docs" / "codebooks"
    for name in TABLES:  # djg11/djg6 pages follow the scale helper's JSON; regenerate them with the CLI
        cb = load_codebook(name)
        assert (out / f"{name}.md").read_text(encoding="utf-8") == cb.to_markdown("nl"), name
        assert (out / f"{name}.en.md").read_text(encoding="utf-8") == cb.to_markdown("en"), name


def test_cli_codebook(tmp_path, capsys):
    from evalkit.cli import main

    assert main(["codebook", "intervention", "benchmark", "--out", str(tmp_path), "--format", "html"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "benchmark.en.html",
        "benchmark.html",
        "intervention.en.html",
        "intervention.html",
    ]
    assert main(["codebook", "--out", str(tmp_path / "md"), "--lang", "nl"]) == 0
    assert sorted(p.name for p in (tmp_path / "md").iterdir()) == sorted(
        f"{n}.md" for n in available_codebooks()
    )
    assert available_codebooks()[: len(KNOWN_CODEBOOKS)] == list(KNOWN_CODEBOOKS)
    assert main(["codebook", "nonsense", "--out", str(tmp_path)]) == 1
    assert "Bekende codeboeken" in capsys.readouterr().err
    assert main(["codebook", "interventie", "--out", str(tmp_path), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "known codebooks are" in err and "Did you mean 'intervention'?" in err
