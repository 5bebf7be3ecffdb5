"""The xlsx reader: calamine (fast) gives exactly what openpyxl gives.

``evalkit.data.readers`` reads workbooks with python-calamine and converts its values to
openpyxl's types; these tests read the same workbooks with both and compare cell by cell
(values and Python types), so the error table's rows, column letters and quoted values
cannot depend on the reader. Workbooks with error cells go to openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from evalkit.data import datasets, readers


def _both(data: bytes) -> pd.DataFrame:
    rows_c, sheet_c = readers._xlsx_rows_calamine(data)
    rows_o, sheet_o = readers._xlsx_rows_openpyxl(data)
    assert rows_c is not None, "calamine should read this workbook"
    assert sheet_c == sheet_o
    fc, fo = readers._xlsx_frame(list(rows_c)), readers._xlsx_frame(list(rows_o))
    pd.testing.assert_frame_equal(fc, fo)
    for a, b in zip(fc.to_numpy().ravel(), fo.to_numpy().ravel()):
        assert type(a) is type(b), (a, b)
    return fc


def _save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_example_file_same_as_openpyxl():
    df = datasets.load("interventions")
    part = df[df["municipality_code"] == df["municipality_code"].iloc[0]]
    buf = io.BytesIO()
    part.to_excel(buf, index=False, sheet_name="Gegevens")
    frame = _both(buf.getvalue())
    assert len(frame) == len(part) and list(frame.columns) == list(part.columns)


def test_cell_types_layout_and_sheet_choice_same_as_openpyxl():
    wb = openpyxl.Workbook()
    wb.active.title = "Uitleg"
    wb.active["A1"] = "not the data"
    ws = wb.create_sheet(" Gegevens ")  # chosen by name, whatever its place and spaces
    ws["B3"], ws["C3"], ws["D3"], ws["E3"] = "a", "b", "c", "d"  # header not at A1
    ws["B4"], ws["C4"], ws["D4"], ws["E4"] = 1, 1.5, "  x ", -3
    ws["B6"], ws["C6"], ws["D6"] = True, dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2)
    ws["B7"], ws["D7"], ws["E7"] = dt.time(12, 30), 1e20, False
    ws["B8"], ws["C8"], ws["D8"] = "", -0.0, 12345678901234567
    ws["C9"] = "=1+1"  # a formula without a cached value: empty in both
    frame = _both(_save(wb))
    # the sheet starts at A1: header row 3 of the sheet is the frame's header only when the
    # reader keeps the empty rows, so here row 1 (empty) is the header, as Excel shows it
    assert frame.shape[1] == 5
    row = frame.iloc[2].tolist()  # sheet row 4
    assert row[1:] == [1, 1.5, "  x ", -3] and type(row[1]) is int
    assert frame.iloc[4, 3] == dt.datetime(2024, 1, 2)


def test_reader_gives_the_same_report_with_both_readers(tmp_path, monkeypatch):
    df = datasets.load("interventions")
    part = df[df["municipality_code"] == df["municipality_code"].iloc[0]].reset_index(drop=True)
    bad = part.astype(object)
    bad.loc[4, "djg1"] = 7
    bad.loc[9, "age"] = 250
    path = tmp_path / "fouten.xlsx"
    bad.to_excel(path, index=False, sheet_name="Gegevens")
    fast = readers.read(path, "intervention", strict=False).attrs["validation"].errors
    monkeypatch.setattr(readers, "_xlsx_rows_calamine", lambda data: (None, None))
    slow = readers.read(path, "intervention", strict=False).attrs["validation"].errors
    pd.testing.assert_frame_equal(fast, slow)
    assert sorted(zip(fast["excel_row"], fast["column"])) == [(6, "djg1"), (11, "age")]


def _with_error_cell(data: bytes) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    done = False
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                new = body.replace(b'<c r="B3" t="n"><v>5</v></c>', b'<c r="B3" t="e"><v>#DIV/0!</v></c>')
                done, body = new != body, new
            zout.writestr(info, body)
    assert done, "the cell to replace was not found"
    return out.getvalue()


def test_error_cells_are_read_by_openpyxl_and_quoted(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["participant_id", "age"])
    ws.append(["p1", 40])
    ws.append(["p2", 5])
    data = _with_error_cell(_save(wb))
    assert readers._xlsx_rows_calamine(data) == (None, None)
    path = tmp_path / "fout.xlsx"
    path.write_bytes(data)
    raw, issues, sheet = readers._read_xlsx(path, None)
    assert raw.loc[1, "age"] == "#DIV/0!" and not issues


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", b"PK" + b"\x00" * 100])
def test_damaged_workbook_is_a_parse_error(tmp_path, data):
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(data)
    raw, issues, _ = readers._read_xlsx(path, None)
    assert raw.empty and issues[0][0] == "parse_error"
