"""Tests of evalkit.meta against R metafor 3.8.1 (tests/reference/meta/make_reference.R).

Data: metafor's dat.bcg (13 BCG vaccine trials, Colditz et al. 1994), log risk ratios
from escalc(measure = "RR"). The R fits use control = list(threshold = 1e-12), so REML
is compared at the same rtol (1e-6) as DL; with metafor's default threshold (1e-5)
REML values agree only to about 1e-5.
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
from evalkit.methods.meta import effect_sizes, random_effects  # noqa: E402
from evalkit.methods.prepost import paired  # noqa: E402

REF = Path(__file__).parent / "reference" / "meta"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def bcg():
    return pd.read_csv(REF / "dat_bcg_logrr.csv")


@pytest.fixture(scope="module")
def metafor():
    return pd.read_csv(REF / "metafor_results.csv").set_index("method")


@pytest.mark.parametrize("method", ["REML", "DL"])
def test_matches_metafor(bcg, metafor, method):
    res = random_effects(bcg, estimate="yi", variance="vi", label="author", method=method)
    ref = metafor.loc[method]
    got = {
        "estimate": res.estimate(),
        "se": res.std_error,
        "zval": res.z,
        "pval": res.p_value,
        "ci_lb": res.ci_lower,
        "ci_ub": res.ci_upper,
        "tau2": res.tau2,
        "I2": res.i2,
        "H2": res.h2,
        "QE": res.q,
        "QEp": res.q_p,
        "pi_lb": res.pi_lower,
        "pi_ub": res.pi_upper,
    }
    for key, value in got.items():
        assert_allclose(value, ref[key], rtol=1e-6, err_msg=key)
    assert res.k == ref["k"] == 13
    assert_allclose(res.se_tau2, ref["se_tau2"], rtol=1e-6)  # DL: metafor's moment-based SE
    t = res.tidy().set_index("term")
    assert list(res.tidy().columns[:7]) == list(TIDY_COLUMNS)
    assert list(t.index) == ["pooled", "tau2", "i2", "h2", "q", "prediction"]
    assert_allclose(
        t.loc["prediction", ["ci_lower", "ci_upper"]].astype(float), [ref["pi_lb"], ref["pi_ub"]], rtol=1e-6
    )
    assert t.loc["q", "df"] == 12 and (t["n"] == 13).all()
    w = pd.read_csv(REF / f"weights_{method}.csv")
    assert_allclose(res.studies["weight"], w["weight"], rtol=1e-6)


def test_level_and_std_error_input(bcg):
    ref90 = pd.read_csv(REF / "metafor_reml_level90.csv").iloc[0]
    d = bcg.assign(sei=np.sqrt(bcg["vi"]))
    res = random_effects(d, estimate="yi", std_error="sei", confidence=0.90)
    assert_allclose(
        [res.ci_lower, res.ci_upper, res.pi_lower, res.pi_upper],
        ref90[["ci_lb", "ci_ub", "pi_lb", "pi_ub"]].astype(float),
        rtol=1e-6,
    )


def test_t_prediction_interval(bcg):
    res = random_effects(bcg, estimate="yi", variance="vi", prediction="t")
    half = stats.t.ppf(0.975, 11) * math.sqrt(res.std_error**2 + res.tau2)
    assert_allclose([res.pi_lower, res.pi_upper], [res.estimate() - half, res.estimate() + half], rtol=1e-12)
    assert res.tidy().set_index("term").loc["prediction", "df"] == 11


def test_homogeneous_studies_tau2_zero():
    # equal estimates: Q = 0, tau2 = 0, I2 = 0, pooled = fixed effect
    d = pd.DataFrame({"y": [0.3, 0.3, 0.3], "v": [0.01, 0.02, 0.04]})
    for m in ("REML", "DL"):
        res = random_effects(d, estimate="y", variance="v", method=m)
        assert res.tau2 == 0 and res.i2 == 0 and res.h2 == 1
        assert_allclose(res.estimate(), 0.3, rtol=1e-12)
        assert_allclose(res.std_error, math.sqrt(1 / (100 + 50 + 25)), rtol=1e-12)


def test_simulation_known_truth():
    """400 coalitions with tau = 0.2 around mu = -0.3: REML recovers both."""
    rng = np.random.default_rng(42)
    k = 400
    v = rng.uniform(0.01, 0.05, k)
    y = -0.3 + rng.normal(0, 0.2, k) + rng.normal(0, np.sqrt(v))
    res = random_effects(pd.DataFrame({"y": y, "v": v}), estimate="y", variance="v")
    assert abs(res.estimate() + 0.3) < 3 * res.std_error
    assert abs(res.tau2 - 0.04) < 3 * res.se_tau2


def test_bad_input(bcg):
    with pytest.raises(ParameterError):
        random_effects(bcg, estimate="yi", variance="vi", method="PM")
    with pytest.raises(ParameterError, match="exactly one"):
        random_effects(bcg, estimate="yi")
    with pytest.raises(ParameterError, match="exactly one"):
        random_effects(bcg, estimate="yi", variance="vi", std_error="vi")
    with pytest.raises(ParameterError):
        random_effects(bcg, estimate="nope", variance="vi")
    with pytest.raises(EstimationError, match="at least 2"):
        random_effects(bcg.head(1), estimate="yi", variance="vi")
    bad = bcg.copy()
    bad.loc[0, "vi"] = 0.0
    with pytest.raises(DataValidationError, match="positive"):
        random_effects(bad, estimate="yi", variance="vi")
    miss = bcg.copy()
    miss.loc[0, "yi"] = np.nan
    with pytest.warns(DataQualityWarning):
        assert random_effects(miss, estimate="yi", variance="vi").k == 12


def test_summary_and_forest_plot(bcg):
    res = random_effects(bcg, estimate="yi", variance="vi", label="author")
    nl, en = res.summary(), res.summary("en")
    assert "Over 13 coalities" in nl and "voorspellingsinterval" in nl and "I² = 92%" in nl
    assert "Across 13 coalitions" in en and "prediction interval" in en
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Aronson" and labels[-1].startswith("Gepoold")
    assert "evalkit-result" in res._repr_html_()


def coalitions(seed=0, k=6, n=40, small=None):
    rng = np.random.default_rng(seed)
    frames = []
    for j in range(k):
        m = n if j != small else 6
        pre = rng.integers(2, 12, m).astype(float)
        post = np.clip(pre - rng.integers(-2, 4, m), 0, 11)
        ids = [f"{j}-{i}" for i in range(m)]
        frames.append(
            pd.DataFrame(
                {
                    "participant_id": ids * 2,
                    "wave": ["pre"] * m + ["post"] * m,
                    "total": np.r_[pre, post],
                    "municipality_code": f"GM{363 + j:04d}",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_effect_sizes_equal_paired_per_coalition():
    df = coalitions(seed=1)
    es = effect_sizes(df, outcome="total", unit="participant_id", time="wave")
    assert list(es.columns) == [
        "municipality_code",
        "estimate",
        "std_error",
        "ci_lower",
        "ci_upper",
        "n",
        "n_dropped",
        "effect",
    ]
    assert len(es) == 6 and (es["n"] == 40).all()
    for _, row in es.iterrows():
        own = (
            paired(
                df[df["municipality_code"] == row["municipality_code"]],
                outcome="total",
                unit="participant_id",
                time="wave",
            )
            .tidy()
            .set_index("term")
            .loc["g_av"]
        )
        assert_allclose(
            row[["estimate", "std_error"]].astype(float),
            own[["estimate", "std_error"]].astype(float),
            rtol=1e-12,
        )
    res = random_effects(es, estimate="estimate", std_error="std_error", label="municipality_code")
    assert res.k == 6 and res.estimate() < 0
    md = effect_sizes(df, outcome="total", unit="participant_id", time="wave", effect="mean_diff")
    assert (md["effect"] == "mean_diff").all()


def test_effect_sizes_full_numbers_and_bad_input():
    """A small coalition is kept with its own effect (methods return full numbers; the
    disclosure layer of the reports decides what is shown); no privacy threshold here."""
    df = coalitions(seed=2, small=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es = effect_sizes(df, outcome="total", unit="participant_id", time="wave")
    assert len(es) == 6
    row = es.set_index("municipality_code").loc["GM0365"]
    assert row["n"] == 6
    own = (
        paired(df[df["municipality_code"] == "GM0365"], outcome="total", unit="participant_id", time="wave")
        .tidy()
        .set_index("term")
        .loc["g_av"]
    )
    assert_allclose(float(row["estimate"]), float(own["estimate"]), rtol=1e-12)
    with pytest.raises(TypeError, match="min_cell"):
        effect_sizes(df, outcome="total", unit="participant_id", time="wave", min_cell=10)
    with pytest.raises(ParameterError):
        effect_sizes(df, outcome="total", unit="participant_id", time="wave", effect="r")
    with pytest.raises(ParameterError):
        effect_sizes(df, outcome="total", unit="participant_id", time="wave", by="coalition")
