"""Reviewer's spot-checks of evalkit.prepost against independent R computations.

Cases the authors' tests do not cover: string ids with leading zeros (pandas 3 ``str``
dtype), units with only a pre, only a post or only a follow-up row, missing outcomes in
one wave, a ``followup`` wave analysed as ``post="followup"``, shuffled row order.
Reference: tests/reference/prepost_review/prepost_review.R (base R ``t.test``,
``wilcox.test``, ``binom.test``, ``chisq.test``) on long.csv (made by make_data.py).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evalkit.core.errors import DataQualityWarning, ParameterError
from evalkit.methods.prepost import attrition, by_group, paired, proportion_change, reliable_change

REF = Path(__file__).parent / "reference" / "prepost_review"
RTOL = 1e-9  # closed-form statistics: R and Python agree to rounding error


@pytest.fixture(scope="module")
def long():
    df = pd.read_csv(REF / "long.csv", dtype={"id": "str", "wave": "str", "gender": "str"})
    # text ids (pandas 3: the str dtype; pandas 2: object holding str)
    assert pd.api.types.is_string_dtype(df["id"]) and isinstance(df["id"].iloc[0], str)
    assert df["id"].str.startswith("0").any()
    return df


@pytest.fixture(scope="module")
def ref():
    r = pd.read_csv(REF / "r_reference.csv")
    return dict(zip(r["key"], r["value"]))


P = dict(outcome="total", unit="id", time="wave")


@pytest.mark.parametrize("later", ["post", "followup"])
def test_paired_equals_r_with_missing_and_unbalanced_units(long, ref, later):
    with pytest.warns(DataQualityWarning, match="left out"):
        res = paired(long, **P, post=later)
    t = res.tidy().set_index("term")
    assert res.n == ref[f"{later}.n"]
    assert res.n_dropped == ref[f"{later}.n_dropped"]
    assert (t["n"] == res.n).all()
    md = t.loc["mean_diff"]
    assert_allclose(md["estimate"], ref[f"{later}.mean_diff"], rtol=RTOL)
    assert_allclose(
        [md["ci_lower"], md["ci_upper"]],
        [ref[f"{later}.mean_diff_ci_lower"], ref[f"{later}.mean_diff_ci_upper"]],
        rtol=RTOL,
    )
    assert_allclose(md["statistic"], ref[f"{later}.t"], rtol=RTOL)
    assert_allclose(md["p_value"], ref[f"{later}.t_p"], rtol=RTOL)
    for term in ("d_z", "d_av", "g_av"):
        assert_allclose(t.loc[term, "estimate"], ref[f"{later}.{term}"], rtol=RTOL)
    assert_allclose(t.loc["srm", "estimate"], ref[f"{later}.d_z"], rtol=RTOL)
    # intervals by inverting the noncentral t (R: uniroot on pt(ncp)); root finding on both
    # sides, so 1e-6 rather than 1e-9
    for term in ("d_z", "d_av"):
        assert_allclose(
            [t.loc[term, "ci_lower"], t.loc[term, "ci_upper"]],
            [ref[f"{later}.{term}_ci_lower"], ref[f"{later}.{term}_ci_upper"]],
            rtol=1e-6,
        )
    assert_allclose(t.loc["wilcoxon", "estimate"], ref[f"{later}.wilcoxon_W"], rtol=RTOL)
    # R's default wilcox.test (ties/zeros: normal approximation, tie + continuity correction)
    assert_allclose(t.loc["wilcoxon", "p_value"], ref[f"{later}.wilcoxon_p_default"], rtol=1e-7)


def test_ids_are_not_mangled_and_row_order_does_not_matter(long):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        a = paired(long, **P).tidy()
        b = paired(long.iloc[::-1].reset_index(drop=True), **P).tidy()
        # numeric-looking ids as integers would merge "007" and "7": keep them as strings
        c = paired(long.assign(id=long["id"].astype(object)), **P).tidy()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_nullable_outcome_equals_float_outcome(long):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        a = paired(long, **P).tidy()
        b = paired(long.assign(total=long["total"].astype("Int64")), **P).tidy()
        c = paired(long.assign(total=long["total"].astype("Float64")), **P).tidy()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


@pytest.mark.parametrize("later", ["post", "followup"])
def test_proportion_change_equals_r(long, ref, later):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        t = proportion_change(long, **P, post=later, cutoff=3).tidy().set_index("term")
    assert_allclose(t.loc["share_pre", "estimate"], ref[f"{later}.share_pre"], rtol=RTOL)
    assert_allclose(t.loc["share_post", "estimate"], ref[f"{later}.share_post"], rtol=RTOL)
    assert_allclose(t.loc["change", "p_value"], ref[f"{later}.mcnemar_exact_p"], rtol=RTOL)


@pytest.mark.parametrize("later", ["post", "followup"])
def test_reliable_change_equals_r(long, ref, later):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reliable_change(long, **P, post=later, reliability=0.97)
    assert res.counts["improved"] == ref[f"{later}.rc_improved"]
    assert res.counts["deteriorated"] == ref[f"{later}.rc_deteriorated"]
    assert_allclose(res.threshold, ref[f"{later}.rc_threshold"], rtol=RTOL)


def test_attrition_equals_r(long, ref):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = attrition(long, **P, covariates=["gender"])
    assert res.n_baseline == ref["att.n_baseline"]
    assert res.n_completers == ref["att.n_completers"]
    t = res.tidy()
    tot = t[t["term"] == "total"].iloc[0]
    assert_allclose(tot["estimate"], ref["att.total_diff"], rtol=RTOL)
    assert_allclose(tot["df"], ref["att.total_df"], rtol=RTOL)
    assert_allclose(tot["p_value"], ref["att.total_p"], rtol=RTOL)
    g = t[t["variable"] == "gender"]
    assert_allclose(g["statistic"], ref["att.gender_chi2"], rtol=RTOL)
    assert_allclose(g["p_value"], ref["att.gender_p"], rtol=RTOL)


def test_attrition_all_missing_string_covariate_is_reported_not_crashing(long):
    """Defect found in review: an all-missing text covariate raised numpy AxisError."""
    empty = pd.Series([None] * len(long), dtype="str")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = attrition(long.assign(gender=empty), **P, covariates=["gender"]).tidy()
    g = t[t["variable"] == "gender"]
    assert len(g) == 1 and g["n"].iloc[0] == 0 and np.isnan(g["p_value"].iloc[0])


def test_reliable_change_bad_sd_pre_is_parameter_error(long):
    """Defect found in review: sd_pre='abc' leaked a bare ValueError from float()."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ParameterError, match="sd_pre"):
            reliable_change(long, **P, reliability=0.8, sd_pre="abc")


