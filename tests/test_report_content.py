"""Coalition reports end to end (compute -> disclose -> render -> audit), in this process.

An adversarial set of coalitions (a category of 1-9 people, a complement of 1-9, all parts
but one shown, n just below and above the threshold, zero counts) must give pages that
pass the audit and print no small group anywhere; a municipality outside the example set
gets no synthetic number; the reader's side of the page (plain Dutch, procentpunt, names
untouched, captions) is checked on the real pages.
"""

from __future__ import annotations

import html as _h
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import ParameterError
from evalkit.data import datasets
from evalkit.reports import compute, disclosure
from evalkit.reports.coalition import render_coalition


def _visible(html: str) -> str:
    html = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r" \1 ", html)
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", _h.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def interventions():
    return datasets.load("interventions")


def _coalition(df, code):
    return df[df["municipality_code"] == code].reset_index(drop=True)


def _keep(sub, n_units, seed=1):
    ids = sorted(sub["participant_id"].unique())
    rng = np.random.default_rng(seed)
    keep = rng.choice(ids, size=n_units, replace=False)
    return sub[sub["participant_id"].isin(keep)].reset_index(drop=True)


def _render(df, code, name, tmp_path, **kw):
    out = render_coalition(df, coalition_code=code, coalition_name=name, output_dir=tmp_path, **kw)
    assert out.ok, out.message
    assert disclosure.audit_page(out.html_path) == []
    return out, _visible(out.html)


# ----------------------------------------------------------------------------------------
# the adversarial set
# ----------------------------------------------------------------------------------------
def test_category_of_one_to_nine_people(interventions, tmp_path):
    sub = _coalition(interventions, "GM0363").copy()
    ids = sorted(sub["participant_id"].unique())
    sub.loc[sub["participant_id"].isin(ids[:3]), "gender"] = "anders"
    sub.loc[~sub["participant_id"].isin(ids[:3]) & (sub["gender"] == "anders"), "gender"] = "vrouw"
    out, text = _render(sub, "GM0363", "Amsterdam", tmp_path)
    rec = out.record
    hidden = {x["id"] for x in rec["quantities"] if not x["shown"]}
    assert "sub.gender.anders.n" in hidden
    # the group is hidden in the subgroup table and a second group with it (R3)
    assert (
        sum(
            1
            for x in rec["quantities"]
            if x["id"].startswith("sub.gender.") and x["id"].endswith(".n") and not x["shown"]
        )
        >= 2
    )
    assert "beschermt een kleine groep" in text


def test_complement_of_one_to_nine_people(interventions, tmp_path):
    # Leeuwarden in the issue: 91% lonely of 81 = 7 not lonely
    sub = _coalition(interventions, "GM0080")
    out, text = _render(sub, "GM0080", "Leeuwarden", tmp_path)
    q = {x["id"]: x for x in out.record["quantities"]}
    assert not q["lonely_pre"]["shown"]
    assert "91%" not in text
    for x in out.record["quantities"]:
        if x["shown"] and x["kind"] == "share":
            assert x["in_n"] == 0 or x["in_n"] >= 10
            assert x["complement_n"] == 0 or x["complement_n"] >= 10


def test_all_parts_but_one(interventions, tmp_path):
    # 's-Hertogenbosch in the issue: 19 improved, 89 unchanged, 3 worse, of 111
    sub = _coalition(interventions, "GM0796")
    out, text = _render(sub, "GM0796", "'s-Hertogenbosch", tmp_path)
    q = {x["id"]: x for x in out.record["quantities"]}
    # never all but one: the three categories become two merged ones (improved 17%, not
    # improved 83% = 92 people) instead of showing only "unchanged"
    assert "rc.unchanged" not in q and "rc.deteriorated" not in q
    assert q["rc.improved"]["shown"] and q["rc.not_improved"]["shown"]
    assert q["rc.improved"]["display"] == "17%" and q["rc.not_improved"]["display"] == "83%"
    rc = text.split("Betrouwbare verandering")[1].split("Vergelijkingsgroep")[0]
    assert "Niet verbeterd" in rc and "samengevoegd" in rc
    for leaked in ("19 deelnemers", "3 deelnemers", "89 deelnemers", " 3%", " 80%", " 97%"):
        assert leaked not in text


@pytest.mark.parametrize("n_units", [9, 10, 11])
def test_n_just_below_and_above_the_threshold(interventions, tmp_path, n_units):
    sub = _coalition(interventions, "GM1900")
    sub = sub[sub["group"] == "intervention"]
    ids = sorted(sub["participant_id"].unique())
    both = [i for i in ids if set(sub.loc[sub["participant_id"] == i, "wave"]) >= {"pre", "post"}]
    sub = sub[sub["participant_id"].isin(both[:n_units])].reset_index(drop=True)
    out, text = _render(sub, "GM1900", "Súdwest-Fryslân", tmp_path)
    q = {x["id"]: x for x in out.record["quantities"]}
    if n_units < 10:
        assert not q["n_pairs"]["shown"] and not q["mean_diff"]["shown"]
        assert (
            "<img" not in out.html.split('id="appendix"')[0].split('id="position"')[0]
            or "niet getoond" in text
        )
        assert f"{n_units} deelnemers" not in text
        assert out.key["suppressed"] and out.key["n_pairs"] is None
    else:
        assert q["n_pairs"]["shown"] and q["n_pairs"]["value"] == n_units
        assert f"{n_units} deelnemers met voor- en nameting" in text


