"""The one result type of a CFA in the SEM engine, whatever the estimator."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core.checks import check_lang
from evalkit.core.errors import DataQualityWarning, ParameterError
from evalkit.core.i18n import Message, fmt_number, fmt_p, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.validation.model_syntax import ParsedModel
from evalkit.methods.validation.sem.display import html_block, html_table, parameter_appendix
from evalkit.methods.validation.sem.estimator import Estimator, SEMProblem
from evalkit.methods.validation.sem.fit_measures import GOOD_FIT
from evalkit.methods.validation.sem.ml import constraint_score_tests
from evalkit.methods.validation.sem.optimize import FitState

__all__ = ["CFAResult", "plot_loadings"]

#: Words of the fit verdict in CFAResult.summary (good / mediocre / poor), in the catalogue.
_VERDICTS = ("verdict_good", "verdict_mediocre", "verdict_poor")


class CFAResult(Result):
    """Result of :func:`evalkit.validation.cfa` (every estimator) and of each level of
    :func:`evalkit.validation.invariance`.

    Attributes
    ----------
    fit_indices : pandas.Series
        :data:`~evalkit.methods.validation.sem.fit_measures.FIT_INDEX_NAMES` for every
        estimator: ``chi2, df, p_value, cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper,
        srmr`` (the standard statistics), then ``chi2_scaled, df_scaled, p_value_scaled,
        scaling_factor, shift, cfi_scaled, tli_scaled, rmsea_scaled,
        rmsea_ci_lower_scaled, rmsea_ci_upper_scaled`` (the scaled test and the indices
        computed from it, lavaan's ``*.scaled``), ``cfi_robust, tli_robust,
        rmsea_robust, rmsea_ci_lower_robust, rmsea_ci_upper_robust`` (lavaan's
        ``*.robust``), and ``baseline_chi2, baseline_df, baseline_chi2_scaled``. What an
        estimator does not have is NaN (ML: no scaled test).
    loadings : pandas.DataFrame
        ``factor, item, estimate, std_error, std_all, z, p_value`` (``group`` first for
        multi-group models); fixed loadings have NaN standard errors.
    thresholds : pandas.DataFrame
        ``item, threshold, estimate, std_error, std_all`` (``group`` first with groups);
        empty for continuous items.
    parameters : pandas.DataFrame
        The full parameter table: ``lhs, op, rhs, group, label, free, estimate,
        std_error, z, p_value, ci_lower, ci_upper, std_all`` (one row per matrix element
        per group; rows constrained equal share ``free``).
    baseline : dict
        ``chi2`` and ``df`` (and ``chi2_scaled`` for robust estimators) of the baseline model.
    n : int
        Respondents used (listwise: complete cases; FIML: rows with at least one answer);
        ``nobs`` per group; ``n_rows`` the rows of the data; ``missing`` how missing
        answers were handled (``"listwise"``, ``"fiml"``).
    estimator : Estimator
        The estimator object (its ``name``: ``"ML"``, ``"WLSMV"``).
    level, partial
        The invariance level (None for a plain :func:`cfa`) and the parameters freed
        across groups (lavaan ``group.partial``, e.g. ``("x3~1",)``).
    polychoric : list of PolychoricResult or None
        The sample statistics per group of the ordinal estimators.
    converged, iterations, theta, vcov, spec, stats, problem
        The solution and the engine objects (see docs/validation_cfa.md).
    """

    title = Message("validation.title.cfa")
    #: Conventional cut-offs for good fit (Hu & Bentler 1999), used in the summary text.
    GOOD_FIT = GOOD_FIT

    def __init__(
        self,
        problem: SEMProblem,
        state: FitState,
        *,
        groups: list[str],
        group: str | None,
        equal: tuple[str, ...],
        partial: tuple[str, ...],
        level: str | None,
        model: str,
        parsed: ParsedModel,
        n_rows: int | None = None,
        missing: str = "listwise",
    ):
        self.problem = problem
        self.estimator: Estimator = problem.estimator
        self.spec, self.stats = problem.spec, problem.stats
        self.theta, self.fmin = state.theta, state.fmin
        self.converged, self.iterations = state.converged, state.iterations
        self.group, self.groups, self.equal, self.partial, self.level = (
            group,
            list(groups),
            equal,
            partial,
            level,
        )
        self.model, self.parsed = model, parsed
        self.n = int(problem.n_total)
        self.nobs = dict(zip(self.groups, problem.nobs))
        self.n_rows = self.n if n_rows is None else int(n_rows)
        self.missing = missing
        self.vcov = problem.vcov(state.theta)
        self.fit_indices = problem.fit_indices(state.theta, state.fmin)
        self.baseline = problem.baseline()
        self.polychoric = problem.stats if self.estimator.name == "WLSMV" else None
        self._score_ctx: Any = None  # cache of the ML score tests
        self.parameters = self._parameter_table()
        neg = self.parameters.loc[
            (self.parameters["op"] == "~~")
            & (self.parameters["lhs"] == self.parameters["rhs"])
            & (self.parameters["estimate"] < 0)
        ]
        if len(neg):
            warnings.warn(
                "negative variance estimate(s) (Heywood case): "
                + ", ".join(f"{r.lhs}~~{r.rhs}" for r in neg.itertuples())
                + "; the model may be misspecified or the sample too small.",
                DataQualityWarning,
                stacklevel=4,
            )
        self._check_latent_covariance()

    def _check_latent_covariance(self) -> None:
        """Warn, as lavaan, when the covariance matrix of the factors is not positive definite
        (a factor correlation beyond -1 or 1, or a negative factor variance)."""
        bad = []
        for g in range(self.spec.n_groups):
            psi = self.spec.matrices(self.theta, g)["psi"]
            if psi.size and np.linalg.eigvalsh(psi).min() < 0:
                bad.append(self.groups[g])
        if bad:
            where = "" if not self.multigroup else " (group " + ", ".join(map(str, bad)) + ")"
            warnings.warn(
                f"the covariance matrix of the latent variables is not positive definite{where}: a "
                "factor correlation lies outside [-1, 1] or a factor variance is negative; the model "
                "does not describe these data (see parameters, op '~~' between factors).",
                DataQualityWarning,
                stacklevel=4,
            )

    def _parameter_table(self) -> pd.DataFrame:
        pt = self.spec.partable
        est, std = self.problem.estimates_and_std(self.theta)
        f = pt["free"].to_numpy() - 1
        se_free = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        se = np.where(f >= 0, se_free[np.maximum(f, 0)], np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        pv = 2 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(0.975)
        return pd.DataFrame(
            {
                "lhs": pt["lhs"].astype(str).to_numpy(),
                "op": pt["op"].astype(str).to_numpy(),
                "rhs": pt["rhs"].astype(str).to_numpy(),
                "group": [self.groups[g - 1] for g in pt["group"]],
                "label": pt["label"].astype(str).to_numpy(),
                "free": pt["free"].to_numpy(),
                "estimate": est,
                "std_error": se,
                "z": np.where(f >= 0, z, np.nan),
                "p_value": np.where(f >= 0, pv, np.nan),
                "ci_lower": np.where(f >= 0, est - q * se, est),
                "ci_upper": np.where(f >= 0, est + q * se, est),
                "std_all": std,
            }
        )

    # -- views ------------------------------------------------------------------------
    @property
    def multigroup(self) -> bool:
        return len(self.groups) > 1

    @property
    def robust(self) -> bool:
        """Whether the estimator has a scaled test (its ``*_scaled`` indices are the ones to report)."""
        return bool(self.estimator.robust)

    @property
    def loadings(self) -> pd.DataFrame:
        p = self.parameters.loc[self.parameters["op"] == "=~"]
        cols = ["factor", "item", "estimate", "std_error", "std_all", "z", "p_value"]
        out = pd.DataFrame(
            {
                "factor": p["lhs"].to_numpy(),
                "item": p["rhs"].to_numpy(),
                "estimate": p["estimate"].to_numpy(),
                "std_error": p["std_error"].to_numpy(),
                "std_all": p["std_all"].to_numpy(),
                "z": p["z"].to_numpy(),
                "p_value": p["p_value"].to_numpy(),
            },
            columns=cols,
        )
        if self.multigroup:
            out.insert(0, "group", p["group"].to_numpy())
        return out.reset_index(drop=True)

    @property
    def thresholds(self) -> pd.DataFrame:
        p = self.parameters.loc[self.parameters["op"] == "|"]
        cols = ["item", "threshold", "estimate", "std_error", "std_all"]
        out = pd.DataFrame(
            {
                "item": p["lhs"].to_numpy(),
                "threshold": p["rhs"].to_numpy(),
                "estimate": p["estimate"].to_numpy(),
                "std_error": p["std_error"].to_numpy(),
                "std_all": p["std_all"].to_numpy(),
            },
            columns=cols,
        )
        if self.multigroup:
            out.insert(0, "group", p["group"].to_numpy())
        return out.reset_index(drop=True)

    def reported_fit(self) -> pd.Series:
        """The indices to report: the scaled ones for a robust estimator (as lavaan users
        report them), else the standard ones; named ``chi2, df, p_value, cfi, tli, rmsea,
        rmsea_ci_lower, rmsea_ci_upper, srmr``."""
        fi = self.fit_indices
        names = ["chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper"]
        if self.robust:
            vals = [fi[f"{k}_scaled"] if f"{k}_scaled" in fi.index else fi[k] for k in names]
        else:
            vals = [fi[k] for k in names]
        return pd.Series(vals + [fi["srmr"]], index=names + ["srmr"], dtype=float, name="fit_indices")

    def tidy(self) -> pd.DataFrame:
        """One row per free parameter (per group): ``term`` like ``social=~y01``, ``y01|t1``.

        Extra columns: ``lhs, op, rhs, group, free, z, std_all``. Rows constrained equal
        (across groups or by a shared label) have the same ``free`` index and estimate.
        ``n`` is the group's number of respondents.
        """
        p = self.parameters.loc[self.parameters["free"] > 0]
        rows = []
        for r in p.itertuples(index=False):
            rows.append(
                dict(
                    term=f"{r.lhs}{r.op}{r.rhs}",
                    estimate=r.estimate,
                    std_error=r.std_error,
                    ci_lower=r.ci_lower,
                    ci_upper=r.ci_upper,
                    p_value=r.p_value,
                    n=self.nobs[r.group],
                    lhs=r.lhs,
                    op=r.op,
                    rhs=r.rhs,
                    group=r.group,
                    free=r.free,
                    z=r.z,
                    std_all=r.std_all,
                )
            )
        return tidy_frame(rows, extra=["lhs", "op", "rhs", "group", "free", "z", "std_all"])

    def summary(self, lang: str | None = None) -> str:
        """Readable text: sample, fit in words against the usual cut-offs, the loadings."""
        lang = resolve_lang(lang)
        fi = self.fit_indices
        lines = [self.title[lang]]
        head = t("sem.cfa.estimator", lang, est=self.estimator.describe(lang), n=self.n)
        if self.missing in ("fiml", "pairwise"):
            head += t(f"sem.cfa.rows_{self.missing}", lang, n=self.n, rows=self.n_rows)
        elif self.n_rows != self.n:
            head += t("sem.cfa.rows", lang, rows=self.n_rows, dropped=self.n_rows - self.n)
        if self.multigroup:
            head += t("sem.cfa.groups", lang) + ", ".join(f"{g} (n = {n})" for g, n in self.nobs.items())
        lines.append(head)
        if self.equal:
            lines.append(t("sem.cfa.equal", lang) + ", ".join(self.equal))
        if self.level is not None:
            lines.append(
                t("sem.cfa.level", lang)
                + self.level
                + (t("sem.cfa.freed", lang) + ", ".join(self.partial) if self.partial else "")
            )
        if not self.converged:
            lines.append(t("sem.cfa.not_converged", lang))

        def f2(x: float, d: int = 3) -> str:
            return fmt_number(float(x), d, lang)

        df_txt = fmt_number(float(fi["df"]), 0, lang)
        chi = f"chi2({df_txt}) = {f2(fi['chi2'])}, {fmt_p(float(fi['p_value']), lang)}"
        if self.robust:
            chi += (
                f"; {t('sem.cfa.scaled', lang)} chi2 = {f2(fi['chi2_scaled'])}, "
                f"{fmt_p(float(fi['p_value_scaled']), lang)}"
            )
        lines.append(chi)
        rep = self.reported_fit()
        lines.append(
            f"CFI = {f2(rep['cfi'])}; TLI = {f2(rep['tli'])}; RMSEA = {f2(rep['rmsea'])} "
            f"[{f2(rep['rmsea_ci_lower'])}; {f2(rep['rmsea_ci_upper'])}]; SRMR = {f2(rep['srmr'])}"
            + (f" ({t('sem.cfa.scaled', lang)}: CFI, TLI, RMSEA)" if self.robust else "")
        )
        good: list[str] = []
        bad: list[str] = []
        for k, (op, cut) in self.GOOD_FIT.items():
            v = float(rep[k])
            if not np.isfinite(v):
                continue
            ok = v >= cut if op == ">=" else v <= cut
            (good if ok else bad).append(f"{k.upper()} {f2(v)} ({'≥' if op == '>=' else '≤'} {f2(cut, 2)})")
        if float(fi["df"]) == 0:
            lines.append(t("sem.cfa.saturated", lang))
        elif good or bad:
            verdict = t(f"sem.cfa.fit.{_VERDICTS[0 if not bad else 1 if len(good) >= 2 else 2]}", lang)
            text = f"{t('sem.cfa.fit.head', lang)}: {verdict}."
            if good:
                text += f" {t('sem.cfa.fit.meets', lang)}: " + ", ".join(good) + "."
            if bad:
                text += f" {t('sem.cfa.fit.fails', lang)}: " + ", ".join(bad) + "."
            lines.append(text + f" ({t('sem.cfa.fit.source', lang)})")
        lines.append("")
        lines.append(t("sem.cfa.loadings", lang))
        ld = self.loadings[
            [c for c in ("group", "factor", "item", "estimate", "std_error", "std_all") if c in self.loadings]
        ].copy()
        for c in ("estimate", "std_error", "std_all"):
            ld[c] = [
                t("sem_tables.word.fixed", lang) if (c == "std_error" and not np.isfinite(v)) else f2(v)
                for v in ld[c].to_numpy(dtype=float)
            ]
        ld = ld.rename(
            columns={
                "group": t("sem_tables.col.group", lang),
                "estimate": t("sem.cfa.loading", lang),
                "std_error": t("sem_tables.col.std_error", lang),
                "std_all": t("sem_tables.col.std_all", lang),
            }
        )
        with pd.option_context("display.width", 120, "display.max_rows", 500):
            lines.append(ld.to_string(index=False))
        return "\n".join(lines)

    def appendix(self, lang: str | None = None) -> pd.DataFrame:
        """Every parameter as a readable table (text cells: three decimals in the
        language's convention, p-values as ``< 0,001``, no scientific notation) -- the
        appendix of a report and of the HTML view. The numbers are in :attr:`parameters`
        and :meth:`tidy`."""
        lang = resolve_lang(lang)
        return parameter_appendix(self.parameters, lang, multigroup=self.multigroup)

    def _repr_html_(self) -> str:
        lang = resolve_lang(None)
        app = self.appendix(lang)
        return html_block(
            self.title[lang],
            self.summary(lang),
            t("sem_tables.appendix.parameters", lang, n=fmt_number(len(app), 0, lang)),
            html_table(app),
        )

    def plot(self, *, ax=None, lang: str | None = None):
        """Dot plot of the standardised loadings per item (coloured by factor or group)."""
        lang = resolve_lang(lang)
        return plot_loadings(
            self.loadings, multigroup=self.multigroup, ax=ax, lang=lang, title=self.title[check_lang(lang)]
        )

    # -- score tests for equality constraints (partial invariance) ---------------------
    def score_tests(self, keys=None) -> pd.DataFrame:
        """Score (Lagrange multiplier) tests for releasing equality constraints (ML).

        For every parameter shared across groups (or by a label), lavaan's
        ``lavTestScore`` univariate test of freeing it in each group after the first (one
        row per constraint ``group 1 == group g``); ``keys`` restricts to some
        ``equal_key`` values. Returns ``lhs, op, rhs, group, equal_key, x2, df, p_value``.
        For WLSMV use ``invariance(...).score_tests()`` (the item intercepts).
        """
        if self.estimator.name != "ML":
            raise ParameterError(
                f"score_tests() of a single fit is available for ML; with "
                f"estimator={self.estimator.name!r} use invariance(...).score_tests()."
            )
        return constraint_score_tests(self, keys)


def plot_loadings(
    loadings: pd.DataFrame, *, multigroup: bool, ax=None, lang: str = "nl", title: str | None = None
):
    """Dot plot of standardised loadings (``std_all``) per item, coloured by factor or,
    for multi-group models, by group; a dotted line at 0.4. Shared by every CFA result
    type and :class:`~evalkit.methods.validation.sem.invariance.InvarianceResult`."""
    from evalkit.core.plotting import PALETTE, localize_axes, new_axes

    check_lang(lang)
    ld = loadings
    items = list(dict.fromkeys(ld["item"]))
    ax = new_axes(ax, figsize=(7.0, 0.35 * len(items) + 1.5))
    ypos = {it: i for i, it in enumerate(items)}
    hue = "group" if multigroup else "factor"
    levels = list(dict.fromkeys(ld[hue]))
    for k, lev in enumerate(levels):
        sub = ld.loc[ld[hue] == lev]
        off = (k - (len(levels) - 1) / 2) * 0.15 if multigroup else 0.0
        ax.scatter(
            sub["std_all"],
            [ypos[i] + off for i in sub["item"]],
            color=PALETTE[k % len(PALETTE)],
            label=str(lev),
            zorder=3,
        )
    ax.set_yticks(range(len(items)), items)
    ax.invert_yaxis()
    lo, hi = float(np.nanmin(ld["std_all"])), float(np.nanmax(ld["std_all"]))
    ax.set_xlim(min(0.0, lo - 0.05), max(1.0, hi + 0.05))
    ax.axvline(0.4, color="#999999", linestyle=":", linewidth=1)
    ax.set_xlabel(t("sem.cfa.standardised_loading", lang))
    if title:
        ax.set_title(title)
    ax.legend(
        title=t("sem.cfa.group", lang) if multigroup else "Factor",
        loc="lower left",
        fontsize="small",
    )
    return localize_axes(ax, lang)
