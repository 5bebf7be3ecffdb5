"""The disclosure layer: each rule alone, on the smallest page that breaks it.

Every test builds a page whose number is shown in a table, a figure label, an alt text
and a sentence, applies the rules, renders the page and checks that the suppressed number
appears nowhere (the HTML text, the alt text, the texts drawn on the figure) while the
numbers the rules allow do appear. The audit is tested on produced pages and tampered
records; the frequency-table decisions are cross-checked with ``acro`` (SACRO).
"""

from __future__ import annotations

import html as _h
import json
import re

import pytest

from evalkit import ParameterError
from evalkit.reports import disclosure
from evalkit.reports.content import (
    Choose,
    Column,
    ContentError,
    Figure,
    Page,
    Ref,
    Status,
    Table,
    Text,
)
from evalkit.reports.disclosure import Policy
from evalkit.reports.html import render_page


@pytest.fixture
def drawn(monkeypatch):
    """Every text drawn on a figure (bar labels, tick labels are separate)."""
    import matplotlib.axes

    texts: list[str] = []
    orig = matplotlib.axes.Axes.text

    def spy(self, x, y, s, *a, **k):
        texts.append(str(s))
        return orig(self, x, y, s, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "text", spy)
    return texts


def _show_everywhere(page: Page, ids: list[str]) -> None:
    s = page.section("s", "Sectie")
    s.add(
        Table(
            [Column("k", ""), Column("v", "Waarde"), Column("st", "")],
            [{"k": i, "v": Ref(i), "st": Status(i)} for i in ids],
        )
    )
    shares = [i for i in ids if page.quantities[i].kind == "share"]
    if shares:
        s.add(
            Figure(
                "bars",
                {"labels": shares, "values": [Ref(i) for i in shares], "ylabel": "%"},
                alt=Text("Staven: " + ", ".join(f"[[{i}]]" for i in shares) + "."),
                caption="c",
            )
        )
    s.add(Text("Zin: " + ", ".join(f"[[{i}]]" for i in ids) + "."))


def _visible(html: str) -> str:
    html = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r" \1 ", html)
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", _h.unescape(re.sub(r"<[^>]+>", " ", html)))


def _render(page: Page, policy: Policy | None = None):
    d = disclosure.apply(page, policy or Policy())
    r = render_page(d)
    rec = disclosure.record(d, r.displays, page_html=r.html, page_name="t.html", places=r.places)
    assert disclosure.audit_record(rec, page_html=r.html) == []
    return d, r, rec


# ----------------------------------------------------------------------------------------
# policy
# ----------------------------------------------------------------------------------------
def test_min_cell_default_raise_and_floor():
    assert Policy().min_cell == 10
    assert Policy(15).min_cell == 15
    with pytest.raises(ParameterError, match="lager dan de ondergrens 10"):
        Policy(5)
    assert Policy(5, override=True).below_floor
    for bad in ("15", 0, 2.5, True):
        with pytest.raises(ParameterError, match="min_cell"):
            Policy(bad)  # type: ignore[arg-type]


def test_rules_are_data():
    assert [r.id for r in disclosure.RULES] == ["R1", "R2", "R3", "R4"]
    for r in disclosure.RULES:
        assert r.title and r.text and callable(r.audit)


# ----------------------------------------------------------------------------------------
# R1: a group under min_cell
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, shown", [(0, True), (1, False), (9, False), (10, True)])
def test_r1_count_boundary(n, shown):
    page = Page(title="T")
    page.q("c", n, "count", fmt="int")
    d = disclosure.apply(page)
    assert d.shown("c") is shown
    if not shown:
        assert d.decisions["c"].reason == "R1"


def test_r1_mean_and_share_of_a_small_group_hidden_everywhere(drawn):
    page = Page(title="T")
    page.q("n", 9, "count", fmt="int")
    page.q("m", 4.321, "mean", group_n=9, digits=2)
    page.q("s", 0.555555, "share", group_n=9, in_n=5, fmt="pct", digits=1)
    page.q("big", 0.4, "share", group_n=50, in_n=20, fmt="pct", digits=0)
    _show_everywhere(page, ["n", "m", "s", "big"])
    d, r, rec = _render(page)
    text = _visible(r.html)
    for leaked in ("9", "4,32", "55,6%"):
        assert not re.search(rf"(?<![\d,]){re.escape(leaked)}(?![\d,])", text), leaked
        assert all(leaked not in t for t in drawn), leaked
    assert "40%" in text and "40%" in drawn  # alt text and bar label of the shown share
    assert "minder dan 10" in text and "niet getoond (minder dan 10)" in text
    assert {x["id"] for x in rec["quantities"] if not x["shown"]} == {"n", "m", "s"}
    # the record never carries the counts of what it hides
    hidden = [x for x in rec["quantities"] if not x["shown"]]
    assert all("value" not in x and "group_n" not in x for x in hidden)


