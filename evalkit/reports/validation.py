"""The validation report of an instrument draft: study -> typed page -> disclosure -> HTML.

:func:`render_validation` reads and validates the data with the instrument's codebook,
runs :func:`evalkit.methods.validation.study.validation_study` (the COSMIN route that
notebook 03 also calls), builds a typed :class:`~evalkit.reports.content.Page` from its
results, passes the whole page through the one disclosure layer
(:mod:`evalkit.reports.disclosure`: small groups hidden, secondary suppression over the
sample margins and the norm cells), renders it, audits it and writes the HTML page with its
disclosure record beside it (so ``evalkit audit`` checks it like every coalition report).

Every sentence of the conclusions is computed from the ratings (no verdict is typed);
the COSMIN table shows rating, risk of bias and the quality of the evidence (modified
GRADE) per property; the methods section lists the data file's SHA-256, the evalkit
version, estimators, seed and date. ``templates/validation_report.ipynb`` shows the same
page section by section (:class:`ValidationReport`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.core import i18n
from evalkit.core.checks import check_lang
from evalkit.core.errors import DataValidationError, ParameterError
from evalkit.core.i18n import t
from evalkit.methods.validation.grading import risk_name, standard_text
from evalkit.reports import disclosure
from evalkit.reports.content import Column, Page, Ref, Table, Text
from evalkit.reports.disclosure import Policy

__all__ = [
    "REFERENCES",
    "SECTIONS",
    "ValidationOutcome",
    "ValidationReport",
    "build_page",
    "load",
    "render_validation",
]

#: Cells that hold words (no number) are read left-aligned; numbers stay right-aligned.
TEXT_CELLS_LEFT = (
    "<style>td:not(:has(span[data-q])):not(.suppressed),#cosmin td,#cosmin th{text-align:left}</style>"
)

#: Section ids of the page, in order.
SECTIONS = (
    "summary",
    "cosmin",
    "content_validity",
    "sample",
    "structural_validity",
    "internal_consistency",
    "invariance",
    "reliability",
    "hypotheses",
    "criterion",
    "norms",
    "conclusions",
    "methods",
    "appendix",
    "references",
)

REFERENCES = (
    "Bland, J. M., & Altman, D. G. (1986). Statistical methods for assessing agreement between two methods of "
    "clinical measurement. Lancet, i, 307-310.",
    "Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance. Structural "
    "Equation Modeling, 14, 464-504.",
    "Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing measurement "
    "invariance. Structural Equation Modeling, 9, 233-255.",
    "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika, 16, 297-334.",
    "de Vet, H. C. W., Terwee, C. B., Knol, D. L., & Bouter, L. M. (2006). When to use agreement versus "
    "reliability measures. Journal of Clinical Epidemiology, 59, 1033-1039.",
    "Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis. Psychometrika, 30, 179-185.",
    "McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum.",
    "Mokkink, L. B., de Vet, H. C. W., Prinsen, C. A. C., et al. (2018). COSMIN Risk of Bias checklist for "
    "systematic reviews of patient-reported outcome measures. Quality of Life Research, 27, 1171-1179.",
    "Mokkink, L. B., Prinsen, C. A. C., Patrick, D. L., et al. (2018). COSMIN methodology for systematic reviews "
    "of patient-reported outcome measures (PROMs): user manual, version 1.0.",
    "Muthén, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least squares and "
    "quadratic estimating equations in latent variable modeling with categorical and continuous outcomes.",
    "Prinsen, C. A. C., Mokkink, L. B., Bouter, L. M., et al. (2018). COSMIN guideline for systematic reviews "
    "of patient-reported outcome measures. Quality of Life Research, 27, 1147-1157.",
    "Sass, D. A., Schmitt, T. A., & Marsh, H. W. (2014). Evaluating model fit with ordered categorical data "
    "within a measurement invariance framework. Structural Equation Modeling, 21, 167-180.",
    "Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores. "
    "Psychometrika Monograph Supplement, 17.",
    "Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions. Psychometrika, 22, 53-61.",
    "Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater reliability. "
    "Psychological Bulletin, 86, 420-428.",
    "Terwee, C. B., Prinsen, C. A. C., Chiarotto, A., et al. (2018). COSMIN methodology for evaluating the "
    "content validity of patient-reported outcome measures. Quality of Life Research, 27, 1159-1170.",
    "Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of different levels "
    "of invariance for ordered categorical outcomes. Psychometrika, 81, 1014-1045.",
    "Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha, Revelle's beta, and McDonald's "
    "omega_H. Psychometrika, 70, 123-133.",
    "Zumbo, B. D. (1999). A Handbook on the Theory and Methods of Differential Item Functioning (DIF). Ottawa: "
    "Department of National Defense.",
    "Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients alpha and theta for "
    "Likert rating scales. Journal of Modern Applied Statistical Methods, 6, 21-29.",
)


def _key(*parts: object) -> str:
    """A quantity id from parts (only the characters ids allow)."""
    out = ".".join(str(p) for p in parts)
    return "".join(c if (c.isalnum() or c in "_.:-") else "_" for c in out)


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


class _Builder:
    """Registers the numbers of the page with the counts they rest on."""

    def __init__(self, page: Page, lang: str):
        self.page, self.lang = page, lang

    def est(self, id: str, value, n: int | None, digits: int = 2, label: str = "", basis=()) -> Ref | str:
        if not _finite(value):
            return "–"
        return self.page.q(
            id, float(value), "estimate", group_n=n, digits=digits, label=label or id, basis=tuple(basis)
        )

    def mean(self, id: str, value, n: int | None, digits: int = 1, basis=()) -> Ref | str:
        if not _finite(value):
            return "–"
        return self.page.q(id, float(value), "mean", group_n=n, digits=digits, label=id, basis=tuple(basis))

    def count(self, id: str, n) -> Ref:
        return self.page.q(id, float(n), "count", group_n=int(n), fmt="int", digits=0, label=id)

    def share(self, id: str, in_n: int, n: int, basis=()) -> Ref:
        return self.page.q(
            id,
            in_n / n if n else None,
            "share",
            group_n=int(n),
            in_n=int(in_n),
            fmt="pct",
            digits=1,
            label=id,
            basis=tuple(basis),
        )

    def p(self, id: str, value, n: int | None) -> Ref | str:
        if not _finite(value):
            return "–"
        return self.page.q(id, float(value), "estimate", group_n=n, fmt="p", digits=3, label=id)

    def fixed(self, id: str, value, digits: int = 0) -> Ref | str:
        if not _finite(value):
            return "–"
        return self.page.q(
            id, float(value), "fixed", fmt="int" if digits == 0 else "num", digits=digits, label=id
        )


def _yes(v: bool, lang: str) -> str:
    return t("validation.report.yes", lang) if bool(v) else t("validation.report.no", lang)


def _table(cols: list[tuple[str, str]], rows: list[dict], caption: str = "") -> Table:
    return Table([Column(k, lab) for k, lab in cols], rows, caption)


# ----------------------------------------------------------------------------------------
# the page
# ----------------------------------------------------------------------------------------
def build_page(study, *, lang: str = "nl", example_data: bool = False, title: str | None = None) -> Page:
    """The typed page of a :class:`~evalkit.methods.validation.study.ValidationStudy`."""
    check_lang(lang)
    st = study
    ins = st.instrument
    heading = title or t("validation.report.heading", lang, instrument=ins["id"])
    page = Page(title=heading, lang=lang, meta={"heading": heading})
    B = _Builder(page, lang)
    n = st.n
    if example_data:
        page.banner = Text(
            t("validation.report.example_data_synthetic_generated_with", lang),
            style="banner",
        )
    ratings = st.ratings
    cos = st.cosmin_in(lang)

    # -- sample (counts; margins are partitioned with the norm cells below) ---------------------
    n_ref = B.count("n", n)
    sample = page.section("sample", t("validation.report.sample", lang))
    sample.add(
        Text(
            t(
                "validation.report.sample_text",
                lang,
                items=len(ins["items"]),
                subscales=len(ins["subscales"]),
                sizes=", ".join(f"{k}: {len(v)}" for k, v in ins["subscales"].items()),
                reverse=", ".join(ins["reverse"]) or t("validation.study.none", lang),
            )
        )
    )
    del n_ref
    for col, counts in st.sample.items():
        rows = []
        ids = []
        for val, c in counts.items():
            cid = _key("sample", col, val)
            ids.append(cid)
            rows.append(
                {
                    "group": st.label(col, val, lang),
                    "n": B.count(cid, int(c)),
                    "share": B.share(
                        _key("sample", col, val, "share"), int(c), int(counts.sum()), basis=(cid,)
                    ),
                }
            )
        total_id = _key("sample", col, "total")
        B.count(total_id, int(counts.sum()))
        page.partition(_key("p.sample", col), total_id, ids)
        sample.add(_table([("group", col), ("n", "n"), ("share", t("validation.report.share", lang))], rows))

    # -- norms (registered early: their cells partition the sample margins) ----------------------
    nq = st.norm_cells
    by = list(st.settings.get("norm_groups", st.norms.by))
    norm_rows = []
    cell_ids: dict[tuple, str] = {}
    for grp, r in nq.iterrows():
        is_total = grp == "totaal"
        nid = _key("norm", grp, "n")
        nn = int(r["n"])
        if not is_total:
            cell_ids[tuple(str(r[c]) for c in by)] = nid
        cnt = B.count(nid, nn)
        label = (
            t("validation.report.everyone", lang)
            if is_total
            else ", ".join(st.label(c, r[c], lang) for c in by)
        )
        row = {
            "group": label,
            "n": cnt,
            "mean": B.mean(_key("norm", grp, "mean"), r["mean"], nn, 1, basis=(nid,)),
            "sd": B.mean(_key("norm", grp, "sd"), r["sd"], nn, 1, basis=(nid,)),
        }
        for q in ("p10", "p25", "p50", "p75", "p90"):
            if q in r.index:
                row[q] = B.mean(_key("norm", grp, q), r[q], nn, 0, basis=(nid,))
        norm_rows.append(row)
    if by and cell_ids:
        total_nid = _key("norm", "totaal", "n")
        if total_nid in page.quantities:
            page.partition("p.norms.total", total_nid, list(cell_ids.values()))
        # margins of the sample table: each is the sum of its norm cells
        for k, c in enumerate(by):
            if c not in st.sample:
                continue
            for val in st.sample[c].index:
                parts = [cid for key, cid in cell_ids.items() if key[k] == str(val)]
                mid = _key("sample", c, val)
                if parts and mid in page.quantities:
                    page.partition(_key("p.margin", c, val), mid, parts)

    # -- summary + COSMIN table ---------------------------------------------------------------------
    summ = page.section("summary", t("validation.report.summary", lang))
    for sentence in st.conclusions(lang, num=_placeholder)[:3]:
        summ.add(Text(sentence))
    cat = st.recommendation_category()
    summ.add(Text(t("validation.report.recommendation_category", lang, category=cat)))

    cs = page.section("cosmin", t("validation.report.cosmin_summary", lang))
    cs.add(
        Text(
            t("validation.report.rating_sufficient_insufficient_indeterminate_or", lang),
            style="note",
        )
    )
    ct = cos.tidy().set_index("term")
    from evalkit.methods.validation.study import COSMIN_ORDER

    rows = []
    for p in COSMIN_ORDER:
        r = ct.loc[p]
        rob = st.risk.get(p)
        g = st.grades.get(p)
        rows.append(
            {
                "property": st.property_name(p, lang),
                "result": _result_cell(st, p, str(r["result"]), lang),
                "criterion": cos.criterion_text(p, lang),
                "rating": str(r["rating"]),
                "rob": "" if rob is None else rob.text(lang).split(" (")[0],
                "evidence": "" if g is None else g.text(lang),
            }
        )
    cs.add(
        _table(
            [
                ("property", t("validation.report.measurement_property", lang)),
                ("result", t("validation.report.result", lang)),
                ("criterion", t("validation.report.criterion_for", lang)),
                ("rating", t("validation.report.rating", lang)),
                ("rob", t("validation.report.risk_of_bias", lang)),
                ("evidence", t("validation.report.quality_of_evidence", lang)),
            ],
            rows,
        )
    )
    # risk of bias per standard, and the downgrades
    rrows = []
    for p, rob in st.risk.items():
        for s in rob.standards:
            rrows.append(
                {
                    "property": st.property_name(p, lang),
                    "standard": standard_text(s, lang),
                    "rating": risk_name(s["rating"], lang),
                    "source": (s["reason"] or t("validation.report.stated", lang))
                    if s.get("key") and s.get("stated")
                    else (
                        t("validation.report.not_documented_rated_doubtful", lang)
                        if s.get("key")
                        else t("validation.report.from_the_analysis", lang)
                    ),
                }
            )
    cs.add(
        _table(
            [
                ("property", t("validation.report.property", lang)),
                ("standard", t("validation.report.risk_of_bias_standard", lang)),
                ("rating", t("validation.report.rating", lang)),
                ("source", t("validation.report.source", lang)),
            ],
            rrows,
            caption=t("validation.report.risk_of_bias_per_standard", lang),
        )
    )
    grows = []
    for p, g in st.grades.items():
        if g.level is None:
            continue
        grows.append(
            {
                "property": st.property_name(p, lang),
                "down": "; ".join(g.reason_texts(lang)) or t("validation.report.no_downgrading", lang),
                "level": g.text(lang),
            }
        )
    if grows:
        cs.add(
            _table(
                [
                    ("property", t("validation.report.property", lang)),
                    ("down", t("validation.report.downgraded_for", lang)),
                    ("level", t("validation.report.quality_of_evidence", lang)),
                ],
                grows,
                caption=t("validation.report.modified_grade_start_high", lang),
            )
        )

    # -- content validity: the committee fills it in ----------------------------------------------
    cv = page.section("content_validity", t("validation.report.content_validity", lang))
    cv.add(
        Text(
            t(
                "validation.report.content_validity_committee",
                lang,
                rating=ratings["content_validity"],
            )
        )
    )
    crit = [
        ("relevance", 1),
        ("relevance", 2),
        ("relevance", 3),
        ("relevance", 4),
        ("relevance", 5),
        ("comprehensiveness", 6),
        ("comprehensibility", 7),
        ("comprehensibility", 8),
        ("comprehensibility", 9),
        ("comprehensibility", 10),
    ]
    cv.add(
        _table(
            [
                ("aspect", t("validation.report.aspect", lang)),
                ("question", t("validation.report.criterion", lang)),
                ("rating", t("validation.report.rating_symbols", lang)),
                ("by", t("validation.report.rated_by_date", lang)),
            ],
            [
                {
                    "aspect": t(f"validation.content.{aspect}", lang),
                    "question": t(f"validation.content.criterion_{k}", lang),
                    "rating": "",
                    "by": "",
                }
                for aspect, k in crit
            ],
            caption=t("validation.report.to_be_filled_in_by", lang),
        )
    )

    # -- structural validity ---------------------------------------------------------------------------
    sv = page.section("structural_validity", t("validation.report.structural_validity", lang))
    pa = st.parallel
    sv.add(
        Text(
            t(
                "validation.report.structure_text",
                lang,
                factors=pa.n_factors,
                subscales=len(ins["subscales"]),
                estimator=st.estimator,
            )
            + (t("validation.report.wlsmv_fit_note", lang) if st.estimator == "WLSMV" else ".")
        )
    )
    frows = []
    for key, res in st.cfa.items():
        fi = res.reported_fit()
        lab = (
            t("validation.report.correlated_factors", lang, n_factors=len(ins["subscales"]))
            if key == "main"
            else t("validation.report.factor", lang)
        )
        frows.append(
            {
                "model": lab,
                "chi2": B.est(_key("cfa", key, "chi2"), fi["chi2"], n, 1),
                "df": B.fixed(_key("cfa", key, "df"), fi["df"]),
                "cfi": B.est(_key("cfa", key, "cfi"), fi["cfi"], n, 3),
                "tli": B.est(_key("cfa", key, "tli"), fi["tli"], n, 3),
                "rmsea": B.est(_key("cfa", key, "rmsea"), fi["rmsea"], n, 3),
                "rmsea_ci": _ci(
                    B, _key("cfa", key, "rmsea"), fi.get("rmsea_ci_lower"), fi.get("rmsea_ci_upper"), n, 3
                ),
                "srmr": B.est(_key("cfa", key, "srmr"), fi["srmr"], n, 3),
            }
        )
    sv.add(
        _table(
            [
                ("model", t("validation.report.model", lang)),
                (
                    "chi2",
                    "χ²" + (t("validation.report.scaled", lang) if st.estimator == "WLSMV" else ""),
                ),
                ("df", "df"),
                ("cfi", "CFI"),
                ("tli", "TLI"),
                ("rmsea", "RMSEA"),
                ("rmsea_ci", "RMSEA 90% CI"),
                ("srmr", "SRMR"),
            ],
            frows,
            caption=t("validation.report.fit_of_the_confirmatory_factor", lang),
        )
    )
    # standardized loadings, wide (item x factor)
    ld = st.cfa["main"].loadings.pivot(index="item", columns="factor", values="std_all").reindex(ins["items"])
    lrows = []
    for item, r in ld.iterrows():
        row = {"item": item}
        for f in ld.columns:
            row[f] = B.est(_key("cfa.load", item, f), r[f], n, 2) if _finite(r[f]) else ""
        lrows.append(row)
    sv.add(
        _table(
            [("item", "Item")] + [(f, f) for f in ld.columns],
            lrows,
            caption=t("validation.report.standardised_cfa_loadings", lang),
        )
    )

    # -- internal consistency --------------------------------------------------------------------------
    ic = page.section("internal_consistency", t("validation.report.internal_consistency", lang))
    crow = []
    for sname, r in st.consistency.iterrows():
        nn = int(r["n"])
        crow.append(
            {
                "subscale": sname,
                "k": str(int(r["n_items"])),
                "alpha": B.est(_key("ic", sname, "alpha"), r["alpha"], nn, 2),
                "alpha_ci": _ci(
                    B, _key("ic", sname, "alpha"), r["alpha_ci_lower"], r["alpha_ci_upper"], nn, 2
                ),
                "omega": B.est(_key("ic", sname, "omega"), r["omega_total"], nn, 2),
                "omega_ci": _ci(
                    B, _key("ic", sname, "omega"), r["omega_ci_lower"], r["omega_ci_upper"], nn, 2
                ),
            }
        )
    ic.add(
        _table(
            [
                ("subscale", t("validation.report.subscale", lang)),
                ("k", t("validation.report.items", lang)),
                ("alpha", "Cronbach's alpha"),
                ("alpha_ci", "95% CI (Feldt)"),
                ("omega", "omega total"),
                ("omega_ci", t("validation.report.ci_bootstrap", lang)),
            ],
            crow,
            caption=t("validation.report.reliability_of_the_subscale_sum", lang),
        )
    )
    if "ordinal_alpha" in st.consistency.columns:
        ic.add(
            Text(
                t(
                    "validation.report.ordinal_alpha_text",
                    lang,
                    values=", ".join(
                        f"{k} [[{_key('ic', k, 'ordinal_alpha')}]]" for k in st.consistency.index
                    ),
                ),
                style="note",
            )
        )
        for k, r in st.consistency.iterrows():
            B.est(_key("ic", k, "ordinal_alpha"), r["ordinal_alpha"], int(r["n"]), 2)
    if st.omega_h:
        B.est("ic.omega_h", st.omega_h["estimate"], n, 2)
        ic.add(
            Text(
                t("validation.report.omega_h_text", lang)
                + (t("validation.report.omega_h_caveat", lang) if not st.omega_h["identified"] else ""),
                style="note",
            )
        )

    # -- invariance + DIF --------------------------------------------------------------------------------
    iv = page.section("invariance", t("validation.report.measurement_invariance_and_dif", lang))
    rule = st.invariance_rule
    iv.add(
        Text(
            t(
                "validation.report.invariance_text",
                lang,
                estimator=rule["estimator"],
                min_group=rule["min_group"],
            )
            + " "
            + (
                t(
                    "validation.report.invariance_rule_wlsmv",
                    lang,
                    alpha=i18n.fmt_number(rule["alpha"], 2, lang),
                )
                if rule["estimator"] == "WLSMV"
                else t("validation.report.invariance_rule_ml", lang)
            )
            + " "
            + t("validation.report.dif_rule", lang)
        )
    )
    for g, res in st.invariance.items():
        srow = st.invariance_summary.loc[g]
        tab = res.reported_table()
        gn = int(srow["min_group_n"])
        rws = []
        for lv, r in tab.iterrows():
            rws.append(
                {
                    "level": _level_name(lv, lang),
                    "chi2": B.est(_key("inv", g, lv, "chi2"), r["chi2"], gn, 1),
                    "df": B.fixed(_key("inv", g, lv, "df"), r["df"]),
                    "cfi": B.est(_key("inv", g, lv, "cfi"), r["cfi"], gn, 3),
                    "rmsea": B.est(_key("inv", g, lv, "rmsea"), r["rmsea"], gn, 3),
                    "dchi2": B.est(_key("inv", g, lv, "dchi2"), r["delta_chi2"], gn, 1),
                    "ddf": B.fixed(_key("inv", g, lv, "ddf"), r["delta_df"]),
                    "p": B.p(_key("inv", g, lv, "p"), r["p_value"], gn),
                    "dcfi": B.est(_key("inv", g, lv, "dcfi"), r["delta_cfi"], gn, 3),
                    "drmsea": B.est(_key("inv", g, lv, "drmsea"), r["delta_rmsea"], gn, 3),
                    "holds": "" if lv == tab.index[0] else _yes(_holds(r, rule["estimator"]), lang),
                }
            )
        groups_txt = ", ".join(st.label(g, v, lang) for v in str(srow["groups"]).split(", "))
        left = str(srow["left_out"])
        cap = f"{g}: {groups_txt}" + (
            t(
                "validation.report.left_out_groups",
                lang,
                groups=", ".join(st.label(g, v, lang) for v in left.split(", ")),
            )
            if left
            else ""
        )
        iv.add(
            _table(
                [
                    ("level", t("validation.report.level", lang)),
                    ("chi2", "χ²"),
                    ("df", "df"),
                    ("cfi", "CFI"),
                    ("rmsea", "RMSEA"),
                    ("dchi2", "Δχ²"),
                    ("ddf", "Δdf"),
                    ("p", "p"),
                    ("dcfi", "ΔCFI"),
                    ("drmsea", "ΔRMSEA"),
                    ("holds", t("validation.report.holds", lang)),
                ],
                rws,
                caption=cap,
            )
        )
        if g in st.partial and srow["freed"]:
            iv.add(
                Text(
                    t(
                        f"validation.report.partial_{'holds' if srow['partial_holds'] else 'fails'}",
                        lang,
                        group=g,
                        items=srow["freed"],
                    )
                )
            )
    dt = st.dif_table
    if len(dt):
        piv = dt.pivot_table(index="item", columns="group", values="delta_r2", aggfunc="first").reindex(
            ins["items"]
        )
        flags = dt.set_index(["item", "group"])["flag"]
        drows = []
        for item, r in piv.iterrows():
            row = {"item": item}
            for g in piv.columns:
                gn_g = int(st.invariance_summary.loc[g, "n"]) if g in st.invariance_summary.index else None
                ref = B.est(_key("dif", g, item), r[g], gn_g, 3)
                row[g] = ref
                row[f"{g}_flag"] = "DIF" if bool(flags.get((item, g), False)) else ""
            drows.append(row)
        cols = [("item", "Item")]
        for g in piv.columns:
            cols += [(g, f"ΔR² {g}"), (f"{g}_flag", "")]
        iv.add(
            _table(
                cols,
                drows,
                caption=t("validation.report.dif_screening_mcfadden_r_per", lang),
            )
        )

    # -- reliability + measurement error ---------------------------------------------------------------
    rl = page.section("reliability", t("validation.report.reliability_and_measurement_error", lang))
    if len(st.retest):
        rr = []
        for s, r in st.retest.iterrows():
            nn = int(r["n"])
            rr.append(
                {
                    "score": s,
                    "n": B.count(_key("rt", s, "n"), nn),
                    "icc": B.est(_key("rt", s, "icc"), r["icc"], nn, 2),
                    "icc_ci": _ci(B, _key("rt", s, "icc"), r["icc_ci_lower"], r["icc_ci_upper"], nn, 2),
                    "lower_ok": _yes(r["icc_ci_lower"] >= 0.70, lang),
                    "sem": B.est(_key("rt", s, "sem"), r["sem"], nn, 2),
                    "sdc": B.est(_key("rt", s, "sdc"), r["sdc"], nn, 1),
                }
            )
        rl.add(Text(t("validation.report.icc_two_way_random_effects", lang)))
        rl.add(
            _table(
                [
                    ("score", t("validation.report.score", lang)),
                    ("n", t("validation.report.pairs", lang)),
                    ("icc", "ICC(2,1)"),
                    ("icc_ci", "95% CI"),
                    ("lower_ok", t("validation.report.lower_limit", lang)),
                    ("sem", "SEM"),
                    ("sdc", "SDC"),
                ],
                rr,
            )
        )
    else:
        rl.add(Text(t("validation.report.no_retest_in_these_data", lang)))

    # -- hypotheses -------------------------------------------------------------------------------------
    hs = page.section(
        "hypotheses",
        t("validation.report.hypotheses_testing_construct_validity", lang),
    )
    hs.add(Text(t("validation.report.hypotheses_stated_in_advance_with", lang)))
    hr = []
    for k, h in enumerate(st.hypotheses.itertuples()):
        nn = int(h.n)
        hr.append(
            {
                "hyp": st.hypothesis_text(h, lang),
                "stat": h.statistic,
                "est": B.est(_key("hyp", k, "est"), h.estimate, nn, 2),
                "ci": _ci(B, _key("hyp", k, "est"), h.ci_lower, h.ci_upper, nn, 2),
                "n": _hyp_n(B, st, h, k, nn),
                "conf": _yes(h.confirmed, lang),
                "without": "",
                "without_items": "",
                "counted": _yes(h.counted, lang),
            }
        )
        if h.dif_items:
            ref = B.est(_key("hyp", k, "without"), h.estimate_without, nn, 2)
            hr[-1]["without"] = ref
            hr[-1]["without_items"] = f"{h.dif_items} ({_yes(h.confirmed_without, lang)})"
    if hr:
        hs.add(
            _table(
                [
                    ("hyp", t("validation.report.hypothesis", lang)),
                    ("stat", ""),
                    ("est", t("validation.report.estimate", lang)),
                    ("ci", "95% CI"),
                    ("n", "n"),
                    ("conf", t("validation.report.confirmed", lang)),
                    ("without", t("validation.report.without_dif_item", lang)),
                    (
                        "without_items",
                        t("validation.report.dif_item_confirmed_without", lang),
                    ),
                    ("counted", t("validation.report.counted_as_confirmed", lang)),
                ],
                hr,
            )
        )
    else:
        hs.add(Text(t("validation.report.no_hypotheses_were_stated_not", lang)))

    # -- criterion + responsiveness ------------------------------------------------------------------------
    cr = page.section(
        "criterion",
        t("validation.report.criterion_validity_and_responsiveness", lang),
    )
    if st.criterion is None:
        cr.add(Text(t("validation.report.criterion_validity_not_assessed_it", lang)))
    else:
        B.est("crit.auc", st.criterion.auc, n, 2)
        cr.add(Text(t("validation.report.criterion_auc", lang, gold_standard=st.gold_standard)))
    if st.responsiveness is None:
        cr.add(Text(t("validation.report.responsiveness_not_assessed_needs_two", lang)))
    else:
        B.est("resp.auc", st.responsiveness.auc, None, 2)
        cr.add(Text(t("validation.report.responsiveness_auc_of_the_change", lang)))

    # -- norms (quantities registered above) ----------------------------------------------------------------
    nm = page.section("norms", t("validation.report.norms", lang))
    nm.add(
        Text(
            t(
                "validation.report.norms_text",
                lang,
                by=", ".join(by) or t("validation.report.everyone", lang),
                min_cell=st.provenance["min_cell"],
            )
        )
    )
    nm.add(
        _table(
            [
                ("group", t("validation.report.norm_group", lang)),
                ("n", "n"),
                ("mean", t("validation.report.mean", lang)),
                ("sd", "SD"),
                ("p10", "P10"),
                ("p25", "P25"),
                ("p50", "P50"),
                ("p75", "P75"),
                ("p90", "P90"),
            ],
            norm_rows,
        )
    )

    # -- conclusions ------------------------------------------------------------------------------------
    cc = page.section("conclusions", t("validation.report.conclusions_and_recommendations", lang))
    for sentence in st.conclusions(lang, num=_placeholder):
        cc.add(Text(sentence))
    cc.add(Text(t("validation.report.recommendations", lang)))
    for k, r in enumerate(st.recommendations(lang), start=1):
        cc.add(Text(f"{k}. {r}"))

    # -- methods and provenance ------------------------------------------------------------------------
    mt = page.section("methods", t("validation.report.methods_and_provenance", lang))
    pv = st.provenance
    mrows = [
        (t("validation.report.data_file", lang), pv.get("data_label") or "–"),
        (
            "SHA-256",
            pv["data_sha256"]
            + ("" if pv["data_sha256_of"] == "file" else t("validation.report.of_the_data_table", lang)),
        ),
        (t("validation.report.codebook", lang), f"{pv['codebook']} ({ins['id']})"),
        (t("validation.report.measurements", lang), ", ".join(pv["waves"]) or "–"),
        ("evalkit", pv["evalkit_version"]),
        ("Python / numpy / pandas", f"{pv['python']} / {pv['numpy']} / {pv['pandas']}"),
        (t("validation.report.estimator_cfa_invariance", lang), pv["estimator"]),
        (
            t("validation.report.invariance_decision", lang),
            t("validation.report.scaled_chi_square_difference_test", lang)
            + f", alpha = {i18n.fmt_number(rule['alpha'], 2, lang)}"
            if rule["estimator"] == "WLSMV"
            else "ΔCFI > -0.01 & ΔRMSEA < 0.015",
        ),
        (
            t("validation.report.efa", lang),
            t("validation.report.minres_oblimin_parallel_analysis_with", lang),
        ),
        (
            t("validation.report.bootstrap", lang),
            t("validation.report.bootstrap_replicates", lang, n_boot=pv["n_boot"]),
        ),
        (t("validation.report.seed", lang), str(pv["seed"])),
        (t("validation.report.confidence_level", lang), f"{pv['confidence']:.0%}"),
        (
            t("validation.report.privacy_threshold", lang),
            t("validation.report.groups_hidden", lang, min_cell=pv["min_cell"]),
        ),
        (t("validation.report.date", lang), pv["date"]),
    ]
    mt.add(
        _table(
            [
                ("what", t("validation.report.item", lang)),
                ("value", t("validation.report.value", lang)),
            ],
            [{"what": a, "value": b} for a, b in mrows],
        )
    )

    # -- appendix: full tables ---------------------------------------------------------------------------
    ap = page.section("appendix", t("validation.report.appendix_full_tables", lang))
    it = st.items.table.loc[ins["items"]]
    arows = []
    for item, r in it.iterrows():
        arows.append(
            {
                "item": item,
                "mean": B.mean(_key("item", item, "mean"), r["mean"], n, 2),
                "sd": B.mean(_key("item", item, "sd"), r["sd"], n, 2),
                "r_drop": B.est(_key("item", item, "r_drop"), r["r_drop"], n, 2),
                "aid": B.est(_key("item", item, "aid"), r["alpha_if_deleted"], n, 2),
                "floor": _share_or_dash(B, item, "floor", r["floor"], n),
                "ceiling": _share_or_dash(B, item, "ceiling", r["ceiling"], n),
            }
        )
    ap.add(
        _table(
            [
                ("item", "Item"),
                ("mean", t("validation.report.mean_keyed", lang)),
                ("sd", "SD"),
                ("r_drop", t("validation.report.corrected_item_total_r", lang)),
                ("aid", t("validation.report.alpha_if_deleted", lang)),
                ("floor", t("validation.report.at_lowest_answer", lang)),
                ("ceiling", t("validation.report.at_highest_answer", lang)),
            ],
            arows,
            caption=t("validation.report.item_analysis_first_measurement", lang),
        )
    )
    el = st.efa.loadings.reindex(ins["items"])
    erows = []
    for item, r in el.iterrows():
        row = {"item": item}
        for f in el.columns:
            row[str(f)] = B.est(_key("efa", item, f), r[f], n, 2)
        erows.append(row)
    ap.add(
        _table(
            [("item", "Item")] + [(str(f), str(f)) for f in el.columns],
            erows,
            caption=t("validation.report.efa_loadings_minres_oblimin_items", lang),
        )
    )
    if st.irt:
        rows = []
        bcols: list[str] = []
        for sname, g in st.irt.items():
            coef = g.coef(irt_pars=True)
            bcols = sorted(set(bcols) | {c for c in coef.columns if c.startswith("b")})
            for item, r in coef.iterrows():
                row = {"item": item, "subscale": sname}
                for c in coef.columns:
                    row[c] = B.est(_key("irt", item, c), r[c], n, 2)
                rows.append(row)
        ap.add(
            _table(
                [("item", "Item"), ("subscale", t("validation.report.subscale", lang)), ("a", "a")]
                + [(c, c) for c in bcols],
                rows,
                caption=t("validation.report.grm_caption", lang),
            )
        )
    # -- references --------------------------------------------------------------------------------------
    rf = page.section("references", t("validation.report.references", lang))
    for ref in REFERENCES:
        rf.add(Text(ref, style="note"))

    # sections in the order of SECTIONS
    order = {s: k for k, s in enumerate(SECTIONS)}
    page.sections.sort(key=lambda s: order.get(s.id, 99))
    page.check()
    return page


def _placeholder(id: str, value, digits: int) -> str:
    """A number in a computed sentence, as a placeholder of the page's quantity ``id``."""
    return f"[[{id}]]"


