"""Differential item functioning (DIF) by ordinal logistic regression (Zumbo 1999).

For every item ``y`` (ordinal), three proportional-odds (cumulative logit) models are fit
with statsmodels' ``OrderedModel``, the matching variable ``S`` being the total score of
the items (or a user-given score)::

    M1: logit P(y <= k) = tau_k - b1 S
    M2: logit P(y <= k) = tau_k - (b1 S + b2 G)              (G: group dummies)
    M3: logit P(y <= k) = tau_k - (b1 S + b2 G + b3 S x G)

Likelihood-ratio tests (Swaminathan & Rogers 1990; Zumbo 1999):

- uniform DIF:     ``chi2 = 2 (LL2 - LL1)``, df = G - 1
- non-uniform DIF: ``chi2 = 2 (LL3 - LL2)``, df = G - 1
- total DIF:       ``chi2 = 2 (LL3 - LL1)``, df = 2 (G - 1)

Effect size: McFadden's pseudo-R2 ``R2_m = 1 - LL_m / LL0`` with ``LL0`` the
thresholds-only model (``LL0 = sum_k n_k log(n_k / n)``), and its changes
``delta_r2_uniform = R2_2 - R2_1``, ``delta_r2_nonuniform = R2_3 - R2_2``,
``delta_r2_total = R2_3 - R2_1``.

**Flagging rule** (exactly): an item is flagged (``flag = True``) when the total-DIF test
is significant, ``p_total < alpha`` (default ``alpha = 0.01``, lordif's default; Choi,
Gibbons & Crane 2011) **and** ``delta_r2_total >= r2_threshold`` (default 0.02, McFadden
R2 change, the negligible-DIF bound used by lordif and by COSMIN: "no important DIF",
Prinsen et al. 2018 / Terwee et al.). ``dif_type`` says which part carries it:
``"uniform"`` when ``p_uniform < alpha`` and ``delta_r2_uniform >= r2_threshold``,
``"non-uniform"`` when the same holds for the non-uniform test, ``"both"`` or
``"total"`` (only the combined test crosses the bounds), and ``""`` when not flagged.

References
----------
Swaminathan, H., & Rogers, H. J. (1990). Detecting differential item functioning using
logistic regression procedures. *Journal of Educational Measurement*, 27, 361-370.
Zumbo, B. D. (1999). *A handbook on the theory and methods of differential item
functioning (DIF)*. Ottawa: Directorate of Human Resources Research and Evaluation.
Choi, S. W., Gibbons, L. E., & Crane, P. K. (2011). lordif: An R package for detecting
differential item functioning using iterative hybrid ordinal logistic regression/item
response theory and Monte Carlo simulations. *Journal of Statistical Software*, 39(8).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_dataframe
from evalkit.core.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    ParameterError,
)
from evalkit.core.i18n import Message, fmt_number, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table

__all__ = ["dif", "DIFResult"]

_TABLE_COLUMNS = [
    "item",
    "n",
    "chi2_uniform",
    "df_uniform",
    "p_uniform",
    "chi2_nonuniform",
    "df_nonuniform",
    "p_nonuniform",
    "chi2_total",
    "df_total",
    "p_total",
    "r2_1",
    "r2_2",
    "r2_3",
    "delta_r2_uniform",
    "delta_r2_nonuniform",
    "delta_r2_total",
    "beta_group",
    "se_beta_group",
    "flag",
    "dif_type",
]


class DIFResult(Result):
    """Ordinal logistic regression DIF screening.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per item with the columns ``item, n, chi2_uniform, df_uniform, p_uniform,
        chi2_nonuniform, df_nonuniform, p_nonuniform, chi2_total, df_total, p_total,
        r2_1, r2_2, r2_3, delta_r2_uniform, delta_r2_nonuniform, delta_r2_total,
        beta_group, se_beta_group, flag, dif_type``. ``beta_group`` is the group
        log-odds coefficient of M2 (positive: the focal group scores higher on the item
        at equal total score; two groups only, else NaN).
    flagged : list of str
        Items flagged for DIF.

    ``n`` (in ``tidy()``): respondents with complete item answers and a group.
    """

    title = Message("validation.title.dif")

    def __init__(self, table, *, group, levels, alpha, r2_threshold, score_name):
        self.table = table
        self.group = group
        self.levels = levels
        self.alpha = alpha
        self.r2_threshold = r2_threshold
        self.score_name = score_name
        self.flagged = table.loc[table["flag"], "item"].tolist()

    def tidy(self) -> pd.DataFrame:
        """One row per item: ``estimate`` = McFadden R2 change (M3 vs M1), ``p_value`` =
        total-DIF test; the uniform and non-uniform parts as extra columns."""
        rows = []
        for r in self.table.to_dict("records"):
            rows.append(
                {
                    "term": r["item"],
                    "estimate": r["delta_r2_total"],
                    "p_value": r["p_total"],
                    "n": r["n"],
                    "chi2_total": r["chi2_total"],
                    "df_total": r["df_total"],
                    "delta_r2_uniform": r["delta_r2_uniform"],
                    "p_uniform": r["p_uniform"],
                    "delta_r2_nonuniform": r["delta_r2_nonuniform"],
                    "p_nonuniform": r["p_nonuniform"],
                    "beta_group": r["beta_group"],
                    "se_beta_group": r["se_beta_group"],
                    "flag": r["flag"],
                    "dif_type": r["dif_type"],
                }
            )
        return tidy_frame(
            rows,
            extra=(
                "chi2_total",
                "df_total",
                "delta_r2_uniform",
                "p_uniform",
                "delta_r2_nonuniform",
                "p_nonuniform",
                "beta_group",
                "se_beta_group",
                "flag",
                "dif_type",
            ),
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        a = fmt_number(self.alpha, 2, lang)
        r2 = fmt_number(self.r2_threshold, 2, lang)
        head = t(
            "validation.dif.summary_head",
            lang,
            group=self.group,
            levels=", ".join(map(str, self.levels)),
            score=self.score_name,
            alpha=a,
            r2=r2,
            flagged=", ".join(self.flagged) if self.flagged else t("validation.dif.none_flagged", lang),
        )
        cols = [
            "item",
            "chi2_uniform",
            "p_uniform",
            "chi2_total",
            "p_total",
            "delta_r2_uniform",
            "delta_r2_total",
            "flag",
        ]
        tab = text_table(self.table[cols], lang, digits=4, index=False)
        return f"{head}\n\n{tab}"

    def plot(self, *, ax=None, lang: str | None = None):
        """Bar chart of the McFadden R2 change per item with the flagging bound."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        ax = plotting.new_axes(ax)
        t = self.table
        colors = [plotting.COLORS["highlight"] if f else plotting.PALETTE[0] for f in t["flag"]]
        ax.bar(t["item"].astype(str), t["delta_r2_total"], color=colors)
        ax.axhline(
            self.r2_threshold,
            color=plotting.COLORS["national"],
            ls="--",
            lw=1.2,
            label=f"ΔR² = {fmt_number(self.r2_threshold, 2, lang)}",
        )
        ax.set_ylabel(i18n.t("validation.dif.plot_y_label", lang))
        ax.set_xlabel("Item")
        ax.set_title(i18n.t("validation.dif.plot_title", lang, group=self.group))
        ax.legend()
        ax.tick_params(axis="x", rotation=45)
        return plotting.localize_axes(ax, lang)


