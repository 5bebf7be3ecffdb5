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


def _t(en: str, nl: str, lang: str) -> str:
    return i18n.t({"en": en, "nl": nl}, lang)


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
    return _t("yes", "ja", lang) if bool(v) else _t("no", "nee", lang)


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
    heading = title or _t(
        f"Validation report: {ins['id']} (COSMIN)", f"Validatierapport: {ins['id']} (COSMIN)", lang
    )
    page = Page(title=heading, lang=lang, meta={"heading": heading})
    B = _Builder(page, lang)
    n = st.n
    if example_data:
        page.banner = Text(
            _t(
                "Example data (synthetic, generated with known truth): this page shows the method, not a real instrument.",
                "Voorbeeldgegevens (synthetisch, gemaakt met bekende waarheid): deze pagina toont de methode, geen echt instrument.",
                lang,
            ),
            style="banner",
        )
    ratings = st.ratings
    cos = st.cosmin_in(lang)

    # -- sample (counts; margins are partitioned with the norm cells below) ---------------------
    n_ref = B.count("n", n)
    sample = page.section("sample", _t("Sample", "Steekproef", lang))
    sample.add(
        Text(
            _t(
                f"[[n]] respondents at the first measurement, {len(ins['items'])} items in "
                f"{len(ins['subscales'])} subscales ({', '.join(f'{k}: {len(v)}' for k, v in ins['subscales'].items())}); "
                f"reverse keyed: {', '.join(ins['reverse']) or 'none'}.",
                f"[[n]] respondenten bij de eerste meting, {len(ins['items'])} items in "
                f"{len(ins['subscales'])} subschalen ({', '.join(f'{k}: {len(v)}' for k, v in ins['subscales'].items())}); "
                f"omgekeerd gescoord: {', '.join(ins['reverse']) or 'geen'}.",
                lang,
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
        sample.add(_table([("group", col), ("n", "n"), ("share", _t("share", "aandeel", lang))], rows))

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
            _t("everyone", "iedereen", lang) if is_total else ", ".join(st.label(c, r[c], lang) for c in by)
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
    summ = page.section("summary", _t("Summary", "Samenvatting", lang))
    for sentence in st.conclusions(lang)[:3]:
        summ.add(Text(sentence))
    cat = st.recommendation_category()
    summ.add(
        Text(
            _t(
                f"COSMIN recommendation category: {cat} (Prinsen et al. 2018; computed from the ratings and grades below).",
                f"COSMIN-aanbevelingscategorie: {cat} (Prinsen et al. 2018; berekend uit de beoordelingen hieronder).",
                lang,
            )
        )
    )

    cs = page.section("cosmin", _t("COSMIN summary", "COSMIN-overzicht", lang))
    cs.add(
        Text(
            _t(
                "Rating: + sufficient, - insufficient, ? indeterminate or not assessed (criteria of Prinsen et al. 2018; "
                "subscales rated on the worst). Risk of bias: COSMIN Risk of Bias checklist, worst standard counts "
                "(Mokkink et al. 2018). Evidence: modified GRADE, starting high and downgraded for risk of bias, "
                "inconsistency, imprecision (n < 100: -1, n < 50: -2) and indirectness.",
                "Beoordeling: + voldoende, - onvoldoende, ? onbepaald of niet onderzocht (criteria van Prinsen et al. 2018; "
                "subschalen beoordeeld op de laagste). Risico op bias: COSMIN Risk of Bias-checklist, de zwakste standaard "
                "telt (Mokkink et al. 2018). Bewijs: gemodificeerde GRADE, begint hoog en gaat omlaag voor risico op bias, "
                "inconsistentie, onnauwkeurigheid (n < 100: -1, n < 50: -2) en indirectheid.",
                lang,
            ),
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
                "result": str(r["result"]),
                "criterion": cos.criterion_text(p, lang),
                "rating": str(r["rating"]),
                "rob": "" if rob is None else rob.text(lang).split(" (")[0],
                "evidence": "" if g is None else g.text(lang),
            }
        )
    cs.add(
        _table(
            [
                ("property", _t("Measurement property", "Meeteigenschap", lang)),
                ("result", _t("Result", "Resultaat", lang)),
                ("criterion", _t("Criterion for +", "Criterium voor +", lang)),
                ("rating", _t("Rating", "Beoordeling", lang)),
                ("rob", _t("Risk of bias", "Risico op bias", lang)),
                ("evidence", _t("Quality of evidence", "Kwaliteit van bewijs", lang)),
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
                    "standard": i18n.t(s["standard"], lang),
                    "rating": _risk_word(s["rating"], lang),
                    "source": (s["reason"] or _t("stated", "opgegeven", lang))
                    if s.get("key") and s.get("stated")
                    else (
                        _t("not documented: rated doubtful", "niet vastgelegd: twijfelachtig", lang)
                        if s.get("key")
                        else _t("from the analysis", "uit de analyse", lang)
                    ),
                }
            )
    cs.add(
        _table(
            [
                ("property", _t("Property", "Eigenschap", lang)),
                ("standard", _t("Risk-of-bias standard", "Standaard risico op bias", lang)),
                ("rating", _t("Rating", "Beoordeling", lang)),
                ("source", _t("Source", "Bron", lang)),
            ],
            rrows,
            caption=_t("Risk of bias per standard", "Risico op bias per standaard", lang),
        )
    )
    grows = []
    for p, g in st.grades.items():
        if g.level is None:
            continue
        grows.append(
            {
                "property": st.property_name(p, lang),
                "down": "; ".join(i18n.t(x, lang) for x in g.reasons)
                or _t("no downgrading", "niet verlaagd", lang),
                "level": g.text(lang),
            }
        )
    if grows:
        cs.add(
            _table(
                [
                    ("property", _t("Property", "Eigenschap", lang)),
                    ("down", _t("Downgraded for", "Verlaagd vanwege", lang)),
                    ("level", _t("Quality of evidence", "Kwaliteit van bewijs", lang)),
                ],
                grows,
                caption=_t("Modified GRADE (start: high)", "Gemodificeerde GRADE (start: hoog)", lang),
            )
        )

    # -- content validity: the committee fills it in ----------------------------------------------
    cv = page.section("content_validity", _t("Content validity", "Inhoudsvaliditeit", lang))
    cv.add(
        Text(
            _t(
                "Content validity cannot be computed from responses. The committee rates the ten criteria of "
                "Terwee et al. (2018) with children and professionals; the rating in the COSMIN table is the "
                f"committee's (now: {ratings['content_validity']}).",
                "Inhoudsvaliditeit volgt niet uit antwoorden. De commissie beoordeelt de tien criteria van "
                "Terwee et al. (2018) met kinderen en professionals; de beoordeling in het COSMIN-overzicht is die "
                f"van de commissie (nu: {ratings['content_validity']}).",
                lang,
            )
        )
    )
    crit = [
        (
            "Relevance",
            "Relevantie",
            "Are the included items relevant for the construct of interest?",
            "Zijn de items relevant voor het construct?",
        ),
        (
            "Relevance",
            "Relevantie",
            "Are the items relevant for the target population (8-17 years)?",
            "Zijn de items relevant voor de doelgroep?",
        ),
        (
            "Relevance",
            "Relevantie",
            "Are the items relevant for the context of use?",
            "Zijn de items relevant voor de gebruikscontext?",
        ),
        (
            "Relevance",
            "Relevantie",
            "Are the response options appropriate?",
            "Zijn de antwoordmogelijkheden passend?",
        ),
        ("Relevance", "Relevantie", "Is the recall period appropriate?", "Is de terugblikperiode passend?"),
        (
            "Comprehensiveness",
            "Volledigheid",
            "Are all key concepts included?",
            "Zijn alle kernbegrippen opgenomen?",
        ),
        (
            "Comprehensibility",
            "Begrijpelijkheid",
            "Are the instructions understood as intended?",
            "Worden de instructies begrepen zoals bedoeld?",
        ),
        (
            "Comprehensibility",
            "Begrijpelijkheid",
            "Are the items and response options understood as intended?",
            "Worden items en antwoorden begrepen zoals bedoeld?",
        ),
        (
            "Comprehensibility",
            "Begrijpelijkheid",
            "Are the items appropriately worded?",
            "Zijn de items passend geformuleerd?",
        ),
        (
            "Comprehensibility",
            "Begrijpelijkheid",
            "Do the response options match the question?",
            "Passen de antwoorden bij de vraag?",
        ),
    ]
    cv.add(
        _table(
            [
                ("aspect", _t("Aspect", "Aspect", lang)),
                ("question", _t("Criterion", "Criterium", lang)),
                ("rating", _t("Rating (+ / - / ±)", "Beoordeling (+ / - / ±)", lang)),
                ("by", _t("Rated by, date", "Beoordeeld door, datum", lang)),
            ],
            [
                {"aspect": _t(a_en, a_nl, lang), "question": _t(q_en, q_nl, lang), "rating": "", "by": ""}
                for a_en, a_nl, q_en, q_nl in crit
            ],
            caption=_t("To be filled in by the committee", "In te vullen door de commissie", lang),
        )
    )

    # -- structural validity ---------------------------------------------------------------------------
    sv = page.section("structural_validity", _t("Structural validity", "Structurele validiteit", lang))
    pa = st.parallel
    sv.add(
        Text(
            _t(
                f"Parallel analysis (Horn 1965): {pa.n_factors} factor(s) (the codebook has {len(ins['subscales'])} subscales). "
                f"CFA estimator: {st.estimator}"
                + (
                    " (ordinal items; fit rated on the scaled CFI, TLI and RMSEA, and SRMR)."
                    if st.estimator == "WLSMV"
                    else "."
                ),
                f"Parallelle analyse (Horn 1965): {pa.n_factors} factor(en) (het codeboek heeft {len(ins['subscales'])} subschalen). "
                f"CFA-schatter: {st.estimator}"
                + (
                    " (ordinale items; fit beoordeeld op de geschaalde CFI, TLI en RMSEA, en SRMR)."
                    if st.estimator == "WLSMV"
                    else "."
                ),
                lang,
            )
        )
    )
    frows = []
    for key, res in st.cfa.items():
        fi = res.reported_fit()
        lab = (
            _t(
                f"{len(ins['subscales'])} correlated factors (codebook)",
                f"{len(ins['subscales'])} gecorreleerde factoren (codeboek)",
                lang,
            )
            if key == "main"
            else _t("1 factor", "1 factor", lang)
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
                ("model", _t("Model", "Model", lang)),
                (
                    "chi2",
                    "χ²"
                    + (
                        " (scaled)"
                        if st.estimator == "WLSMV" and lang == "en"
                        else " (geschaald)"
                        if st.estimator == "WLSMV"
                        else ""
                    ),
                ),
                ("df", "df"),
                ("cfi", "CFI"),
                ("tli", "TLI"),
                ("rmsea", "RMSEA"),
                ("rmsea_ci", "RMSEA 90% CI"),
                ("srmr", "SRMR"),
            ],
            frows,
            caption=_t(
                "Fit of the confirmatory factor models", "Fit van de confirmatieve factormodellen", lang
            ),
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
            caption=_t("Standardised CFA loadings", "Gestandaardiseerde CFA-ladingen", lang),
        )
    )

    # -- internal consistency --------------------------------------------------------------------------
    ic = page.section("internal_consistency", _t("Internal consistency", "Interne consistentie", lang))
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
                ("subscale", _t("Subscale", "Subschaal", lang)),
                ("k", _t("items", "items", lang)),
                ("alpha", "Cronbach's alpha"),
                ("alpha_ci", "95% CI (Feldt)"),
                ("omega", "omega total"),
                ("omega_ci", _t("95% CI (bootstrap)", "95%-BI (bootstrap)", lang)),
            ],
            crow,
            caption=_t(
                "Reliability of the subscale sum scores", "Betrouwbaarheid van de subschaal-somscores", lang
            ),
        )
    )
    if "ordinal_alpha" in st.consistency.columns:
        ic.add(
            Text(
                _t(
                    "Ordinal alpha (Zumbo et al. 2007), computed on the polychoric correlations: "
                    + ", ".join(f"{k} [[{_key('ic', k, 'ordinal_alpha')}]]" for k in st.consistency.index)
                    + ". It describes the latent response variables, not the reliability of the sum score that users "
                    "compute, and is not rated.",
                    "Ordinale alpha (Zumbo et al. 2007), berekend op de polychorische correlaties: "
                    + ", ".join(f"{k} [[{_key('ic', k, 'ordinal_alpha')}]]" for k in st.consistency.index)
                    + ". Die beschrijft de latente responsvariabelen, niet de betrouwbaarheid van de somscore die "
                    "gebruikers berekenen, en wordt niet beoordeeld.",
                    lang,
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
                _t(
                    "Omega hierarchical of the total score (Schmid-Leiman, Zinbarg et al. 2005): [[ic.omega_h]]."
                    + (
                        " Caveat: with two group factors the general-factor loadings of a Schmid-Leiman solution are "
                        "not identified (they are fixed by assuming equal loadings of the two factors on the general "
                        "factor); read the value as a rough indication, not as an estimate."
                        if not st.omega_h["identified"]
                        else ""
                    ),
                    "Omega hiërarchisch van de totaalscore (Schmid-Leiman, Zinbarg et al. 2005): [[ic.omega_h]]."
                    + (
                        " Kanttekening: met twee groepsfactoren zijn de ladingen op de algemene factor van een "
                        "Schmid-Leiman-oplossing niet geïdentificeerd (vastgelegd door gelijke ladingen van beide "
                        "factoren aan te nemen); lees de waarde als een ruwe aanwijzing, niet als een schatting."
                        if not st.omega_h["identified"]
                        else ""
                    ),
                    lang,
                ),
                style="note",
            )
        )

    # -- invariance + DIF --------------------------------------------------------------------------------
    iv = page.section("invariance", _t("Measurement invariance and DIF", "Meetinvariantie en DIF", lang))
    rule = st.invariance_rule
    iv.add(
        Text(
            _t(
                f"Multiple-group CFA ({rule['estimator']}) per grouping variable; groups with fewer than "
                f"{rule['min_group']} respondents (5 per item) are left out. "
                + (
                    f"Decision rule for {rule['estimator']}: the scaled chi-square difference test at alpha = "
                    f"{i18n.fmt_number(rule['alpha'], 2, lang)}. The delta CFI / delta RMSEA cut-offs (-0.01 / 0.015) "
                    "were derived for ML with continuous items and are shown for information only (Sass et al. 2014)."
                    if rule["estimator"] == "WLSMV"
                    else "Decision rule for ML: delta CFI > -0.01 and delta RMSEA < 0.015 (Cheung & Rensvold 2002; Chen 2007)."
                )
                + " DIF: ordinal logistic regression per item, matched on the total of the item's own subscale; "
                "important when p < .01 and McFadden delta R² >= 0.02.",
                f"Multi-groep-CFA ({rule['estimator']}) per groepsvariabele; groepen met minder dan "
                f"{rule['min_group']} respondenten (5 per item) blijven buiten de analyse. "
                + (
                    f"Beslisregel voor {rule['estimator']}: de geschaalde chi-kwadraatverschiltoets bij alfa = "
                    f"{i18n.fmt_number(rule['alpha'], 2, lang)}. De grenzen voor delta CFI / delta RMSEA (-0,01 / 0,015) "
                    "zijn afgeleid voor ML met continue items en staan er alleen ter informatie (Sass et al. 2014)."
                    if rule["estimator"] == "WLSMV"
                    else "Beslisregel voor ML: delta CFI > -0,01 en delta RMSEA < 0,015 (Cheung & Rensvold 2002; Chen 2007)."
                )
                + " DIF: ordinale logistische regressie per item, gematcht op het totaal van de eigen subschaal van het item; "
                "belangrijk bij p < 0,01 en McFadden delta R² >= 0,02.",
                lang,
            )
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
            _t(
                f"; left out (too small to model): {', '.join(st.label(g, v, lang) for v in left.split(', '))}",
                f"; buiten de analyse (te klein om te modelleren): {', '.join(st.label(g, v, lang) for v in left.split(', '))}",
                lang,
            )
            if left
            else ""
        )
        iv.add(
            _table(
                [
                    ("level", _t("Level", "Niveau", lang)),
                    ("chi2", "χ²"),
                    ("df", "df"),
                    ("cfi", "CFI"),
                    ("rmsea", "RMSEA"),
                    ("dchi2", "Δχ²"),
                    ("ddf", "Δdf"),
                    ("p", "p"),
                    ("dcfi", "ΔCFI"),
                    ("drmsea", "ΔRMSEA"),
                    ("holds", _t("holds", "houdt stand", lang)),
                ],
                rws,
                caption=cap,
            )
        )
        if g in st.partial and srow["freed"]:
            iv.add(
                Text(
                    _t(
                        f"{g}: partial invariance after freeing the intercept of {srow['freed']} (largest score test): "
                        f"{'scalar level holds' if srow['partial_holds'] else 'scalar level still fails'}. "
                        "The rating stays '-': the items measure differently in these groups.",
                        f"{g}: partiële invariantie na vrijlaten van het intercept van {srow['freed']} (grootste scoretoets): "
                        f"{'scalair niveau houdt stand' if srow['partial_holds'] else 'scalair niveau faalt nog steeds'}. "
                        "De beoordeling blijft '-': de items meten in deze groepen verschillend.",
                        lang,
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
                gn = int(st.invariance_summary.loc[g, "n"]) if g in st.invariance_summary.index else None
                ref = B.est(_key("dif", g, item), r[g], gn, 3)
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
                caption=_t(
                    "DIF screening: McFadden ΔR² per item and grouping",
                    "DIF-screening: McFadden ΔR² per item en groepering",
                    lang,
                ),
            )
        )

    # -- reliability + measurement error ---------------------------------------------------------------
    rl = page.section(
        "reliability", _t("Reliability and measurement error", "Betrouwbaarheid en meetfout", lang)
    )
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
        rl.add(
            Text(
                _t(
                    "ICC(2,1): two-way random effects, absolute agreement (Shrout & Fleiss 1979), COSMIN's preferred "
                    "form; criterion ICC >= 0.70 on the point estimate, rated on the subscale with the lowest ICC. "
                    "The column 'lower limit >= 0.70' says whether the 95% CI excludes values below the criterion. "
                    "SEM (agreement) and SDC = 1.96 x √2 x SEM (de Vet et al. 2006).",
                    "ICC(2,1): tweeweg random effects, absolute overeenstemming (Shrout & Fleiss 1979), de vorm die "
                    "COSMIN verkiest; criterium ICC >= 0,70 op de puntschatting, beoordeeld op de subschaal met de "
                    "laagste ICC. De kolom 'ondergrens >= 0,70' zegt of het 95%-BI waarden onder het criterium uitsluit. "
                    "SEM (overeenstemming) en SDC = 1,96 x √2 x SEM (de Vet et al. 2006).",
                    lang,
                )
            )
        )
        rl.add(
            _table(
                [
                    ("score", _t("Score", "Score", lang)),
                    ("n", _t("pairs", "paren", lang)),
                    ("icc", "ICC(2,1)"),
                    ("icc_ci", "95% CI"),
                    ("lower_ok", _t("lower limit >= 0.70", "ondergrens >= 0,70", lang)),
                    ("sem", "SEM"),
                    ("sdc", "SDC"),
                ],
                rr,
            )
        )
    else:
        rl.add(
            Text(
                _t(
                    "No retest in these data: reliability and measurement error not assessed.",
                    "Geen hertest in deze gegevens: betrouwbaarheid en meetfout niet onderzocht.",
                    lang,
                )
            )
        )

    # -- hypotheses -------------------------------------------------------------------------------------
    hs = page.section(
        "hypotheses",
        _t("Hypotheses testing (construct validity)", "Hypothesetoetsing (constructvaliditeit)", lang),
    )
    hs.add(
        Text(
            _t(
                "Hypotheses stated in advance with direction and size. A known-groups hypothesis on a score that "
                "contains an item with DIF by that grouping is tested with and without the item and counts as "
                "confirmed only when confirmed both ways. COSMIN: sufficient when at least 75% are confirmed.",
                "Hypothesen vooraf opgesteld met richting en grootte. Een hypothese over bekende groepen op een score "
                "met een DIF-item voor die groepering wordt met en zonder dat item getoetst en telt alleen als bevestigd "
                "wanneer beide bevestigen. COSMIN: voldoende bij ten minste 75% bevestigd.",
                lang,
            )
        )
    )
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
                    ("hyp", _t("Hypothesis", "Hypothese", lang)),
                    ("stat", ""),
                    ("est", _t("estimate", "schatting", lang)),
                    ("ci", "95% CI"),
                    ("n", "n"),
                    ("conf", _t("confirmed", "bevestigd", lang)),
                    ("without", _t("without DIF item", "zonder DIF-item", lang)),
                    (
                        "without_items",
                        _t("DIF item (confirmed without)", "DIF-item (bevestigd zonder)", lang),
                    ),
                    ("counted", _t("counted as confirmed", "telt als bevestigd", lang)),
                ],
                hr,
            )
        )
    else:
        hs.add(
            Text(
                _t(
                    "No hypotheses were stated: not assessed.",
                    "Geen hypothesen opgesteld: niet onderzocht.",
                    lang,
                )
            )
        )

    # -- criterion + responsiveness ------------------------------------------------------------------------
    cr = page.section(
        "criterion",
        _t("Criterion validity and responsiveness", "Criteriumvaliditeit en responsiviteit", lang),
    )
    if st.criterion is None:
        cr.add(
            Text(
                _t(
                    "Criterion validity: not assessed. It needs a gold standard named by the committee "
                    "(parameter gold_standard); a single question is not a gold standard.",
                    "Criteriumvaliditeit: niet onderzocht. Daarvoor is een gouden standaard nodig die de commissie "
                    "noemt (parameter gold_standard); een losse vraag is geen gouden standaard.",
                    lang,
                )
            )
        )
    else:
        B.est("crit.auc", st.criterion.auc, n, 2)
        cr.add(
            Text(
                _t(
                    f"AUC of the total score against the gold standard {st.gold_standard}: [[crit.auc]].",
                    f"AUC van de totaalscore tegen de gouden standaard {st.gold_standard}: [[crit.auc]].",
                    lang,
                )
            )
        )
    if st.responsiveness is None:
        cr.add(
            Text(
                _t(
                    "Responsiveness: not assessed (needs two measurements around a change and an anchor of change).",
                    "Responsiviteit: niet onderzocht (vraagt twee metingen rond een verandering en een anker).",
                    lang,
                )
            )
        )
    else:
        B.est("resp.auc", st.responsiveness.auc, None, 2)
        cr.add(
            Text(
                _t(
                    "Responsiveness: AUC of the change score against the anchor [[resp.auc]].",
                    "Responsiviteit: AUC van de veranderscore tegen het anker [[resp.auc]].",
                    lang,
                )
            )
        )

    # -- norms (quantities registered above) ----------------------------------------------------------------
    nm = page.section("norms", _t("Norms", "Normen", lang))
    nm.add(
        Text(
            _t(
                f"Raw total scores by {', '.join(by) or 'everyone'}: mean, SD and percentiles. Groups with fewer than "
                f"{st.provenance['min_cell']} respondents are not shown, and neither is any number from which such a "
                "group could be worked out (secondary suppression, evalkit's disclosure layer). Norms of a "
                "validation sample show the method; real norms need a representative norm sample.",
                f"Ruwe totaalscores naar {', '.join(by) or 'iedereen'}: gemiddelde, SD en percentielen. Groepen met minder "
                f"dan {st.provenance['min_cell']} respondenten staan er niet in, en ook geen getal waaruit zo'n groep "
                "af te leiden is (secundaire onderdrukking, de privacylaag van evalkit). Normen van een "
                "validatiesteekproef tonen de methode; echte normen vragen een representatieve normsteekproef.",
                lang,
            )
        )
    )
    nm.add(
        _table(
            [
                ("group", _t("Norm group", "Normgroep", lang)),
                ("n", "n"),
                ("mean", _t("mean", "gemiddelde", lang)),
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
    cc = page.section(
        "conclusions", _t("Conclusions and recommendations", "Conclusies en aanbevelingen", lang)
    )
    for sentence in st.conclusions(lang):
        cc.add(Text(sentence))
    cc.add(Text(_t("Recommendations:", "Aanbevelingen:", lang)))
    for k, r in enumerate(st.recommendations(lang), start=1):
        cc.add(Text(f"{k}. {r}"))

    # -- methods and provenance ------------------------------------------------------------------------
    mt = page.section("methods", _t("Methods and provenance", "Methoden en herkomst", lang))
    pv = st.provenance
    mrows = [
        (_t("Data file", "Databestand", lang), pv.get("data_label") or "–"),
        (
            "SHA-256",
            pv["data_sha256"]
            + (
                ""
                if pv["data_sha256_of"] == "file"
                else _t(" (of the data table)", " (van de datatabel)", lang)
            ),
        ),
        (_t("Codebook", "Codeboek", lang), f"{pv['codebook']} ({ins['id']})"),
        (_t("Measurements", "Metingen", lang), ", ".join(pv["waves"]) or "–"),
        ("evalkit", pv["evalkit_version"]),
        ("Python / numpy / pandas", f"{pv['python']} / {pv['numpy']} / {pv['pandas']}"),
        (_t("Estimator (CFA, invariance)", "Schatter (CFA, invariantie)", lang), pv["estimator"]),
        (
            _t("Invariance decision", "Beslisregel invariantie", lang),
            _t("scaled chi-square difference test", "geschaalde chi-kwadraatverschiltoets", lang)
            + f", alpha = {rule['alpha']:g}"
            if rule["estimator"] == "WLSMV"
            else "ΔCFI > -0.01 & ΔRMSEA < 0.015",
        ),
        (
            _t("EFA", "EFA", lang),
            _t(
                "minres, oblimin; parallel analysis with 20 simulations",
                "minres, oblimin; parallelle analyse met 20 simulaties",
                lang,
            ),
        ),
        (
            _t("Bootstrap", "Bootstrap", lang),
            _t(
                f"{pv['n_boot']} replicates (percentile) for omega",
                f"{pv['n_boot']} replicaties (percentiel) voor omega",
                lang,
            ),
        ),
        (_t("Seed", "Seed", lang), str(pv["seed"])),
        (_t("Confidence level", "Betrouwbaarheidsniveau", lang), f"{pv['confidence']:.0%}"),
        (
            _t("Privacy threshold", "Privacydrempel", lang),
            _t(
                f"groups under {pv['min_cell']} respondents hidden",
                f"groepen onder {pv['min_cell']} respondenten verborgen",
                lang,
            ),
        ),
        (_t("Date", "Datum", lang), pv["date"]),
    ]
    mt.add(
        _table(
            [("what", _t("Item", "Onderdeel", lang)), ("value", _t("Value", "Waarde", lang))],
            [{"what": a, "value": b} for a, b in mrows],
        )
    )

    # -- appendix: full tables ---------------------------------------------------------------------------
    ap = page.section("appendix", _t("Appendix: full tables", "Bijlage: volledige tabellen", lang))
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
                ("mean", _t("mean (keyed)", "gemiddelde (gescoord)", lang)),
                ("sd", "SD"),
                ("r_drop", _t("corrected item-total r", "gecorrigeerde item-totaal r", lang)),
                ("aid", _t("alpha if deleted", "alpha zonder item", lang)),
                ("floor", _t("at lowest answer", "bij laagste antwoord", lang)),
                ("ceiling", _t("at highest answer", "bij hoogste antwoord", lang)),
            ],
            arows,
            caption=_t("Item analysis (first measurement)", "Itemanalyse (eerste meting)", lang),
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
            caption=_t(
                "EFA loadings (minres, oblimin), items x factors",
                "EFA-ladingen (minres, oblimin), items x factoren",
                lang,
            ),
        )
    )
    # -- references --------------------------------------------------------------------------------------
    rf = page.section("references", _t("References", "Literatuur", lang))
    for ref in REFERENCES:
        rf.add(Text(ref, style="note"))

    # sections in the order of SECTIONS
    order = {s: k for k, s in enumerate(SECTIONS)}
    page.sections.sort(key=lambda s: order.get(s.id, 99))
    page.check()
    return page


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