def _result_cell(st, p: str, text: str, lang: str) -> Text | str:
    """The COSMIN result cell with its numbers as placeholders (so the disclosure layer
    decides them like every other number on the page)."""
    worst_icc = st.settings.get("worst_icc")
    worst_sdc = st.settings.get("worst_sdc")
    if p == "structural_validity":
        return Text(
            t("validation.report.result_fit", lang)
            + (t("validation.report.result_fit_scaled", lang) if st.estimator == "WLSMV" else "")
        )
    if p == "internal_consistency":
        parts = "; ".join(f"{k}: alpha [[{_key('ic', k, 'alpha')}]]" for k in st.consistency.index)
        worst = st.consistency["alpha"].idxmin()
        extra = t("validation.report.result_worst", lang, score=worst) if len(st.consistency) > 1 else ""
        if st.ratings["structural_validity"] != "+":
            extra += t("validation.report.result_no_structural", lang)
        return Text(parts + extra)
    if p == "reliability" and worst_icc:
        base = _key("rt", worst_icc, "icc")
        return Text(
            t("validation.report.result_icc", lang, base=base, score=worst_icc)
            + (
                t("validation.report.result_lower_below", lang)
                if st.retest.loc[worst_icc, "icc_ci_lower"] < 0.70
                else ""
            )
        )
    if p == "measurement_error" and worst_sdc:
        mic = st.settings.get("mic")
        return Text(
            t("validation.report.result_sdc", lang, base=_key("rt", worst_sdc, "sdc"), score=worst_sdc)
            + (
                t("validation.report.result_mic", lang, mic=i18n.fmt_number(float(mic), 2, lang))
                if mic
                else t("validation.report.result_no_mic", lang)
            )
        )
    if p == "criterion_validity" and st.criterion is not None:
        return Text(t("validation.report.result_auc", lang, id="crit.auc"))
    if p == "responsiveness" and st.responsiveness is not None:
        return Text(t("validation.report.result_auc", lang, id="resp.auc"))
    return text


