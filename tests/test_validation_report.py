"""The validation report (issue 18): COSMIN table and conclusions follow the results they
rest on, the page passes the disclosure audit, English is English, and a screenshot.

One study on the bundled youth sample (invariance by gender only, to keep the tests fast)
is shared by the module; ratings that are the committee's (MIC, content validity, design)
are flipped with ``study.rated(...)``, ratings that come from the data with a second study
on changed data.
"""

from __future__ import annotations

import html as _html
import re
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.core.errors import ParameterError
from evalkit.methods.validation import cosmin_table
from evalkit.methods.validation.study import validation_study
from evalkit.reports import disclosure
from evalkit.reports.validation import render_validation

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "validation"

HYPOTHESES = [
    {"measure": "ucla3", "direction": "+", "min_r": 0.5},
    {"measure": "wellbeing", "direction": "-", "min_r": 0.3},
    {"measure": "friends", "direction": "-", "min_r": 0.3},
]
KNOWN = [
    {"score": "emotional", "group": "gender", "higher": "meisje", "lower": "jongen", "min_d": 0.2},
    {"score": "total", "group": "age_band", "higher": "15-17", "lower": "8-11", "min_d": 0.2},
]


def _study(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return validation_study(
            data,
            hypotheses=kw.pop("hypotheses", HYPOTHESES),
            known_groups_hypotheses=kw.pop("known", KNOWN),
            n_boot=kw.pop("n_boot", 0),
            **kw,
        )


@pytest.fixture(scope="module")
def youth():
    return evalkit.datasets.load("youth")


@pytest.fixture(scope="module")
def study(youth):
    return _study(youth, invariance_groups=("gender",))


def _ratings(st):
    return dict(zip(st.tidy()["term"], st.tidy()["rating"]))


# ---------------------------------------------------------------------------- the table
def test_cosmin_rows_rest_on_their_results(study):
    r = _ratings(study)
    # invariance: the scaled difference test rejects scalar invariance by gender -> "-"
    tab = study.invariance["gender"].reported_table()
    assert not bool(tab.loc["scalar", "lrt_invariant"])
    assert r["measurement_invariance"] == "-"
    assert study.dif_table.query("flag")["item"].tolist() == ["y07"]
    # structural validity from the scaled WLSMV fit
    fi = study.cfa["main"].reported_fit()
    assert r["structural_validity"] == (
        "+" if (fi["cfi"] > 0.95 or fi["tli"] > 0.95 or fi["rmsea"] < 0.06 or fi["srmr"] < 0.08) else "-"
    )
    # internal consistency on the worst subscale
    assert study.cosmin.tidy().set_index("term").at["internal_consistency", "estimate"] == pytest.approx(
        study.consistency["alpha"].min(), abs=0
    )
    assert r["internal_consistency"] == ("+" if study.consistency["alpha"].min() >= 0.70 else "-")
    # reliability on the subscale with the lowest ICC(2,1)
    sub = study.retest.loc[list(study.instrument["subscales"])]
    assert study.settings["worst_icc"] == sub["icc"].idxmin()
    assert r["reliability"] == ("+" if sub["icc"].min() >= 0.70 else "-")
    # no MIC, no gold standard, no anchor: indeterminate / not assessed
    assert r["measurement_error"] == "?" and r["criterion_validity"] == "?" and r["responsiveness"] == "?"
    assert "no gold standard" in study.cosmin.tidy().set_index("term").at["criterion_validity", "result"]
    assert r["content_validity"] == "?"
    # hypotheses: the DIF hypothesis counts only when confirmed with and without the item
    h = study.hypotheses
    dif_h = h[h["dif_items"] != ""]
    assert dif_h["dif_items"].tolist() == ["y07"] and dif_h["group"].tolist() == ["gender"]
    assert (h["counted"] == (h["confirmed"] & h["confirmed_without"])).all()
    share = h["counted"].mean()
    assert r["hypotheses_testing"] == ("+" if share >= 0.75 else "-")


def test_conclusions_follow_the_ratings(study):
    text = " ".join(study.conclusions("en"))
    assert "Scores cannot yet be compared between all groups: by gender" in text
    assert "Items with important DIF: y07 (gender)." in text
    assert "rests on y07" in text
    recs = " ".join(study.recommendations("en"))
    assert "do not compare mean scores by gender" in recs
    assert "minimal important change" in recs  # no MIC yet
    assert "gold standard" in recs
    assert study.recommendation_category() == "B"  # content validity not rated yet


def test_committee_judgements_flip_ratings_and_text(study):
    # MIC: defined below / above the SDC of the worst subscale
    sdc = float(study.retest.loc[study.settings["worst_sdc"], "sdc"])
    above, below = study.rated(mic=sdc + 1), study.rated(mic=sdc - 1)
    assert _ratings(above)["measurement_error"] == "+"
    assert _ratings(below)["measurement_error"] == "-"
    assert "minimal important change" not in " ".join(above.recommendations("en"))
    assert "SDC exceeds the MIC" in " ".join(below.recommendations("en"))
    assert _ratings(above.rated(mic=None))["measurement_error"] == "?"
    # content validity rated by the committee: category A (sufficient content validity and
    # internal consistency with at least low-quality evidence)
    cv = study.rated(content_validity="+")
    assert _ratings(cv)["content_validity"] == "+" and cv.recommendation_category() == "A"
    assert "category A" in " ".join(cv.conclusions("en"))
    # design documented -> risk of bias and evidence change
    design = {"retest_stable": "very good", "retest_interval": "very good", "retest_conditions": "very good"}
    d = study.rated(design=design)
    assert study.risk["reliability"].rating == "doubtful" and study.grades["reliability"].level == "low"
    assert d.risk["reliability"].rating == "very good" and d.grades["reliability"].level == "high"
    # indirectness downgrades every graded property by its levels
    ind = study.rated(indirectness=1)
    assert ind.grades["structural_validity"].level == "moderate"
    with pytest.raises(ParameterError, match="content_validity"):
        study.rated(content_validity="ok")


def test_data_flip_ratings_and_text(youth):
    # only the first wave (no retest), invariance by age band, the single item named as gold standard
    t1 = youth[youth["wave"] == "t1"]
    st = _study(t1, invariance_groups=("age_band",), gold_standard="lonely_self")
    r = _ratings(st)
    assert r["reliability"] == "?" and r["measurement_error"] == "?"
    assert "reliability" not in st.risk
    assert r["measurement_invariance"] == "+"
    assert r["criterion_validity"] == ("+" if st.criterion.auc >= 0.70 else "-")
    assert "lonely_self" in st.cosmin.tidy().set_index("term").at["criterion_validity", "result"]
    text = " ".join(st.conclusions("en"))
    assert "cannot yet be compared" not in text
    assert "do not compare mean scores" not in " ".join(st.recommendations("en"))
    # hypotheses that cannot be confirmed -> "-"
    st2 = st.rated()  # same ratings
    assert _ratings(st2) == r


def test_cosmin_table_invariance_criterion_per_estimator():
    tab = pd.DataFrame(
        {"lrt_invariant": [pd.NA, False], "cfi_invariant": [pd.NA, True], "rmsea_invariant": [pd.NA, True]},
        index=["configural", "scalar"],
    )
    ml = cosmin_table(invariance={"g": tab}, invariance_criterion="cfi+rmsea")
    wl = cosmin_table(invariance={"g": tab}, invariance_criterion="lrt")
    assert ml.tidy().set_index("term").at["measurement_invariance", "rating"] == "+"
    assert wl.tidy().set_index("term").at["measurement_invariance", "rating"] == "-"
    assert "ML" in ml.criterion_text("measurement_invariance", "en")
    assert "WLSMV" in wl.criterion_text("measurement_invariance", "en")
    dif = pd.DataFrame({"item": ["y07"], "group": ["g"], "flag": [True]})
    assert (
        cosmin_table(invariance={"g": tab}, dif=dif)
        .tidy()
        .set_index("term")
        .at["measurement_invariance", "rating"]
        == "-"
    )
    with pytest.raises(ParameterError, match="invariance_criterion"):
        cosmin_table(invariance_criterion="chi2")


def test_hypotheses_need_direction_and_size(youth):
    with pytest.raises(ParameterError, match="min_d"):
        validation_study(
            youth,
            known_groups_hypotheses=[
                {"score": "total", "group": "gender", "higher": "meisje", "lower": "jongen"}
            ],
        )
    with pytest.raises(ParameterError, match="min_r"):
        validation_study(youth, hypotheses=[{"measure": "ucla3", "direction": "+"}])


# ---------------------------------------------------------------------------- the page
@pytest.fixture(scope="module")
def pages(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("validation_report")
    res = {}
    for lang in ("en", "nl"):
        res[lang] = render_validation(
            None, out, lang=lang, study=study, basename=f"validation-{lang}", example_data=True
        )
    return out, res


def _visible_text(page_html: str) -> str:
    body = re.sub(r"<style.*?</style>", " ", page_html, flags=re.S)
    body = re.sub(r"<img [^>]*>", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return _html.unescape(body)


def test_report_passes_the_disclosure_audit(pages):
    out, res = pages
    result = disclosure.audit_dir(out)
    assert set(result) == {"validation-en.html", "validation-nl.html"}
    assert all(v == [] for v in result.values()), result
    # the CLI says the same (evalkit audit DIR)
    from evalkit.cli import main

    assert main(["audit", str(out)]) == 0


def test_small_norm_cells_hidden_and_not_recoverable(pages, study):
    _, res = pages
    rec = {q["id"]: q for q in res["en"].record["quantities"]}
    cells = study.norm_cells
    small = [g for g, r in cells.iterrows() if r["n"] < 10]
    assert small, "the youth sample has a norm cell under 10 (15-17 x anders)"
    for g in small:
        q = rec[f"norm.{g}.n".replace(" ", "_").replace(",", "_").replace("=", "_")]
        assert not q["shown"] and q["rule"] == "R1"
    # secondary suppression: every partition's hidden people are 0 or >= 10
    shown = {i: q.get("value") for i, q in rec.items() if q["shown"]}
    for p in res["en"].record["partitions"]:
        if p["total"] not in shown:
            continue
        hidden = shown[p["total"]] - sum(shown.get(x, 0) for x in p["parts"] if x in shown)
        assert hidden == 0 or hidden >= 10, p
    # the margins of the sample table are partitioned with the norm cells
    assert any(p["total"] == "sample.gender.anders" for p in res["en"].record["partitions"])


def test_page_shows_the_ratings_and_conclusions(pages, study):
    _, res = pages
    text = " ".join(_visible_text(res["en"].html).split())
    for p, rating in _ratings(study).items():
        name = study.property_name(p, "en")
        assert re.search(re.escape(name) + r".{0,400}?\s" + re.escape(rating) + r"\s", text), p
    assert "COSMIN recommendation category B" in text
    assert "Scores cannot yet be compared between all groups: by gender" in text
    assert "not assessed (no gold standard named)" in text
    assert "Caveat: with two group factors" in text
    assert "not the reliability of the sum score" in text
    assert "SHA-256" in text and evalkit.__version__ in text
    assert "e-" not in re.sub(r"[A-Za-z]e-", "", text)  # no scientific notation
    assert "J00001" not in res["en"].html  # no respondent ids


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ]+", text) if len(w) > 2}


#: names that appear in both languages (data labels, references, codes)
NAMES = {
    "vmbo",
    "havo",
    "vwo",
    "mbo",
    "terwee",
    "mokkink",
    "prinsen",
    "zumbo",
    "zinbarg",
    "de",
    "vet",
    "cosmin",
    "youth",
    "draft",
    "item",
    "items",
    "alpha",
    "omega",
    "totaal",
}


#: common Dutch words (function words and report vocabulary) that are never English
DUTCH_COMMON = {
    "aan",
    "aandeel",
    "als",
    "anders",
    "beoordeling",
    "betrouwbaarheid",
    "bij",
    "bevestigd",
    "dan",
    "dat",
    "deze",
    "die",
    "door",
    "een",
    "en",
    "geen",
    "gemiddelde",
    "groep",
    "groepen",
    "het",
    "hertest",
    "iedereen",
    "ja",
    "jongen",
    "meisje",
    "meting",
    "metingen",
    "met",
    "minder",
    "naar",
    "nee",
    "niet",
    "normen",
    "of",
    "om",
    "onder",
    "ook",
    "op",
    "over",
    "schaal",
    "steekproef",
    "subschaal",
    "tegen",
    "totaal",
    "uit",
    "van",
    "voor",
    "wordt",
    "zijn",
    "zonder",
    "getoond",
    "voldoende",
    "onvoldoende",
    "onbepaald",
    "laagste",
}


def _dutch_word_list() -> set[str]:
    """Words of the Dutch texts behind the page (message catalogue, COSMIN names and
    criteria, codebook labels, disclosure markers) that are not words of their English
    texts, plus common Dutch words."""

    cat = tomllib.loads(
        (ROOT / "evalkit" / "core" / "messages" / "validation.toml").read_text(encoding="utf-8")
    )

    def texts(node, lang):
        for v in node.values():
            if isinstance(v, dict) and "nl" in v and "en" in v:
                yield v[lang]
            elif isinstance(v, dict):
                yield from texts(v, lang)

    nl, en = list(texts(cat, "nl")), list(texts(cat, "en"))
    cb = evalkit.load_codebook("youth_instrument")
    for f in ("gender", "school_type", "wave", "lonely_self"):
        nl += list(map(str, cb.value_labels(f, "nl").values()))
        en += list(map(str, cb.value_labels(f, "en").values()))
    nl += ["minder dan", "niet getoond", "beschermt een kleine groep"]
    return ((_words(" ".join(nl)) - _words(" ".join(en))) | DUTCH_COMMON) - NAMES


def test_english_page_has_no_dutch_words(pages):
    _, res = pages
    dutch = _dutch_word_list()
    assert {"betrouwbaarheid", "meisje", "steekproef", "niet"} <= dutch  # the list is a real list
    found = sorted(_words(_visible_text(res["en"].html)) & dutch)
    assert not found, f"Dutch words on the English page: {found}"
    # and the Dutch page is Dutch
    assert len(_words(_visible_text(res["nl"].html)) & dutch) > 50


# ---------------------------------------------------------------------------- screenshot
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)
def test_screenshot_of_the_report(pages):
    playwright = pytest.importorskip("playwright.sync_api")
    out, res = pages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto(res["en"].html_path.resolve().as_uri())
        assert page.locator("h1").inner_text().startswith("Validation report")
        page.screenshot(path=str(ARTIFACTS / "validation_report_en.png"), full_page=False)
        page.locator("#cosmin").screenshot(path=str(ARTIFACTS / "validation_report_en_cosmin.png"))
        page.locator("#norms").screenshot(path=str(ARTIFACTS / "validation_report_en_norms.png"))
        browser.close()
    for name in (
        "validation_report_en.png",
        "validation_report_en_cosmin.png",
        "validation_report_en_norms.png",
    ):
        assert (ARTIFACTS / name).stat().st_size > 10_000


def test_numbers_are_finite(study):
    assert np.isfinite(study.consistency[["alpha", "omega_total"]].to_numpy()).all()


def test_defined_grouping_leaves_missing_values_out(youth):
    # a known-groups grouping made from a column: respondents without a value are in neither group
    d = youth.copy()
    first = d.index[d["wave"] == "t1"][:5]
    d.loc[first, "friends"] = None
    spec = {
        "score": "social",
        "group": "few_friends",
        "higher": "0-1",
        "lower": "2+",
        "min_d": 0.5,
        "define": {"column": "friends", "cut": 1, "labels": ("0-1", "2+")},
    }
    st = _study(d, invariance_groups=(), hypotheses=[], known=[spec])
    assert int(st.hypotheses["n"].iloc[0]) == st.n - 5
