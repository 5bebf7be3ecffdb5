r"""Construct and criterion validity (COSMIN).

- :func:`hypotheses_test`: correlations of the instrument score with comparison
  instruments against hypotheses stated in advance (direction and size), with Fisher-z
  confidence intervals; the share confirmed is judged against COSMIN's 75% (Prinsen et
  al. 2018; de Vet et al. 2011, ch. 6).
- :func:`known_groups`: mean differences between groups expected to differ, with Welch's
  t test and Cohen's d (pooled SD) with the Hedges & Olkin (1985) normal CI.
- :func:`roc`: ROC curve against a reference classification, AUC (= Mann-Whitney U /
  (n1 n0)) with DeLong, DeLong & Clarke-Pearson (1988) variance and CI (as
  ``pROC::ci.auc(method="delong")``), the Youden (1950) cut-off with sensitivity and
  specificity and their Wilson (1927) or Clopper-Pearson (1934) intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_confidence, check_dataframe, check_lang, check_option
from evalkit.core.errors import DataValidationError, ParameterError, SmallSampleWarning
from evalkit.core.i18n import Message, fmt_ci, fmt_number, fmt_pct
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.stats import wilson_interval
from evalkit.core.text import localize_numbers, text_table

__all__ = [
    "hypotheses_test",
    "known_groups",
    "roc",
    "HypothesesResult",
    "KnownGroupsResult",
    "ROCResult",
    "COSMIN_HYPOTHESES_SHARE",
    "proportion_ci",
]

#: COSMIN: at least 75% of the hypotheses confirmed for a sufficient rating.
COSMIN_HYPOTHESES_SHARE = 0.75

_DIRECTIONS = {"+": 1, "positive": 1, "pos": 1, "-": -1, "negative": -1, "neg": -1, "0": 0, "none": 0}


def _numeric(data, col, what):
    x = pd.to_numeric(data[col], errors="coerce")
    if (x.isna() & data[col].notna()).any():
        raise DataValidationError(f"{what}={col!r} has non-numeric values.")
    if np.isinf(x.to_numpy(dtype=float, na_value=np.nan)).any():
        raise DataValidationError(f"{what}={col!r} has infinite values.")
    return x


def _corr_ci(r, n, method, confidence):
    """Fisher-z interval; for Spearman with the Bonett & Wright (2000) variance."""
    if n <= 3 or not np.isfinite(r):
        return np.nan, np.nan, np.nan
    z = np.arctanh(np.clip(r, -0.9999999999, 0.9999999999))
    se = np.sqrt((1 + r * r / 2) / (n - 3)) if method == "spearman" else 1 / np.sqrt(n - 3)
    q = stats.norm.ppf(1 - (1 - confidence) / 2)
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se)), float(se)


# ----------------------------------------------------------------------------- hypotheses
class _Confirmed:
    """Shared counting of confirmed hypotheses (``self.rows`` with a ``confirmed`` key)."""

    rows: list[dict]

    @property
    def n_confirmed(self) -> int:
        return int(sum(bool(r["confirmed"]) for r in self.rows))

    @property
    def share_confirmed(self) -> float:
        return self.n_confirmed / len(self.rows)


@dataclass(repr=False)
class HypothesesResult(_Confirmed, Result):
    """Result of :func:`hypotheses_test`: one row per hypothesis with the correlation,
    its CI and whether the hypothesis was confirmed; ``share_confirmed`` and ``rating``
    (COSMIN: + when at least 75% are confirmed).

    ``n`` (in ``tidy()``): respondents with both scores for that hypothesis.
    """

    rows: list
    score: str
    confidence: float

    title = Message("validation.title.hypotheses")

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.rows, extra=("measure", "method", "expected", "confirmed", "label"))

    @property
    def rating(self) -> str:
        return "+" if self.share_confirmed >= COSMIN_HYPOTHESES_SHARE else "-"

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = [
            i18n.t(
                "validation.hypotheses.summary_head",
                lang,
                score=self.score,
                n_confirmed=self.n_confirmed,
                n_rows=len(self.rows),
                share_confirmed=fmt_pct(self.share_confirmed, 0, lang),
                rating=self.rating,
            )
        ]
        for r in self.rows:
            ok = i18n.t(
                "validation.hypotheses.confirmed"
                if r["confirmed"]
                else "validation.hypotheses.not_confirmed",
                lang,
            )
            lines.append(
                f"- {r['label']}: r = {fmt_number(r['estimate'], 2, lang)} "
                f"{fmt_ci(r['ci_lower'], r['ci_upper'], 2, lang, self.confidence)}; "
                f"{_expected_text(r['expected'], lang)} -> {ok}"
            )
        return "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        """Correlations with CIs; confirmed hypotheses in green, others in vermillion."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import COLORS, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax, figsize=(7.0, 1.0 + 0.45 * len(self.rows)))
        t = self.tidy()
        y = np.arange(len(t))[::-1]
        for yi, (_, r) in zip(y, t.iterrows()):
            col = COLORS["improved"] if r["confirmed"] else COLORS["deteriorated"]
            ax.errorbar(
                r["estimate"],
                yi,
                xerr=[[r["estimate"] - r["ci_lower"]], [r["ci_upper"] - r["estimate"]]],
                fmt="o",
                color=col,
                capsize=3,
            )
        ax.set_yticks(y, t["label"])
        ax.axvline(0, color=COLORS["other"], linewidth=0.8)
        ax.set_xlim(-1, 1)
        ax.set_xlabel(i18n.t("validation.hypotheses.correlation_with", lang, score=self.score))
        ax.set_title(i18n.t("figures.hypotheses.title", lang), fontsize="medium")
        return localize_axes(ax, lang)


