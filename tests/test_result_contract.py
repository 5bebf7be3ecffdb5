"""Meta-test of the result contract (design.md "Results"), in the spirit of scikit-learn's
``check_estimator``: every public analysis function returns a :class:`evalkit.results.Result`
that

- gives ``tidy()``: a DataFrame whose first columns are exactly
  ``term, estimate, std_error, ci_lower, ci_upper, p_value, n``, snake_case column names,
  one scalar per cell (no arrays or lists), no duplicate column names;
- gives ``summary(lang="nl")`` and ``summary(lang="en")``: non-empty, different texts, and
  refuses other languages with a ParameterError;
- shows in JupyterLab (``_repr_html_``) and as text (``str``) in the session language;
- has a keyword-only ``plot()`` that returns a matplotlib Axes/Figure, or says clearly that
  the result has no figure (:class:`evalkit.errors.NoFigureError`);
- has one accessor for a single number: ``estimate(term)``, equal to the tidy row;
- documents what its ``n`` counts (the class docstring has a line starting with ``n``).

The calls come from the good-data table of ``test_bad_arguments.py`` (``TARGETS``), so a new
public function gets both checks by adding one line there. ``test_every_public_function_is_
covered`` fails when a public function of a methods module is in neither table.
"""

from __future__ import annotations

import inspect
import re
import warnings
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from test_bad_arguments import NOT_YET_REVIEWED_TARGETS, TARGETS  # noqa: E402  (same folder)

import evalkit
from evalkit.core.errors import NoFigureError, ParameterError
from evalkit.core.results import TIDY_COLUMNS, Result

matplotlib.use("Agg")

#: Modules whose public functions are analyses (must return a Result) unless listed below.
METHOD_MODULES = ("prepost", "meta", "funnel", "did", "validation", "power", "monitoring")

#: Public functions that are not analyses, with the reason.
NOT_ANALYSES = {
    "meta.effect_sizes": "turns pre/post data into one row per coalition for random_effects (data)",
    "funnel.binomial_limit": "control-limit helper: numbers for a given n",
    "did.simulate_staggered": "example-data generator with known truth",
    "did.true_att": "the known truth of a simulated panel (a number)",
    "monitoring.source_text": "the source sentence (text) printed under every Health Monitor figure",
    "monitoring.plot_safety_regions": "a figure function (small multiples), not an analysis",
    "monitoring.peer_method_text": "the sentence that explains the peer-group method (text)",
}


def _honest():
    from test_bad_arguments import DID, sim

    res = evalkit.did.staggered(sim(), **DID, first_treated="g", base_period="universal")
    return evalkit.did.honest(res.aggregate("dynamic"), method="relative_magnitudes", mbar=[0.5, 1.0])


def _scaled_difference():
    from test_bad_arguments import OM, ordinal3

    inv = evalkit.validation.invariance(ordinal3(), OM, group="g", estimator="WLSMV")
    return evalkit.validation.scaled_difference_test(inv.fits["thresholds"], inv.fits["configural"])


#: Analyses that take no DataFrame (planning, bundled public data, results of results).
CALLS = {
    "power.paired": lambda: evalkit.power.paired(effect=0.5, power=0.8),
    "power.mcnemar": lambda: evalkit.power.mcnemar(odds_ratio=2.0, discordant=0.3, power=0.8),
    "power.did_2x2": lambda: evalkit.power.did_2x2(effect=0.4, power=0.8, clusters=20, icc=0.05),
    "power.simulate": lambda: evalkit.power.simulate(n=(150,), n_rep=3, seed=1),
    "monitoring.compare": lambda: evalkit.monitoring.compare("GM0363"),
    "monitoring.peer_group": lambda: evalkit.monitoring.peer_group("GM0363"),
    "monitoring.national_trend": lambda: evalkit.monitoring.national_trend(),
    "monitoring.change_vs_level": lambda: evalkit.monitoring.change_vs_level(),
    "monitoring.young_adults_regions": lambda: evalkit.monitoring.young_adults_regions(),
    "monitoring.model_funnel": lambda: evalkit.monitoring.model_funnel(),
    "validation.cosmin_table": lambda: evalkit.validation.cosmin_table(
        internal_consistency=0.85, reliability=0.75
    ),
    "validation.scaled_difference_test": _scaled_difference,
    # the whole COSMIN route; invariance left out to keep the contract test fast
    "validation.validation_study": lambda: evalkit.validation.validation_study(
        evalkit.datasets.load("youth"), invariance_groups=(), n_boot=0
    ),
    "did.honest": _honest,
}

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class _Call:
    name: str
    call: Any

    def good(self):
        return None


