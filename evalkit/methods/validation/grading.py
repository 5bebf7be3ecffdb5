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

#: Design standards of the checklist the data cannot show, by property (message keys
#: ``validation.design.<standard>``).
DESIGN_STANDARDS: dict[str, tuple[str, ...]] = {
    "measurement_invariance": ("groups_similar",),
    "reliability": ("retest_stable", "retest_interval", "retest_conditions"),
    "measurement_error": ("retest_stable", "retest_interval", "retest_conditions"),
    "hypotheses_testing": ("comparators_known", "groups_described"),
    "criterion_validity": ("gold_standard_reasonable",),
    "responsiveness": ("anchor_appropriate",),
}


def risk_name(rating: str, lang: str) -> str:
    """A risk-of-bias rating in words."""
    return t(f"validation.risk.{rating.replace(' ', '_')}", lang)


def evidence_name(level: str, lang: str) -> str:
    """A level of evidence in words."""
    return t(f"validation.evidence.{level.replace(' ', '_')}", lang)


def standard_text(std: dict, lang: str) -> str:
    """The text of one standard (``{"msg": key, "values": {...}}``)."""
    return t(f"validation.standard.{std['msg']}", lang, **std.get("values", {}))


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
    known = {k for keys in DESIGN_STANDARDS.values() for k in keys}
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
        return risk_name(self.rating, lang)


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
    std = {"msg": "sample_size_group" if per_group else "sample_size", "values": {"items": n_items}}
    return r, std


def _box(prop: str, standards: list[dict]) -> RiskOfBias:
    worst = max(standards, key=lambda s: RISK_LEVELS.index(s["rating"]))["rating"]
    return RiskOfBias(prop, worst, standards)


def _design_standards(prop: str, design: Mapping | None) -> list[dict]:
    out = []
    for key in DESIGN_STANDARDS.get(prop, ()):
        rating, reason = _design_entry(design, key)
        out.append(
            {
                "key": key,
                "msg": f"design_{key}",
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

    def std(msg: str, rating: str, **values) -> None:
        S.append({"key": "", "msg": msg, "values": values, "rating": rating, "reason": "", "stated": True})

    if prop == "structural_validity":
        m = method or "CFA"
        std("factor_analysis", "very good" if m == "CFA" else "adequate", method=m)
        if n is not None and n_items:
            r, s = _sample_size_rating(n, n_items)
            std(s["msg"], r, **s["values"])
    elif prop == "internal_consistency":
        ok = (method or "per_subscale") == "per_subscale"
        std("per_subscale" if ok else "multidimensional_total", "very good" if ok else "inadequate")
    elif prop == "measurement_invariance":
        m = method or "MGCFA"
        std("mgcfa" if m == "MGCFA" else "dif_analysis", "very good")
        if n is not None and n_items:
            r, s = _sample_size_rating(n, n_items, per_group=True)
            std(s["msg"], r, **s["values"])
        S.extend(_design_standards(prop, design))
    elif prop in ("reliability", "measurement_error"):
        m = method or "ICC2"
        if prop == "reliability":
            std("icc_model", {"ICC2": "very good", "ICC3": "adequate"}.get(m, "doubtful"), model=m)
        else:
            std("sem_sdc", "very good")
        S.extend(_design_standards(prop, design))
    elif prop == "hypotheses_testing":
        std("hypotheses_methods", "very good")
        S.extend(_design_standards(prop, design))
    elif prop == "criterion_validity":
        std("auc_delong", "very good")
        S.extend(_design_standards(prop, design))
    elif prop == "responsiveness":
        std("auc_change", "very good")
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
            return t("validation.evidence.not_graded", lang)
        return evidence_name(self.level, lang)

    def reason_texts(self, lang: str) -> list[str]:
        """Each downgrade in words."""
        out = []
        for r in self.reasons:
            values = dict(r.get("values", {}))
            if "rating" in values:
                values["rating"] = risk_name(values["rating"], lang)
            out.append(t(f"validation.grade.{r['msg']}", lang, **values))
        return out


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
                {"msg": "risk_of_bias", "values": {"rating": rob.rating, "down": g.risk_of_bias}}
            )
    if subscale_ratings and {"+", "-"} <= set(subscale_ratings):
        g.inconsistency = 1
        g.reasons.append({"msg": "inconsistency", "values": {}})
    if n is not None:
        g.imprecision = 2 if n < 50 else 1 if n < 100 else 0
        if g.imprecision:
            g.reasons.append(
                {"msg": "imprecision", "values": {"limit": 50 if n < 50 else 100, "down": g.imprecision}}
            )
    g.indirectness = int(indirectness)
    if g.indirectness:
        g.reasons.append({"msg": "indirectness", "values": {"down": g.indirectness}})
    down = g.risk_of_bias + g.inconsistency + g.imprecision + g.indirectness
    g.level = EVIDENCE_LEVELS[min(down, 3)]
    return g
