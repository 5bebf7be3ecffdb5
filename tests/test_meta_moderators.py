"""Tests of evalkit.meta.subgroups and evalkit.meta.meta_regression against R metafor 3.8.1.

Reference: tests/reference/meta/make_reference_moderators.R on metafor's dat.bcg with the
moderators alloc (factor), ablat and year. The R fits use control = list(threshold = 1e-12),
so REML is compared at rtol 1e-6 like DL.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy import stats  # noqa: E402

from evalkit.core.errors import (  # noqa: E402
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    ParameterError,
)
from evalkit.core.results import TIDY_COLUMNS  # noqa: E402
from evalkit.methods.meta import meta_regression, random_effects, subgroups  # noqa: E402

REF = Path(__file__).parent / "reference" / "meta"
MODELS = {"alloc": ["alloc"], "ablat_year": ["ablat", "year"], "alloc_ablat": ["alloc", "ablat"]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def bcg():
    return pd.read_csv(REF / "dat_bcg_moderators.csv")


def _r_term(term: str) -> str:
    """evalkit term name -> metafor row name."""
    if term == "intercept":
        return "intrcpt"
    if "[" in term:
        mod, level = term[:-1].split("[")
        return f"factor({mod}){level}"
    return term


@pytest.mark.parametrize("method", ["REML", "DL"])
@pytest.mark.parametrize("model", list(MODELS))
def test_meta_regression_matches_metafor(bcg, model, method):
    coefs = pd.read_csv(REF / "metareg_coefficients.csv")
    stat = pd.read_csv(REF / "metareg_statistics.csv")
    ref_c = coefs[(coefs["model"] == model) & (coefs["method"] == method)].set_index("term")
    ref = stat[(stat["model"] == model) & (stat["method"] == method)].iloc[0]
    res = meta_regression(bcg, estimate="yi", variance="vi", moderators=MODELS[model], method=method)
    got = res.coefficients.assign(term=res.coefficients["term"].map(_r_term)).set_index("term")
    assert list(got.index) == list(ref_c.index)
    for ours, theirs in [
        ("estimate", "estimate"),
        ("std_error", "se"),
        ("z", "zval"),
        ("p_value", "pval"),
        ("ci_lower", "ci_lb"),
        ("ci_upper", "ci_ub"),
    ]:
        assert_allclose(got[ours], ref_c[theirs], rtol=1e-6, err_msg=ours)
    assert res.k == ref["k"] and res.p == ref["p"] and res.qm_df == ref["QMdf"]
    for ours, theirs in [
        ("tau2", "tau2"),
        ("i2", "I2"),
        ("h2", "H2"),
        ("qe", "QE"),
        ("qe_p", "QEp"),
        ("qm", "QM"),
        ("qm_p", "QMp"),
    ]:
        assert_allclose(getattr(res, ours), ref[theirs], rtol=1e-6, err_msg=ours)
    # metafor truncates R2 at 0 (the alloc model explains nothing)
    assert_allclose(res.r2, ref["R2"], rtol=1e-6, atol=1e-9)
    # DL too (metafor's moment-based SE; NaN before the second review)
    assert_allclose(res.se_tau2, ref["se_tau2"], rtol=1e-6)


def test_meta_regression_tidy_and_summary(bcg):
    res = meta_regression(bcg, estimate="yi", variance="vi", moderators=["alloc", "ablat"])
    t = res.tidy()
    assert list(t.columns[:7]) == list(TIDY_COLUMNS)
    assert list(t["term"]) == [
        "intercept",
        "alloc[random]",
        "alloc[systematic]",
        "ablat",
        "qm",
        "tau2",
        "i2",
        "r2",
        "qe",
    ]
    assert (t["n"] == 13).all()
    ti = t.set_index("term")
    assert ti.loc["qm", "df"] == 3 and ti.loc["qe", "df"] == 9
    assert res.reference_levels == {"alloc": "alternate"}
    assert "QM(3)" in res.summary() and "Moderatoren" in res.summary()
    assert "Moderators" in res.summary(lang="en")
    assert "<table" in res._repr_html_()


def test_meta_regression_std_error_input_and_categorical_order(bcg):
    d = bcg.assign(
        sei=np.sqrt(bcg["vi"]), alloc=pd.Categorical(bcg["alloc"], ["random", "alternate", "systematic"])
    )
    res = meta_regression(d, estimate="yi", std_error="sei", moderators="alloc")
    assert list(res.coefficients["term"]) == ["intercept", "alloc[alternate]", "alloc[systematic]"]
    # the reference level changes the coefficients, not the fit
    base = meta_regression(bcg, estimate="yi", variance="vi", moderators="alloc")
    assert_allclose(res.qm, base.qm, rtol=1e-9)
    assert_allclose(res.tau2, base.tau2, rtol=1e-9)
    assert_allclose(
        res.coefficients["estimate"].iloc[0],
        base.coefficients["estimate"].iloc[0] + base.coefficients["estimate"].iloc[1],
        rtol=1e-9,
    )


def test_meta_regression_recovers_known_moderator_effect():
    """Small Monte Carlo with known truth: type B is 0.3 lower than type A, tau = 0.1,
    k = 40 coalitions, 200 replications: unbiased coefficient, ~95% interval coverage."""
    rng = np.random.default_rng(7)
    k, reps = 40, 200
    typ = np.where(np.arange(k) % 2 == 0, "A", "B")
    est, cover, tau2, r2 = [], 0, [], []
    for _ in range(reps):
        se = rng.uniform(0.08, 0.2, k)
        y = -0.1 - 0.3 * (typ == "B") + rng.normal(0, 0.1, k) + rng.normal(0, se)
        d = pd.DataFrame({"y": y, "se": se, "type": typ})
        res = meta_regression(d, estimate="y", std_error="se", moderators="type")
        b = res.coefficients.set_index("term").loc["type[B]"]
        est.append(b["estimate"])
        cover += b["ci_lower"] <= -0.3 <= b["ci_upper"]
        tau2.append(res.tau2)
        r2.append(res.r2)
    assert abs(np.mean(est) + 0.3) < 0.01  # MC SE of the mean ~0.004
    assert 0.90 <= cover / reps <= 0.99  # nominal 95%
    assert abs(np.mean(tau2) - 0.01) < 0.003  # REML is nearly unbiased for tau^2
    assert np.nanmedian(r2) > 50


@pytest.mark.parametrize("method", ["REML", "DL"])
def test_subgroups_match_metafor(bcg, method):
    ref = pd.read_csv(REF / "subgroups_alloc.csv")
    ref = ref[ref["method"] == method].set_index("level")
    qb = pd.read_csv(REF / "subgroups_alloc_qbetween.csv").set_index("method").loc[method]
    res = subgroups(bcg, estimate="yi", variance="vi", moderator="alloc", label="author", method=method)
    g = res.groups.set_index("level")
    assert list(g.index) == list(ref.index)
    assert (g["k"] == ref["k"]).all()
    for ours, theirs in [
        ("estimate", "estimate"),
        ("std_error", "se"),
        ("p_value", "pval"),
        ("ci_lower", "ci_lb"),
        ("ci_upper", "ci_ub"),
        ("tau2", "tau2"),
        ("i2", "I2"),
        ("q", "QE"),
        ("q_p", "QEp"),
        ("pi_lower", "pi_lb"),
        ("pi_upper", "pi_ub"),
    ]:
        assert_allclose(g[ours], ref[theirs], rtol=1e-6, err_msg=ours)
    assert_allclose(res.q_between, qb["Q_between"], rtol=1e-6)
    assert_allclose(res.q_between_p, qb["p"], rtol=1e-6)
    assert res.q_between_df == qb["df"] == 2
    overall = random_effects(bcg, estimate="yi", variance="vi", method=method)
    assert_allclose(res.overall.estimate(), overall.estimate(), rtol=1e-12)
    t = res.tidy()
    assert list(t.columns[:7]) == list(TIDY_COLUMNS)
    assert list(t["term"]) == ["alternate", "random", "systematic", "q_between", "overall"]
    assert t.set_index("term").loc["q_between", "n"] == 13


def test_subgroups_single_coalition_level_and_plot(bcg):
    d = bcg.copy()
    d.loc[0, "alloc"] = "solo"
    res = subgroups(d, estimate="yi", variance="vi", moderator="alloc", label="author")
    solo = res.groups.set_index("level").loc["solo"]
    assert solo["k"] == 1
    assert_allclose(solo["estimate"], d.loc[0, "yi"], rtol=1e-12)
    assert_allclose(solo["std_error"], math.sqrt(d.loc[0, "vi"]), rtol=1e-12)
    assert math.isnan(solo["tau2"])
    # Q_between is a fixed-effect test of the subgroup estimates
    w = 1 / res.groups["std_error"] ** 2
    m = np.sum(w * res.groups["estimate"]) / np.sum(w)
    assert_allclose(res.q_between, np.sum(w * (res.groups["estimate"] - m) ** 2), rtol=1e-12)
    assert_allclose(res.q_between_p, stats.chi2.sf(res.q_between, 3), rtol=1e-12)
    ax = res.plot(lang="en")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "solo (k = 1)" in labels and "Pooled" in labels and "Aronson" in labels
    assert "QB(3)" in res.summary() and "1 coalitie)" in res.summary()


def test_bad_input(bcg):
    with pytest.raises(ParameterError, match="method="):
        meta_regression(bcg, estimate="yi", variance="vi", moderators="alloc", method="ML")
    with pytest.raises(ParameterError, match="exactly one"):
        meta_regression(bcg, estimate="yi", moderators="alloc")
    with pytest.raises(ParameterError, match="moderators='nope'"):
        meta_regression(bcg, estimate="yi", variance="vi", moderators="nope")
    with pytest.raises(ParameterError, match="at least one"):
        meta_regression(bcg, estimate="yi", variance="vi", moderators=[])
    with pytest.raises(EstimationError, match="do not vary"):
        meta_regression(bcg.assign(c="x"), estimate="yi", variance="vi", moderators="c")
    with pytest.raises(EstimationError, match="collinear"):
        meta_regression(
            bcg.assign(a2=bcg["ablat"] * 2), estimate="yi", variance="vi", moderators=["ablat", "a2"]
        )
    with pytest.raises(EstimationError, match="needs more than"):
        meta_regression(bcg.iloc[[0, 4, 9]], estimate="yi", variance="vi", moderators="alloc")
    with pytest.raises(DataValidationError, match="positive"):
        meta_regression(bcg.assign(vi=-bcg["vi"]), estimate="yi", variance="vi", moderators="ablat")
    d = bcg.copy()
    d.loc[0, "alloc"] = None
    with pytest.warns(DataQualityWarning, match="1 row"):
        res = meta_regression(d, estimate="yi", variance="vi", moderators="alloc")
    assert res.k == 12
    with pytest.raises(EstimationError, match="fewer than two levels"):
        subgroups(bcg.assign(c="x"), estimate="yi", variance="vi", moderator="c")
    with pytest.raises(ParameterError, match="moderator='zz'"):
        subgroups(bcg, estimate="yi", variance="vi", moderator="zz")
    with pytest.raises(ParameterError, match="prediction="):
        subgroups(bcg, estimate="yi", variance="vi", moderator="alloc", prediction="x")
    with pytest.raises(DataValidationError, match="positive"):
        subgroups(bcg.assign(se=0.0), estimate="yi", std_error="se", moderator="alloc")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        subgroups(bcg, estimate="yi", variance="vi", moderator="alloc")
