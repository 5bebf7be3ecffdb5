"""Tests of evalkit.prepost against independent references.

References (tests/reference/prepost/, see README.md there):
- Lakens (2013) Table 1 movie ratings, published t(9) = 4.74, d_z = 1.50, d_av = 1.13;
- R (stats::t.test, wilcox.test, pt-inversion, mcnemar.test, binom.test, psych::alpha);
- scipy, pingouin and statsmodels on the same data;
- Agresti's McNemar table (z = -4.17) and Fagerland, Lydersen & Laake's Newcombe example;
- a hand-worked Jacobson-Truax example;
- Monte Carlo coverage with known truth.
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
import pingouin as pg  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy import stats  # noqa: E402

from evalkit.core import plotting  # noqa: E402
from evalkit.core.errors import (  # noqa: E402
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    ParameterError,
    PrivacyWarning,
    SmallSampleWarning,
)
from evalkit.core.results import TIDY_COLUMNS  # noqa: E402
from evalkit.methods import prepost  # noqa: E402
from evalkit.methods.prepost import (  # noqa: E402
    attrition,
    by_group,
    paired,
    proportion_change,
    reliable_change,
)

REF = Path(__file__).parent / "reference" / "prepost"
KW = dict(outcome="total", unit="participant_id", time="wave")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def r_ref() -> dict:
    df = pd.read_csv(REF / "r_reference.csv")
    return dict(zip(df["name"], df["value"].astype(float)))


def long_frame(pre, post, ids=None, **cols) -> pd.DataFrame:
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    n = pre.size
    ids = np.asarray(ids if ids is not None else [f"P{i:04d}" for i in range(n)])
    df = pd.DataFrame(
        {
            "participant_id": np.concatenate([ids, ids]),
            "wave": ["pre"] * n + ["post"] * n,
            "total": np.concatenate([pre, post]),
        }
    )
    for k, v in cols.items():
        df[k] = np.concatenate([np.asarray(v), np.asarray(v)]) if np.ndim(v) else v
    return df


def synthetic(seed=1, n=120, drop=20):
    """Seeded DJG-like long data: participant_id, wave, total, group, gender, age."""
    rng = np.random.default_rng(seed)
    pre = rng.integers(0, 12, n).astype(float)
    post = np.clip(pre - rng.integers(-2, 4, n), 0, 11).astype(float)
    df = long_frame(
        pre,
        post,
        gender=rng.choice(["man", "vrouw", "anders"], n, p=[0.45, 0.5, 0.05]),
        age=rng.integers(55, 95, n),
        group="intervention",
    )
    if drop:
        df = df.drop(index=range(2 * n - drop, 2 * n)).reset_index(drop=True)
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)  # shuffled rows


def terms(res):
    return res.tidy().set_index("term")


LAKENS_M1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
LAKENS_M2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


@pytest.fixture(scope="module")
def lakens():
    # movie 2 is "pre", movie 1 "post": the difference post - pre = movie1 - movie2 as in Lakens
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return paired(long_frame(LAKENS_M2, LAKENS_M1), **KW)


# ------------------------------------------------------------------- paired: references
def test_lakens_published_values(lakens):
    t = terms(lakens)
    assert round(t.loc["mean_diff", "statistic"], 2) == 4.74
    assert t.loc["mean_diff", "df"] == 9
    assert round(t.loc["d_z", "estimate"], 2) == 1.50
    assert round(t.loc["d_av", "estimate"], 2) == 1.13
    # Hedges' correction of Lakens (2013) eq. 4 with n1 = n2 = 10
    assert_allclose(t.loc["g_av", "estimate"], t.loc["d_av", "estimate"] * (1 - 3 / 71), rtol=1e-12)
    assert (t["n"] == 10).all()


def test_lakens_against_r(lakens):
    r = r_ref()
    t = terms(lakens)
    assert_allclose(t.loc["mean_diff", "statistic"], r["lakens_t"], rtol=1e-10)
    assert_allclose(t.loc["mean_diff", "p_value"], r["lakens_p"], rtol=1e-8)
    assert_allclose(
        t.loc["mean_diff", ["ci_lower", "ci_upper"]].astype(float),
        [r["lakens_ci_lower"], r["lakens_ci_upper"]],
        rtol=1e-10,
    )
    assert_allclose(t.loc["d_z", "estimate"], r["lakens_dz"], rtol=1e-12)
    assert_allclose(t.loc["d_av", "estimate"], r["lakens_dav"], rtol=1e-12)
    # noncentral-t limits: R's pt() inverted with uniroot (tol 1e-13) vs scipy's nct + brentq
    assert_allclose(
        t.loc["d_z", ["ci_lower", "ci_upper"]].astype(float),
        [r["lakens_dz_ci_lower"], r["lakens_dz_ci_upper"]],
        rtol=1e-6,
    )
    assert_allclose(
        t.loc["d_av", ["ci_lower", "ci_upper"]].astype(float),
        [r["lakens_dav_ci_lower"], r["lakens_dav_ci_upper"]],
        rtol=1e-6,
    )
    assert_allclose(
        t.loc["srm", ["estimate", "ci_lower", "ci_upper"]].astype(float),
        t.loc["d_z", ["estimate", "ci_lower", "ci_upper"]].astype(float),
        rtol=0,
    )
    # R's V is the positive-rank sum (36 of 8*9/2 = 36); scipy's two-sided W is the smaller sum
    assert r["lakens_wilcox_V"] == 36
    assert t.loc["wilcoxon", "estimate"] == 0.0
    # ties -> R's default: normal approximation with tie and continuity correction
    assert_allclose(t.loc["wilcoxon", "p_value"], r["lakens_wilcox_p_default"], rtol=1e-10)


def test_descriptives(lakens):
    d = lakens.descriptives.set_index(["wave", "sample"])
    assert_allclose(
        d.loc[("pre", "pairs"), ["mean", "sd"]].astype(float), [7.7, np.std(LAKENS_M2, ddof=1)], rtol=1e-12
    )
    assert_allclose(
        d.loc[("post", "pairs"), ["mean", "sd"]].astype(float), [8.7, np.std(LAKENS_M1, ddof=1)], rtol=1e-12
    )
    assert_allclose(d.loc[("difference", "pairs"), "sd"], 2 / 3, rtol=1e-12)
    assert lakens.n == 10 and lakens.n_dropped == 0


def test_scipy_and_pingouin_on_same_data():
    df = synthetic(seed=7, n=150, drop=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = paired(df, **KW)
    wide = df.pivot(index="participant_id", columns="wave", values="total")
    x, y = wide["pre"].to_numpy(), wide["post"].to_numpy()
    t = terms(res)
    tt = stats.ttest_rel(y, x)
    assert_allclose(t.loc["mean_diff", "statistic"], tt.statistic, rtol=1e-12)
    assert_allclose(t.loc["mean_diff", "p_value"], tt.pvalue, rtol=1e-10)
    ci = tt.confidence_interval(0.95)
    assert_allclose(t.loc["mean_diff", ["ci_lower", "ci_upper"]].astype(float), [ci.low, ci.high], rtol=1e-12)
    d = y - x
    exact = np.count_nonzero(d) == d.size < 50 and np.unique(np.abs(d)).size == d.size
    w = stats.wilcoxon(d, method="exact" if exact else "approx", correction=not exact)
    assert_allclose(
        t.loc["wilcoxon", ["estimate", "p_value"]].astype(float), [w.statistic, w.pvalue], rtol=1e-12
    )
    p = pg.ttest(y, x, paired=True)
    assert_allclose(t.loc["mean_diff", "statistic"], p["T"].iloc[0], rtol=1e-10)
    assert_allclose(
        t.loc["mean_diff", "p_value"], p["p_val"].iloc[0] if "p_val" in p else p["p-val"].iloc[0], rtol=1e-8
    )
    # pingouin's paired Cohen's d divides by the root mean square of the two SDs
    # (sqrt((s1^2 + s2^2) / 2)); evalkit's d_av (Lakens) by their arithmetic mean.
    d = res.descriptives.set_index(["wave", "sample"])
    s1, s2 = d.loc[("pre", "pairs"), "sd"], d.loc[("post", "pairs"), "sd"]
    md = d.loc[("difference", "pairs"), "mean"]
    assert_allclose(
        abs(pg.compute_effsize(y, x, paired=True, eftype="cohen")),
        abs(md) / math.sqrt((s1**2 + s2**2) / 2),
        rtol=1e-10,
    )
    assert_allclose(t.loc["d_av", "estimate"], md / ((s1 + s2) / 2), rtol=1e-12)


def test_ties_and_zeros_against_r():
    r = r_ref()
    wide = pd.read_csv(REF / "paired_djg.csv")
    res = paired(long_frame(wide["pre"], wide["post"]), **KW)
    t = terms(res)
    assert_allclose(t.loc["mean_diff", "statistic"], r["djg_t"], rtol=1e-10)
    assert_allclose(t.loc["mean_diff", "p_value"], r["djg_p"], rtol=1e-8)
    assert_allclose(
        t.loc["mean_diff", ["ci_lower", "ci_upper"]].astype(float),
        [r["djg_ci_lower"], r["djg_ci_upper"]],
        rtol=1e-10,
    )
    nz = r["djg_wilcox_nonzero"]
    assert t.loc["wilcoxon", "estimate"] == min(r["djg_wilcox_V"], nz * (nz + 1) / 2 - r["djg_wilcox_V"])
    # with ties and zeros: normal approximation with tie and continuity correction, as R
    assert_allclose(t.loc["wilcoxon", "p_value"], r["djg_wilcox_p_default"], rtol=1e-8)
    assert_allclose(
        t.loc["d_z", ["ci_lower", "ci_upper"]].astype(float),
        [r["djg_dz_ci_lower"], r["djg_dz_ci_upper"]],
        rtol=1e-6,
    )


def test_tidy_contract(lakens):
    tidy = lakens.tidy()
    assert list(tidy.columns[:7]) == list(TIDY_COLUMNS)
    assert list(tidy["term"]) == ["mean_diff", "wilcoxon", "d_z", "d_av", "g_av", "srm"]
    for c in tidy.columns:
        assert not tidy[c].map(lambda v: isinstance(v, (list, np.ndarray))).any()


def test_effect_size_se_formulas(lakens):
    t = terms(lakens)
    n, dz, dav = 10, t.loc["d_z", "estimate"], t.loc["d_av", "estimate"]
    assert_allclose(t.loc["d_z", "std_error"], math.sqrt(1 / n + dz**2 / (2 * n)), rtol=1e-12)
    r = np.corrcoef(LAKENS_M1, LAKENS_M2)[0, 1]
    assert_allclose(lakens.correlation, r, rtol=1e-12)
    assert_allclose(
        t.loc["d_av", "std_error"], math.sqrt((1 / n + dav**2 / (2 * n)) * 2 * (1 - r)), rtol=1e-12
    )


def test_coverage_of_effect_size_intervals():
    """Monte Carlo with known truth: delta_z = 0.5, delta_av = 0.5 / sd... 400 samples, n = 20."""
    rng = np.random.default_rng(2026)
    n, reps, rho, mu = 20, 400, 0.5, 0.5
    cov = np.array([[1, rho], [rho, 1]])
    true_dz = mu / math.sqrt(2 - 2 * rho)
    true_dav = mu / 1.0
    hit_z = hit_av = 0
    for _ in range(reps):
        xy = rng.multivariate_normal([0, mu], cov, size=n)
        res = paired(long_frame(xy[:, 0], xy[:, 1]), **KW)
        t = terms(res)
        hit_z += t.loc["d_z", "ci_lower"] <= true_dz <= t.loc["d_z", "ci_upper"]
        hit_av += t.loc["d_av", "ci_lower"] <= true_dav <= t.loc["d_av", "ci_upper"]
    # binomial SE of a 95% coverage with 400 samples is 0.011
    assert 0.92 <= hit_z / reps <= 0.98
    assert 0.91 <= hit_av / reps <= 0.98


def test_large_sample_normal_approximation_is_continuous():
    from evalkit.methods.prepost import _nct_ci

    exact = _nct_ci(5.0, 2000, 0.95)
    approx = _nct_ci(5.0, 2001, 0.95)
    assert_allclose(exact, approx, rtol=2e-3)


# ------------------------------------------------------------------- pairing
def test_pairing_shuffled_with_dropouts_and_followup():
    df = synthetic(seed=3, n=100, drop=15)
    extra = pd.DataFrame(
        {
            "participant_id": ["P0000", "X1"],
            "wave": ["followup", "followup"],
            "total": [1.0, 2.0],
            "gender": "man",
            "age": 70,
            "group": "intervention",
        }
    )
    df = pd.concat([df, extra], ignore_index=True)
    df.loc[df.index[(df["participant_id"] == "P0001") & (df["wave"] == "post")], "total"] = np.nan
    with pytest.warns(DataQualityWarning, match="16 of 100"):
        res = paired(df, **KW)
    assert res.n == 84 and res.n_dropped == 16 and res.n_units == 100
    wide = (
        df[df["wave"].isin(["pre", "post"])]
        .pivot(index="participant_id", columns="wave", values="total")
        .dropna()
    )
    assert_allclose(terms(res).loc["mean_diff", "estimate"], (wide["post"] - wide["pre"]).mean(), rtol=1e-12)
    d = res.descriptives.set_index(["wave", "sample"])
    assert d.loc[("pre", "available"), "n"] == 100
    assert d.loc[("post", "available"), "n"] == 84


def test_nullable_and_integer_ids_and_custom_labels():
    df = long_frame([3, 5, 7, 2], [2, 5, 4, 1], ids=[10, 11, 12, 13])
    df["total"] = df["total"].astype("Float64")
    df["wave"] = df["wave"].map({"pre": "t0", "post": "t1"})
    res = paired(df, outcome="total", unit="participant_id", time="wave", pre="t0", post="t1")
    assert_allclose(terms(res).loc["mean_diff", "estimate"], -1.25)
    df.loc[0, "total"] = pd.NA
    with pytest.warns(DataQualityWarning):
        assert paired(df, outcome="total", unit="participant_id", time="wave", pre="t0", post="t1").n == 3


# ------------------------------------------------------------------- bad input
def test_duplicate_pre_row_names_the_unit():
    df = long_frame([3, 5, 7], [2, 5, 4])
    df = pd.concat([df, df.iloc[[1]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="P0001"):
        paired(df, **KW)


def test_no_pairs():
    df = pd.DataFrame({"participant_id": ["a", "b"], "wave": ["pre", "post"], "total": [1.0, 2.0]})
    with pytest.raises(EstimationError, match="No complete pairs"):
        paired(df, **KW)
    with pytest.raises(EstimationError, match="No pairs"):
        paired(df[df["wave"] == "pre"], **KW)


def test_constant_outcome_gives_documented_nan_with_warning():
    df = long_frame([4, 4, 4, 4, 4], [4, 4, 4, 4, 4])
    with pytest.warns(DataQualityWarning):
        res = paired(df, **KW)
    t = terms(res)
    assert t.loc["mean_diff", "estimate"] == 0
    for term in ("d_z", "d_av", "g_av", "srm"):
        assert np.isnan(t.loc[term, "estimate"])
    assert np.isnan(t.loc["mean_diff", "p_value"]) and np.isnan(t.loc["wilcoxon", "p_value"])
    res.summary()  # must not crash


def test_constant_difference_warns():
    with pytest.warns(DataQualityWarning, match="differences post - pre are equal"):
        res = paired(long_frame([1, 3, 5, 7], [0, 2, 4, 6]), **KW)
    t = terms(res)
    assert np.isnan(t.loc["d_z", "estimate"]) and np.isfinite(t.loc["d_av", "estimate"])


def test_one_pair_gives_nan_se_and_warning():
    with pytest.warns(SmallSampleWarning):
        res = paired(long_frame([6], [4]), **KW)
    t = terms(res)
    assert t.loc["mean_diff", "estimate"] == -2
    assert np.isnan(t.loc["mean_diff", ["std_error", "ci_lower", "ci_upper", "p_value"]].astype(float)).all()
    assert np.isnan(t.loc["d_z", "estimate"])
    res.summary("en")


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(outcome="nope"), ParameterError),
        (dict(unit="nope"), ParameterError),
        (dict(pre="post"), ParameterError),
        (dict(confidence=1.5), ParameterError),
    ],
)
def test_bad_arguments(kwargs, exc):
    df = long_frame([1, 2, 3], [1, 1, 1])
    with pytest.raises(exc):
        paired(df, **{**KW, **kwargs})


def test_bad_data():
    with pytest.raises(ParameterError):
        paired([1, 2], **KW)
    df = long_frame([1, 2, 3], [1, 1, 1])
    df["total"] = df["total"].astype(object)
    df.loc[0, "total"] = "veel"
    with pytest.raises(DataValidationError, match="non-numeric"):
        paired(df, **KW)
    df = long_frame([1, 2, 3], [1, 1, 1])
    df["participant_id"] = df["participant_id"].astype(object)
    df.loc[0, "participant_id"] = None
    with pytest.raises(DataValidationError, match="missing"):
        paired(df, **KW)


# ------------------------------------------------------------------- summary and plots
def test_summary_sentence_nl_en():
    df = synthetic(seed=5, n=60, drop=6)
    with pytest.warns(DataQualityWarning):
        res = paired(df, **KW)
    nl, en = res.summary(), res.summary("en")
    assert "De eenzaamheidsscore daalde gemiddeld met" in nl
    assert "bij 54 deelnemers met voor- en nameting" in nl and "95%-BI" in nl
    assert "The loneliness score decreased on average by" in en and "54 participants" in en
    assert "evalkit-result" in res._repr_html_()
    assert str(res) == nl


def test_plots():
    df = synthetic(seed=5, n=60, drop=0)
    res = paired(df, **KW)
    ax = res.plot()
    assert ax.get_ylim() == plotting.LONELINESS_LIMITS
    assert ax.get_xticklabels()[0].get_text() == "Voormeting"
    ax2 = res.plot(kind="shift", lang="en")
    assert ax2.get_legend() is not None
    other = df.rename(columns={"total": "wellbeing"})
    other["wellbeing"] = other["wellbeing"] * 10.5
    ax3 = paired(other, outcome="wellbeing", unit="participant_id", time="wave").plot()
    assert ax3.get_ylim() != plotting.LONELINESS_LIMITS
    paired(other, outcome="wellbeing", unit="participant_id", time="wave").plot(kind="shift")
    with pytest.raises(ParameterError):
        res.plot(kind="violin")


# ------------------------------------------------------------------- proportion_change
def agresti_frame():
    """Agresti's approval table [[794, 150], [86, 570]] (rows: first survey) as long data."""
    pre = np.r_[np.ones(794 + 150), np.zeros(86 + 570)]
    post = np.r_[np.ones(794), np.zeros(150), np.ones(86), np.zeros(570)]
    return long_frame(pre, post)


