"""Validation messages in the user's own terms (issue 16).

Rows and column letters as Excel/LibreOffice show them, the user's own values and words
("nameting", not "post"), the rule in Dutch words with a fix, no false all-clear from a
codebook that does not fit, and no second false error on an unreadable file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import evalkit
from evalkit.data.codebook import load_codebook
from evalkit.data.readers import ISSUE_COLUMNS, RULE_TEXT

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "data" / "broken"


def _filled_template(tmp_path: Path, n: int = 12) -> Path:
    """`evalkit template intervention`, then the first n rows of the bundled data typed in
    as a coalition would: Dutch headers and Dutch answer words from the drop-down lists."""
    path = tmp_path / "invoer.xlsx"
    r = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "template", "intervention", "--out", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    cb = load_codebook("intervention")
    data = evalkit.datasets.load("interventions").head(n)
    wb = openpyxl.load_workbook(path)
    ws = wb["Gegevens"]
    headers = [c.value for c in ws[1]]
    by_title = {f.title("nl"): f for f in cb.fields}
    for i, rec in enumerate(data.to_dict(orient="records"), start=2):
        for j, h in enumerate(headers, start=1):
            f = by_title[h]
            v = rec[f.name]
            if f.name == "date":
                v = pd.Timestamp(v).to_pydatetime()
            elif f.name in ("wave", "group"):
                v = f.value_labels("nl")[v]  # "voormeting", "interventiegroep"
            elif hasattr(v, "item"):
                v = v.item()
            ws.cell(row=i, column=j, value=v)
    wb.save(path)
    return path


def _col(ws, title: str) -> int:
    return next(c.column for c in ws[1] if c.value == title)


def test_three_template_mistakes_are_reported_at_the_cells_excel_shows(tmp_path):
    path = _filled_template(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Gegevens"]
    age, item, pid, wave = (_col(ws, t) for t in ("Leeftijd", "DJG-item 3", "Deelnemersnummer", "Meetmoment"))
    # the three mistakes, in Excel rows 4, 8 and 11 (data rows 3, 7 and 10)
    ws.cell(row=4, column=age, value="zeventig")
    ws.cell(row=8, column=item, value=7)
    later = next(
        r for r in range(2, ws.max_row + 1) if r > 8 and ws.cell(row=r, column=wave).value == "nameting"
    )
    ws.cell(row=later, column=pid, value="ZONDER-VOORMETING")
    wb.save(path)

    r = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "validate", str(path), "--codebook", "intervention"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stderr
    rep = evalkit.read(path, "intervention", strict=False).attrs["validation"]
    err = rep.errors
    assert list(err.columns) == list(ISSUE_COLUMNS)
    assert len(err) == 3, err[["cell", "rule", "message"]]

    # open the workbook as a person would and look at the reported cells
    shown = openpyxl.load_workbook(path)["Gegevens"]
    for rec in err.to_dict(orient="records"):
        cell = shown[rec["cell"]]
        assert rec["cell"] == f"{rec['column_letter']}{rec['excel_row']}"
        assert str(cell.value) == rec["value"], rec
        assert shown.cell(row=1, column=cell.column).value == rec["header"]
        assert f"rij {rec['excel_row']}, kolom {rec['column_letter']} '{rec['header']}'" in rec["message"]
        assert rec["message"] in r.stdout
    assert err["value"].tolist() == ["zeventig", "7", "nameting"]
    assert err["excel_row"].tolist() == [4, 8, later]
    # the user's own words: "nameting"/"voormeting", never the codes post/pre
    msg = err["message"].iloc[2]
    assert "'nameting'" in msg and "'voormeting'" in msg and "'post'" not in msg and "'pre'" not in msg
    assert "Blad 'Gegevens'" in msg or "blad 'Gegevens'" in msg
    # the rule in Dutch words and a fix, in the table and in the summary block
    assert err["rule_text"].tolist() == [RULE_TEXT[k]["nl"] for k in ("type", "enum", "requires_baseline")]
    assert all(err["fix"].str.len() > 10)
    summary = rep.summary()
    assert "nameting zonder voormeting" in summary and "requires_baseline" not in summary
    for english in ("requires_baseline", "enum", "type "):
        assert english not in summary.split("Fouten:")[0]


def test_csv_rows_as_text_editor_lines_and_excel_rows(tmp_path):
    # a 'sep=;' line (Excel hides it) and a text with a line break move the editor lines
    text = (
        "sep=;\nmunicipality_code;municipality_name;year;lonely_pct\n"
        'GM0363;"Amster\ndam";2020;47\nGM0014;Groningen;2020;abc\n'
    )
    p = tmp_path / "panel.csv"
    p.write_text(text, encoding="utf-8")
    rep = evalkit.read(p, "municipal_panel", strict=False).attrs["validation"]
    bad = rep.errors[rep.errors["rule"] == "type"].iloc[0]
    assert (bad["row"], bad["excel_row"], bad["line"], bad["cell"]) == (2, 3, 5, "D3")
    assert text.splitlines()[bad["line"] - 1].endswith(";abc")
    assert "regel 5 (in Excel rij 3), kolom D 'lonely_pct'" in bad["message"]


def test_wrong_codebook_is_an_error_not_an_all_clear(tmp_path):
    path = _filled_template(tmp_path, n=4)
    rep = evalkit.read(path, "djg11", strict=False).attrs["validation"]
    assert not rep.ok
    cov = rep.errors[rep.errors["rule"] == "coverage"]
    assert len(cov) == 1
    assert "0 van de 23 kolommen" in cov["message"].iloc[0]
    assert "--codebook intervention" in cov["fix"].iloc[0]
    assert "Geen fouten gevonden" not in rep.summary()
    r = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "validate", str(path), "--codebook", "djg11"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "Geen fouten gevonden" not in r.stdout
    # a file the codebook fits stays clean
    assert evalkit.read(path, "intervention", strict=False).attrs["validation"].ok


@pytest.mark.parametrize(
    "name, guess",
    [
        ("interventie", "intervention"),
        ("jeugd", "youth_instrument"),
        ("interventon", "intervention"),
        ("gemeentepanel", "municipal_panel"),
    ],
)
def test_unknown_codebook_did_you_mean(name, guess):
    with pytest.raises(evalkit.CodebookError) as info:
        load_codebook(name)
    assert f"Bedoelde u '{guess}'?" in info.value.message("nl")
    assert f"Did you mean '{guess}'?" in str(info.value)


def test_xlsx_renamed_to_xls_is_read_and_unreadable_files_get_one_dutch_error(tmp_path):
    path = _filled_template(tmp_path, n=4)
    renamed = tmp_path / "invoer.xls"
    renamed.write_bytes(path.read_bytes())
    assert evalkit.read(renamed, "intervention", strict=False).attrs["validation"].ok
    broken = tmp_path / "kapot.xlsx"
    broken.write_bytes(b"PK\x03\x04 dit is geen werkmap")
    for p in (broken, BROKEN / "panel_numeric_code.sav"):
        if p.suffix == ".sav":
            p = tmp_path / "kapot.sav"
            p.write_bytes(b"$FL2 kapot")
        rep = evalkit.read(p, "intervention", strict=False).attrs["validation"]
        assert rep.errors["rule"].tolist() == ["parse_error"], rep.errors
        msg = rep.errors["message"].iloc[0]
        assert "xlrd" not in msg and "bevat geen gegevens" not in msg and "Traceback" not in msg


def test_folder_as_file_is_named_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match="is een map"):
        evalkit.read(tmp_path, "intervention")
