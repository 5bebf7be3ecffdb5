"""Polychoric correlations, NACOV and ordinal alpha against lavaan 0.6-14 (lavCor).

Reference: tests/reference/lavaan_ordinal/make_reference.R -> reference.json.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal

from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError
from evalkit.methods.validation import polychoric
from evalkit.methods.validation.ordinal import bivariate_normal_cdf

REF_DIR = Path(__file__).parent / "reference" / "lavaan_ordinal"
REF = json.loads((REF_DIR / "reference.json").read_text())


ITEMS = {
    "bfi": [f"A{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)],
    "sim3": [f"y{i}" for i in range(1, 9)],
    "bin": ["b1", "b2", "b3", "b4"],
}


def _load(name):
    d = pd.read_csv(REF_DIR / {"bfi": "bfi_AC.csv", "sim3": "sim3.csv", "bin": "bin.csv"}[name])
    return d[ITEMS[name]]


# bin: binary items (tetrachorics) with an empty cell in the b1 x b4 table
@pytest.fixture(scope="module", params=["bfi", "sim3", "bin"])
def case(request):
    data = _load(request.param)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = polychoric(data, list(data.columns))
    return res, REF[request.param]


def test_bvn_cdf_matches_scipy():
    rng = np.random.default_rng(3)
    h, k = rng.normal(size=(2, 40)) * 1.5
    r = rng.uniform(-0.98, 0.98, 40)
    h[:3] = 0.0
    k[2:5] = 0.0
    ours = bivariate_normal_cdf(h, k, r)
    theirs = [multivariate_normal([0, 0], [[1, ri], [ri, 1]]).cdf([hi, ki]) for hi, ki, ri in zip(h, k, r)]
    assert_allclose(ours, theirs, atol=1e-7)  # scipy's Genz integration is ~1e-8 accurate
    assert_allclose(
        bivariate_normal_cdf([np.inf, -np.inf, 1.0], [0.5, 2.0, np.inf], 0.3),
        [0.6914624612740131, 0.0, 0.8413447460685429],
        rtol=1e-12,
    )


def test_n_and_thresholds(case):
    res, ref = case
    assert res.n == ref["n"]
    assert_allclose(res.threshold_vector, ref["thresholds"], rtol=1e-10)


def test_polychoric_equals_lavcor(case):
    res, ref = case
    # lavaan's nlminb stops at rel.tol 1e-10 of the loglik: agreement ~1e-8
    assert_allclose(res.correlation.to_numpy(), np.array(ref["polychoric"]), atol=1e-6)


def test_nacov_equals_lavaan_gamma(case):
    res, ref = case
    assert list(res.nacov.index) == ref["gamma_names"]
    G = np.array(ref["gamma"])
    # differences come from the 1e-8 differences in the correlations
    assert_allclose(res.nacov.to_numpy(), G, rtol=1e-5, atol=1e-6)


def test_ordinal_alpha_equals_psych(case):
    res, ref = case
    assert_allclose(res.ordinal_alpha()["estimate"], ref["ordinal_alpha"], rtol=1e-6)


def test_tidy_shape(case):
    res, ref = case
    tid = res.tidy()
    assert list(tid.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    p = len(res.items)
    assert len(tid) == len(res.threshold_vector) + p * (p - 1) // 2 + 1
    assert tid["term"].iloc[-1] == "ordinal_alpha"
    se = np.sqrt(np.diag(np.array(ref["gamma"])) / ref["n"])
    assert_allclose(tid["std_error"].to_numpy()[:-1], se, rtol=1e-5)
    assert isinstance(res.summary(), str) and "alpha" in res.summary("en")


def test_alpha_delta_se_against_bootstrap():
    # the delta-method SE of ordinal alpha agrees with a nonparametric bootstrap
    data = _load("sim3")[["y1", "y2", "y3", "y4"]]
    res = polychoric(data, list(data.columns))
    rng = np.random.default_rng(11)
    boots = []
    for _ in range(150):
        idx = rng.integers(0, len(data), len(data))
        b = polychoric(data.iloc[idx], list(data.columns), nacov=False)
        boots.append(b.ordinal_alpha()["estimate"])
    se_boot = np.std(boots, ddof=1)
    # Monte Carlo error of a 150-replicate bootstrap SE is ~6%; allow 25%
    assert abs(res.ordinal_alpha()["std_error"] / se_boot - 1) < 0.25


def test_listwise_warning_and_bad_input():
    data = _load("bfi")
    with pytest.warns(DataQualityWarning, match="dropped"):
        polychoric(data, ["A1", "A2"])
    with pytest.raises(ParameterError, match="not a column"):
        polychoric(data, ["A1", "nope"])
    with pytest.raises(ParameterError):
        polychoric(data, "A1")
    with pytest.raises(ParameterError):
        polychoric(data, ["A1"])
    const = pd.DataFrame({"a": [1] * 10, "b": [0, 1] * 5})
    with pytest.raises(DataValidationError, match="no variance"):
        polychoric(const, ["a", "b"])
    frac = pd.DataFrame({"a": [0.5, 1.0] * 5, "b": [0, 1] * 5})
    with pytest.raises(DataValidationError, match="non-integer"):
        polychoric(frac, ["a", "b"])
    with pytest.raises(ParameterError):
        polychoric([[1, 2]], ["a", "b"])


def test_ordered_categorical_input_same_as_codes():
    data = _load("sim3")[["y1", "y2", "y3"]]
    lab = data.apply(
        lambda s: pd.Categorical(
            s.map({0: "nee", 1: "soms", 2: "ja"}), categories=["nee", "soms", "ja"], ordered=True
        )
    )
    a = polychoric(data, list(data.columns), nacov=False).correlation.to_numpy()
    b = polychoric(lab, list(lab.columns), nacov=False).correlation.to_numpy()
    assert_allclose(a, b, rtol=1e-12)


def test_plot():
    data = _load("sim3")
    ax = polychoric(data, ["y1", "y2", "y3"], nacov=False).plot()
    assert ax.get_title()