def _expected_text(expected: str, lang: str) -> str:
    """The stored ``expected`` text (English number format, parts joined by ``", "``) for a
    summary in ``lang``."""
    sep = i18n.t("validation.hypotheses.expected_separator", lang)
    return sep.join(localize_numbers(part, lang) for part in expected.split(", "))


def _parse_hypothesis(h, i):
    if not isinstance(h, Mapping):
        raise ParameterError(
            f"hypothesis {i} must be a dict such as "
            "{'measure': 'ucla3', 'direction': '+', 'min_r': 0.5}, got " + f"{h!r}."
        )
    unknown = set(h) - {"measure", "direction", "min_r", "max_r", "label"}
    if unknown:
        raise ParameterError(
            f"hypothesis {i} has unknown keys {sorted(unknown)}; use measure, direction, min_r, max_r, label."
        )
    if "measure" not in h:
        raise ParameterError(f"hypothesis {i} needs 'measure' (the comparison instrument column).")
    direction = str(h.get("direction", "+")).lower()
    if direction not in _DIRECTIONS:
        raise ParameterError(
            f"hypothesis {i}: direction={h.get('direction')!r} is not allowed; "
            "use '+', '-' or '0' (no relation)."
        )
    sign = _DIRECTIONS[direction]
    min_r = h.get("min_r", None)
    max_r = h.get("max_r", None)
    for name, v in (("min_r", min_r), ("max_r", max_r)):
        if v is not None and not 0 <= float(v) <= 1:
            raise ParameterError(f"hypothesis {i}: {name} must lie between 0 and 1 (absolute size).")
    if sign == 0 and max_r is None:
        raise ParameterError(f"hypothesis {i}: direction '0' needs max_r (e.g. 0.30).")
    if sign != 0 and min_r is None and max_r is None:
        min_r = 0.0
    return (
        h["measure"],
        sign,
        (None if min_r is None else float(min_r)),
        (None if max_r is None else float(max_r)),
        h.get("label"),
    )


