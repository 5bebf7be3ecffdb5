"""How many participants do we need? Power and sample size for the evaluations evalkit runs.

Each function takes all but one of ``n``, the effect and ``power`` and solves for the one
left out (``None``):

paired
    Paired t-test on pre/post scores (effect = d_z, the mean change divided by the SD of
    the changes), exact noncentral t as G*Power, R ``pwr::pwr.t.test(type="paired")``,
    pingouin's ``power_ttest(contrast="paired")`` and statsmodels' ``TTestPower``.
mcnemar
    McNemar test of a before/after share (e.g. the share lonely), effect = the odds ratio
    of the discordant pairs p10 / p01 with the share of discordant pairs given:
    ``method="exact"`` is G*Power's exact unconditional power (alpha/2 on each side),
    ``method="normal"`` Connor's (1987) normal approximation.
did_2x2
    2x2 difference-in-differences with an intervention and a comparison group measured
    before and after (same participants, pre/post correlation ``rho``), optionally in
    clusters (neighbourhoods, groups) with an intracluster correlation ``icc``.
simulate
    Monte Carlo power for a CFA (the model fits: CFI, RMSEA) or a measurement-invariance
    test (the chi-square difference test detects a given non-invariance) of the youth
    instrument, run with :func:`evalkit.validation.cfa` / :func:`~evalkit.validation.invariance`
    on simulated answers over a grid of sample sizes (seeded).

Every function returns a :class:`PowerResult` (``.tidy()``, ``.summary(lang="nl")``,
``.plot()``: the power curve against n).

References
----------
Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences* (2nd ed.).
Erlbaum.
Faul, F., Erdfelder, E., Lang, A.-G., & Buchner, A. (2007). G*Power 3: a flexible
statistical power analysis program. *Behavior Research Methods*, 39, 175-191.
Connor, R. J. (1987). Sample size for testing differences in proportions for the
paired-sample design. *Biometrics*, 43(1), 207-211.
Donner, A., & Klar, N. (2000). *Design and Analysis of Cluster Randomization Trials in
Health Research*. Arnold (design effect 1 + (m - 1) ICC).
Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample
size and determine power. *Structural Equation Modeling*, 9(4), 599-620.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evalkit.core import i18n
from evalkit.core.checks import check_lang, check_option
from evalkit.core.errors import EstimationError, EvalkitError, EvalkitWarning, ParameterError
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import localize_numbers

__all__ = ["paired", "mcnemar", "did_2x2", "simulate", "PowerResult"]

_EXTRA = ("solved", "method")
_MAX_N = 10_000_000


# ----------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------
class PowerResult(Result):
    """Result of every function in :mod:`evalkit.power`.

    Attributes
    ----------
    kind : str
        ``"paired"``, ``"mcnemar"``, ``"did_2x2"`` or ``"simulate"``.
    solved : str
        What was solved for: ``"n"``, ``"effect"`` or ``"power"``.
    n : int
        Sample size (when solved: the smallest whole number that reaches ``power``).
    n_exact : float
        The solution before rounding up (continuous methods; equal to ``n`` otherwise).
    effect, power, alpha : float
        The effect (d_z, odds ratio or standardised DiD), the power (when n was solved:
        the power reached at the whole number ``n``) and the significance level.
    """

    title = i18n.Message("methods.power.title")
    #: McNemar, exact method: the size of the test actually reached at ``n`` (the exact
    #: test is conservative; G*Power prints it as "actual alpha"). None otherwise.
    actual_alpha: float | None = None

    def __init__(
        self,
        *,
        kind: str,
        solved: str,
        n: int,
        n_exact: float,
        effect: float,
        power: float,
        alpha: float,
        target_power: float | None,
        method: str,
        effect_label: i18n.Text,
        unit_label: i18n.Text,
        curve: Callable[[np.ndarray], np.ndarray] | None,
        grid: pd.DataFrame | None = None,
        notes: Sequence[i18n.Text] = (),
        goal: i18n.Text | None = None,
        rows: list[dict] | None = None,
    ):
        self.kind, self.solved = kind, solved
        self.n, self.n_exact = n, n_exact
        self.effect, self.power, self.alpha = effect, power, alpha
        self.target_power = target_power
        self.method = method
        # the four rows n, effect, power, alpha follow from the fields; simulate() passes its grid
        self._rows = (
            rows
            if rows is not None
            else _rows(
                n=n_exact, n_int=n, effect=effect, power=power, alpha=alpha, solved=solved, method=method
            )
        )
        self._effect_label = effect_label
        self._unit_label = unit_label
        self._curve = curve
        self.grid = grid
        self._notes = list(notes)
        self._goal = goal

    def tidy(self) -> pd.DataFrame:
        """Rows ``n`` (``estimate`` = the sample size; when solved the exact solution, with
        ``n`` the whole number to recruit), ``effect``, ``power`` and ``alpha``; for
        :func:`simulate` one ``power`` row per sample size of the grid (``std_error``:
        Monte Carlo standard error, ``ci_lower/ci_upper``: Wilson interval). Extra
        columns ``solved`` (True on the row that was solved for) and ``method``."""
        return tidy_frame(self._rows, extra=_EXTRA)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        eff = i18n.fmt_number(self.effect, 2, lang)
        pw = i18n.fmt_pct(self.power, 0, lang)
        a = i18n.fmt_number(self.alpha, 2, lang)
        unit = self._unit_label(lang)
        what = self._effect_label(lang)
        if self._goal is not None:
            first = i18n.t(
                "methods.power.summary.simulated",
                lang,
                n=self.n,
                unit=unit,
                goal=self._goal(lang),
                power=pw,
                target=i18n.fmt_pct(self.target_power, 0, lang),
            )
            if self.grid is not None:
                first += "\n" + "; ".join(
                    f"n = {int(r['n'])}: {i18n.fmt_pct(r['power'], 0, lang)}" for _, r in self.grid.iterrows()
                )
        elif self.solved == "n":
            first = i18n.t(
                "methods.power.summary.n_needed",
                lang,
                n=i18n.fmt_number(self.n, 0, lang),
                unit=unit,
                effect_name=what,
                effect=eff,
                power=i18n.fmt_pct(self.target_power or self.power, 0, lang),
                alpha=a,
            )
            if self.target_power is not None and abs(self.power - self.target_power) > 5e-4:
                first += " " + i18n.t(
                    "methods.power.summary.actual_power",
                    lang,
                    n=self.n,
                    power=i18n.fmt_pct(self.power, 1, lang),
                )
        elif self.solved == "effect":
            first = i18n.t(
                "methods.power.summary.effect_detectable",
                lang,
                n=self.n,
                unit=unit,
                power=pw,
                effect_name=what,
                effect=eff,
                alpha=a,
            )
        else:
            first = i18n.t(
                "methods.power.summary.power_at_n",
                lang,
                n=self.n,
                unit=unit,
                effect_name=what,
                effect=eff,
                power=pw,
                alpha=a,
            )
        lines = [
            first,
            i18n.t("methods.power.summary.method", lang, method=localize_numbers(self.method, lang)),
        ]
        lines += [note(lang) for note in self._notes]
        return f"{self.title[lang]}\n\n" + "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None, n_max: int | None = None):
        """Power against the sample size, with the chosen n and the target power marked."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax)
        if self.grid is not None:
            g = self.grid
            ax.errorbar(
                g["n"],
                g["power"],
                yerr=[g["power"] - g["ci_lower"], g["ci_upper"] - g["power"]],
                fmt="o-",
                color=plotting.COLORS["post"],
                capsize=4,
            )
        elif self._curve is not None:
            top = n_max or max(10, int(2.2 * self.n))
            lo = 4 if self.kind == "did_2x2" else 2
            ns = np.unique(np.linspace(lo, top, 200).round().astype(int))
            ax.plot(ns, self._curve(ns), color=plotting.COLORS["post"], linewidth=2)
        if self.target_power is not None:
            ax.axhline(self.target_power, color=plotting.COLORS["national"], linestyle="--", linewidth=1.2)
        ax.axvline(self.n, color=plotting.COLORS["highlight"], linestyle=":", linewidth=1.5)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(i18n.t("methods.power.plot.x_label", lang, unit=self._unit_label(lang)))
        ax.set_ylabel("Power")
        ax.set_title(
            i18n.t(
                "methods.power.plot.title",
                lang,
                effect_name=self._effect_label(lang),
                effect=i18n.fmt_number(self.effect, 2, lang),
            )
        )
        return plotting.localize_axes(ax, lang)


