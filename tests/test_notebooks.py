"""Execute every committee notebook in ``notebooks/`` on the bundled data.

Each ``notebooks/*.ipynb`` is picked up automatically (new notebooks need no change here) and
run top to bottom with nbclient in a fresh kernel of *this* Python environment (the kernel
spec ``python3``; jupyter_client starts it with ``sys.executable``, which the test checks),
with the working directory ``notebooks/`` and a timeout per cell. Any error fails the test
with the cell that raised. The wall time of each run is recorded (``record_property``,
visible in ``--junitxml`` and with ``-rA``) and must stay under the issue's budget of two
minutes (``EVALKIT_NOTEBOOK_BUDGET`` seconds overrides it on a slow machine).

Notebooks are stored without outputs; a second test checks that. Two more tests check what the
notebooks say: no markdown cell states a number or verdict about the data (conclusions come from
code cells; the rule is at ``typed_facts``), and a notebook run with papermill on another seed of
its synthetic example data (parameter ``DATA_SEED``) prints a conclusion that agrees with the
numbers computed here, independently, on that seed.
"""

from __future__ import annotations

import os
import re
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from notebook_support import save_executed

from evalkit.core.errors import DataQualityWarning

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
CELL_TIMEOUT = 300  # seconds per cell
BUDGET = float(os.environ.get("EVALKIT_NOTEBOOK_BUDGET", "120"))  # seconds per notebook
#: Notebooks that must show figures (guards against a non-inline matplotlib backend).
WITH_FIGURES = {
    "01_programme_effect.ipynb",
    "02_intervention_synthesis.ipynb",
    "03_youth_instrument_validation.ipynb",
    "04_monitoring.ipynb",
}


_CHECK = "import sys as _sys, evalkit as _ek\nprint(_sys.executable)\nprint(_ek.__file__)"


