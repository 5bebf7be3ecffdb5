"""Excel input templates: drop-downs, ranges, explanation sheet, and a round trip through read()."""

from __future__ import annotations

import datetime as dt
import hashlib

import openpyxl
import pytest

import evalkit
from evalkit import DataValidationError, ParameterError
from evalkit.data.codebook import load_codebook
from evalkit.data.excel_template import SHEET_NAMES, write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    p = tmp_path_factory.mktemp("tpl") / "interventie.xlsx"
    write_template("intervention", p, n_rows=50)
    return p


def fill(template_path, out_path, rows):
    wb = openpyxl.load_workbook(template_path)
    ws = wb[SHEET_NAMES["nl"]["data"]]
    headers = [c.value for c in ws[1]]
    for i, row in enumerate(rows, start=2):
        for j, h in enumerate(headers, start=1):
            if h in row:
                ws.cell(row=i, column=j, value=row[h])
    wb.save(out_path)
    return out_path


BASE = {
    "Gemeentecode": "GM1900",
    "Gemeentenaam": "Súdwest-Fryslân",
    "Interventie": "Maatjesproject",
    "Soort interventie": "maatjesproject",
    "Groep": "interventiegroep",
    "Leeftijd": 72,
    "Geslacht": "vrouw",
    "Opleidingsniveau": "midden",
    **{f"DJG-item {k}": w for k, w in zip(range(1, 12), ["ja", "nee", "min of meer"] * 4)},
}


def test_template_structure(template):
    cb = load_codebook("intervention")
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["Gegevens", "Toelichting", "Lijsten"]
    assert wb["Lijsten"].sheet_state == "hidden"
    ws = wb["Gegevens"]
    assert [c.value for c in ws[1]] == [f.title("nl") for f in cb.fields]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].comment is not None and "municipality_code" in ws["A1"].comment.text
    col = {f.name: openpyxl.utils.get_column_letter(j) for j, f in enumerate(cb.fields, start=1)}
    dvs = {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv for dv in ws.data_validations.dataValidation}
    lists = wb["Lijsten"]

    def list_values(dv):
        rng = dv.formula1.split("!")[1].replace("$", "")
        return [c.value for row in lists[rng] for c in row]

    assert dvs[col["wave"]].type == "list" and list_values(dvs[col["wave"]]) == [
        "voormeting",
        "nameting",
        "follow-up",
    ]
    assert list_values(dvs[col["djg5"]]) == ["ja", "min of meer", "nee"]
    assert list_values(dvs[col["gender"]]) == ["man", "vrouw", "anders"]
    codes = list_values(dvs[col["municipality_code"]])
    assert len(codes) == 345 and "GM1900" in codes
    age = dvs[col["age"]]
    assert (age.type, age.operator, age.formula1, age.formula2) == ("whole", "between", "0", "120")
    assert (dvs[col["date"]].type, dvs[col["date"]].formula1) == ("date", "DATE(2000,1,1)")
    assert ws[f"{col['municipality_code']}2"].number_format == "@"  # text: keeps GM0363 whole
    assert ws[f"{col['date']}2"].number_format == "DD-MM-YYYY"
    help_text = " ".join(str(c.value) for row in wb["Toelichting"].iter_rows() for c in row if c.value)
    for f in cb.fields:
        assert f.name in help_text
    assert "post_requires_pre" in help_text and "1 = ja, 2 = min of meer, 3 = nee" in help_text


def test_filled_template_reads_back_clean(template, tmp_path):
    rows = [
        dict(BASE, Deelnemersnummer="D1", Meetmoment="voormeting", Datum=dt.datetime(2024, 3, 1)),
        dict(BASE, Deelnemersnummer="D1", Meetmoment="nameting", Datum=dt.datetime(2024, 6, 1)),
        dict(
            BASE,
            Deelnemersnummer="D2",
            Meetmoment="voormeting",
            Datum=dt.datetime(2024, 3, 2),
            Groep="vergelijkingsgroep",
            Leeftijd=80,
        ),
    ]
    p = fill(template, tmp_path / "ingevuld.xlsx", rows)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    df = evalkit.read(p, "intervention")  # strict: raises on any error
    rep = df.attrs["validation"]
    assert rep.ok and rep.errors.empty and rep.warnings.empty
    assert len(df) == 3
    assert df["wave"].tolist() == ["pre", "post", "pre"]
    assert df["group"].tolist() == ["intervention", "intervention", "comparison"]
    assert df["intervention_type"].tolist() == ["maatje"] * 3
    assert df["djg1"].tolist() == [1, 1, 1] and df["djg3"].tolist() == [2, 2, 2]
    assert df["municipality_name"].iloc[0] == "Súdwest-Fryslân"
    assert df["date"].iloc[1] == dt.datetime(2024, 6, 1)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == digest