# ----------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------
def _prob(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ParameterError(f"{name} must be a number strictly between 0 and 1, got {value!r}.")
    v = float(value)
    if not 0.0 < v < 1.0:
        raise ParameterError(f"{name} must lie strictly between 0 and 1, got {value!r}.")
    return v


def _positive(value, name: str, *, minimum: float = 0.0) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ParameterError(f"{name} must be a number > {minimum:g}, got {value!r}.")
    v = float(value)
    if not (math.isfinite(v) and v > minimum):
        raise ParameterError(f"{name} must be a finite number > {minimum:g}, got {value!r}.")
    return v


def _one_missing(**given) -> str:
    missing = [k for k, v in given.items() if v is None]
    if len(missing) != 1:
        names = ", ".join(given)
        raise ParameterError(
            f"give all but one of {names} (the one left out, None, is solved for); "
            f"left out now: {', '.join(missing) if missing else 'none'}."
        )
    return missing[0]


def _alternative(alternative: str) -> int:
    check_option("alternative", alternative, ("two-sided", "one-sided"))
    return 2 if alternative == "two-sided" else 1


def _check_alpha_power(alpha: float, power: float | None) -> None:
    if power is not None and power <= alpha:
        raise ParameterError(f"power={power!r} must be larger than alpha={alpha!r}.")


def _solve_increasing(f: Callable[[float], float], target: float, lo: float, hi: float, what: str) -> float:
    """Root of f(x) = target for f increasing on [lo, hi]; the upper end of the bracket
    grows from ``lo`` by doubling, so f is never evaluated far beyond the solution."""
    if f(lo) - target > 0:
        return lo
    b = max(2 * lo, lo + 1.0)
    while f(b) - target < 0:
        if b >= hi:
            raise EstimationError(f"the target power {target:g} is not reached for any {what} up to {hi:g}.")
        lo, b = b, min(2 * b, hi)
    return float(optimize.brentq(lambda x: f(x) - target, lo, b, xtol=1e-10, rtol=1e-12, maxiter=500))


# ----------------------------------------------------------------------------------------
# t-test power (paired, did_2x2)
# ----------------------------------------------------------------------------------------
def _solve_t_design(
    pw: Callable[[float, float], float],
    *,
    solved: str,
    effect: float | None,
    n: float | None,
    power: float | None,
    n_given: object,
    n_low: float,
    whole_n: Callable[[float], int],
    n_word: str,
    check_n: Callable[[int], None] | None = None,
) -> tuple[float, int, float, float]:
    """Solve a t-test design (paired, did_2x2) for the one of n, effect, power left out.

    ``pw(effect, n)`` is the power, increasing in both. ``n_low`` is the smallest n the
    design allows, ``whole_n`` turns the exact solution into the n to report, ``n_word``
    names what n counts in the message for a fractional ``n_given`` and ``check_n`` checks
    a given n further. Returns ``(n_exact, n_int, effect, power)``.
    """
    if solved == "n":
        assert effect is not None and power is not None
        n_exact = _solve_increasing(lambda m: pw(effect, m), power, n_low, float(_MAX_N), "n")
        n_int = whole_n(n_exact)
        return n_exact, n_int, effect, pw(effect, n_int)
    assert n is not None
    n_int = int(round(n))
    if abs(n - n_int) > 1e-9:
        raise ParameterError(f"n must be a whole number of {n_word}, got {n_given!r}.")
    if check_n is not None:
        check_n(n_int)
    if solved == "effect":
        assert power is not None
        return (
            float(n_int),
            n_int,
            _solve_increasing(lambda d: pw(d, n_int), power, 1e-8, 50.0, "effect"),
            power,
        )
    assert effect is not None
    return float(n_int), n_int, effect, pw(effect, n_int)


def _t_power(ncp: float, df: float, alpha: float, sides: int) -> float:
    """Power of a t-test with noncentrality ``ncp`` (as pwr::pwr.t.test / G*Power)."""
    if not (df > 0):
        return math.nan
    if sides == 2:
        q = stats.t.ppf(1 - alpha / 2, df)
        val = float(stats.nct.sf(q, df, ncp) + stats.nct.cdf(-q, df, ncp))
    else:
        q = stats.t.ppf(1 - alpha, df)
        val = float(stats.nct.sf(q, df, ncp))
    if not math.isfinite(val):  # scipy's nct fails far in the tail: power is then ~1
        val = float(stats.norm.sf(q - ncp) + (stats.norm.cdf(-q - ncp) if sides == 2 else 0))
    return val


def _rows(
    *, n: float, n_int: int, effect: float, power: float, alpha: float, solved: str, method: str
) -> list[dict]:
    return [
        dict(term="n", estimate=float(n), n=n_int, solved=solved == "n", method=method),
        dict(term="effect", estimate=float(effect), n=n_int, solved=solved == "effect", method=method),
        dict(term="power", estimate=float(power), n=n_int, solved=solved == "power", method=method),
        dict(term="alpha", estimate=float(alpha), n=n_int, solved=False, method=method),
    ]


def paired(
    *,
    effect: float | None = None,
    n: int | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> PowerResult:
    r"""Power or sample size of the paired t-test (pre/post on the same participants).

    Give all but one of ``effect``, ``n`` and ``power``; the one left out is solved for.

    Parameters
    ----------
    effect : float
        d_z = mean change / SD of the changes (``prepost.paired``'s ``d_z``; the size,
        its sign is ignored). From a d between two waves with pre/post correlation r:
        d_z = d / sqrt(2 (1 - r)).
    n : int
        Number of pairs (participants with both a pre- and a post-test), at least 2.
    power : float
        Probability of a significant result when the effect is real.
    alpha : float
        Significance level.
    alternative : {"two-sided", "one-sided"}

    Returns
    -------
    PowerResult
        When ``n`` is solved: ``n`` is the smallest whole number of pairs reaching
        ``power``, ``n_exact`` the continuous solution (as ``pwr::pwr.t.test`` prints it)
        and ``power`` the power at ``n``.

    Notes
    -----
    Power = P(|T| > t_{1-alpha/2, n-1}) for T noncentral t with n - 1 df and noncentrality
    d_z sqrt(n) (Cohen 1988; G*Power "means: difference between two dependent means").

    Examples
    --------
    >>> from evalkit.methods.power import paired
    >>> round(paired(effect=0.421637, n=50).power, 6)   # G*Power manual example
    0.832114
    """
    alpha_ = _prob(alpha, "alpha")
    assert alpha_ is not None
    power_ = _prob(power, "power")
    eff = _positive(
        abs(effect) if isinstance(effect, (int, float)) and not isinstance(effect, bool) else effect, "effect"
    )
    n_ = _positive(n, "n", minimum=1.0)
    sides = _alternative(alternative)
    solved = _one_missing(effect=eff, n=n_, power=power_)
    _check_alpha_power(alpha_, power_)

    def pw(d: float, m: float) -> float:
        return _t_power(d * math.sqrt(m), m - 1, alpha_, sides)

    n_exact, n_int, eff_v, power_v = _solve_t_design(
        pw,
        solved=solved,
        effect=eff,
        n=n_,
        power=power_,
        n_given=n,
        n_low=2.0,
        whole_n=lambda x: max(2, math.ceil(x - 1e-9)),
        n_word="pairs",
    )
    method = f"paired t-test, noncentral t (G*Power, pwr::pwr.t.test type='paired'), {alternative}"
    return PowerResult(
        kind="paired",
        solved=solved,
        n=n_int,
        n_exact=n_exact,
        effect=eff_v,
        power=power_v,
        alpha=alpha_,
        target_power=power_,
        method=method,
        effect_label=lambda lang: "d_z",
        unit_label=i18n.Message("methods.power.unit.participants_pre_post"),
        curve=lambda ns: np.array([pw(eff_v, float(m)) for m in ns]),
    )


# ----------------------------------------------------------------------------------------
# McNemar
# ----------------------------------------------------------------------------------------
def _mcnemar_exact_power(N: int, p_disc: float, p_one: float, alpha: float, sides: int) -> float:
    """G*Power's exact unconditional power of McNemar's test.

    The number of discordant pairs M ~ Binomial(N, p_disc); given M = m the count of one
    kind of discordant pair is Binomial(m, p_one) with p_one = p10 / p_disc, tested
    against 1/2 with an exact binomial test (alpha / 2 on each side when two-sided,
    G*Power's default "assign alpha/2 to both sides"). Power = sum_m P(M = m) P(reject | m).
    """
    if N < 1:
        return 0.0
    m = np.arange(1, N + 1)
    a = alpha / sides
    # largest c with P0(X <= c) <= a  (X ~ Bin(m, 1/2)); -1 when there is none
    c = stats.binom.ppf(a, m, 0.5).astype(int)
    c = np.where(stats.binom.cdf(c, m, 0.5) <= a + 1e-15, c, c - 1)
    p_low = np.where(c >= 0, stats.binom.cdf(c, m, 1 - p_one), 0.0)  # the other side
    p_high = np.where(c >= 0, stats.binom.cdf(c, m, p_one), 0.0)
    if sides == 2:
        reject = p_low + p_high
    else:
        # one-sided in the direction of the effect: the rarer kind is at most c
        reject = stats.binom.cdf(c, m, min(p_one, 1 - p_one)) * (c >= 0)
    wm = stats.binom.pmf(m, N, p_disc)
    return float(np.sum(wm * reject))


def _mcnemar_normal_power(N: float, p_disc: float, odds_ratio: float, alpha: float, sides: int) -> float:
    """Connor (1987): power of McNemar's z-test."""
    delta = p_disc * (odds_ratio - 1) / (odds_ratio + 1)
    z = stats.norm.ppf(1 - alpha / sides)
    sd1 = math.sqrt(p_disc - delta * delta)
    up = stats.norm.cdf((abs(delta) * math.sqrt(N) - z * math.sqrt(p_disc)) / sd1)
    if sides == 2:
        up += stats.norm.cdf((-abs(delta) * math.sqrt(N) - z * math.sqrt(p_disc)) / sd1)
    return float(up)


def mcnemar(
    *,
    odds_ratio: float | None = None,
    discordant: float,
    n: int | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    method: str = "exact",
) -> PowerResult:
    r"""Power or sample size of McNemar's test of a before/after share.

    Parameters
    ----------
    odds_ratio : float
        p10 / p01: how many more participants move one way (e.g. lonely -> not lonely)
        than the other way (not lonely -> lonely). 1 is no effect; 0.5 and 2 are the same
        effect in opposite directions.
    discordant : float
        Share of participants who change category at all (p10 + p01), strictly between 0
        and 1.
    n : int
        Number of pairs.
    power, alpha, alternative
        As in :func:`paired`.
    method : {"exact", "normal"}
        ``"exact"``: exact unconditional power as G*Power ("proportions: inequality, two
        dependent groups (McNemar)", alpha/2 assigned to each side); the smallest ``n``
        reaching the power is searched over whole numbers (power is not monotone in n
        for an exact test). ``"normal"``: Connor's (1987) normal approximation.

    Examples
    --------
    >>> from evalkit.methods.power import mcnemar
    >>> res = mcnemar(odds_ratio=0.25, discordant=0.4, n=50, alternative="one-sided")
    >>> round(res.power, 4)   # G*Power manual: 0.839343
    0.8394
    """
    alpha_ = _prob(alpha, "alpha")
    assert alpha_ is not None
    power_ = _prob(power, "power")
    p_disc = _prob(discordant, "discordant")
    if p_disc is None:
        raise ParameterError(
            "discordant (the share of pairs that change, p10 + p01) is required, e.g. discordant=0.3."
        )
    orr = _positive(odds_ratio, "odds_ratio")
    if orr is not None and abs(orr - 1) < 1e-12:
        raise ParameterError("odds_ratio=1 means no effect; give the odds ratio to detect (e.g. 2 or 0.5).")
    n_ = _positive(n, "n", minimum=0.0)
    sides = _alternative(alternative)
    check_option("method", method, ("exact", "normal"))
    solved = _one_missing(odds_ratio=orr, n=n_, power=power_)
    if solved == "odds_ratio":
        solved = "effect"
    _check_alpha_power(alpha_, power_)

    def pw(o: float, m: float) -> float:
        o = max(o, 1 / o)
        if method == "normal":
            return _mcnemar_normal_power(m, p_disc, o, alpha_, sides)
        return _mcnemar_exact_power(int(m), p_disc, o / (1 + o), alpha_, sides)

    if solved == "n":
        assert orr is not None and power_ is not None
        o = max(orr, 1 / orr)
        delta = p_disc * (o - 1) / (o + 1)
        z_a, z_b = stats.norm.ppf(1 - alpha_ / sides), stats.norm.ppf(power_)
        n_norm = ((z_a * math.sqrt(p_disc) + z_b * math.sqrt(p_disc - delta**2)) / delta) ** 2
        if method == "normal":
            n_exact = n_norm
            n_int = math.ceil(n_norm - 1e-9)
        else:
            start = max(1, int(0.5 * n_norm))
            n_int = -1
            for m in range(start, max(10 * int(n_norm) + 100, 200)):
                if pw(o, m) >= power_:
                    n_int = m
                    break
            if n_int < 0:
                raise EstimationError(
                    f"no n found that reaches the power (search up to {10 * int(n_norm) + 100})."
                )
            if n_int == start and start > 1:  # the search started too high: walk down
                while n_int > 1 and pw(o, n_int - 1) >= power_:
                    n_int -= 1
            n_exact = float(n_int)
        eff_v, power_v = orr, pw(orr, n_int)
    else:
        assert n_ is not None
        n_int = int(round(n_))
        if abs(n_ - n_int) > 1e-9 or n_int < 1:
            raise ParameterError(f"n must be a whole number of pairs >= 1, got {n!r}.")
        n_exact = float(n_int)
        if solved == "effect":
            assert power_ is not None
            o = _solve_increasing(lambda x: pw(x, n_int), power_, 1.0 + 1e-9, 1e4, "odds ratio")
            eff_v, power_v = o, pw(o, n_int)
        else:
            assert orr is not None
            eff_v, power_v = orr, pw(orr, n_int)
    label = (
        "exact unconditional (G*Power), alpha/2 per side"
        if method == "exact"
        else "normal approximation (Connor 1987)"
    )
    m_txt = f"McNemar, {label}, discordant = {p_disc:g}, {alternative}"
    res = PowerResult(
        kind="mcnemar",
        solved=solved,
        n=n_int,
        n_exact=n_exact,
        effect=eff_v,
        power=power_v,
        alpha=alpha_,
        target_power=power_,
        method=m_txt,
        effect_label=lambda lang: "odds ratio",
        unit_label=i18n.Message("methods.power.unit.participants_pre_post"),
        curve=lambda ns: np.array([pw(eff_v, float(max(m, 1))) for m in ns]),
        notes=[
            i18n.Message(
                "methods.power.note.share_changing_category", share=lambda lang: i18n.fmt_pct(p_disc, 0, lang)
            )
        ],
    )
    if method == "exact":
        res.actual_alpha = _mcnemar_exact_power(n_int, p_disc, 0.5, alpha_, sides)
    return res


# ----------------------------------------------------------------------------------------
# 2x2 difference-in-differences
# ----------------------------------------------------------------------------------------
def did_2x2(
    *,
    effect: float | None = None,
    n: int | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    rho: float = 0.5,
    clusters: int | None = None,
    icc: float = 0.0,
    alternative: str = "two-sided",
) -> PowerResult:
    r"""Power or sample size of a 2x2 difference-in-differences (intervention vs comparison,
    before vs after, the same participants measured twice).

    Parameters
    ----------
    effect : float
        The DiD effect in SDs of the outcome (delta / sigma, sigma the SD at one wave).
    n : int
        Participants in total, half in the intervention and half in the comparison group,
        each measured before and after.
    power, alpha, alternative
        As in :func:`paired`.
    rho : float
        Correlation between a participant's pre- and post-test (0 <= rho < 1). rho = 0 also
        gives the power of two independent samples per wave (repeated cross-sections)
        with n/2 people per group and wave.
    clusters : int, optional
        Number of clusters in total (neighbourhoods, groups; half per arm), participants
        spread evenly: the variance is multiplied by the design effect
        1 + (n / clusters - 1) icc and the df are clusters - 2 (the test on cluster means).
    icc : float
        Intracluster correlation of the participants' changes (0 <= icc < 1).

    Notes
    -----
    Var(DiD) = DE 8 sigma^2 (1 - rho) / n; power from the noncentral t with noncentrality
    effect / sqrt(8 (1 - rho) DE / n) and n - 2 df (clusters - 2 with clusters). Without
    clusters this is the two-sample t-test on the changes with d = effect / sqrt(2 (1 -
    rho)) and n/2 per group (``pwr::pwr.t.test(type="two.sample")``). With clusters it is
    checked by simulation (tests/test_power.py).
    """
    alpha_ = _prob(alpha, "alpha")
    assert alpha_ is not None
    power_ = _prob(power, "power")
    eff = _positive(
        abs(effect) if isinstance(effect, (int, float)) and not isinstance(effect, bool) else effect, "effect"
    )
    n_ = _positive(n, "n", minimum=3.0)
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 <= rho < 1:
        raise ParameterError(f"rho must be a number with 0 <= rho < 1, got {rho!r}.")
    if isinstance(icc, bool) or not isinstance(icc, (int, float)) or not 0 <= icc < 1:
        raise ParameterError(f"icc must be a number with 0 <= icc < 1, got {icc!r}.")
    k: int | None = None
    if clusters is not None:
        if isinstance(clusters, bool) or not isinstance(clusters, (int, np.integer)) or clusters < 4:
            raise ParameterError(
                f"clusters must be a whole number >= 4 (at least 2 per group), got {clusters!r}."
            )
        k = int(clusters)
    elif icc:
        raise ParameterError("icc needs clusters= (the number of clusters).")
    sides = _alternative(alternative)
    solved = _one_missing(effect=eff, n=n_, power=power_)
    _check_alpha_power(alpha_, power_)

    def pw(d: float, m: float) -> float:
        de = 1.0 if k is None else 1 + (m / k - 1) * icc
        df = m - 2 if k is None else k - 2
        ncp = d / math.sqrt(8 * (1 - rho) * de / m)
        return _t_power(ncp, df, alpha_, sides)

    lo = 4.0 if k is None else float(k)
    if solved == "n" and k is not None and icc > 0:
        assert eff is not None and power_ is not None
        limit = _t_power(eff / math.sqrt(8 * (1 - rho) * icc / k), k - 2, alpha_, sides)
        if limit <= power_:
            raise EstimationError(
                f"with {k} clusters and icc = {icc:g} the power cannot exceed {limit:.3f}, "
                "however many participants per cluster: add clusters."
            )

    def even_n(x: float) -> int:
        n_up = math.ceil(x - 1e-9)
        return n_up + n_up % 2  # an even number: half per group

    def at_least_clusters(n_int: int) -> None:
        if k is not None and n_int < k:
            raise ParameterError(f"n={n_int} is smaller than clusters={k}.")

    n_exact, n_int, eff_v, power_v = _solve_t_design(
        pw,
        solved=solved,
        effect=eff,
        n=n_,
        power=power_,
        n_given=n,
        n_low=lo,
        whole_n=even_n,
        n_word="participants",
        check_n=at_least_clusters,
    )
    cl = "" if k is None else f", {k} clusters, icc = {icc:g} (design effect)"
    m_txt = f"2x2 difference-in-differences, t-test, rho = {rho:g}{cl}, {alternative}"
    notes: list[i18n.Text] = [i18n.Message("methods.power.note.did_n_is_total")]
    return PowerResult(
        kind="did_2x2",
        solved=solved,
        n=n_int,
        n_exact=n_exact,
        effect=eff_v,
        power=power_v,
        alpha=alpha_,
        target_power=power_,
        method=m_txt,
        effect_label=i18n.Message("methods.power.effect.standardised_did"),
        unit_label=i18n.Message("methods.power.unit.participants"),
        curve=lambda ns: np.array([pw(eff_v, float(max(m, lo))) for m in ns]),
        notes=notes,
    )


# ----------------------------------------------------------------------------------------
# Monte Carlo: CFA and invariance of the youth instrument
# ----------------------------------------------------------------------------------------
#: Two-factor model of the draft youth instrument (reverse-worded y02, y05, y09 keyed).
YOUTH_MODEL = "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
_YOUTH_REVERSE = ("y02", "y05", "y09")


def _youth_sample(n: int, seed: int) -> pd.DataFrame:
    from evalkit.data.datasets import generate_youth

    d = generate_youth(n, seed, n_retest=0)
    for c in _YOUTH_REVERSE:
        d[c] = 4 - d[c]
    return d


def simulate(
    *,
    target: str = "fit",
    n: Sequence[int] = (100, 200, 300, 500),
    power: float = 0.8,
    n_rep: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    cfi_min: float = 0.95,
    rmsea_max: float = 0.06,
    level: str = "scalar",
) -> PowerResult:
    r"""Monte Carlo sample size for validating the youth instrument (Muthén & Muthén 2002).

    For every sample size in ``n``, ``n_rep`` data sets are drawn from the generating model
    of the draft youth instrument (:func:`evalkit.datasets.generate_youth`: two correlated
    factors, 12 five-point items from a graded response model, y02/y05/y09 reverse-worded
    and reverse-keyed here, uniform DIF on y07 for girls), each is analysed the way the
    committee does, and the share of successes is the power.

    Parameters
    ----------
    target : {"fit", "invariance"}
        ``"fit"``: success = the two-factor ML CFA (:data:`YOUTH_MODEL`) converges and meets
        CFI >= ``cfi_min`` and RMSEA <= ``rmsea_max`` (COSMIN's structural-validity
        criteria). ``"invariance"``: success = :func:`evalkit.validation.invariance` by
        gender (boys and girls) rejects invariance at ``level`` (likelihood-ratio test of
        the level against the previous one, p < ``alpha``). At ``level="scalar"`` this is
        the power to detect the built-in DIF on y07 (thresholds shifted by -0.6 logits);
        at ``level="metric"`` no loading differs, so the rejection rate estimates the
        false-alarm rate (should be near ``alpha``).
    n : sequence of int
        Sample sizes to try (respondents in total; about 48.5% boys, 48.5% girls).
    power : float
        Target power; the result's ``n`` is the smallest sample size in the grid that
        reaches it (the largest in the grid, with a note, when none does).
    n_rep : int
        Replications per sample size (Monte Carlo standard error sqrt(p (1 - p) / n_rep)).
    seed : int
        Seed; replication ``i`` at the ``j``-th sample size uses a seed derived from it by
        :class:`numpy.random.SeedSequence`, so a rerun gives identical results.

    Returns
    -------
    PowerResult
        ``grid``: ``n, power, std_error, ci_lower, ci_upper, n_rep, n_failed`` (Wilson
        interval; ``n_failed`` = fits that raised or did not converge, counted as no
        success). ``tidy()`` has one ``power`` row per sample size and an ``n`` row.
    """
    from evalkit.core.stats import wilson_interval

    # the functions, named by their modules: the package attribute "cfa" can be the
    # submodule once something imported evalkit.validation.sem.cfa
    from evalkit.methods.validation.sem.cfa import cfa
    from evalkit.methods.validation.sem.invariance import invariance

    check_option("target", target, ("fit", "invariance"))
    check_option("level", level, ("metric", "scalar"))
    power_ = _prob(power, "power")
    alpha_ = _prob(alpha, "alpha")
    assert power_ is not None and alpha_ is not None
    cfi_ = _prob(cfi_min, "cfi_min")
    rmsea_ = _prob(rmsea_max, "rmsea_max")
    assert cfi_ is not None and rmsea_ is not None  # _prob returns None only for None
    if isinstance(n_rep, bool) or not isinstance(n_rep, (int, np.integer)) or n_rep < 2:
        raise ParameterError(f"n_rep must be a whole number >= 2, got {n_rep!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a whole number >= 0, got {seed!r}.")
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        n = [int(n)]
    grid_n = list(n) if isinstance(n, Sequence) and not isinstance(n, str) else None
    if not grid_n or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 30 for v in grid_n
    ):
        raise ParameterError(f"n must be a whole number >= 30 or a list of them, got {n!r}.")
    grid_n = sorted({int(v) for v in grid_n})
    seeds = np.random.SeedSequence(int(seed)).generate_state(len(grid_n) * int(n_rep), dtype=np.uint32)
    rows_grid = []
    for j, m in enumerate(grid_n):
        hits = failed = 0
        for i in range(int(n_rep)):
            data = _youth_sample(m, int(seeds[j * int(n_rep) + i]))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", EvalkitWarning)  # per-fit notes; failures counted
                    if target == "fit":
                        res = cfa(data, YOUTH_MODEL)
                        if not getattr(res, "converged", True):
                            failed += 1
                            continue
                        fi = res.fit_indices
                        ok = fi["cfi"] >= cfi_ and fi["rmsea"] <= rmsea_
                    else:
                        two = data[data["gender"].isin(["jongen", "meisje"])]
                        iv = invariance(two, YOUTH_MODEL, group="gender", alpha=alpha_)
                        p = float(iv.table.loc[level, "p_value"])
                        ok = bool(np.isfinite(p) and p < alpha_)
            except (EvalkitError, np.linalg.LinAlgError, ValueError):
                failed += 1
                continue
            hits += int(ok)
        p_hat = hits / int(n_rep)
        lo, hi = wilson_interval(hits, int(n_rep), 0.95)
        rows_grid.append(
            dict(
                n=m,
                power=p_hat,
                std_error=math.sqrt(p_hat * (1 - p_hat) / n_rep),
                ci_lower=lo,
                ci_upper=hi,
                n_rep=int(n_rep),
                n_failed=failed,
            )
        )
    grid = pd.DataFrame(rows_grid)
    reached = grid.loc[grid["power"] >= power_, "n"]
    notes: list[i18n.Text] = []
    if len(reached):
        n_req = int(reached.iloc[0])
    else:
        n_req = int(grid["n"].iloc[-1])
        notes.append(i18n.Message("methods.power.note.target_not_reached"))
    p_req = float(grid.loc[grid["n"] == n_req, "power"].iloc[0])
    if target == "fit":
        what = f"two-factor ML CFA fits (CFI >= {cfi_:g}, RMSEA <= {rmsea_:g})"
        effect: float = cfi_
    else:
        what = f"invariance by gender rejected at the {level} level (LRT, alpha = {alpha_:g})"
        effect = 0.6

    goal = (
        i18n.Message(
            "methods.power.goal.model_fits",
            cfi=lambda lang: i18n.fmt_number(cfi_, 2, lang),
            rmsea=lambda lang: i18n.fmt_number(rmsea_, 2, lang),
        )
        if target == "fit"
        else i18n.Message(
            "methods.power.goal.invariance_rejected",
            level=i18n.Message(
                "methods.power.level.metric" if level == "metric" else "methods.power.level.scalar"
            ),
        )
    )

    method = (
        f"Monte Carlo ({n_rep} replications per n, seed {seed}): {what}; data from "
        "evalkit.datasets.generate_youth"
    )
    rows = [
        dict(
            term="power",
            estimate=r["power"],
            std_error=r["std_error"],
            ci_lower=r["ci_lower"],
            ci_upper=r["ci_upper"],
            n=int(r["n"]),
            solved=False,
            method=method,
        )
        for r in rows_grid
    ]
    rows.append(dict(term="n", estimate=float(n_req), n=n_req, solved=True, method=method))
    max_se = float(grid["std_error"].max())
    notes.append(
        i18n.Message(
            "methods.power.note.monte_carlo_se", max_se=lambda lang: i18n.fmt_number(max_se, 3, lang)
        )
    )
    return PowerResult(
        kind="simulate",
        solved="n",
        n=n_req,
        n_exact=float(n_req),
        effect=effect,
        power=p_req,
        alpha=alpha_,
        target_power=power_,
        method=method,
        rows=rows,
        effect_label=i18n.Message(
            "methods.power.effect.cfi_bound" if target == "fit" else "methods.power.effect.dif_shift"
        ),
        unit_label=i18n.Message("methods.power.unit.respondents"),
        curve=None,
        grid=grid,
        notes=notes,
        goal=goal,
    )
