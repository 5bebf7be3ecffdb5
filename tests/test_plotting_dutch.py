"""Dutch figures write numbers with a decimal comma (``0,25``), English ones with a point.

One mechanism (:func:`evalkit.plotting.localize_axes`) called at the end of every
``plot()`` that takes ``lang``; these tests draw real library figures in both languages
and compare their numeric tick labels.
"""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import evalkit  # noqa: E402
from evalkit.core import plotting  # noqa: E402
from evalkit.core.i18n import fmt_number  # noqa: E402

POINT = re.compile(r"\d\.\d")
COMMA = re.compile(r"\d,\d")
NUMERIC = re.compile(r"^[−\-+]?[\d.,]+$")


def _labels(ax) -> list[str]:
    """Non-empty numeric tick labels of every axis in ax's figure (incl. colour bars)."""
    ax.figure.canvas.draw()
    out = []
    for a in ax.figure.get_axes():
        for t in [*a.get_xticklabels(), *a.get_yticklabels()]:
            s = t.get_text().strip("$").replace("\\mathdefault{", "").rstrip("}")
            if s and NUMERIC.match(s):
                out.append(s)
    return out


def _retest_scores():
    rng = np.random.default_rng(5)
    t = rng.normal(1, 0.3, 80)  # small scores: decimal ticks on both axes
    return pd.DataFrame({"t1": t + rng.normal(0, 0.1, 80), "t2": t + rng.normal(0, 0.1, 80)})


def _ordinal():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(300, 1))
    y = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(300, 4))
    return pd.DataFrame(np.digitize(y, [-0.8, 0.0, 0.8]), columns=list("abcd"))


def _norms_data():
    rng = np.random.default_rng(2)
    return pd.DataFrame({"s": rng.integers(0, 12, 400), "sex": rng.choice(["a", "b"], 400)})


def _meta_data():
    return pd.DataFrame({"yi": [0.1, 0.3, 0.25, 0.5, 0.05, 0.42], "vi": [0.02, 0.03, 0.01, 0.05, 0.02, 0.04]})


val = evalkit.validation
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

RESULTS = {
    "bland_altman": lambda: val.bland_altman(_retest_scores()),
    "reliability": lambda: val.reliability(_ordinal(), items=list("abcd"), n_boot=0),
    "efa (heat map + colour bar)": lambda: val.efa(_ordinal(), items=list("abcd"), n_factors=1),
    "polychoric (heat map)": lambda: val.polychoric(_ordinal(), list("abcd")),
    "cfa WLSMV (loadings)": lambda: val.cfa(_ordinal(), "f =~ a + b + c + d", estimator="WLSMV"),
    "roc": lambda: val.roc(
        pd.DataFrame(
            {
                "score": np.arange(40) % 7 + np.arange(40) / 40,
                "reference": (np.arange(40) % 3 == 0).astype(int),
            }
        ),
        score="score",
        reference="reference",
    ),
    "meta.random_effects": lambda: evalkit.meta.random_effects(_meta_data(), estimate="yi", variance="vi"),
}


@pytest.mark.parametrize("name", list(RESULTS))
def test_library_plot_uses_decimal_comma_in_dutch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = RESULTS[name]()
        try:
            en = _labels(res.plot(lang="en"))
            nl = _labels(res.plot(lang="nl"))
        finally:
            plt.close("all")
    assert any(POINT.search(s) for s in en), f"{name}: no decimal tick labels to compare: {en}"
    assert not any(COMMA.search(s) for s in en), en
    assert not any(POINT.search(s) for s in nl), nl
    assert any(COMMA.search(s) for s in nl), nl
    # the same ticks, only the separator differs
    assert sorted(nl) == sorted(s.translate(str.maketrans(".,", ",.")) for s in en)


# figures whose axes happen to have whole-number ticks: the formatter is still the Dutch one
WHOLE = {
    "norms": lambda: val.norms(_norms_data(), score="s", by=["sex"], min_cell=5),
    "item_analysis": lambda: val.item_analysis(_ordinal(), items=list("abcd")),
}


@pytest.mark.parametrize("name", list(WHOLE))
def test_library_plot_with_whole_ticks_is_localized(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = WHOLE[name]()
        try:
            ax_nl = res.plot(lang="nl")
            kinds_nl = {type(a.xaxis.get_major_formatter()).__name__ for a in ax_nl.figure.get_axes()} | {
                type(a.yaxis.get_major_formatter()).__name__ for a in ax_nl.figure.get_axes()
            }
            ax_en = res.plot(lang="en")
            kinds_en = {type(a.xaxis.get_major_formatter()).__name__ for a in ax_en.figure.get_axes()} | {
                type(a.yaxis.get_major_formatter()).__name__ for a in ax_en.figure.get_axes()
            }
        finally:
            plt.close("all")
    assert "DutchFormatter" in kinds_nl
    assert "DutchFormatter" not in kinds_en


def test_localize_axes_matches_fmt_number_and_is_idempotent():
    ax = plotting.new_axes()
    ax.plot([0, 1], [0, 0.5])
    ax.set_yticks([0, 0.25, 0.5])
    ax.set_xticks([0, 0.5, 1])
    plotting.localize_axes(ax, "nl")
    plotting.localize_axes(ax, "nl")  # twice must not swap back
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == [fmt_number(v, 2, "nl") for v in (0, 0.25, 0.5)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0,0", "0,5", "1,0"]
    plt.close("all")


def test_localize_axes_english_unchanged_and_categories_left_alone():
    ax = plotting.new_axes()
    ax.bar(["0.5 jaar", "b"], [0.25, 0.5])
    ax.set_yticks([0, 0.25, 0.5])
    before = type(ax.yaxis.get_major_formatter())
    assert plotting.localize_axes(ax, "en") is ax
    assert type(ax.yaxis.get_major_formatter()) is before
    plotting.localize_axes(ax.figure, "nl")  # a Figure works too
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5 jaar", "b"]  # a category, not a number
    assert "0,25" in [t.get_text() for t in ax.get_yticklabels()]
    plt.close("all")


def test_localize_axes_thousands_and_texts():
    ax = plotting.new_axes()
    ax.plot([0, 1], [0, 2500.5])
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.1f}"))
    ax.set_yticks([0, 1234.5])
    ax.text(0, 0, "0.45")
    ax.text(0, 1, "n = 1.234")  # already Dutch text: never touched
    plotting.localize_axes(ax, "nl", texts=True)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0,0", fmt_number(1234.5, 1, "nl")]
    assert [t.get_text() for t in ax.texts] == ["0,45", "n = 1.234"]
    plt.close("all")


def test_localize_axes_bad_lang():
    with pytest.raises(evalkit.ParameterError, match="lang"):
        plotting.localize_axes(None, "de")