def test_mcnemar_agresti_and_statsmodels():
    from statsmodels.stats.contingency_tables import mcnemar

    r = r_ref()
    res = proportion_change(agresti_frame(), cutoff=1, ci_method="wald", **KW)
    t = terms(res)
    assert round(t.loc["change", "statistic"], 2) == -4.17  # Agresti's z
    assert_allclose(t.loc["change", "statistic"] ** 2, r["mcnemar_chisq"], rtol=1e-12)
    assert_allclose(t.loc["change", "p_value"], r["mcnemar_p_exact"], rtol=1e-10)
    sm = mcnemar(np.array([[794, 150], [86, 570]]), exact=True)
    assert_allclose(t.loc["change", "p_value"], sm.pvalue, rtol=1e-12)
    assert_allclose(t.loc["share_pre", "estimate"], 944 / 1600)
    assert_allclose(t.loc["share_post", "estimate"], 880 / 1600)
    assert_allclose(t.loc["change", "estimate"], -0.04, rtol=1e-12)
    # Agresti: SE 0.0095, 95% CI (-0.06, -0.02)
    assert round(t.loc["change", "std_error"], 4) == 0.0095
    assert_allclose(t.loc["change", ["ci_lower", "ci_upper"]].astype(float), [-0.06, -0.02], atol=0.002)
    assert res.table.loc[True, False] == 150 and res.table.loc[False, True] == 86