def test_zero_counts_may_be_shown(interventions, tmp_path):
    sub = _coalition(interventions, "GM0344").copy()
    # nobody drops out: every participant with a pre-test also has a post-test
    sub = sub[sub["group"] == "intervention"]
    ids = [i for i, w in sub.groupby("participant_id")["wave"] if {"pre", "post"} <= set(w)]
    sub = sub[sub["participant_id"].isin(ids)].reset_index(drop=True)
    out, text = _render(sub, "GM0344", "Utrecht", tmp_path)
    q = {x["id"]: x for x in out.record["quantities"]}
    assert q["n_dropouts"]["shown"] and q["n_dropouts"]["value"] == 0
    assert "0 deden niet mee" in text or "; 0 " in text


# ----------------------------------------------------------------------------------------
# only real reference data
# ----------------------------------------------------------------------------------------
def test_new_municipality_on_a_new_file_has_no_synthetic_number(interventions, tmp_path):
    """A coalition outside the example set renders its own file: the municipal section says
    shows the real Health Monitor figures (issue 12), there is no benchmark section, and no
    number of the bundled synthetic panel or benchmark appears."""
    src = _coalition(interventions, "GM0796").copy()
    src["municipality_code"] = "GM0034"  # Almere: not an example coalition
    src["municipality_name"] = "Almere"
    src["participant_id"] = [p.replace("GM0796", "GM0034") for p in src["participant_id"]]
    f = tmp_path / "almere.csv"
    f.write_bytes(datasets.to_csv_bytes(src))
    out = render_coalition(f, coalition_code="GM0034", coalition_name="Almere", output_dir=tmp_path / "out")
    assert out.ok and disclosure.audit_page(out.html_path) == []
    text = _visible(out.html)
    assert 'data-section="benchmark"' not in out.html
    # the municipal section shows the REAL Health Monitor figures of Almere (issue 12)
    assert "Gezondheidsmonitor Volwassenen en Ouderen" in text
    body = text.split("Methode en reproduceerbaarheid")[0]
    assert "Voorbeeldgegevens" not in body and "voorbeeldgegevens" not in body
    assert "Voorbeeldgegevens nee" in text  # the appendix says so
    assert "Bestuurlijk commitment" not in text
    # reference figures only from the real Health Monitor, none from the synthetic panel
    refs = [x for x in out.record["quantities"] if x["kind"] == "reference"]
    assert refs and all("Gezondheidsmonitor" in x["source"] and "voorbeeld" not in x["source"] for x in refs)


def test_example_reference_only_with_example_data(interventions, tmp_path):
    from evalkit.reports.reference import example_reference

    sub = _coalition(interventions, "GM0796")
    ref = example_reference("GM0796", "'s-Hertogenbosch")
    assert ref is not None and ref.example and set(ref.years) <= {2016, 2020, 2024}
    with pytest.raises(ParameterError, match="voorbeeldgegevens"):
        render_coalition(sub, coalition_code="GM0796", coalition_name="'s-Hertogenbosch", reference=ref)
    out = render_coalition(sub, coalition_code="GM0796", coalition_name="'s-Hertogenbosch", example_data=True)
    text = _visible(out.html)
    assert out.ok and text.count("Voorbeeldgegevens") >= 1 and "voorbeeldgegevens" in text
    assert 'data-section="benchmark"' in out.html and "Bestuurlijk commitment" in text
    # every reference figure on the page names its source and year
    refs = [x for x in out.record["quantities"] if x["kind"] == "reference"]
    assert refs and all(re.search(r"voorbeeldgegevens.*, \d{4}$", x["source"]) for x in refs)


# ----------------------------------------------------------------------------------------
# the reader's side
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pages(tmp_path_factory, interventions):
    d = tmp_path_factory.mktemp("pages")
    out = {}
    for code, name in (("GM0796", "'s-Hertogenbosch"), ("GM0373", "Bergen (NH.)")):
        r = render_coalition(
            _coalition(interventions, code), coalition_code=code, coalition_name=name, output_dir=d
        )
        assert r.ok
        out[code] = (r, _visible(r.html))
    return out


def test_plain_dutch_without_jargon_outside_the_appendix(pages):
    for code, (_r, text) in pages.items():
        body = text.split("Methode en reproduceerbaarheid")[0]
        for jargon in (
            "random-effects",
            "REML",
            "d_z",
            "validation error",
            "1 coalities",
            "Cohen",
            "Hedges",
            "Wilcoxon",
            "McNemar",
            "SRM",
        ):
            assert jargon not in body, (code, jargon)
        assert "procentpunt" in body
    r, text = pages["GM0796"]
    # the comparison-group result in plain Dutch with its certainty
    comp = text.split("6. Vergelijkingsgroep")[1].split("7. Subgroepen")[0]
    assert "met 95% zekerheid" in comp and "vergelijkingsgroep" in comp
    assert "geen verschil is mogelijk" in comp or "vrijwel zeker" in comp


