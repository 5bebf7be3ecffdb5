"""Meta-test: every public function answers bad input with a clear evalkit error.

design.md: "A meta-test that calls every public function with bad arguments and expects
clear errors." Two tables, both easy to extend:

- ``TARGETS`` -- functions that take a DataFrame. Each is called with every variant of
  :data:`BAD_DATA` (not a DataFrame, 0 rows, no columns, NaN-only columns, one row, two
  rows, text columns, a non-default index). It must either return normally (warnings are
  fine) or raise an :class:`evalkit.EvalkitError` (``DataValidationError``,
  ``ParameterError``, ``EstimationError``, ``CodebookError``). A bare ``KeyError``,
  ``IndexError``, ``ZeroDivisionError``, ``TypeError``, numpy ``LinAlgError``/``AxisError``
  ... fails the test and shows its traceback.
- ``CASES`` -- one bad argument each, with the error class and a regular expression the
  message must match (it should name the parameter and, for options, the allowed values).

Modules that were not reviewed yet have their own clearly marked lists at the bottom
(``NOT_YET_REVIEWED_TARGETS`` / ``NOT_YET_REVIEWED_CASES``) for the lead to fill.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit import CodebookError, EvalkitError, ParameterError
from evalkit.core import i18n, plotting, privacy
from evalkit.core.checks import check_columns, check_confidence, check_lang, check_positive_int
from evalkit.data import codebook, excel_template, scales
from evalkit.methods import did as _did
from evalkit.methods import funnel as _funnel
from evalkit.methods import meta as _meta
from evalkit.methods import prepost
from evalkit.methods import validation as _val

matplotlib.use("Agg")

REF = Path(__file__).parent / "reference"


# ----------------------------------------------------------------------------------------
# good data (small, cached; callers get copies)
# ----------------------------------------------------------------------------------------
@cache
def _interventions() -> pd.DataFrame:
    df = evalkit.datasets.load("interventions")
    ids = df["participant_id"].drop_duplicates().iloc[:60]
    return df[df["participant_id"].isin(ids)].reset_index(drop=True)


def interventions() -> pd.DataFrame:
    return _interventions().copy()


def scored() -> pd.DataFrame:
    df = interventions()
    return df.assign(total=scales.score(df, "djg11")["total"].astype("Float64"))


@cache
def _holzinger() -> pd.DataFrame:
    return pd.read_csv(REF / "lavaan" / "holzinger1939.csv")


def holzinger() -> pd.DataFrame:
    return _holzinger().copy()


ITEMS = [f"djg{i}" for i in range(1, 12)]
EMOTIONAL = ["djg2", "djg3", "djg5", "djg6"]  # same keying: a positive alpha
P = dict(outcome="total", unit="participant_id", time="wave")
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


# ----------------------------------------------------------------------------------------
# the tables
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A function taking a DataFrame: ``call(data)`` runs it; ``good()`` makes valid data."""

    name: str
    call: Callable[[Any], Any]
    good: Callable[[], pd.DataFrame]


@dataclass(frozen=True)
class Case:
    """One bad argument: ``call()`` must raise ``error`` with a message matching ``match``."""

    name: str
    call: Callable[[], Any]
    error: type[BaseException] = EvalkitError
    match: str = ""


def _numeric_cell(good: pd.DataFrame, dtype: str, row: int, value: Any) -> pd.DataFrame:
    """Every numeric (not boolean) column as ``dtype`` with ``value`` in row ``row``."""
    return good.apply(
        lambda c: (
            c.astype(dtype).where(c.index != row, value)
            if pd.api.types.is_numeric_dtype(c) and not pd.api.types.is_bool_dtype(c)
            else c
        )
    )


#: Variants of a valid DataFrame that a user could plausibly pass: label -> how to make it
#: from the good data (each test builds only its own variant).
BAD_DATA: dict[str, Callable[[pd.DataFrame], Any]] = {
    "None": lambda good: None,
    "a number": lambda good: 5,
    "a list": lambda good: [[1, 2], [3, 4]],
    "a dict": lambda good: {"a": [1, 2]},
    "a Series": lambda good: good.iloc[:, 0],
    "0 rows": lambda good: good.iloc[:0],
    "no columns": lambda good: pd.DataFrame(index=range(3)),
    "NaN-only columns": lambda good: pd.DataFrame({c: [np.nan] * len(good) for c in good.columns}),
    "one row": lambda good: good.iloc[:1],
    "two rows": lambda good: good.iloc[:2],
    "text columns": lambda good: good.astype("str"),
    "non-default index": lambda good: good.set_axis([f"r{i}" for i in range(len(good))]),
    "every column twice": lambda good: pd.concat([good, good], axis=1),
    "nullable Float64 with <NA>": lambda good: _numeric_cell(good, "Float64", 1, pd.NA),
    "numbers as text": lambda good: good.apply(
        lambda c: c.astype("str") if pd.api.types.is_numeric_dtype(c) else c
    ),
    "infinite numbers": lambda good: _numeric_cell(good, "float64", 0, np.inf),
}


TARGETS: list[Target] = [
    # io / codebook
    Target("evalkit.validate", lambda d: evalkit.validate(d, "intervention"), interventions),
    # scales
    Target("scales.score djg11", lambda d: scales.score(d, "djg11"), interventions),
    Target("scales.score djg6", lambda d: scales.score(d, "djg6"), interventions),
    # prepost
    Target("prepost.paired", lambda d: prepost.paired(d, **P), scored),
    Target("prepost.proportion_change", lambda d: prepost.proportion_change(d, **P, cutoff=3), scored),
    Target("prepost.reliable_change", lambda d: prepost.reliable_change(d, **P, reliability=0.8), scored),
    Target(
        "prepost.reliable_change alpha", lambda d: prepost.reliable_change(d, **P, items=EMOTIONAL), scored
    ),
    Target("prepost.attrition", lambda d: prepost.attrition(d, **P, covariates=["gender", "age"]), scored),
    Target("prepost.by_group", lambda d: prepost.by_group(prepost.paired, d, by="gender", **P), scored),
    Target("prepost._cronbach_alpha", lambda d: prepost._cronbach_alpha(d, items=EMOTIONAL), interventions),
    Target("prepost.mixed", lambda d: prepost.mixed(d, **P, covariates=["age", "gender"]), scored),
    Target("prepost.impute", lambda d: prepost.impute(d, **P, covariates=["age"], n_iter=2), scored),
    # validation (CFA engine)
    Target("validation.cfa", lambda d: evalkit.validation.cfa(d, HS), holzinger),
    Target("validation.cfa group", lambda d: evalkit.validation.cfa(d, HS, group="school"), holzinger),
    Target(
        "validation.invariance", lambda d: evalkit.validation.invariance(d, HS, group="school"), holzinger
    ),
    # shared
    Target("privacy.suppress", lambda d: privacy.suppress(d, n="age", warn=False), interventions),
]

