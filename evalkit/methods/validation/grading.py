"""Risk of bias per measurement property and COSMIN's modified GRADE, for one study.

The COSMIN Risk of Bias checklist (Mokkink et al. 2018) rates each measurement property
of a study on its standards as *very good*, *adequate*, *doubtful* or *inadequate*, and
the box takes the **worst** rating of its standards ("the worst score counts"). The
quality of the evidence is then graded with COSMIN's modified GRADE (Prinsen et al. 2018;
COSMIN user manual, Mokkink et al. 2018, section 4.3): start at **high** and downgrade for

- **risk of bias**: one study of *very good* quality 0, *adequate* -1 (serious),
  *doubtful* -2 (very serious), *inadequate* -3 (extremely serious);
- **inconsistency**: -1 when the (sub)scales of the property give conflicting ratings
  (some sufficient, some insufficient);
- **imprecision**: total sample size below 100: -1, below 50: -2;
- **indirectness**: -1 (serious) or -2 (very serious) when the study sample differs from
  the population of interest (stated by the user; evalkit cannot see it in the data).

The result is *high*, *moderate*, *low* or *very low*. Properties rated indeterminate
(``?``) are not graded (COSMIN grades only sufficient or insufficient results).

What evalkit can judge from the data and the analysis (the statistical standards: sample
size, whether the statistic is computed per unidimensional subscale, the ICC model) it
rates itself; the **design** standards (was the sample stable between test and retest,
was the interval appropriate, are the comparison instruments of known quality, do the
groups differ only in the grouping variable) come from ``design``: a mapping from the
standard's key to a rating with the committee's reason. A design standard nobody stated
is rated *doubtful* ("not clear", the checklist's rule for unreported design aspects).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from evalkit.core.errors import ParameterError
from evalkit.core.i18n import t

__all__ = [
    "DESIGN_STANDARDS",
    "EVIDENCE_LEVELS",
    "RISK_LEVELS",
    "Grade",
    "RiskOfBias",
    "grade_evidence",
    "risk_of_bias",
]

#: Ratings of a standard / box, best first.
RISK_LEVELS = ("very good", "adequate", "doubtful", "inadequate")
#: Levels of evidence, best first.
EVIDENCE_LEVELS = ("high", "moderate", "low", "very low")

RISK_NAMES = {
    "very good": {"nl": "zeer goed", "en": "very good"},
    "adequate": {"nl": "adequaat", "en": "adequate"},
    "doubtful": {"nl": "twijfelachtig", "en": "doubtful"},
    "inadequate": {"nl": "inadequaat", "en": "inadequate"},
}
EVIDENCE_NAMES = {
    "high": {"nl": "hoog", "en": "high"},
    "moderate": {"nl": "matig", "en": "moderate"},
    "low": {"nl": "laag", "en": "low"},
    "very low": {"nl": "zeer laag", "en": "very low"},
}

#: Design standards of the checklist the data cannot show, by property, with their text.
DESIGN_STANDARDS: dict[str, dict[str, dict[str, str]]] = {
    "measurement_invariance": {
        "groups_similar": {
            "en": "the groups were similar in relevant characteristics except the grouping variable",
            "nl": "de groepen leken op elkaar in relevante kenmerken behalve de groepsvariabele",
        },
    },
    "reliability": {
        "retest_stable": {
            "en": "respondents were stable on the construct between the two measurements",
            "nl": "de respondenten waren stabiel op het construct tussen de twee metingen",
        },
        "retest_interval": {
            "en": "the time interval was appropriate",
            "nl": "de tijd tussen de metingen was passend",
        },
        "retest_conditions": {
            "en": "the test conditions were similar at both measurements",
            "nl": "de afnameomstandigheden waren bij beide metingen gelijk",
        },
    },
    "hypotheses_testing": {
        "comparators_known": {
            "en": "it is clear what the comparison instruments measure and their measurement "
            "properties are sufficient",
            "nl": "duidelijk is wat de vergelijkingsinstrumenten meten en hun meeteigenschappen "
            "zijn voldoende",
        },
        "groups_described": {
            "en": "the known groups are described well enough",
            "nl": "de bekende groepen zijn voldoende beschreven",
        },
    },
    "criterion_validity": {
        "gold_standard_reasonable": {
            "en": "the criterion can reasonably be considered a gold standard",
            "nl": "het criterium kan redelijkerwijs als gouden standaard gelden",
        },
    },
}
# measurement error shares the retest design of reliability
DESIGN_STANDARDS["measurement_error"] = DESIGN_STANDARDS["reliability"]
DESIGN_STANDARDS["responsiveness"] = {
    "anchor_appropriate": {
        "en": "the anchor (global rating of change) is appropriate",
        "nl": "het anker (globale beoordeling van verandering) is passend",
    },
}


def _check_rating(value, what: str) -> str:
    if value not in RISK_LEVELS:
        raise ParameterError(f"{what} must be one of {list(RISK_LEVELS)}, got {value!r}.")
    return str(value)


def _design_entry(design: Mapping | None, key: str) -> tuple[str, str]:
    """(rating, reason) of one design standard; unstated: doubtful."""
    if design is None or key not in design:
        return "doubtful", ""
    v = design[key]
    if isinstance(v, str):
        return _check_rating(v, f"design[{key!r}]"), ""
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return _check_rating(v[0], f"design[{key!r}]"), str(v[1])
    if isinstance(v, Mapping) and "rating" in v:
        return _check_rating(v["rating"], f"design[{key!r}]['rating']"), str(v.get("reason", ""))
    raise ParameterError(
        f"design[{key!r}] must be a rating {list(RISK_LEVELS)} or (rating, reason), got {v!r}."
    )


def check_design(design: Mapping | None) -> dict:
    """Validate a ``design`` mapping (unknown keys and ratings raise ParameterError)."""
    if design is None:
        return {}
    if not isinstance(design, Mapping):
        raise ParameterError(f"design must be a dict {{standard: rating}}, got {type(design).__name__}.")
    known = {k for std in DESIGN_STANDARDS.values() for k in std}
    for k in design:
        if k not in known:
            raise ParameterError(f"design: unknown standard {k!r}; allowed: {sorted(known)}.")
        _design_entry(design, k)
    return dict(design)


@dataclass
class RiskOfBias:
    """The risk-of-bias box of one property: the worst of its standards."""

    property: str
    rating: str
    standards: list[dict] = field(default_factory=list)  # {"standard": {nl,en}, "rating", "reason"}

    def text(self, lang: str) -> str:
        worst = [s for s in self.standards if s["rating"] == self.rating]
        what = "; ".join(t(s["standard"], lang) for s in worst)
        return f"{t(RISK_NAMES[self.rating], lang)} ({what})" if what else t(RISK_NAMES[self.rating], lang)


def _sample_size_rating(n: float, n_items: int, *, per_group: bool = False) -> tuple[str, dict]:
    """COSMIN's sample-size standard of a factor analysis (boxes 3 and 5)."""
    if n >= 7 * n_items and n >= 100:
        r = "very good"
    elif (n >= 5 * n_items and n >= 100) or (n >= 6 * n_items):
        r = "adequate"
    elif n >= 5 * n_items:
        r = "doubtful"
    else:
        r = "inadequate"
    who = {"en": "per group", "nl": "per groep"} if per_group else {"en": "", "nl": ""}
    std = {
        "en": f"sample size {who['en']} ({int(n)}) against 7 x {n_items} items and 100".replace("  ", " "),
        "nl": f"steekproefgrootte {who['nl']} ({int(n)}) tegen 7 x {n_items} items en 100".replace("  ", " "),
    }
    return r, std