def _targets():
    for name, fn in CALLS.items():
        yield pytest.param(_Call(name, lambda _data, fn=fn: fn()), id=name)
    seen = set()
    for t in TARGETS + NOT_YET_REVIEWED_TARGETS:
        if t.name in seen:
            continue
        seen.add(t.name)
        if _is_result_call(t.name):
            yield pytest.param(t, id=t.name)


#: One result per target and test process, shared by the tests here and in
#: test_plotting_formatting.py and test_plotting_figures.py (they check the same results, so
#: a worker computes each once). Tests only read the results.
RESULTS: dict[str, Any] = {}


@pytest.fixture
def results_cache():
    return RESULTS


def _result_of(target, cache):
    if target.name not in cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # contract only; warnings are tested elsewhere
            cache[target.name] = target.call(target.good())
    return cache[target.name]


def _is_result_call(name: str) -> bool:
    base = name.split(" ")[0]
    module, _, function = base.partition(".")
    return module in METHOD_MODULES and base not in NOT_ANALYSES and not function.startswith("_")


@pytest.mark.parametrize("target", list(_targets()))
def test_result_contract(target, results_cache):
    res = _result_of(target, results_cache)
    assert isinstance(res, Result), f"{target.name} returned {type(res).__name__}, not a Result"

    # tidy()
    tidy = res.tidy()
    assert isinstance(tidy, pd.DataFrame)
    assert tuple(tidy.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS, list(tidy.columns)
    assert tidy.columns.is_unique
    assert all(SNAKE.match(str(c)) for c in tidy.columns), list(tidy.columns)
    for col in tidy.columns:
        for value in tidy[col]:
            assert not isinstance(value, (list, tuple, dict, np.ndarray, pd.Series, pd.DataFrame)), (
                f"{target.name}: cell in {col!r} holds a {type(value).__name__}"
            )
    assert len(tidy) > 0

    # summary()
    nl, en = res.summary(lang="nl"), res.summary(lang="en")
    assert isinstance(nl, str) and isinstance(en, str) and nl.strip() and en.strip()
    assert nl != en, f"{target.name}: Dutch and English summaries are identical"
    with pytest.raises(ParameterError):
        res.summary(lang="fr")
    assert str(res) == nl  # session language is Dutch by default
    html = res._repr_html_()
    assert isinstance(html, str) and html.startswith("<")

    # one accessor for one number
    term = tidy["term"].iloc[0]
    assert callable(res.estimate), f"{type(res).__name__}.estimate must be the accessor estimate(term)"
    if tidy["term"].is_unique and pd.notna(tidy["estimate"].iloc[0]):
        assert res.estimate(term) == pytest.approx(float(tidy["estimate"].iloc[0]), nan_ok=True)

    # n documented
    doc = inspect.getdoc(type(res)) or ""
    assert re.search(r"^\s*``?n``?\s*[:(-]|^\s*n\s*:", doc, re.M) or "``n``" in doc, (
        f"{type(res).__name__} does not say what n counts"
    )


@pytest.mark.parametrize("target", list(_targets()))
def test_plot_is_keyword_only_and_draws_or_says_no_figure(target, results_cache):
    import matplotlib.pyplot as plt

    res = _result_of(target, results_cache)
    params = list(inspect.signature(res.plot).parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert not positional, f"{type(res).__name__}.plot takes {positional} positionally"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            drawn = res.plot()
    except NoFigureError as exc:  # says so in both languages (English in str(exc), Dutch in exc.nl)
        assert "no figure" in str(exc) and "figuur" not in str(exc), str(exc)
        assert exc.nl and "geen figuur" in exc.nl and "no figure" not in exc.nl, exc.nl
        assert str(exc).startswith(f"{type(res).__name__}: ") and exc.nl.startswith(f"{type(res).__name__}: ")
        return
    finally:
        pass
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    ok = isinstance(drawn, (Axes, Figure)) or (
        isinstance(drawn, np.ndarray) and all(isinstance(a, Axes) for a in drawn.ravel())
    )
    assert ok, f"{type(res).__name__}.plot returned {type(drawn).__name__}"
    plt.close("all")


def _public_functions(module) -> list[str]:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if inspect.isfunction(getattr(module, n, None))]


def test_every_public_function_is_covered():
    covered = {t.name.split(" ")[0] for t in TARGETS + NOT_YET_REVIEWED_TARGETS} | set(CALLS)
    missing = []
    for mod_name in METHOD_MODULES:
        module = getattr(evalkit, mod_name)
        for fn in _public_functions(module):
            full = f"{mod_name}.{fn}"
            if full not in covered and full not in NOT_ANALYSES:
                missing.append(full)
    assert not missing, (
        "public functions without a good-data call in test_bad_arguments.TARGETS "
        f"(add one, or list them in NOT_ANALYSES with a reason): {missing}"
    )