def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: strip outputs and execution counts (cells {dirty})"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_executes(path, record_property, monkeypatch):
    from nbclient import NotebookClient

    from evalkit.core.plotting import FIGURE_CHECK_ENV

    monkeypatch.setenv(FIGURE_CHECK_ENV, "1")  # the kernel inherits it
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_CHECK))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        allow_errors=False,
        record_timing=True,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    wall = time.perf_counter() - start
    record_property("wall_time_s", round(wall, 2))
    # kept for tests/test_plotting_notebooks.py (screenshots of the figures; git-ignored)
    save_executed(nb, path)
    print(f"{path.name}: {wall:.1f} s")

    # the kernel ran this environment's Python and this checkout's evalkit
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream").split()
    assert Path(out[0]).resolve() == Path(sys.executable).resolve(), out
    assert Path(out[1]).resolve().is_relative_to(ROOT), out
    if path.name in WITH_FIGURES:
        images = sum(
            "image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )
        assert images >= 3, f"{path.name} showed {images} figures; is the inline backend active?"
    # every figure the notebook shows, drawn by evalkit or by the notebook itself, is checked
    # with plotting.figure_problems in the kernel (EVALKIT_FIGURE_CHECK=1, set above)
    problems = [
        f"cell {i}: {problem}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        for problem in o.get("metadata", {}).get("image/png", {}).get("evalkit_figure_problems", [])
    ]
    assert not problems, f"{path.name}: figures not fit for a paper:\n" + "\n".join(problems)
    assert wall < BUDGET, f"{path.name} took {wall:.0f} s (budget {BUDGET:.0f} s on 2 cores)"


# ------------------------------------------------------------------ (a) no typed numbers or verdicts
# Rule: a markdown cell may explain a method and cite its sources, but every data fact and every
# conclusion comes from a code cell. Numbers are allowed in markdown only
#   * in citations ("Riley et al. 2011", "Goodman-Bacon (2021, Theorem 1)") and below a
#     "References" heading,
#   * in cross-references (section 7, step 2, eq. 10, ch. 19-20, table 3) and list numbering,
#   * inside math ($...$) and code spans (`CONFIDENCE = 0.95`, item numbers from the codebook),
#     which are formulas, parameter values and identifiers, not findings,
#   * in names that carry a number (DJG-11, COVID-19, the 2×2 design) and in section numbers of
#     headings ("## 3 ·").
# Everything else (counts, years of data, percentages, estimates) and spelled-out counts of data
# units ("five coalitions") fail, as do verdict words ("significant", "reduced loneliness",
# "is effective", "no effect", "confirmed", "worked").
_REF_HEAD = re.compile(r"^#+\s*(?:references|referenties|literatuur|bronnen|sources)\b", re.I | re.M)
_STRIP = [
    re.compile(r"```.*?```", re.S),
    re.compile(r"\$\$.*?\$\$", re.S),
    re.compile(r"\$[^$\n]+\$"),
    re.compile(r"`[^`\n]+`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"^#+\s*\d+[a-z]?\s*·", re.M),
    re.compile(r"\b2×2\b"),
    re.compile(r"^\s*\d+\.\s", re.M),
    re.compile(
        r"\b(?:[Ss]ections?|[Ss]teps?|[Nn]otebook|eq\.|ch\.|Theorem|[Tt]able|p\.|pp\.)\s*\d+(?:[.\-–]\d+)*"
    ),
    re.compile(r"\b[A-Za-z]+-\d+\b"),
]
_CITE_BEFORE = re.compile(r"(?:[A-Z][\w'’œé\-]+|et al\.|&|and)[,;]?\s*\(?$")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
_WORDS = r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty)"
_NOUNS = r"(?:coalitions?|municipalities|cohorts?|children|participants|respondents|types|years|groups|items|regions)"
_NUMBER_WORD = re.compile(rf"\b{_WORDS}\s+(?:\w+\s+)?{_NOUNS}\b", re.I)
_VERDICTS = re.compile(
    r"\bsignifican(?:t|tly|ce)\b|\b(?:lowered|reduced|raised|increased|decreased) loneliness\b|"
    r"\b(?:is|was|are|were) (?:in)?effective\b|\bno (?:clear )?effect\b|"
    r"\bworked\b|\bdid not work\b|\bheeft gewerkt\b|\bwerkt niet\b",
    re.I,
)


def typed_facts(markdown: str) -> list[str]:
    """The numbers and verdicts typed into one markdown cell, with some context."""
    m = _REF_HEAD.search(markdown)
    text = markdown[: m.start()] if m else markdown
    for pat in _STRIP:
        text = pat.sub(" ", text)
    found = []
    for n in _NUMBER.finditer(text):
        before = text[max(0, n.start() - 60) : n.start()]
        if re.fullmatch(r"(?:18|19|20)\d\d[a-z]?", n.group()) and _CITE_BEFORE.search(before):
            continue  # a citation year
        found.append(" ".join(text[max(0, n.start() - 30) : n.end() + 20].split()))
    found += [f"number word: {w.group()}" for w in _NUMBER_WORD.finditer(text)]
    found += [
        f"verdict: {' '.join(text[max(0, v.start() - 30) : v.end() + 20].split())}"
        for v in _VERDICTS.finditer(text)
    ]
    return found


def test_rule_catches_typed_facts():
    # the rule itself: data facts and verdicts fail, citations / formulas / code / names pass
    assert typed_facts("Five coalitions also measured a comparison group.")
    assert typed_facts("The pooled change is -0.9 points.")
    assert typed_facts("the 345 municipalities of 2022")
    assert typed_facts("Joining the programme significantly reduced loneliness.")
    assert typed_facts("Yes: the intervention was effective.")
    assert not typed_facts(
        "Riley, Higgins & Deeks (2011) and Goodman-Bacon (2021, Theorem 1); Borenstein et al. 2009, ch. 19-20."
    )
    assert not typed_facts(
        "$\\hat\\mu \\pm t_{k-2}\\sqrt{SE^2 + \\tau^2}$ with `CONFIDENCE = 0.95` (section 7, eq. 10)."
    )
    assert not typed_facts("## 3 · The DJG-11 and COVID-19\n\n1. a 2×2 DiD\n2. step 2")
    assert not typed_facts("## References\n\n* Lakens, D. (2013). Frontiers, 4, 863.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_markdown_states_no_data_fact_or_verdict(path):
    nb = nbformat.read(path, as_version=4)
    bad = [
        f"cell {i}: {hit}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown"
        for hit in typed_facts(c.source)
    ]
    assert not bad, (
        f"{path.name}: numbers or verdicts typed into markdown (compute them in a code cell):\n"
        + "\n".join(bad)
    )


# ------------------------------------------------------------------ (b) another seed, still true
OTHER_SEED = 7  # any seed other than the bundled ones (2016 panel, 2022 interventions)


def _parameters(nb) -> str:
    return next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))


def _conclusion(nb) -> str:
    cell = next(c for c in nb.cells if "conclusion" in c.metadata.get("tags", []))
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _num(pattern: str, text: str) -> list[float]:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not found in the conclusion:\n{text}"
    return [float(g) for g in m.groups()]


