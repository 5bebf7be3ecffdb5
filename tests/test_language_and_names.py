"""The session language (evalkit.set_language) and the stable short module names."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

import evalkit
from evalkit.methods import prepost


@pytest.fixture()
def paired_result():
    df = pd.DataFrame(
        {"pid": [1, 1, 2, 2, 3, 3, 4, 4], "wave": ["pre", "post"] * 4, "score": [5, 3, 6, 5, 7, 4, 4, 4]}
    )
    return prepost.paired(df, outcome="score", unit="pid", time="wave")


def test_set_language_drives_summary_repr_and_html(paired_result):
    try:
        assert evalkit.get_language() == "nl"
        nl_text = str(paired_result)
        assert "Voor/na" in nl_text or "voor" in nl_text.lower()
        evalkit.set_language("en")
        en_text = str(paired_result)
        assert en_text == paired_result.summary(lang="en")
        assert repr(paired_result).endswith(en_text)
        assert paired_result.title["en"] in paired_result._repr_html_()
        assert paired_result.summary(lang="nl") == nl_text  # explicit lang wins
    finally:
        evalkit.set_language("nl")
    assert str(paired_result) == nl_text


def test_language_context_manager_restores(paired_result):
    from evalkit.core.language import language

    with language("en"):
        assert evalkit.get_language() == "en"
    assert evalkit.get_language() == "nl"


def test_set_language_refuses_unknown():
    with pytest.raises(ValueError, match="lang"):
        evalkit.set_language("fr")


@pytest.mark.parametrize(
    ("short", "real"),
    [
        ("evalkit.prepost", "evalkit.methods.prepost"),
        ("evalkit.errors", "evalkit.core.errors"),
        ("evalkit.datasets", "evalkit.data.datasets"),
    ],
)
def test_short_names_are_the_same_modules(short, real):
    assert importlib.import_module(short) is importlib.import_module(real)


@pytest.mark.filterwarnings("error::evalkit.errors.SmallSampleWarning")
def test_pytest_warning_filters_by_short_path_work():
    import warnings

    from evalkit.core.errors import SmallSampleWarning

    with pytest.raises(SmallSampleWarning):
        warnings.warn(SmallSampleWarning("x"), stacklevel=1)


def test_deep_short_names_point_to_the_layered_path_and_keep_functions():
    """``import evalkit.did.staggered`` would replace the function did.staggered by its module;
    deeper names are refused with the layered path to use instead."""
    with pytest.raises(ModuleNotFoundError, match="evalkit.methods.did.staggered"):
        importlib.import_module("evalkit.did.staggered")
    import evalkit.methods.did.staggered  # noqa: F401  (the layered path works)

    assert callable(evalkit.did.staggered)
    assert callable(evalkit.validation.cfa)