def _box(prop: str, standards: list[dict]) -> RiskOfBias:
    worst = max(standards, key=lambda s: RISK_LEVELS.index(s["rating"]))["rating"]
    return RiskOfBias(prop, worst, standards)


def _design_standards(prop: str, design: Mapping | None) -> list[dict]:
    out = []
    for key, text in DESIGN_STANDARDS.get(prop, {}).items():
        rating, reason = _design_entry(design, key)
        out.append(
            {
                "key": key,
                "standard": text,
                "rating": rating,
                "reason": reason,
                "stated": bool(design and key in design),
            }
        )
    return out


def risk_of_bias(
    prop: str,
    *,
    n: float | None = None,
    n_items: int | None = None,
    method: str | None = None,
    design: Mapping | None = None,
) -> RiskOfBias:
    """The risk-of-bias rating of one measurement property of this study.

    Parameters
    ----------
    prop : str
        ``structural_validity``, ``internal_consistency``, ``measurement_invariance``,
        ``reliability``, ``measurement_error``, ``hypotheses_testing``,
        ``criterion_validity`` or ``responsiveness``.
    n : number
        Sample size behind the property (for invariance: the smallest group analysed).
    n_items : int
        Items of the instrument (sample-size standards of factor analyses).
    method : str
        What was computed: structural validity ``"CFA"`` (very good) or ``"EFA"``
        (adequate); internal consistency ``"per_subscale"`` (very good) or ``"total"``
        of a multidimensional scale (inadequate); invariance ``"MGCFA"`` or ``"DIF"``;
        reliability ``"ICC2"`` (two-way random, absolute agreement: very good),
        ``"ICC3"`` (adequate), ``"pearson"`` (doubtful).
    design : mapping, optional
        The committee's ratings of the design standards (:data:`DESIGN_STANDARDS`).
    """
    S: list[dict] = []

    def std(en: str, nl: str, rating: str) -> None:
        S.append(
            {"key": "", "standard": {"en": en, "nl": nl}, "rating": rating, "reason": "", "stated": True}
        )

    if prop == "structural_validity":
        std(
            "factor analysis: " + (method or "CFA"),
            "factoranalyse: " + (method or "CFA"),
            "very good" if (method or "CFA") == "CFA" else "adequate",
        )
        if n is not None and n_items:
            r, s = _sample_size_rating(n, n_items)
            S.append({"key": "", "standard": s, "rating": r, "reason": "", "stated": True})
    elif prop == "internal_consistency":
        ok = (method or "per_subscale") == "per_subscale"
        std(
            "statistic computed per unidimensional (sub)scale"
            if ok
            else "statistic of a multidimensional total",
            "maat berekend per eendimensionale (sub)schaal" if ok else "maat van een meerdimensionaal totaal",
            "very good" if ok else "inadequate",
        )
    elif prop == "measurement_invariance":
        m = method or "MGCFA"
        std(
            f"approach: {'multiple-group CFA' if m == 'MGCFA' else 'DIF analysis'}",
            f"aanpak: {'multi-groep-CFA' if m == 'MGCFA' else 'DIF-analyse'}",
            "very good",
        )
        if n is not None and n_items:
            r, s = _sample_size_rating(n, n_items, per_group=True)
            S.append({"key": "", "standard": s, "rating": r, "reason": "", "stated": True})
        S.extend(_design_standards(prop, design))
    elif prop in ("reliability", "measurement_error"):
        m = method or "ICC2"
        if prop == "reliability":
            rating = {"ICC2": "very good", "ICC3": "adequate"}.get(m, "doubtful")
            std(
                f"statistic: {m} (model described)",
                f"maat: {m} (model beschreven)",
                rating,
            )
        else:
            std(
                "SEM and SDC from the two-way ANOVA (agreement)",
                "SEM en SDC uit de tweeweg-ANOVA (overeenstemming)",
                "very good",
            )
        S.extend(_design_standards(prop, design))
    elif prop == "hypotheses_testing":
        std(
            "statistical methods appropriate (correlations with CI; Welch t test and Cohen's d)",
            "statistische methoden passend (correlaties met BI; Welch-t-toets en Cohens d)",
            "very good",
        )
        S.extend(_design_standards(prop, design))
    elif prop == "criterion_validity":
        std("AUC with DeLong CI", "AUC met DeLong-BI", "very good")
        S.extend(_design_standards(prop, design))
    elif prop == "responsiveness":
        std(
            "AUC of the change score against the anchor",
            "AUC van de veranderscore tegen het anker",
            "very good",
        )
        S.extend(_design_standards(prop, design))
    else:
        raise ParameterError(f"prop={prop!r} has no risk-of-bias box in evalkit.")
    return _box(prop, S)