def _check_01(text: str, seed: int) -> None:
    from evalkit import datasets
    from evalkit.methods.did import staggered

    panel, truth = datasets.generate_municipal_panel(seed, return_truth=True)
    res = staggered(
        panel, outcome="lonely_pct", unit="municipality_code", time="year", first_treated="joined_year"
    )
    simple = res.aggregate("simple").tidy().iloc[0]
    est, lo, hi = _num(
        r"on average (-?\d+\.\d+) percentage points.*?95% CI (-?\d+\.\d+) to (-?\d+\.\d+)", text
    )
    # the printed estimate is the simple ATT of these data (computed here independently)
    assert est == pytest.approx(simple["estimate"], abs=0.006)
    assert f"seed {seed}" in text and "Synthetic example data" in text
    (mbar,) = _num(r"up to M̄ = (\d+(?:\.\d+)?)", text) if "M̄ =" in text else ([float("nan")])
    if hi < 0:
        expected = "consistent with joining" if mbar >= 1 else "fragile"
    elif lo > 0:
        expected = "rose more"
    else:
        expected = "do not show a clear change"
    assert expected in text.split(".")[0], (expected, text)
    # ... and true: the generator's effect is a reduction, so no verdict of an increase
    assert truth["att_simple"] < 0 and "rose more" not in text


