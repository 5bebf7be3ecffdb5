"""Reading and validating coalition files (evalkit.read / evalkit.validate).

The broken input files are in tests/data/broken/ (made by make_broken.py there). Each test
states the exact (row, column, rule) triples expected in ``report.errors``; row is the
1-based data row as a spreadsheet user counts it (header excluded).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit import DataValidationError, ParameterError
from evalkit.core.errors import CodebookError
from evalkit.data.readers import ISSUE_COLUMNS, ValidationReport

BROKEN = Path(__file__).parent / "data" / "broken"


def triples(report: ValidationReport, which: str = "errors") -> list[tuple]:
    frame = getattr(report, which)
    return [
        (None if pd.isna(r) else int(r), c, rule)
        for r, c, rule in zip(frame["row"], frame["column"], frame["rule"])
    ]


def read_report(name: str, codebook: str = "intervention", lang: str = "nl"):
    df = evalkit.read(BROKEN / name, codebook, strict=False, lang=lang)
    return df, df.attrs["validation"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------
# Valid but tricky files read clean
# --------------------------------------------------------------------------------------
def test_semicolon_decimal_comma_reads_clean():
    df = evalkit.read(BROKEN / "panel_semicolon_decimal_comma.csv", "municipal_panel")
    rep = df.attrs["validation"]
    assert rep.ok and rep.errors.empty and rep.warnings.empty
    assert list(df.columns) == [
        "municipality_code",
        "municipality_name",
        "safety_region",
        "year",
        "lonely_pct",
        "severe_pct",
        "n_respondents",
        "joined_year",
    ]
    np.testing.assert_allclose(df["lonely_pct"].to_numpy(), [47.3, 49.0, 41.5], rtol=0, atol=0)
    np.testing.assert_allclose(df["severe_pct"].to_numpy(), [11.2, 12.5, 8.0], rtol=0, atol=0)
    assert df["year"].dtype == "Int64" and df["joined_year"].isna().tolist() == [False, False, True]
    assert df["municipality_name"].iloc[2] == "Súdwest-Fryslân"


def test_dutch_headers_and_answer_words_map_to_codes():
    df = evalkit.read(BROKEN / "intervention_semicolon_dutch_words.csv", "intervention")
    assert df["wave"].tolist() == ["pre", "post"]
    assert df["group"].tolist() == ["intervention"] * 2
    assert df["gender"].tolist() == ["vrouw"] * 2  # "Vrouw" -> code "vrouw"
    # ja = 1, min of meer = 2, nee = 3 (data_schema.md)
    assert df.loc[0, ["djg3", "djg4", "djg7", "djg8", "djg9", "djg10"]].tolist() == [1, 3, 2, 3, 1, 2]
    assert df["date"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-01")]  # DD-MM-YYYY
    assert df["municipality_name"].iloc[0] == "'s-Hertogenbosch"


def test_windows_1252_no_mojibake():
    raw = (BROKEN / "cp1252_sudwest_fryslan.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the file really is not UTF-8
    df = evalkit.read(BROKEN / "cp1252_sudwest_fryslan.csv", "intervention")
    assert df["municipality_name"].tolist() == ["Súdwest-Fryslân", "'s-Hertogenbosch"]
    assert df["intervention"].tolist() == ["Ûntmoeting", "Café ’t Hoekje"]
    assert df.attrs["validation"].ok and df.attrs["validation"].warnings.empty


def test_utf8_bom_first_header_recognised():
    assert (BROKEN / "utf8_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    df = evalkit.read(BROKEN / "utf8_bom.csv", "intervention")
    assert df.columns[0] == "municipality_code"
    assert df["municipality_code"].tolist() == ["GM0363", "GM0363"]


@pytest.mark.parametrize(
    "name, codebook, first",
    [
        ("utf16_tab.csv", "municipal_panel", {"municipality_name": "Súdwest-Fryslân", "lonely_pct": 41.5}),
        ("excel_sep_line.csv", "municipal_panel", {"municipality_name": "Bergen (L.)", "lonely_pct": 44.0}),
        (
            "benchmark_second_sheet.xlsx",
            "benchmark",
            {"municipality_name": "Bergen (NH.)", "pillar_commitment": 7.5},
        ),
    ],
)
def test_other_valid_layouts(name, codebook, first):
    """UTF-16 tab-separated (Excel 'Unicode text'), Excel's 'sep=;' line, data sheet not first."""
    df = evalkit.read(BROKEN / name, codebook)
    rep = df.attrs["validation"]
    assert rep.ok and rep.warnings.empty
    assert {k: df[k].iloc[0] for k in first} == first