def _hyp_n(B: _Builder, st, h, k: int, nn: int):
    """n of a hypothesis. A known-groups n is the sum of two groups: written as the sum of the
    sample counts (so the disclosure layer decides it with them), or, for a grouping made
    from a column, as two counts partitioned under the total."""
    if h.kind != "known_groups":
        return B.count(_key("hyp", k, "n"), nn)
    g = h.group
    if g in st.sample:
        a, b = _key("sample", g, h.higher), _key("sample", g, h.lower)
        if a in B.page.quantities and b in B.page.quantities:
            return Text(f"[[{a}]] + [[{b}]]")
    hi, lo = int(h.n_higher), int(h.n_lower)
    ia, ib = _key("hyp", k, "n_higher"), _key("hyp", k, "n_lower")
    B.count(ia, hi)
    B.count(ib, lo)
    if hi + lo == st.n:
        B.page.partition(_key("p.hyp", k), "n", [ia, ib])
    return Text(f"[[{ia}]] + [[{ib}]]")


def _share_or_dash(B: _Builder, item: str, what: str, share, n: int):
    if not _finite(share):
        return "–"
    k = int(round(float(share) * n))
    return B.share(_key("item", item, what), k, n)


def _ci(B: _Builder, base: str, lo, hi, n, digits: int) -> Text | str:
    if not (_finite(lo) and _finite(hi)):
        return "–"
    B.est(base + ".lo", lo, n, digits)
    B.est(base + ".hi", hi, n, digits)
    return Text(f"[[[{base}.lo]], [[{base}.hi]]]")


