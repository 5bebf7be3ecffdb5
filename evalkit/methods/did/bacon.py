"""Goodman-Bacon (2021) decomposition of the two-way fixed effects DiD estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.core import i18n
from evalkit.core.checks import check_lang
from evalkit.core.errors import DataValidationError, EstimationError, ParameterError
from evalkit.core.i18n import Message, fmt_number
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.did._common import (
    absorbing_first_treated,
    binary_column,
    check_balanced,
    check_unique,
    drop_missing,
    first_treated_values,
    outcome_column,
    prepare,
    time_column,
)

__all__ = ["bacon", "BaconResult"]

TYPES = (
    "earlier vs later treated",
    "later vs earlier treated",
    "later vs always treated",
    "treated vs never treated",
)


def _type_label(typ: str, lang: str) -> str:
    """The comparison type (a value of ``components["type"]``) in words of ``lang``."""
    return i18n.t(f"did.bacon.type.{typ.replace(' ', '_')}", lang)


def bacon(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str | None = None,
    first_treated: str | None = None,
) -> BaconResult:
    r"""Goodman-Bacon decomposition of the TWFE DiD coefficient.

    In a balanced panel with staggered, absorbing treatment, the TWFE coefficient is
    (Goodman-Bacon 2021, Theorem 1)

    .. math:: \hat\beta^{DD} = \sum_{k \ne U} s_{kU}\hat\beta_{kU}
              + \sum_{k \ne U}\sum_{l > k} \big(s^k_{kl}\hat\beta^{k}_{kl}
              + s^l_{kl}\hat\beta^{l}_{kl}\big),

    a weighted average of all 2x2 DiDs: treated cohort :math:`k` vs never treated
    :math:`U`; earlier cohort :math:`k` vs later cohort :math:`l` before :math:`l` starts
    (:math:`\hat\beta^k_{kl}`); and later :math:`l` vs the already treated earlier
    :math:`k` (:math:`\hat\beta^l_{kl}`, the "forbidden" comparison that biases TWFE
    when effects change over time). Weights (sample shares :math:`n`, treated shares
    of periods :math:`\bar D`, :math:`\hat V^D` the variance of the two-way demeaned
    treatment) are

    .. math:: s_{kU} = \frac{(n_k+n_U)^2 n_{kU}(1-n_{kU}) \bar D_k (1-\bar D_k)}{\hat V^D},
        \quad s^k_{kl} = \frac{((n_k+n_l)(1-\bar D_l))^2 n_{kl}(1-n_{kl})
        \frac{\bar D_k-\bar D_l}{1-\bar D_l}\frac{1-\bar D_k}{1-\bar D_l}}{\hat V^D},
        \quad s^l_{kl} = \frac{((n_k+n_l)\bar D_k)^2 n_{kl}(1-n_{kl})
        \frac{\bar D_l}{\bar D_k}\frac{\bar D_k-\bar D_l}{\bar D_k}}{\hat V^D},

    and sum to one. Units treated in every period ("always treated") enter as an early
    cohort. Give either ``treated`` (0/1 per unit and period) or ``first_treated``.

    Returns
    -------
    BaconResult
        ``.components`` (one row per 2x2 comparison), ``.by_type``, ``.twfe_estimate``
        (the weighted sum, equal to the TWFE coefficient), ``.tidy()`` (per type), plot.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment
    timing. Journal of Econometrics 225(2), 254-277.

    Examples
    --------
    >>> from evalkit.did import bacon, simulate_staggered
    >>> df = simulate_staggered(200, seed=1)
    >>> res = bacon(df, outcome="y", unit="unit", time="time", first_treated="g")
    >>> float(round(res.components["weight"].sum(), 10))
    1.0
    """
    if (treated is None) == (first_treated is None):
        raise ParameterError(
            "give exactly one of treated= (0/1 per period) or first_treated= (first treated period)."
        )
    df = prepare(data, outcome=outcome, unit=unit, time=time, treated=treated, first_treated=first_treated)
    df = drop_missing(df, [outcome], "bacon")
    y = outcome_column(df, outcome)
    t = time_column(df, time)
    check_unique(df, unit, time)
    ucodes, ulabels = pd.factorize(df[unit], sort=True)
    n_units = len(ulabels)
    tlist = np.unique(t)
    T = len(tlist)
    tcodes = np.searchsorted(tlist, t)
    check_balanced(
        ucodes, tcodes, n_units, T, ulabels, tlist, "The Goodman-Bacon decomposition needs a balanced panel."
    )
    if treated is not None:
        d = binary_column(df, treated, "treated")
        gu = absorbing_first_treated(ucodes, t, d, n_units, ulabels)
    else:
        assert first_treated is not None  # checked above: exactly one of treated/first_treated
        g = first_treated_values(df, first_treated)
        gmin = np.full(n_units, np.inf)
        gmax = np.full(n_units, -np.inf)
        np.minimum.at(gmin, ucodes, g)
        np.maximum.at(gmax, ucodes, g)
        if (gmin != gmax).any():
            raise DataValidationError(f"first_treated={first_treated!r} must be constant within a unit.")
        gu = gmin
    gu = np.where(gu > tlist[-1], 0.0, gu)  # treated after the panel = never
    gu = np.where((gu > 0) & (gu < tlist[0]), tlist[0], gu)  # always treated
    Y = np.empty((n_units, T))
    Y[ucodes, tcodes] = y
    D = ((gu[:, None] > 0) & (tlist[None, :] >= gu[:, None])).astype(float)
    Dt = D - D.mean(axis=1, keepdims=True) - D.mean(axis=0, keepdims=True) + D.mean()
    VD = float(np.mean(Dt**2))
    if VD <= 1e-14:
        raise EstimationError(
            "treatment does not vary over units and time after the fixed "
            "effects; no DiD comparison is possible."
        )
    Yt = Y - Y.mean(axis=1, keepdims=True) - Y.mean(axis=0, keepdims=True) + Y.mean()
    beta_twfe = float(np.sum(Dt * Yt) / np.sum(Dt**2))

    glist = np.unique(gu[gu > 0])
    share = {g: float(np.mean(gu == g)) for g in glist}
    dbar = {g: float(np.mean(tlist >= g)) for g in glist}
    mean_path = {g: Y[gu == g].mean(axis=0) for g in glist}
    has_never = bool((gu == 0).any())
    if has_never:
        nU = float(np.mean(gu == 0))
        yU = Y[gu == 0].mean(axis=0)

    def dd(ytr, yco, pre, post):
        return float((ytr[post].mean() - ytr[pre].mean()) - (yco[post].mean() - yco[pre].mean()))

    comps = []
    for k in glist:
        if has_never and 0 < dbar[k] < 1:
            pre, post = tlist < k, tlist >= k
            nkU = share[k] / (share[k] + nU)
            w = (share[k] + nU) ** 2 * nkU * (1 - nkU) * dbar[k] * (1 - dbar[k]) / VD
            comps.append(
                dict(
                    type="treated vs never treated",
                    treated=k,
                    control=0.0,
                    estimate=dd(mean_path[k], yU, pre, post),
                    weight=w,
                )
            )
    for i, k in enumerate(glist):
        for l in glist[i + 1 :]:  # noqa: E741 (k and l: the two timing groups, as Goodman-Bacon 2021 names them)
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            Dk, Dl = dbar[k], dbar[l]
            if Dk < 1:  # k treated, l not yet treated (window t < l)
                w = (
                    ((nk + nl) * (1 - Dl)) ** 2
                    * nkl
                    * (1 - nkl)
                    * (Dk - Dl)
                    / (1 - Dl)
                    * (1 - Dk)
                    / (1 - Dl)
                    / VD
                )
                pre, post = tlist < k, (tlist >= k) & (tlist < l)
                comps.append(
                    dict(
                        type="earlier vs later treated",
                        treated=k,
                        control=l,
                        estimate=dd(mean_path[k], mean_path[l], pre, post),
                        weight=w,
                    )
                )
            # l treated, k already treated (window t >= k)
            w = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * (Dk - Dl) / Dk / VD
            pre, post = (tlist >= k) & (tlist < l), tlist >= l
            typ = "later vs always treated" if Dk == 1 else "later vs earlier treated"
            comps.append(
                dict(
                    type=typ,
                    treated=l,
                    control=k,
                    estimate=dd(mean_path[l], mean_path[k], pre, post),
                    weight=w,
                )
            )
    if not comps:
        raise EstimationError("no 2x2 comparisons: need treated and comparison cohorts.")
    comp = pd.DataFrame(comps, columns=["type", "treated", "control", "estimate", "weight"])
    return BaconResult(
        components=comp, beta_twfe=beta_twfe, n_units=n_units, n_obs=int(len(df)), outcome=outcome
    )


class BaconResult(Result):
    """Result of :func:`bacon`.

    Attributes
    ----------
    components : DataFrame
        ``type, treated, control, estimate, weight`` per 2x2 comparison (control 0 =
        never treated).
    by_type : DataFrame
        Total weight and weighted mean estimate per type.
    twfe_estimate : float
        :math:`\\sum s \\hat\\beta` (equals the TWFE coefficient).
    twfe_direct : float
        The TWFE coefficient from the two-way within regression, for comparison.

    ``n`` (in ``tidy()``): units in the panel (every comparison uses them all).
    """

    title = Message("did.title.bacon")

    def __init__(self, *, components, beta_twfe, n_units, n_obs, outcome):
        self.components = components
        self.twfe_direct = beta_twfe
        self.twfe_estimate = float((components["weight"] * components["estimate"]).sum())
        self.n_units, self.n_obs, self.outcome = n_units, n_obs, outcome
        g = components.groupby("type", sort=False)
        bt = pd.DataFrame(
            {
                "weight": g["weight"].sum(),
                "estimate": g.apply(
                    lambda x: (
                        float(np.average(x["estimate"], weights=x["weight"]))
                        if x["weight"].sum() > 0
                        else np.nan
                    ),
                    include_groups=False,
                ),
                "n_components": g.size(),
            }
        )
        self.by_type = bt.reindex([t for t in TYPES if t in bt.index]).reset_index()

    def tidy(self) -> pd.DataFrame:
        """One row per comparison type plus ``term="twfe"`` (the weighted total)."""
        rows = [
            dict(
                term=r.type,
                estimate=r.estimate,
                n=self.n_units,
                weight=r.weight,
                n_components=int(r.n_components),
            )
            for r in self.by_type.itertuples()
        ]
        rows.append(
            dict(
                term="twfe",
                estimate=self.twfe_estimate,
                n=self.n_units,
                weight=float(self.components["weight"].sum()),
                n_components=len(self.components),
            )
        )
        out = tidy_frame(rows, extra=("weight", "n_components"))
        out["n_obs"] = self.n_obs
        return out

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        bt = self.by_type
        neg = bt.loc[bt["type"].isin(["later vs earlier treated", "later vs always treated"]), "weight"].sum()
        L = [
            self.title[lang],
            i18n.t(
                "did.bacon.total", lang, est=fmt_number(self.twfe_estimate, 3, lang), k=len(self.components)
            ),
        ]
        for r in bt.itertuples():
            L.append(
                i18n.t(
                    "did.bacon.by_type",
                    lang,
                    type=_type_label(str(r.type), lang),
                    weight=fmt_number(r.weight, 3, lang),
                    est=fmt_number(r.estimate, 3, lang),
                )
            )
        if neg > 0:
            L.append(i18n.t("did.bacon.forbidden", lang, pct=fmt_number(100 * neg, 0, lang)))
        return "\n".join(L)

    def plot(self, *, lang: str | None = None, ax=None):
        """Each 2x2 estimate against its weight, coloured by type; line at TWFE."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import COLORS, PALETTE, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        for i, typ in enumerate(TYPES):
            c = self.components[self.components["type"] == typ]
            if len(c):
                ax.scatter(
                    c["weight"],
                    c["estimate"],
                    color=PALETTE[i],
                    marker="osD^"[i % 4],
                    s=40,
                    label=_type_label(typ, lang),
                )
        ax.axhline(
            self.twfe_estimate,
            color=COLORS["national"],
            linestyle="--",
            label=f"TWFE = {fmt_number(self.twfe_estimate, 3, lang)}",
        )
        ax.set_xlabel(i18n.t("figures.bacon.x", lang))
        ax.set_ylabel(i18n.t("figures.bacon.y", lang, y=self.outcome))
        ax.set_title(i18n.t("figures.bacon.title", lang), fontsize="medium")
        legend_outside(ax, loc="below", fontsize="small")
        return localize_axes(ax, lang)