def test_typo_in_header_gets_a_suggestion():
    _, rep = read_report("duplicate_column_typo.csv", "municipal_panel", lang="en")
    assert triples(rep, "warnings") == [(None, None, "unknown_column")]
    assert "Did you mean 'lonely_pct'?" in rep.warnings["message"].iloc[0]


def test_spss_value_labels_mapped_to_codes():
    df = evalkit.read(BROKEN / "spss_value_labels.sav", "intervention")
    assert df.attrs["validation"].ok
    assert df["municipality_code"].tolist() == ["GM0363"] * 2  # found through the variable label
    assert df["wave"].tolist() == ["pre", "post"]  # 1/2 labelled voormeting/nameting
    assert df["gender"].tolist() == ["vrouw", "vrouw"]  # 2 labelled "vrouw"
    # the SPSS file codes 1 = nee ... 3 = ja; evalkit's codes are 1 = ja ... 3 = nee
    assert df["djg3"].tolist() == [1, 3]
    assert df["age"].dtype == "Int64"


# --------------------------------------------------------------------------------------
# Broken files: exact rows, columns and rules
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, codebook, expected",
    [
        (
            "duplicate_participant_wave.csv",
            "intervention",
            [(1, "participant_id", "duplicate_key"), (4, "participant_id", "duplicate_key")],
        ),
        (
            "post_without_pre.csv",
            "intervention",
            [(3, "wave", "requires_baseline"), (4, "wave", "requires_baseline")],
        ),
        ("unknown_code.csv", "intervention", [(3, "group", "enum"), (3, "gender", "enum")]),
        ("unknown_municipality.csv", "intervention", [(2, "municipality_code", "in_reference_list")]),
        ("item_out_of_range.csv", "intervention", [(2, "djg4", "enum"), (2, "djg10", "enum")]),
        ("age_wrong_type.csv", "intervention", [(2, "age", "type"), (3, "age", "type")]),
        ("missing_column.csv", "intervention", [(None, "wave", "missing_column")]),
        ("missing_items.csv", "intervention", [(None, None, "item_set")]),
        ("empty.csv", "intervention", [(None, None, "empty_file")]),
        ("header_only.csv", "intervention", [(None, None, "empty_file")]),
        (
            "municipality_code_number.csv",
            "intervention",
            [(1, "municipality_code", "pattern"), (2, "municipality_code", "pattern")],
        ),
        ("municipality_code_number.xlsx", "intervention", [(1, "municipality_code", "pattern")]),
        ("bad_date_empty_row.csv", "intervention", [(2, None, "empty_row"), (3, "date", "type")]),
        (
            "panel_cross_field.csv",
            "municipal_panel",
            [
                (1, "joined_year", "constant_within"),
                (2, "municipality_code", "duplicate_key"),
                (2, "severe_pct", "compare"),
                (2, "joined_year", "constant_within"),
                (3, "municipality_code", "duplicate_key"),
                (3, "joined_year", "constant_within"),
                (4, "year", "minimum"),
                (4, "lonely_pct", "maximum"),
                (4, "severe_pct", "minimum"),
                (4, "n_respondents", "type"),
                (4, "joined_year", "minimum"),
            ],
        ),
        ("extra_fields.csv", "municipal_panel", [(1, None, "extra_fields")]),
        ("duplicate_column_typo.csv", "municipal_panel", [(None, "municipality_code", "duplicate_column")]),
        ("panel_numeric_code.sav", "municipal_panel", [(1, "municipality_code", "pattern")]),
        (
            "youth_band.csv",
            "youth_instrument",
            [(2, "age_band", "band"), (2, "y12", "enum"), (3, "wave", "requires_baseline")],
        ),
    ],
)
def test_broken_files_exact_errors(name, codebook, expected):
    df, rep = read_report(name, codebook)
    assert list(rep.errors.columns) == list(ISSUE_COLUMNS)
    assert triples(rep) == expected
    assert not rep.ok
    with pytest.raises(DataValidationError) as exc:
        evalkit.read(BROKEN / name, codebook)
    assert name in str(exc.value)
    assert exc.value.report is not None and len(exc.value.report.errors) == len(expected)


