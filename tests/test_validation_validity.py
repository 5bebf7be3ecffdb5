"""Construct and criterion validity: ROC vs pROC (tests/reference/proc/proc_reference.R) and
scikit-learn; correlations vs scipy; Wilson/Clopper-Pearson vs statsmodels; known groups vs
scipy/pingouin; CI coverage by simulation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataValidationError, ParameterError
from evalkit.methods.validation import hypotheses_test, known_groups, roc
from evalkit.methods.validation.validity import _delong, proportion_ci

REF = Path(__file__).parent / "reference" / "proc"
R = json.loads((REF / "proc_reference.json").read_text())


@pytest.fixture(scope="module")
def rocdata():
    return pd.read_csv(REF / "roc.csv")


def test_roc_matches_proc_and_sklearn(rocdata):
    from sklearn.metrics import roc_auc_score

    res = roc(rocdata, score="score", reference="reference")
    assert_allclose(res.auc, R["auc"], rtol=1e-12)
    assert_allclose(res.auc, roc_auc_score(rocdata["reference"], rocdata["score"]), rtol=1e-12)
    assert_allclose(res.auc_se**2, R["var_delong"], rtol=1e-10)
    assert_allclose(res.auc_ci, R["ci_delong"], rtol=1e-10)
    thr = np.array([{"-Inf": -np.inf, "Inf": np.inf}.get(t, t) for t in R["thresholds"]], dtype=float)
    assert_allclose(res.curve["threshold"], thr, rtol=1e-12)
    assert_allclose(res.curve["sensitivity"], R["sensitivities"], rtol=1e-12)
    assert_allclose(res.curve["specificity"], R["specificities"], rtol=1e-12)
    best = R["best"]
    assert res.cutoff == best["threshold"]
    assert res.counts == {k: best[k] for k in ("tp", "fn", "tn", "fp")}
    assert_allclose(
        [res.sensitivity, res.specificity], [best["sensitivity"], best["specificity"]], rtol=1e-12
    )


def test_sensitivity_ci_matches_statsmodels(rocdata):
    from statsmodels.stats.proportion import proportion_confint

    for method, sm in (("wilson", "wilson"), ("clopper-pearson", "beta")):
        res = roc(rocdata, score="score", reference="reference", ci_method=method)
        c = res.counts
        assert_allclose(res.sens_ci, proportion_confint(c["tp"], c["tp"] + c["fn"], method=sm), rtol=1e-10)
        assert_allclose(res.spec_ci, proportion_confint(c["tn"], c["tn"] + c["fp"], method=sm), rtol=1e-10)
    assert proportion_ci(0, 10, method="clopper-pearson")[0] == 0.0


def test_delong_ci_coverage_simulation():
    """Binormal model with known AUC = Phi(d / sqrt(2)); 95% CI coverage near nominal."""
    from scipy import stats

    rng = np.random.default_rng(3)
    d = 1.0
    true_auc = stats.norm.cdf(d / np.sqrt(2))
    reps, hits = 300, 0
    for _ in range(reps):
        pos, neg = rng.normal(d, 1, 60), rng.normal(0, 1, 90)
        auc, var = _delong(pos, neg)
        hits += abs(auc - true_auc) <= 1.959964 * np.sqrt(var)
    assert 0.91 <= hits / reps <= 0.985  # binomial sd of the coverage ~0.013


def test_hypotheses_correlations_match_scipy():
    from scipy import stats

    rng = np.random.default_rng(8)
    n = 400
    s = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "score": s,
            "ucla3": 0.7 * s + rng.normal(scale=0.7, size=n),
            "wellbeing": -0.4 * s + rng.normal(size=n),
            "friends": rng.normal(size=n),
        }
    )
    df.loc[3, "friends"] = np.nan
    hyp = [
        {"measure": "ucla3", "direction": "+", "min_r": 0.5},
        {"measure": "wellbeing", "direction": "-", "min_r": 0.5, "label": "welzijn"},
        {"measure": "friends", "direction": "0", "max_r": 0.3},
    ]
    res = hypotheses_test(df, hyp, score="score")
    t = res.tidy()
    for i, m in enumerate(["ucla3", "wellbeing", "friends"]):
        ok = df[m].notna()
        ref = stats.pearsonr(df.loc[ok, "score"], df.loc[ok, m])
        ci = ref.confidence_interval(0.95)
        assert_allclose(t.loc[i, "estimate"], ref.statistic, rtol=1e-12)
        assert_allclose([t.loc[i, "ci_lower"], t.loc[i, "ci_upper"]], [ci.low, ci.high], rtol=1e-8)
        assert_allclose(t.loc[i, "p_value"], ref.pvalue, rtol=1e-8)
        assert t.loc[i, "n"] == ok.sum()
    assert t["confirmed"].tolist() == [True, False, True]
    assert res.share_confirmed == pytest.approx(2 / 3) and res.rating == "-"
    assert "welzijn" in res.summary()
    sp = hypotheses_test(df, hyp[:1], score="score", method="spearman")
    assert_allclose(
        sp.tidy()["estimate"].iloc[0], stats.spearmanr(df["score"], df["ucla3"]).statistic, rtol=1e-12
    )
    import matplotlib.pyplot as plt

    res.plot()
    plt.close("all")


def test_known_groups_match_scipy_and_pingouin():
    import pingouin as pg
    from scipy import stats

    rng = np.random.default_rng(9)
    df = pd.DataFrame(
        {
            "s": np.r_[rng.normal(12, 4, 80), rng.normal(9, 3, 120), rng.normal(10, 3, 60)],
            "g": ["lonely"] * 80 + ["not"] * 120 + ["other"] * 60,
        }
    )
    res = known_groups(
        df, score="s", group="g", hypotheses=[{"higher": "lonely", "lower": "not", "min_d": 0.5}]
    )
    r = res.tidy().iloc[0]
    a, b = df.s[df.g == "lonely"], df.s[df.g == "not"]
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert_allclose(r["p_value"], ref.pvalue, rtol=1e-10)
    assert_allclose(r["t"], ref.statistic, rtol=1e-10)
    ci = ref.confidence_interval(0.95)
    assert_allclose([r["ci_lower"], r["ci_upper"]], [ci.low, ci.high], rtol=1e-10)
    assert_allclose(r["cohens_d"], pg.compute_effsize(a, b, eftype="cohen"), rtol=1e-10)
    assert bool(r["confirmed"])
    allpairs = known_groups(df, score="s", group="g")
    assert len(allpairs.tidy()) == 3
    with pytest.raises(ParameterError, match="not a group"):
        known_groups(df, score="s", group="g", hypotheses=[{"higher": "x", "lower": "not"}])


def test_bad_input(rocdata):
    with pytest.raises(DataValidationError, match="exactly two values"):
        roc(rocdata.assign(reference=[0, 1, 2] * 60), score="score", reference="reference")
    with pytest.raises(DataValidationError, match="never equals"):
        roc(rocdata, score="score", reference="reference", positive="ja")
    with pytest.raises(ParameterError, match="ci_method"):
        roc(rocdata, score="score", reference="reference", ci_method="wald")
    df = pd.DataFrame({"s": range(10), "m": range(10)})
    with pytest.raises(ParameterError, match="direction"):
        hypotheses_test(df, [{"measure": "m", "direction": "up"}], score="s")
    with pytest.raises(ParameterError, match="empty"):
        hypotheses_test(df, [], score="s")
    with pytest.raises(ParameterError, match="not a column"):
        hypotheses_test(df, [{"measure": "zz"}], score="s")
    with pytest.raises(ParameterError, match="unknown keys"):
        hypotheses_test(df, [{"measure": "m", "size": 0.5}], score="s")
    with pytest.raises(DataValidationError, match="no variance"):
        hypotheses_test(df.assign(m=1), [{"measure": "m"}], score="s")
