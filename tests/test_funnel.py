"""Tests of evalkit.funnel (Spiegelhalter 2005 funnel plots).

Reference limits: tests/reference/funnel/make_reference.R (base R qbinom/pbinom/qnorm);
flag rates and over-dispersion estimates: simulations with known truth.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from evalkit.core.errors import DataValidationError, EstimationError, ParameterError  # noqa: E402
from evalkit.core.results import TIDY_COLUMNS  # noqa: E402
from evalkit.methods.funnel import binomial_limit, funnel  # noqa: E402

REF = Path(__file__).parent / "reference" / "funnel"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_binomial_and_normal_limits_match_r():
    ref = pd.read_csv(REF / "limits.csv")
    for r in ref.itertuples(index=False):
        assert_allclose(binomial_limit(r.p, r.n, r.target), r.binomial, rtol=1e-10, atol=1e-14)
    # the same limits through funnel(): units at each n, target fixed
    for (t,), part in ref[ref["p"].isin([0.025, 0.975, 0.001, 0.999])].groupby(["target"]):
        ns = np.sort(part["n"].unique())
        d = pd.DataFrame({"n": ns, "y": t})
        for method in ("binomial", "normal"):
            res = funnel(d, proportion="y", n="n", target=t, method=method)
            u = res.units.set_index("n")
            for p, col in [
                (0.025, "lower_95"),
                (0.975, "upper_95"),
                (0.001, "lower_998"),
                (0.999, "upper_998"),
            ]:
                want = part[part["p"] == p].set_index("n").loc[ns, method]
                assert_allclose(u.loc[ns, col], want, rtol=1e-10, atol=1e-14, err_msg=f"{method} {col}")


def test_flags_under_null_have_nominal_rates():
    """Units drawn from Binomial(n, target): ~5% outside 95%, ~0.2% outside 99.8%."""
    rng = np.random.default_rng(11)
    n = rng.integers(300, 3000, 20000)
    ev = rng.binomial(n, 0.47)
    res = funnel(pd.DataFrame({"ev": ev, "n": n}), events="ev", n="n", target=0.47)
    c = res.counts()
    out95 = (c.sum() - c["within"]) / len(n)
    out998 = (c["above_998"] + c["below_998"]) / len(n)
    assert 0.04 < out95 < 0.06  # binomial SE of the rate ~0.0015
    assert 0.0008 < out998 < 0.0035  # expected 0.002
    assert abs(c["above_95"] + c["above_998"] - c["below_95"] - c["below_998"]) < 150
    # winsorised at 10%/90%, the squared z-scores of N(0, 1) average about 0.69 (the
    # estimator is robust to outliers but shrinks phi); unwinsorised phi is ~1
    assert 0.64 < res.phi < 0.74 and res.tau2 == 0
    raw = funnel(pd.DataFrame({"ev": ev, "n": n}), events="ev", n="n", target=0.47, winsor=0)
    assert 0.97 < raw.phi < 1.03


def test_overdispersion_recovers_known_tau():
    rng = np.random.default_rng(5)
    k = 3000
    n = rng.integers(300, 3000, k)
    p = np.clip(0.47 + rng.normal(0, 0.03, k), 0.01, 0.99)  # tau = 0.03 (3 points)
    ev = rng.binomial(n, p)
    d = pd.DataFrame({"ev": ev, "n": n})
    res = funnel(d, events="ev", n="n", target=0.47, overdispersion="additive", winsor=0.0)
    # without winsorising, the moment estimator is unbiased for tau^2 = 0.0009
    assert abs(np.sqrt(res.tau2) - 0.03) < 0.002
    c = res.counts()
    assert 0.035 < (c.sum() - c["within"]) / k < 0.065
    plain = funnel(d, events="ev", n="n", target=0.47)
    assert plain.phi > 3 and (plain.counts()["within"] / k) < 0.6
    mult = funnel(d, events="ev", n="n", target=0.47, overdispersion="multiplicative")
    assert_allclose(mult.units["std_error"], np.sqrt(mult.phi * 0.47 * 0.53 / n), rtol=1e-12)


def test_percent_input_default_target_tidy_plot_summary():
    d = pd.DataFrame(
        {"gm": ["A", "B", "C", "D"], "pct": [45.0, 52.0, 38.0, 47.5], "n": [400, 900, 350, 1200]}
    )
    res = funnel(d, proportion="pct", n="n", unit="gm", percent=True)
    assert_allclose(res.target, np.sum(d["pct"] * d["n"]) / d["n"].sum(), rtol=1e-12)
    t = res.tidy()
    assert list(t.columns[:7]) == list(TIDY_COLUMNS)
    assert list(t["term"]) == ["A", "B", "C", "D"]
    assert (t["lower_998"] < t["lower_95"]).all() and (t["upper_95"] < t["upper_998"]).all()
    assert (t["ci_lower"] < t["estimate"]).all() and (t["estimate"] < t["ci_upper"]).all()
    # z-score and p-value against the target, in percent
    s = np.sqrt(res.target / 100 * (1 - res.target / 100) / d["n"]) * 100
    assert_allclose(t["z"], (d["pct"] - res.target) / s, rtol=1e-12)
    ev = funnel(d.assign(ev=d["pct"] / 100 * d["n"]), events="ev", n="n", unit="gm")
    assert_allclose(ev.units["upper_95"] * 100, res.units["upper_95"], rtol=1e-12)
    assert "eenheden" in res.summary() and "units" in res.summary(lang="en")
    ax = res.plot(highlight="A", lang="en")
    assert ax.get_xlabel() == "Number of respondents"
    cur = res.curve()
    assert list(cur.columns) == ["n", "lower_95", "upper_95", "lower_998", "upper_998"]
    assert cur["upper_95"].is_monotonic_decreasing


def test_bad_input():
    d = pd.DataFrame({"y": [0.4, 0.5], "n": [100, 200], "ev": [40, 100]})
    with pytest.raises(ParameterError, match="exactly one"):
        funnel(d, n="n")
    with pytest.raises(ParameterError, match="exactly one"):
        funnel(d, proportion="y", events="ev", n="n")
    with pytest.raises(ParameterError, match="method="):
        funnel(d, proportion="y", n="n", method="exact")
    with pytest.raises(ParameterError, match="overdispersion="):
        funnel(d, proportion="y", n="n", overdispersion="yes")
    with pytest.raises(ParameterError, match="n='m'"):
        funnel(d, proportion="y", n="m")
    with pytest.raises(ParameterError, match="winsor"):
        funnel(d, proportion="y", n="n", winsor=0.6)
    with pytest.raises(DataValidationError, match="percent=True"):
        funnel(d.assign(y=[40.0, 50.0]), proportion="y", n="n")
    with pytest.raises(DataValidationError, match="exceeds"):
        funnel(d.assign(ev=[40, 300]), events="ev", n="n")
    with pytest.raises(DataValidationError, match="positive"):
        funnel(d.assign(n=[0, 10]), proportion="y", n="n")
    with pytest.raises(DataValidationError, match="Missing"):
        funnel(d.assign(y=[np.nan, 0.5]), proportion="y", n="n")
    with pytest.raises(ParameterError, match="whole numbers"):
        funnel(d.assign(n=[100.5, 20.0]), proportion="y", n="n")
    with pytest.raises(EstimationError, match="strictly between"):
        funnel(d, proportion="y", n="n", target=1.0)
    with pytest.raises(EstimationError, match="at least 2"):
        funnel(d.head(1), proportion="y", n="n")