_cb = codebook.load_codebook("intervention")
CASES: list[Case] = [
    # io
    Case(
        "validate: unknown codebook",
        lambda: evalkit.validate(interventions(), "nope"),
        CodebookError,
        "known codebooks are",
    ),
    Case(
        "validate: lang",
        lambda: evalkit.validate(interventions(), "intervention", lang="de"),
        ParameterError,
        "lang='de'.*'nl', 'en'",
    ),
    Case("read: path not a path", lambda: evalkit.read(5, "intervention"), ParameterError, "path"),
    Case(
        "read: strict not bool",
        lambda: evalkit.read("x.csv", "intervention", strict="ja"),
        ParameterError,
        "strict",
    ),
    Case(
        "read: missing file",
        lambda: evalkit.read("/nonexistent/x.csv", "intervention"),
        FileNotFoundError,
        "x.csv",
    ),
    # codebook
    Case("load_codebook: None", lambda: codebook.load_codebook(None), CodebookError, "name"),
    Case(
        "load_codebook: missing json",
        lambda: codebook.load_codebook("missing.json"),
        CodebookError,
        "does not exist",
    ),
    Case("Codebook.to_markdown: lang", lambda: _cb.to_markdown("fr"), ParameterError, "lang"),
    Case("Field.allowed_text: lang", lambda: _cb["age"].allowed_text("fr"), ParameterError, "lang"),
    Case("municipalities: name", lambda: codebook.municipalities("x"), ParameterError, "municipalities_2022"),
    # excel_template
    Case(
        "write_template: lang",
        lambda: excel_template.write_template("intervention", "t.xlsx", lang="de"),
        ParameterError,
        "lang",
    ),
    Case(
        "write_template: items",
        lambda: excel_template.write_template("intervention", "t.xlsx", items="x"),
        ParameterError,
        "items='x'.*'djg11', 'djg6'",
    ),
    Case(
        "write_template: n_rows",
        lambda: excel_template.write_template("intervention", "t.xlsx", n_rows=0),
        ParameterError,
        "n_rows",
    ),
    Case(
        "write_template: suffix",
        lambda: excel_template.write_template("intervention", "t.csv"),
        ParameterError,
        r"\.xlsx",
    ),
    Case(
        "write_template: path None",
        lambda: excel_template.write_template("intervention", None),
        ParameterError,
        "path",
    ),
    Case(
        "write_template: fields str",
        lambda: excel_template.write_template("intervention", "t.xlsx", fields="age"),
        ParameterError,
        "required fields",
    ),
    # scales
    Case(
        "score: unknown scale",
        lambda: scales.score(interventions(), "djg12"),
        ParameterError,
        "scale='djg12'.*'djg11'",
    ),
    Case("score: scale type", lambda: scales.score(interventions(), 11), ParameterError, "scale"),
    Case(
        "score: items not a dict",
        lambda: scales.score(interventions(), "djg11", items=["djg1"]),
        ParameterError,
        "items",
    ),
    Case(
        "score: unknown item",
        lambda: scales.score(interventions(), "djg11", items={"q1": "djg1"}),
        ParameterError,
        "unknown item",
    ),
    Case(
        "score: max_missing",
        lambda: scales.score(interventions(), "djg11", max_missing=-1),
        ParameterError,
        "max_missing",
    ),
    Case(
        "score: missing item column",
        lambda: scales.score(interventions().drop(columns="djg3"), "djg11"),
        evalkit.DataValidationError,
        "djg3",
    ),
    # prepost
    Case(
        "paired: outcome not a column",
        lambda: prepost.paired(scored(), outcome="x", unit="participant_id", time="wave"),
        ParameterError,
        "outcome='x'",
    ),
    Case(
        "paired: outcome a number",
        lambda: prepost.paired(scored(), outcome=3, unit="participant_id", time="wave"),
        ParameterError,
        "outcome",
    ),
    Case(
        "paired: confidence",
        lambda: prepost.paired(scored(), **P, confidence=95),
        ParameterError,
        "confidence",
    ),
    Case("paired: pre == post", lambda: prepost.paired(scored(), **P, post="pre"), ParameterError, "differ"),
    Case(
        "paired: unknown wave",
        lambda: prepost.paired(scored(), **P, post="na"),
        evalkit.EstimationError,
        "'na'",
    ),
    Case(
        "paired: text outcome",
        lambda: prepost.paired(scored().assign(total=scored()["gender"]), **P),
        evalkit.DataValidationError,
        "numeric",
    ),
    Case(
        "proportion_change: cutoff",
        lambda: prepost.proportion_change(scored(), **P, cutoff="hoog"),
        ParameterError,
        "cutoff",
    ),
    Case(
        "proportion_change: ci_method",
        lambda: prepost.proportion_change(scored(), **P, cutoff=3, ci_method="exact"),
        ParameterError,
        "ci_method='exact'.*'newcombe', 'wald'",
    ),
    Case(
        "reliable_change: reliability",
        lambda: prepost.reliable_change(scored(), **P, reliability=1.2),
        ParameterError,
        "reliability",
    ),
    Case(
        "reliable_change: reliability word",
        lambda: prepost.reliable_change(scored(), **P, reliability="icc"),
        ParameterError,
        "reliability='icc'.*'alpha', 'retest'",
    ),
    Case(
        "reliable_change: sd_pre text",
        lambda: prepost.reliable_change(scored(), **P, reliability=0.8, sd_pre="abc"),
        ParameterError,
        "sd_pre",
    ),
    Case(
        "reliable_change: higher_is_better",
        lambda: prepost.reliable_change(scored(), **P, reliability=0.8, higher_is_better="ja"),
        ParameterError,
        "higher_is_better",
    ),
    Case(
        "attrition: covariate",
        lambda: prepost.attrition(scored(), **P, covariates=["zz"]),
        ParameterError,
        "covariates='zz'",
    ),
    Case(
        "by_group: func",
        lambda: prepost.by_group("paired", scored(), by="gender", **P),
        ParameterError,
        "func",
    ),
    Case(
        "by_group: by empty",
        lambda: prepost.by_group(prepost.paired, scored(), by=[], **P),
        ParameterError,
        "by",
    ),
    Case(
        "by_group: min_cell (no privacy threshold in a method)",
        lambda: prepost.by_group(prepost.paired, scored(), by="gender", min_cell=10, **P),
        ParameterError,
        "min_cell",
    ),
    Case(
        "cronbach_alpha: one item",
        lambda: prepost._cronbach_alpha(interventions(), items=["djg1"]),
        ParameterError,
        "two item",
    ),
    # validation: CFA engine
    Case("cfa: model not text", lambda: evalkit.validation.cfa(holzinger(), None), ParameterError, "model"),
    Case(
        "cfa: empty model",
        lambda: evalkit.validation.cfa(holzinger(), "  # nothing"),
        ParameterError,
        "empty",
    ),
    Case(
        "cfa: unknown variable",
        lambda: evalkit.validation.cfa(holzinger(), "f =~ x1 + x2 + zz"),
        ParameterError,
        "'zz'",
    ),
    Case(
        "cfa: estimator",
        lambda: evalkit.validation.cfa(holzinger(), HS, estimator="GLS"),
        ParameterError,
        "estimator='GLS'.*'ML'",
    ),
    Case(
        "cfa: equal option",
        lambda: evalkit.validation.cfa(holzinger(), HS, group="school", equal="foo"),
        ParameterError,
        "equal='foo'.*'loadings'",
    ),
    Case(
        "cfa: equal without group",
        lambda: evalkit.validation.cfa(holzinger(), HS, equal="loadings"),
        ParameterError,
        "group",
    ),
    Case(
        "cfa: meanstructure",
        lambda: evalkit.validation.cfa(holzinger(), HS, meanstructure="yes"),
        ParameterError,
        "meanstructure",
    ),
    Case(
        "cfa: partial unknown",
        lambda: evalkit.validation.cfa(holzinger(), HS, group="school", equal="loadings", partial="x99~1"),
        ParameterError,
        "x99~1",
    ),
    Case(
        "cfa: not identified",
        lambda: evalkit.validation.cfa(holzinger(), "f =~ x1 + x2"),
        evalkit.EstimationError,
        "identified",
    ),
    Case(
        "cfa: regression",
        lambda: evalkit.validation.cfa(holzinger(), HS + "\nvisual ~ x4"),
        ParameterError,
        "regressions",
    ),
    Case(
        "cfa: constant item",
        lambda: evalkit.validation.cfa(holzinger().assign(x1=1.0), HS),
        evalkit.DataValidationError,
        "no variance",
    ),
    Case(
        "cfa: collinear items",
        lambda: evalkit.validation.cfa(
            holzinger().assign(x3=lambda d: d.x1 + d.x2), "f =~ x1 + x2 + x3 + x4"
        ),
        EvalkitError,
        "",
    ),
    Case(
        "invariance: group None",
        lambda: evalkit.validation.invariance(holzinger(), HS, group=None),
        ParameterError,
        "group",
    ),
    Case(
        "invariance: alpha",
        lambda: evalkit.validation.invariance(holzinger(), HS, group="school", alpha=5),
        ParameterError,
        "alpha",
    ),
    Case(
        "invariance: too small group",
        lambda: evalkit.validation.invariance(holzinger().iloc[:170], HS, group="school"),
        evalkit.DataValidationError,
        "too few",
    ),
    # shared helpers
    Case(
        "check_columns: number", lambda: check_columns(interventions(), outcome=3), ParameterError, "outcome"
    ),
    Case("check_confidence: text", lambda: check_confidence("hoog"), ParameterError, "confidence"),
    Case("check_positive_int: 2.5", lambda: check_positive_int(2.5, "n_boot"), ParameterError, "n_boot"),
    Case("check_lang: None", lambda: check_lang(None), ParameterError, "lang"),
    Case("suppress: not a frame", lambda: privacy.suppress([1, 2]), ParameterError, "table"),
    Case("suppress: n column", lambda: privacy.suppress(pd.DataFrame({"a": [1]})), ParameterError, "n='n'"),
    Case(
        "suppress: min_cell",
        lambda: privacy.suppress(pd.DataFrame({"n": [1]}), min_cell=0),
        ParameterError,
        "min_cell",
    ),
    Case("fmt_number: text", lambda: i18n.fmt_number("veel"), ParameterError, "number"),
    Case("fmt_p: text", lambda: i18n.fmt_p("klein"), ParameterError, "number"),
    Case("plotting.label: lang", lambda: plotting.label("pre", "de"), ParameterError, "lang"),
    Case(
        "plotting.set_style: context",
        lambda: plotting.set_style("huge"),
        ParameterError,
        "context='huge'.*'paper'",
    ),
    Case(
        "plotting.reference_line: orientation",
        lambda: plotting.reference_line(None, 1, orientation="x"),
        ParameterError,
        "orientation='x'",
    ),
]