def test_newcombe_method10_published_example():
    # Fagerland, Lydersen & Laake (2017), ch. 8, Cavo et al. (2012): [[59, 6], [16, 80]],
    # Newcombe square-and-add interval for p1+ - p+1: -0.0621 (-0.1186 to -0.0046).
    # Our change is post - pre with pre in the rows, so pass the transposed table.
    pre = np.r_[np.ones(59 + 16), np.zeros(6 + 80)]
    post = np.r_[np.ones(59), np.zeros(16), np.ones(6), np.zeros(80)]
    t = terms(proportion_change(long_frame(pre, post), cutoff=0.5, **KW))
    assert round(t.loc["change", "estimate"], 4) == -0.0621
    assert_allclose(t.loc["change", ["ci_lower", "ci_upper"]].astype(float), [-0.1186, -0.0046], atol=5e-5)


def test_wilson_intervals_against_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    df = synthetic(seed=11, n=80, drop=0)
    t = terms(proportion_change(df, cutoff=3, **KW))
    k = int(round(t.loc["share_pre", "estimate"] * 80))
    assert_allclose(
        t.loc["share_pre", ["ci_lower", "ci_upper"]].astype(float),
        proportion_confint(k, 80, method="wilson"),
        rtol=1e-10,
    )


def test_proportion_change_bad_input_and_summary():
    df = synthetic(seed=2, n=40, drop=0)
    with pytest.raises(ParameterError):
        proportion_change(df, cutoff="hoog", **KW)
    with pytest.raises(ParameterError):
        proportion_change(df, cutoff=3, ci_method="exact", **KW)
    res = proportion_change(df, cutoff=3, **KW)
    assert "Het aandeel deelnemers eenzaam (score 3 of hoger)" in res.summary()
    assert "McNemar" in res.summary("en")
    assert res.plot().get_ylim() == plotting.PERCENT_LIMITS
    # no discordant pairs: p = 1, z undefined
    t = terms(proportion_change(long_frame([5, 1], [6, 0]), cutoff=3, **KW))
    assert t.loc["change", "p_value"] == 1.0 and np.isnan(t.loc["change", "statistic"])


