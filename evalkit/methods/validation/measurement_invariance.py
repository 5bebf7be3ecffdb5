"""Measurement invariance across groups: configural, metric, scalar, and partial invariance.

Three nested multi-group CFA models (Meredith 1993; Vandenberg & Lance 2000), fitted as
lavaan's ``cfa(..., group=, group.equal=)``:

- configural: same structure in every group, all parameters free;
- metric (weak): loadings equal (``equal=("loadings",)``);
- scalar (strong): loadings and intercepts equal, factor means free in groups after
  the first (``equal=("loadings", "intercepts")``).

Each level is compared with the previous one by the likelihood-ratio test (for ML the
plain chi-square difference, as ``lavaan::lavTestLRT``) and by the change in CFI and
RMSEA: invariance is rejected when ``delta_cfi <= -0.01`` (Cheung & Rensvold 2002) or
``delta_rmsea >= 0.015`` (Chen 2007).

Partial invariance (Byrne, Shavelson & Muthen 1989): :meth:`InvarianceResult.partial`
frees, one at a time, the equality constraint with the largest score (Lagrange
multiplier) test -- lavaan's ``lavTestScore`` -- and refits, until the level no longer
fails against the previous level.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.checks import check_lang, check_option, check_positive_int
from evalkit.core.errors import ParameterError
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.validation.factor import (CFAResult, _check_estimator, _delegated, _fit, _prepare_data, get_estimator,
                     score_test_release)
from evalkit.methods.validation.model_syntax import parse_model

__all__ = ["invariance", "InvarianceResult", "PartialInvarianceResult", "LEVELS",
           "DELTA_CFI_CUTOFF", "DELTA_RMSEA_CUTOFF"]

#: The levels and their lavaan ``group.equal``.
LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
}
#: Cheung & Rensvold (2002): a drop in CFI of 0.01 or more signals non-invariance.
DELTA_CFI_CUTOFF = -0.01
#: Chen (2007): an increase in RMSEA of 0.015 or more signals non-invariance.
DELTA_RMSEA_CUTOFF = 0.015

TABLE_COLUMNS = ["chi2", "df", "cfi", "tli", "rmsea", "srmr", "delta_chi2", "delta_df",
                 "p_value", "delta_cfi", "delta_rmsea"]
DECISION_COLUMNS = ["lrt_invariant", "cfi_invariant", "rmsea_invariant"]

#: minimum respondents per group (about 5 per item is the usual lower limit)
MIN_GROUP_SIZE_PER_ITEM = 5


def _lrt(fit_new: CFAResult, fit_old: CFAResult) -> tuple[float, float, float]:
    """lavTestLRT for ML: plain difference of the chi-square statistics."""
    d_chi2 = fit_new.fit_indices["chi2"] - fit_old.fit_indices["chi2"]
    d_df = fit_new.fit_indices["df"] - fit_old.fit_indices["df"]
    if hasattr(fit_new.estimator, "lrt"):
        return fit_new.estimator.lrt(fit_new, fit_old)
    p = float(stats.chi2.sf(d_chi2, d_df)) if d_df > 0 else np.nan
    return float(d_chi2), float(d_df), p


def _row(fit: CFAResult, prev: CFAResult | None, alpha: float) -> dict:
    fi = fit.fit_indices
    row = {k: float(fi[k]) for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr")}
    if prev is None:
        row.update(delta_chi2=np.nan, delta_df=np.nan, p_value=np.nan, delta_cfi=np.nan,
                   delta_rmsea=np.nan, lrt_invariant=pd.NA, cfi_invariant=pd.NA,
                   rmsea_invariant=pd.NA)
        return row
    dchi, ddf, p = _lrt(fit, prev)
    dcfi = float(fi["cfi"] - prev.fit_indices["cfi"])
    drm = float(fi["rmsea"] - prev.fit_indices["rmsea"])
    row.update(delta_chi2=dchi, delta_df=ddf, p_value=p, delta_cfi=dcfi, delta_rmsea=drm,
               lrt_invariant=bool(p >= alpha), cfi_invariant=bool(dcfi > DELTA_CFI_CUTOFF),
               rmsea_invariant=bool(drm < DELTA_RMSEA_CUTOFF))
    return row


def _table(fits: dict[str, CFAResult], alpha: float) -> pd.DataFrame:
    rows, prev = [], None
    for name, fit in fits.items():
        rows.append(_row(fit, prev, alpha))
        prev = fit
    t = pd.DataFrame(rows, index=pd.Index(list(fits), name="model"))
    for c in DECISION_COLUMNS:
        t[c] = t[c].astype("boolean")
    return t[TABLE_COLUMNS + DECISION_COLUMNS]


def invariance(data: pd.DataFrame, model: str, *, group: str, estimator: str = "ML",
               alpha: float = 0.05) -> "InvarianceResult":
    """Test configural, metric and scalar measurement invariance across groups.

    Fits the three nested multi-group CFA models of :data:`LEVELS` (lavaan
    ``group.equal``), and compares each with the previous one: likelihood-ratio test
    (``delta_chi2``, ``delta_df``, ``p_value``; lavaan's ``lavTestLRT``, for ML the
    chi-square difference), ``delta_cfi`` (non-invariance when <= -0.01, Cheung &
    Rensvold 2002) and ``delta_rmsea`` (non-invariance when >= 0.015, Chen 2007).

    Parameters
    ----------
    data : pandas.DataFrame
    model : str
        lavaan-style syntax (see :func:`evalkit.validation.cfa`).
    group : str
        Column with the groups (e.g. ``gender``, ``age_band``, ``school_type``).
    estimator : {"ML"}
        ``"WLSMV"`` once :mod:`evalkit.validation.wlsmv` exists.
    alpha : float
        Level of the likelihood-ratio tests (decision column ``lrt_invariant``).

    Returns
    -------
    InvarianceResult
        ``table`` indexed ``configural, metric, scalar`` with columns ``chi2, df, cfi,
        tli, rmsea, srmr, delta_chi2, delta_df, p_value, delta_cfi, delta_rmsea`` and the
        decisions ``lrt_invariant, cfi_invariant, rmsea_invariant``; ``fits`` (the three
        :class:`~evalkit.validation.CFAResult`); ``partial()`` for partial invariance.

    Raises
    ------
    DataValidationError
        A group with fewer than ``5 x items`` complete respondents (and at least
        ``items + 1``), an item without variance in a group.

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
    est_name = estimator
    _check_estimator(est_name)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ParameterError(f"alpha must be a number between 0 and 1, got {alpha!r}.")
    if group is None:
        raise ParameterError("invariance needs group=<column with the groups>.")
    delegate = _delegated(est_name, "invariance_wlsmv")
    if delegate is not None:  # function-level hook: the ordinal levels of Wu & Estabrook
        return delegate(data, model, group=group, alpha=alpha)
    parsed = parse_model(model)
    min_n = MIN_GROUP_SIZE_PER_ITEM * len(parsed.observed)
    df, groups = _prepare_data(data, parsed, group, min_group_size=min_n)
    levels = getattr(get_estimator(est_name), "invariance_levels", LEVELS)  # hook (WLSMV)
    fits = {}
    stats_ = None  # sample statistics are computed once and shared by the fits
    for level, equal in levels.items():
        fits[level] = _fit(df, parsed, get_estimator(est_name), group, groups, equal, (), None, model,
                           stats_=stats_)
        stats_ = fits[level].stats
    return InvarianceResult(fits, df=df, parsed=parsed, group=group, groups=groups,
                            estimator=est_name, alpha=alpha, model=model)