@dataclass
class Grade:
    """Modified GRADE of one property: the level and each downgrade with its reason."""

    property: str
    level: str | None  # None: not graded (indeterminate rating)
    risk_of_bias: int = 0
    inconsistency: int = 0
    imprecision: int = 0
    indirectness: int = 0
    reasons: list[dict] = field(default_factory=list)

    def text(self, lang: str) -> str:
        if self.level is None:
            return t({"en": "not graded", "nl": "niet gegradeerd"}, lang)
        return t(EVIDENCE_NAMES[self.level], lang)


_ROB_DOWN = {"very good": 0, "adequate": 1, "doubtful": 2, "inadequate": 3}


def grade_evidence(
    prop: str,
    *,
    rating: str,
    rob: RiskOfBias | None,
    n: float | None,
    subscale_ratings: list[str] | None = None,
    indirectness: int = 0,
) -> Grade:
    """COSMIN's modified GRADE for one property of one study (see the module docstring)."""
    if indirectness not in (0, 1, 2):
        raise ParameterError(f"indirectness must be 0, 1 or 2 levels, got {indirectness!r}.")
    if rating not in ("+", "-"):
        return Grade(prop, None)
    g = Grade(prop, None)
    if rob is not None:
        g.risk_of_bias = _ROB_DOWN[rob.rating]
        if g.risk_of_bias:
            g.reasons.append(
                {
                    "en": f"risk of bias: {RISK_NAMES[rob.rating]['en']} study (-{g.risk_of_bias})",
                    "nl": f"risico op bias: {RISK_NAMES[rob.rating]['nl']} onderzoek (-{g.risk_of_bias})",
                }
            )
    if subscale_ratings and {"+", "-"} <= set(subscale_ratings):
        g.inconsistency = 1
        g.reasons.append(
            {
                "en": "inconsistency: subscales differ (some sufficient, some insufficient) (-1)",
                "nl": "inconsistentie: subschalen verschillen (deels voldoende, deels onvoldoende) (-1)",
            }
        )
    if n is not None:
        g.imprecision = 2 if n < 50 else 1 if n < 100 else 0
        if g.imprecision:
            g.reasons.append(
                {
                    "en": f"imprecision: n = {int(n)} (< {50 if n < 50 else 100}) (-{g.imprecision})",
                    "nl": f"onnauwkeurigheid: n = {int(n)} (< {50 if n < 50 else 100}) (-{g.imprecision})",
                }
            )
    g.indirectness = int(indirectness)
    if g.indirectness:
        g.reasons.append(
            {
                "en": f"indirectness: the sample differs from the population of interest (-{g.indirectness})",
                "nl": f"indirectheid: de steekproef wijkt af van de doelpopulatie (-{g.indirectness})",
            }
        )
    down = g.risk_of_bias + g.inconsistency + g.imprecision + g.indirectness
    g.level = EVIDENCE_LEVELS[min(down, 3)]
    return g
