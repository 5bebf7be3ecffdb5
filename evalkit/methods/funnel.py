"""Funnel plots: compare municipalities (or coalitions) without a league table.

A league table ranks units by their estimate and invites over-interpretation of noise:
small municipalities land at both ends by chance. A funnel plot (Spiegelhalter 2005) draws
each unit's proportion against its number of respondents, with control limits around the
target (usually the national value) that narrow as n grows. Units inside the 95% limits are
"in control"; units beyond the 99.8% limits differ more than chance explains.

:func:`funnel` computes the limits per unit and for a curve, flags each unit and draws the
plot in evalkit's style (national value as the reference line).

References
----------
Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine*, 24, 1185-1202.
Spiegelhalter, D. J., Sherlaw-Johnson, C., Bardsley, M., Blunt, I., Wood, C., & Grigg, O.
(2012). Statistical methods for healthcare regulation: rating, screening and surveillance.
*JRSS A*, 175, 1-47 (over-dispersion with winsorised z-scores).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_dataframe, check_lang, check_option, check_positive_int
from evalkit.core.errors import DataValidationError, EstimationError, ParameterError
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.stats import wilson_interval

__all__ = ["funnel", "FunnelResult", "binomial_limit"]

#: Control-limit levels (two-sided) of every funnel plot: 95% and 99.8% (Spiegelhalter 2005).
LEVELS = (0.95, 0.998)
_FLAGS = ("below_998", "below_95", "within", "above_95", "above_998")


def binomial_limit(p: float, n, target: float) -> np.ndarray:
    """Exact binomial control limit for a proportion, with Spiegelhalter's interpolation.

    For the lower-tail probability ``p`` (e.g. 0.025 or 0.975) and ``n`` respondents:
    r = the p-quantile of Binomial(n, target) (smallest r with F(r) >= p),
    alpha = (F(r) - p) / (F(r) - F(r - 1)), limit = (r - alpha) / n
    (Spiegelhalter 2005, appendix A.1.1), so the limits are smooth in n.

    Examples
    --------
    >>> from evalkit.funnel import binomial_limit
    >>> round(float(binomial_limit(0.975, 400, 0.47)), 4)
    0.5177
    """
    for name, value in (("p", p), ("target", target)):
        try:
            ok = 0 < float(value) < 1
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ParameterError(f"{name} must be a number strictly between 0 and 1, got {value!r}.")
    try:
        n = np.asarray(n, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"n must be a number or numbers of respondents, got {n!r}.") from None
    r = stats.binom.ppf(p, n, target)
    f_r = stats.binom.cdf(r, n, target)
    f_r1 = stats.binom.cdf(r - 1, n, target)
    denom = f_r - f_r1
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(denom > 0, (f_r - p) / denom, 0.0)
    return (r - alpha) / n


class FunnelResult(Result):
    """Result of :func:`funnel`.

    Attributes
    ----------
    units : DataFrame
        One row per unit: ``unit, proportion, n, events, z, p_value, lower_95, upper_95,
        lower_998, upper_998, flag`` (proportions on the scale of the input).
    target : float
        The centre line (national value), on the scale of the input.
    phi, tau2 : float
        Over-dispersion factor (winsorised z-scores) and additive between-unit variance
        (on the 0-1 scale); tau2 is used for the limits only with
        ``overdispersion="additive"``, phi only with ``"multiplicative"``.

    ``n`` (in ``tidy()``): respondents behind each unit's proportion (its denominator).
    """

    title = i18n.Message("methods.funnel.title")

    units: pd.DataFrame
    target: float
    _target01: float
    _scale: float
    percent: bool
    method: str
    overdispersion: str
    phi: float
    tau2: float
    winsor: float

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def tidy(self) -> pd.DataFrame:
        """One row per unit: ``estimate`` = its proportion, ``std_error`` = the standard
        error under the target (incl. over-dispersion), ``ci_lower/ci_upper`` = the unit's
        own Wilson interval (95%), ``p_value`` = two-sided test against the target; extra
        ``z, target, lower_95, upper_95, lower_998, upper_998, flag``."""
        u = self.units
        k = self._scale
        rows = []
        for r in u.itertuples(index=False):
            lo, hi = wilson_interval(r.events, r.n)
            rows.append(
                dict(
                    term=str(r.unit),
                    estimate=r.proportion,
                    std_error=r.std_error,
                    ci_lower=k * lo,
                    ci_upper=k * hi,
                    p_value=r.p_value,
                    n=r.n,
                    z=r.z,
                    target=self.target,
                    lower_95=r.lower_95,
                    upper_95=r.upper_95,
                    lower_998=r.lower_998,
                    upper_998=r.upper_998,
                    flag=r.flag,
                )
            )
        return tidy_frame(
            rows, extra=("z", "target", "lower_95", "upper_95", "lower_998", "upper_998", "flag")
        )

    def counts(self) -> pd.Series:
        """Number of units per flag (all five flags, in order)."""
        return self.units["flag"].value_counts().reindex(list(_FLAGS), fill_value=0)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        c = self.counts()
        k = len(self.units)
        out95 = int(c["below_95"] + c["above_95"] + c["below_998"] + c["above_998"])
        out998 = int(c["below_998"] + c["above_998"])
        tgt = i18n.fmt_number(self.target, 1 if self.percent else 3, lang)
        phi = i18n.fmt_number(self.phi, 2, lang)
        if self.overdispersion == "multiplicative":
            od = i18n.t("methods.funnel.overdispersion.multiplicative", lang, phi=phi)
        elif self.overdispersion == "additive":
            tau = i18n.fmt_number(math.sqrt(self.tau2) * self._scale, 2, lang)
            od = i18n.t("methods.funnel.overdispersion.additive", lang, tau=tau)
        else:
            od = i18n.t("methods.funnel.overdispersion.none", lang)
        exp95 = i18n.fmt_number(0.05 * k, 0, lang)
        binomial = self.method == "binomial" and self.overdispersion == "none"
        meth = i18n.t("methods.funnel.limits.binomial" if binomial else "methods.funnel.limits.normal", lang)
        text = i18n.t(
            "methods.funnel.summary",
            lang,
            k=k,
            target=tgt,
            method=meth,
            overdispersion=od,
            out95=out95,
            expected95=exp95,
            out998=out998,
            above998=int(c["above_998"]),
            below998=int(c["below_998"]),
            phi=phi,
        )
        return f"{self.title[lang]}\n\n{text}"

    def curve(
        self, n_min: float | None = None, n_max: float | None = None, points: int = 200
    ) -> pd.DataFrame:
        """The control limits over a grid of n: ``n, lower_95, upper_95, lower_998, upper_998``."""
        n_min = n_min if n_min is not None else max(1.0, 0.9 * float(self.units["n"].min()))
        n_max = n_max if n_max is not None else 1.05 * float(self.units["n"].max())
        try:
            n_min, n_max = float(n_min), float(n_max)
        except (TypeError, ValueError):
            raise ParameterError(f"n_min and n_max must be numbers, got {n_min!r}, {n_max!r}.") from None
        if not 0 < n_min < n_max < np.inf:
            raise ParameterError(f"curve needs 0 < n_min < n_max, got n_min={n_min:g}, n_max={n_max:g}.")
        points = check_positive_int(points, "points", minimum=2)
        grid = np.unique(np.round(np.geomspace(n_min, n_max, points)))
        lim = _limits(grid, self._target01, self.method, self.overdispersion, self.phi, self.tau2)
        return pd.DataFrame({"n": grid, **{c: self._scale * v for c, v in lim.items()}})

    def plot(
        self,
        *,
        ax=None,
        lang: str | None = None,
        label_outliers: bool = True,
        highlight=None,
        ylabel: str | None = None,
        title: str | None = None,
        legend: bool = True,
    ):
        """Funnel plot: proportion against n, the target as the national reference line,
        95% (dashed) and 99.8% (solid) control limits; units beyond 99.8% in the highlight
        colour and, with ``label_outliers``, named. ``highlight``: units to mark in black.
        ``legend``: draw the legend (outside the axes, on the right)."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax, figsize=(7.5, 4.6))
        u = self.units
        cur = self.curve()
        lim_col = plotting.COLORS["national"]
        ax.plot(
            cur["n"],
            cur["lower_95"],
            color=lim_col,
            linestyle=":",
            linewidth=1.2,
            label=i18n.t("methods.funnel.limits_95", lang),
        )
        ax.plot(cur["n"], cur["upper_95"], color=lim_col, linestyle=":", linewidth=1.2)
        ax.plot(
            cur["n"],
            cur["lower_998"],
            color=lim_col,
            linestyle="-",
            linewidth=1,
            label=i18n.t("methods.funnel.n_99_8_limits", lang),
        )
        ax.plot(cur["n"], cur["upper_998"], color=lim_col, linestyle="-", linewidth=1)
        plotting.reference_line(ax, self.target, lang=lang)
        out = u["flag"].isin(["above_998", "below_998"])
        mid = u["flag"].isin(["above_95", "below_95"])
        ax.scatter(
            u.loc[~out & ~mid, "n"],
            u.loc[~out & ~mid, "proportion"],
            s=14,
            color=plotting.COLORS["intervention"],
            alpha=0.7,
            zorder=3,
            label=i18n.t("methods.funnel.within_95", lang),
        )
        ax.scatter(
            u.loc[mid, "n"],
            u.loc[mid, "proportion"],
            s=16,
            color=plotting.COLORS["comparison"],
            zorder=3,
            label=i18n.t("methods.funnel.outside_95", lang),
        )
        ax.scatter(
            u.loc[out, "n"],
            u.loc[out, "proportion"],
            s=20,
            color=plotting.COLORS["highlight"],
            zorder=4,
            label=i18n.t("methods.funnel.outside_99_8", lang),
        )
        if label_outliers:
            for r in u[out].itertuples(index=False):
                ax.annotate(
                    str(r.unit), (r.n, r.proportion), fontsize=7, xytext=(3, 2), textcoords="offset points"
                )
        if highlight is not None:
            hl = u[u["unit"].astype(str).isin([str(h) for h in np.atleast_1d(highlight)])]
            ax.scatter(
                hl["n"], hl["proportion"], s=40, facecolor="none", edgecolor="black", linewidth=1.2, zorder=5
            )
            for r in hl.itertuples(index=False):
                ax.annotate(
                    str(r.unit),
                    (r.n, r.proportion),
                    fontsize=8,
                    fontweight="bold",
                    xytext=(4, -10),
                    textcoords="offset points",
                )
        ax.set_xlabel(plotting.label("n", lang))
        ax.set_ylabel(
            ylabel
            or (
                plotting.label("share_lonely", lang)
                if self.percent
                else i18n.t("methods.funnel.proportion", lang)
            )
        )
        if title is None:
            c = self.counts()
            title = i18n.t(
                "methods.funnel.units_outside_99_8",
                lang,
                n_u=len(u),
                above_998=int(c["above_998"] + c["below_998"]),
            )
        ax.set_title(title, fontsize=10)
        if legend:
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return plotting.localize_axes(ax, lang)


