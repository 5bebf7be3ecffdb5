"""Write the deliberately broken (and a few tricky but valid) input files of test_io.py.

Run from the repository root: ``.venv/bin/python tests/data/broken/make_broken.py``.
The files are committed; this script documents exactly how each was made (encodings,
delimiters, BOMs). It rewrites the CSV files byte-for-byte identically; the .xlsx and .sav
files get the same content but a new timestamp in their metadata.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

HEAD = (
    "municipality_code,municipality_name,intervention,participant_id,wave,date,group,age,gender,"
    "djg3,djg4,djg7,djg8,djg9,djg10"
)


def rows(*lines: str) -> str:
    return "\n".join((HEAD,) + lines) + "\n"


OK1 = "GM0363,Amsterdam,Maatje,P1,pre,2024-03-01,intervention,70,vrouw,1,3,2,3,1,2"
OK2 = "GM0363,Amsterdam,Maatje,P1,post,2024-06-01,intervention,70,vrouw,2,3,3,3,1,2"
OK3 = "GM0363,Amsterdam,Maatje,P2,pre,2024-03-01,comparison,81,man,1,1,1,1,1,1"

FILES: dict[str, tuple[str, str]] = {
    # name: (text, encoding)
    # --- valid but tricky -------------------------------------------------------------
    "panel_semicolon_decimal_comma.csv": (
        "gemeentecode;gemeentenaam;veiligheidsregio;jaar;eenzaam (%);sterk eenzaam (%);aantal respondenten;jaar van aansluiting\n"
        "GM0363;Amsterdam;VR13;2020;47,3;11,2;1250;2019\n"
        "GM0363;Amsterdam;VR13;2022;49,0;12,5;1310;2019\n"
        "GM1900;Súdwest-Fryslân;VR02;2020;41,5;8;640;\n",
        "utf-8",
    ),
    "intervention_semicolon_dutch_words.csv": (
        "Gemeentecode;Gemeentenaam;Interventie;Deelnemersnummer;Meetmoment;Datum;Groep;Leeftijd;Geslacht;"
        "djg3;djg4;djg7;djg8;djg9;djg10\n"
        "GM0796;'s-Hertogenbosch;Kletskassa;A1;voormeting;01-03-2024;interventiegroep;67;Vrouw;ja;nee;min of meer;nee;Ja;min of meer\n"
        "GM0796;'s-Hertogenbosch;Kletskassa;A1;nameting;01-06-2024;interventiegroep;67;Vrouw;nee;ja;ja;ja;nee;nee\n",
        "utf-8",
    ),
    "cp1252_sudwest_fryslan.csv": (
        "municipality_code;municipality_name;intervention;participant_id;wave;date;group;age;gender;"
        "djg3;djg4;djg7;djg8;djg9;djg10\n"
        "GM1900;Súdwest-Fryslân;Ûntmoeting;F1;pre;2024-03-01;intervention;70;vrouw;1;3;2;3;1;2\n"
        "GM0796;'s-Hertogenbosch;Café ’t Hoekje;F2;pre;2024-03-01;comparison;82;man;1;3;2;3;1;2\n",
        "cp1252",
    ),
    "utf8_bom.csv": (rows(OK1, OK2), "utf-8-sig"),
    # --- broken -----------------------------------------------------------------------
    "duplicate_participant_wave.csv": (rows(OK1, OK2, OK3, OK1.replace("70", "71")), "utf-8"),
    "post_without_pre.csv": (
        rows(
            OK1,
            OK2,
            "GM0363,Amsterdam,Maatje,P9,post,2024-06-01,intervention,64,man,1,1,1,1,1,1",
            "GM0363,Amsterdam,Maatje,P8,followup,2024-09-01,intervention,64,man,1,1,1,1,1,1",
        ),
        "utf-8",
    ),
    "unknown_code.csv": (
        rows(OK1, OK2, "GM0363,Amsterdam,Maatje,P2,pre,2024-03-01,controle,81,onbekend,1,1,1,1,1,1"),
        "utf-8",
    ),
    "unknown_municipality.csv": (
        rows(OK1, "GM9999,Nergenshuizen,Maatje,P2,pre,2024-03-01,comparison,81,man,1,1,1,1,1,1"),
        "utf-8",
    ),
    "item_out_of_range.csv": (
        rows(OK1, "GM0363,Amsterdam,Maatje,P1,post,2024-06-01,intervention,70,vrouw,2,4,3,3,1,0"),
        "utf-8",
    ),
    "age_wrong_type.csv": (rows(OK1, OK2.replace(",70,", ",abc,"), OK3.replace(",81,", ",81.5,")), "utf-8"),
    "missing_column.csv": (
        "municipality_code,municipality_name,intervention,participant_id,date,group,age,djg3,djg4,djg7,djg8,djg9,djg10\n"
        "GM0363,Amsterdam,Maatje,P1,2024-03-01,intervention,70,1,3,2,3,1,2\n",
        "utf-8",
    ),
    "empty.csv": ("", "utf-8"),
    "header_only.csv": (HEAD + "\n", "utf-8"),
    "municipality_code_number.csv": (
        rows(OK1.replace("GM0363", "363"), OK2.replace("GM0363", "gm0363")),
        "utf-8",
    ),
    "missing_items.csv": (
        "municipality_code,municipality_name,intervention,participant_id,wave,group,djg3,djg4,djg7\n"
        "GM0363,Amsterdam,Maatje,P1,pre,intervention,1,3,2\n",
        "utf-8",
    ),
    "bad_date_empty_row.csv": (rows(OK1, ",,,,,,,,,,,,,,", OK2.replace("2024-06-01", "31-02-2024")), "utf-8"),
    "mojibake.csv": (
        rows("GM1900,SÃºdwest-FryslÃ¢n,Maatje,P1,pre,2024-03-01,intervention,70,vrouw,1,3,2,3,1,2"),
        "utf-8",
    ),
    "panel_cross_field.csv": (
        "municipality_code,municipality_name,safety_region,year,lonely_pct,severe_pct,n_respondents,joined_year\n"
        "GM0363,Amsterdam,VR13,2020,47.3,11.2,1250,2019\n"
        "GM0363,Amsterdam,VR13,2022,10.0,12.5,1310,2020\n"
        "GM0363,Amsterdam,VR13,2022,49.0,12.5,1310,2019\n"
        "GM0358,Aalsmer,VR13,2015,101,-1,12.5,2017\n",
        "utf-8",
    ),
    "utf16_tab.csv": (
        "Gemeentecode\tGemeentenaam\tJaar\tEenzaam (%)\r\nGM1900\tSúdwest-Fryslân\t2020\t41,5\r\n",
        "utf-16",
    ),
    "excel_sep_line.csv": (
        "sep=;\nmunicipality_code;municipality_name;year;lonely_pct\nGM0893;Bergen (L.);2020;44,0\n",
        "utf-8",
    ),
    "extra_fields.csv": (
        "municipality_code,municipality_name,year,lonely_pct\nGM0363,Amsterdam,2020,47,3\nGM0358,Aalsmeer,2020,40\n",
        "utf-8",
    ),
    "duplicate_column_typo.csv": (
        "municipality_code;Gemeentecode;municipality_name;jaar;eenzam_pct\nGM0363;GM0363;Amsterdam;2020;47,3\n",
        "utf-8",
    ),
    "youth_band.csv": (
        "respondent_id,wave,age,age_band,gender,school_type,y01,y02,y03,y04,y05,y06,y07,y08,y09,y10,y11,y12\n"
        "J1,t1,9,8-11,meisje,basisonderwijs,0,4,1,0,3,0,0,1,4,0,1,0\n"
        "J2,t1,13,8-11,jongen,vmbo,0,4,1,0,3,0,0,1,4,0,1,5\n"
        "J3,t2,15,15-17,anders,havo/vwo,0,4,1,0,3,0,0,1,4,0,1,0\n",
        "utf-8",
    ),
}


def main() -> None:
    for name, (text, enc) in FILES.items():
        (HERE / name).write_bytes(text.encode(enc))
    # SPSS file with value labels (gender 1/2; DJG items coded the SPSS-manual way 1 = nee ... 3 = ja)
    import pandas as pd
    import pyreadstat

    df = pd.DataFrame(
        {
            "v1": ["GM0363", "GM0363"],
            "naam": ["Amsterdam", "Amsterdam"],
            "interventie": ["Maatje", "Maatje"],
            "respnr": ["S1", "S1"],
            "meting": [1.0, 2.0],
            "groep": ["intervention", "intervention"],
            "leeftijd": [70.0, 70.0],
            "sekse": [2.0, 2.0],
            **{f"djg{k}": [3.0, 1.0] for k in (3, 4, 7, 8, 9, 10)},
        }
    )
    pyreadstat.write_sav(
        df,
        str(HERE / "spss_value_labels.sav"),
        column_labels={
            "v1": "Gemeentecode",
            "naam": "Gemeentenaam",
            "interventie": "Interventie",
            "respnr": "Deelnemersnummer",
            "meting": "Meetmoment",
            "groep": "Groep",
            "leeftijd": "Leeftijd",
            "sekse": "Geslacht",
        },
        variable_value_labels={
            "meting": {1.0: "voormeting", 2.0: "nameting"},
            "sekse": {1.0: "man", 2.0: "vrouw"},
            **{f"djg{k}": {1.0: "nee", 2.0: "min of meer", 3.0: "ja"} for k in (3, 4, 7, 8, 9, 10)},
        },
    )
    # Excel file where the municipality code was typed as a number (Excel drops the zeros)
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Blad1"
    ws.append(HEAD.split(","))
    ws.append(
        [363, "Amsterdam", "Maatje", "X1", "pre", "2024-03-01", "intervention", 70, "vrouw", 1, 3, 2, 3, 1, 2]
    )
    ws.append(
        [
            "GM0363",
            "Amsterdam",
            "Maatje",
            "X1",
            "post",
            "2024-06-01",
            "intervention",
            70,
            "vrouw",
            1,
            3,
            2,
            3,
            1,
            2,
        ]
    )
    wb.save(HERE / "municipality_code_number.xlsx")
    # Excel file whose data sheet ("Gegevens") is not the first sheet
    wb = openpyxl.Workbook()
    wb.active.title = "Uitleg"
    wb.active["A1"] = "Zie het blad Gegevens."
    ws = wb.create_sheet("Gegevens")
    ws.append(["Gemeentecode", "Gemeentenaam", "Jaar", "Bestuurlijk commitment"])
    ws.append(["GM0373", "Bergen (NH.)", 2021, 7.5])
    wb.save(HERE / "benchmark_second_sheet.xlsx")
    # SPSS file where the municipality code is numeric
    df = pd.DataFrame({"municipality_code": [363.0], "municipality_name": ["Amsterdam"], "year": [2020.0]})
    pyreadstat.write_sav(df, str(HERE / "panel_numeric_code.sav"))


if __name__ == "__main__":
    main()