def test_r1_raised_threshold():
    page = Page(title="T")
    page.q("c", 12, "count", fmt="int")
    assert disclosure.apply(page, Policy(10)).shown("c")
    assert not disclosure.apply(page, Policy(15)).shown("c")


# ----------------------------------------------------------------------------------------
# R2: the people inside or outside a category
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "in_n, shown", [(3, False), (47, False), (0, True), (50, True), (10, True), (40, True), (41, False)]
)
def test_r2_share_needs_min_cell_inside_and_outside(in_n, shown):
    page = Page(title="T")
    page.q("s", in_n / 50, "share", group_n=50, in_n=in_n, fmt="pct")
    d = disclosure.apply(page)
    assert d.shown("s") is shown
    if not shown:
        assert d.decisions["s"].reason == "R2"


def test_r2_complement_hidden_in_table_figure_alt_and_sentence(drawn):
    # 74 of 81 lonely: 7 not lonely can be worked out from 91% of 81
    page = Page(title="T")
    page.q("lonely", 74 / 81, "share", group_n=81, in_n=74, fmt="pct", digits=0)
    page.q("n", 81, "count", fmt="int")
    _show_everywhere(page, ["lonely", "n"])
    d, r, rec = _render(page)
    text = _visible(r.html)
    assert "91%" not in text and not any("91%" in t for t in drawn)
    assert "81" in text  # the group itself may be shown
    assert any("niet getoond" in t for t in drawn)


# ----------------------------------------------------------------------------------------
# R3: parts and their total (secondary suppression)
# ----------------------------------------------------------------------------------------
def _rc_page(counts: dict[str, int], total: int) -> Page:
    page = Page(title="T")
    page.q("n", total, "count", fmt="int")
    for k, c in counts.items():
        page.q(f"{k}.n", c, "count", fmt="int")
        page.q(k, c / total, "share", group_n=total, in_n=c, fmt="pct", digits=0, basis=(f"{k}.n",))
    page.partition("rc", "n", [f"{k}.n" for k in counts])
    return page


def test_r3_all_parts_but_one_shown_is_the_smallest_breaking_case(drawn):
    # 's-Hertogenbosch in the issue: 19 improved, 89 unchanged, 3 worse, of 111
    page = _rc_page({"improved": 19, "unchanged": 89, "worse": 3}, 111)
    _show_everywhere(page, ["n", "improved", "unchanged", "worse", "improved.n", "unchanged.n", "worse.n"])
    d, r, rec = _render(page)
    assert not d.shown("worse.n") and d.decisions["worse.n"].reason == "R1"
    assert not d.shown("improved.n") and d.decisions["improved.n"].secondary
    assert not d.shown("improved") and not d.shown("worse")  # shares follow their counts
    assert d.shown("unchanged") and d.shown("n")
    text = _visible(r.html)
    for leaked in ("19", "3", "17%", "3%"):
        assert not re.search(rf"(?<![\d,]){re.escape(leaked)}(?![\d,])", text), leaked
        assert all(leaked not in t for t in drawn), leaked
    assert "80%" in text and "beschermt een kleine groep" in text
    # the hidden parts together are at least min_cell: nothing small can be derived
    assert 111 - 89 >= 10


def test_r3_without_a_small_part_nothing_extra_is_hidden():
    page = _rc_page({"improved": 19, "unchanged": 82, "worse": 10}, 111)
    d = disclosure.apply(page)
    assert all(d.shown(i) for i in page.quantities)


def test_r3_zero_parts_may_be_shown():
    page = _rc_page({"improved": 0, "unchanged": 111, "worse": 0}, 111)
    d = disclosure.apply(page)
    assert all(d.shown(i) for i in page.quantities)


def test_r3_prefers_the_named_quantity_across_sections():
    # 25 with a pre-test, 24 with both: the drop-out of 1 follows by subtraction; the total
    # (in the summary) is hidden rather than the number of pairs (in every section)
    page = Page(title="T")
    page.q("n_base", 25, "count", fmt="int")
    page.q("n_pairs", 24, "count", fmt="int")
    page.q("n_drop", 1, "count", fmt="int")
    page.partition("dropout", "n_base", ["n_pairs", "n_drop"], prefer=("n_base",))
    page.section("a", "A").add(Text("Van [[n_base]] deelnemers.", fallback="Van de deelnemers."))
    page.section("b", "B").add(Text("[[n_pairs]] met beide metingen; [[n_drop]] uitvallers."))
    d, r, rec = _render(page)
    assert not d.shown("n_base") and d.shown("n_pairs")
    text = _visible(r.html)
    assert "25" not in text and "24 met beide" in text and "minder dan 10 uitvallers" in text