@dataclass
class _OrderedFit:
    """What :func:`dif` needs of a proportional-odds fit: ``llf``, ``params`` (slopes first,
    then the ordered thresholds) and ``bse`` (standard errors from the observed information)."""

    llf: float
    params: np.ndarray
    bse: np.ndarray
    converged: bool


def _ordered_loglik(theta: np.ndarray, yc: np.ndarray, X: np.ndarray, n_cat: int, grad: bool = True):
    """Log-likelihood (and analytic gradient) of the cumulative logit model
    ``P(y <= k | x) = F(tau_k - x'beta)``, as ``MASS::polr`` and statsmodels' OrderedModel."""
    from scipy.special import expit

    p = X.shape[1]
    beta, tau = theta[:p], theta[p:]
    if np.any(np.diff(tau) <= 0):
        return (-np.inf, None) if grad else -np.inf
    eta = X @ beta
    cut = np.concatenate([[-np.inf], tau, [np.inf]])
    a = cut[yc + 1] - eta  # upper bound of the latent response
    b = cut[yc] - eta  # lower bound
    Fa, Fb = expit(a), expit(b)
    pr = Fa - Fb
    if np.any(pr <= 0):
        # far in a tail: work with the complementary form for precision
        pr = np.where(pr <= 0, np.maximum(expit(-b) - expit(-a), 1e-300), pr)
    ll = float(np.sum(np.log(pr)))
    if not grad:
        return ll
    fa = np.where(np.isfinite(a), Fa * (1 - Fa), 0.0)
    fb = np.where(np.isfinite(b), Fb * (1 - Fb), 0.0)
    g_beta = -(X * ((fa - fb) / pr)[:, None]).sum(axis=0)
    g_tau = np.zeros(n_cat - 1)
    up = yc < n_cat - 1  # tau_{y} is the upper bound
    np.add.at(g_tau, yc[up], fa[up] / pr[up])
    lo = yc > 0  # tau_{y-1} is the lower bound
    np.add.at(g_tau, yc[lo] - 1, -fb[lo] / pr[lo])
    return ll, np.concatenate([g_beta, g_tau])