def _risk_word(r: str, lang: str) -> str:
    from evalkit.methods.validation.grading import RISK_NAMES

    return i18n.t(RISK_NAMES[r], lang)


def _ci(B: _Builder, base: str, lo, hi, n, digits: int) -> Text | str:
    if not (_finite(lo) and _finite(hi)):
        return "–"
    B.est(base + ".lo", lo, n, digits)
    B.est(base + ".hi", hi, n, digits)
    return Text(f"[[[{base}.lo]], [[{base}.hi]]]")


def _holds(row: pd.Series, estimator: str) -> bool:
    cols = ["lrt_invariant"] if estimator == "WLSMV" else ["cfi_invariant", "rmsea_invariant"]
    return all(pd.isna(row[c]) or bool(row[c]) for c in cols)


_LEVELS = {
    "configural": {"en": "configural", "nl": "configuraal"},
    "thresholds": {"en": "thresholds", "nl": "drempels"},
    "thresholds_loadings": {"en": "thresholds + loadings", "nl": "drempels + ladingen"},
    "metric": {"en": "metric", "nl": "metrisch"},
    "scalar": {"en": "scalar", "nl": "scalair"},
}


def _level_name(lv: str, lang: str) -> str:
    return i18n.t(_LEVELS[lv], lang) if lv in _LEVELS else lv


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
    rendered = render_page(d)
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

    if lang not in ("nl", "en"):
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
