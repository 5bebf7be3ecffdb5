"""The whole COSMIN route of an instrument draft in one call: :func:`validation_study`.

Notebook 03 and the validation report (``evalkit.reports.validation``) both call this
function, so the report, the notebook and the COSMIN table rest on the same numbers. It
reads the instrument from its codebook (items, subscales, reverse keys, answer range,
ordinal or not), analyses the first wave and the retest, rates every measurement property
against the COSMIN criteria (:func:`~evalkit.validation.cosmin_table`, ratings on the
worst subscale), rates the risk of bias of each property and grades the evidence
(:mod:`evalkit.methods.validation.grading`), and writes the conclusions and
recommendations from those ratings (:meth:`ValidationStudy.conclusions`).

Choices (each one in the methods section of the report):

- **Structural validity**: CFA of the codebook's subscales as correlated factors (WLSMV
  for ordinal items, rated on the scaled CFI/TLI/RMSEA and SRMR), against one factor;
  parallel analysis and an oblimin EFA (minres) as the exploratory look.
- **Internal consistency**: Cronbach's alpha per subscale (COSMIN's criterion, rated on
  the lowest subscale), omega total per subscale with a percentile bootstrap CI; ordinal
  alpha is shown as a description of the polychoric correlations, *not* as the reliability
  of the sum score; omega hierarchical of the total from a Schmid-Leiman solution, with
  the caveat that with two group factors the general loadings are not identified.
- **Measurement invariance**: multiple-group CFA per grouping variable (groups smaller
  than 5 x items, or than ``min_cell``, left out). Criterion per estimator: ML/MLR
  delta CFI > -0.01 and delta RMSEA < 0.015 (Cheung & Rensvold 2002; Chen 2007);
  WLSMV the scaled chi-square difference test (lavaan ``lavTestLRT``) at
  ``wlsmv_alpha`` (default .01), with delta CFI/RMSEA shown but not used: the ML
  cut-offs were not derived for WLSMV and its CFI sits at its ceiling. When the scalar
  level fails, partial invariance frees the intercept with the largest score test.
  DIF by ordinal logistic regression, matched on the subscale total of the item's own
  dimension.
- **Reliability and measurement error**: ICC(2,1) (two-way random, absolute agreement)
  with its CI, SEM and SDC per subscale; rated on the subscale with the lowest ICC
  (largest SDC); the report says whether the lower confidence limit reaches .70.
- **Hypotheses testing**: correlations with comparison measures (expected sign and
  minimal size) and known-groups differences (expected direction *and* minimal Cohen's
  d, both required). A known-groups hypothesis on a score that contains an item flagged
  for DIF by that grouping is tested with and without the item; it counts as confirmed
  only when confirmed both ways.
- **Criterion validity** only against a gold standard the user names (``gold_standard``);
  otherwise "not assessed".
- **Responsiveness** only with an anchor of change (``anchor``) and two waves.
- **Content validity** is rated by the committee (``content_validity``).
"""

from __future__ import annotations

import hashlib
import platform
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.checks import check_dataframe
from evalkit.core.errors import EvalkitError, EvalkitWarning, ParameterError
from evalkit.core.i18n import LANGS, Message, fmt_number, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.data.codebook import Codebook
from evalkit.methods.validation import grading
from evalkit.methods.validation.consistency import reliability
from evalkit.methods.validation.cosmin import cosmin_table
from evalkit.methods.validation.differential import dif
from evalkit.methods.validation.exploratory import efa, parallel_analysis
from evalkit.methods.validation.items import item_analysis
from evalkit.methods.validation.norming import norms
from evalkit.methods.validation.ordinal import polychoric
from evalkit.methods.validation.retest import agreement
from evalkit.methods.validation.sem.cfa import cfa
from evalkit.methods.validation.sem.invariance import invariance
from evalkit.methods.validation.validity import hypotheses_test, known_groups, roc

__all__ = ["ValidationStudy", "validation_study", "COSMIN_ORDER"]

#: Properties in COSMIN's order (Prinsen et al. 2018, Table 1).
COSMIN_ORDER = (
    "content_validity",
    "structural_validity",
    "internal_consistency",
    "measurement_invariance",
    "reliability",
    "measurement_error",
    "criterion_validity",
    "hypotheses_testing",
    "responsiveness",
)


_LEVEL_KEYS = ("configural", "thresholds", "thresholds_loadings", "metric", "scalar")


def _num(x: float, digits: int, lang: str) -> str:
    return fmt_number(float(x), digits, lang)


# ----------------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------------
def _check_hypotheses(hypotheses) -> list[dict]:
    out = []
    for i, h in enumerate(hypotheses or []):
        if not isinstance(h, Mapping) or not {"measure", "direction"} <= set(h):
            raise ParameterError(
                f"hypotheses[{i}] must be a dict with 'measure', 'direction' ('+' or '-') and 'min_r'."
            )
        if h["direction"] not in ("+", "-"):
            raise ParameterError(f"hypotheses[{i}]: direction must be '+' or '-', got {h['direction']!r}.")
        if "min_r" not in h or not 0 < float(h["min_r"]) < 1:
            raise ParameterError(
                f"hypotheses[{i}] ({h['measure']}): state the expected size 'min_r' (between 0 and 1) "
                "as well as the direction (COSMIN: hypotheses need direction and magnitude)."
            )
        out.append(
            {
                "measure": str(h["measure"]),
                "direction": h["direction"],
                "min_r": float(h["min_r"]),
                "score": str(h.get("score", "total")),
            }
        )
    return out