# ========================================================================================
# NOT YET REVIEWED -- for the lead to fill in (same shapes as above). Modules: none left
# (report, batch, demo, reportdata and validation.{retest, norming, cosmin, wlsmv} are in
# the "reviewed third round" sections below; meta, funnel,
# datasets, did/*, validation.{items, consistency, exploratory, validity, ordinal, irt,
# differential} are in the tables: see the "reviewed second round" section below.)
# Example:
#   Target("meta.pool", lambda d: evalkit.meta.pool(d, estimate="g", std_error="se"), make_meta_data),
#   Case("meta.pool: method", lambda: evalkit.meta.pool(df, ..., method="xx"), ParameterError, "method"),
# ========================================================================================
NOT_YET_REVIEWED_TARGETS: list[Target] = []
NOT_YET_REVIEWED_CASES: list[Case] = []


# ----------------------------------------------------------------------------------------
# reviewed second round: meta, funnel, datasets, did/*, validation.{items, consistency,
# exploratory, validity, ordinal, irt, differential}
# ----------------------------------------------------------------------------------------
@cache
def _bcg() -> pd.DataFrame:
    return pd.read_csv(REF / "meta" / "dat_bcg_moderators.csv")


def bcg() -> pd.DataFrame:
    return _bcg().copy()


@cache
def _sim() -> pd.DataFrame:
    return evalkit.did.simulate_staggered(60, seed=1)


def sim() -> pd.DataFrame:
    return _sim().copy()