def test_r3_hidden_total_with_all_parts_shown():
    page = Page(title="T")
    page.q("t", 12, "count", fmt="int")
    page.q("a", 8, "count", fmt="int")
    page.q("b", 4, "count", fmt="int")
    page.partition("p", "t", ["a", "b"])
    d = disclosure.apply(page, Policy(15))
    assert not any(d.shown(i) for i in ("t", "a", "b"))


def test_r3_a_number_revealing_a_hidden_count_is_hidden():
    page = Page(title="T")
    page.q("pre", 0.5, "share", group_n=40, in_n=20, fmt="pct")
    page.q("post", 0.9, "share", group_n=40, in_n=36, fmt="pct")  # complement 4: hidden
    page.q("change", 0.4, "estimate", group_n=40, basis=("pre", "post"), fmt="pp")
    d = disclosure.apply(page)
    assert d.shown("pre") and not d.shown("post") and not d.shown("change")
    assert d.decisions["change"].reason == "R3"


# ----------------------------------------------------------------------------------------
# R3 with merged categories: the most informative safe presentation
# ----------------------------------------------------------------------------------------
def _rc_choice_page(improved: int, unchanged: int, worse: int) -> Page:
    """Reliable change as the report builds it: three categories, or two merged ones."""
    total = improved + unchanged + worse
    counts = {
        "improved": improved,
        "unchanged": unchanged,
        "worse": worse,
        "not_improved": unchanged + worse,
        "not_worse": improved + unchanged,
    }
    page = Page(title="T")
    page.q("n", total, "count", fmt="int")
    for k, c in counts.items():
        page.q(f"{k}.n", c, "count", fmt="int")
        page.q(k, c / total, "share", group_n=total, in_n=c, fmt="pct", digits=0, basis=(f"{k}.n",))
    page.partition("rc", "n", ["improved.n", "unchanged.n", "worse.n"])
    page.partition("ni", "not_improved.n", ["unchanged.n", "worse.n"])
    page.partition("nw", "not_worse.n", ["improved.n", "unchanged.n"])
    page.partition("a", "n", ["improved.n", "not_improved.n"])
    page.partition("b", "n", ["not_worse.n", "worse.n"])

    def fig(ids: list[str], word: str) -> Figure:
        return Figure(
            "bars",
            {"labels": ids, "values": [Ref(i) for i in ids], "ylabel": "%"},
            alt=Text(f"{word} van [[n]]: " + ", ".join(f"{i} [[{i}]]" for i in ids) + "."),
            caption=word,
        )

    page.section("rc", "Betrouwbare verandering").add(
        Choose(
            "rc",
            [
                [fig(["improved", "unchanged", "worse"], "Drie uitkomsten")],
                [fig(["improved", "not_improved"], "Samengevoegd: verbeterd of niet")],
                [fig(["not_worse", "worse"], "Samengevoegd: verslechterd of niet")],
            ],
        )
    )
    return page


def _pct_leaks(text: str, drawn: list[str], pcts: list[str]) -> list[str]:
    return [
        x
        for x in pcts
        if re.search(rf"(?<![\d,]){re.escape(x)}", text)
        or any(re.search(rf"(?<![\d,]){re.escape(x)}", t) for t in drawn)
    ]


def test_r3_merges_categories_instead_of_hiding_them(drawn):
    # 's-Hertogenbosch: 19 improved, 89 unchanged, 3 worse of 111. Hiding gave only
    # "unchanged 80%"; merging shows improved 17% and not improved 83% (92 people)
    page = _rc_choice_page(19, 89, 3)
    d, r, rec = _render(page)
    assert d.chosen == {"rc": 1}
    assert d.shown("improved") and d.shown("not_improved")
    assert not d.shown("worse") and not d.shown("unchanged")
    text = _visible(r.html)
    assert "verbeterd of niet" in text and "17%" in text and "83%" in text
    assert "17%" in drawn and "83%" in drawn
    assert _pct_leaks(text, drawn, ["80%", "3%", "97%"]) == []
    # the presentations not chosen are not on the page and not in the record
    ids = {x["id"] for x in rec["quantities"]}
    assert not ids & {"unchanged", "not_worse", "worse"}
    assert "Drie uitkomsten" not in text and "verslechterd of niet" not in text
    assert disclosure.audit_record(rec, page_html=r.html) == []