def _check_known_groups(known) -> list[dict]:
    out = []
    for i, h in enumerate(known or []):
        need = {"score", "group", "higher", "lower"}
        if not isinstance(h, Mapping) or not need <= set(h):
            raise ParameterError(
                f"known_groups[{i}] must be a dict with 'score', 'group', 'higher', 'lower' and 'min_d'."
            )
        if "min_d" not in h or not float(h["min_d"]) > 0:
            raise ParameterError(
                f"known_groups[{i}] ({h['higher']} > {h['lower']} on {h['score']}): state the expected size "
                "'min_d' (Cohen's d, > 0) as well as the direction (COSMIN: hypotheses need direction "
                "and magnitude)."
            )
        out.append({**{k: h[k] for k in need}, "min_d": float(h["min_d"]), "define": h.get("define")})
    return out


# ----------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------
@dataclass(repr=False)
class ValidationStudy(Result):
    """Result of :func:`validation_study`: every step of the COSMIN route.

    ``tidy()`` has one row per measurement property (COSMIN's order) with the key
    ``estimate``, ``n``, ``rating`` (+, -, ?), ``risk_of_bias`` and ``evidence`` (modified
    GRADE). The analyses are attributes: ``items`` (item analysis), ``parallel``,
    ``efa``, ``cfa`` (``{"main", "one_factor"}``), ``consistency`` (DataFrame per
    subscale), ``omega_h``, ``invariance`` / ``partial`` (per grouping), ``invariance_summary``,
    ``dif_table``, ``retest`` (DataFrame per score), ``hypotheses`` (DataFrame),
    ``criterion``, ``responsiveness``, ``norms``, ``cosmin`` (CosminResult),
    ``risk`` / ``grades`` (per property), ``provenance``.

    ``n`` (in ``tidy()``): respondents (or retest pairs) behind each property.
    """

    instrument: dict
    n: int
    estimator: str
    sample: dict
    items: object
    parallel: object
    efa: object
    cfa: dict
    consistency: pd.DataFrame
    omega_h: dict
    invariance: dict
    partial: dict
    invariance_summary: pd.DataFrame
    invariance_rule: dict
    dif_table: pd.DataFrame
    retest: pd.DataFrame
    hypotheses: pd.DataFrame
    criterion: object
    gold_standard: str | None
    responsiveness: object
    norms: object
    norm_cells: pd.DataFrame
    irt: dict
    cosmin: Any
    risk: dict
    grades: dict
    content_validity: str
    provenance: dict
    settings: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # {column: {value: {"nl", "en"}}} from the codebook

    title = Message("validation.study.title")

    def cosmin_in(self, lang: str | None = None):
        """The COSMIN table with its texts in ``lang``."""
        return self.cosmin.in_language(resolve_lang(lang))

    # -- rating -----------------------------------------------------------------------------
    def _rate(self) -> ValidationStudy:
        """(Re)compute the COSMIN ratings, risk of bias and grades from the stored results
        and settings (mic, content_validity, design, indirectness)."""
        st = self.settings
        subscales = self.instrument["subscales"]
        retest, hyp_table, inv_summary = self.retest, self.hypotheses, self.invariance_summary
        worst_icc, worst_sdc = st.get("worst_icc"), st.get("worst_sdc")
        rel = None
        if worst_icc:
            r = retest.loc[worst_icc]
            rel = pd.DataFrame(
                {"icc": [r["icc"]], "ci_lower": [r["icc_ci_lower"]], "ci_upper": [r["icc_ci_upper"]]},
                index=["ICC2"],
            )
        n_conf = int(hyp_table["counted"].sum())
        cos_kwargs = dict(
            structural=self.cfa["main"],
            internal_consistency=dict(self.consistency["alpha"]),
            invariance=self.invariance or None,
            invariance_criterion="lrt" if self.estimator == "WLSMV" else "cfi+rmsea",
            reliability=rel,
            reliability_label=worst_icc,
            measurement_error=float(retest.loc[worst_sdc, "sdc"]) if worst_sdc else None,
            mic=st.get("mic"),
            hypotheses=(n_conf, len(hyp_table)) if len(hyp_table) else None,
            criterion=self.criterion,
            gold_standard=self.gold_standard,
            content_validity=self.content_validity,
            responsiveness=self.responsiveness,
            dif=self.dif_table,
            full=True,
        )
        n = self.n
        n_prop = {
            "structural_validity": n,
            "internal_consistency": int(self.consistency["n"].min()),
            "measurement_invariance": int(inv_summary["n"].max()) if len(inv_summary) else None,
            "reliability": int(retest["n"].min()) if len(retest) else None,
            "measurement_error": int(retest["n"].min()) if len(retest) else None,
            "hypotheses_testing": int(hyp_table["n"].max()) if len(hyp_table) else None,
            "criterion_validity": n if self.criterion is not None else None,
            "responsiveness": int(st.get("n_change") or 0) or None,
            "content_validity": None,
        }
        self.cosmin = cosmin_table(**cos_kwargs, lang="en")  # texts in both languages: cosmin_in(lang)
        self.cosmin.set_n(n_prop)
        ratings = self.ratings
        assessed = {
            "structural_validity": True,
            "internal_consistency": True,
            "measurement_invariance": bool(self.invariance),
            "reliability": len(retest) > 0,
            "measurement_error": len(retest) > 0,
            "criterion_validity": self.criterion is not None,
            "hypotheses_testing": len(hyp_table) > 0,
            "responsiveness": self.responsiveness is not None,
        }
        design = st.get("design")
        n_items = len(self.instrument["items"])
        self.risk, self.grades = {}, {}
        for p in COSMIN_ORDER:
            if not assessed.get(p, False):
                continue  # content validity (the committee's), or not assessed: nothing to rate
            kw: dict = {"design": design}
            if p == "structural_validity":
                kw.update(n=n_prop[p], n_items=n_items, method="CFA")
            elif p == "internal_consistency":
                kw.update(method="per_subscale")
            elif p == "measurement_invariance":
                kw.update(n=int(inv_summary["min_group_n"].min()), n_items=n_items, method="MGCFA")
            elif p == "reliability":
                kw.update(method="ICC2")
            rob = grading.risk_of_bias(p, **kw)
            self.risk[p] = rob
            sub_r = None
            if p == "internal_consistency" and ratings[p] in ("+", "-"):
                sub_r = ["+" if a >= 0.70 else "-" for a in self.consistency["alpha"]]
            elif p == "reliability" and ratings[p] in ("+", "-"):
                sub_r = ["+" if v >= 0.70 else "-" for s, v in retest["icc"].items() if s in subscales]
            self.grades[p] = grading.grade_evidence(
                p,
                rating=ratings[p],
                rob=rob,
                n=n_prop.get(p),
                subscale_ratings=sub_r,
                indirectness=int(st.get("indirectness") or 0),
            )
        return self

    def rated(
        self,
        *,
        mic: float | None | object = ...,
        content_validity: str | None = None,
        design: Mapping | None = None,
        indirectness: int | None = None,
    ) -> ValidationStudy:
        """A copy with the committee's judgements changed and every rating, risk of bias,
        grade, conclusion and recommendation recomputed (no analysis is rerun): the minimal
        important change ``mic`` (None: not defined), the ``content_validity`` rating, the
        ``design`` standards and ``indirectness``."""
        import copy

        new = copy.copy(self)
        new.settings = dict(self.settings)
        if mic is not ...:
            if mic is not None and not (isinstance(mic, (int, float)) and mic > 0):
                raise ParameterError(f"mic must be a positive number or None, got {mic!r}.")
            new.settings["mic"] = mic
        if content_validity is not None:
            if content_validity not in ("+", "-", "±", "?"):
                raise ParameterError(
                    f"content_validity must be '+', '-', '±' or '?', got {content_validity!r}."
                )
            new.content_validity = content_validity
        if design is not None:
            new.settings["design"] = grading.check_design(design)
        if indirectness is not None:
            if indirectness not in (0, 1, 2):
                raise ParameterError(f"indirectness must be 0, 1 or 2, got {indirectness!r}.")
            new.settings["indirectness"] = int(indirectness)
        return new._rate()

    # -- the ratings ------------------------------------------------------------------------
    @property
    def ratings(self) -> dict[str, str]:
        return dict(zip(self.cosmin.tidy()["term"], self.cosmin.tidy()["rating"]))

    def tidy(self) -> pd.DataFrame:
        ct = self.cosmin.tidy().set_index("term")
        rows = []
        for p in COSMIN_ORDER:
            r = ct.loc[p]
            rob = self.risk.get(p)
            g = self.grades.get(p)
            rows.append(
                {
                    "term": p,
                    "estimate": r["estimate"],
                    "n": r["n"],
                    "rating": r["rating"],
                    "risk_of_bias": rob.rating if rob is not None else "",
                    "evidence": (g.level or "") if g is not None else "",
                }
            )
        return tidy_frame(rows, extra=("rating", "risk_of_bias", "evidence"))

    # -- computed text ----------------------------------------------------------------------
    def label(self, column: str, value, lang: str) -> str:
        """A data value as the codebook labels it in ``lang`` (the value itself without a label)."""
        lab = self.labels.get(column, {}).get(str(value))
        return str(value) if lab is None else str(lab.get(lang) or value)

    def hypothesis_text(self, h, lang: str) -> str:
        """One hypothesis in words, from its fields (row of ``hypotheses``)."""
        g = lambda k: h[k] if isinstance(h, Mapping) else getattr(h, k)  # noqa: E731 - row or mapping
        if g("kind") == "correlation":
            return f"r({g('score')}, {g('measure')}) {g('direction')}, |r| >= {_num(g('min_size'), 2, lang)}"
        return (
            f"{g('score')}: {self.label(g('group'), g('higher'), lang)} > {self.label(g('group'), g('lower'), lang)}"
            f" ({g('group')}), d >= {_num(g('min_size'), 1, lang)}"
        )

    def property_name(self, p: str, lang: str) -> str:
        from evalkit.methods.validation.cosmin import property_name

        return property_name(p, lang)

    def conclusions(self, lang: str | None = None, num=None) -> list[str]:
        """Conclusions, each sentence computed from the ratings, grades and results.

        ``num(id, value, digits)`` writes a number (default: formatted in ``lang``); the
        report passes one that writes ``[[id]]`` so that the disclosure layer decides it.
        """
        lang = resolve_lang(lang)
        if num is None:

            def num(_id, value, digits):
                return _num(value, digits, lang)

        r = self.ratings
        out = []
        name = self.instrument["id"]
        plus = [p for p in COSMIN_ORDER if r[p] == "+"]
        minus = [p for p in COSMIN_ORDER if r[p] == "-"]
        unk = [p for p in COSMIN_ORDER if r[p] == "?"]

        def names(ps):
            return ", ".join(self.property_name(p, lang).lower() for p in ps) or t(
                "validation.study.none", lang
            )

        def graded(ps):
            return "; ".join(
                f"{self.property_name(p, lang).lower()} ({t('validation.study.evidence', lang)} "
                f"{self.grades[p].text(lang)})"
                if p in self.grades
                else self.property_name(p, lang).lower()
                for p in ps
            ) or t("validation.study.none", lang)

        out.append(
            t(
                "validation.study.conclusion_sufficient",
                lang,
                n=num("n", self.n, 0),
                n_sufficient=len(plus),
                n_properties=len(COSMIN_ORDER),
                instrument=name,
                properties=graded(plus),
            )
        )
        if minus:
            out.append(t("validation.study.conclusion_insufficient", lang, properties=graded(minus)))
        if unk:
            out.append(t("validation.study.conclusion_indeterminate", lang, properties=names(unk)))
        # invariance details
        if r["measurement_invariance"] == "-":
            failing = self.invariance_summary[~self.invariance_summary["scalar_holds"]]
            parts = []
            for g, row in failing.iterrows():
                levels = ", ".join(
                    t(f"validation.level.{lv}", lang) if lv in _LEVEL_KEYS else lv
                    for lv in str(row["levels_failing"]).split(", ")
                )
                part = t("validation.study.level_fails", lang, group=g, level=levels)
                if row["levels_failing"] == "scalar":
                    outcome = "restores" if row["partial_holds"] else "does_not_restore"
                    part += t(
                        f"validation.study.freeing_{outcome}",
                        lang,
                        items=row["freed"] or t("validation.study.no_single_item", lang),
                    )
                parts.append(part)
            out.append(t("validation.study.not_comparable", lang, parts="; ".join(parts)))
        flagged = self.dif_table[self.dif_table["flag"]] if len(self.dif_table) else self.dif_table
        if len(flagged):
            out.append(
                t(
                    "validation.study.dif_items",
                    lang,
                    items=", ".join(f"{x.item} ({x.group})" for x in flagged.itertuples()),
                )
            )
        if len(self.retest):
            sub = self.retest.loc[[s for s in self.retest.index if s in self.instrument["subscales"]]]
            low = sub[sub["icc_ci_lower"] < 0.70]
            if len(low):
                out.append(
                    t(
                        "validation.study.icc_lower_limit",
                        lang,
                        scores=", ".join(
                            f"{s} ({num(f'rt.{s}.icc.lo', x, 2)})" for s, x in low["icc_ci_lower"].items()
                        ),
                    )
                )
        for k, h in enumerate(self.hypotheses.itertuples()):
            if not h.dif_items:
                continue
            out.append(
                t(
                    f"validation.study.hypothesis_dif_{'confirmed' if h.confirmed_without else 'not_confirmed'}",
                    lang,
                    hypothesis=self.hypothesis_text(h, lang),
                    items=h.dif_items,
                    d=num(f"hyp.{k}.est", h.estimate, 2),
                    d_without=num(f"hyp.{k}.without", h.estimate_without, 2),
                )
            )
        cat = self.recommendation_category()
        out.append(t(f"validation.study.category_{cat}", lang))
        return out

    def recommendation_category(self) -> str:
        """Prinsen et al. (2018): A = evidence for sufficient content validity (any level) and
        at least low-quality evidence for sufficient internal consistency; C = high-quality
        evidence for an insufficient property; B = otherwise."""
        r = self.ratings
        if any(r[p] == "-" and self.grades[p].level == "high" for p in COSMIN_ORDER if p in self.grades):
            return "C"
        ic = self.grades.get("internal_consistency")
        if (
            r["content_validity"] == "+"
            and r["internal_consistency"] == "+"
            and ic is not None
            and ic.level in ("high", "moderate", "low")
        ):
            return "A"
        return "B"

    def recommendations(self, lang: str | None = None) -> list[str]:
        """What to do next, one item per property that is not sufficient with high evidence."""
        lang = resolve_lang(lang)
        r = self.ratings
        out = []
        if r["content_validity"] != "+":
            out.append(t("validation.study.content_validity_the_committee_rates", lang))
        if r["structural_validity"] == "-":
            out.append(t("validation.study.structural_validity_revise_the_factor", lang))
        if r["internal_consistency"] == "-":
            worst = self.consistency["alpha"].idxmin()
            out.append(t("validation.study.recommend_revise_subscale", lang, subscale=worst))
        if r["measurement_invariance"] == "-":
            items = sorted(
                {i for x in self.invariance_summary["freed"] for i in str(x).split(", ") if i}
                | set(self.dif_table.loc[self.dif_table["flag"], "item"] if len(self.dif_table) else [])
            )
            groups = list(self.invariance_summary.index[~self.invariance_summary["scalar_holds"]])
            out.append(
                t(
                    "validation.study.recommend_invariance",
                    lang,
                    groups=", ".join(groups),
                    items=", ".join(items) or t("validation.study.non_invariant_items", lang),
                )
            )
        if r["reliability"] in ("-", "?") or (
            len(self.retest) and (self.retest["icc_ci_lower"] < 0.70).any()
        ):
            out.append(t("validation.study.reliability_a_larger_retest_sample", lang))
        if r["measurement_error"] == "?":
            out.append(t("validation.study.measurement_error_determine_the_minimal", lang))
        elif r["measurement_error"] == "-":
            out.append(t("validation.study.measurement_error_the_sdc_exceeds", lang))
        if r["criterion_validity"] == "?":
            out.append(t("validation.study.criterion_validity_not_assessed_without", lang))
        if r["hypotheses_testing"] == "-":
            out.append(t("validation.study.hypotheses_testing_fewer_than_of", lang))
        if r["responsiveness"] == "?":
            out.append(t("validation.study.responsiveness_study_change_before_and", lang))
        down = [p for p, g in self.grades.items() if g.level in ("low", "very low")]
        if down:
            out.append(
                t(
                    "validation.study.recommend_low_evidence",
                    lang,
                    properties=", ".join(self.property_name(p, lang).lower() for p in down),
                )
            )
        return out

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        return (
            self.title[lang]
            + "\n\n"
            + self.cosmin_in(lang).table(lang).to_string(index=False)
            + "\n\n"
            + "\n".join(self.conclusions(lang))
        )

    def _html_table(self) -> str:
        lang = resolve_lang(None)
        return self.cosmin_in(lang).table(lang).to_html(index=False, border=0, classes="evalkit-table")