# ------------------------------------------------------------------- reliable change
def test_reliable_change_hand_worked():
    # pre = 10, 12, 14, 16, 18: SD = sqrt(10); r = 0.84: SEM = sqrt(10) * 0.4 = 1.26491,
    # S_diff = sqrt(2) * SEM = 1.78885, threshold = 1.959964 * 1.78885 = 3.50607.
    # changes -5, -3, 0, +4, -3.6 -> RCI -2.795, -1.677, 0, 2.236, -2.012.
    pre = [10, 12, 14, 16, 18]
    post = [5, 9, 14, 20, 14.4]
    with pytest.warns(SmallSampleWarning):
        res = reliable_change(long_frame(pre, post), reliability=0.84, **KW)
    assert res.counts == {"improved": 2, "unchanged": 2, "deteriorated": 1}
    assert_allclose(res.sem, math.sqrt(10) * 0.4, rtol=1e-12)
    assert_allclose(res.s_diff, 1.788854381999832, rtol=1e-12)
    assert_allclose(res.threshold, 1.959963984540054 * 1.788854381999832, rtol=1e-12)
    t = terms(res)
    assert t.loc["improved", "count"] == 2 and t.loc["improved", "estimate"] == 0.4
    with pytest.warns(SmallSampleWarning):
        up = reliable_change(long_frame(pre, post), reliability=0.84, higher_is_better=True, **KW)
    assert up.counts == {"improved": 1, "unchanged": 2, "deteriorated": 2}