def test_r3_merges_the_other_way_when_improved_is_small(drawn):
    page = _rc_choice_page(2, 89, 20)
    d, r, rec = _render(page)
    assert d.chosen == {"rc": 2}
    assert d.shown("not_worse") and d.shown("worse")
    text = _visible(r.html)
    assert "82%" in text and "18%" in text  # 91 and 20 of 111
    assert _pct_leaks(text, drawn, ["2%", "80%", "98%"]) == []


def test_r3_a_small_complement_is_merged_too(drawn):
    # 101 improved, 5 unchanged, 5 worse: "not improved" has exactly 10 people
    page = _rc_choice_page(101, 5, 5)
    d, r, rec = _render(page)
    assert d.chosen == {"rc": 1}
    text = _visible(r.html)
    assert "91%" in text and "9%" in text
    assert _pct_leaks(text, drawn, ["5%"]) == []


def test_r3_all_categories_large_keeps_the_detailed_presentation():
    page = _rc_choice_page(19, 82, 10)
    d, r, rec = _render(page)
    assert d.chosen == {"rc": 0}
    assert all(d.shown(i) for i in ("improved", "unchanged", "worse"))
    assert not d.shown("not_improved") and d.decisions["not_improved"].reason == "choice"
    assert {x["id"] for x in rec["quantities"]} >= {"improved", "unchanged", "worse"}
    assert not {x["id"] for x in rec["quantities"]} & {"not_improved", "not_worse"}
    assert d.n_suppressed == 0  # a presentation not chosen is not a suppression


def test_r3_when_no_merge_is_safe_nothing_small_leaks(drawn):
    # 3 improved and 4 worse: every split into two reveals a small group
    page = _rc_choice_page(3, 100, 4)
    d, r, rec = _render(page)
    assert d.chosen == {"rc": 0}  # nothing better: the first, most detailed one
    text = _visible(r.html)
    for x in ("improved", "unchanged", "worse", "not_improved", "not_worse"):
        assert not d.shown(x)
    assert _pct_leaks(text, drawn, ["3%", "4%", "93%", "96%", "97%"]) == []
    assert "107" in text


def test_r3_merged_numbers_pass_the_rules_with_a_raised_threshold():
    # with min_cell 15 the merged group of 92 is still fine, 19 improved too
    d, r, rec = _render(_rc_choice_page(19, 89, 3), Policy(15))
    assert d.chosen == {"rc": 1}
    d, r, rec = _render(_rc_choice_page(12, 89, 10), Policy(15))
    # 12 improved and 10 worse are both under 15: neither merge is safe
    assert not any(d.shown(x) for x in ("improved", "worse", "not_improved", "not_worse"))


# ----------------------------------------------------------------------------------------
# R4: one quantity, one number
# ----------------------------------------------------------------------------------------
def test_r4_one_quantity_cannot_get_two_numbers():
    page = Page(title="T")
    page.q("dropouts", 25, "count")
    page.q("dropouts", 25, "count")  # the same number again is fine
    with pytest.raises(ContentError, match="rule 4"):
        page.q("dropouts", 24, "count")


def test_r4_audit_finds_two_numbers_for_one_quantity():
    page = Page(title="T")
    page.q("n", 40, "count", fmt="int")
    page.section("s", "S").add(Text("[[n]] deelnemers."))
    d, r, rec = _render(page)
    bad = r.html.replace('<span data-q="n">40</span>', '<span data-q="n">41</span>')
    v = disclosure.audit_record(rec, page_html=bad)
    assert {x.rule for x in v} >= {"R4", "record"}


