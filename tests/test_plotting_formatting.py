"""Numbers as a reader expects them (issue 18): years are years, one decimal convention per
language in every summary and HTML view, and the JupyterLab view shows the summary once.

- Years (cohorts, periods) are written ``2018``: never ``2.018`` (Dutch thousands point) nor
  ``2018,0000``, in summaries (``text_table``) and in the tidy table of ``_repr_html_``.
- Dutch summaries and HTML views write decimals with a comma, English ones with a point:
  checked for every result of the contract list (``test_result_contract.py``).
- ``_repr_html_`` follows the session language and shows the summary once (the full table
  folded away under ``<details>``).
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest
from test_result_contract import RESULTS, _result_of, _targets  # noqa: E402  (same folder)

import evalkit
from evalkit.core.language import language
from evalkit.core.text import fmt_sig, fmt_year, localize_numbers, text_table

TARGETS = list(_targets())

#: A decimal in the other language's notation: ``0.25`` in Dutch, ``0,25`` in English. Three
#: digits after the separator are left out (``1.500`` is fifteen hundred in Dutch).
_NL_BAD = re.compile(r"(?<![\w.,(])[−-]?(?:0\.\d+|\d+\.(?:\d{1,2}|\d{4,}))(?!\w|[.,]\d)")
_EN_BAD = re.compile(r"(?<![\w.,(])[−-]?(?:0,\d+|\d+,(?:\d{1,2}|\d{4,}))(?!\w|[.,]\d)")

#: Results whose texts are fixed when the result is made, with the reason.
BUILT_IN_ONE_LANGUAGE: dict[str, str] = {}


@pytest.fixture
def results_cache():
    return RESULTS  # shared with test_result_contract.py: each result computed once


def test_years_in_text_tables_are_years():
    df = pd.DataFrame(
        {"cohort": [2018.0, 2019.0], "time": [2017, 2020], "estimate": [1234.5, -0.25], "n": [1500, 20]}
    )
    nl = text_table(df, "nl", digits=4, index=False)
    en = text_table(df, "en", digits=4, index=False)
    for out in (nl, en):
        assert "2018" in out and "2017" in out and "2020" in out
        assert "2.018" not in out and "2,018" not in out and "2018," not in out and "2018." not in out
    assert "1.234,5000" in nl and "−0,2500" in nl and "1.500" in nl
    assert "1,234.5000" in en and "−0.2500" in en
    assert fmt_year(-3) == "−3" and fmt_year(2018.0) == "2018" and fmt_year(float("nan")) == "–"


def test_number_helpers():
    assert fmt_sig(0.123456, "nl") == "0,1235" and fmt_sig(0.123456, "en") == "0.1235"
    assert fmt_sig(12345.6, "nl") == "12.346" and fmt_sig(2.5e-9, "en") == "2.500e−9"
    assert (
        localize_numbers("rho = 0.5, icc = 0.05, v1.2.3, n = 1500.", "nl")
        == "rho = 0,5, icc = 0,05, v1.2.3, n = 1500."
    )
    assert localize_numbers("rho = 0.5", "en") == "rho = 0.5"


def test_staggered_summary_and_view_write_years_as_years():
    from evalkit.methods.did import staggered

    panel = evalkit.datasets.load("municipal_panel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = staggered(
            panel, outcome="lonely_pct", unit="municipality_code", time="year", first_treated="joined_year"
        )
    for lang in ("nl", "en"):
        texts = [
            res.summary(lang),
            res.aggregate("group").summary(lang),
            res.aggregate("calendar").summary(lang),
        ]
        with language(lang):
            texts.append(res._repr_html_())
        for text in texts:
            assert "2018" in text
            assert not re.search(r"(?<!\()\b20[12]\d[.,]\d|\b2[.,]0[12]\d\b", text), re.search(
                r".{30}((?<!\()\b20[12]\d[.,]\d|\b2[.,]0[12]\d\b).{30}", text, re.S
            )


@pytest.mark.parametrize("target", TARGETS)
def test_one_decimal_convention_per_language(target, results_cache):
    if target.name in BUILT_IN_ONE_LANGUAGE:
        pytest.skip(BUILT_IN_ONE_LANGUAGE[target.name])
    res = _result_of(target, results_cache)
    for lang, bad in (("nl", _NL_BAD), ("en", _EN_BAD)):
        summary = res.summary(lang=lang)
        with language(lang):
            view = res._repr_html_()
        cells = [c.strip() for c in re.findall(r"<td>([^<]*)</td>", view)]
        wrong = bad.findall(summary) + [c for c in cells if bad.fullmatch(c)]
        assert not wrong, f"{type(res).__name__} ({lang}): {wrong[:5]}"


@pytest.mark.parametrize("target", TARGETS[:12])
def test_html_view_follows_the_session_language_and_shows_the_summary_once(target, results_cache):
    res = _result_of(target, results_cache)
    for lang in ("nl", "en"):
        with language(lang):
            view = res._repr_html_()
        assert view.count("<pre") == 1
        first_line = res.summary(lang).splitlines()[0]
        assert view.count(re.sub("&", "&amp;", first_line).replace("'", "&#x27;")[:40]) <= 2  # title + text
        if "<details" in view:  # the full table folded away, not repeated above it
            assert "<table" not in view[: view.index("<details")]
        else:
            assert view.count("<table") <= 1