@cache
def _cr1() -> pd.DataFrame:
    df = pd.read_csv(REF / "did" / "cr1_data.csv")
    return df.iloc[:: max(1, len(df) // 300)].reset_index(drop=True)


def cr1() -> pd.DataFrame:
    return _cr1().copy()


@cache
def _youth() -> pd.DataFrame:
    df = evalkit.datasets.load("youth")
    return df[df["wave"] == df["wave"].iloc[0]].iloc[:300].reset_index(drop=True)


def youth() -> pd.DataFrame:
    return _youth().copy()


@cache
def _likert() -> pd.DataFrame:
    return pd.read_csv(REF / "psych" / "likert.csv")


def likert() -> pd.DataFrame:
    return _likert().copy()


def funnel_data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = rng.integers(30, 400, 25)
    return pd.DataFrame({"code": [f"GM{i:04d}" for i in range(25)], "n": n, "events": rng.binomial(n, 0.45)})


def validity_data() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    s = rng.normal(size=200)
    return pd.DataFrame(
        {
            "score": s,
            "ucla3": 0.7 * s + rng.normal(scale=0.7, size=200),
            "group": np.where(s + rng.normal(size=200) > 0, "lonely", "not"),
            "reference": (s + rng.normal(size=200) > 0.5).astype(int),
        }
    )


YI = [f"y{i:02d}" for i in range(1, 7)]
LI = [f"i{i}" for i in range(1, 7)]
MA = dict(estimate="yi", variance="vi")
DID = dict(outcome="y", unit="unit", time="time")
HYP = [{"measure": "ucla3", "direction": "+", "min_r": 0.3}]
KG = [{"higher": "lonely", "lower": "not", "min_d": 0.2}]

TARGETS += [
    # meta
    Target("meta.random_effects", lambda d: _meta.random_effects(d, **MA, label="author"), bcg),
    Target("meta.random_effects DL", lambda d: _meta.random_effects(d, **MA, method="DL"), bcg),
    Target(
        "meta.meta_regression", lambda d: _meta.meta_regression(d, **MA, moderators=["ablat", "alloc"]), bcg
    ),
    Target("meta.subgroups", lambda d: _meta.subgroups(d, **MA, moderator="alloc"), bcg),
    Target(
        "meta.permutation_test",
        lambda d: _meta.permutation_test(
            _meta.meta_regression(d, **MA, moderators="alloc"), iterations=50, seed=1
        ),
        bcg,
    ),
    Target("meta.effect_sizes", lambda d: _meta.effect_sizes(d, **P), scored),
    # funnel
    Target(
        "funnel.funnel events", lambda d: _funnel.funnel(d, events="events", n="n", unit="code"), funnel_data
    ),
    Target(
        "funnel.funnel overdispersion",
        lambda d: _funnel.funnel(d, events="events", n="n", target=0.45, overdispersion="additive"),
        funnel_data,
    ),
    # did
    Target(
        "did.two_by_two",
        lambda d: _did.two_by_two(
            d, outcome="y", treated="treated", post="post", cluster="neighbourhood", covariates="age"
        ),
        cr1,
    ),
    Target("did.twfe", lambda d: _did.twfe(d, **DID, treated="treated"), sim),
    Target("did.event_study", lambda d: _did.event_study(d, **DID, first_treated="g"), sim),
    Target("did.staggered", lambda d: _did.staggered(d, **DID, first_treated="g", covariates="x"), sim),
    Target(
        "did.staggered notyet", lambda d: _did.staggered(d, **DID, first_treated="g", control="notyet"), sim
    ),
    Target(
        "did.staggered rcs",
        lambda d: _did.staggered(d, outcome="y", time="time", first_treated="g", panel=False),
        sim,
    ),
    Target("did.bacon", lambda d: _did.bacon(d, **DID, first_treated="g"), sim),
    # validation
    Target("validation.item_analysis", lambda d: _val.item_analysis(d, items=LI), likert),
    Target(
        "validation.item_analysis youth",
        lambda d: _val.item_analysis(d, items=YI, reverse=["y02"], scale_range=(0, 4)),
        youth,
    ),
    Target("validation.reliability", lambda d: _val.reliability(d, items=LI, n_boot=20), likert),
    Target("validation.efa", lambda d: _val.efa(d, items=YI, n_factors=2), youth),
    Target(
        "validation.efa ml",
        lambda d: _val.efa(d, items=YI, n_factors=1, method="ml", rotation="varimax"),
        youth,
    ),
    Target("validation.parallel_analysis", lambda d: _val.parallel_analysis(d, items=YI, n_iter=3), youth),
    Target(
        "validation.hypotheses_test", lambda d: _val.hypotheses_test(d, HYP, score="score"), validity_data
    ),
    Target(
        "validation.known_groups",
        lambda d: _val.known_groups(d, score="score", group="group", hypotheses=KG),
        validity_data,
    ),
    Target("validation.roc", lambda d: _val.roc(d, score="score", reference="reference"), validity_data),
    Target("validation.polychoric", lambda d: _val.polychoric(d, YI), youth),
    Target("validation.graded_response", lambda d: _val.graded_response(d, YI[:4], se=False), youth),
    Target("validation.dif", lambda d: _val.dif(d, items=YI[:4], group="gender"), youth),
]


DVE, EE, PE = evalkit.DataValidationError, evalkit.EstimationError, ParameterError
CASES += [
    # meta
    Case(
        "random_effects: method",
        lambda: _meta.random_effects(bcg(), **MA, method="PM"),
        PE,
        "method='PM'.*'REML', 'DL'",
    ),
    Case(
        "random_effects: prediction",
        lambda: _meta.random_effects(bcg(), **MA, prediction="x"),
        PE,
        "prediction='x'.*'normal', 't'",
    ),
    Case(
        "random_effects: confidence",
        lambda: _meta.random_effects(bcg(), **MA, confidence=95),
        PE,
        "confidence",
    ),
    Case(
        "random_effects: std_error and variance",
        lambda: _meta.random_effects(bcg(), estimate="yi", variance="vi", std_error="vi"),
        PE,
        "exactly one of std_error",
    ),
    Case(
        "random_effects: negative variance",
        lambda: _meta.random_effects(bcg().assign(vi=-1.0), **MA),
        DVE,
        "'vi' must be positive",
    ),
    Case("random_effects: one study", lambda: _meta.random_effects(bcg().head(1), **MA), EE, "at least 2"),
    Case("random_effects: label", lambda: _meta.random_effects(bcg(), **MA, label="zz"), PE, "label='zz'"),
    Case(
        "permutation_test: iterations",
        lambda: _meta.permutation_test(_meta.meta_regression(bcg(), **MA, moderators="alloc"), iterations=1),
        PE,
        "iterations",
    ),
    Case(
        "permutation_test: not a meta-regression",
        lambda: _meta.permutation_test(_meta.random_effects(bcg(), **MA)),
        PE,
        "MetaRegressionResult",
    ),
    Case(
        "random_effects: test",
        lambda: _meta.random_effects(bcg(), **MA, test="hksj"),
        PE,
        "test='hksj'",
    ),
    Case(
        "meta_regression: no moderators",
        lambda: _meta.meta_regression(bcg(), **MA, moderators=[]),
        PE,
        "moderators",
    ),
    Case(
        "meta_regression: method",
        lambda: _meta.meta_regression(bcg(), **MA, moderators="ablat", method="ML2"),
        PE,
        "method='ML2'",
    ),
    Case(
        "subgroups: one level",
        lambda: _meta.subgroups(bcg().assign(alloc="a"), **MA, moderator="alloc"),
        EE,
        "fewer than two levels",
    ),
    Case(
        "effect_sizes: effect",
        lambda: _meta.effect_sizes(scored(), **P, effect="d"),
        PE,
        "effect='d'.*'g_av'",
    ),
    Case("effect_sizes: by", lambda: _meta.effect_sizes(scored(), **P, by="zz"), PE, "by='zz'"),
    # funnel
    Case(
        "funnel: method",
        lambda: _funnel.funnel(funnel_data(), events="events", n="n", method="poisson"),
        PE,
        "method='poisson'.*'binomial', 'normal'",
    ),
    Case(
        "funnel: overdispersion",
        lambda: _funnel.funnel(funnel_data(), events="events", n="n", overdispersion="x"),
        PE,
        "overdispersion='x'",
    ),
    Case(
        "funnel: events and proportion",
        lambda: _funnel.funnel(funnel_data(), events="events", proportion="events", n="n"),
        PE,
        "exactly one",
    ),
    Case(
        "funnel: target text",
        lambda: _funnel.funnel(funnel_data(), events="events", n="n", target="x"),
        PE,
        "target",
    ),
    Case(
        "funnel: target 2",
        lambda: _funnel.funnel(funnel_data(), events="events", n="n", target=2),
        EE,
        "target",
    ),
    Case("binomial_limit: p", lambda: _funnel.binomial_limit(2, [10], 0.5), PE, "p must"),
    Case("binomial_limit: target", lambda: _funnel.binomial_limit(0.975, [10], None), PE, "target must"),
    Case("binomial_limit: n text", lambda: _funnel.binomial_limit(0.975, ["a"], 0.5), PE, "n must"),
    # did
    Case(
        "two_by_two: se_type",
        lambda: _did.two_by_two(cr1(), outcome="y", treated="treated", post="post", se_type="hc3"),
        PE,
        "se_type='hc3'.*'hc1'",
    ),
    Case(
        "two_by_two: treated not 0/1",
        lambda: _did.two_by_two(
            cr1().assign(treated=lambda d: d.treated * 2 + d.post),
            outcome="y",
            treated="treated",
            post="post",
        ),
        DVE,
        "0/1",
    ),
    Case(
        "two_by_two: one cluster",
        lambda: _did.two_by_two(
            cr1().assign(neighbourhood="a"),
            outcome="y",
            treated="treated",
            post="post",
            cluster="neighbourhood",
        ),
        EE,
        "2 clusters",
    ),
    Case(
        "two_by_two: empty cell",
        lambda: _did.two_by_two(cr1().query("post == 0"), outcome="y", treated="treated", post="post"),
        DVE,
        "four cells",
    ),
    Case(
        "twfe: cluster", lambda: _did.twfe(sim(), **DID, treated="treated", cluster="zz"), PE, "cluster='zz'"
    ),
    Case(
        "twfe: treatment switched off",
        lambda: _did.twfe(
            sim().assign(treated=lambda d: np.where(d.time == d.time.max(), 0, d.treated)),
            **DID,
            treated="treated",
        ),
        DVE,
        "switch",
    ),
    Case(
        "event_study: window",
        lambda: _did.event_study(sim(), **DID, first_treated="g", window=(2, -2)),
        PE,
        "window",
    ),
    Case(
        "event_study: reference",
        lambda: _did.event_study(sim(), **DID, first_treated="g", reference=10),
        PE,
        "reference=10",
    ),
    Case(
        "staggered: control",
        lambda: _did.staggered(sim(), **DID, first_treated="g", control="x"),
        PE,
        "control='x'.*'never', 'notyet'",
    ),
    Case(
        "staggered: base_period",
        lambda: _did.staggered(sim(), **DID, first_treated="g", base_period="x"),
        PE,
        "base_period='x'.*'varying', 'universal'",
    ),
    Case(
        "staggered: anticipation",
        lambda: _did.staggered(sim(), **DID, first_treated="g", anticipation=-1),
        PE,
        "anticipation",
    ),
    Case(
        "staggered: bootstrap",
        lambda: _did.staggered(sim(), **DID, first_treated="g", bootstrap="yes"),
        PE,
        "bootstrap",
    ),
    Case(
        "staggered: multipliers",
        lambda: _did.staggered(sim(), **DID, first_treated="g", bootstrap=9, multipliers="normal"),
        PE,
        "multipliers='normal'.*'rademacher'",
    ),
    Case(
        "staggered: weights (old meaning)",
        lambda: _did.staggered(sim(), **DID, first_treated="g", weights="mammen"),
        PE,
        "multipliers='mammen'",
    ),
    Case(
        "staggered: weights column",
        lambda: _did.staggered(sim(), **DID, first_treated="g", weights="nocol"),
        PE,
        "nocol",
    ),
    Case(
        "staggered: est_method",
        lambda: _did.staggered(sim(), **DID, first_treated="g", est_method="ols"),
        PE,
        "est_method",
    ),
    Case(
        "honest: method",
        lambda: _did.honest(
            _did.staggered(sim(), **DID, first_treated="g", base_period="universal"), method="x"
        ),
        PE,
        "method",
    ),
    Case(
        "staggered: seed",
        lambda: _did.staggered(sim(), **DID, first_treated="g", bootstrap=9, seed="x"),
        PE,
        "seed",
    ),
    Case(
        "staggered: panel", lambda: _did.staggered(sim(), **DID, first_treated="g", panel="ja"), PE, "panel"
    ),
    Case(
        "staggered: no unit",
        lambda: _did.staggered(sim(), outcome="y", time="time", first_treated="g"),
        PE,
        "unit",
    ),
    Case(
        "staggered: no never-treated",
        lambda: _did.staggered(sim().query("g > 0"), **DID, first_treated="g"),
        EE,
        "no never-treated.*notyet",
    ),
    Case(
        "staggered: aggregate kind",
        lambda: _did.staggered(sim(), **DID, first_treated="g").aggregate("x"),
        PE,
        "kind='x'.*'simple', 'group', 'dynamic', 'calendar'",
    ),
    Case("bacon: neither", lambda: _did.bacon(sim(), **DID), PE, "treated"),
    Case("simulate_staggered: n_units", lambda: _did.simulate_staggered(0), PE, "n_units"),
    Case("simulate_staggered: seed", lambda: _did.simulate_staggered(10, seed="x"), PE, "seed"),
    # validation
    Case(
        "item_analysis: threshold",
        lambda: _val.item_analysis(likert(), items=LI, threshold=2),
        PE,
        "threshold",
    ),
    Case("item_analysis: items a string", lambda: _val.item_analysis(likert(), items="i1"), PE, "items"),
    Case(
        "item_analysis: reverse",
        lambda: _val.item_analysis(likert(), items=LI, reverse=["zz"]),
        PE,
        "reverse",
    ),
    Case(
        "item_analysis: no variance",
        lambda: _val.item_analysis(likert().assign(i1=1.0), items=LI),
        DVE,
        "without variance.*i1",
    ),
    Case(
        "item_analysis: infinite",
        lambda: _val.item_analysis(likert().assign(i1=np.inf), items=LI),
        DVE,
        "infinite",
    ),
    Case("reliability: n_boot", lambda: _val.reliability(likert(), items=LI, n_boot=-1), PE, "n_boot"),
    Case(
        "reliability: sl_factors",
        lambda: _val.reliability(likert(), items=LI, sl_factors=1),
        PE,
        "sl_factors",
    ),
    Case("reliability: model", lambda: _val.reliability(likert(), items=LI, model=3), PE, "model"),
    Case("efa: method", lambda: _val.efa(youth(), items=YI, method="pa"), PE, "method='pa'.*'minres', 'ml'"),
    Case("efa: rotation", lambda: _val.efa(youth(), items=YI, rotation="x"), PE, "rotation='x'.*'oblimin'"),
    Case("efa: too many factors", lambda: _val.efa(youth(), items=YI, n_factors=6), PE, "n_factors"),
    Case(
        "parallel_analysis: quantile",
        lambda: _val.parallel_analysis(youth(), items=YI, quantile=95),
        PE,
        "quantile",
    ),
    Case(
        "hypotheses_test: method",
        lambda: _val.hypotheses_test(validity_data(), HYP, score="score", method="x"),
        PE,
        "method='x'.*'pearson'",
    ),
    Case(
        "hypotheses_test: empty",
        lambda: _val.hypotheses_test(validity_data(), [], score="score"),
        PE,
        "hypotheses",
    ),
    Case(
        "hypotheses_test: not a dict",
        lambda: _val.hypotheses_test(validity_data(), ["ucla3"], score="score"),
        PE,
        "got 'ucla3'",
    ),
    Case(
        "hypotheses_test: direction",
        lambda: _val.hypotheses_test(
            validity_data(), [{"measure": "ucla3", "direction": "up"}], score="score"
        ),
        PE,
        "direction='up'",
    ),
    Case(
        "known_groups: unknown group",
        lambda: _val.known_groups(
            validity_data(), score="score", group="group", hypotheses=[{"higher": "x", "lower": "not"}]
        ),
        PE,
        "higher='x'",
    ),
    Case(
        "roc: ci_method",
        lambda: _val.roc(validity_data(), score="score", reference="reference", ci_method="x"),
        PE,
        "ci_method='x'.*'wilson'",
    ),
    Case(
        "roc: one class",
        lambda: _val.roc(validity_data().assign(reference=1), score="score", reference="reference"),
        DVE,
        "two values",
    ),
    Case("polychoric: nacov", lambda: _val.polychoric(youth(), YI, nacov="ja"), PE, "nacov='ja'"),
    Case(
        "polychoric: continuous",
        lambda: _val.polychoric(validity_data(), ["score", "ucla3"]),
        DVE,
        "non-integer",
    ),
    Case("polychoric: no variance", lambda: _val.polychoric(youth().assign(y01=1), YI), DVE, "no variance"),
    Case(
        "graded_response: quadrature",
        lambda: _val.graded_response(youth(), YI[:4], quadrature="x"),
        PE,
        "quadrature='x'.*'fixed'",
    ),
    Case("graded_response: se", lambda: _val.graded_response(youth(), YI[:4], se="ja"), PE, "se='ja'"),
    Case(
        "graded_response: theta_range",
        lambda: _val.graded_response(youth(), YI[:4], theta_range=(3, -3)),
        PE,
        "theta_range",
    ),
    Case("dif: alpha", lambda: _val.dif(youth(), items=YI[:4], group="gender", alpha=2), PE, "alpha"),
    Case(
        "dif: reference",
        lambda: _val.dif(youth(), items=YI[:4], group="gender", reference="zz"),
        PE,
        "reference='zz'",
    ),
    Case(
        "dif: one group",
        lambda: _val.dif(youth().assign(gender="a"), items=YI[:4], group="gender"),
        DVE,
        "fewer than 2",
    ),
    # datasets
    Case("datasets.load: name", lambda: evalkit.datasets.load("zz"), PE, "name='zz'.*'youth'"),
    Case("datasets.truth: name", lambda: evalkit.datasets.truth("zz"), PE, "name='zz'"),
    Case("datasets.generate_youth: n", lambda: evalkit.datasets.generate_youth(n=0), PE, "n must"),
    Case("datasets.to_csv_bytes: None", lambda: evalkit.datasets.to_csv_bytes(None), PE, "df must"),
    Case(
        "datasets.write_example_coalitions: None",
        lambda: evalkit.datasets.write_example_coalitions(None),
        PE,
        "directory",
    ),
    Case(
        "datasets.generate_benchmark: panel",
        lambda: evalkit.datasets.generate_benchmark(panel=5),
        PE,
        "panel",
    ),
]


# ----------------------------------------------------------------------------------------
# reviewed third round: validation.{retest, norming, cosmin, wlsmv} (and cfa/invariance
# with estimator="WLSMV")
# ----------------------------------------------------------------------------------------
def retest_scores() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    t = rng.normal(20, 5, 60)
    return pd.DataFrame({"t1": t + rng.normal(0, 2, 60), "t2": t + rng.normal(0, 2, 60)})


def retest_int64() -> pd.DataFrame:
    """Nullable Int64 scores with a <NA> (as read from SPSS/Excel)."""
    d = retest_scores().round().astype("Int64")
    return d.assign(t2=d["t2"].where(d.index != 3, pd.NA))


def norm_data() -> pd.DataFrame:
    d = youth()
    return pd.DataFrame({"score": d[YI].sum(axis=1), "gender": d["gender"], "age_band": d["age_band"]})


def ordinal3() -> pd.DataFrame:
    """Four 3-point items, one factor, two groups (as in the wlsmv docstrings)."""
    rng = np.random.default_rng(3)
    f = rng.normal(size=(300, 1))
    y = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(300, 4))
    df = pd.DataFrame(np.digitize(y, [-0.8, 0.0, 0.8]), columns=["a", "b", "c", "d"])
    return df.assign(g=np.where(rng.uniform(size=300) < 0.5, "x", "y"))


def ordinal3_int64() -> pd.DataFrame:
    d = ordinal3()
    return d.astype({c: "Int64" for c in "abcd"}).assign(a=lambda x: x["a"].where(x.index != 2, pd.NA))


OM = "f =~ a + b + c + d"
_cos = _val.cosmin_table
from evalkit.methods.validation import sem as _wlsmv  # noqa: E402

TARGETS += [
    # retest
    Target("validation.icc", lambda d: _val.icc(d), retest_scores),
    Target("validation.icc Int64", lambda d: _val.icc(d), retest_int64),
    Target("validation.icc columns", lambda d: _val.icc(d, columns=["t1", "t2"]), retest_scores),
    Target("validation.agreement", lambda d: _val.agreement(d, mic=3), retest_scores),
    Target("validation.bland_altman", lambda d: _val.bland_altman(d), retest_scores),
    Target(
        "validation.bland_altman named", lambda d: _val.bland_altman(d, first="t1", second="t2"), retest_int64
    ),
    # norming
    Target("validation.norms", lambda d: _val.norms(d, score="score", by=["gender"], min_cell=5), norm_data),
    Target("validation.norms default by", lambda d: _val.norms(d, score="score", min_cell=5), norm_data),
    # wlsmv
    Target("validation.fit_wlsmv", lambda d: _val.fit_wlsmv(d, OM), ordinal3),
    Target("validation.fit_wlsmv Int64", lambda d: _val.fit_wlsmv(d, OM), ordinal3_int64),
    Target("validation.fit_wlsmv group", lambda d: _val.fit_wlsmv(d, OM, group="g"), ordinal3),
    Target("validation.invariance_wlsmv", lambda d: _val.invariance_wlsmv(d, OM, group="g"), ordinal3),
    Target("validation.cfa WLSMV", lambda d: _val.cfa(d, OM, estimator="WLSMV"), ordinal3),
    Target(
        "validation.invariance WLSMV",
        lambda d: _val.invariance(d, OM, group="g", estimator="WLSMV"),
        ordinal3,
    ),
]

CASES += [
    # retest
    Case("icc: confidence", lambda: _val.icc(retest_scores(), confidence=95), PE, "confidence"),
    Case("icc: columns unknown", lambda: _val.icc(retest_scores(), columns=["t1", "zz"]), PE, "columns='zz'"),
    Case("icc: columns a number", lambda: _val.icc(retest_scores(), columns=5), PE, "columns"),
    Case("icc: one column", lambda: _val.icc(retest_scores(), columns=["t1"]), PE, "at least 2 columns"),
    Case(
        "icc: duplicated columns",
        lambda: _val.icc(pd.concat([retest_scores()] * 2, axis=1)),
        DVE,
        "more than once",
    ),
    Case("icc: text scores", lambda: _val.icc(retest_scores().assign(t1="x")), DVE, "non-numeric"),
    Case("icc: infinite", lambda: _val.icc(retest_scores().assign(t1=np.inf)), DVE, "infinite"),
    Case("icc: identical scores", lambda: _val.icc(retest_scores().assign(t1=1.0, t2=1.0)), DVE, "identical"),
    Case("icc: NaN-only", lambda: _val.icc(retest_scores().assign(t2=np.nan)), DVE, "at least 3"),
    Case("agreement: mic negative", lambda: _val.agreement(retest_scores(), mic=-1), PE, "mic"),
    Case("agreement: mic text", lambda: _val.agreement(retest_scores(), mic="x"), PE, "mic"),
    Case("bland_altman: first only", lambda: _val.bland_altman(retest_scores(), first="t1"), PE, "both"),
    Case(
        "bland_altman: second unknown",
        lambda: _val.bland_altman(retest_scores(), first="t1", second="zz"),
        PE,
        "'zz'",
    ),
    Case(
        "bland_altman: three columns",
        lambda: _val.bland_altman(retest_scores().assign(t3=1.0)),
        PE,
        "first= and second=",
    ),
    Case(
        "bland_altman: infinite",
        lambda: _val.bland_altman(retest_scores().assign(t2=-np.inf)),
        DVE,
        "infinite",
    ),
    # norming
    Case("norms: score unknown", lambda: _val.norms(norm_data(), score="zz"), PE, "score='zz'"),
    Case("norms: score None", lambda: _val.norms(norm_data(), score=None), PE, "score"),
    Case("norms: by unknown", lambda: _val.norms(norm_data(), score="score", by=["zz"]), PE, "by='zz'"),
    Case("norms: by a number", lambda: _val.norms(norm_data(), score="score", by=5), PE, "by"),
    Case("norms: score in by", lambda: _val.norms(norm_data(), score="score", by=["score"]), PE, "score"),
    Case("norms: min_cell", lambda: _val.norms(norm_data(), score="score", min_cell=0), PE, "min_cell"),
    Case(
        "norms: quantiles 50", lambda: _val.norms(norm_data(), score="score", quantiles=[50]), PE, "quantiles"
    ),
    Case(
        "norms: quantiles text",
        lambda: _val.norms(norm_data(), score="score", quantiles="x"),
        PE,
        "quantiles",
    ),
    Case("norms: scores text", lambda: _val.norms(norm_data(), score="score", scores=["a"]), PE, "scores"),
    Case(
        "norms: include_total",
        lambda: _val.norms(norm_data(), score="score", include_total="ja"),
        PE,
        "include_total",
    ),
    Case(
        "norms: text score",
        lambda: _val.norms(norm_data().assign(score="x"), score="score"),
        DVE,
        "non-numeric",
    ),
    Case(
        "norms: infinite score",
        lambda: _val.norms(norm_data().assign(score=np.inf), score="score"),
        DVE,
        "infinite",
    ),
    # cosmin
    Case("cosmin_table: lang", lambda: _cos(lang="de"), PE, "lang='de'"),
    Case("cosmin_table: structural text", lambda: _cos(structural="goed"), PE, "structural"),
    Case("cosmin_table: fit index text", lambda: _cos(structural={"cfi": "hoog"}), PE, "'cfi'.*number"),
    Case("cosmin_table: alpha text", lambda: _cos(internal_consistency="hoog"), PE, "internal_consistency"),
    Case(
        "cosmin_table: alpha a list",
        lambda: _cos(internal_consistency=[0.8, 0.9]),
        PE,
        "internal_consistency",
    ),
    Case("cosmin_table: alpha 2", lambda: _cos(internal_consistency=2.0), PE, "at most 1"),
    Case("cosmin_table: reliability text", lambda: _cos(reliability="x"), PE, "reliability"),
    Case(
        "cosmin_table: reliability frame", lambda: _cos(reliability=pd.DataFrame({"icc": [0.8]})), PE, "ICC2"
    ),
    Case("cosmin_table: reliability 1.5", lambda: _cos(reliability=1.5), PE, "reliability"),
    Case("cosmin_table: sdc negative", lambda: _cos(measurement_error=-1), PE, "measurement_error"),
    Case("cosmin_table: mic text", lambda: _cos(measurement_error=2.0, mic="x"), PE, "mic"),
    Case("cosmin_table: mic 0", lambda: _cos(measurement_error=2.0, mic=0), PE, "mic"),
    Case("cosmin_table: hypotheses text", lambda: _cos(hypotheses="x"), PE, "hypotheses"),
    Case("cosmin_table: criterion frame", lambda: _cos(criterion=pd.DataFrame()), PE, "criterion"),
    Case("cosmin_table: criterion 2", lambda: _cos(criterion=2.0), PE, "criterion"),
    # wlsmv
    Case("fit_wlsmv: model None", lambda: _val.fit_wlsmv(ordinal3(), None), PE, "model"),
    Case("fit_wlsmv: unknown item", lambda: _val.fit_wlsmv(ordinal3(), "f =~ a + b + zz"), PE, "'zz'"),
    Case("fit_wlsmv: equal", lambda: _val.fit_wlsmv(ordinal3(), OM, equal="loadings"), PE, "invariance"),
    Case("fit_wlsmv: group unknown", lambda: _val.fit_wlsmv(ordinal3(), OM, group="zz"), PE, "group='zz'"),
    Case("fit_wlsmv: group is an item", lambda: _val.fit_wlsmv(ordinal3(), OM, group="a"), PE, "indicator"),
    Case(
        "fit_wlsmv: continuous item",
        lambda: _val.fit_wlsmv(ordinal3().assign(a=lambda d: d.a + 0.5), OM),
        DVE,
        "non-integer",
    ),
    Case("fit_wlsmv: no variance", lambda: _val.fit_wlsmv(ordinal3().assign(a=1), OM), DVE, "no variance"),
    Case("fit_wlsmv: text item", lambda: _val.fit_wlsmv(ordinal3().astype({"a": "str"}), OM), DVE, "numeric"),
    Case("fit_wlsmv: infinite", lambda: _val.fit_wlsmv(ordinal3().assign(a=np.inf), OM), DVE, "infinite"),
    Case(
        "fit_wlsmv: duplicated item",
        lambda: _val.fit_wlsmv(pd.concat([ordinal3(), ordinal3()[["a"]]], axis=1), OM),
        DVE,
        "'a' occurs 2",
    ),
    Case("fit_wlsmv: not identified", lambda: _val.fit_wlsmv(ordinal3(), "f =~ a + b"), EE, "identified"),
    Case("fit_wlsmv: latent name clash", lambda: _val.fit_wlsmv(ordinal3().assign(f=1), OM), PE, "latent"),
    Case(
        "fit_wlsmv: one group",
        lambda: _val.fit_wlsmv(ordinal3().assign(g="x"), OM, group="g"),
        DVE,
        "only one value",
    ),
    Case(
        "invariance_wlsmv: group None", lambda: _val.invariance_wlsmv(ordinal3(), OM, group=None), PE, "group"
    ),
    Case(
        "invariance_wlsmv: alpha",
        lambda: _val.invariance_wlsmv(ordinal3(), OM, group="g", alpha=5),
        PE,
        "alpha",
    ),
    Case(
        "invariance_wlsmv: alpha text",
        lambda: _val.invariance_wlsmv(ordinal3(), OM, group="g", alpha="x"),
        PE,
        "alpha",
    ),
    Case(
        "invariance_wlsmv: levels",
        lambda: _val.invariance_wlsmv(ordinal3(), OM, group="g", levels=["metric"]),
        PE,
        "levels='metric'.*'configural'",
    ),
    Case(
        "invariance_wlsmv: levels order",
        lambda: _val.invariance_wlsmv(ordinal3(), OM, group="g", levels=["scalar", "configural"]),
        PE,
        "order",
    ),
    Case(
        "invariance_wlsmv: levels empty",
        lambda: _val.invariance_wlsmv(ordinal3(), OM, group="g", levels=[]),
        PE,
        "at least one",
    ),
    Case(
        "invariance_wlsmv: category unused in a group",
        lambda: _val.invariance_wlsmv(
            ordinal3().assign(a=lambda d: np.where(d.g == "x", d.a.clip(0, 2), d.a)), OM, group="g"
        ),
        DVE,
        r"category \[3\] is never used in group 'x'",
    ),
    Case(
        "scaled_difference_test: not results",
        lambda: _wlsmv.scaled_difference_test("a", "b"),
        PE,
        "WLSMV results",
    ),
    Case(
        "cfa WLSMV: equal",
        lambda: _val.cfa(ordinal3(), OM, estimator="WLSMV", group="g", equal="loadings"),
        PE,
        "invariance",
    ),
    Case(
        "cfa: estimator lower case",
        lambda: _val.cfa(ordinal3(), OM, estimator="wlsmv"),
        PE,
        "estimator='wlsmv'.*'WLSMV'",
    ),
]


# ----------------------------------------------------------------------------------------
# reviewed third round: report, batch, demo, reportdata (options are refused before any
# kernel starts or any file is written)
# ----------------------------------------------------------------------------------------
from evalkit.reports import batch as _batch  # noqa: E402
from evalkit.reports import coalition as _coalition  # noqa: E402
from evalkit.reports import compute as _rd  # noqa: E402
from evalkit.reports import demo as _demo  # noqa: E402
from evalkit.reports import disclosure as _disclosure  # noqa: E402
from evalkit.reports import overview as _overview  # noqa: E402
from evalkit.reports import render as _report  # noqa: E402

_TPL = Path(__file__).resolve().parent.parent / "templates" / "coalition_report.ipynb"
_CO = [{"coalition_code": "GM0363", "coalition_name": "Amsterdam", "data_path": "x.csv"}]
_RP = {"coalition_code": "GM0363", "coalition_name": "Amsterdam", "data_path": "x.csv"}


def _rd_params(d=None) -> dict:
    return {"coalition_code": str(interventions()["municipality_code"].iloc[0]), "coalition_name": "X"}


def _no_kernel(*a, **k):  # pragma: no cover - must not be reached
    raise AssertionError("a kernel was started")


def _render(**kw):
    """report.render with kernels forbidden: options must fail before one starts."""
    import unittest.mock

    with unittest.mock.patch.object(_report, "_execute_fresh", _no_kernel):
        return _report.render(kw.pop("template", _TPL), kw.pop("parameters", _RP), "out", **kw)


def _run(**kw):
    import unittest.mock

    with (
        unittest.mock.patch.object(_batch, "_prepare_task", _no_kernel),
        unittest.mock.patch.object(_batch, "_render_task", _no_kernel),
    ):
        return _batch.run(kw.pop("template", _TPL), kw.pop("coalitions", _CO), "out", progress=False, **kw)


TARGETS += [
    Target("reportdata.compute", lambda d: _rd.compute(d, _rd_params()), interventions),
]

CASES += [
    # report
    Case("report.render: template missing", lambda: _render(template="nope.ipynb"), PE, "template="),
    Case(
        "report.render: unknown parameter",
        lambda: _render(parameters={**_RP, "colour": "red"}),
        PE,
        "unknown parameter",
    ),
    Case(
        "report.render: numeric code",
        lambda: _render(parameters={**_RP, "coalition_code": 363}),
        PE,
        "GM0363",
    ),
    Case("report.render: kernel", lambda: _render(kernel="warm"), PE, "kernel='warm'.*'fresh'"),
    Case("report.render: kernel_name", lambda: _render(kernel_name="R"), PE, "kernel_name='R'"),
    Case(
        "report.render: execution_timeout text",
        lambda: _render(execution_timeout="10"),
        PE,
        "execution_timeout",
    ),
    Case("report.render: execution_timeout 0", lambda: _render(execution_timeout=0), PE, "execution_timeout"),
    Case("report.render: write_notebook", lambda: _render(write_notebook="ja"), PE, "write_notebook"),
    Case("report.render: cwd", lambda: _render(cwd="/no/such/dir"), PE, "cwd="),
    Case("report.safe_filename: empty", lambda: _report.safe_filename("  "), PE, "name"),
    Case(
        "report.template_parameters: no parameters cell",
        lambda: _report.template_parameters(__import__("nbformat").v4.new_notebook()),
        PE,
        "tagged 'parameters'",
    ),
    # batch
    Case("batch.run: coalitions None", lambda: _run(coalitions=None), PE, "coalitions"),
    Case("batch.run: coalitions empty", lambda: _run(coalitions=[]), PE, "empty"),
    Case("batch.run: code missing", lambda: _run(coalitions=[{"coalition_name": "A"}]), PE, "coalition_code"),
    Case("batch.run: unknown parameter", lambda: _run(parameters={"colour": "red"}), PE, "unknown parameter"),
    Case("batch.run: workers", lambda: _run(workers=0), PE, "workers"),
    Case("batch.run: rerun", lambda: _run(rerun="sometimes"), PE, "rerun='sometimes'"),
    Case("batch.run: kernel", lambda: _run(kernel="hot"), PE, "kernel='hot'"),
    Case("batch.run: kernel_name", lambda: _run(kernel_name="R", renderer="notebook"), PE, "kernel_name='R'"),
    Case("batch.run: renderer", lambda: _run(renderer="papermill"), PE, "renderer='papermill'"),
    Case("batch.run: min_cell below 10", lambda: _run(parameters={"min_cell": 5}), PE, "ondergrens 10"),
    Case("batch.run: min_cell text", lambda: _run(parameters={"min_cell": "15"}), PE, "min_cell"),
    Case("batch.run: execution_timeout", lambda: _run(execution_timeout=-5), PE, "execution_timeout"),
    Case("batch.run: precompute", lambda: _run(precompute="yes"), PE, "precompute"),
    Case("batch.run: validate", lambda: _run(validate="strict"), PE, "validate"),
    Case("batch.run: lang", lambda: _run(lang="de"), PE, "lang='de'"),
    Case("batch.run: cwd", lambda: _run(cwd="/no/such/dir"), PE, "cwd="),
    Case(
        "batch.error_page: lang",
        lambda: _batch.error_page("GM0363", "A", stage="notebook", message="x", lang="de"),
        PE,
        "lang='de'",
    ),
    Case(
        "batch.error_page: stage",
        lambda: _batch.error_page("GM0363", "A", stage="kernel", message="x"),
        PE,
        "stage='kernel'",
    ),
    # demo
    Case(
        "demo.write_example_coalitions: all_municipalities",
        lambda: _demo.write_example_coalitions("data", all_municipalities="yes"),
        PE,
        "all_municipalities",
    ),
    Case(
        "demo.write_example_coalitions: seed",
        lambda: _demo.write_example_coalitions("data", seed=1.5),
        PE,
        "seed",
    ),
    Case("demo.run_demo: workers", lambda: _demo.run_demo("out", workers=0), PE, "workers"),
    Case("demo.run_demo: lang", lambda: _demo.run_demo("out", lang="fr"), PE, "lang='fr'"),
    Case("demo.run_demo: rerun", lambda: _demo.run_demo("out", rerun="never"), PE, "rerun='never'"),
    # reportdata
    Case(
        "reportdata.compute: params",
        lambda: _rd.compute(interventions(), {"coalition_name": "X"}),
        PE,
        "coalition_code",
    ),
    Case(
        "reportdata.compute: lang",
        lambda: _rd.compute(interventions(), {**_rd_params(), "lang": "de"}),
        PE,
        "lang",
    ),
    Case(
        "render_coalition: min_cell",
        lambda: _coalition.render_coalition(interventions(), coalition_code="GM0363", min_cell=0),
        PE,
        "min_cell",
    ),
    Case(
        "render_coalition: min_cell 5",
        lambda: _coalition.render_coalition(interventions(), coalition_code="GM0363", min_cell=5),
        PE,
        "ondergrens 10",
    ),
    Case(
        "render_coalition: code",
        lambda: _coalition.render_coalition(interventions(), coalition_code="0363"),
        PE,
        "GM0363",
    ),
    Case(
        "render_coalition: data",
        lambda: _coalition.render_coalition([1, 2], coalition_code="GM0363"),
        PE,
        "DataFrame",
    ),
    Case("disclosure.Policy: text", lambda: _disclosure.Policy("10"), PE, "heel getal"),
    Case(
        "reportdata.compute: no participant_id",
        lambda: _rd.compute(interventions().drop(columns="participant_id"), _rd_params()),
        DVE,
        "participant_id",
    ),
    Case(
        "overview.index_page: lang",
        lambda: _overview.index_page(
            pd.DataFrame({"coalition_code": [], "coalition_name": [], "status": []}), {}, None, lang="de"
        ),
        PE,
        "lang",
    ),
]


# ----------------------------------------------------------------------------------------
# the tests
# ----------------------------------------------------------------------------------------
#: Variants of the whole good data with another index, dtype or value type: the analysis runs
#: far or to the end on them, so together they take three quarters of this file's time (measured
#: December 2026). They run in ``make test``; the fast subset runs the other eleven variants
#: (not a DataFrame, empty, no columns, NaN-only, one or two rows, duplicated columns) of every
#: target.
FULL_RUN_VARIANTS = {
    "non-default index",
    "nullable Float64 with <NA>",
    "numbers as text",
    "infinite numbers",
    "text columns",
}


def _target_params():
    for t in TARGETS + NOT_YET_REVIEWED_TARGETS:
        for label in BAD_DATA:
            marks = [pytest.mark.slow] if label in FULL_RUN_VARIANTS else []
            yield pytest.param(t, label, id=f"{t.name} | {label}", marks=marks)


@pytest.mark.parametrize("target,variant", list(_target_params()))
def test_bad_data_gives_result_or_evalkit_error(target: Target, variant: str):
    data = BAD_DATA[variant](target.good())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are a fine answer to odd data
        try:
            out = target.call(data)
        except EvalkitError as exc:
            assert str(exc).strip(), "an evalkit error needs a message"
            return
        finally:
            matplotlib.pyplot.close("all")
    assert out is not None
    _use_result(out)


TIDY_START = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]


def _use_result(out) -> None:
    """A result that came back must also be usable: tidy() with the fixed first columns
    and scalar cells, and a summary in both languages (no bare traceback later on)."""
    if not isinstance(out, evalkit.results.Result):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tidy = out.tidy()
        assert list(tidy.columns[:7]) == TIDY_START, list(tidy.columns)
        for col in tidy.columns:
            assert not tidy[col].map(lambda v: isinstance(v, (list, tuple, dict, np.ndarray))).any(), col
        for lang in ("nl", "en"):
            assert out.summary(lang=lang).strip()


@pytest.mark.parametrize("case", CASES + NOT_YET_REVIEWED_CASES, ids=lambda c: c.name)
def test_bad_argument_raises_clear_error(case: Case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # templates that would be written land in a temp dir
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(case.error, match=case.match):
            case.call()


def test_targets_can_run_on_their_good_data():
    """Guards the table itself: each target works on its good data (else the bad-data
    test would pass for the wrong reason)."""
    for t in TARGETS + NOT_YET_REVIEWED_TARGETS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = t.call(t.good())
        assert out is not None, t.name
        _use_result(out)
        matplotlib.pyplot.close("all")