def test_names_are_not_touched_by_the_decimal_comma(pages):
    r, text = pages["GM0373"]
    assert "Bergen (NH.)" in text and "Bergen (NH,)" not in text
    r, text = pages["GM0796"]
    assert "'s-Hertogenbosch" in text and "'S-Hertogenbosch" not in text


def test_captions_explain_legends_and_lines(pages):
    r, _ = pages["GM0796"]
    caps = re.findall(r"<figcaption>(.*?)</figcaption>", r.html)
    assert any("gestippelde lijn" in c for c in caps)  # comparison group
    assert any("labels boven de staven zijn ook percentages" in c for c in caps)


def test_one_number_per_quantity_across_the_page(pages):
    for r, _text in pages.values():
        for x in r.record["quantities"]:
            if x["shown"]:
                assert len(x["displays"]) == 1, x
        drop = [x for x in r.record["quantities"] if x["id"] == "n_dropouts"]
        assert len(drop) == 1


def test_record_lists_every_marked_number(pages):
    r, _ = pages["GM0796"]
    marked = set(re.findall(r'data-q="([^"]+)"', r.html))
    shown = {x["id"] for x in r.record["quantities"] if x["shown"]}
    assert marked <= shown
    assert r.record_path.is_file()
    assert json.loads(r.record_path.read_text(encoding="utf-8"))["page_sha256"] == r.record["page_sha256"]


def test_bad_data_gives_the_same_dutch_error_page(tmp_path, capsys):
    from evalkit.cli import main

    df = _coalition(datasets.load("interventions"), "GM0796")
    f = tmp_path / "GM0796.csv"
    df.to_csv(f, index=False)
    raw = pd.read_csv(f, dtype=str, keep_default_na=False)
    raw.loc[0, "age"] = "999"
    raw.to_csv(f, index=False)
    rc = main(
        [
            "report",
            "-p",
            "coalition_code",
            "GM0796",
            "-p",
            "coalition_name",
            "'s-Hertogenbosch",
            "-p",
            "data_path",
            str(f),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 1
    pages = list((tmp_path / "out").glob("*-fout.html"))
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    assert "Rapport kon niet worden gemaakt" in html and "Wat moet er worden verbeterd?" in html
    assert "999" in html and re.search(r"<td>(?:[A-Z]+ )?age</td>", html)
    assert "fout" in capsys.readouterr().err


def test_report_min_cell_typed_and_override(tmp_path, capsys):
    from evalkit.cli import main

    f = tmp_path / "GM0796.csv"
    f.write_bytes(datasets.to_csv_bytes(_coalition(datasets.load("interventions"), "GM0796")))
    base = [
        "report",
        "-p",
        "coalition_code",
        "GM0796",
        "-p",
        "coalition_name",
        "x",
        "-p",
        "data_path",
        str(f),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main([*base, "-p", "min_cell", "5"]) == 1
    assert "lager dan de ondergrens 10" in capsys.readouterr().err
    assert not list(tmp_path.glob("o/*.html"))  # nothing was written
    assert main([*base, "-p", "min_cell", "5", "-p", "min_cell_override", "ja"]) == 0
    page = next((tmp_path / "o").glob("GM0796-*.html")).read_text(encoding="utf-8")
    assert "verlaagd naar 5" in page
    assert main([*base, "-p", "min_cell", "veel"]) == 1
    assert "heel getal" in capsys.readouterr().err


def test_sections_in_fixed_order():
    assert compute.SECTION_IDS == (
        "summary",
        "data_quality",
        "prepost",
        "share_lonely",
        "reliable_change",
        "comparison",
        "subgroups",
        "trend",
        "benchmark",
        "position",
        "appendix",
    )


def test_subgroup_change_equals_the_paired_analysis(interventions):
    """The subgroup rows use the paired t interval directly; it equals prepost.paired."""
    from evalkit.data import scales
    from evalkit.methods import prepost
    from evalkit.reports.compute import compute

    sub = _coalition(interventions, "GM0796")
    sub = sub[sub["group"] == "intervention"].copy()
    page = compute(sub, {"coalition_code": "GM0796", "coalition_name": "x"})
    sub["total"] = scales.score(sub, "djg11")["total"].astype(float)
    for lev in ("vrouw", "man"):
        ids = sub.loc[(sub["wave"] == "pre") & (sub["gender"] == lev), "participant_id"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = prepost.paired(
                sub[sub["participant_id"].isin(ids)], outcome="total", unit="participant_id", time="wave"
            ).tidy()
        r = r[r["term"] == "mean_diff"].iloc[0]
        q = page.quantities
        np.testing.assert_allclose(
            [q[f"sub.gender.{lev}.{k}"].value for k in ("est", "lo", "hi")],
            [r["estimate"], r["ci_lower"], r["ci_upper"]],
            rtol=1e-12,
        )
        assert q[f"sub.gender.{lev}.n"].value == r["n"]