def _fit_ordered(y, X, start=None) -> _OrderedFit:
    """Maximum likelihood of the cumulative logit model by Newton-Raphson with the analytic
    gradient (Hessian by central differences of it), step halving and ordered thresholds.

    Replaces statsmodels' OrderedModel (numerical derivatives; ~30 times slower): the
    log-likelihoods equal ``MASS::polr`` (tests/reference/dif)."""
    yc = np.asarray(y, dtype=int)
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    n_cat = int(yc.max()) + 1
    if start is None:
        cum = np.cumsum(np.bincount(yc, minlength=n_cat))[:-1] / len(yc)
        cum = np.clip(cum, 1e-6, 1 - 1e-6)
        theta = np.concatenate([np.zeros(p), np.log(cum / (1 - cum))])
    else:
        theta = np.asarray(start, dtype=float).copy()
    k = len(theta)

    def hessian(th):
        h = np.zeros((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = 1e-5 * max(1.0, abs(th[j]))
            gp = _ordered_loglik(th + e, yc, X, n_cat)[1]
            gm = _ordered_loglik(th - e, yc, X, n_cat)[1]
            if gp is None or gm is None:
                return None
            h[:, j] = (gp - gm) / (2 * e[j])
        return (h + h.T) / 2

    ll, g = _ordered_loglik(theta, yc, X, n_cat)
    converged = False
    for _ in range(200):
        H = hessian(theta)
        if H is None:
            break
        try:
            step = np.linalg.solve(-H, g)
        except np.linalg.LinAlgError:
            step = g * 1e-3
        t = 1.0
        while t > 1e-10:
            cand = theta + t * step
            ll_c = _ordered_loglik(cand, yc, X, n_cat, grad=False)
            if ll_c >= ll - 1e-12:
                break
            t /= 2
        else:
            break
        theta = cand
        ll_new, g = _ordered_loglik(theta, yc, X, n_cat)
        done = abs(ll_new - ll) < 1e-11 * (1 + abs(ll)) and np.max(np.abs(g)) < 1e-6
        ll = ll_new
        if done:
            converged = True
            break
    if not converged:
        warnings.warn("an ordinal logistic model did not converge.", ConvergenceWarning, stacklevel=4)
    H = hessian(theta)
    try:
        cov = np.linalg.inv(-H) if H is not None else np.full((k, k), np.nan)
        bse = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        bse = np.full(k, np.nan)
    return _OrderedFit(llf=float(ll), params=theta, bse=bse, converged=converged)


def dif(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    group: str,
    score: str | Sequence[float] | None = None,
    alpha: float = 0.01,
    r2_threshold: float = 0.02,
    reference: str | None = None,
) -> DIFResult:
    """Screen items for DIF between groups with ordinal logistic regression.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : sequence of str
        Ordinal item columns (whole-number codes).
    group : str
        Column with the group (e.g. ``gender``); two or more levels.
    score : str or array-like, optional
        Matching variable: a column name or values aligned with ``data``. Default: the sum
        of ``items`` (Zumbo 1999), which includes the studied item.
    alpha : float, default 0.01
        Significance level of the total-DIF likelihood-ratio test (lordif's default).
    r2_threshold : float, default 0.02
        Minimum McFadden pseudo-R2 change (M3 vs M1) for a flag (COSMIN / lordif).
    reference : str, optional
        Reference level of ``group`` (default: the first level in sorted order).

    Returns
    -------
    DIFResult
        ``.table`` (one row per item), ``.flagged``, ``.tidy()``, ``.summary()``, ``.plot()``.

    Notes
    -----
    Rows with a missing item, group or score are dropped per item. See the module
    docstring for the models, tests and the exact flagging rule. The log-likelihoods equal
    ``MASS::polr`` (see tests/reference/dif).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> th = rng.normal(size=600)
    >>> g = rng.choice(["jongen", "meisje"], 600)
    >>> shift = np.where((g == "meisje")[:, None] & (np.arange(4) == 0), 1.0, 0.0)
    >>> y = np.digitize(1.5 * th[:, None] + rng.logistic(size=(600, 4)) - shift, [-1, 1])
    >>> df = pd.DataFrame(y, columns=["a", "b", "c", "d"]).assign(gender=g)
    >>> res = dif(df, items=["a", "b", "c", "d"], group="gender")
    >>> res.table.shape[0]
    4
    """
    check_dataframe(data)
    if isinstance(items, str) or items is None or len(list(items)) < 1:
        raise ParameterError("items must be a list of column names.")
    items = list(items)
    if not isinstance(group, str):
        raise ParameterError("group must name one column.")
    check_columns(data, items=items, group=group)
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must lie strictly between 0 and 1, got {alpha!r}.")
    if not 0 <= r2_threshold < 1:
        raise ParameterError(f"r2_threshold must lie in [0, 1), got {r2_threshold!r}.")
    for it in items:
        if not pd.api.types.is_numeric_dtype(data[it]):
            raise DataValidationError(f"item {it!r} must hold numeric codes, not {data[it].dtype}.")
        if np.isinf(data[it].to_numpy(dtype=float, na_value=np.nan)).any():
            raise DataValidationError(f"item {it!r} has infinite values.")
    if score is None:
        if len(items) < 2:
            raise ParameterError("with one item, give the matching variable in score=.")
        s = data[items].sum(axis=1, skipna=False).to_numpy(dtype=float)
        score_name = i18n.t("validation.dif.sum_score", "nl") + f" ({len(items)} items)"
    elif isinstance(score, str):
        check_columns(data, score=score)
        s = pd.to_numeric(data[score], errors="coerce").to_numpy(dtype=float)
        score_name = score
    else:
        s = np.asarray(score, dtype=float)
        if s.shape != (len(data),):
            raise ParameterError("score must be a column name or one value per row of data.")
        score_name = "score"
    if np.isinf(s).any():
        raise DataValidationError(f"the matching score {score_name!r} has infinite values.")
    gvals = data[group]
    levels = sorted(pd.unique(gvals.dropna()).tolist(), key=str)
    if len(levels) < 2:
        raise DataValidationError(f"group {group!r} has fewer than 2 levels.")
    if reference is not None:
        if reference not in levels:
            raise ParameterError(f"reference={reference!r} is not a level of {group!r}; levels are {levels}.")
        levels = [reference] + [lv for lv in levels if lv != reference]
    counts = gvals.value_counts()
    small = [lv for lv in levels if counts.get(lv, 0) < 30]
    if small:
        warnings.warn(
            f"groups {small} have fewer than 30 respondents; DIF tests are unreliable.",
            DataQualityWarning,
            stacklevel=2,
        )
    G = np.column_stack([(gvals == lv).to_numpy(dtype=float) for lv in levels[1:]])
    gnum = len(levels) - 1

    rows = []
    for it in items:
        y = data[it].to_numpy(dtype=float)
        ok = ~np.isnan(y) & ~np.isnan(s) & gvals.notna().to_numpy()
        yy, ss, gg = y[ok], s[ok], G[ok]
        cats, yc = np.unique(yy, return_inverse=True)
        if len(cats) < 2:
            raise DataValidationError(f"item {it!r} has no variance.")
        sd = ss.std()
        if not sd > 0:
            raise DataValidationError("the matching score has no variance.")
        sc = (ss - ss.mean()) / sd  # centred/scaled for stable Newton steps (LL unchanged)
        nk = np.bincount(yc).astype(float)
        ll0 = float(np.sum(nk * np.log(nk / nk.sum())))
        X1 = sc[:, None]
        X2 = np.column_stack([sc, gg])
        X3 = np.column_stack([sc, gg, sc[:, None] * gg])
        try:
            r1 = _fit_ordered(yc, X1)
            st2 = np.concatenate([r1.params[:1], np.zeros(gnum), r1.params[1:]])
            r2 = _fit_ordered(yc, X2, st2)
            st3 = np.concatenate([r2.params[: 1 + gnum], np.zeros(gnum), r2.params[1 + gnum :]])
            r3 = _fit_ordered(yc, X3, st3)
        except np.linalg.LinAlgError as exc:  # pragma: no cover - defensive
            raise EstimationError(f"ordinal logistic regression failed for {it!r}: {exc}") from exc
        ll1, ll2, ll3 = float(r1.llf), float(r2.llf), float(r3.llf)
        r2s = [1 - ll / ll0 for ll in (ll1, ll2, ll3)]
        c_u, c_n, c_t = 2 * (ll2 - ll1), 2 * (ll3 - ll2), 2 * (ll3 - ll1)
        c_u, c_n, c_t = max(c_u, 0.0), max(c_n, 0.0), max(c_t, 0.0)
        p_u = stats.chi2.sf(c_u, gnum)
        p_n = stats.chi2.sf(c_n, gnum)
        p_t = stats.chi2.sf(c_t, 2 * gnum)
        d_u, d_n, d_t = r2s[1] - r2s[0], r2s[2] - r2s[1], r2s[2] - r2s[0]
        flag = bool(p_t < alpha and d_t >= r2_threshold)
        fu = p_u < alpha and d_u >= r2_threshold
        fn = p_n < alpha and d_n >= r2_threshold
        typ = (
            ""
            if not flag
            else ("both" if fu and fn else "uniform" if fu else "non-uniform" if fn else "total")
        )
        beta = float(r2.params[1]) if gnum == 1 else np.nan
        se = float(r2.bse[1]) if gnum == 1 else np.nan
        rows.append(
            [
                it,
                int(ok.sum()),
                c_u,
                gnum,
                p_u,
                c_n,
                gnum,
                p_n,
                c_t,
                2 * gnum,
                p_t,
                r2s[0],
                r2s[1],
                r2s[2],
                d_u,
                d_n,
                d_t,
                beta,
                se,
                flag,
                typ,
            ]
        )
    table = pd.DataFrame(rows, columns=_TABLE_COLUMNS)
    return DIFResult(
        table, group=group, levels=levels, alpha=alpha, r2_threshold=r2_threshold, score_name=score_name
    )