_TITLE = {"nl": "Meetinvariantie", "en": "Measurement invariance"}
#: Plain-language names of the levels for the summary.
_LEVEL_TEXT = {
    "metric": {"nl": "Metrische invariantie (gelijke ladingen: de items meten in elke groep even sterk "
                     "hetzelfde)",
               "en": "Metric invariance (equal loadings: the items measure the construct equally "
                     "strongly in every group)"},
    "scalar": {"nl": "Scalaire invariantie (ook gelijke intercepten: gemiddelde scores zijn tussen de "
                     "groepen te vergelijken)",
               "en": "Scalar invariance (equal intercepts too: mean scores can be compared between "
                     "the groups)"},
}


def _table_text(table: pd.DataFrame, lang: str) -> str:
    """The invariance table as text: 4 decimals (decimal comma in Dutch), '–' for missing,
    ja/nee (yes/no) for the decisions."""
    from evalkit.core.i18n import fmt_number
    out = pd.DataFrame(index=table.index)
    for c in table.columns:
        if c in DECISION_COLUMNS:
            yes, no = ("ja", "nee") if lang == "nl" else ("yes", "no")
            out[c] = [("–" if pd.isna(v) else yes if bool(v) else no) for v in table[c]]
        else:
            digits = 0 if c in ("df", "delta_df") else 4
            out[c] = [fmt_number(float(v), digits, lang) for v in table[c]]
    return out.to_string()


