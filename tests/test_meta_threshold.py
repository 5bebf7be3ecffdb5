"""Audit edge case 6: metafor's default REML stopping rule (threshold 1e-5) against the
optimum, on dat.molloy2014 (metadat). Reference: tests/reference/meta_threshold/ (molloy.R
writes molloy.csv with Fisher's z and its variance, and molloy.json; sessionInfo.txt)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import ParameterError
from evalkit.methods import meta

REF = Path(__file__).parent / "reference" / "meta_threshold"
R = json.loads((REF / "molloy.json").read_text())


@pytest.fixture(scope="module")
def molloy() -> pd.DataFrame:
    return pd.read_csv(REF / "molloy.csv")


@pytest.mark.parametrize("tol, key", [(1e-12, "threshold_1e12"), (meta.METAFOR_THRESHOLD, "default")])
def test_random_effects_matches_rma_for_each_threshold(molloy, tol, key):
    res = meta.random_effects(molloy, estimate="yi", variance="vi", label="study", tau2_tol=tol)
    ref = R[key]
    # same algorithm, start and stopping rule as metafor: agreement to rounding (1e-10)
    assert_allclose(res.tau2, ref["tau2"], rtol=1e-10)
    assert_allclose(res.se_tau2, ref["se_tau2"], rtol=1e-10)
    assert_allclose(
        [res.estimate(), res.std_error, res.ci_lower, res.ci_upper],
        [ref["estimate"], ref["std_error"], ref["ci_lower"], ref["ci_upper"]],
        rtol=1e-10,
    )
    assert_allclose([res.i2, res.h2], [ref["i2"], ref["h2"]], rtol=1e-10)


def test_default_is_the_optimum_and_differs_from_default_rma(molloy):
    exact = meta.random_effects(molloy, estimate="yi", variance="vi")
    rma_default = meta.random_effects(molloy, estimate="yi", variance="vi", tau2_tol=1e-5)
    assert_allclose(exact.tau2, 0.00810956082430393, rtol=1e-10)
    assert_allclose(rma_default.tau2, 0.00811050369838419, rtol=1e-10)
    assert abs(exact.tau2 - rma_default.tau2) > 5e-7
    # the optimum has the higher REML log-likelihood in R as well
    assert R["threshold_1e12"]["reml_loglik"] > R["default"]["reml_loglik"]


@pytest.mark.parametrize("bad", [0, -1e-5, 1, "1e-5", True, None])
def test_bad_tau2_tol(molloy, bad):
    with pytest.raises(ParameterError, match="tau2_tol"):
        meta.random_effects(molloy, estimate="yi", variance="vi", tau2_tol=bad)
