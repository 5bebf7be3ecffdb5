"""Notebook 03 (COSMIN validation of the youth draft) on another seed of its example data:
the printed conclusion agrees with numbers computed here independently, and with the
generator's truth (issue 18)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "03_youth_instrument_validation.ipynb"
OTHER_SEED = 7


def test_notebook03_markdown_has_no_digits_outside_citations():
    nb = nbformat.read(NB, as_version=4)
    for c in nb.cells:
        if c.cell_type != "markdown" or c.source.lstrip().startswith("## References"):
            continue
        text = re.sub(r"`[^`]*`", " ", c.source)
        text = re.sub(r"^#+\s*\d+\s*·", " ", text, flags=re.M)
        text = re.sub(r"(?:et al\.|[A-Z][a-z]+|&)\s*\(?(?:19|20)\d\d\)?", " ", text)  # citations
        assert not re.search(r"\d", text), text
    params = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert re.search(r"^DATA_SEED\s*=", params, re.M)


def test_notebook03_on_another_seed_says_true_things(tmp_path):
    import papermill as pm

    from evalkit import datasets, scales
    from evalkit import validation as V

    out = pm.execute_notebook(
        str(NB),
        str(tmp_path / NB.name),
        parameters={"DATA_SEED": OTHER_SEED},
        kernel_name="python3",
        cwd=str(NB.parent),
        execution_timeout=600,
        progress_bar=False,
        log_output=False,
    )
    cell = next(c for c in out.cells if "conclusion" in c.metadata.get("tags", []))
    text = " ".join("".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").split())
    assert f"seed {OTHER_SEED}" in text and "Synthetic example data" in text

    raw, truth = datasets.generate_youth(seed=OTHER_SEED, return_truth=True)
    t1 = raw[raw["wave"] == "t1"].reset_index(drop=True)
    assert f"On {len(t1):,} respondents" in text
    # the DIF item: independently, by gender on the emotional subscale (reverse-keyed)
    cb_scale = __import__("evalkit").load_codebook("youth_instrument").scale
    its = cb_scale["subscales"]["emotional"]
    keyed = t1[its].astype(float)
    rev = [i for i in cb_scale["scoring"]["reverse"] if i in its]
    keyed[rev] = 4 - keyed[rev]
    d = keyed.assign(gender=t1["gender"])
    d = d[d["gender"].isin(["jongen", "meisje"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged = list(V.dif(d, items=its, group="gender", reference="jongen").flagged)
    assert flagged == [truth["dif"]["item"]]
    assert f"Items with important DIF: {truth['dif']['item']} (gender)." in text
    assert f"True DIF item: {truth['dif']['item']}; DIF screening flags {truth['dif']['item']}" in text
    # ICC(2,1) lower limits below .70 are named, the others are not
    sc = scales.score(raw, "youth_instrument")
    both = raw[["respondent_id", "wave"]].join(sc)
    for s in ("social", "emotional"):
        wide = both.pivot_table(index="respondent_id", columns="wave", values=s)[["t1", "t2"]].dropna()
        lo = float(V.icc(wide).table.loc["ICC2", "ci_lower"])
        named = re.search(rf"below 0\.70 for [^:]*\b{s} \((\d\.\d\d)\)", text)
        assert bool(named) == (lo < 0.70), (s, lo)
        if named:
            assert float(named.group(1)) == pytest.approx(lo, abs=0.006)
    # the known-groups hypothesis on the DIF item, with and without it
    sc1 = scales.score(t1, "youth_instrument").assign(gender=t1["gender"])
    sc1 = sc1[sc1["gender"].isin(["jongen", "meisje"])]
    kg = V.known_groups(
        sc1, score="emotional", group="gender", hypotheses=[{"higher": "meisje", "lower": "jongen"}]
    )
    d_with = float(kg.tidy()["cohens_d"].iloc[0])
    m = re.search(r"d = (-?\d\.\d\d) with it, (-?\d\.\d\d) without it", text)
    assert m and float(m.group(1)) == pytest.approx(d_with, abs=0.006)
    # the truth: two factors, found
    assert "truth 2; the EFA puts every item with its true factor: yes" in text
    assert np.isfinite(d_with)
