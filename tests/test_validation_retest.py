"""ICC (psych::ICC, Shrout & Fleiss 1979), SEM/SDC (simulation with known truth) and
Bland-Altman (published example)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError, SmallSampleWarning
from evalkit.methods.validation import agreement, bland_altman, icc

REF = Path(__file__).parent / "reference"
P = json.loads((REF / "psych" / "psych_reference.json").read_text())
SF = pd.DataFrame(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    columns=["j1", "j2", "j3", "j4"],
)


@pytest.fixture(scope="module")
def hs():
    import semopy.examples.holzinger39 as h

    return h.get_data()


def _compare(res, ref):
    assert list(res.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert ref["type"] == list(res.index)
    assert_allclose(res["icc"], ref["icc"], rtol=1e-10)
    assert_allclose(res["ci_lower"], ref["lower"], rtol=1e-10)
    assert_allclose(res["ci_upper"], ref["upper"], rtol=1e-10)
    assert_allclose(res["F"], ref["F"], rtol=1e-10)
    assert_allclose(res["df1"], ref["df1"], rtol=1e-12)
    assert_allclose(res["df2"], ref["df2"], rtol=1e-12)
    assert_allclose(res["p_value"], ref["p"], rtol=1e-8, atol=1e-300)


def test_shrout_fleiss_published_and_psych():
    with pytest.warns(SmallSampleWarning):
        res = icc(SF).table
    # Shrout & Fleiss (1979), Table 4
    assert_allclose(res["icc"].round(2), [0.17, 0.29, 0.71, 0.44, 0.62, 0.91])
    _compare(res, P["icc_sf"])


def test_icc_matches_psych_on_hs(hs):
    _compare(icc(hs, columns=["x1", "x2", "x3"]).table, P["icc_hs_x1_x3"])


def test_icc_matches_pingouin():
    import pingouin as pg

    long = SF.reset_index().melt(id_vars="index", var_name="rater", value_name="score")
    ref = pg.intraclass_corr(long, targets="index", raters="rater", ratings="score").set_index("Type")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = icc(SF).table
    assert_allclose(res["icc"].to_numpy(), ref["ICC"].to_numpy(), rtol=1e-10)


def test_missing_rows_dropped_with_warning(hs):
    df = hs[["x1", "x2"]].copy()
    df.iloc[0, 1] = np.nan
    with pytest.warns(DataQualityWarning, match="1 of 301"):
        res = icc(df).table
    assert res["n"].iloc[0] == 300


def test_agreement_recovers_known_error_variance():
    rng = np.random.default_rng(42)
    n = 4000
    true = rng.normal(50, 10, n)
    sigma_e, shift = 3.0, 2.0
    df = pd.DataFrame(
        {"t1": true + rng.normal(0, sigma_e, n), "t2": true + shift + rng.normal(0, sigma_e, n)}
    )
    res = agreement(df, mic=12)
    t = res.tidy().set_index("term")
    assert t.at["sem_consistency", "estimate"] == pytest.approx(sigma_e, rel=0.03)
    # agreement SEM adds the occasion variance: shift^2 / 2 for two occasions
    assert t.at["sem_agreement", "estimate"] == pytest.approx(np.sqrt(sigma_e**2 + shift**2 / 2), rel=0.03)
    assert_allclose(t.at["sdc_agreement", "estimate"], 1.96 * np.sqrt(2) * t.at["sem_agreement", "estimate"])
    # with two occasions SEM_consistency = SD(differences) / sqrt(2)
    d = df["t2"] - df["t1"]
    assert_allclose(t.at["sem_consistency", "estimate"], d.std(ddof=1) / np.sqrt(2), rtol=1e-10)
    assert_allclose(t.at["mean_difference", "estimate"], d.mean(), rtol=1e-12)
    assert t.at["icc_agreement", "estimate"] == pytest.approx(100 / (100 + 9 + 2), abs=0.02)
    assert "SDC" in res.summary() and "MIC" in res.summary("en")
    with pytest.raises(ParameterError, match="mic"):
        agreement(df, mic=-1)


def test_bland_altman_published_pefr():
    df = pd.read_csv(REF / "bland_altman" / "pefr.csv")
    with pytest.warns(SmallSampleWarning):
        res = bland_altman(df, first="mini", second="wright")
    t = res.tidy().set_index("term")
    # Bland & Altman (1986): mean difference -2.1, SD 38.8 (published to one decimal)
    assert round(t.at["mean_difference", "estimate"], 1) == -2.1
    assert round(t.at["sd_difference", "estimate"], 1) == 38.8
    assert round(t.at["loa_lower", "estimate"], 1) == -78.1
    assert round(t.at["loa_upper", "estimate"], 1) == 73.9
    # CI of a limit: +/- t(16) * SD * sqrt(3/n) (Bland & Altman 1986)
    from scipy import stats

    half = stats.t.ppf(0.975, 16) * t.at["sd_difference", "estimate"] * np.sqrt(3 / 17)
    assert_allclose(t.at["loa_upper", "ci_upper"] - t.at["loa_upper", "estimate"], half, rtol=1e-12)
    import matplotlib.pyplot as plt

    res.plot()
    plt.close("all")
    assert "Bland-Altman" in res.summary()


def test_bland_altman_names_the_bias_and_limits_of_agreement():
    """The lines are named at their right end with their values (no legend: a legend under
    each panel runs into the next in a row of panels)."""
    import matplotlib.pyplot as plt

    from evalkit.core.i18n import fmt_number

    df = pd.read_csv(REF / "bland_altman" / "pefr.csv")
    with pytest.warns(SmallSampleWarning):
        res = bland_altman(df, first="mini", second="wright")
    est = res.tidy().set_index("term")["estimate"]
    for lang, bias_word in (("nl", "gemiddeld verschil"), ("en", "mean difference")):
        ax = res.plot(lang=lang)
        assert ax.get_legend() is None
        texts = {t.get_text() for t in ax.texts}
        f = lambda x, lang=lang: fmt_number(x, 2, lang)  # noqa: E731
        assert f"{bias_word} {f(est['mean_difference'])}" in texts
        sd = fmt_number(1.96, 2, lang)
        assert f"+{sd} SD: {f(est['loa_upper'])}" in texts
        assert f"−{sd} SD: {f(est['loa_lower'])}" in texts
        # the dashed lines are drawn at the limits
        dashed = {ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"}
        assert dashed == {est["loa_lower"], est["loa_upper"]}
        plt.close("all")


def test_bad_input():
    with pytest.raises(ParameterError, match="at least 2 columns"):
        icc(SF[["j1"]])
    with pytest.raises(DataValidationError, match="at least 3 respondents"):
        icc(SF.head(2))
    with pytest.raises(DataValidationError, match="identical"):
        icc(pd.DataFrame({"a": [1, 1, 1], "b": [1, 1, 1]}))
    with pytest.raises(ParameterError, match="first= and second="):
        bland_altman(SF)
    with pytest.raises(ParameterError, match="not a column"):
        icc(SF, columns=["j1", "zz"])
    with pytest.raises(DataValidationError, match="non-numeric"):
        icc(SF.assign(j1=["a"] * 6))


@pytest.mark.filterwarnings("ignore::evalkit.errors.SmallSampleWarning")
def test_nullable_int64_and_text_numbers_equal_float():
    """SPSS/Excel imports: nullable Int64 (with <NA>) and numbers stored as text give the
    same ICC as plain floats (the incomplete respondent is left out with a warning)."""
    f = SF.astype(float)
    ref = icc(f).table
    as_int = pd.concat(
        [SF.astype("Int64"), pd.DataFrame({c: [pd.NA] for c in SF}, dtype="Int64")], ignore_index=True
    )
    with pytest.warns(DataQualityWarning):
        got = icc(as_int).table
    assert_allclose(got["icc"].to_numpy(), ref["icc"].to_numpy(), rtol=1e-12)
    assert_allclose(icc(SF.astype(str)).table["icc"].to_numpy(), ref["icc"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "bad,err,match",
    [
        (lambda d: pd.concat([d, d], axis=1), DataValidationError, "more than once"),
        (lambda d: d.assign(j1=np.inf), DataValidationError, "infinite"),
    ],
)
def test_duplicated_and_infinite_columns(bad, err, match):
    with pytest.raises(err, match=match):
        icc(bad(SF.astype(float)))  # before any small-sample warning
    with pytest.raises(err, match=match):
        agreement(bad(SF.astype(float)))


def test_columns_argument_types():
    with pytest.raises(ParameterError, match="columns must be a list"):
        icc(SF, columns=3)
    with pytest.raises(ParameterError, match="at least 2 columns"):
        icc(SF, columns="j1")  # one name is one column, not its letters