# ----------------------------------------------------------------------------------------
# the study
# ----------------------------------------------------------------------------------------
def _instrument(codebook) -> tuple[Codebook, dict]:
    from evalkit.data.codebook import load_codebook

    cb = load_codebook(codebook)
    scale = cb.scale
    if not scale:
        raise ParameterError(f"codebook {codebook!r} has no 'scale' block with items and subscales.")
    items = list(scale["items"])
    subscales = {k: list(v) for k, v in (scale.get("subscales") or {"total": items}).items()}
    reverse = list((scale.get("scoring") or {}).get("reverse", []))
    codes = [o["code"] for o in scale.get("response_options", [])]
    scale_range = (min(codes), max(codes)) if codes else None
    return cb, {
        "id": scale.get("id", str(codebook)),
        "codebook": str(codebook),
        "items": items,
        "subscales": subscales,
        "reverse": reverse,
        "scale_range": scale_range,
        "ordinal": scale.get("measurement") == "ordinal",
    }


def _invariance_holds(row: pd.Series, estimator: str) -> bool:
    cols = ["lrt_invariant"] if estimator == "WLSMV" else ["cfi_invariant", "rmsea_invariant"]
    return all(pd.isna(row[c]) or bool(row[c]) for c in cols)


def validation_study(
    data: pd.DataFrame,
    *,
    codebook: str = "youth_instrument",
    estimator: str = "auto",
    invariance_groups: Sequence[str] = ("gender", "age_band", "school_type"),
    wlsmv_alpha: float = 0.01,
    hypotheses: Sequence[Mapping] | None = None,
    known_groups_hypotheses: Sequence[Mapping] | None = None,
    gold_standard: str | None = None,
    anchor: str | None = None,
    mic: float | None = None,
    content_validity: str = "?",
    design: Mapping | None = None,
    indirectness: int = 0,
    norm_groups: Sequence[str] = ("age_band", "gender"),
    min_cell: int = 10,
    n_boot: int = 200,
    seed: int = 2025,
    confidence: float = 0.95,
    data_sha256: str | None = None,
    data_label: str = "",
    irt: bool = True,
) -> ValidationStudy:
    """Run the COSMIN route on one data set of an instrument draft.

    Parameters
    ----------
    data : DataFrame
        Respondents (first wave, plus a retest wave if there is one), as read and
        validated with the instrument's codebook.
    codebook : str
        Codebook with a ``scale`` block.
    estimator : {"auto", "ML", "WLSMV"}
        ``auto``: WLSMV when the codebook marks the items as ordinal.
    invariance_groups : sequence of str
        Grouping columns for measurement invariance and DIF.
    wlsmv_alpha : float
        Level of the scaled difference test that decides invariance under WLSMV.
    hypotheses : list of dict
        ``{"measure", "direction" ('+'/'-'), "min_r", "score" (default "total")}``.
    known_groups_hypotheses : list of dict
        ``{"score", "group", "higher", "lower", "min_d"}``; ``min_d`` (> 0) is required.
        ``"define": {"column": c, "cut": x, "labels": (le, gt)}`` builds a grouping from a
        numeric column (``c <= x`` -> first label).
    gold_standard : str, optional
        A 0/1 column the committee names as gold standard; without it criterion validity
        is "not assessed".
    anchor : str, optional
        A 0/1 column "changed" at the second wave, for responsiveness.
    mic : float, optional
        Minimal important change of a subscale score.
    content_validity : {"+", "-", "±", "?"}
        The committee's rating of content validity.
    design : dict, optional
        Ratings of the design standards of the risk-of-bias checklist
        (:data:`~evalkit.methods.validation.grading.DESIGN_STANDARDS`).
    indirectness : {0, 1, 2}
        Levels to downgrade because the sample differs from the population of interest.
    norm_groups, min_cell
        Norm groups (their small groups are hidden by the report's disclosure layer).
    n_boot, seed, confidence
        Bootstrap replicates (omega CIs), the seed of every random step, CI level.
    data_sha256, data_label
        Provenance of the data file (set by the report).
    irt : bool
        Fit a graded response model per subscale (ordinal items only): ``study.irt``.
    """
    data = check_dataframe(data)
    if estimator not in ("auto", "ML", "WLSMV"):
        raise ParameterError(f"estimator={estimator!r} is not allowed; use 'auto', 'ML' or 'WLSMV'.")
    if content_validity not in ("+", "-", "±", "?"):
        raise ParameterError(f"content_validity must be '+', '-', '±' or '?', got {content_validity!r}.")
    if not 0 < float(wlsmv_alpha) < 0.5:
        raise ParameterError(f"wlsmv_alpha must lie between 0 and 0.5, got {wlsmv_alpha!r}.")
    design = grading.check_design(design)
    hyps = _check_hypotheses(hypotheses)
    kgs = _check_known_groups(known_groups_hypotheses)
    cb, ins = _instrument(codebook)
    items, subscales, reverse, scale_range = (
        ins["items"],
        ins["subscales"],
        ins["reverse"],
        ins["scale_range"],
    )
    est = ("WLSMV" if ins["ordinal"] else "ML") if estimator == "auto" else estimator
    missing_cols = [c for c in items if c not in data.columns]
    if missing_cols:
        raise ParameterError(f"data lack the item columns {missing_cols}.")
    from evalkit.data.scales import score as score_scales

    waves = list(pd.unique(data["wave"].dropna())) if "wave" in data.columns else []
    first = (data[data["wave"] == waves[0]] if waves else data).reset_index(drop=True)
    scores = score_scales(first, codebook)
    keyed = first[items].astype("float64")
    if scale_range is not None and reverse:
        keyed[reverse] = scale_range[0] + scale_range[1] - keyed[reverse]
    groups_present = [g for g in invariance_groups if g in first.columns]
    keyed_g = pd.concat([keyed, first[groups_present]], axis=1)
    n = len(first)

    # sample composition (counts; the report discloses them)
    def order(col: str) -> list:
        """The categories of ``col`` in the codebook's order (then any others)."""
        try:
            enum = list(cb[col].enum or [])
        except (KeyError, AttributeError):
            enum = []
        seen = [str(v) for v in pd.unique(first[col].dropna())]
        return [str(v) for v in enum if str(v) in seen] + sorted(v for v in seen if v not in map(str, enum))

    sample = {
        c: first[c].astype(str).value_counts().reindex(order(c)).dropna().astype(int)
        for c in ("gender", "age_band", "school_type")
        if c in first.columns
    }

    # items
    ia = item_analysis(first, items=items, reverse=reverse, scale_range=scale_range)
    # structure
    pa = parallel_analysis(keyed, items=items, seed=seed, n_iter=20)
    n_fact = max(1, len(subscales))
    ef = efa(keyed, items=items, n_factors=n_fact, method="minres", rotation="oblimin")
    model = "\n".join(f"{name} =~ " + " + ".join(its) for name, its in subscales.items())
    cfas = {"main": cfa(keyed, model, estimator=est)}
    if len(subscales) > 1:
        cfas["one_factor"] = cfa(keyed, "general =~ " + " + ".join(items), estimator=est)

    # internal consistency per subscale
    crow = []
    rels = {}
    pc = polychoric(keyed, items) if ins["ordinal"] else None
    for k, (name, its) in enumerate(subscales.items()):
        rels[name] = reliability(
            first,
            items=its,
            reverse=[i for i in reverse if i in its],
            scale_range=scale_range,
            n_boot=n_boot,
            seed=seed + k,
            confidence=confidence,
        )
        tt = rels[name].tidy().set_index("term")
        row = {
            "subscale": name,
            "n_items": len(its),
            "n": int(tt.loc["alpha", "n"]),
            "alpha": tt.loc["alpha", "estimate"],
            "alpha_ci_lower": tt.loc["alpha", "ci_lower"],
            "alpha_ci_upper": tt.loc["alpha", "ci_upper"],
            "omega_total": tt.loc["omega_total", "estimate"],
            "omega_ci_lower": tt.loc["omega_total", "ci_lower"],
            "omega_ci_upper": tt.loc["omega_total", "ci_upper"],
        }
        if pc is not None:
            oa = pc.ordinal_alpha(its)
            row["ordinal_alpha"] = oa["estimate"]
        crow.append(row)
    consistency = pd.DataFrame(crow).set_index("subscale")
    omega_h: dict = {}
    if len(subscales) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            rt = (
                reliability(
                    first,
                    items=items,
                    reverse=reverse,
                    scale_range=scale_range,
                    sl_factors=len(subscales),
                    n_boot=0,
                )
                .tidy()
                .set_index("term")
            )
        omega_h = {
            "estimate": float(rt.loc["omega_hierarchical", "estimate"]),
            "n_group_factors": len(subscales),
            "identified": len(subscales) >= 3,
        }

    # invariance + DIF
    min_group = max(int(min_cell), 5 * len(items))
    inv, part, srows, drows = {}, {}, [], []
    inv_alpha = float(wlsmv_alpha) if est == "WLSMV" else 0.05
    for g in groups_present:
        counts = keyed_g[g].value_counts()
        keep = sorted(counts[counts >= min_group].index)
        left_out = sorted(counts[counts < min_group].index)
        if len(keep) < 2:
            continue
        sub = keyed_g[keyed_g[g].isin(keep)]
        try:
            res = invariance(sub, model, group=g, estimator=est, alpha=inv_alpha)
        except EvalkitError as exc:
            srows.append(
                {
                    "group": g,
                    "n": len(sub),
                    "groups": ", ".join(map(str, keep)),
                    "left_out": ", ".join(map(str, left_out)),
                    "min_group_n": int(counts[keep].min()),
                    "levels_failing": f"not estimated ({exc})",
                    "scalar_holds": False,
                    "freed": "",
                    "partial_holds": False,
                }
            )
            continue
        inv[g] = res
        tab = res.reported_table()
        failing = [lv for lv in tab.index[1:] if not _invariance_holds(tab.loc[lv], est)]
        scalar_ok = not failing
        freed, partial_ok = "", False
        if failing == ["scalar"] or (failing and failing[-1] == "scalar" and len(failing) == 1):
            p = res.partial("scalar", criterion="lrt" if est == "WLSMV" else "cfi+rmsea", max_free=3)
            part[g] = p
            freed = ", ".join(f.split("~")[0] for f in p.freed)
            partial_ok = _invariance_holds(p.reported_table().loc["scalar"], est)
        srows.append(
            {
                "group": g,
                "n": int(len(sub)),
                "groups": ", ".join(map(str, keep)),
                "left_out": ", ".join(map(str, left_out)),
                "min_group_n": int(counts[keep].min()),
                "levels_failing": ", ".join(failing),
                "scalar_holds": scalar_ok,
                "freed": freed,
                "partial_holds": partial_ok,
            }
        )
        ref = keep[0]
        for sname, its in subscales.items():
            with warnings.catch_warnings():  # per-item notes; the study's table says what failed
                warnings.simplefilter("ignore", EvalkitWarning)
                warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a logit on the way
                dr = dif(sub, items=its, group=g, reference=str(ref) if not isinstance(ref, str) else ref)
            for x in dr.table.itertuples():
                drows.append(
                    {
                        "group": g,
                        "subscale": sname,
                        "item": x.item,
                        "delta_r2": float(x.delta_r2_total),
                        "p_value": float(x.p_total),
                        "flag": bool(x.flag),
                        "dif_type": x.dif_type,
                    }
                )
    inv_summary = (
        pd.DataFrame(srows).set_index("group")
        if srows
        else pd.DataFrame(
            columns=[
                "n",
                "groups",
                "left_out",
                "min_group_n",
                "levels_failing",
                "scalar_holds",
                "freed",
                "partial_holds",
            ]
        )
    )
    dif_table = pd.DataFrame(
        drows, columns=["group", "subscale", "item", "delta_r2", "p_value", "flag", "dif_type"]
    )

    # retest
    key = [k for k in cb.primary_key if k != "wave"]
    rrows, agrs = [], {}
    if len(waves) >= 2 and key:
        all_scores = pd.concat(
            [
                data[key + ["wave"]].reset_index(drop=True),
                score_scales(data.reset_index(drop=True), codebook),
            ],
            axis=1,
        )
        for s in [*subscales, "total"]:
            if s not in all_scores.columns:
                continue
            wide = all_scores.pivot_table(index=key, columns="wave", values=s, aggfunc="first")
            wide = wide[[w for w in waves[:2] if w in wide.columns]].dropna()
            if wide.shape[1] < 2 or len(wide) < 3:
                continue
            a = agreement(wide, mic=mic, confidence=confidence)
            agrs[s] = a
            it = a.icc_table
            at = a.tidy().set_index("term")
            rrows.append(
                {
                    "score": s,
                    "n": len(wide),
                    "icc": float(it.loc["ICC2", "icc"]),
                    "icc_ci_lower": float(it.loc["ICC2", "ci_lower"]),
                    "icc_ci_upper": float(it.loc["ICC2", "ci_upper"]),
                    "sem": float(at.loc["sem_agreement", "estimate"]),
                    "sdc": float(at.loc["sdc_agreement", "estimate"]),
                    "mean_difference": float(at.loc["mean_difference", "estimate"]),
                }
            )
    retest = (
        pd.DataFrame(rrows).set_index("score")
        if rrows
        else pd.DataFrame(
            columns=["n", "icc", "icc_ci_lower", "icc_ci_upper", "sem", "sdc", "mean_difference"]
        )
    )

    # hypotheses
    frame = pd.concat([first.drop(columns=[c for c in scores.columns if c in first.columns]), scores], axis=1)
    hrows = []
    for h in hyps:
        if h["measure"] not in frame.columns or h["score"] not in frame.columns:
            raise ParameterError(
                f"hypothesis on {h['measure']!r}: no column {h['measure']!r} or score {h['score']!r}."
            )
        hr = (
            hypotheses_test(
                frame,
                [{"measure": h["measure"], "direction": h["direction"], "min_r": h["min_r"]}],
                score=h["score"],
                confidence=confidence,
            )
            .tidy()
            .iloc[0]
        )
        ok = bool(hr["confirmed"])
        hrows.append(
            {
                "score": h["score"],
                "measure": h["measure"],
                "group": "",
                "higher": "",
                "lower": "",
                "direction": h["direction"],
                "min_size": h["min_r"],
                "kind": "correlation",
                "text": f"r({h['score']}, {h['measure']}) {h['direction']}, |r| >= {h['min_r']:g}",
                "statistic": "r",
                "estimate": float(hr["estimate"]),
                "ci_lower": float(hr["ci_lower"]),
                "ci_upper": float(hr["ci_upper"]),
                "n": int(hr["n"]),
                "p_value": float(hr["p_value"]),
                "confirmed": ok,
                "dif_items": "",
                "estimate_without": np.nan,
                "confirmed_without": ok,
                "counted": ok,
            }
        )
    flagged = dif_table[dif_table["flag"].astype(bool)]
    for h in kgs:
        f = frame
        gcol = h["group"]
        if h.get("define"):
            dfn = h["define"]
            lab = tuple(dfn.get("labels", ("low", "high")))
            x = pd.to_numeric(f[dfn["column"]], errors="coerce").astype("float64")
            # a missing value belongs to neither group
            f = f.assign(
                **{gcol: pd.Series(np.where(x <= dfn["cut"], lab[0], lab[1]), index=f.index).where(x.notna())}
            )
        sub = f[f[gcol].astype(str).isin([str(h["higher"]), str(h["lower"])])]
        spec = [{"higher": str(h["higher"]), "lower": str(h["lower"]), "min_d": h["min_d"]}]
        kr = (
            known_groups(
                sub.assign(**{gcol: sub[gcol].astype(str)}),
                score=h["score"],
                group=gcol,
                hypotheses=spec,
                confidence=confidence,
            )
            .tidy()
            .iloc[0]
        )
        score_items = subscales.get(h["score"], items if h["score"] == "total" else [])
        difs = sorted(set(flagged.loc[flagged["group"] == gcol, "item"]) & set(score_items))
        est_wo, conf_wo = np.nan, bool(kr["confirmed"])
        if difs:
            kk = keyed.loc[sub.index, difs].sum(axis=1)
            sub2 = sub.assign(_without=sub[h["score"]] - kk, **{gcol: sub[gcol].astype(str)})
            kr2 = (
                known_groups(sub2, score="_without", group=gcol, hypotheses=spec, confidence=confidence)
                .tidy()
                .iloc[0]
            )
            est_wo, conf_wo = float(kr2["cohens_d"]), bool(kr2["confirmed"])
        hrows.append(
            {
                "score": h["score"],
                "measure": "",
                "group": gcol,
                "higher": str(h["higher"]),
                "lower": str(h["lower"]),
                "direction": ">",
                "min_size": h["min_d"],
                "kind": "known_groups",
                "n_higher": int((sub[gcol].astype(str) == str(h["higher"])).sum()),
                "n_lower": int((sub[gcol].astype(str) == str(h["lower"])).sum()),
                "text": f"{h['score']}: {h['higher']} > {h['lower']} ({gcol}), d >= {h['min_d']:g}",
                "statistic": "d",
                "estimate": float(kr["cohens_d"]),
                "ci_lower": float(kr["d_ci_lower"]),
                "ci_upper": float(kr["d_ci_upper"]),
                "n": int(kr["n"]),
                "p_value": float(kr["p_value"]),
                "confirmed": bool(kr["confirmed"]),
                "dif_items": ", ".join(difs),
                "estimate_without": est_wo,
                "confirmed_without": conf_wo,
                "counted": bool(kr["confirmed"]) and conf_wo,
            }
        )
    hyp_table = pd.DataFrame(
        hrows,
        columns=[
            "score",
            "measure",
            "group",
            "higher",
            "lower",
            "direction",
            "min_size",
            "kind",
            "text",
            "statistic",
            "estimate",
            "ci_lower",
            "ci_upper",
            "n",
            "p_value",
            "confirmed",
            "dif_items",
            "estimate_without",
            "confirmed_without",
            "counted",
            "n_higher",
            "n_lower",
        ],
    )

    # criterion validity: only against a named gold standard
    crit = None
    if gold_standard:
        if gold_standard not in frame.columns:
            raise ParameterError(f"gold_standard={gold_standard!r} is not a column of the data.")
        crit = roc(
            frame,
            score="total" if "total" in frame.columns else list(subscales)[0],
            reference=gold_standard,
            confidence=confidence,
        )
    # responsiveness: change score against an anchor of change
    resp = None
    n_change = 0
    if anchor and len(waves) >= 2 and anchor in data.columns and key:
        s_all = pd.concat(
            [
                data[key + ["wave", anchor]].reset_index(drop=True),
                score_scales(data.reset_index(drop=True), codebook),
            ],
            axis=1,
        )
        w = s_all.pivot_table(index=key, columns="wave", values="total", aggfunc="first")[waves[:2]].dropna()
        anc = s_all[s_all["wave"] == waves[1]].set_index(key)[anchor].reindex(w.index)
        ch = pd.DataFrame(
            {"change": (w[waves[0]] - w[waves[1]]).to_numpy(), "improved": anc.to_numpy()}
        ).dropna()
        if ch["improved"].nunique() == 2:
            resp = roc(ch, score="change", reference="improved", confidence=confidence)
            n_change = len(ch)

    # norms
    by = [c for c in norm_groups if c in first.columns]
    with warnings.catch_warnings():  # small cells: hidden by the report's disclosure layer
        warnings.simplefilter("ignore", EvalkitWarning)
        nrm = norms(
            frame,
            score="total" if "total" in frame.columns else list(subscales)[0],
            by=by,
            min_cell=max(10, int(min_cell)),
        )

    # item response theory: a graded response model per subscale (ordinal items)
    irt_res: dict = {}
    if irt and ins["ordinal"]:
        from evalkit.methods.validation.irt import graded_response

        for sname, its in subscales.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)
                irt_res[sname] = graded_response(keyed, its, confidence=confidence)

    # raw norm cells for the disclosure layer (the report and notebook 03 show them only
    # through evalkit.reports.disclosure, which hides small groups and what reveals them)
    sc_col = "total" if "total" in frame.columns else list(subscales)[0]
    nf = frame.dropna(subset=[sc_col, *by])
    cells = []
    groups = list(nf.astype({c: str for c in by}).groupby(by, sort=False, observed=True)) if by else []
    if by:
        rank = {c: {v: k for k, v in enumerate(order(c))} for c in by}
        groups.sort(
            key=lambda kv: tuple(
                rank[c].get(str(x), 99) for c, x in zip(by, kv[0] if isinstance(kv[0], tuple) else (kv[0],))
            )
        )
    for key_, sub_ in [*groups, ("totaal", nf)]:
        v = sub_[sc_col].to_numpy(float)
        key_ = key_ if isinstance(key_, tuple) else (key_,)
        row = {"group": "totaal" if sub_ is nf else ", ".join(f"{c}={k}" for c, k in zip(by, key_))}
        for c, k in zip(by, key_ if sub_ is not nf else ("totaal",) * len(by)):
            row[c] = str(k)
        row.update(n=len(v), mean=float(v.mean()), sd=float(v.std(ddof=1)) if len(v) > 1 else np.nan)
        for q in (0.10, 0.25, 0.50, 0.75, 0.90):
            row[f"p{round(q * 100):02d}"] = float(np.quantile(v, q))
        cells.append(row)
    norm_cells = pd.DataFrame(cells).set_index("group")

    worst_icc = (
        retest.loc[[s for s in retest.index if s in subscales], "icc"].idxmin() if len(retest) else None
    )
    worst_sdc = (
        retest.loc[[s for s in retest.index if s in subscales], "sdc"].idxmax() if len(retest) else None
    )

    import evalkit._version as _v

    prov = {
        "data_sha256": data_sha256
        or hashlib.sha256(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes()).hexdigest(),
        "data_sha256_of": "file" if data_sha256 else "table",
        "data_label": data_label,
        "evalkit_version": _v.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "estimator": est,
        "seed": int(seed),
        "n_boot": int(n_boot),
        "confidence": float(confidence),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "codebook": ins["codebook"],
        "waves": [str(w) for w in waves],
        "min_cell": int(min_cell),
    }
    # value labels of the codebook per language (data labels of the categories)
    labels: dict = {}
    for f in cb.fields:
        if f.value_labels_:
            by_lang = {lg: cb.value_labels(f.name, lg) for lg in LANGS}
            labels[f.name] = {
                str(code): dict((lg, by_lang[lg].get(code, code)) for lg in LANGS) for code in by_lang["en"]
            }
    return ValidationStudy(
        labels=labels,
        instrument=ins,
        n=n,
        estimator=est,
        sample=sample,
        items=ia,
        parallel=pa,
        efa=ef,
        cfa=cfas,
        consistency=consistency,
        omega_h=omega_h,
        invariance=inv,
        partial=part,
        invariance_summary=inv_summary,
        invariance_rule={"estimator": est, "alpha": inv_alpha, "min_group": min_group},
        dif_table=dif_table,
        retest=retest,
        hypotheses=hyp_table,
        criterion=crit,
        gold_standard=gold_standard,
        responsiveness=resp,
        norms=nrm,
        norm_cells=norm_cells,
        irt=irt_res,
        cosmin=None,
        risk={},
        grades={},
        content_validity=content_validity,
        provenance=prov,
        settings={
            "mic": mic,
            "design": design,
            "indirectness": indirectness,
            "anchor": anchor,
            "wlsmv_alpha": float(wlsmv_alpha),
            "worst_icc": worst_icc,
            "worst_sdc": worst_sdc,
            "norm_groups": by,
            "n_change": n_change,
        },
    )._rate()
