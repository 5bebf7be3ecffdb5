"""The coalition report's drop-out section says in one sentence whether the conclusion holds
when all measurements are used (prepost.mixed), with numbers through the disclosure layer."""

from __future__ import annotations

import html as _h
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evalkit.data import datasets
from evalkit.methods import prepost
from evalkit.reports import compute, disclosure
from evalkit.reports.coalition import render_coalition


def _visible(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", _h.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def interventions():
    return datasets.load("interventions")


def test_sentence_numbers_are_the_mixed_model(interventions):
    page = compute.compute(interventions, {"coalition_code": "GM0014", "lang": "nl"})
    df = interventions[
        (interventions["municipality_code"] == "GM0014") & (interventions["group"] == "intervention")
    ].copy()
    from evalkit.data import scales

    df["total"] = scales.score(df, "djg11")["total"].astype(float)
    ref = prepost.mixed(df, outcome="total", unit="participant_id", time="wave")
    row = ref.tidy().set_index("term").loc["mean_diff"]
    q = page.quantities
    assert_allclose(
        [q["mixed.diff"].value, q["mixed.lo"].value, q["mixed.hi"].value],
        [row["estimate"], row["ci_lower"], row["ci_upper"]],
        rtol=1e-12,
    )
    assert q["mixed.diff"].group_n == ref.n_units
    texts = [
        b.template
        for s in page.sections
        if s.id == "data_quality"
        for b in s.blocks
        if hasattr(b, "template")
    ]
    sentence = [t for t in texts if "[[mixed.diff]]" in t]
    assert len(sentence) == 1
    # GM0014: both intervals include 0, so the conclusion holds
    assert "de conclusie blijft dezelfde (geen duidelijke verandering)" in sentence[0]


def test_rendered_page_passes_the_audit(interventions, tmp_path):
    sub = interventions[interventions["municipality_code"] == "GM0363"].reset_index(drop=True)
    out = render_coalition(
        sub, coalition_code="GM0363", coalition_name="Amsterdam", output_dir=tmp_path, lang="en"
    )
    assert out.ok, out.message
    assert disclosure.audit_page(out.html_path) == []
    text = _visible(out.html)
    assert "With all measurements, including those of participants without a post-test" in text
    assert re.search(r"the conclusion (stays the same|changes)", text)
    shown = {x["id"]: x for x in out.record["quantities"]}
    assert shown["mixed.diff"]["shown"]


def test_small_group_hides_the_numbers(interventions, tmp_path):
    sub = interventions[
        (interventions["municipality_code"] == "GM1900") & (interventions["group"] == "intervention")
    ]
    ids = sorted(sub["participant_id"].unique())[:8]
    sub = sub[sub["participant_id"].isin(ids)].reset_index(drop=True)
    out = render_coalition(
        sub, coalition_code="GM1900", coalition_name="Súdwest-Fryslân", output_dir=tmp_path
    )
    assert out.ok, out.message
    assert disclosure.audit_page(out.html_path) == []
    shown = {x["id"]: x for x in out.record["quantities"]}
    assert not shown["mixed.diff"]["shown"]
    assert "gemengd model" in _visible(out.html)


def test_direction_words():
    assert compute._direction(-2.0, -0.1) == "down"
    assert compute._direction(0.1, 2.0) == "up"
    assert compute._direction(-1.0, np.float64(1.0)) == "none"