def test_by_group_tidy_columns_do_not_depend_on_group_size(long):
    """Full numbers for every subgroup, the same columns whether a subgroup is large or
    small (there is no privacy threshold in a method)."""
    small = long.assign(gender=np.where(long["id"].astype(str).str[-1] == "1", "klein", "groot"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = by_group(paired, long, by="gender", **P).tidy()
        b = by_group(paired, small, by="gender", **P).tidy()
    assert list(a.columns) == list(b.columns)
    assert "suppressed" not in a.columns
    assert b["n"].notna().all()


def test_by_group_tidy_columns_do_not_depend_on_by(long):
    """Design rule: column names never depend on arguments. The subgroup is in the fixed
    columns ``by`` (grouping column's name) and ``group`` (its value), not in a column
    named after ``by``."""
    long = long.assign(sex=long["gender"], band=np.where(long["id"].astype(str).str[-1] < "5", "jong", "oud"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = by_group(paired, long, by="gender", **P).tidy()
        b = by_group(paired, long, by="sex", **P).tidy()
        c = by_group(paired, long, by=["gender", "band"], **P).tidy()
    assert list(a.columns) == list(b.columns) == list(c.columns)
    assert not {"gender", "sex", "band"} & set(a.columns)
    assert list(a.columns[-2:]) == ["by", "group"]
    assert set(a["by"]) == {"gender"} and set(b["by"]) == {"sex"} and set(c["by"]) == {"gender, band"}
    assert set(a["group"]) == set(long["gender"].dropna())
    pd.testing.assert_frame_equal(a.drop(columns="by"), b.drop(columns="by"))
    first = long[long["wave"] == "pre"].iloc[0]
    assert f"{first['gender']}, {first['band']}" in set(c["group"])


def test_by_group_refuses_results_with_by_or_group_columns(long):
    from evalkit.core.results import Result

    class Clash(Result):
        def tidy(self):
            return pd.DataFrame({"term": ["x"], "estimate": [1.0], "n": [20], "group": ["a"]})

    with pytest.raises(ParameterError, match="group"):
        by_group(lambda d, **k: Clash(), long, by="gender")


def test_equal_differences_give_no_zero_width_interval():
    """Defect found in review: with every difference equal, d_av/g_av had a zero-width
    interval and a zero standard error (false certainty); now NaN, like mean_diff's."""
    df = pd.DataFrame(
        {"id": ["a", "a", "b", "b", "c", "c"], "wave": ["pre", "post"] * 3, "total": [3, 5, 4, 6, 7, 9]}
    )
    with pytest.warns(DataQualityWarning):
        t = paired(df, **P).tidy().set_index("term")
    assert np.isfinite(t.loc["d_av", "estimate"])
    for term in ("d_av", "g_av"):
        assert np.isnan(t.loc[term, ["std_error", "ci_lower", "ci_upper"]].astype(float)).all()


def test_one_pair_summary_has_no_nan_text():
    """Defect found in review: the summary printed 't(nan)' for one pair."""
    df = pd.DataFrame({"id": ["a", "a"], "wave": ["pre", "post"], "total": [3, 5]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = paired(df, **P)
    for lang in ("nl", "en"):
        assert "nan" not in res.summary(lang).lower()


def test_infinite_outcome_is_a_data_error_not_a_number(long):
    """Defect found in review: an infinite outcome gave mean_diff = -inf (a silent number)
    and was counted as 'at or above the cut-off' by proportion_change."""
    from evalkit.core.errors import DataValidationError

    bad = long.assign(total=long["total"].where(long.index != long.index[0], np.inf))
    for func, kw in ((paired, {}), (proportion_change, {"cutoff": 3})):
        with pytest.raises(DataValidationError, match="infinite"):
            func(bad, **P, **kw)


def test_duplicated_column_names_are_a_data_error(long):
    """Defect found in review: two columns named like the outcome/unit gave AttributeError
    or TypeError from pandas (here and in scales.score, cfa, privacy.suppress)."""
    from evalkit.core.errors import DataValidationError

    for col in ("total", "id"):
        with pytest.raises(DataValidationError, match=f"'{col}' occurs 2 times"):
            paired(pd.concat([long, long[[col]]], axis=1), **P)
