"""evalkit.power against R pwr, pingouin, statsmodels, published G*Power examples and
simulation. References: tests/reference/power/ (pwr.R, pwr.json, sessionInfo.txt); the
sources of the published numbers are named at each test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import evalkit
from evalkit.core.errors import EstimationError, ParameterError
from evalkit.methods import power

R = json.loads((Path(__file__).parent / "reference" / "power" / "pwr.json").read_text())


# ---------------------------------------------------------------------- paired t-test
def test_paired_gpower_manual_example():
    # G*Power 3.1 manual, "Means: Difference between two dependent means (matched pairs)":
    # Cohen (1969, p. 48), d = 0.4, r = 0.55 -> dz = 0.421637, N = 50 pairs, alpha = .05
    # two-sided: power 0.832114 (printed to 6 decimals, hence atol 5e-7). Source:
    # psycho.uni-duesseldorf.de/abteilungen/aap/gpower3/user-guide-by-distribution/t/
    # means_difference_between_two_dependent
    res = power.paired(effect=0.421637, n=50)
    assert_allclose(res.power, 0.832114, atol=5e-7)


def test_paired_equals_pwr():
    assert_allclose(power.paired(effect=0.421637, n=50).power, R["paired_power"], rtol=1e-9)
    assert_allclose(
        power.paired(effect=0.3, n=40, alternative="one-sided").power, R["paired_power_one_sided"], rtol=1e-9
    )
    # solved quantities: pwr's uniroot tolerance is .Machine$double.eps^0.25 (1.2e-4 absolute),
    # so pwr's n and d are off by up to ~1e-5 relative; ours solve to 1e-10
    res = power.paired(effect=0.5, power=0.8)
    assert_allclose(res.n_exact, R["paired_n"], rtol=1e-5)
    assert res.n == 34 and res.power >= 0.8
    assert power.paired(effect=0.5, n=33).power < 0.8
    assert_allclose(power.paired(effect=0.2, power=0.9, alpha=0.01).n_exact, R["paired_n_small"], rtol=1e-5)
    assert_allclose(power.paired(n=30, power=0.8).effect, R["paired_effect"], rtol=1e-5)


def test_paired_equals_pingouin_and_statsmodels():
    import pingouin as pg
    from statsmodels.stats.power import TTestPower

    for d, n in [(0.2, 25), (0.5, 12), (0.8, 60)]:
        ours = power.paired(effect=d, n=n).power
        assert_allclose(ours, pg.power_ttest(d=d, n=n, contrast="paired"), rtol=1e-8)
        assert_allclose(ours, TTestPower().power(effect_size=d, nobs=n, alpha=0.05), rtol=1e-8)
    # solving n: pingouin's brenth solution to 1e-6
    assert_allclose(
        power.paired(effect=0.35, power=0.9).n_exact,
        pg.power_ttest(d=0.35, power=0.9, contrast="paired"),
        rtol=1e-6,
    )


# ---------------------------------------------------------------------- McNemar
def test_mcnemar_gpower_example():
    # G*Power 3.1 manual, "Proportions: inequality, two dependent groups (McNemar)",
    # example: OR = 0.25, proportion of discordant pairs 0.4, N = 50, alpha = .05
    # one-sided: power 0.839343, actual alpha 0.032578 (figures as quoted by the pwrss
    # test suite, metinbulus/pwrss tests/testthat/test-proportions.mcnemar.R, "example 5.3
    # from GPower"). Our exact unconditional power is 0.839357 (pwrss gets the same): 1.4e-5
    # from G*Power's printed value, cause unknown, hence atol 2e-5; the actual alpha agrees
    # to its 6 printed decimals.
    res = power.mcnemar(odds_ratio=0.25, discordant=0.4, n=50, alternative="one-sided")
    assert_allclose(res.power, 0.839343, atol=2e-5)
    assert res.actual_alpha is not None
    assert_allclose(res.actual_alpha, 0.032578, atol=1e-6)


def test_mcnemar_exact_equals_pwrss_published_values():
    # pwrss (metinbulus/pwrss, tests/testthat/test-proportions.mcnemar.R), validated by its
    # authors against PASS and G*Power: prob10 = .20, prob01 = .10 (OR 2, discordant .3)
    assert_allclose(power.mcnemar(odds_ratio=2, discordant=0.3, n=100).power, 0.373077084, atol=1e-9)
    assert_allclose(
        power.mcnemar(odds_ratio=0.5, discordant=0.3, n=100, alternative="one-sided").power,
        0.514606143,
        atol=1e-9,
    )
    res = power.mcnemar(odds_ratio=2, discordant=0.3, power=0.8)
    assert res.n == 249
    assert_allclose(res.power, 0.801446921, atol=1e-9)
    # one-sided: pwrss reports n = 200 with power 0.80298386; the power at 200 is the same
    # here, but 199 pairs already give 0.8011 (pwrss does not search for the smallest n)
    assert_allclose(
        power.mcnemar(odds_ratio=2, discordant=0.3, n=200, alternative="one-sided").power,
        0.80298386,
        atol=1e-8,
    )
    res1 = power.mcnemar(odds_ratio=2, discordant=0.3, power=0.8, alternative="one-sided")
    assert res1.n == 199 and 0.8 <= res1.power < 0.8011
    # the smallest n: one less does not reach the power
    assert power.mcnemar(odds_ratio=2, discordant=0.3, n=248).power < 0.8


def test_mcnemar_normal_connor_example():
    # Connor (1987) formula as published with R code on powerandsamplesize.com
    # ("Compare paired proportions: McNemar's Z-test, 2-sided equality"): p01 = .45,
    # p10 = .05 (OR 9, discordant .5), alpha .05, power .80 -> n = 22.01, ceiling 23
    res = power.mcnemar(odds_ratio=9, discordant=0.5, power=0.8, method="normal")
    p_disc, p_diff = 0.5, 0.05 - 0.45
    n_formula = (
        (1.959963984540054 * np.sqrt(p_disc) + 0.8416212335729143 * np.sqrt(p_disc - p_diff**2)) / p_diff
    ) ** 2
    assert_allclose(res.n_exact, n_formula, rtol=1e-12)
    assert res.n == 23
    # power at the solution is the target
    assert_allclose(power.mcnemar(odds_ratio=9, discordant=0.5, n=23, method="normal").power, 0.8, atol=0.02)


def test_mcnemar_solves_odds_ratio():
    res = power.mcnemar(discordant=0.3, n=249, power=0.8)
    assert 1.9 < res.effect < 2.05
    assert_allclose(power.mcnemar(odds_ratio=res.effect, discordant=0.3, n=249).power, 0.8, atol=1e-8)


# ---------------------------------------------------------------------- DiD
def test_did_without_clusters_is_two_sample_t_on_changes():
    res = power.did_2x2(effect=0.3, power=0.8, rho=0.5)
    # pwr: n per group; evalkit: n in total (twice), solved to pwr's tolerance
    assert_allclose(res.n_exact, 2 * R["did_n_per_group"], rtol=1e-5)
    assert res.n % 2 == 0 and res.power >= 0.8
    assert_allclose(power.did_2x2(effect=0.4, n=200, rho=0.8).power, R["did_power_per_group_100"], rtol=1e-9)
    # pwr's uniroot tolerance is .Machine$double.eps^0.25 (1.2e-4), so its d is off by
    # 4e-5 here; ours reaches the power to 1e-9 (through the power checked above)
    eff = power.did_2x2(n=120, power=0.9, rho=0.5).effect
    assert_allclose(eff, R["did_effect_per_group_60"], rtol=1e-4)
    assert_allclose(power.did_2x2(effect=eff, n=120, rho=0.5).power, 0.9, atol=1e-9)


def test_did_with_clusters_by_simulation():
    """Known truth: simulate clustered changes and test the DiD on cluster means (t with
    clusters - 2 df); the rejection rate must match the analytic power within 3 Monte Carlo
    standard errors (4,000 seeded replications)."""
    k, m, icc, rho, effect = 12, 15, 0.1, 0.5, 0.5
    pw = power.did_2x2(effect=effect, n=k * m, rho=rho, clusters=k, icc=icc).power
    rng = np.random.default_rng(2026)
    reps = 4000
    var_change = 2 * (1 - rho)
    cl = rng.normal(0, np.sqrt(icc * var_change), (reps, k))
    ind = rng.normal(0, np.sqrt((1 - icc) * var_change), (reps, k, m)).mean(axis=2)
    means = cl + ind
    means[:, : k // 2] += effect  # intervention clusters: the DiD effect
    a, b = means[:, : k // 2], means[:, k // 2 :]
    from scipy import stats

    t = stats.ttest_ind(a, b, axis=1)
    rate = float(np.mean(t.pvalue < 0.05))
    se = np.sqrt(pw * (1 - pw) / reps)
    assert abs(rate - pw) < 3 * se, (rate, pw, se)


def test_did_cluster_limit():
    with pytest.raises(EstimationError, match="clusters"):
        power.did_2x2(effect=0.1, power=0.9, clusters=6, icc=0.2)


# ---------------------------------------------------------------------- simulate
def test_simulate_reruns_identically_and_fits_at_large_n():
    a = power.simulate(target="fit", n=[60, 400], n_rep=6, seed=11)
    b = power.simulate(target="fit", n=[60, 400], n_rep=6, seed=11)
    assert a.grid.equals(b.grid)
    assert a.grid.loc[a.grid["n"] == 400, "power"].item() == 1.0  # correct model, large n
    assert a.n in (60, 400)
    t = a.tidy()
    assert list(t["term"]) == ["power", "power", "n"] and t["solved"].tolist() == [False, False, True]
    c = power.simulate(target="fit", n=[60], n_rep=6, seed=12)
    assert c.grid["n_rep"].item() == 6


def test_simulate_invariance_detects_dif():
    res = power.simulate(target="invariance", n=[800], n_rep=3, seed=5, level="scalar")
    # the built-in DIF on y07 (0.6 logits) is found at n = 800 in every replication
    assert res.grid["power"].item() == 1.0
    assert "invariantie" in res.summary() and "invariance" in res.summary(lang="en")


# ---------------------------------------------------------------------- contract
def test_public_name_and_contract():
    assert evalkit.power is power
    res = power.paired(effect=0.5, power=0.8)
    t = res.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert t.set_index("term").loc["n", "solved"]
    assert "Nodig" in res.summary() and "Needed" in res.summary(lang="en")
    assert "<div" in res._repr_html_()
    import matplotlib.pyplot as plt

    ax = res.plot(lang="en")
    assert ax.get_ylabel() == "Power"
    plt.close("all")
    with pytest.raises(TypeError):
        res.plot(None)  # keyword-only


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: power.paired(effect=0.5, n=20, power=0.8), "all but one"),
        (lambda: power.paired(effect=0.5), "all but one"),
        (lambda: power.paired(effect=0.5, n=20, alpha=1.5), "alpha"),
        (lambda: power.paired(effect=0.5, power=0.04, alpha=0.05), "larger than alpha"),
        (lambda: power.paired(effect=0.5, n=20, alternative="greater"), "alternative"),
        (lambda: power.paired(effect="big", n=20), "effect"),
        (lambda: power.paired(effect=0.5, n=20.5), "whole"),
        (lambda: power.mcnemar(odds_ratio=2, discordant=None, n=50), "discordant"),
        (lambda: power.mcnemar(odds_ratio=1, discordant=0.3, n=50), "no effect"),
        (lambda: power.mcnemar(odds_ratio=2, discordant=0.3, n=50, method="z"), "method"),
        (lambda: power.did_2x2(effect=0.3, n=100, rho=1), "rho"),
        (lambda: power.did_2x2(effect=0.3, n=100, icc=0.1), "clusters"),
        (lambda: power.did_2x2(effect=0.3, n=100, clusters=3, icc=0.1), "clusters"),
        (lambda: power.simulate(target="cfa"), "target"),
        (lambda: power.simulate(n=[10]), "n must"),
        (lambda: power.simulate(n_rep=1), "n_rep"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