def _check_02(text: str, seed: int) -> None:
    from evalkit import datasets, meta, scales

    raw, truth = datasets.generate_interventions(seed=seed, return_truth=True)
    df = raw.assign(total=scales.score(raw, "djg11")["total"])
    iv = df[df["group"] == "intervention"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        es = meta.effect_sizes(iv, outcome="total", effect="mean_diff", unit="participant_id", time="wave")
    pooled = meta.random_effects(es, estimate="estimate", std_error="std_error", prediction="t")
    est, pi_lo, pi_hi = _num(
        r"mean change was (-?\d+\.\d+) DJG-11 points.*?predicted (?:anywhere )?between (-?\d+\.\d+) and (-?\d+\.\d+)",
        text,
    )
    assert est == pytest.approx(pooled.estimate(), abs=0.006)
    assert [pi_lo, pi_hi] == pytest.approx(
        [pooled.pi_lower, pooled.pi_upper], abs=0.006
    )  # the t(k-2) interval
    if pooled.pi_upper < 0:
        assert "can expect loneliness to fall" in text
    else:
        assert "no decrease can be promised" in text or "expect an increase" in text
    (p_perm,) = _num(r"permutation test p = (\d\.\d+)", text)
    assert ("Intervention types differed" in text) == (p_perm < 0.05)
    assert f"seed {seed}" in text and "Synthetic example data" in text
    # true: every generated coalition improves on average, so no verdict of an average increase
    assert truth["coalitions"]["true_change"].mean() < 0 and "increased on average" not in text


def _check_03(text: str, seed: int) -> None:
    """Notebook 03 (COSMIN validation of the youth draft): the DIF item, the ICC(2,1) lower
    limits and the DIF hypothesis's d agree with numbers computed here, and with the truth."""
    import evalkit
    from evalkit import datasets, scales
    from evalkit import validation as V

    raw, truth = datasets.generate_youth(seed=seed, return_truth=True)
    t1 = raw[raw["wave"] == "t1"].reset_index(drop=True)
    assert f"seed {seed}" in text and "Synthetic example data" in text
    assert f"On {len(t1):,} respondents" in text
    scale = evalkit.load_codebook("youth_instrument").scale
    its = scale["subscales"]["emotional"]
    keyed = t1[its].astype(float)
    rev = [i for i in scale["scoring"]["reverse"] if i in its]
    keyed[rev] = 4 - keyed[rev]
    d = keyed.assign(gender=t1["gender"])
    d = d[d["gender"].isin(["jongen", "meisje"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged = list(V.dif(d, items=its, group="gender", reference="jongen").flagged)
    assert flagged == [truth["dif"]["item"]]  # the screening finds the generator's DIF item
    assert f"Items with important DIF: {truth['dif']['item']} (gender)." in text
    sc = raw[["respondent_id", "wave"]].join(scales.score(raw, "youth_instrument"))
    for s in ("social", "emotional"):
        wide = sc.pivot_table(index="respondent_id", columns="wave", values=s)[["t1", "t2"]].dropna()
        lo = float(V.icc(wide).table.loc["ICC2", "ci_lower"])
        named = re.search(rf"below 0\.70 for [^:]*\b{s} \((\d\.\d\d)\)", text)
        assert bool(named) == (lo < 0.70), (s, lo)
        if named:
            assert float(named.group(1)) == pytest.approx(lo, abs=0.006)
    s1 = scales.score(t1, "youth_instrument").assign(gender=t1["gender"])
    s1 = s1[s1["gender"].isin(["jongen", "meisje"])]
    kg = V.known_groups(
        s1, score="emotional", group="gender", hypotheses=[{"higher": "meisje", "lower": "jongen"}]
    )
    (d_with, _d_without) = _num(r"d = (-?\d\.\d\d) with it, (-?\d\.\d\d) without it", text)
    assert d_with == pytest.approx(float(kg.tidy()["cohens_d"].iloc[0]), abs=0.006)
    assert "the EFA puts every item with its true factor: yes" in text


SEEDED_CHECKS = {
    "01_programme_effect.ipynb": _check_01,
    "02_intervention_synthesis.ipynb": _check_02,
    "03_youth_instrument_validation.ipynb": _check_03,
}
#: Notebooks without example data to redraw (real data only).
REAL_DATA_ONLY = {"04_monitoring.ipynb": "real Health Monitor data only: no example data to redraw"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_on_another_seed_still_says_true_things(path, tmp_path, record_property):
    import papermill as pm

    if path.name in REAL_DATA_ONLY:
        pytest.skip(REAL_DATA_ONLY[path.name])
    assert path.name in SEEDED_CHECKS, f"{path.name}: no conclusion check for another seed (SEEDED_CHECKS)"
    nb = nbformat.read(path, as_version=4)
    assert re.search(r"^DATA_SEED\s*=", _parameters(nb), re.M), f"{path.name}: no DATA_SEED parameter"
    start = time.perf_counter()
    out = pm.execute_notebook(
        str(path),
        str(tmp_path / path.name),
        parameters={"DATA_SEED": OTHER_SEED},
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        execution_timeout=CELL_TIMEOUT,
        progress_bar=False,
        log_output=False,
    )
    record_property("wall_time_s", round(time.perf_counter() - start, 2))
    SEEDED_CHECKS[path.name](" ".join(_conclusion(out).split()), OTHER_SEED)


# ------------------------------------------------------------------ (c) Dutch numbers in a Dutch run
# A Dutch run writes every number with the Dutch decimal comma ("0,30 punt per jaar", never
# "0.30"): numbers are formatted before they go into a catalogue text (fmt_number / fmt_p /
# fmt_ci, or the notebook's decimals() helper). Years and counts have no decimal mark and pass.
# Not numbers in the text, so not checked: dotted version strings (1.26.4), DOIs and web
# addresses (10.1016/..., https://...), a version after "v" (v2.1). A Dutch thousands separator
# (1.000) cannot be told from an English decimal point (1.238), so it counts as one: the notebooks
# checked here print no number of 1,000 or more.
_NOT_A_NUMBER = [
    re.compile(r"https?://\S+"),
    re.compile(r"\b10\.\d{4,}/\S+"),  # DOI
    re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.])"),  # version string
    re.compile(r"\bv\d+(?:\.\d+)+\b"),
]
_DECIMAL_POINT = re.compile(r"\d\.\d")


def decimal_points(text: str) -> list[str]:
    """Numbers written with a decimal point in ``text`` (Dutch output), with some context."""
    for pat in _NOT_A_NUMBER:
        text = pat.sub(" ", text)
    return [
        " ".join(text[max(0, m.start() - 40) : m.end() + 30].split()) for m in _DECIMAL_POINT.finditer(text)
    ]


def test_rule_catches_decimal_points():
    assert decimal_points("Een afwijkende trend van 0.30 punt per jaar")
    assert decimal_points("TWFE = -0.564 (regressie: -0.564)")
    assert decimal_points("verschil 3.2e-15")
    assert decimal_points("cohorten 2018: +0.12; 2019: -1.05")
    assert not decimal_points("Een afwijkende trend van 0,30 punt per jaar; 2016-2024, 345 gemeenten, 80%")
    assert not decimal_points(
        "numpy 1.26.4, pandas 2.2.3; https://doi.org/10.1016/j.jeconom.2020.12.001; v2.1"
    )


#: Notebooks whose Dutch run (papermill, ``LANG = "nl"``) must print no number with a decimal point.
DUTCH_NUMBERS = ["01_programme_effect.ipynb"]


@pytest.mark.parametrize("name", DUTCH_NUMBERS)
def test_dutch_run_prints_dutch_decimal_commas(name, tmp_path):
    import papermill as pm

    out = pm.execute_notebook(
        str(NOTEBOOK_DIR / name),
        str(tmp_path / name),
        parameters={"LANG": "nl"},
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        execution_timeout=CELL_TIMEOUT,
        progress_bar=False,
        log_output=False,
    )
    # every printed text (stream output) of every code cell; papermill's injected parameters
    # cell comes first, so report cells by their index in the stored notebook
    cells = [c for c in out.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert len(cells) == len(nbformat.read(NOTEBOOK_DIR / name, as_version=4).cells)
    printed = {
        i: "".join(
            o.get("text", "") for o in c.outputs if o.output_type == "stream" and o.get("name") == "stdout"
        )
        for i, c in enumerate(cells)
        if c.cell_type == "code"
    }
    # the check cannot pass on an empty or English run: Dutch texts with decimal commas are printed
    assert any("Synthetische voorbeelddata" in s for s in printed.values())
    assert sum(len(re.findall(r"\d,\d", s)) for s in printed.values()) >= 20
    bad = [f"cell {i}: {hit}" for i, s in printed.items() for hit in decimal_points(s)]
    assert not bad, f"{name} (LANG = 'nl') prints numbers with a decimal point:\n" + "\n".join(bad)
