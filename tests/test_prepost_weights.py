"""prepost.paired(weights=): weighted mean difference against R lm + sandwich."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataValidationError
from evalkit.methods.prepost import paired

REF = Path(__file__).parent / "reference" / "prepost_weights"


def test_weighted_paired_matches_r_sandwich():
    d = pd.read_csv(REF / "paired_weighted.csv")
    ref = json.loads((REF / "reference.json").read_text())
    r = paired(d, outcome="total", unit="id", time="wave", weights="w").tidy()
    row = r.set_index("term").loc["mean_diff"]
    for k in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
        assert_allclose(row[k], ref[k], rtol=1e-10)
    assert row["n"] == ref["n"]
    # weighted d_z = weighted mean / weighted SD of the differences
    dd = d.pivot(index="id", columns="wave", values="total")
    diff = (dd["post"] - dd["pre"]).to_numpy()
    w = d.groupby("id")["w"].first().loc[dd.index].to_numpy()
    m = w @ diff / w.sum()
    sd = np.sqrt(len(w) / (len(w) - 1) * (w @ (diff - m) ** 2) / w.sum())
    assert_allclose(r.set_index("term").loc["d_z", "estimate"], m / sd, rtol=1e-12)


def test_weights_of_one_equal_unweighted():
    d = pd.read_csv(REF / "paired_weighted.csv")
    a = paired(d, outcome="total", unit="id", time="wave").tidy().set_index("term")
    b = (
        paired(d.assign(one=1.0), outcome="total", unit="id", time="wave", weights="one")
        .tidy()
        .set_index("term")
    )
    cols = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]
    assert_allclose(
        b.loc["mean_diff", cols].astype(float), a.loc["mean_diff", cols].astype(float), rtol=1e-12
    )
    for term in ("d_z", "d_av", "g_av"):
        assert_allclose(b.loc[term, "estimate"], a.loc[term, "estimate"], rtol=1e-12)


def test_weights_bad_input():
    d = pd.read_csv(REF / "paired_weighted.csv")
    with pytest.raises(DataValidationError, match="positive"):
        paired(d.assign(w=-1.0), outcome="total", unit="id", time="wave", weights="w")
    bad = d.copy()
    bad.loc[1, "w"] = 99.0
    with pytest.raises(DataValidationError, match="same for the pre and post"):
        paired(bad, outcome="total", unit="id", time="wave", weights="w")
