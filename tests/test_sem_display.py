"""SEM summaries and HTML views (issue 18): one decimal convention per language (Dutch
comma, English point) for every estimator, readable p-values, compact summary tables, the
full tables as an appendix, never scientific notation. The numbers themselves stay
unrounded in tidy(), .parameters and .table."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.core.errors import DataQualityWarning
from evalkit.core.language import language
from evalkit.methods.validation.sem import cfa, invariance, scaled_difference_test
from evalkit.methods.validation.sem.display import p_cell

REF_ROOT = Path(__file__).parent / "reference"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
BFI = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
AC = [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]

SCIENTIFIC = re.compile(r"\d[eE][-+]?\d")
#: a decimal number in the other language's convention: a leading 0 followed by the
#: other separator (never a thousands separator)
WRONG_DECIMAL = {"nl": re.compile(r"(?<![\d.,])0\.\d"), "en": re.compile(r"(?<![\d.,])0,\d")}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def results():
    hs = pd.read_csv(REF_ROOT / "lavaan" / "holzinger1939.csv")
    hs_miss = pd.read_csv(REF_ROOT / "lavaan_mlr" / "holzinger_missing.csv")
    bfi = pd.read_csv(REF_ROOT / "lavaan_ordinal" / "bfi_AC.csv")
    inv = invariance(hs, HS, group="school")
    out = {
        "ml": cfa(hs, HS),
        "mlr_fiml": _quiet(cfa, hs_miss, HS, estimator="MLR", missing="fiml"),
        "wlsmv": _quiet(cfa, bfi[AC], BFI, estimator="WLSMV"),
        "invariance": inv,
        "partial": inv.partial("scalar"),
        "difference": scaled_difference_test(inv.fits["scalar"], inv.fits["metric"]),
    }
    return out


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name", ["ml", "mlr_fiml", "wlsmv", "invariance", "partial", "difference"])
def test_no_scientific_notation_and_one_decimal_convention(results, name, lang):
    res = results[name]
    with language(lang):
        views = {"summary": res.summary(lang), "html": res._repr_html_()}
        if hasattr(res, "appendix"):
            views["appendix"] = res.appendix(lang).to_string()
    for view, text in views.items():
        assert not SCIENTIFIC.search(text), f"{name} {view}: {SCIENTIFIC.search(text).group()}"
        wrong = WRONG_DECIMAL[lang].search(text)
        assert not wrong, f"{name} {view} ({lang}): {text[max(wrong.start() - 40, 0) : wrong.end() + 40]!r}"


def test_wlsmv_appendix_is_the_full_readable_table(results):
    res = results["wlsmv"]
    app = res.appendix("nl")
    assert len(app) == len(res.parameters)  # every parameter, thresholds included
    p = app["p"]
    assert (p == "< 0,001").sum() >= 10  # p-values of 1e-200 read as "< 0,001"
    assert "standaardfout" in app.columns and "vast" in set(app["standaardfout"])
    en = res.appendix("en")
    assert "std. error" in en.columns and (en["p"] == "< 0.001").sum() == (p == "< 0,001").sum()
    # the numbers stay unrounded where they are numbers
    assert res.tidy()["p_value"].min() < 1e-100
    with language("nl"):
        html = res._repr_html_()
    assert "<details>" in html and f"Bijlage: alle parameters ({len(app)})" in html
    with language("en"):
        assert f"Appendix: all parameters ({len(app)})" in res._repr_html_()


def test_invariance_summary_is_compact_with_readable_p(results):
    inv = results["invariance"]
    nl, en = inv.summary("nl"), inv.summary("en")
    assert "< 0,001" in nl and "< 0.001" in en  # scalar vs metric: p = 4e-7
    header = next(line for line in nl.splitlines() if "RMSEA" in line and "chi2" in line)
    for wide in ("tli", "srmr", "lrt_invariant", "delta_chi2", "p_value"):
        assert wide not in header
    assert "nee / nee / ja" in nl and "no / no / yes" in en
    # the full table is in the HTML appendix and in .appendix(); the numbers in .table
    app = inv.appendix("en")
    assert list(app.columns) == list(inv.table.columns)
    assert app.loc["scalar", "p_value"] == "< 0.001"
    assert inv.table.loc["scalar", "p_value"] < 1e-6


def test_difference_test_summary_reads_p(results):
    d = results["difference"]
    assert "p < 0,001" in d.summary("nl") and "p < 0.001" in d.summary("en")


@pytest.mark.parametrize(
    ("p", "nl", "en"),
    [
        (2.594e-200, "< 0,001", "< 0.001"),
        (0.0321, "0,032", "0.032"),
        (0.5, "0,500", "0.500"),
        (np.nan, "–", "–"),
    ],
)
def test_p_cell(p, nl, en):
    assert p_cell(p, "nl") == nl and p_cell(p, "en") == en
