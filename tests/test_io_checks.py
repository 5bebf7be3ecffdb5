"""Reviewer's checks of evalkit.readers / evalkit.codebook / evalkit.excel_template on inputs the
authors' tests do not cover: thousands separators, trailing spaces, a binary file posing
as CSV, malformed codebooks, non-default dtypes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import evalkit
from evalkit import CodebookError, ParameterError
from evalkit.data.codebook import load_codebook
from evalkit.data.excel_template import write_template

HEADER = "municipality_code;municipality_name;year;lonely_pct;severe_pct;n_respondents;joined_year\n"


def _read(tmp_path, text, name="f.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return evalkit.read(p, "municipal_panel", strict=False)


def test_trailing_spaces_and_decimal_commas_are_read(tmp_path):
    df = _read(tmp_path, HEADER + "GM0363 ; Amsterdam ; 2020 ;47,5 ; 11,2;1234 ;2019\n")
    rep = df.attrs["validation"]
    assert rep.ok, rep.errors
    assert df.loc[0, "municipality_code"] == "GM0363"
    assert df.loc[0, "municipality_name"] == "Amsterdam"
    assert df.loc[0, "year"] == 2020 and df.loc[0, "n_respondents"] == 1234
    assert df.loc[0, "lonely_pct"] == 47.5 and df.loc[0, "severe_pct"] == 11.2


def test_thousands_separators_in_whole_numbers_are_reported_with_a_hint(tmp_path):
    df = _read(
        tmp_path, HEADER + "GM0363;Amsterdam;2020;47,5;11,2;1.234;2019\nGM0344;Utrecht;2020;40;10;12.345 ;\n"
    )
    err = df.attrs["validation"].errors
    assert err[["row", "column", "rule"]].values.tolist() == [
        [1, "n_respondents", "type"],
        [2, "n_respondents", "type"],
    ]
    assert err["value"].tolist() == ["1.234", "12.345"]  # as written, trimmed
    assert "schrijf 1234" in err["message"].iloc[0] and "schrijf 12345" in err["message"].iloc[1]
    assert df["n_respondents"].isna().all()  # never silently 1 or 12


def test_quoted_comma_thousands_in_comma_csv(tmp_path):
    text = (
        "municipality_code,municipality_name,year,lonely_pct,severe_pct,n_respondents,joined_year\n"
        'GM0363,Amsterdam,2020,47.5,11.2,"1,234",2019\n'
    )
    err = _read(tmp_path, text).attrs["validation"].errors
    assert err[["row", "column", "rule", "value"]].values.tolist() == [[1, "n_respondents", "type", "1,234"]]
    assert (
        "write 1234"
        in evalkit.validate(
            pd.DataFrame(
                {
                    "municipality_code": ["GM0363"],
                    "municipality_name": ["Amsterdam"],
                    "year": [2020],
                    "n_respondents": ["1,234"],
                }
            ),
            "municipal_panel",
            lang="en",
        )
        .errors["message"]
        .iloc[0]
    )


def test_dutch_thousands_with_decimal_comma_is_a_number(tmp_path):
    df = _read(tmp_path, HEADER + "GM0363;Amsterdam;2020;1.040,5;10;100;\n")
    assert df.loc[0, "lonely_pct"] == 1040.5
    err = df.attrs["validation"].errors
    assert err[["row", "column", "rule"]].values.tolist() == [[1, "lonely_pct", "maximum"]]


def test_binary_file_named_csv_gives_a_report_not_a_traceback(tmp_path):
    """Defect found in review: csv.Error ('new-line character seen in unquoted field')."""
    p = tmp_path / "export.csv"
    p.write_bytes(bytes(range(256)) * 3)
    df = evalkit.read(p, "municipal_panel", strict=False)
    assert "parse_error" in set(df.attrs["validation"].errors["rule"])
    with pytest.raises(evalkit.DataValidationError):
        evalkit.read(p, "municipal_panel")


def test_read_path_must_be_a_path():
    """Defect found in review: read(5, ...) leaked a TypeError from pathlib."""
    with pytest.raises(ParameterError, match="path"):
        evalkit.read(5, "municipal_panel")


def test_report_contract_with_pandas_dtypes():
    df = evalkit.datasets.load("interventions").head(40)
    for conv in (
        lambda d: d.astype({"gender": "category", "wave": "category"}),
        lambda d: d.astype({c: "str" for c in ("municipality_code", "participant_id")}),
        lambda d: d.assign(age=d["age"].astype("Float64")),
    ):
        rep = evalkit.validate(conv(df), "intervention")
        assert rep.ok
        assert list(rep.errors.columns)[:5] == ["row", "column", "value", "rule", "message"]
        assert list(rep.errors.columns) == list(evalkit.readers.ISSUE_COLUMNS)
        assert str(rep.errors["row"].dtype) == "Int64"


@pytest.mark.parametrize(
    "field,match",
    [
        ({"name": "a", "constraints": [1]}, "constraints"),
        ({"name": "a", "value_labels": {"1": "ja"}}, "value_labels"),
        ({"name": "a", "value_labels": [{"label_nl": "ja"}]}, "value_labels"),
    ],
)
def test_malformed_codebook_fields_raise_codebook_error(tmp_path, field, match):
    """Defect found in review: TypeError/AttributeError leaked from malformed fields."""
    p = tmp_path / "cb.json"
    p.write_text(json.dumps({"name": "x", "fields": [field]}))
    with pytest.raises(CodebookError, match=match):
        load_codebook(p)


def test_codebook_language_and_field_checks():
    cb = load_codebook("intervention")
    with pytest.raises(ParameterError, match="lang"):
        cb["age"].allowed_text("de")
    with pytest.raises(KeyError, match="not a field"):
        cb.answer_map("nope")


def test_template_fields_as_single_string_and_bad_path(tmp_path):
    with pytest.raises(ParameterError, match="required fields"):
        write_template("intervention", tmp_path / "t.xlsx", fields="age")
    with pytest.raises(ParameterError, match="path"):
        write_template("intervention", None)


def test_point_in_a_decimal_comma_column_is_a_thousands_separator(tmp_path):
    """Defect found in review: in a column written with decimal commas (47,5), '1.234' was
    read as 1.234 without any message; in Dutch Excel it means 1234. It is now read as
    1234 (here flagged as above the maximum 100 of a percentage)."""
    df = _read(
        tmp_path, HEADER + "GM0363;Amsterdam;2020;47,5;11,2;1234;2019\nGM0344;Utrecht;2020;1.234;0,5;100;\n"
    )
    assert df.loc[1, "lonely_pct"] == 1234
    err = df.attrs["validation"].errors
    assert err[["row", "column", "rule", "value"]].values.tolist() == [[2, "lonely_pct", "maximum", "1.234"]]
    # a column with decimal points only keeps reading 1.234 as one point two three four
    df2 = _read(tmp_path, HEADER.replace(";", ",") + "GM0363,Amsterdam,2020,1.234,0.5,100,\n", "g.csv")
    assert df2.loc[0, "lonely_pct"] == 1.234
