"""Every figure of every result is fit for a paper and has an alt text (issue 18).

Walks the same list of results as ``test_result_contract.py`` (every public analysis with
its good-data call) and draws each ``plot()`` in Dutch and English. On the matplotlib
objects it checks (:func:`evalkit.core.plotting.figure_problems`): a title, labelled
numeric axes, labelled colour bars, legend entries in distinct colours, the legend box
clear of data points, no two texts drawn over each other; and that the figure carries an
alt text in the plot's language with numbers written as in that language.
"""

from __future__ import annotations

import re
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pytest
from test_result_contract import RESULTS, _result_of, _targets  # noqa: E402  (same folder)

from evalkit.core import plotting
from evalkit.core.errors import NoFigureError

matplotlib.use("Agg")

pytestmark = pytest.mark.slow  # draws every figure of the library twice (~1 min on 2 cores)

TARGETS = list(_targets())


@pytest.fixture
def results_cache():
    return RESULTS  # shared with test_result_contract.py: each result computed once


@pytest.fixture(autouse=True, scope="module")
def _shared_style():
    """Figures drawn as in the notebooks and reports: in the shared style (larger fonts)."""
    with matplotlib.rc_context():
        plotting.set_style()
        yield


def _draw(res, lang):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # figures only; warnings are tested elsewhere
        try:
            return res.plot(lang=lang)
        except NoFigureError:
            return None
        except TypeError as exc:  # a plot without lang follows the session language
            if "lang" not in str(exc):
                raise
            from evalkit.core.language import language

            with language(lang):
                return res.plot()


#: Words of the generic alt text: English ones must not appear in a Dutch alt text and back.
_EN_ONLY = re.compile(r"\b(Figure|Estimates shown|horizontal axis|vertical axis)\b")
_NL_ONLY = re.compile(r"\b(Figuur|Getoonde schattingen|horizontale as|verticale as)\b")


@pytest.mark.parametrize("target", TARGETS)
def test_every_figure_is_fit_for_a_paper_and_has_an_alt_text(target, results_cache):
    res = _result_of(target, results_cache)
    texts = {}
    for lang in ("nl", "en"):
        drawn = _draw(res, lang)
        if drawn is None:
            pytest.skip("no figure")
        try:
            problems = plotting.figure_problems(drawn)
            assert not problems, f"{type(res).__name__}.plot(lang={lang!r}): " + "; ".join(problems)
            texts[lang] = plotting.own_alt_text(drawn)
        finally:
            plt.close("all")
    for text in texts.values():
        assert text and len(text) > 20, f"{type(res).__name__}: alt text {text!r}"
    assert texts["nl"] != texts["en"]
    assert not _EN_ONLY.search(texts["nl"]), texts["nl"]
    assert not _NL_ONLY.search(texts["en"]), texts["en"]
    # numbers written per language: no decimal point in Dutch, no decimal comma in English
    assert not re.search(r"\d\.\d\d?(?!\d)", texts["nl"]), texts["nl"]
    assert not re.search(r"\d,\d\d?(?!\d)", texts["en"]), texts["en"]