def test_reliable_change_alpha_from_items_matches_r_and_pingouin():
    r = r_ref()
    items = pd.read_csv(REF / "alpha_items.csv")
    a, n = prepost._cronbach_alpha(items, items=list(items.columns))
    assert n == 150
    assert_allclose(a, r["alpha_raw"], rtol=1e-10)
    assert_allclose(a, pg.cronbach_alpha(items)[0], rtol=1e-10)
    # in reliable_change: alpha of the items in the pre rows only
    rng = np.random.default_rng(4)
    total = items.sum(axis=1).to_numpy()
    post = np.clip(total - rng.integers(-2, 5, 150), 0, 11)
    df = long_frame(total, post)
    item_cols = {c: np.r_[items[c].to_numpy(), rng.integers(0, 2, 150)] for c in items.columns}
    df = df.assign(**item_cols)
    res = reliable_change(df, items=list(items.columns), **KW)
    assert_allclose(res.reliability, r["alpha_raw"], rtol=1e-10)
    assert sum(res.counts.values()) == 150
    assert "Cronbach" in res.summary()


def test_reliable_change_retest_and_bad_input():
    df = synthetic(seed=9, n=80, drop=0)
    res = reliable_change(df, reliability="retest", **KW)
    wide = df.pivot(index="participant_id", columns="wave", values="total")
    assert_allclose(res.reliability, np.corrcoef(wide["pre"], wide["post"])[0, 1], rtol=1e-12)
    with pytest.raises(ParameterError, match="items"):
        reliable_change(df, **KW)
    with pytest.raises(ParameterError):
        reliable_change(df, reliability=1.5, **KW)
    with pytest.raises(ParameterError):
        reliable_change(df, reliability="split-half", **KW)
    with pytest.raises(ParameterError):
        reliable_change(df, reliability=0.8, higher_is_better="lower", **KW)
    with pytest.raises(EstimationError):
        reliable_change(long_frame([3, 3, 3], [1, 2, 3]), reliability=0.8, **KW)