def test_values_are_reported_as_written():
    _, rep = read_report("age_wrong_type.csv")
    assert rep.errors["value"].tolist() == ["abc", "81.5"]
    _, rep = read_report("item_out_of_range.csv")
    assert rep.errors["value"].tolist() == ["4", "0"]
    _, rep = read_report("municipality_code_number.xlsx")
    assert rep.errors["value"].tolist() == ["363"]


def test_municipality_code_number_is_never_completed_silently():
    df, rep = read_report("municipality_code_number.csv", lang="en")
    assert df["municipality_code"].tolist() == ["363", "gm0363"]  # kept as written, as text
    msgs = rep.errors["message"].tolist()
    assert "Did you mean GM0363?" in msgs[0] and "Nothing is filled in automatically" in msgs[0]
    assert "Write GM0363" in msgs[1]
    _, rep_nl = read_report("municipality_code_number.csv")
    assert "Bedoelt u GM0363?" in rep_nl.errors["message"].iloc[0]


def test_messages_name_file_row_column_and_value_in_both_languages():
    _, rep = read_report("age_wrong_type.csv")
    m = rep.errors["message"].iloc[0]
    # data row 2 is line 3 in a text editor and row 3 in Excel (the header is line/row 1)
    assert m.startswith("Bestand 'age_wrong_type.csv', regel 3 (in Excel rij 3), kolom H 'age'")
    assert "'abc' is geen geheel getal" in m
    en = rep.summary("en")
    assert "line 3 (row 3 in Excel), column H 'age'" in en and "'abc' is not a whole number" in en
    assert rep.to_frame("en")["message"].iloc[0].startswith("File 'age_wrong_type.csv', line 3")
    assert rep.errors[["row", "excel_row", "line", "cell", "header"]].iloc[0].tolist() == [
        2,
        3,
        3,
        "H3",
        "age",
    ]
    _, rep = read_report("duplicate_participant_wave.csv", lang="en")
    assert "(lines 2, 5)" in rep.errors["message"].iloc[0]
    _, rep = read_report("post_without_pre.csv", lang="en")
    assert "Participant ID 'P9' has a 'post' measurement but no 'pre'" in rep.errors["message"].iloc[0]


def test_warnings_unknown_column_mojibake_and_name_mismatch():
    df, rep = read_report("mojibake.csv")
    assert rep.ok  # warnings only
    assert [r for _, _, r in triples(rep, "warnings")] == ["encoding", "name_mismatch"]
    frame = pd.DataFrame(
        {
            "municipality_code": ["GM0363"],
            "municipality_name": ["Amsterdam"],
            "year": [2020],
            "leeftijdd": [3],
            "lonely_pct": [40.0],
            "severe_pct": [10.0],
        }
    )
    rep = evalkit.validate(frame, "municipal_panel", lang="en")
    assert rep.ok
    assert triples(rep, "warnings") == [(None, None, "unknown_column")]
    assert rep.warnings["value"].tolist() == ["leeftijdd"]


def test_all_violations_found_in_one_pass():
    """One frame with every kind of error: all are reported together."""
    df = pd.DataFrame(
        {
            "Gemeentecode": ["GM0363", "GM0363", "363", "GM9999", "GM0363", "GM0363"],
            "Gemeentenaam": ["Amsterdam"] * 6,
            "Interventie": ["Maatje"] * 6,
            "Deelnemersnummer": ["P1", "P1", "P2", "P3", "P1", "P4"],
            "Meetmoment": ["pre", "post", "pre", "pre", "pre", "nameting"],
            "Groep": ["intervention"] * 5 + ["vergelijkingsgroep"],
            "Leeftijd": ["70", "abc", "130", "", "70", "66"],
            **{f"djg{k}": ["ja", "nee", "4", "1", "2", "min of meer"] for k in (3, 4, 7, 8, 9, 10)},
        }
    )
    rep = evalkit.validate(df, "intervention")
    got = set(triples(rep))
    expected = {
        (1, "participant_id", "duplicate_key"),
        (5, "participant_id", "duplicate_key"),
        (2, "age", "type"),
        (3, "municipality_code", "pattern"),
        (3, "age", "maximum"),
        (4, "municipality_code", "in_reference_list"),
        (6, "wave", "requires_baseline"),
    } | {(3, f"djg{k}", "enum") for k in (3, 4, 7, 8, 9, 10)}
    assert got == expected
    assert len(rep.errors) == len(expected)