def _holds(row: pd.Series, estimator: str) -> bool:
    cols = ["lrt_invariant"] if estimator == "WLSMV" else ["cfi_invariant", "rmsea_invariant"]
    return all(pd.isna(row[c]) or bool(row[c]) for c in cols)


_LEVELS = ("configural", "thresholds", "thresholds_loadings", "metric", "scalar")


def _level_name(lv: str, lang: str) -> str:
    return t(f"validation.level.{lv}", lang) if lv in _LEVELS else lv


# ----------------------------------------------------------------------------------------
# render
# ----------------------------------------------------------------------------------------
@dataclass
class ValidationOutcome:
    html: str
    record: dict
    study: Any
    page: Page
    html_path: Path | None = None
    record_path: Path | None = None


def _read(data_path, codebook: str, lang: str) -> pd.DataFrame:
    from evalkit.data.readers import read

    return read(data_path, codebook, lang=lang)


def disclose_and_render(
    page: Page, *, min_cell: int = 10, basename: str = "validatierapport"
) -> tuple[str, dict, Any]:
    """Disclose, render and audit a page (raises DisclosureError when the audit fails)."""
    from evalkit.reports.html import render_page

    d = disclosure.apply(page, Policy(int(min_cell)))
    rendered = render_page(d, extra_html=TEXT_CELLS_LEFT)
    rec = disclosure.record(
        d, rendered.displays, page_html=rendered.html, page_name=f"{basename}.html", places=rendered.places
    )
    bad = disclosure.audit_record(rec, page_html=rendered.html)
    if bad:
        raise disclosure.DisclosureError(
            "the validation report breaks the privacy rules: "
            + "; ".join(f"{v.rule}: {v.message}" for v in bad[:5]),
            bad,
        )
    return rendered.html, rec, d