def test_reliable_change_never_exposes_units():
    df = synthetic(seed=9, n=80, drop=0)
    res = reliable_change(df, reliability=0.8, **KW)
    tidy = res.tidy()
    assert len(tidy) == 6 and "participant_id" not in tidy.columns
    text = res.summary() + res._repr_html_()
    assert "P00" not in text
    public = [a for a in vars(res) if not a.startswith("_")]
    for a in public:
        v = getattr(res, a)
        assert not (isinstance(v, (np.ndarray, pd.Series, pd.DataFrame)) and len(v) == 80)
    ax = res.plot()
    assert len(ax.patches) == 3


# ------------------------------------------------------------------- attrition
def test_attrition_against_scipy():
    df = synthetic(seed=12, n=150, drop=40)
    res = attrition(df, covariates=["age", "gender"], **KW)
    assert (res.n_baseline, res.n_completers, res.n_dropouts) == (150, 110, 40)
    pre = df[df["wave"] == "pre"].set_index("participant_id")
    done = set(df.loc[df["wave"] == "post", "participant_id"])
    comp = pre.index.isin(list(done))
    t = terms(res)
    for var in ("total", "age"):
        xc, xd = pre.loc[comp, var].to_numpy(float), pre.loc[~comp, var].to_numpy(float)
        w = stats.ttest_ind(xd, xc, equal_var=False)
        assert_allclose(
            t.loc[var, ["statistic", "p_value"]].astype(float), [w.statistic, w.pvalue], rtol=1e-10
        )
        ci = w.confidence_interval()
        assert_allclose(t.loc[var, ["ci_lower", "ci_upper"]].astype(float), [ci.low, ci.high], rtol=1e-10)
        sd = math.sqrt((xc.var(ddof=1) + xd.var(ddof=1)) / 2)
        assert_allclose(t.loc[var, "std_diff"], (xd.mean() - xc.mean()) / sd, rtol=1e-12)
    ct = pd.crosstab(pre["gender"], comp)
    chi = stats.chi2_contingency(ct.to_numpy(), correction=False)
    assert_allclose(
        t.loc["gender:vrouw", ["statistic", "p_value"]].astype(float), [chi.statistic, chi.pvalue], rtol=1e-10
    )
    pc = (pre.loc[comp, "gender"] == "man").mean()
    pdd = (pre.loc[~comp, "gender"] == "man").mean()
    assert_allclose(t.loc["gender:man", "estimate"], pdd - pc, rtol=1e-12)
    assert_allclose(
        t.loc["gender:man", "std_diff"],
        (pdd - pc) / math.sqrt((pc * (1 - pc) + pdd * (1 - pdd)) / 2),
        rtol=1e-12,
    )
    assert "deden er 40 (27%) niet mee" in res.summary()
    assert "40" in res.summary("en")
    res.plot()