def test_validate_accepts_typed_frame_and_codebook_path():
    df = evalkit.read(BROKEN / "utf8_bom.csv", "intervention")
    path = Path(evalkit.__file__).parents[1] / "data_dictionary" / "intervention.json"
    assert evalkit.validate(df, path).ok
    assert evalkit.validate(df, str(path)).ok
    df2 = df.copy()
    df2["age"] = df2["age"].astype("float64") + 0.5  # typed floats in an integer field
    assert triples(evalkit.validate(df2, "intervention")) == [(1, "age", "type"), (2, "age", "type")]
    frame = pd.DataFrame({"municipality_code": [363], "municipality_name": ["Amsterdam"], "year": [2020]})
    assert triples(evalkit.validate(frame, "municipal_panel")) == [(1, "municipality_code", "pattern")]


def test_empty_dataframe_and_report_api():
    rep = evalkit.validate(pd.DataFrame(), "benchmark")
    assert triples(rep) == [(None, None, "empty_file")]
    assert rep.errors["row"].isna().all()
    blank = pd.DataFrame(
        {"municipality_code": [None, np.nan], "municipality_name": ["", " "], "year": [np.nan] * 2}
    )
    assert triples(evalkit.validate(blank, "benchmark")) == [(None, None, "empty_file")]
    assert "bestand zonder gegevens" in rep.summary() and "<table" in rep._repr_html_()
    tf = rep.to_frame()
    assert list(tf.columns) == ["severity", *ISSUE_COLUMNS]
    ok = evalkit.validate(evalkit.read(BROKEN / "utf8_bom.csv", "intervention"), "intervention", lang="en")
    assert ok.ok and ok.errors.empty and list(ok.errors.columns) == list(ISSUE_COLUMNS)
    assert "No errors found" in ok.summary()
    assert "Geen fouten gevonden" in ok.summary("nl")


def test_bad_arguments():
    with pytest.raises(CodebookError, match="intervention, municipal_panel"):
        evalkit.validate(pd.DataFrame({"a": [1]}), "nonsense")
    with pytest.raises(ParameterError):
        evalkit.validate([1, 2], "intervention")
    with pytest.raises(ParameterError, match="lang"):
        evalkit.validate(pd.DataFrame({"a": [1]}), "intervention", lang="de")
    with pytest.raises(FileNotFoundError):
        evalkit.read(BROKEN / "does_not_exist.csv", "intervention")
    with pytest.raises(ParameterError, match="strict"):
        evalkit.read(BROKEN / "utf8_bom.csv", "intervention", strict="yes")


def test_input_files_never_modified(tmp_path):
    files = sorted(p for p in BROKEN.iterdir() if p.suffix in (".csv", ".xlsx", ".sav"))
    assert len(files) >= 27
    before = {p.name: (sha256(p), p.stat().st_mtime_ns) for p in files}
    for p in files:
        cb = (
            "municipal_panel"
            if "panel" in p.name
            else "youth_instrument"
            if "youth" in p.name
            else "intervention"
        )
        evalkit.read(p, cb, strict=False)
        try:
            evalkit.read(p, cb)
        except DataValidationError:
            pass
    after = {p.name: (sha256(p), p.stat().st_mtime_ns) for p in files}
    assert before == after
    assert sorted(p.name for p in BROKEN.iterdir() if p.suffix in (".csv", ".xlsx", ".sav")) == [
        p.name for p in files
    ]


