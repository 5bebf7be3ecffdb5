"""Graded response model: published ltm 2PL example (LSAT) and simulation recovery."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataValidationError, ParameterError
from evalkit.methods.validation import graded_response

REF = Path(__file__).parent / "reference" / "irt"


def simulate_grm(n, a, b, seed):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    pstar = 1 / (1 + np.exp(-a[None, :, None] * (theta[:, None, None] - b[None])))
    y = (rng.uniform(size=(n, len(a)))[:, :, None] < pstar).sum(axis=2)
    return pd.DataFrame(y, columns=[f"i{j + 1}" for j in range(len(a))])


@pytest.fixture(scope="module")
def lsat():
    d = pd.read_csv(REF / "lsat6.csv")
    return graded_response(d, list(d.columns), quadrature="gauss-hermite", quadpts=21)


def test_lsat_equals_ltm(lsat):
    ref = pd.read_csv(REF / "ltm_lsat_2pl.csv")
    coef = lsat.coef(irt_pars=True)
    # ltm stopped at max|grad| = 0.024 (see README): parameters agree to ~4e-4
    assert_allclose(coef["a"].to_numpy(), ref["a"], rtol=2e-3)
    assert_allclose(coef["b1"].to_numpy(), ref["b"], rtol=2e-3)
    p = lsat.parameters
    assert_allclose(p.loc[p.parameter == "a", "std_error"], ref["a_se"], rtol=5e-3)
    assert_allclose(p.loc[p.parameter == "b1", "std_error"], ref["b_se"], rtol=5e-3)
    assert_allclose(lsat.loglik, -2466.653, atol=1e-3)
    assert lsat.converged


def test_fixed_grid_close_to_gauss_hermite(lsat):
    d = pd.read_csv(REF / "lsat6.csv")
    fixed = graded_response(d, list(d.columns))
    assert_allclose(fixed.coef().to_numpy(), lsat.coef().to_numpy(), rtol=1e-4)


def test_recovery_known_parameters():
    a = np.array([0.9, 1.2, 1.5, 1.8, 2.1, 1.0, 1.4, 1.7])
    b = np.array(
        [
            [-2.0, -0.8, 0.3, 1.4],
            [-1.5, -0.5, 0.5, 1.5],
            [-1.8, -1.0, 0.0, 1.0],
            [-1.0, -0.2, 0.6, 1.8],
            [-2.2, -1.2, -0.4, 0.8],
            [-1.2, 0.0, 1.0, 2.0],
            [-1.6, -0.6, 0.4, 1.2],
            [-2.0, -1.0, 0.2, 1.6],
        ]
    )
    fit = graded_response(simulate_grm(2000, a, b, seed=7), [f"i{j}" for j in range(1, 9)])
    est = fit.coef(irt_pars=True).to_numpy()
    p = fit.parameters
    se = np.column_stack(
        [p.loc[p.parameter == c, "std_error"].to_numpy() for c in ["a", "b1", "b2", "b3", "b4"]]
    )
    true = np.column_stack([a, b])
    z = (est - true) / se
    assert np.mean(np.abs(z) < 3) >= 0.9
    assert abs(np.mean(est[:, 0] - a)) < 0.05
    assert abs(np.mean(est[:, 1:] - b)) < 0.05
    # d = -a b
    assert_allclose(fit.coef()["d1"].to_numpy(), -est[:, 0] * est[:, 1], rtol=1e-10)


def test_standard_errors_match_monte_carlo_spread():
    a = np.array([1.0, 1.5, 2.0, 1.2, 0.8])
    b = np.array([[-1.0, 0.0, 1.0]] * 5) + np.arange(5)[:, None] * 0.1
    ests, ses = [], []
    for rep in range(25):
        fit = graded_response(simulate_grm(500, a, b, seed=100 + rep), [f"i{j}" for j in range(1, 6)])
        p = fit.parameters
        ests.append(p.loc[p.parameter == "a", "estimate"].to_numpy())
        ses.append(p.loc[p.parameter == "a", "std_error"].to_numpy())
    ratio = np.mean(ses, axis=0) / np.std(ests, axis=0, ddof=1)
    # 25 replicates: the SD itself has ~14% Monte Carlo error
    assert np.all((ratio > 0.6) & (ratio < 1.6))
    assert 0.8 < np.mean(ratio) < 1.25


def test_information_and_scores(lsat):
    theta = np.array([-2.0, 0.0, 1.0])
    info = lsat.item_information(theta)
    a, d = lsat.coef().loc["Item3", ["a", "d1"]]
    p = 1 / (1 + np.exp(-(a * theta + d)))
    assert_allclose(info["Item3"].to_numpy(), a * a * p * (1 - p), rtol=1e-10)  # 2PL
    assert_allclose(lsat.test_information(theta).to_numpy(), info.sum(axis=1), rtol=1e-12)
    sc = lsat.scores()
    assert sc.shape == (1000, 2) and sc["theta_sd"].between(0, 1).all()
    ax = lsat.plot()
    assert ax.get_xlabel()
    assert lsat.plot(kind="curves").get_title()
    assert "log-likelihood" in lsat.summary("en")
    tid = lsat.tidy()
    assert list(tid.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert "Item1|b1" in set(tid["term"])


def test_missing_responses_allowed():
    a = np.array([1.0, 1.5, 2.0, 1.2])
    b = np.array([[-1.0, 0.5]] * 4)
    d = simulate_grm(600, a, b, seed=3).astype(float)
    d.iloc[::7, 1] = np.nan
    fit = graded_response(d, list(d.columns))
    assert fit.converged and fit.n == 600


def test_bad_input():
    d = simulate_grm(100, np.array([1.0, 1.0]), np.array([[0.0], [0.5]]), seed=1)
    with pytest.raises(ParameterError, match="not a column"):
        graded_response(d, ["i1", "zz"])
    with pytest.raises(ParameterError):
        graded_response(d, ["i1"])
    with pytest.raises(ParameterError, match="quadrature"):
        graded_response(d, ["i1", "i2"], quadrature="laplace")
    d2 = d.assign(i3=1)
    with pytest.raises(DataValidationError, match="no variance"):
        graded_response(d2, ["i1", "i3"])
    with pytest.raises(ParameterError):
        graded_response(d, ["i1", "i2"], theta_range=(3, -3))


def test_bundled_youth_social_items_recover_truth():
    # evalkit.datasets' youth sample is generated from a GRM; the social items (no DIF)
    # must be recovered: every a and b within 3 SE (reversed items: a -> -a, b reversed)
    from evalkit.data import datasets

    data = datasets.load("youth")
    t1 = data.loc[data["wave"] == "t1"]
    truth = datasets.truth("youth")["items"]
    it = truth.loc[truth["factor"] == "social"]
    fit = graded_response(t1, list(it["item"]))
    true = it[["a", "b1", "b2", "b3", "b4"]].to_numpy(dtype=float).copy()
    rev = it["reversed"].to_numpy(dtype=bool)
    true[rev, 0] *= -1
    true[rev, 1:] = true[rev, 1:][:, ::-1]
    p = fit.parameters
    se = np.column_stack(
        [p.loc[p.parameter == c, "std_error"].to_numpy() for c in ["a", "b1", "b2", "b3", "b4"]]
    )
    z = (fit.coef(irt_pars=True).to_numpy() - true) / se
    assert np.all(np.abs(z) < 3.5)
    assert np.mean(np.abs(z) < 2) >= 0.8