def hypotheses_test(
    data: pd.DataFrame,
    hypotheses: Sequence[Mapping],
    *,
    score: str,
    method: str = "pearson",
    confidence: float = 0.95,
) -> HypothesesResult:
    """Test hypotheses about correlations with comparison instruments, stated in advance.

    Parameters
    ----------
    data : DataFrame
        One row per respondent with the instrument score and the comparison measures.
    hypotheses : list of dict
        Each ``{"measure": column, "direction": "+" | "-" | "0", "min_r": 0.50,
        "max_r": None, "label": None}``. A hypothesis is confirmed when the correlation
        has the expected sign and ``|r| >= min_r`` (and ``|r| <= max_r`` when given;
        direction ``"0"`` = no relation, ``|r| <= max_r``).
    score : str
        Column with the instrument (sub)scale score.
    method : {"pearson", "spearman"}
    confidence : float

    Returns
    -------
    HypothesesResult
        ``tidy()`` per hypothesis: ``estimate`` (r), Fisher-z ``ci_lower/ci_upper``
        (Spearman: Bonett & Wright 2000 variance), ``p_value`` (H0: r = 0), ``n``
        (pairwise complete), ``expected``, ``confirmed``; ``share_confirmed`` and
        ``rating`` (COSMIN + when >= 75%).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> s = rng.normal(size=300)
    >>> df = pd.DataFrame({"score": s, "ucla3": s + rng.normal(scale=0.8, size=300),
    ...                    "wellbeing": -s + rng.normal(scale=1.5, size=300)})
    >>> res = hypotheses_test(df, [{"measure": "ucla3", "direction": "+", "min_r": 0.5},
    ...                            {"measure": "wellbeing", "direction": "-", "min_r": 0.3}],
    ...                       score="score")
    >>> res.share_confirmed
    1.0
    """
    data = check_dataframe(data)
    check_option("method", method, ("pearson", "spearman"))
    confidence = check_confidence(confidence)
    if isinstance(hypotheses, Mapping):
        hypotheses = [hypotheses]
    if isinstance(hypotheses, pd.DataFrame):
        hypotheses = hypotheses.to_dict("records")
    hypotheses = list(hypotheses)
    if not hypotheses:
        raise ParameterError("hypotheses is empty; state at least one hypothesis in advance.")
    check_columns(data, score=score)
    parsed = [_parse_hypothesis(h, i) for i, h in enumerate(hypotheses)]
    check_columns(data, measure=[p[0] for p in parsed])
    s = _numeric(data, score, "score")
    rows = []
    for measure, sign, min_r, max_r, label in parsed:
        m = _numeric(data, measure, "measure")
        ok = s.notna() & m.notna()
        n = int(ok.sum())
        if n < 4:
            raise DataValidationError(f"fewer than 4 respondents with both {score!r} and {measure!r}.")
        if n < 50:
            warnings.warn(
                f"only {n} respondents for {measure!r}; COSMIN asks for at least 50.",
                SmallSampleWarning,
                stacklevel=2,
            )
        a, b = s[ok].to_numpy(float), m[ok].to_numpy(float)
        if np.std(a) == 0 or np.std(b) == 0:
            raise DataValidationError(f"{score!r} or {measure!r} has no variance; no correlation.")
        if method == "pearson":
            r, p = stats.pearsonr(a, b)
        else:
            r, p = stats.spearmanr(a, b)
        r, p = float(r), float(p)
        lo, hi, _ = _corr_ci(r, n, method, confidence)
        confirmed = True
        if sign != 0:
            confirmed &= np.sign(r) == sign
        if min_r is not None:
            confirmed &= abs(r) >= min_r
        if max_r is not None:
            confirmed &= abs(r) <= max_r
        parts = []
        if sign != 0:
            parts.append("r > 0" if sign > 0 else "r < 0")
        if min_r is not None and min_r > 0:
            parts.append(f"|r| >= {min_r:g}")
        if max_r is not None:
            parts.append(f"|r| <= {max_r:g}")
        rows.append(
            {
                "term": f"{score}~{measure}",
                "estimate": r,
                "ci_lower": lo,
                "ci_upper": hi,
                "p_value": p,
                "n": n,
                "measure": measure,
                "method": method,
                "expected": ", ".join(parts),
                "confirmed": bool(confirmed),
                "label": label or measure,
            }
        )
    return HypothesesResult(rows=rows, score=score, confidence=confidence)


