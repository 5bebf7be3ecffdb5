"""Measurement invariance across groups, for every estimator of the SEM engine.

Nested multi-group CFA models (Meredith 1993; Vandenberg & Lance 2000), fitted as
lavaan's ``cfa(..., group=, group.equal=)``. The levels depend on the estimator
(``Estimator.levels``):

- ML (continuous items): configural (all free), metric (equal loadings), scalar (equal
  loadings and intercepts, factor means free in groups after the first);
- WLSMV (ordinal items): the levels of Wu & Estabrook (2016) as
  ``semTools::measEq.syntax`` writes them: configural, thresholds, thresholds_loadings,
  scalar (see :mod:`evalkit.methods.validation.sem.dwls`).

Each level is compared with the previous one by the difference test that lavaan's
``lavTestLRT`` uses for the estimator (ML: chi-square difference; WLSMV: the
scaled-shifted test of Satorra 2000) and by the change in CFI and RMSEA: invariance is
rejected when ``delta_cfi <= -0.01`` (Cheung & Rensvold 2002) or ``delta_rmsea >= 0.015``
(Chen 2007).

**One rule for the columns** (the same as for ``CFAResult.fit_indices``): names without a
suffix are the standard statistics (``chi2, cfi, tli, rmsea`` and the plain difference
``delta_chi2`` with its ``p_value``); the scaled statistics of a robust estimator are under
``*_scaled`` (``chi2_scaled, cfi_scaled, ..., delta_chi2_scaled, p_value_scaled,
delta_cfi_scaled, delta_rmsea_scaled``) and are NaN for ML. The decisions
(``lrt_invariant, cfi_invariant, rmsea_invariant``) use the scaled statistics when the
estimator has them, else the standard ones; they are missing (NA) when the test has no
value (the first level, or a difference with 0 df).

Partial invariance (Byrne, Shavelson & Muthen 1989): :meth:`InvarianceResult.partial`
frees, one at a time, the equality constraint with the largest score (Lagrange
multiplier) test and refits, until the level no longer fails against the previous level.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.checks import check_lang, check_option, check_positive_int
from evalkit.core.errors import NoFigureError, ParameterError
from evalkit.core.i18n import LANGS, Message, error, fmt_number, fmt_p, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.validation.model_syntax import ParsedModel, parse_model
from evalkit.methods.validation.sem.cfa import check_missing, fit_sample, get_estimator
from evalkit.methods.validation.sem.display import decision_cell, html_block, html_table, num_cell, p_cell
from evalkit.methods.validation.sem.estimator import Estimator, Sample
from evalkit.methods.validation.sem.fit_measures import DELTA_CFI_CUTOFF, DELTA_RMSEA_CUTOFF
from evalkit.methods.validation.sem.optimize import single_thread_blas
from evalkit.methods.validation.sem.results import CFAResult

__all__ = [
    "invariance",
    "invariance_wlsmv",
    "InvarianceResult",
    "PartialInvarianceResult",
    "DifferenceTest",
    "scaled_difference_test",
    "TABLE_COLUMNS",
    "SCALED_COLUMNS",
    "DECISION_COLUMNS",
    "MIN_GROUP_SIZE_PER_ITEM",
]

#: The standard columns of the invariance table.
TABLE_COLUMNS = [
    "chi2",
    "df",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "delta_chi2",
    "delta_df",
    "p_value",
    "delta_cfi",
    "delta_rmsea",
]
#: The scaled columns (NaN for estimators without a scaled test).
SCALED_COLUMNS = [
    "chi2_scaled",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "delta_chi2_scaled",
    "p_value_scaled",
    "delta_cfi_scaled",
    "delta_rmsea_scaled",
]
DECISION_COLUMNS = ["lrt_invariant", "cfi_invariant", "rmsea_invariant"]
#: minimum respondents per group (about 5 per item is the usual lower limit)
MIN_GROUP_SIZE_PER_ITEM = 5
_CRITERIA = ("lrt", "cfi", "rmsea", "cfi+rmsea")


# ========================================================================================
# nested-model comparisons
# ========================================================================================
class DifferenceTest(Result):
    """Comparison of two nested models (lavaan's ``lavTestLRT`` for their estimator).

    Attributes
    ----------
    delta_chi2, delta_df, p_value : float
        The plain difference of the chi-square statistics and its p-value.
    delta_chi2_scaled, p_value_scaled : float
        The scaled difference test of a robust estimator (WLSMV: scaled-shifted, Satorra
        2000); NaN for ML or a difference with 0 df.
    scale, shift : float
        ``a`` and ``b`` of the scaled-shifted statistic ``a * delta_chi2 + b``.
    estimator : str
    n : int
        Respondents of the models.
    """

    title = Message("validation.title.difference_test")

    def __init__(
        self,
        *,
        delta_chi2: float,
        delta_df: float,
        p_value: float,
        delta_chi2_scaled: float,
        p_value_scaled: float,
        scale: float,
        shift: float,
        estimator: str,
        robust: bool,
        method: dict[str, str],
        n: int,
    ):
        self.delta_chi2, self.delta_df, self.p_value = delta_chi2, delta_df, p_value
        self.delta_chi2_scaled, self.p_value_scaled = delta_chi2_scaled, p_value_scaled
        self.scale, self.shift = scale, shift
        self.estimator, self.robust, self.method, self.n = estimator, robust, method, n

    @classmethod
    def between(cls, restricted: CFAResult, general: CFAResult) -> DifferenceTest:
        est = restricted.estimator
        v = est.difference_test(restricted, general)
        return cls(
            delta_chi2=v.delta_chi2,
            delta_df=v.delta_df,
            p_value=v.p_value,
            delta_chi2_scaled=v.delta_chi2_scaled,
            p_value_scaled=v.p_value_scaled,
            scale=v.scale,
            shift=v.shift,
            estimator=est.name,
            robust=est.robust,
            method={lg: est.difference_text(lg) for lg in LANGS},
            n=restricted.n,
        )

    def tidy(self) -> pd.DataFrame:
        """One row ``term = "difference"``: ``estimate`` the scaled difference for a robust
        estimator, else the plain one; extra columns all the numbers."""
        est = self.delta_chi2_scaled if self.robust else self.delta_chi2
        p = self.p_value_scaled if self.robust else self.p_value
        extra = ["delta_chi2", "delta_df", "delta_chi2_scaled", "p_value_unscaled", "scale", "shift"]
        return tidy_frame(
            [
                dict(
                    term="difference",
                    estimate=est,
                    p_value=p,
                    n=self.n,
                    delta_chi2=self.delta_chi2,
                    delta_df=self.delta_df,
                    delta_chi2_scaled=self.delta_chi2_scaled,
                    p_value_unscaled=self.p_value,
                    scale=self.scale,
                    shift=self.shift,
                )
            ],
            extra=extra,
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        d = self.delta_chi2_scaled if self.robust else self.delta_chi2
        p = self.p_value_scaled if self.robust else self.p_value
        return (
            f"{self.title[lang]} ({self.estimator}; {self.method[lang]}): delta chi2 = "
            f"{fmt_number(d, 3, lang)}, df = {fmt_number(self.delta_df, 0, lang)}, "
            f"{fmt_p(p, lang)}"
        )

    def _repr_html_(self) -> str:
        lang = resolve_lang(None)
        return f'<div class="evalkit-result"><pre>{html.escape(self.summary(lang))}</pre></div>'

    def plot(self, **kwargs):
        raise error(NoFigureError, "sem.no_figure.difference_test", result=type(self).__name__)

    def as_dict(self) -> dict[str, float]:
        return dict(
            delta_chi2=self.delta_chi2,
            delta_df=self.delta_df,
            p_value=self.p_value,
            delta_chi2_scaled=self.delta_chi2_scaled,
            p_value_scaled=self.p_value_scaled,
            scale=self.scale,
            shift=self.shift,
        )


def scaled_difference_test(restricted: CFAResult, general: CFAResult) -> DifferenceTest:
    """Difference test of two nested fits as lavaan's ``lavTestLRT`` for their estimator
    (WLSMV: scaled-shifted, Satorra 2000, ``method = "satorra.2000"``).

    ``restricted`` has more constraints (more df) than ``general``; both are fits of the
    same data with the same estimator.
    """
    if not (
        isinstance(restricted, CFAResult)
        and isinstance(general, CFAResult)
        and restricted.estimator.name == general.estimator.name
    ):
        raise ParameterError(
            "restricted and general must both be CFA results of the same estimator "
            "(e.g. WLSMV results: cfa(..., estimator='WLSMV')), got "
            f"{type(restricted).__name__} and {type(general).__name__}."
        )
    with single_thread_blas():
        return DifferenceTest.between(restricted, general)


# ========================================================================================
# the table
# ========================================================================================
def _decision(value: float, ok: bool) -> object:
    return pd.NA if not np.isfinite(value) else bool(ok)


def _row(fit: CFAResult, prev: CFAResult | None, alpha: float) -> dict:
    fi = fit.fit_indices
    row: dict = {k: float(fi[k]) for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr")}
    row.update({k: float(fi[k]) for k in ("chi2_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled")})
    nan = np.nan
    row.update(
        delta_chi2=nan,
        delta_df=nan,
        p_value=nan,
        delta_cfi=nan,
        delta_rmsea=nan,
        delta_chi2_scaled=nan,
        p_value_scaled=nan,
        delta_cfi_scaled=nan,
        delta_rmsea_scaled=nan,
    )
    if prev is not None:
        with single_thread_blas():
            d = DifferenceTest.between(fit, prev)
        pf = prev.fit_indices
        row.update(
            delta_chi2=d.delta_chi2,
            delta_df=d.delta_df,
            p_value=d.p_value,
            delta_chi2_scaled=d.delta_chi2_scaled,
            p_value_scaled=d.p_value_scaled,
            delta_cfi=float(fi["cfi"] - pf["cfi"]),
            delta_rmsea=float(fi["rmsea"] - pf["rmsea"]),
            delta_cfi_scaled=float(fi["cfi_scaled"] - pf["cfi_scaled"]),
            delta_rmsea_scaled=float(fi["rmsea_scaled"] - pf["rmsea_scaled"]),
        )
    sfx = "_scaled" if fit.robust else ""
    p, dcfi, drm = row["p_value" + sfx], row["delta_cfi" + sfx], row["delta_rmsea" + sfx]
    row.update(
        lrt_invariant=_decision(p, p >= alpha),
        cfi_invariant=_decision(dcfi, dcfi > DELTA_CFI_CUTOFF),
        rmsea_invariant=_decision(drm, drm < DELTA_RMSEA_CUTOFF),
    )
    return row


def _table(fits: dict[str, CFAResult], alpha: float) -> pd.DataFrame:
    rows, prev = [], None
    for fit in fits.values():
        rows.append(_row(fit, prev, alpha))
        prev = fit
    tab = pd.DataFrame(rows, index=pd.Index(list(fits), name="model"))
    for c in DECISION_COLUMNS:
        tab[c] = tab[c].astype("boolean")
    return tab[TABLE_COLUMNS + SCALED_COLUMNS + DECISION_COLUMNS]


def _fails(row: dict | pd.Series, criterion: str) -> bool:
    """Whether a level fails by ``criterion``; a missing decision (no test) is no failure."""
    checks = {
        "lrt": ["lrt_invariant"],
        "cfi": ["cfi_invariant"],
        "rmsea": ["rmsea_invariant"],
        "cfi+rmsea": ["cfi_invariant", "rmsea_invariant"],
    }[criterion]
    return any(not (pd.isna(row[c]) or bool(row[c])) for c in checks)


def _reported(table: pd.DataFrame, robust: bool) -> pd.DataFrame:
    """The table as reported: for a robust estimator the scaled statistics under the plain names."""
    cols = TABLE_COLUMNS + DECISION_COLUMNS
    if not robust:
        return table[cols]
    out = table[cols].copy()
    for c in ("chi2", "cfi", "tli", "rmsea", "delta_chi2", "p_value", "delta_cfi", "delta_rmsea"):
        out[c] = table[f"{c}_scaled"]
    return out


def _compact(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The reported table in a summary: chi2, df, CFI, RMSEA, the difference test (p
    readable) and the changes in CFI and RMSEA, three decimals, one decision column."""
    out = pd.DataFrame(index=pd.Index(list(table.index), name=t("sem_tables.col.model", lang)))
    out["chi2"] = [num_cell(v, 3, lang) for v in table["chi2"]]
    out["df"] = [num_cell(v, 0, lang) for v in table["df"]]
    out["CFI"] = [num_cell(v, 3, lang) for v in table["cfi"]]
    out["RMSEA"] = [num_cell(v, 3, lang) for v in table["rmsea"]]
    out["Δchi2"] = [num_cell(v, 3, lang) for v in table["delta_chi2"]]
    out["Δdf"] = [num_cell(v, 0, lang) for v in table["delta_df"]]
    out["p"] = [p_cell(v, lang) for v in table["p_value"]]
    out["ΔCFI"] = [num_cell(v, 3, lang) for v in table["delta_cfi"]]
    out["ΔRMSEA"] = [num_cell(v, 3, lang) for v in table["delta_rmsea"]]
    out[t("sem_tables.col.decision", lang)] = [
        "–" if i == 0 else decision_cell([r[c] for c in DECISION_COLUMNS], lang)
        for i, (_, r) in enumerate(table.iterrows())
    ]
    return out


def _full(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every column of a (reported) table as text: 4 decimals, p readable, ja/nee."""
    out = pd.DataFrame(index=table.index)
    yes, no = t("sem_tables.word.yes", lang), t("sem_tables.word.no", lang)
    for c in table.columns:
        if c in DECISION_COLUMNS:
            out[c] = [("–" if pd.isna(v) else yes if bool(v) else no) for v in table[c]]
        elif c.startswith("p_value"):
            out[c] = [p_cell(v, lang) for v in table[c]]
        else:
            out[c] = [num_cell(v, 0 if c in ("df", "delta_df") else 4, lang) for v in table[c]]
    return out


# ========================================================================================
# the public function
# ========================================================================================
def _check_levels(levels: Sequence[str] | None, est: Estimator) -> list[str]:
    allowed = list(est.levels)
    if levels is None:
        return allowed
    if isinstance(levels, str):
        levels = [levels]
    elif isinstance(levels, (list, tuple, pd.Index)):
        levels = list(levels)
    else:
        raise ParameterError(f"levels must be a list of invariance levels, got {levels!r}.")
    if not levels:
        raise ParameterError(f"levels must name at least one of {tuple(allowed)}.")
    for lev in levels:
        check_option("levels", lev, allowed)
    if levels != [lv for lv in allowed if lv in levels]:
        raise ParameterError(f"levels must be in the order {tuple(allowed)}.")
    return levels


def invariance(
    data: pd.DataFrame,
    model: str,
    *,
    group: str,
    estimator: str = "ML",
    alpha: float = 0.05,
    levels: Sequence[str] | None = None,
    missing: str = "listwise",
) -> InvarianceResult:
    """Test measurement invariance across groups (configural, metric, scalar, ...).

    Fits the nested multi-group CFA models of the estimator's levels (lavaan
    ``group.equal``; for ML ``configural, metric, scalar``, for WLSMV the Wu & Estabrook
    2016 levels ``configural, thresholds, thresholds_loadings, scalar``) and compares
    each with the previous one: difference test (``delta_chi2``, ``delta_df``,
    ``p_value``; for a robust estimator also ``delta_chi2_scaled``, ``p_value_scaled``, the
    test lavaan's ``lavTestLRT`` uses), ``delta_cfi`` (non-invariance when <= -0.01,
    Cheung & Rensvold 2002) and ``delta_rmsea`` (non-invariance when >= 0.015, Chen 2007).
    See the module docstring for the one rule behind the column names.

    Parameters
    ----------
    data : pandas.DataFrame
    model : str
        lavaan-style syntax (see :func:`evalkit.validation.cfa`). For WLSMV the
        identification is replaced by ``std.lv`` (factor variances 1; all loadings free).
    group : str
        Column with the groups (e.g. ``gender``, ``age_band``, ``school_type``).
    estimator : {"ML", "MLR", "WLSMV"}
        MLR compares the levels with the scaled difference test of Satorra & Bentler (2001).
    alpha : float
        Level of the difference tests (decision column ``lrt_invariant``).
    levels : sequence of str, optional
        A subset of the estimator's levels (in their order); default all.
    missing : {"listwise", "fiml", "ml"}
        As in :func:`~evalkit.validation.cfa` (``"fiml"`` for ML and MLR).

    Returns
    -------
    InvarianceResult
        ``table`` indexed by level with the columns :data:`TABLE_COLUMNS`,
        :data:`SCALED_COLUMNS` and the decisions :data:`DECISION_COLUMNS`; ``fits`` (one
        :class:`~evalkit.validation.CFAResult` per level); ``score_tests()`` and
        ``partial()`` for partial invariance.

    Raises
    ------
    DataValidationError
        A group with fewer than ``5 x items`` complete respondents (and at least
        ``items + 1``), an item without variance in a group (WLSMV: a category unused in a group).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(600, 1))
    >>> x = 2 + f @ np.array([[0.8, 0.7, 0.6, 0.5]]) + rng.normal(scale=0.6, size=(600, 4))
    >>> df = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(g=np.repeat(["m", "v"], 300))
    >>> res = invariance(df, "f =~ a + b + c + d", group="g")
    >>> list(res.table.index)
    ['configural', 'metric', 'scalar']
    """
    est = get_estimator(estimator)
    if (
        isinstance(alpha, (bool, np.bool_))
        or not isinstance(alpha, (int, float, np.number))
        or not 0 < alpha < 1
    ):
        raise ParameterError(f"alpha must be a number between 0 and 1, got {alpha!r}.")
    if group is None or not isinstance(group, str):
        raise ParameterError("invariance needs group=<column with the groups>.")
    chosen = _check_levels(levels, est)
    miss = check_missing(est, missing)
    parsed = parse_model(model)
    min_n = MIN_GROUP_SIZE_PER_ITEM * len(parsed.observed)
    sample = est.sample(data, parsed, group, min_group_size=min_n, missing=miss)  # shared by the levels
    fits = {
        lev: fit_sample(est, sample, parsed, group=group, model=model, equal=est.levels[lev], level=lev)
        for lev in chosen
    }
    return InvarianceResult(
        fits, sample=sample, parsed=parsed, group=group, estimator=est, alpha=float(alpha), model=model
    )


def invariance_wlsmv(
    data: pd.DataFrame, model: str, *, group: str, alpha: float = 0.05, levels: Sequence[str] | None = None
) -> InvarianceResult:
    """Same as ``invariance(data, model, group=group, estimator="WLSMV", ...)``; kept for existing code."""
    return invariance(data, model, group=group, estimator="WLSMV", alpha=alpha, levels=levels)


# ========================================================================================
# results
# ========================================================================================
#: Levels with a plain-language explanation in the summary (``sem.invariance.level.<level>``).
_LEVELS_EXPLAINED = ("metric", "thresholds", "thresholds_loadings", "scalar")


class InvarianceResult(Result):
    """Result of :func:`invariance` (every estimator).

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by level; columns :data:`TABLE_COLUMNS` (standard statistics and the plain
        difference test against the previous level), :data:`SCALED_COLUMNS` (NaN for ML)
        and :data:`DECISION_COLUMNS` (``lrt_invariant``: p >= alpha; ``cfi_invariant``:
        delta CFI > -0.01; ``rmsea_invariant``: delta RMSEA < 0.015; on the scaled
        statistics for a robust estimator; NA where there is no test).
    fits : dict of CFAResult
        The fitted models by level.
    levels : dict
        The levels and their lavaan ``group.equal``.
    n, nobs
        Respondents used, in total and per group.

    ``n`` (in ``tidy()``): rows (respondents) used to fit each level, all groups together.
    """

    title = Message("validation.title.invariance")

    def __init__(
        self,
        fits: dict[str, CFAResult],
        *,
        sample: Sample,
        parsed: ParsedModel,
        group: str,
        estimator: Estimator,
        alpha: float,
        model: str,
    ):
        self.fits = fits
        self._sample, self._parsed, self.group, self.groups = sample, parsed, group, sample.groups
        self._estimator = estimator
        self.estimator, self.alpha, self.model = estimator.name, alpha, model
        self.robust = bool(estimator.robust)
        self.n = int(sample.n_used)
        self.nobs = next(iter(fits.values())).nobs
        self.levels = {k: tuple(estimator.levels[k]) for k in fits}
        self.table = _table(fits, alpha)

    def reported_table(self) -> pd.DataFrame:
        """The table as one reports it: :data:`TABLE_COLUMNS` and the decisions, holding the
        scaled statistics for a robust estimator (as lavaan users report WLSMV), else the
        standard ones."""
        return _reported(self.table, self.robust)

    def tidy(self) -> pd.DataFrame:
        """The table with the standard columns first (indexed by level as well).

        ``term`` is the level, ``estimate`` its chi-square and ``p_value`` the difference
        test against the previous level -- the scaled ones for a robust estimator --, ``n``
        the respondents; then every column of ``table`` (``p_value_unscaled`` is the
        table's ``p_value``).
        """
        sfx = "_scaled" if self.robust else ""
        cols = [c for c in TABLE_COLUMNS + SCALED_COLUMNS + DECISION_COLUMNS if c != "p_value"]
        rows = []
        for lvl, r in self.table.iterrows():
            d = dict(
                term=lvl,
                estimate=r["chi2" + sfx],
                p_value=r["p_value" + sfx],
                n=self.n,
                p_value_unscaled=r["p_value"],
            )
            for c in cols:
                d[c] = r[c]
            rows.append(d)
        out = tidy_frame(rows, extra=cols + ["p_value_unscaled"])
        for c in DECISION_COLUMNS:
            out[c] = out[c].astype("boolean")
        out.index = pd.Index(list(self.table.index), name="model")
        return out

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = [
            self.title[lang],
            t("sem.invariance.groups", lang, group=self.group)
            + ", ".join(f"{g} (n = {n})" for g, n in self.nobs.items()),
            t(
                "sem.invariance.estimator",
                lang,
                est=self._estimator.describe(lang),
                test=self._estimator.difference_text(lang),
            ),
        ]
        if self.robust:
            lines.append(t("sem.invariance.scaled", lang))
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            lines.append(_compact(_reported(self.table, self.robust), lang).to_string())
        lines.append(t("sem.invariance.criteria", lang, a=fmt_number(self.alpha, 2, lang)))
        for lvl in list(self.table.index)[1:]:
            r = self.table.loc[lvl]
            ok = not _fails(r, "cfi+rmsea")
            name = t(f"sem.invariance.level.{lvl}", lang) if lvl in _LEVELS_EXPLAINED else lvl
            word = t("sem.invariance.supported" if ok else "sem.invariance.rejected", lang)
            lines.append(f"- {name}: {word} (delta CFI/RMSEA).")
            if lvl == "scalar" and not ok:
                lines.append(t("sem.invariance.scalar_failed", lang))
        return "\n".join(lines)

    def appendix(self, lang: str | None = None) -> pd.DataFrame:
        """:attr:`table` as readable text (every column; 4 decimals in the language's
        convention, p-values as ``< 0,001``, no scientific notation)."""
        return _full(self.table, resolve_lang(lang))

    def _repr_html_(self) -> str:
        lang = resolve_lang(None)
        return html_block(
            self.title[lang],
            self.summary(lang),
            t("sem_tables.appendix.table", lang),
            html_table(self.appendix(lang), index=True),
        )

    def plot(self, *, ax=None, lang: str | None = None):
        """Delta CFI and delta RMSEA per level against the cut-offs (dashed lines); the
        scaled changes for a robust estimator.

        Bars below -0.01 (CFI, Cheung & Rensvold 2002) or above 0.015 (RMSEA, Chen 2007)
        signal non-invariance.
        """
        lang = resolve_lang(lang)
        from evalkit.core.plotting import PALETTE, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        tab = _reported(self.table, self.robust).iloc[1:]
        x = np.arange(len(tab))
        w = 0.38
        ax.bar(x - w / 2, tab["delta_cfi"], w, color=PALETTE[0], label="Δ CFI")
        ax.bar(x + w / 2, tab["delta_rmsea"], w, color=PALETTE[1], label="Δ RMSEA")
        ax.axhline(
            DELTA_CFI_CUTOFF,
            color=PALETTE[0],
            linestyle="--",
            linewidth=1.2,
            label="Δ CFI = " + fmt_number(DELTA_CFI_CUTOFF, 2, lang).replace("-", "−"),
        )
        ax.axhline(
            DELTA_RMSEA_CUTOFF,
            color=PALETTE[1],
            linestyle="--",
            linewidth=1.2,
            label="Δ RMSEA = " + fmt_number(DELTA_RMSEA_CUTOFF, 3, lang),
        )
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.set_xticks(
            x,
            [f"{lvl}\nvs {prev}" for lvl, prev in zip(tab.index, self.table.index[:-1])],
            fontsize="small",
        )
        ax.set_ylabel(t("sem.invariance.change_in_fit_index", lang))
        ax.set_title(self.title[lang])
        legend_outside(ax, fontsize="small")
        return localize_axes(ax, lang)

    # ---------------------------------------------------------------------------------
    def score_tests(self, level: str = "scalar") -> pd.DataFrame:
        """Score (Lagrange multiplier) tests of the equality constraints of a level.

        ML: lavaan ``lavTestScore`` univariate tests, one row per constraint (group 1 ==
        group g) with ``lhs, op, rhs, group, equal_key, x2, df, p_value``. WLSMV (scalar
        level): one row per item for freeing its intercept in every group after the first
        (lavaan ``modindices`` for two groups, ``lavTestScore(release=)`` for more) with
        ``item, partial, x2, df, p_value, epc``.
        """
        self._estimator.check_partial_level(level, list(self.fits), "score_tests()")
        return self._estimator.invariance_score_tests(self.fits[level])

    def partial(
        self, level: str = "scalar", *, criterion: str = "lrt", max_free: int = 3
    ) -> PartialInvarianceResult:
        """Partial invariance: free the worst equality constraint(s) of ``level``, one at a time.

        At each step, among the constraints that ``level`` adds to the previous level
        (ML: intercepts for scalar, loadings for metric; WLSMV: item intercepts at the
        scalar level) and that are still in place, the parameter whose release has the
        largest score test (:meth:`score_tests`; for more than two groups the joint test
        over its ``G - 1`` constraints) is freed in all groups (lavaan's
        ``group.partial``), and the model is refitted. Stops when the level no longer
        fails against the previous level by ``criterion`` (``"lrt"``: difference test p >=
        alpha; ``"cfi"``: delta CFI > -0.01; ``"rmsea"``: delta RMSEA < 0.015;
        ``"cfi+rmsea"``: both; scaled statistics for a robust estimator), or after
        ``max_free`` parameters.

        Returns
        -------
        PartialInvarianceResult
            ``steps`` (one row per freed parameter with its score test and the new fit
            and deltas), ``freed`` (lavaan ``group.partial`` strings such as ``"x3~1"``),
            ``fit`` (the final CFAResult) and ``table`` (the invariance table with the
            partial model in place of ``level``).
        """
        levels = list(self.fits)
        est = self._estimator
        est.check_partial_level(level, levels, "partial()")
        check_option("criterion", criterion, _CRITERIA)
        max_free = check_positive_int(max_free, "max_free")
        prev_name = levels[levels.index(level) - 1]
        prev = self.fits[prev_name]
        new_types = [e for e in self.levels[level] if e not in self.levels[prev_name]]
        fit = self.fits[level]
        freed: list[str] = []
        steps = []
        row = _row(fit, prev, self.alpha)
        while _fails(row, criterion) and len(freed) < max_free:
            with single_thread_blas():
                cands = est.partial_candidates(fit, new_types, freed)
            if not cands:
                break
            best = max(cands, key=lambda k: cands[k][0])
            x2, sdf = cands[best]
            freed.append(best)
            fit = fit_sample(
                est,
                self._sample,
                self._parsed,
                group=self.group,
                model=self.model,
                equal=self.levels[level],
                level=level,
                partial=tuple(freed),
            )
            row = _row(fit, prev, self.alpha)
            steps.append(
                dict(
                    step=len(freed),
                    freed=best,
                    score_x2=x2,
                    score_df=sdf,
                    score_p_value=float(stats.chi2.sf(x2, sdf)),
                    **row,
                )
            )
        if _fails(row, criterion):
            warnings.warn(
                f"{level} invariance still fails ({criterion}) after freeing {len(freed)} "
                "parameter(s); consider that the construct is not comparable across groups.",
                UserWarning,
                stacklevel=2,
            )
        fits = dict(self.fits)
        fits[level] = fit
        cols = (
            ["step", "freed", "score_x2", "score_df", "score_p_value"]
            + TABLE_COLUMNS
            + SCALED_COLUMNS
            + DECISION_COLUMNS
        )
        steps_df = pd.DataFrame(steps, columns=cols)
        for c in DECISION_COLUMNS:
            steps_df[c] = steps_df[c].astype("boolean")
        return PartialInvarianceResult(
            level=level,
            freed=freed,
            steps=steps_df,
            fit=fit,
            table=_table(fits, self.alpha),
            n=self.n,
            criterion=criterion,
            robust=self.robust,
        )


class PartialInvarianceResult(Result):
    """Result of :meth:`InvarianceResult.partial`.

    Attributes
    ----------
    level : str
    freed : list of str
        Parameters freed across groups, in lavaan ``group.partial`` notation.
    steps : DataFrame
        ``step, freed, score_x2, score_df, score_p_value`` and the table columns of the
        refitted model against the previous level.
    fit : CFAResult
        The final partial-invariance model.
    table : DataFrame
        Invariance table with the partial model at ``level``.
    """

    title = Message("validation.title.partial_invariance")

    def __init__(
        self,
        *,
        level: str,
        freed: list[str],
        steps: pd.DataFrame,
        fit: CFAResult,
        table: pd.DataFrame,
        n: int,
        criterion: str,
        robust: bool,
    ):
        self.level, self.freed, self.steps, self.fit, self.table = level, freed, steps, fit, table
        self.n, self.criterion, self.robust = n, criterion, robust

    def reported_table(self) -> pd.DataFrame:
        """``table`` as one reports it (scaled statistics for a robust estimator; see
        :meth:`InvarianceResult.reported_table`)."""
        return _reported(self.table, self.robust)

    def tidy(self) -> pd.DataFrame:
        """One row per freed parameter: ``term`` = parameter, ``estimate`` = score test; the
        refit's statistics (scaled ones for a robust estimator) against the previous level."""
        sfx = "_scaled" if self.robust else ""
        rows = []
        for _, r in self.steps.iterrows():
            rows.append(
                dict(
                    term=r["freed"],
                    estimate=r["score_x2"],
                    p_value=r["score_p_value"],
                    n=self.n,
                    step=r["step"],
                    score_df=r["score_df"],
                    chi2=r["chi2" + sfx],
                    df=r["df"],
                    cfi=r["cfi" + sfx],
                    rmsea=r["rmsea" + sfx],
                    delta_chi2=r["delta_chi2" + sfx],
                    delta_df=r["delta_df"],
                    lrt_p_value=r["p_value" + sfx],
                    delta_cfi=r["delta_cfi" + sfx],
                    delta_rmsea=r["delta_rmsea" + sfx],
                )
            )
        return tidy_frame(
            rows,
            extra=[
                "step",
                "score_df",
                "chi2",
                "df",
                "cfi",
                "rmsea",
                "delta_chi2",
                "delta_df",
                "lrt_p_value",
                "delta_cfi",
                "delta_rmsea",
            ],
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        head = t(
            "sem.invariance.partial_head",
            lang,
            title=self.title[lang],
            level=self.level,
        )
        lines = [head + (", ".join(self.freed) if self.freed else "–")]
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            if len(self.steps):
                steps = pd.DataFrame(
                    {
                        t("sem_tables.col.step", lang): [num_cell(v, 0, lang) for v in self.steps["step"]],
                        t("sem_tables.col.freed", lang): list(self.steps["freed"]),
                        t("sem_tables.col.score", lang): [
                            num_cell(v, 3, lang) for v in self.steps["score_x2"]
                        ],
                        "df": [num_cell(v, 0, lang) for v in self.steps["score_df"]],
                        "p": [p_cell(v, lang) for v in self.steps["score_p_value"]],
                    }
                )
                lines.append(steps.to_string(index=False))
            lines.append(_compact(_reported(self.table, self.robust), lang).to_string())
        return "\n".join(lines)

    def appendix(self, lang: str | None = None) -> pd.DataFrame:
        """:attr:`table` as readable text (see :meth:`InvarianceResult.appendix`)."""
        return _full(self.table, resolve_lang(lang))

    def _repr_html_(self) -> str:
        lang = resolve_lang(None)
        return html_block(
            self.title[lang],
            self.summary(lang),
            t("sem_tables.appendix.table", lang),
            html_table(self.appendix(lang), index=True),
        )

    def plot(self, **kwargs):
        raise error(NoFigureError, "sem.no_figure.partial_invariance", result=type(self).__name__)