def test_filled_template_with_errors(template, tmp_path):
    rows = [
        dict(BASE, Deelnemersnummer="D1", Meetmoment="voormeting"),
        dict(BASE, Deelnemersnummer="D1", Meetmoment="nameting", Leeftijd=130, **{"DJG-item 4": 4}),
        dict(BASE, Deelnemersnummer="D2", Meetmoment="nameting", Gemeentecode=363),
        dict(BASE, Deelnemersnummer="D3", Meetmoment="voormeting", Geslacht="onbekend", Leeftijd="tachtig"),
    ]
    p = fill(template, tmp_path / "fout.xlsx", rows)
    with pytest.raises(DataValidationError) as exc:
        evalkit.read(p, "intervention")
    assert "fout.xlsx" in str(exc.value)
    e = exc.value.report.errors
    got = [(int(r), c, rule) for r, c, rule in zip(e.row, e.column, e.rule)]
    assert got == [
        (2, "age", "maximum"),
        (2, "djg4", "enum"),
        (3, "municipality_code", "pattern"),
        (3, "wave", "requires_baseline"),
        (4, "age", "type"),
        (4, "gender", "enum"),
    ]


def test_english_template_and_other_codebooks(tmp_path):
    p = write_template("youth_instrument", tmp_path / "youth.xlsx", lang="en", n_rows=5)
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["Data", "Explanation", "Lists"]
    assert "DRAFT" in " ".join(str(c.value) for c in wb["Explanation"]["A"] if c.value)
    ws = wb["Data"]
    headers = [c.value for c in ws[1]]
    row = {
        "Respondent ID": "J1",
        "Wave": "test",
        "Age": 12,
        "Age band": "12-14",
        "Gender": "girl",
        "School type": "vmbo",
        **{f"Item {k:02d}": "sometimes" for k in range(1, 13)},
    }
    for j, h in enumerate(headers, start=1):
        if h in row:
            ws.cell(row=2, column=j, value=row[h])
    wb.save(tmp_path / "youth_filled.xlsx")
    df = evalkit.read(tmp_path / "youth_filled.xlsx", "youth_instrument")
    assert df["y01"].tolist() == [2] and df["gender"].tolist() == ["meisje"] and df["wave"].tolist() == ["t1"]
    for name in ("municipal_panel", "benchmark"):
        q = write_template(name, tmp_path / f"{name}.xlsx", n_rows=5)
        assert evalkit.read(q, name, strict=False).attrs["validation"].errors["rule"].tolist() == [
            "empty_file"
        ]


def test_six_item_template(tmp_path):
    p = write_template("intervention", tmp_path / "djg6.xlsx", items="djg6", n_rows=5)
    headers = [c.value for c in openpyxl.load_workbook(p)["Gegevens"][1]]
    assert [h for h in headers if h.startswith("DJG")] == [f"DJG-item {k}" for k in (3, 4, 7, 8, 9, 10)]


def test_bad_arguments(tmp_path):
    with pytest.raises(ParameterError, match="items='djg8'"):
        write_template("intervention", tmp_path / "x.xlsx", items="djg8")
    with pytest.raises(ParameterError, match=r"\.xlsx"):
        write_template("intervention", tmp_path / "x.csv")
    with pytest.raises(ParameterError, match="required"):
        write_template("intervention", tmp_path / "x.xlsx", fields=["age"])
    with pytest.raises(ParameterError, match="lang"):
        write_template("intervention", tmp_path / "x.xlsx", lang="fr")


def test_cli_template(tmp_path, capsys):
    from evalkit.cli import main

    out = tmp_path / "t.xlsx"
    assert main(["template", "benchmark", "--out", str(out)]) == 0
    assert out.is_file()
    assert main(["template", "benchmark", "--out", str(out)]) == 2  # no silent overwrite
    assert "--force" in capsys.readouterr().err
    assert main(["template", "benchmark", "--out", str(out), "--force", "--lang", "en"]) == 0
    assert openpyxl.load_workbook(out).sheetnames[0] == "Data"
    assert main(["template", "nonsense", "--out", str(tmp_path / "n.xlsx")]) == 2