def test_large_file_validation_is_vectorised():
    """20,000 rows with 2,000 type errors: all found, quickly (timing itself is in benchmarks/)."""
    n = 20_000
    df = pd.DataFrame(
        {
            "municipality_code": "GM0363",
            "municipality_name": "Amsterdam",
            "intervention": "Maatje",
            "participant_id": np.repeat([f"P{i}" for i in range(n // 2)], 2),
            "wave": np.tile(["pre", "post"], n // 2),
            "group": "intervention",
            "age": np.where(np.arange(n) % 10 == 0, "abc", "70"),
            **{f"djg{k}": "ja" for k in (3, 4, 7, 8, 9, 10)},
        }
    )
    rep = evalkit.validate(df, "intervention")
    assert len(rep.errors) == n // 10
    assert rep.errors["row"].tolist() == list(range(1, n + 1, 10))


def test_cli_validate_exit_codes(capsys):
    from evalkit.cli import main

    assert main(["validate", str(BROKEN / "utf8_bom.csv"), "--codebook", "intervention"]) == 0
    assert "Geen fouten gevonden" in capsys.readouterr().out
    assert (
        main(["validate", str(BROKEN / "post_without_pre.csv"), "--codebook", "intervention", "--lang", "en"])
        == 1
    )
    out = capsys.readouterr().out
    assert "2 errors" in out and "later measurement without baseline" in out
    assert main(["validate", str(BROKEN / "nope.csv"), "--codebook", "intervention"]) == 2


def test_cli_validate_as_subprocess():
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "evalkit.cli",
            "validate",
            str(BROKEN / "age_wrong_type.csv"),
            "--codebook",
            "intervention",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stderr
    assert "regel 3 (in Excel rij 3), kolom H 'age'" in r.stdout


BUNDLED = {
    "interventions.csv": "intervention",
    "municipal_panel.csv": "municipal_panel",
    "benchmark.csv": "benchmark",
    "youth.csv": "youth_instrument",
}


@pytest.mark.parametrize("fname, codebook", sorted(BUNDLED.items()))
def test_bundled_example_files_read_clean(fname, codebook):
    path = Path(evalkit.__file__).parent / "data" / "files" / fname
    assert path.is_file(), f"bundled example file {fname} is missing"
    df = evalkit.read(path, codebook)  # strict: any error raises
    rep = df.attrs["validation"]
    assert rep.ok and rep.errors.empty, rep.summary("en")
    assert rep.warnings.empty, rep.summary("en")
    assert len(df) > 100


def test_each_field_and_rule_message_names_its_own_limits(tmp_path):
    """Messages built per field/rule in a loop name that field's bounds and that rule's columns
    (a message callable that read the loop variable late would name the last field or rule)."""
    import json

    custom = {
        "name": "limits",
        "kind": "table",
        "fields": [
            {"name": "a", "type": "number", "constraints": {"minimum": 1, "maximum": 5}},
            {"name": "b", "type": "number", "constraints": {"minimum": 10, "maximum": 50}},
            {"name": "c", "type": "number"},
            {"name": "d", "type": "number"},
            {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}"}},
            {"name": "code2", "type": "string", "constraints": {"pattern": "[0-9]{3}"}},
        ],
        "x-rules": [
            {"id": "a_le_c", "type": "compare", "left": "a", "op": "<=", "right": "c"},
            {"id": "b_le_d", "type": "compare", "left": "b", "op": "<=", "right": "d"},
        ],
    }
    p = tmp_path / "limits.json"
    p.write_text(json.dumps(custom))
    frame = pd.DataFrame(
        {
            "a": [0, 9, 3],
            "b": [5, 90, 30],
            "c": [9, 9, 2],
            "d": [99, 99, 20],
            "code": ["AB", "AB", "x"],
            "code2": ["123", "123", "y"],
        }
    )
    for lang in ("nl", "en"):
        errs = evalkit.validate(frame, p, lang=lang).errors
        msg = {(int(r), c, x): m for r, c, x, m in zip(errs.row, errs.column, errs.rule, errs.message)}
        assert "1" in msg[(1, "a", "minimum")] and "10" not in msg[(1, "a", "minimum")]
        assert "10" in msg[(1, "b", "minimum")]
        assert "5" in msg[(2, "a", "maximum")] and "50" not in msg[(2, "a", "maximum")]
        assert "50" in msg[(2, "b", "maximum")]
        assert "[A-Z]{2}" in msg[(3, "code", "pattern")] and "[0-9]{3}" in msg[(3, "code2", "pattern")]
        compare_a, compare_b = msg[(3, "a", "compare")], msg[(3, "b", "compare")]
        assert "= 3" in compare_a and "= 2" in compare_a and "30" not in compare_a
        assert "= 30" in compare_b and "= 20" in compare_b