# ----------------------------------------------------------------------------- known groups
@dataclass(repr=False)
class KnownGroupsResult(_Confirmed, Result):
    """Result of :func:`known_groups`: one row per comparison (``higher`` minus ``lower``)
    with the mean difference (Welch CI), ``cohens_d`` with CI, Welch's p-value and
    ``confirmed``.

    ``n`` (in ``tidy()``): respondents in the two groups compared.
    """

    rows: list
    groups: pd.DataFrame
    score: str
    confidence: float

    title = Message("validation.title.known_groups")

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(
            self.rows,
            extra=(
                "higher",
                "lower",
                "cohens_d",
                "d_ci_lower",
                "d_ci_upper",
                "t",
                "df",
                "expected",
                "confirmed",
            ),
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = [
            i18n.t(
                "validation.known_groups.summary_head",
                lang,
                score=self.score,
                n_confirmed=self.n_confirmed,
                n_rows=len(self.rows),
            )
        ]
        for r in self.rows:
            lines.append(
                f"- {r['higher']} > {r['lower']}: {fmt_number(r['estimate'], 2, lang)} "
                f"{fmt_ci(r['ci_lower'], r['ci_upper'], 2, lang, self.confidence)}, d = "
                f"{fmt_number(r['cohens_d'], 2, lang)}; "
                + (
                    i18n.t("validation.hypotheses.confirmed", lang)
                    if r["confirmed"]
                    else i18n.t("validation.hypotheses.not_confirmed", lang)
                )
            )
        return "\n".join(lines) + "\n\n" + text_table(self.groups, lang, digits=2)

    def plot(self, *, ax=None, lang: str | None = None):
        """Group means with confidence intervals."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        g = self.groups
        ax.errorbar(
            range(len(g)),
            g["mean"],
            yerr=[g["mean"] - g["ci_lower"], g["ci_upper"] - g["mean"]],
            fmt="o",
            color=PALETTE[0],
            capsize=4,
        )
        ax.set_xticks(range(len(g)), [f"{i}\n(n={int(n)})" for i, n in zip(g.index, g["n"])])
        ax.set_ylabel(i18n.t("figures.mean_of", lang, y=self.score))
        ax.set_title(i18n.t("figures.known_groups.title", lang), fontsize="medium")
        return localize_axes(ax, lang)


def known_groups(
    data: pd.DataFrame,
    *,
    score: str,
    group: str,
    hypotheses: Sequence[Mapping] | None = None,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> KnownGroupsResult:
    r"""Known-groups comparisons: do groups expected to differ, differ as expected?

    Parameters
    ----------
    data : DataFrame
    score : str
        Instrument score column.
    group : str
        Grouping column.
    hypotheses : list of dict, optional
        Each ``{"higher": label, "lower": label, "min_d": 0.5}``: the ``higher`` group is
        expected to score higher by at least ``min_d`` (Cohen's d; default 0). Default:
        no hypotheses, every pair of groups is described (``confirmed`` then means a
        significant difference).
    confidence : float
    alpha : float
        Significance level of Welch's t test; a hypothesis is confirmed when the
        difference has the expected sign, ``p < alpha`` and ``d >= min_d``.

    Returns
    -------
    KnownGroupsResult
        ``estimate`` = mean(higher) - mean(lower) with Welch CI; ``cohens_d`` =
        difference / pooled SD with CI d +/- z sqrt((n1+n2)/(n1 n2) + d^2/(2(n1+n2)))
        (Hedges & Olkin 1985); ``groups``: n, mean, sd and t-based CI per group.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"s": [1, 2, 3, 2, 5, 6, 7, 6], "g": list("aaaabbbb")})
    >>> res = known_groups(df, score="s", group="g", hypotheses=[{"higher": "b", "lower": "a"}])
    >>> float(res.tidy()["estimate"].iloc[0])
    4.0
    """
    data = check_dataframe(data)
    confidence = check_confidence(confidence)
    if not 0 < float(alpha) < 1:
        raise ParameterError(f"alpha must lie strictly between 0 and 1, got {alpha!r}.")
    check_columns(data, score=score, group=group)
    s = _numeric(data, score, "score")
    ok = s.notna() & data[group].notna()
    g = data.loc[ok, group].astype(str)
    s = s[ok]
    labels = sorted(g.unique())
    if len(labels) < 2:
        raise DataValidationError(f"group={group!r} has fewer than 2 groups with a score.")
    q = stats.t
    summ = []
    for lab in labels:
        v = s[g == lab].to_numpy(float)
        n = len(v)
        m, sd = float(v.mean()), float(v.std(ddof=1)) if n > 1 else np.nan
        h = q.ppf(1 - (1 - confidence) / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        summ.append({"group": lab, "n": n, "mean": m, "sd": sd, "ci_lower": m - h, "ci_upper": m + h})
    groups = pd.DataFrame(summ).set_index("group")
    if hypotheses is None:
        pairs = [(b, a, 0.0, False) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    else:
        if isinstance(hypotheses, Mapping):
            hypotheses = [hypotheses]
        pairs = []
        for i, h in enumerate(hypotheses):
            if not isinstance(h, Mapping) or "higher" not in h or "lower" not in h:
                raise ParameterError(
                    f"hypothesis {i} must be a dict with 'higher' and 'lower' "
                    "group labels (and optionally 'min_d')."
                )
            for k in ("higher", "lower"):
                if str(h[k]) not in labels:
                    raise ParameterError(
                        f"hypothesis {i}: {k}={h[k]!r} is not a group of {group!r}; groups are {labels}."
                    )
            pairs.append((str(h["higher"]), str(h["lower"]), float(h.get("min_d", 0.0)), True))
    rows = []
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    for hi_lab, lo_lab, min_d, stated in pairs:
        a = s[g == hi_lab].to_numpy(float)
        b = s[g == lo_lab].to_numpy(float)
        n1, n2 = len(a), len(b)
        if n1 < 2 or n2 < 2:
            raise DataValidationError(f"groups {hi_lab!r} and {lo_lab!r} need at least 2 respondents each.")
        if min(n1, n2) < 30:
            warnings.warn(
                f"small group ({min(n1, n2)} respondents) in {hi_lab!r} vs {lo_lab!r}.",
                SmallSampleWarning,
                stacklevel=2,
            )
        res = stats.ttest_ind(a, b, equal_var=False)
        diff = float(a.mean() - b.mean())
        v1, v2 = a.var(ddof=1), b.var(ddof=1)
        se = float(np.sqrt(v1 / n1 + v2 / n2))
        df = float((v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1)))
        tq = stats.t.ppf(1 - (1 - confidence) / 2, df)
        sp = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
        d = diff / sp if sp > 0 else np.nan
        se_d = np.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
        p = float(res.pvalue)
        confirmed = bool(diff > 0 and p < alpha and d >= min_d) if stated else bool(p < alpha)
        rows.append(
            {
                "term": f"{hi_lab}-{lo_lab}",
                "estimate": diff,
                "std_error": se,
                "ci_lower": diff - tq * se,
                "ci_upper": diff + tq * se,
                "p_value": p,
                "n": n1 + n2,
                "higher": hi_lab,
                "lower": lo_lab,
                "cohens_d": float(d),
                "d_ci_lower": float(d - z * se_d),
                "d_ci_upper": float(d + z * se_d),
                "t": float(res.statistic),
                "df": df,
                "expected": f"{hi_lab} > {lo_lab}" + (f", d >= {min_d:g}" if min_d else "") if stated else "",
                "confirmed": confirmed,
            }
        )
    return KnownGroupsResult(rows=rows, groups=groups, score=score, confidence=confidence)


# ----------------------------------------------------------------------------- ROC
def proportion_ci(x: int, n: int, confidence: float = 0.95, method: str = "wilson") -> tuple[float, float]:
    """Wilson score (1927) or Clopper-Pearson (1934) interval of a proportion x/n."""
    check_option("ci_method", method, ("wilson", "clopper-pearson"))
    if n == 0:
        return np.nan, np.nan
    a = 1 - confidence
    if method == "clopper-pearson":
        lo = stats.beta.ppf(a / 2, x, n - x + 1) if x > 0 else 0.0
        hi = stats.beta.ppf(1 - a / 2, x + 1, n - x) if x < n else 1.0
        return float(lo), float(hi)
    return wilson_interval(x, n, confidence)


def _delong(pos, neg):
    """AUC and DeLong variance (placement values; ties count 1/2)."""
    m, n = len(pos), len(neg)
    allv = np.concatenate([pos, neg])
    r_all = stats.rankdata(allv)
    r_pos = stats.rankdata(pos)
    r_neg = stats.rankdata(neg)
    v10 = (r_all[:m] - r_pos) / n  # for each positive: share of negatives below (+ties/2)
    v01 = 1.0 - (r_all[m:] - r_neg) / m  # for each negative: share of positives above (+ties/2)
    auc = float(v10.mean())
    var = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    return auc, var


@dataclass(repr=False)
class ROCResult(Result):
    """Result of :func:`roc`: ``tidy()`` rows ``auc``, ``sensitivity``, ``specificity``
    and ``youden_cutoff``; ``curve`` holds every threshold (pROC's midpoints).

    ``n`` (in ``tidy()``): respondents with score and reference (``auc``, ``youden_cutoff``); positives for ``sensitivity``, negatives for ``specificity``.
    """

    auc: float
    auc_se: float
    auc_ci: tuple[float, float]
    curve: pd.DataFrame
    cutoff: float
    cutoff_score: float
    counts: dict
    sens_ci: tuple[float, float]
    spec_ci: tuple[float, float]
    n_positive: int
    n_negative: int
    score: str
    reference: str
    confidence: float
    ci_method: str

    title = Message("validation.title.roc")

    @property
    def sensitivity(self) -> float:
        c = self.counts
        return c["tp"] / (c["tp"] + c["fn"])

    @property
    def specificity(self) -> float:
        c = self.counts
        return c["tn"] / (c["tn"] + c["fp"])

    def tidy(self) -> pd.DataFrame:
        n = self.n_positive + self.n_negative
        rows = [
            {
                "term": "auc",
                "estimate": self.auc,
                "std_error": self.auc_se,
                "ci_lower": self.auc_ci[0],
                "ci_upper": self.auc_ci[1],
                "n": n,
                "method": "DeLong",
            },
            {
                "term": "youden_cutoff",
                "estimate": self.cutoff,
                "n": n,
                "method": f"score >= {self.cutoff_score:g} is positive",
            },
            {
                "term": "sensitivity",
                "estimate": self.sensitivity,
                "ci_lower": self.sens_ci[0],
                "ci_upper": self.sens_ci[1],
                "n": self.n_positive,
                "method": self.ci_method,
            },
            {
                "term": "specificity",
                "estimate": self.specificity,
                "ci_lower": self.spec_ci[0],
                "ci_upper": self.spec_ci[1],
                "n": self.n_negative,
                "method": self.ci_method,
            },
        ]
        return tidy_frame(rows, extra=("method",))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        rating = "+" if self.auc >= 0.70 else "-"
        return i18n.t(
            "validation.roc.summary",
            lang,
            score=self.score,
            reference=self.reference,
            n_positive=str(self.n_positive),
            n_negative=str(self.n_negative),
            auc=fmt_number(self.auc, 3, lang),
            auc_ci=fmt_ci(*self.auc_ci, 3, lang, self.confidence),
            rating=rating,
            cutoff=fmt_number(self.cutoff_score, 2, lang),
            sensitivity=fmt_number(self.sensitivity, 2, lang),
            sens_ci=fmt_ci(*self.sens_ci, 2, lang, self.confidence),
            specificity=fmt_number(self.specificity, 2, lang),
            spec_ci=fmt_ci(*self.spec_ci, 2, lang, self.confidence),
        )

    def plot(self, *, ax=None, lang: str | None = None):
        """ROC curve with the Youden cut-off marked."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import COLORS, PALETTE, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax, figsize=(5.0, 5.0))
        c = self.curve
        ax.plot(
            1 - c["specificity"],
            c["sensitivity"],
            color=PALETTE[0],
            label=f"AUC = {fmt_number(self.auc, 2, lang)}",
        )
        ax.plot([0, 1], [0, 1], color=COLORS["other"], linestyle="--", linewidth=1)
        ax.scatter(
            [1 - self.specificity],
            [self.sensitivity],
            color=COLORS["highlight"],
            zorder=3,
            label=i18n.t("validation.roc.youden_cut_off", lang),
        )
        ax.set_xlabel(i18n.t("validation.roc.one_minus_specificity", lang))
        ax.set_ylabel(i18n.t("validation.roc.sensitivity", lang))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_title(i18n.t("figures.roc.title", lang), fontsize="medium")
        legend_outside(ax, loc="below")
        return localize_axes(ax, lang)


def roc(
    data: pd.DataFrame,
    *,
    score: str,
    reference: str,
    positive=1,
    confidence: float = 0.95,
    ci_method: str = "wilson",
) -> ROCResult:
    r"""ROC analysis of a score against a reference classification.

    Higher scores are taken to indicate the positive class (e.g. lonely). AUC =
    P(score_pos > score_neg) + P(tie)/2; its variance by DeLong et al. (1988) and the
    normal CI cut at [0, 1], as ``pROC::ci.auc(method="delong")``. Thresholds are the
    midpoints between successive distinct scores (pROC); the Youden cut-off maximises
    sensitivity + specificity - 1 (first one on ties).

    Parameters
    ----------
    data : DataFrame
    score : str
        Instrument score column.
    reference : str
        Reference classification column (two values).
    positive : scalar
        Value of ``reference`` that marks the positive class (default 1).
    confidence : float
    ci_method : {"wilson", "clopper-pearson"}
        Interval for sensitivity and specificity.

    Returns
    -------
    ROCResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6, 7, 8], "ref": [0, 0, 1, 0, 1, 0, 1, 1]})
    >>> round(roc(df, score="s", reference="ref").auc, 4)
    0.8125
    """
    data = check_dataframe(data)
    confidence = check_confidence(confidence)
    check_option("ci_method", ci_method, ("wilson", "clopper-pearson"))
    check_columns(data, score=score, reference=reference)
    s = _numeric(data, score, "score")
    ok = s.notna() & data[reference].notna()
    ref = data.loc[ok, reference]
    s = s[ok].to_numpy(float)
    values = set(ref.unique().tolist())
    if positive not in values:
        shown = ", ".join(repr(v) for v in sorted(values, key=str)[:10])
        hint = (
            f" (the text {str(positive)!r} is not the number {positive!r}: pass "
            f"positive={str(positive)!r} or convert the column)"
            if str(positive) in {str(v) for v in values}
            else ""
        )
        raise DataValidationError(
            f"reference={reference!r} never equals positive={positive!r}; its values are {shown}{hint}."
        )
    if len(values) != 2:
        raise DataValidationError(
            f"reference={reference!r} must have exactly two values, has {sorted(map(str, values))}."
        )
    is_pos = (ref == positive).to_numpy()
    pos, neg = s[is_pos], s[~is_pos]
    m, n = len(pos), len(neg)
    if min(m, n) < 2:
        raise DataValidationError("roc needs at least 2 positive and 2 negative respondents.")
    if min(m, n) < 30:
        warnings.warn(
            f"only {min(m, n)} respondents in the smaller reference class; the AUC CI is approximate.",
            SmallSampleWarning,
            stacklevel=2,
        )
    auc, var = _delong(pos, neg)
    se = float(np.sqrt(var))
    zq = stats.norm.ppf(1 - (1 - confidence) / 2)
    auc_ci = (max(0.0, auc - zq * se), min(1.0, auc + zq * se))
    u = np.unique(s)
    thr = np.concatenate([[-np.inf], (u[:-1] + u[1:]) / 2.0, [np.inf]])
    sens = np.array([(pos > t).mean() for t in thr])
    spec = np.array([(neg < t).mean() for t in thr])
    curve = pd.DataFrame({"threshold": thr, "sensitivity": sens, "specificity": spec})
    j = sens + spec - 1
    best = int(np.argmax(j))
    cut = float(thr[best])
    tp, fn = int((pos > cut).sum()), int((pos <= cut).sum())
    tn, fp = int((neg < cut).sum()), int((neg >= cut).sum())
    cutoff_score = float(u[u > cut].min()) if np.isfinite(cut) and (u > cut).any() else float(cut)
    return ROCResult(
        auc=auc,
        auc_se=se,
        auc_ci=auc_ci,
        curve=curve,
        cutoff=cut,
        cutoff_score=cutoff_score,
        counts={"tp": tp, "fn": fn, "tn": tn, "fp": fp},
        sens_ci=proportion_ci(tp, m, confidence, ci_method),
        spec_ci=proportion_ci(tn, n, confidence, ci_method),
        n_positive=m,
        n_negative=n,
        score=score,
        reference=reference,
        confidence=confidence,
        ci_method=ci_method,
    )