def _fails(row: dict | pd.Series, criterion: str) -> bool:
    if criterion == "lrt":
        return not bool(row["lrt_invariant"])
    if criterion == "cfi":
        return not bool(row["cfi_invariant"])
    if criterion == "rmsea":
        return not bool(row["rmsea_invariant"])
    return not (bool(row["cfi_invariant"]) and bool(row["rmsea_invariant"]))


class InvarianceResult(Result):
    """Result of :func:`invariance`.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed ``configural, metric, scalar``; columns ``chi2, df, cfi, tli, rmsea,
        srmr, delta_chi2, delta_df, p_value, delta_cfi, delta_rmsea`` (deltas against the
        previous level) and ``lrt_invariant`` (p >= alpha), ``cfi_invariant``
        (delta_cfi > -0.01), ``rmsea_invariant`` (delta_rmsea < 0.015).
    fits : dict of CFAResult
        The fitted models by level.
    """

    title = _TITLE

    def __init__(self, fits, *, df, parsed, group, groups, estimator, alpha, model):
        self.fits = fits
        self._df, self._parsed, self.group, self.groups = df, parsed, group, groups
        self.estimator, self.alpha, self.model = estimator, alpha, model
        self.n = int(len(df))
        self.nobs = fits["configural"].nobs
        self.levels = {k: tuple(v) for k, v in getattr(get_estimator(estimator), "invariance_levels",
                                                         LEVELS).items()}
        self.table = _table(fits, alpha)

    def tidy(self) -> pd.DataFrame:
        """The table with the standard columns first (indexed by level as well).

        ``term`` is the level, ``estimate`` its chi-square, ``p_value`` the LR test
        against the previous level, ``n`` the respondents; then the table's columns.
        """
        rows = []
        for lvl, r in self.table.iterrows():
            d = dict(term=lvl, estimate=r["chi2"], p_value=r["p_value"], n=self.n)
            for c in TABLE_COLUMNS + DECISION_COLUMNS:
                if c != "p_value":
                    d[c] = r[c]
            rows.append(d)
        out = tidy_frame(rows, extra=[c for c in TABLE_COLUMNS + DECISION_COLUMNS if c != "p_value"])
        for c in DECISION_COLUMNS:
            out[c] = out[c].astype("boolean")
        out.index = pd.Index(list(self.table.index), name="model")
        return out

    def summary(self, lang: str = "nl") -> str:
        check_lang(lang)
        nl = lang == "nl"
        lines = [self.title[lang],
                 (f"Groepen ({self.group}): " if nl else f"Groups ({self.group}): ")
                 + ", ".join(f"{g} (n = {n})" for g, n in self.nobs.items())]
        with pd.option_context("display.width", 140, "display.max_columns", 20):
            lines.append(_table_text(self.table, lang))
        lines.append(
            "Criteria: LR-toets p >= {a}; delta CFI > -0,01 (Cheung & Rensvold 2002); "
            "delta RMSEA < 0,015 (Chen 2007).".format(a=str(self.alpha).replace(".", ","))
            if nl else
            f"Criteria: LR test p >= {self.alpha}; delta CFI > -0.01 (Cheung & Rensvold 2002); "
            "delta RMSEA < 0.015 (Chen 2007)."
        )
        word = {True: {"nl": "aanvaard", "en": "supported"}, False: {"nl": "verworpen", "en": "rejected"}}
        for lvl in list(self.table.index)[1:]:
            r = self.table.loc[lvl]
            ok = bool(r["cfi_invariant"]) and bool(r["rmsea_invariant"])
            name = _LEVEL_TEXT.get(lvl, {}).get(lang, lvl)
            lines.append(f"- {name}: {word[ok][lang]} (delta CFI/RMSEA).")
            if lvl == "scalar" and not ok:
                lines.append("  Gemiddelde scores zijn daarom niet zonder meer tussen de groepen te vergelijken; "
                             "partial() zoekt de items die het verschil veroorzaken." if nl else
                             "  Mean scores can therefore not simply be compared between the groups; "
                             "partial() finds the items that cause the difference.")
        return "\n".join(lines)

    def plot(self, ax=None, lang: str = "nl"):
        """Delta CFI and delta RMSEA per level against the cut-offs (dashed lines).

        Bars below -0.01 (CFI, Cheung & Rensvold 2002) or above 0.015 (RMSEA, Chen 2007)
        signal non-invariance.
        """
        from evalkit.core.plotting import PALETTE, localize_axes, new_axes
        check_lang(lang)
        ax = new_axes(ax)
        t = self.table.iloc[1:]
        x = np.arange(len(t))
        w = 0.38
        ax.bar(x - w / 2, t["delta_cfi"], w, color=PALETTE[0], label="Δ CFI")
        ax.bar(x + w / 2, t["delta_rmsea"], w, color=PALETTE[1], label="Δ RMSEA")
        ax.axhline(DELTA_CFI_CUTOFF, color=PALETTE[0], linestyle="--", linewidth=1.2,
                   label="Δ CFI = −0,01" if lang == "nl" else "Δ CFI = −0.01")
        ax.axhline(DELTA_RMSEA_CUTOFF, color=PALETTE[1], linestyle="--", linewidth=1.2,
                   label="Δ RMSEA = 0,015" if lang == "nl" else "Δ RMSEA = 0.015")
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.set_xticks(x, [f"{lvl} vs {prev}" for lvl, prev in zip(t.index, self.table.index[:-1])])
        ax.set_ylabel("Verschil in fitmaat" if lang == "nl" else "Change in fit index")
        ax.set_title(self.title[lang])
        ax.legend(loc="best", fontsize="small")
        return localize_axes(ax, lang)

    # ---------------------------------------------------------------------------------
    def score_tests(self, level: str = "scalar") -> pd.DataFrame:
        """lavaan ``lavTestScore`` univariate tests of the equality constraints of a level.

        One row per constraint (group 1 == group g), with ``x2, df, p_value``.
        """
        check_option("level", level, list(self.levels)[1:])
        return self.fits[level].score_tests()

    def partial(self, level: str = "scalar", *, criterion: str = "lrt",
                max_free: int = 3) -> "PartialInvarianceResult":
        """Partial invariance: free the worst equality constraint(s) of ``level``, one at a time.

        At each step, among the constraints that ``level`` adds to the previous level
        (intercepts for scalar, loadings for metric) and that are still in place, the
        parameter whose release has the largest score test (for two groups lavaan's
        ``lavTestScore`` univariate statistic; for more groups the joint test over its
        ``G - 1`` constraints) is freed in all groups (lavaan's ``group.partial``), and the
        model is refitted. Stops when the level no longer fails against the previous
        level by ``criterion`` (``"lrt"``: LR test p >= alpha; ``"cfi"``: delta CFI >
        -0.01; ``"rmsea"``: delta RMSEA < 0.015; ``"cfi+rmsea"``: both), or after
        ``max_free`` parameters.

        Returns
        -------
        PartialInvarianceResult
            ``steps`` (one row per freed parameter with its score test and the new fit
            and deltas), ``freed`` (lavaan ``group.partial`` strings such as ``"x3~1"``),
            ``fit`` (the final CFAResult) and ``table`` (the invariance table with the
            partial model in place of ``level``).
        """
        levels = list(self.levels)
        check_option("level", level, levels[1:])
        check_option("criterion", criterion, ("lrt", "cfi", "rmsea", "cfi+rmsea"))
        max_free = check_positive_int(max_free, "max_free")
        prev_name = levels[levels.index(level) - 1]
        prev = self.fits[prev_name]
        equal = self.levels[level]
        # the constraints this level adds to the previous one (intercepts for scalar)
        target_types = [e for e in equal if e not in self.levels[prev_name]]
        fit = self.fits[level]
        freed: list[str] = []
        steps = []
        row = _row(fit, prev, self.alpha)
        while _fails(row, criterion) and len(freed) < max_free:
            pt = fit.spec.partable
            keys = [k for k in dict.fromkeys(pt["equal_key"])
                    if any(k.startswith(f"group.equal:{t}:") for t in target_types)]
            if not keys:
                break
            scores = {k: score_test_release(fit, [k]) for k in keys}
            best = max(scores, key=scores.get)
            n_cons = int((pt["equal_key"] == best).sum()) - 1
            pname = best.split(":", 2)[2]
            freed.append(pname)
            new_fit = _fit(self._df, self._parsed, get_estimator(self.estimator), self.group,
                           self.groups, equal, tuple(freed), None, self.model, stats_=fit.stats)
            row = _row(new_fit, prev, self.alpha)
            steps.append(dict(step=len(freed), freed=pname, score_x2=scores[best], score_df=float(n_cons),
                              score_p_value=float(stats.chi2.sf(scores[best], n_cons)), **row))
            fit = new_fit
        if _fails(row, criterion):
            warnings.warn(
                f"{level} invariance still fails ({criterion}) after freeing {len(freed)} "
                "parameter(s); consider that the construct is not comparable across groups.",
                UserWarning, stacklevel=2,
            )
        fits = dict(self.fits)
        fits[level] = fit
        cols = ["step", "freed", "score_x2", "score_df", "score_p_value"] + TABLE_COLUMNS + DECISION_COLUMNS
        steps_df = pd.DataFrame(steps, columns=cols)
        for c in DECISION_COLUMNS:
            steps_df[c] = steps_df[c].astype("boolean")
        return PartialInvarianceResult(level=level, freed=freed, steps=steps_df, fit=fit,
                                       table=_table({k: v for k, v in fits.items()}, self.alpha),
                                       n=self.n, criterion=criterion)


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

    title = {"nl": "Partiële meetinvariantie", "en": "Partial measurement invariance"}

    def __init__(self, *, level, freed, steps, fit, table, n, criterion):
        self.level, self.freed, self.steps, self.fit, self.table = level, freed, steps, fit, table
        self.n, self.criterion = n, criterion

    def tidy(self) -> pd.DataFrame:
        """One row per freed parameter: ``term`` = parameter, ``estimate`` = score test."""
        rows = []
        for r in self.steps.itertuples(index=False):
            rows.append(dict(term=r.freed, estimate=r.score_x2, p_value=r.score_p_value, n=self.n,
                             step=r.step, score_df=r.score_df, chi2=r.chi2, df=r.df, cfi=r.cfi,
                             rmsea=r.rmsea, delta_chi2=r.delta_chi2, delta_df=r.delta_df,
                             lrt_p_value=r.p_value, delta_cfi=r.delta_cfi, delta_rmsea=r.delta_rmsea))
        return tidy_frame(rows, extra=["step", "score_df", "chi2", "df", "cfi", "rmsea", "delta_chi2",
                                       "delta_df", "lrt_p_value", "delta_cfi", "delta_rmsea"])

    def summary(self, lang: str = "nl") -> str:
        check_lang(lang)
        nl = lang == "nl"
        head = (f"{self.title[lang]} ({self.level}); vrijgelaten: " if nl
                else f"{self.title[lang]} ({self.level}); freed: ")
        lines = [head + (", ".join(self.freed) if self.freed else "–")]
        with pd.option_context("display.width", 140, "display.max_columns", 20):
            lines.append(_table_text(self.table, lang))
        return "\n".join(lines)
