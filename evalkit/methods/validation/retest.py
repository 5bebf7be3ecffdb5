r"""Test-retest reliability and measurement error.

- :func:`icc`: the six intraclass correlations of Shrout & Fleiss (1979) with their F
  tests and confidence intervals, exactly as ``psych::ICC`` (McGraw & Wong 1996 for the
  ICC2 interval). From the two-way ANOVA of an n x k table (respondents x occasions):
  MSR (rows), MSC (columns), MSE (residual), MSW = (SSC + SSE) / (n(k-1)):

  ICC1 = (MSR - MSW) / (MSR + (k-1) MSW), ICC2 = (MSR - MSE) / (MSR + (k-1) MSE +
  k (MSC - MSE) / n), ICC3 = (MSR - MSE) / (MSR + (k-1) MSE), and the average-measure
  forms ICC1k = (MSR - MSW) / MSR, ICC2k = (MSR - MSE) / (MSR + (MSC - MSE) / n),
  ICC3k = (MSR - MSE) / MSR.
- :func:`agreement`: standard error of measurement (SEM) and smallest detectable change
  SDC = 1.96 sqrt(2) SEM (de Vet et al. 2006; Terwee et al. 2007), in the agreement
  (sigma^2_occasion + sigma^2_error) and consistency (sigma^2_error) versions.
- :func:`bland_altman`: mean difference and 95% limits of agreement with their confidence
  intervals (Bland & Altman 1986, 1999).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_confidence, check_dataframe, check_lang
from evalkit.core.errors import DataQualityWarning, DataValidationError, ParameterError, SmallSampleWarning
from evalkit.core.i18n import Message, fmt_ci, fmt_number
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame

__all__ = [
    "icc",
    "agreement",
    "bland_altman",
    "ICCResult",
    "AgreementResult",
    "BlandAltmanResult",
    "ICC_FORMS",
]

ICC_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")


def _score_matrix(scores, columns=None, *, min_k=2, what="icc"):
    """Complete-case n x k float matrix from a DataFrame (one column per occasion)."""
    scores = check_dataframe(scores, "scores")
    if columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        elif not isinstance(columns, (list, tuple, pd.Index)):
            raise ParameterError(f"columns must be a list of column names, got {columns!r}.")
        columns = list(columns)
        check_columns(scores, columns=columns)
        scores = scores[columns]
    dup = sorted({str(c) for c in scores.columns[scores.columns.duplicated()]})
    if dup:
        raise DataValidationError(
            f"column(s) {dup} occur more than once in scores; rename or drop the duplicates."
        )
    x = scores.apply(lambda c: pd.to_numeric(c, errors="coerce")).astype("float64")
    bad = [c for c in scores.columns if (x[c].isna() & scores[c].notna()).any()]
    if bad:
        raise DataValidationError(f"non-numeric values in column(s) {bad}.")
    infinite = [c for c in x.columns if np.isinf(x[c].to_numpy()).any()]
    if infinite:
        raise DataValidationError(f"infinite values in column(s) {infinite}; scores must be finite.")
    if x.shape[1] < min_k:
        raise ParameterError(
            f"{what} needs at least {min_k} columns (occasions or raters), got {x.shape[1]}."
        )
    complete = x.dropna()
    dropped = len(x) - len(complete)
    if dropped:
        warnings.warn(
            f"{dropped} of {len(x)} respondents without a score on every occasion were left out.",
            DataQualityWarning,
            stacklevel=3,
        )
    if len(complete) < 3:
        raise DataValidationError(
            f"{what} needs at least 3 respondents with complete scores, got {len(complete)}."
        )
    if len(complete) < 30:
        warnings.warn(
            f"only {len(complete)} respondents: COSMIN asks for at least 50 (adequate) "
            "or 100 (very good) in reliability studies.",
            SmallSampleWarning,
            stacklevel=3,
        )
    v = complete.to_numpy(dtype=float)
    if np.all(v == v[0, 0]):
        raise DataValidationError("all scores are identical; reliability is undefined.")
    return complete, v


def _anova(v):
    n, k = v.shape
    grand = v.mean()
    ssr = k * np.sum((v.mean(axis=1) - grand) ** 2)
    ssc = n * np.sum((v.mean(axis=0) - grand) ** 2)
    sst = np.sum((v - grand) ** 2)
    sse = sst - ssr - ssc
    msr = ssr / (n - 1)
    msc = ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (ssc + sse) / (n * (k - 1))
    return n, k, msr, msc, mse, msw


def icc(scores: pd.DataFrame, *, columns=None, confidence: float = 0.95) -> ICCResult:
    """All six Shrout & Fleiss (1979) intraclass correlations, as ``psych::ICC``.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent, one column per occasion (test, retest) or rater.
        Respondents without every score are left out (with a warning).
    columns : list of str, optional
        Use only these columns of ``scores``.
    confidence : float
        Level of the confidence intervals (default 0.95).

    Returns
    -------
    ICCResult
        ``.table`` is indexed ``ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k`` with columns ``icc,
        ci_lower, ci_upper, F, df1, df2, p_value, n, k, description``; ``.tidy()`` has the
        same six rows as ``term``. ICC1 = one-way random,
        ICC2 = two-way random absolute agreement, ICC3 = two-way mixed consistency;
        the ``k`` forms are for the mean of k measurements. For test-retest reliability
        COSMIN prefers ICC2 (agreement).

    Examples
    --------
    >>> import pandas as pd
    >>> sf = pd.DataFrame([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
    ...                    [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> icc(sf).table["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    confidence = check_confidence(confidence)
    _, v = _score_matrix(scores, columns)
    n, k, msr, msc, mse, msw = _anova(v)
    a = 1.0 - confidence
    icc1 = (msr - msw) / (msr + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    icc1k = (msr - msw) / msr
    icc2k = (msr - mse) / (msr + (msc - mse) / n)
    icc3k = (msr - mse) / msr
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = msr / msw
        f3 = msr / mse
    df1n, df1d = n - 1, n * (k - 1)
    df3n, df3d = n - 1, (n - 1) * (k - 1)
    p1 = stats.f.sf(f1, df1n, df1d)
    p3 = stats.f.sf(f3, df3n, df3d)
    f1l = f1 / stats.f.ppf(1 - a / 2, df1n, df1d)
    f1u = f1 * stats.f.ppf(1 - a / 2, df1d, df1n)
    f3l = f3 / stats.f.ppf(1 - a / 2, df3n, df3d)
    f3u = f3 * stats.f.ppf(1 - a / 2, df3d, df3n)
    l1, u1 = (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)
    l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
    # McGraw & Wong (1996) / Shrout & Fleiss (1979) approximate df for ICC2
    fj = msc / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vv = vn / vd
    f2u = stats.f.ppf(1 - a / 2, n - 1, vv)
    f2l = stats.f.ppf(1 - a / 2, vv, n - 1)
    l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
    u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
    l1k, u1k = 1 - 1 / f1l, 1 - 1 / f1u
    l3k, u3k = 1 - 1 / f3l, 1 - 1 / f3u
    l2k, u2k = l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))
    desc = [
        "single, one-way random (absolute)",
        "single, two-way random (absolute agreement)",
        "single, two-way mixed (consistency)",
        "average of k, one-way random",
        "average of k, two-way random (absolute agreement)",
        "average of k, two-way mixed (consistency)",
    ]
    out = pd.DataFrame(
        {
            "icc": [icc1, icc2, icc3, icc1k, icc2k, icc3k],
            "ci_lower": [l1, l2, l3, l1k, l2k, l3k],
            "ci_upper": [u1, u2, u3, u1k, u2k, u3k],
            "F": [f1, f3, f3, f1, f3, f3],
            "df1": [df1n, df3n, df3n, df1n, df3n, df3n],
            "df2": [df1d, df3d, df3d, df1d, df3d, df3d],
            "p_value": [p1, p3, p3, p1, p3, p3],
            "n": n,
            "k": k,
            "description": desc,
        },
        index=pd.Index(ICC_FORMS, name="type"),
    )
    out[["df1", "df2"]] = out[["df1", "df2"]].astype(float)
    return ICCResult(table=out, confidence=confidence)


@dataclass(repr=False)
class ICCResult(Result):
    """Result of :func:`icc`: the six Shrout & Fleiss (1979) intraclass correlations.

    Attributes
    ----------
    table : DataFrame
        Indexed ``ICC1 ... ICC3k`` with ``icc, ci_lower, ci_upper, F, df1, df2, p_value,
        n, k, description``.

    ``n`` (in ``tidy()``): respondents scored on every occasion (or by every rater).
    """

    table: pd.DataFrame
    confidence: float

    title = Message("validation.title.icc")

    def tidy(self) -> pd.DataFrame:
        """One row per ICC form (``term`` ICC1 ... ICC3k); extra ``F, df1, df2, k, description``."""
        rows = [
            {
                "term": form,
                "estimate": r["icc"],
                "ci_lower": r["ci_lower"],
                "ci_upper": r["ci_upper"],
                "p_value": r["p_value"],
                "n": int(r["n"]),
                "f": r["F"],
                "df1": r["df1"],
                "df2": r["df2"],
                "k": int(r["k"]),
                "description": r["description"],
            }
            for form, r in self.table.iterrows()
        ]
        return tidy_frame(rows, extra=("f", "df1", "df2", "k", "description"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        i2 = self.table.loc["ICC2"]
        head = i18n.t(
            "validation.icc.summary_head",
            lang,
            n=int(i2["n"]),
            k=int(i2["k"]),
        )
        lines = [head]
        for form, r in self.table.iterrows():
            lines.append(
                f"{form}: {fmt_number(r['icc'], 2, lang)} "
                + fmt_ci(r["ci_lower"], r["ci_upper"], 2, lang, self.confidence)
            )
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        """The six ICCs with their confidence intervals (0-1 axis, COSMIN's 0.70 line)."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        ax = plotting.new_axes(ax)
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(
            t["icc"],
            y,
            xerr=[t["icc"] - t["ci_lower"], t["ci_upper"] - t["icc"]],
            fmt="o",
            color=plotting.PALETTE[0],
            capsize=3,
        )
        ax.axvline(0.70, color="grey", linestyle="--", linewidth=1)
        ax.set_yticks(y, list(t.index))
        ax.set_xlim(min(0.0, float(np.nanmin(t["ci_lower"])) - 0.05), 1.0)
        ax.set_xlabel(i18n.t("validation.icc.plot_x_label", lang))
        ax.set_title(self.title[lang])
        plotting.localize_axes(ax, lang)
        return ax


# ----------------------------------------------------------------------------- agreement
@dataclass(repr=False)
class AgreementResult(Result):
    """Result of :func:`agreement` (measurement error); ``tidy()`` has one row per
    statistic: ``sem_agreement, sem_consistency, sdc_agreement, sdc_consistency,
    sdc_group_agreement, icc_agreement, icc_consistency`` and, for two occasions,
    ``mean_difference, loa_lower, loa_upper``.

    ``n`` (in ``tidy()``): respondents measured on every occasion.
    """

    rows: list
    n: int
    k: int
    mic: float | None
    confidence: float
    icc_table: pd.DataFrame

    title = Message("validation.title.agreement")

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.rows, extra=("description",))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        sem, sdc = self.estimate("sem_agreement"), self.estimate("sdc_agreement")
        i2 = self.icc_table.loc["ICC2"]
        lines = [
            i18n.t("validation.agreement.test_retest", lang, n=str(self.n), k=str(self.k)),
            i18n.t(
                "validation.agreement.icc_agreement",
                lang,
                icc=fmt_number(i2["icc"], 2, lang),
                ci=fmt_ci(i2["ci_lower"], i2["ci_upper"], 2, lang, self.confidence),
            ),
            i18n.t(
                "validation.agreement.sem_sdc",
                lang,
                sem=fmt_number(sem, 2, lang),
                sdc=fmt_number(sdc, 2, lang),
            ),
        ]
        if self.mic is not None:
            # the same words in both languages
            lines.append(
                f"MIC = {fmt_number(self.mic, 2, lang)}: SDC " + ("<" if sdc < self.mic else ">=") + " MIC."
            )
        return "\n".join(lines)


def agreement(
    scores: pd.DataFrame, *, columns=None, mic: float | None = None, confidence: float = 0.95
) -> AgreementResult:
    r"""Standard error of measurement and smallest detectable change.

    From the two-way ANOVA variance components (de Vet et al. 2006):
    :math:`\sigma^2_{err} = MSE`, :math:`\sigma^2_{occ} = (MSC - MSE)/n` (0 if negative),
    SEM_agreement = sqrt(sigma^2_occ + sigma^2_err), SEM_consistency = sqrt(sigma^2_err),
    SDC = 1.96 sqrt(2) SEM for an individual and SDC / sqrt(n) for a group mean.
    With two occasions also the Bland-Altman limits of agreement (second minus first).

    Parameters
    ----------
    scores : DataFrame
        One row per respondent, one column per occasion.
    columns : list of str, optional
    mic : float, optional
        Minimal important change, to judge SDC < MIC (COSMIN measurement error).
    confidence : float

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> true = rng.normal(20, 5, 400)
    >>> df = pd.DataFrame({"t1": true + rng.normal(0, 2, 400), "t2": true + rng.normal(0, 2, 400)})
    >>> abs(agreement(df).estimate("sem_consistency") - 2.0) < 0.2  # true error SD is 2
    True
    """
    confidence = check_confidence(confidence)
    if mic is not None:
        try:
            mic = float(mic)
        except (TypeError, ValueError):
            raise ParameterError(f"mic must be a positive number, got {mic!r}.") from None
        if not mic > 0:
            raise ParameterError(f"mic must be a positive number, got {mic!r}.")
    complete, v = _score_matrix(scores, columns, what="agreement")
    n, k, msr, msc, mse, msw = _anova(v)
    table = icc(complete, confidence=confidence).table
    var_err = mse
    var_occ = max((msc - mse) / n, 0.0)
    sem_a = float(np.sqrt(var_occ + var_err))
    sem_c = float(np.sqrt(var_err))
    z = 1.96
    rows = [
        {"term": "sem_agreement", "estimate": sem_a, "n": n, "description": "sqrt(var_occasion + var_error)"},
        {"term": "sem_consistency", "estimate": sem_c, "n": n, "description": "sqrt(var_error)"},
        {
            "term": "sdc_agreement",
            "estimate": z * np.sqrt(2) * sem_a,
            "n": n,
            "description": "1.96 * sqrt(2) * SEM_agreement (individual)",
        },
        {
            "term": "sdc_consistency",
            "estimate": z * np.sqrt(2) * sem_c,
            "n": n,
            "description": "1.96 * sqrt(2) * SEM_consistency (individual)",
        },
        {
            "term": "sdc_group_agreement",
            "estimate": z * np.sqrt(2) * sem_a / np.sqrt(n),
            "n": n,
            "description": "SDC_agreement / sqrt(n) (group mean)",
        },
    ]
    for form, term in (("ICC2", "icc_agreement"), ("ICC3", "icc_consistency")):
        r = table.loc[form]
        rows.append(
            {
                "term": term,
                "estimate": r["icc"],
                "ci_lower": r["ci_lower"],
                "ci_upper": r["ci_upper"],
                "p_value": r["p_value"],
                "n": n,
                "description": f"{form} (Shrout & Fleiss)",
            }
        )
    if k == 2:
        ba = _bland_altman_values(v[:, 0], v[:, 1], confidence)
        rows.extend(
            [
                {
                    "term": "mean_difference",
                    "estimate": ba["bias"],
                    "std_error": ba["se_bias"],
                    "ci_lower": ba["bias_ci"][0],
                    "ci_upper": ba["bias_ci"][1],
                    "n": n,
                    "description": "mean of second minus first occasion",
                },
                {
                    "term": "loa_lower",
                    "estimate": ba["loa"][0],
                    "std_error": ba["se_loa"],
                    "ci_lower": ba["loa_lower_ci"][0],
                    "ci_upper": ba["loa_lower_ci"][1],
                    "n": n,
                    "description": "bias - 1.96 SD of the differences",
                },
                {
                    "term": "loa_upper",
                    "estimate": ba["loa"][1],
                    "std_error": ba["se_loa"],
                    "ci_lower": ba["loa_upper_ci"][0],
                    "ci_upper": ba["loa_upper_ci"][1],
                    "n": n,
                    "description": "bias + 1.96 SD of the differences",
                },
            ]
        )
    return AgreementResult(rows=rows, n=n, k=k, mic=mic, confidence=confidence, icc_table=table)


# ----------------------------------------------------------------------------- Bland-Altman
def _bland_altman_values(a, b, confidence):
    d = b - a
    n = len(d)
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    z = 1.96
    t = stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
    se_bias = sd / np.sqrt(n)
    se_loa = sd * np.sqrt(3.0 / n)  # Bland & Altman (1986, 1999) approximation
    loa = (bias - z * sd, bias + z * sd)
    return {
        "bias": bias,
        "sd": sd,
        "se_bias": se_bias,
        "se_loa": se_loa,
        "loa": loa,
        "bias_ci": (bias - t * se_bias, bias + t * se_bias),
        "loa_lower_ci": (loa[0] - t * se_loa, loa[0] + t * se_loa),
        "loa_upper_ci": (loa[1] - t * se_loa, loa[1] + t * se_loa),
        "mean": (a + b) / 2.0,
        "diff": d,
        "n": n,
    }


@dataclass(repr=False)
class BlandAltmanResult(Result):
    """Result of :func:`bland_altman`: ``tidy()`` rows ``mean_difference, sd_difference,
    loa_lower, loa_upper`` (with CIs) and the per-respondent ``points`` for the plot.

    ``n`` (in ``tidy()``): respondents measured on both occasions.
    """

    values: dict
    first: str
    second: str
    confidence: float

    title = Message("validation.title.bland_altman")

    @property
    def points(self) -> pd.DataFrame:
        return pd.DataFrame({"mean": self.values["mean"], "difference": self.values["diff"]})

    def tidy(self) -> pd.DataFrame:
        v, n = self.values, self.values["n"]
        rows = [
            {
                "term": "mean_difference",
                "estimate": v["bias"],
                "std_error": v["se_bias"],
                "ci_lower": v["bias_ci"][0],
                "ci_upper": v["bias_ci"][1],
                "n": n,
            },
            {"term": "sd_difference", "estimate": v["sd"], "n": n},
            {
                "term": "loa_lower",
                "estimate": v["loa"][0],
                "std_error": v["se_loa"],
                "ci_lower": v["loa_lower_ci"][0],
                "ci_upper": v["loa_lower_ci"][1],
                "n": n,
            },
            {
                "term": "loa_upper",
                "estimate": v["loa"][1],
                "std_error": v["se_loa"],
                "ci_lower": v["loa_upper_ci"][0],
                "ci_upper": v["loa_upper_ci"][1],
                "n": n,
            },
        ]
        return tidy_frame(rows)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        v = self.values
        return i18n.t(
            "validation.bland_altman.summary",
            lang,
            first=self.first,
            second=self.second,
            n=str(v["n"]),
            bias=fmt_number(v["bias"], 2, lang),
            ci=fmt_ci(v["bias_ci"][0], v["bias_ci"][1], 2, lang, self.confidence),
            lower=fmt_number(v["loa"][0], 2, lang),
            upper=fmt_number(v["loa"][1], 2, lang),
        )

    def plot(self, *, ax=None, lang: str | None = None):
        """Difference against mean with the bias and the limits of agreement."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import COLORS, PALETTE, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        v = self.values
        ax.scatter(v["mean"], v["diff"], s=14, alpha=0.6, color=PALETTE[0])
        ax.axhline(v["bias"], color=COLORS["highlight"], linewidth=1.5)
        for y in v["loa"]:
            ax.axhline(y, color=COLORS["national"], linestyle="--", linewidth=1.2)
        ax.axhline(0, color=COLORS["other"], linewidth=0.8)
        # the lines named at their right end, with their values (no legend: in a row of
        # panels a legend under each one runs into the next)
        from matplotlib.transforms import blended_transform_factory

        tr = blended_transform_factory(ax.transAxes, ax.transData)
        names = (
            (
                v["bias"],
                i18n.t("figures.bland_altman.bias", lang, v=fmt_number(v["bias"], 2, lang)),
                "bottom",
            ),
            (
                max(v["loa"]),
                i18n.t("figures.bland_altman.upper", lang, v=fmt_number(max(v["loa"]), 2, lang)),
                "bottom",
            ),
            (
                min(v["loa"]),
                i18n.t("figures.bland_altman.lower", lang, v=fmt_number(min(v["loa"]), 2, lang)),
                "top",
            ),
        )
        for y, text, va in names:
            ax.text(
                0.99,
                y,
                text,
                transform=tr,
                ha="right",
                va=va,
                fontsize="x-small",
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.7, pad=1),
            )
        lo, hi = min(v["loa"]), max(v["loa"])
        span = hi - lo if hi > lo else 1.0
        ymin = min(float(np.min(v["diff"])), lo) if len(v["diff"]) else lo
        ymax = max(float(np.max(v["diff"])), hi) if len(v["diff"]) else hi
        ax.set_ylim(ymin - 0.15 * span, ymax + 0.15 * span)
        ax.set_xlabel(i18n.t("validation.bland_altman.mean_of", lang, first=self.first, second=self.second))
        ax.set_ylabel(
            i18n.t("validation.bland_altman.difference", lang, first=self.first, second=self.second)
        )
        ax.set_title(
            i18n.t("figures.bland_altman.title", lang, first=self.first, second=self.second),
            fontsize="medium",
        )
        return localize_axes(ax, lang)


def bland_altman(
    scores: pd.DataFrame, *, first: str | None = None, second: str | None = None, confidence: float = 0.95
) -> BlandAltmanResult:
    """Bland-Altman limits of agreement between two occasions (or methods).

    Differences d = second - first; bias = mean(d); limits of agreement
    bias +/- 1.96 SD(d); CIs with t(n-1) and SE(bias) = SD/sqrt(n),
    SE(limit) = SD sqrt(3/n) (Bland & Altman 1986, 1999).

    Parameters
    ----------
    scores : DataFrame
        One row per respondent; two score columns (or name them with ``first``/``second``).
    first, second : str, optional
        The two columns (default: the first two columns of ``scores``).
    confidence : float

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t1": [10, 12, 9, 15, 11], "t2": [11, 12, 10, 14, 13]})
    >>> round(bland_altman(df).values["bias"], 2)
    0.6
    """
    confidence = check_confidence(confidence)
    scores = check_dataframe(scores, "scores")
    if (first is None) != (second is None):
        raise ParameterError("give both first= and second=, or neither.")
    if first is None:
        if scores.shape[1] != 2:
            raise ParameterError(
                f"scores has {scores.shape[1]} columns; name the two to compare with first= and second=."
            )
        first, second = map(str, scores.columns[:2])
    assert first is not None and second is not None  # both given or both taken from scores
    complete, v = _score_matrix(scores, [first, second], what="bland_altman")
    vals = _bland_altman_values(v[:, 0], v[:, 1], confidence)
    return BlandAltmanResult(values=vals, first=first, second=second, confidence=confidence)