def _study_kwargs(params: Mapping[str, Any]) -> dict:
    allowed = {
        "codebook",
        "estimator",
        "invariance_groups",
        "wlsmv_alpha",
        "hypotheses",
        "known_groups_hypotheses",
        "gold_standard",
        "anchor",
        "mic",
        "content_validity",
        "design",
        "indirectness",
        "norm_groups",
        "min_cell",
        "n_boot",
        "seed",
        "confidence",
    }
    unknown = set(params) - allowed
    if unknown:
        raise ParameterError(f"unknown parameter(s) {sorted(unknown)}; allowed: {sorted(allowed)}.")
    return dict(params)


def render_validation(
    data,
    output_dir: str | os.PathLike | None = None,
    *,
    lang: str = "nl",
    basename: str = "validatierapport",
    example_data: bool = False,
    study=None,
    **params: Any,
) -> ValidationOutcome:
    """Compute, disclose, render and audit the validation report; write it when
    ``output_dir`` is given (``<basename>.html`` + ``<basename>.disclosure.json``).

    ``data`` is a file path (read and validated with the codebook; its SHA-256 is in the
    methods section) or a DataFrame; ``params`` go to
    :func:`~evalkit.methods.validation.study.validation_study`. A ready ``study`` can be
    passed instead (the page of another language without recomputing).
    """
    from evalkit.methods.validation.study import validation_study
    from evalkit.reports.files import atomic_write, file_sha256

    if lang not in i18n.LANGS:
        raise ParameterError(f"lang={lang!r} is not allowed; use 'nl' or 'en'.")
    kw = _study_kwargs(params)
    min_cell = int(kw.get("min_cell", 10))
    if study is None:
        if isinstance(data, (str, os.PathLike)):
            path = Path(data)
            if not path.is_file():
                raise ParameterError(f"data file {str(path)!r} not found.")
            df = _read(path, kw.get("codebook", "youth_instrument"), lang)
            if isinstance(df, tuple):  # pragma: no cover - readers returning (data, errors)
                df = df[0]
            kw.update(data_sha256=file_sha256(path), data_label=path.name)
        elif isinstance(data, pd.DataFrame):
            df = data
        else:
            raise DataValidationError("data must be a file path or a DataFrame.")
        study = validation_study(df, **kw)
    page = build_page(study, lang=lang, example_data=example_data)
    html, rec, _ = disclose_and_render(page, min_cell=min_cell, basename=basename)
    out = ValidationOutcome(html=html, record=rec, study=study, page=page)
    if output_dir is not None:
        od = Path(output_dir)
        od.mkdir(parents=True, exist_ok=True)
        out.html_path = atomic_write(od / f"{basename}.html", html)
        out.record_path = atomic_write(
            od / f"{basename}{disclosure.RECORD_SUFFIX}", json.dumps(rec, indent=1, ensure_ascii=False)
        )
    return out