def _limits(n, target, method, overdispersion, phi, tau2) -> dict[str, np.ndarray]:
    n = np.asarray(n, dtype=float)
    out = {}
    for level in LEVELS:
        tag = "95" if level == 0.95 else "998"
        lo_p, hi_p = (1 - level) / 2, 1 - (1 - level) / 2
        if overdispersion == "none" and method == "binomial":
            lo, hi = binomial_limit(lo_p, n, target), binomial_limit(hi_p, n, target)
        else:
            s2 = target * (1 - target) / n
            if overdispersion == "multiplicative":
                s2 = phi * s2
            elif overdispersion == "additive":
                s2 = s2 + tau2
            z = stats.norm.ppf(hi_p)
            lo, hi = target - z * np.sqrt(s2), target + z * np.sqrt(s2)
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    return out


def _winsorised_phi(z: np.ndarray, winsor: float) -> float:
    """phi = mean of squared winsorised z-scores (Spiegelhalter 2005, sec. 5.1)."""
    if winsor > 0:
        lo, hi = np.quantile(z, [winsor, 1 - winsor])
        z = np.clip(z, lo, hi)
    return float(np.mean(z * z))


def funnel(
    data: pd.DataFrame,
    *,
    proportion: str | None = None,
    events: str | None = None,
    n: str,
    target: float | None = None,
    unit: str | None = None,
    method: str = "binomial",
    overdispersion: str = "none",
    percent: bool = False,
    winsor: float = 0.1,
) -> FunnelResult:
    r"""Funnel plot data for proportions (Spiegelhalter 2005): control limits per unit.

    Parameters
    ----------
    data : DataFrame
        One row per unit (municipality, coalition) in one period.
    proportion : str
        Column with each unit's proportion (0-1, or 0-100 with ``percent=True``).
    events : str
        Alternatively, the column with the number of events (e.g. lonely respondents).
        Give exactly one of ``proportion`` and ``events``.
    n : str
        Column with the number of respondents.
    target : float, optional
        The centre line on the scale of the input (e.g. the national value 47.0 with
        ``percent=True``). Default: the pooled proportion sum(events) / sum(n).
    unit : str, optional
        Column naming the units (labels in the plot and ``term`` in ``tidy()``).
    method : {"binomial", "normal"}
        Control limits without over-dispersion: exact binomial quantiles with
        Spiegelhalter's interpolation (default; appendix A.1.1) or the normal
        approximation target +- z sqrt(target (1 - target) / n).
    overdispersion : {"none", "multiplicative", "additive"}
        Real differences between units widen the funnel (Spiegelhalter 2005, sec. 5):
        ``"multiplicative"``: limits target +- z sqrt(phi s_i^2), phi = mean of the squared
        z-scores winsorised at ``winsor`` in each tail (only if phi > 1);
        ``"additive"`` (random effects): target +- z sqrt(s_i^2 + tau^2) with
        tau^2 = max(0, (I phi - (I - 1)) / (sum w_i - sum w_i^2 / sum w_i)), w_i = 1 / s_i^2.
        phi and tau2 are always computed and reported.
    percent : bool
        ``proportion`` and ``target`` are percentages (0-100); results are in percent too.
    winsor : float
        Tail fraction for winsorising z-scores when estimating phi (default 0.1, as
        Spiegelhalter 2005). Winsorising protects phi against the outlying units one is
        looking for, but shrinks it: for pure chance variation the winsorised phi is about
        0.69 (1 with ``winsor=0``); the limits never use a phi below 1.

    Returns
    -------
    FunnelResult
        ``units`` with z = (y_i - target) / s_i, s_i^2 = target (1 - target) / n_i (times phi
        or plus tau^2 with over-dispersion), two-sided normal p-values, the 95% and 99.8%
        limits at each unit's n and a ``flag``: below_998, below_95, within, above_95,
        above_998. ``.plot()`` draws the funnel; ``.curve()`` gives the limits over a grid.

    Raises
    ------
    DataValidationError
        Proportions outside 0-1 (or 0-100), events above n, non-positive n.
    EstimationError
        A target of exactly 0 or 1 (no funnel).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.funnel import funnel
    >>> d = pd.DataFrame({"gm": ["A", "B", "C"], "pct": [45.0, 52.0, 38.0],
    ...                   "n": [400, 900, 350]})
    >>> res = funnel(d, proportion="pct", n="n", unit="gm", target=47.0, percent=True)
    >>> list(res.units["flag"])
    ['within', 'above_95', 'below_998']
    """
    check_dataframe(data)
    method = check_option("method", method, ("binomial", "normal"))
    overdispersion = check_option("overdispersion", overdispersion, ("none", "multiplicative", "additive"))
    if (proportion is None) == (events is None):
        raise ParameterError("Give exactly one of proportion= or events= (a column name).")
    check_columns(data, proportion=proportion, events=events, n=n, unit=unit)
    if not isinstance(percent, bool):
        raise ParameterError(f"percent must be True or False, got {percent!r}.")
    try:
        winsor = float(winsor)
    except (TypeError, ValueError):
        raise ParameterError(f"winsor must be a number in [0, 0.5), got {winsor!r}.") from None
    if not 0 <= winsor < 0.5:
        raise ParameterError(f"winsor must be a number in [0, 0.5), got {winsor!r}.")
    scale = 100.0 if percent else 1.0
    nn = pd.to_numeric(data[n], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if proportion is not None:
        y = pd.to_numeric(data[proportion], errors="coerce").to_numpy(dtype=float, na_value=np.nan) / scale
        src = str(proportion)
    else:
        ev = pd.to_numeric(data[events], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.any(ev[np.isfinite(ev)] < 0):
            raise DataValidationError(f"{events!r} has negative counts.")
        with np.errstate(invalid="ignore", divide="ignore"):
            y = ev / nn
        src = str(events)
    # str() per value: astype(str) keeps NaN as a float under pandas 3's str dtype
    labels = (
        np.array([str(v) for v in data[unit]], dtype=object)
        if unit is not None
        else np.array([str(i + 1) for i in range(len(data))], dtype=object)
    )
    ok = np.isfinite(y) & np.isfinite(nn)
    if not ok.all():
        bad = ", ".join(labels[~ok][:5])
        raise DataValidationError(f"Missing or non-numeric {src!r} or {n!r} for unit(s): {bad}.")
    if method == "binomial" and overdispersion == "none" and not np.all(nn == np.round(nn)):
        raise ParameterError(
            f"method='binomial' needs whole numbers in {n!r}; use method='normal' "
            "for weighted (effective) sample sizes."
        )
    if (nn <= 0).any():
        raise DataValidationError(
            f"{n!r} must be positive; unit(s) {', '.join(labels[nn <= 0][:5])} are not."
        )
    if ((y < 0) | (y > 1)).any():
        rng_txt = "0-100" if percent else "0-1 (use percent=True for percentages)"
        what = f"{events!r} exceeds {n!r}" if events is not None else f"{proportion!r} outside {rng_txt}"
        raise DataValidationError(f"{what} for unit(s): {', '.join(labels[(y < 0) | (y > 1)][:5])}.")
    k = y.size
    if k < 2:
        raise EstimationError("A funnel plot needs at least 2 units.")
    if target is None:
        t01 = float(np.sum(y * nn) / np.sum(nn))
    else:
        try:
            t01 = float(target) / scale
        except (TypeError, ValueError):
            raise ParameterError(f"target must be a number, got {target!r}.") from None
    if not 0 < t01 < 1:
        if target is None:
            raise EstimationError(
                f"The pooled proportion (the default target) is {t01 * scale:g}: every unit has "
                f"{'no' if t01 == 0 else 'only'} events, so there is no spread to judge. Give "
                "target= (e.g. the national value) to draw the funnel anyway."
            )
        raise EstimationError(f"The target must lie strictly between 0 and {scale:g}, got {t01 * scale:g}.")
    s2 = t01 * (1 - t01) / nn
    z0 = (y - t01) / np.sqrt(s2)
    phi = _winsorised_phi(z0, winsor)
    w = 1 / s2
    denom = np.sum(w) - np.sum(w * w) / np.sum(w)
    tau2 = max(0.0, (k * phi - (k - 1)) / denom)
    phi_used = max(phi, 1.0)
    if overdispersion == "multiplicative":
        se = np.sqrt(phi_used * s2)
    elif overdispersion == "additive":
        se = np.sqrt(s2 + tau2)
    else:
        se = np.sqrt(s2)
    z = (y - t01) / se
    p = 2 * stats.norm.sf(np.abs(z))
    lim = _limits(nn, t01, method, overdispersion, phi_used, tau2)
    flag = np.full(k, "within", dtype=object)
    flag[y > lim["upper_95"]] = "above_95"
    flag[y < lim["lower_95"]] = "below_95"
    flag[y > lim["upper_998"]] = "above_998"
    flag[y < lim["lower_998"]] = "below_998"
    units = pd.DataFrame(
        {
            "unit": labels,
            "proportion": y * scale,
            "n": nn,
            "events": y * nn,
            "std_error": se * scale,
            "z": z,
            "p_value": p,
            **{c: v * scale for c, v in lim.items()},
            "flag": flag,
        }
    )
    return FunnelResult(
        units=units,
        target=t01 * scale,
        _target01=t01,
        _scale=scale,
        percent=percent,
        method=method,
        overdispersion=overdispersion,
        phi=phi,
        tau2=tau2,
        winsor=winsor,
    )