# ----------------------------------------------------------------------------------------
# the audit of produced pages
# ----------------------------------------------------------------------------------------
def test_audit_flags_each_rule_on_a_tampered_record():
    page = _rc_page({"improved": 19, "unchanged": 89, "worse": 3}, 111)
    _show_everywhere(page, ["n", "unchanged"])
    d, r, rec = _render(page)
    # R1: a shown count of 3
    t = json.loads(json.dumps(rec))
    t["quantities"].append(
        {
            "id": "x",
            "kind": "count",
            "shown": True,
            "value": 3.0,
            "display": "3",
            "displays": ["3"],
            "group_n": 3,
            "basis": [],
        }
    )
    assert [v.rule for v in disclosure.audit_record(t)] == ["R1"]
    # R2: a share with a complement of 4
    t = json.loads(json.dumps(rec))
    t["quantities"].append(
        {
            "id": "y",
            "kind": "share",
            "shown": True,
            "value": 0.9,
            "display": "90%",
            "displays": ["90%"],
            "group_n": 40,
            "in_n": 36,
            "complement_n": 4,
            "basis": [],
        }
    )
    assert [v.rule for v in disclosure.audit_record(t)] == ["R2"]
    # R3: show 19 improved next to 89 of 111
    t = json.loads(json.dumps(rec))
    for x in t["quantities"]:
        if x["id"] == "improved.n":
            x.update(shown=True, value=19.0, display="19", displays=["19"], group_n=None)
    if not any(x["id"] == "improved.n" for x in t["quantities"]):
        t["quantities"].append(
            {
                "id": "improved.n",
                "kind": "count",
                "shown": True,
                "value": 19.0,
                "display": "19",
                "displays": ["19"],
                "basis": [],
            }
        )
    t["partitions"] = [{"id": "rc", "total": "n", "parts": ["improved.n", "unchanged.n", "worse.n"]}]
    t["quantities"].append(
        {
            "id": "unchanged.n",
            "kind": "count",
            "shown": True,
            "value": 89.0,
            "display": "89",
            "displays": ["89"],
            "basis": [],
        }
    )
    assert "R3" in [v.rule for v in disclosure.audit_record(t)]


def test_audit_dir_and_cli(tmp_path, capsys):
    from evalkit.cli import main

    page = Page(title="T")
    page.q("n", 40, "count", fmt="int")
    page.section("s", "S").add(Text("[[n]] deelnemers."))
    d, r, rec = _render(page)
    (tmp_path / "t.html").write_text(r.html, encoding="utf-8")
    (tmp_path / f"t{disclosure.RECORD_SUFFIX}").write_text(json.dumps(rec), encoding="utf-8")
    (tmp_path / "GM0001-x-fout.html").write_text("<p>fout</p>", encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 0
    assert "voldoen aan de privacyregels" in capsys.readouterr().out
    # a page changed after the check, and a page without a record
    (tmp_path / "t.html").write_text(r.html.replace(">40<", ">4<"), encoding="utf-8")
    (tmp_path / "u.html").write_text("<p>3 deelnemers</p>", encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "overtreden de privacyregels" in out.err
    assert "geen disclosure-record naast u.html" in out.out
    assert main(["audit", str(tmp_path / "nope")]) == 2


def test_override_must_be_stated_on_the_page():
    page = Page(title="T")
    page.q("c", 6, "count", fmt="int")
    page.section("s", "S").add(Text("[[c]] deelnemers."))
    d = disclosure.apply(page, Policy(5, override=True))
    r = render_page(d)
    rec = disclosure.record(d, r.displays, page_html=r.html, page_name="t.html")
    assert [v.rule for v in disclosure.audit_record(rec, page_html=r.html)] == ["policy"]


# ----------------------------------------------------------------------------------------
# cross-check with acro (SACRO's output checker, used in trusted research environments)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "counts",
    [
        {"a": 3, "b": 20, "c": 9, "d": 10},
        {"a": 1, "b": 11, "c": 45},
        {"a": 12, "b": 10, "c": 30},
        {"a": 9, "b": 9, "c": 100},
    ],
)
def test_primary_suppression_matches_acro_threshold_check(counts, tmp_path, monkeypatch):
    """acro's MinimumThresholdCheck on a frequency table (threshold 10) flags exactly the
    cells R1 hides. acro leaves differencing to a manual review ("PresenceOfLinkedTable
    Check"), which R3 automates: every R3 decision is on top of acro's cells."""
    import warnings

    import pandas as pd

    acro_mod = pytest.importorskip("acro")  # in the test extra
    monkeypatch.chdir(tmp_path)  # acro may write its outputs folder
    rows = [k for k, c in counts.items() for _ in range(c)]
    df = pd.DataFrame({"group": rows, "wave": "pre"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = acro_mod.ACRO(suppress=True)
        table = a.crosstab(df["group"], df["wave"])
    acro_hidden = {str(g) for g, v in table["pre"].items() if pd.isna(v)}
    page = Page(title="T")
    total = sum(counts.values())
    page.q("total", total, "count", fmt="int")
    for k, c in counts.items():
        page.q(k, c, "count", fmt="int")
    page.partition("t", "total", list(counts))
    d = disclosure.apply(page)
    primary = {k for k in counts if d.decisions[k].reason == "R1" and not d.decisions[k].secondary}
    assert primary == acro_hidden
    hidden = {k for k in counts if not d.shown(k)}
    assert acro_hidden <= hidden
    left = total - sum(c for k, c in counts.items() if k not in hidden)
    assert left == 0 or left >= 10