# ----------------------------------------------------------------------------------------
# the notebook view (templates/validation_report.ipynb)
# ----------------------------------------------------------------------------------------
class ValidationReport:
    """Sections of one disclosed validation report, for the template notebook."""

    def __init__(self, page: Page, min_cell: int = 10):
        from evalkit.reports.html import render_page

        self.disclosed = disclosure.apply(page, Policy(int(min_cell)))
        self.rendered = render_page(self.disclosed)
        self.section_ids = [s.id for s in page.sections]
        self._titles = {s.id: f"{k}. {s.title}" for k, s in enumerate(page.sections, start=1)}

    def section_html(self, section: str) -> str:
        import html as _h

        if section not in self.section_ids:
            raise ParameterError(
                f"section={section!r} is not allowed; use one of: {', '.join(self.section_ids)}."
            )
        head = ""
        if section == self.section_ids[0]:
            page = self.disclosed.page
            head = f"<h1>{_h.escape(page.meta.get('heading', page.title))}</h1>"
            if page.banner is not None:
                from evalkit.reports.html import _Ctx, _text_block

                head += _text_block(_Ctx(self.disclosed), page.banner)
        return (
            f'{head}<section id="{section}" data-section="{section}">'
            f"<h2>{_h.escape(self._titles[section])}</h2>{self.rendered.sections[section]}</section>"
        )

    def show(self, section: str) -> None:
        from IPython.display import HTML, display

        display(HTML(self.section_html(section)))

    def record(self) -> dict:
        return disclosure.record(
            self.disclosed, self.rendered.displays, page_html="", page_name="", places=self.rendered.places
        )

    def emit_record(self) -> None:
        from IPython.display import display

        from evalkit.reports.notebook import RECORD_MIME

        display({RECORD_MIME: self.record()}, raw=True)


def load(*, data_path: str, lang: str = "nl", example_data: bool = False, **params: Any) -> ValidationReport:
    """What the template calls: read, compute and disclose the report once."""
    out = render_validation(data_path, None, lang=lang, example_data=example_data, **params)
    return ValidationReport(out.page, int(params.get("min_cell", 10)))