def test_attrition_without_dropouts_warns():
    with pytest.warns(SmallSampleWarning):
        res = attrition(synthetic(seed=1, n=30, drop=0), **KW)
    assert np.isnan(terms(res).loc["total", "p_value"])
    assert "Te weinig" in res.summary()


# ------------------------------------------------------------------- by_group
def test_by_group_gives_full_numbers_equal_to_the_subsets():
    """Methods return full numbers (the disclosure layer of the reports decides what a
    reader sees): a small subgroup gets its own analysis, equal to the method on the subset,
    and no PrivacyWarning."""
    df = synthetic(seed=21, n=200, drop=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        warnings.simplefilter("error", PrivacyWarning)
        res = by_group(paired, df, by="gender", **KW)
        tidy = res.tidy()
        assert "suppressed" not in tidy.columns
        small = tidy[tidy["group"] == "anders"]
        assert list(small["term"]) == ["mean_diff", "wilcoxon", "d_z", "d_av", "g_av", "srm"]
        n_small = int(small.set_index("term").loc["mean_diff", "n"])
        assert 1 < n_small < 10  # a group a report would never show
        for g in ("man", "vrouw", "anders"):
            own = terms(paired(df[df["gender"] == g], **KW))
            got = tidy[tidy["group"] == g].set_index("term")
            assert_allclose(got["estimate"].astype(float), own["estimate"].astype(float), rtol=1e-12)
            assert_allclose(got["n"].astype(float), own["n"].astype(float), rtol=0)
    text = res.summary()
    assert "anders: " in text and f"n = {n_small}" in text and "openbaarmakingscontrole" in text
    assert "disclosure control" in res.summary("en")
    res.plot()


def test_by_group_uses_baseline_group_and_refuses_min_cell():
    df = synthetic(seed=22, n=60, drop=0)
    df["band"] = np.where(df["age"] < 75, "<75", "75+")
    # a participant's band changes between waves: must be assigned by the pre row
    pid = df["participant_id"].iloc[0]
    pre_band = df.loc[(df["participant_id"] == pid) & (df["wave"] == "pre"), "band"].iloc[0]
    df.loc[(df["participant_id"] == pid) & (df["wave"] == "post"), "band"] = "other"
    res = by_group(paired, df, by="band", **KW)
    tidy = res.tidy()
    assert "other" not in set(tidy["group"])
    assert (tidy["by"] == "band").all()
    assert tidy.groupby("group")["n"].first().sum() == 60
    assert pre_band in set(tidy["group"])
    with pytest.raises(ParameterError):
        by_group(paired, df, by="nope", **KW)
    # no privacy threshold in a method: the disclosure layer of the reports has it
    with pytest.raises(ParameterError, match="min_cell.*disclosure"):
        by_group(paired, df, by="band", min_cell=10, **KW)


def test_by_group_a_group_that_cannot_be_estimated_keeps_blank_rows():
    df = synthetic(seed=25, n=60, drop=10)
    one = df["participant_id"].iloc[0]
    df["site"] = np.where(df["participant_id"] == one, "alone", "rest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = by_group(paired, df, by="site", **KW)
        tidy = res.tidy()
    alone = tidy[tidy["group"] == "alone"]
    assert len(alone) and alone["estimate"].isna().all()
    rest = tidy[tidy["group"] == "rest"]
    assert rest["estimate"].notna().any()
    assert "alone: niet te schatten" in res.summary()


def test_by_group_attrition_equals_attrition_per_subgroup():
    df = synthetic(seed=23, n=120, drop=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = by_group(attrition, df, by="gender", covariates=["age"], **KW)
        tidy = res.tidy()
        for g in ("man", "vrouw"):
            own = attrition(df[df["gender"] == g], covariates=["age"], **KW).tidy()
            got = tidy[tidy["group"] == g]
            assert_allclose(got["n_completers"].astype(float), own["n_completers"].astype(float), rtol=0)
            assert_allclose(got["n_dropouts"].astype(float), own["n_dropouts"].astype(float), rtol=0)
    # the small group is there with its own counts (full numbers for the analysis)
    small = tidy[tidy["group"] == "anders"]
    assert len(small) and (small[["n_completers", "n_dropouts"]].min(axis=1) < 10).all()


def test_by_group_other_functions():
    df = synthetic(seed=24, n=160, drop=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = by_group(reliable_change, df, by="gender", reliability=0.8, **KW).tidy()
        pc = by_group(proportion_change, df, by="gender", cutoff=3, **KW)
    assert set(rc["group"]) == {"man", "vrouw", "anders"}
    assert (rc.groupby("group")["term"].count() == 6).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own_rc = terms(reliable_change(df[df["gender"] == "anders"], reliability=0.8, **KW))
    got_rc = rc[rc["group"] == "anders"].set_index("term")
    assert_allclose(got_rc["estimate"].astype(float), own_rc["estimate"].astype(float), rtol=1e-12)
    own = terms(proportion_change(df[df["gender"] == "man"], cutoff=3, **KW))
    got = pc.tidy().query("group == 'man'").set_index("term")
    assert_allclose(got["estimate"].astype(float), own["estimate"].astype(float), rtol=1e-12)
    assert "'change'" in pc.summary()


def test_edge_cases_do_not_crash_plots_and_categorical_wave():
    with pytest.warns(SmallSampleWarning):
        one = paired(long_frame([6], [4]), **KW)
    one.plot()
    one.plot(kind="shift")
    df = synthetic(seed=25, n=30, drop=0)
    df["wave"] = pd.Categorical(df["wave"], categories=["pre", "post"])
    assert paired(df, **KW).n == 30


def test_attrition_summary_leaves_out_excluded_categories():
    rng = np.random.default_rng(5)
    n = 120
    ids = [f"p{i}" for i in range(n)]
    gender = np.where(np.arange(n) < 4, "anders", np.where(np.arange(n) % 2, "man", "vrouw"))
    pre = pd.DataFrame(
        {"participant_id": ids, "wave": "pre", "total": rng.integers(0, 12, n), "gender": gender}
    )
    keep = np.arange(n) >= 30  # the 4 "anders" all drop out -> a large standardised difference
    post = pre[keep].assign(wave="post", total=rng.integers(0, 12, int(keep.sum())))
    df = pd.concat([pre, post], ignore_index=True)
    res = attrition(df, outcome="total", unit="participant_id", time="wave", covariates=["gender"])
    assert "anders" in res.summary("en")  # the method gives the full result
    text = res.summary("nl", labels={"gender": "geslacht"}, exclude=[("gender", "anders")])
    assert "anders" not in text and "niet genoemd" in text
    text2 = res.summary("nl", exclude=[("gender", "man")])
    assert "geslacht: man" not in text2 and "gender: man" not in text2
    assert "gender" not in text
