"""The coalition report's municipal section on the REAL Health Monitor figures (issue 12).

A merged municipality (Eemsdelta: Appingedam, Delfzijl, Loppersum) shows its former
municipalities' figures, the Netherlands and its peer group, 2012/2016/2020, with source and
the model-estimate remark; one of the 17 municipalities the young adults' source left blank
(Albrandswaard) says "geen cijfer: te weinig respondenten"; no page shows a municipal figure
without its source and year (checked on the disclosure record of every rendered page).
"""

from __future__ import annotations

import html as _h
import re

import pytest

from evalkit.data import datasets
from evalkit.reports import disclosure
from evalkit.reports.coalition import render_coalition
from evalkit.reports.reference import municipal_reference


def _visible(html: str) -> str:
    html = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r" \1 ", html)
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", _h.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def interventions():
    return datasets.load("interventions")


def _as(df, code, name):
    """The example coalition GM0796's data relabelled as another municipality."""
    src = df[df["municipality_code"] == "GM0796"].copy()
    src["municipality_code"] = code
    src["municipality_name"] = name
    src["participant_id"] = [p.replace("GM0796", code) for p in src["participant_id"]]
    return src.reset_index(drop=True)


def _render(df, code, name, tmp_path, **kw):
    out = render_coalition(df, coalition_code=code, coalition_name=name, output_dir=tmp_path, **kw)
    assert out.ok, out.message
    assert disclosure.audit_page(out.html_path) == []
    return out, _visible(out.html)


def _every_reference_has_source_and_year(record):
    refs = [x for x in record["quantities"] if x["kind"] == "reference" and x["shown"]]
    assert refs
    for x in refs:
        assert re.search(
            r"(Gezondheidsmonitor|Health Monitor).*(, |\s)(2012|2016|2020|2024)$", x["source"]
        ), x
    return refs


def test_merged_municipality(interventions, tmp_path):
    out, text = _render(_as(interventions, "GM1979", "Eemsdelta"), "GM1979", "Eemsdelta", tmp_path)
    sec = text.split("Eenzaamheid in de gemeente")[1][:4000]
    for former in (
        "Appingedam (voormalige gemeente)",
        "Delfzijl (voormalige gemeente)",
        "Loppersum (voormalige gemeente)",
    ):
        assert former in sec
    assert "rekent ze niet om naar één cijfer" in sec
    assert "Vergelijkbare gemeenten" in sec and "Berekend door evalkit" in sec and "Geen rangorde" in sec
    assert "modelschattingen van het RIVM" in sec and "zonder betrouwbaarheidsinterval" in sec
    assert "Gezondheidsmonitor Volwassenen en Ouderen (GGD'en, CBS en RIVM; StatLine 50090NED)" in sec
    # the published figures, as published (one decimal, Dutch comma)
    assert "49,4%" in sec and "50,2%" in sec and "41,9%" in sec  # 2020: Appingedam, Delfzijl, Loppersum
    assert "47,0%" in sec  # the Netherlands 2020
    assert "Jongvolwassenen (16-25 jaar), 2024" in sec and "68,8%" in sec and "56,7%" in sec
    refs = _every_reference_has_source_and_year(out.record)
    ids = {x["id"] for x in refs}
    assert {
        "ref.former.GM0003.2020",
        "ref.former.GM0010.2020",
        "ref.former.GM0024.2020",
        "ref.nl.2020",
        "ref.peers.2020",
        "ref.young",
        "ref.young.nl",
    } <= ids
    assert not any(i.startswith("ref.local.") for i in ids)  # no invented Eemsdelta figure
    assert "voorbeeldgegevens" not in text.split("Methode en reproduceerbaarheid")[0].lower()


def test_blank_young_adults_municipality(interventions, tmp_path):
    out, text = _render(_as(interventions, "GM0613", "Albrandswaard"), "GM0613", "Albrandswaard", tmp_path)
    sec = text.split("Eenzaamheid in de gemeente")[1][:4000]
    assert "Jongvolwassenen (16-25 jaar), 2024, Albrandswaard: geen cijfer: te weinig respondenten." in sec
    refs = _every_reference_has_source_and_year(out.record)
    ids = {x["id"] for x in refs}
    assert "ref.young" not in ids and "ref.young.nl" in ids
    assert "ref.local.2020" in ids and "ref.local.2012" in ids


def test_english_page_and_amsterdam_with_weesp(interventions, tmp_path):
    sub = interventions[interventions["municipality_code"] == "GM0363"].reset_index(drop=True)
    out, text = _render(sub, "GM0363", "Amsterdam", tmp_path, lang="en")
    assert "53.2%" in text.split("Loneliness in the municipality")[1]  # Amsterdam 2020, as published
    assert "Weesp (former municipality)" in text
    assert "Since 2022-03-24 the former municipality Weesp belongs to Amsterdam" in text
    _every_reference_has_source_and_year(out.record)


def test_municipal_reference_types():
    ref = municipal_reference("GM1982")
    assert ref is not None and not ref.example and not ref.local
    assert sorted(s.code for s in ref.former) == ["GM0756", "GM0786", "GM0815", "GM1684", "GM1702"]
    assert ref.years == [2012, 2016, 2020]
    assert ref.young is not None and ref.young.share is not None and ref.young.unit_name == "Land van Cuijk"
    blank = municipal_reference("GM0613")
    assert blank is not None and blank.young is not None and blank.young.share is None
    assert blank.young.note == "geen cijfer: te weinig respondenten"
    assert municipal_reference("GM0003") is None  # Appingedam: no longer a municipality
    nl = {p.year: p.share for p in ref.national}
    assert nl[2020] == pytest.approx(0.47, abs=1e-12)


def test_without_reference_figures_the_section_says_so(interventions, tmp_path):
    out, text = _render(
        _as(interventions, "GM1979", "Eemsdelta"), "GM1979", "Eemsdelta", tmp_path, reference=None
    )
    assert "geen cijfers over eenzaamheid onder alle inwoners beschikbaar" in text
    assert not any(x["kind"] == "reference" for x in out.record["quantities"])
