"""Compute one coalition's report as typed content (no HTML, no privacy decisions here).

:func:`compute` runs the analyses through the public API (:mod:`evalkit.data.scales`,
:mod:`evalkit.methods.prepost`, :mod:`evalkit.methods.did`) on full numbers and builds a
:class:`~evalkit.reports.content.Page`: every number a reader will see is a registered
quantity with the counts it rests on, and every set of parts that adds up to a total is a
partition. The disclosure layer (:mod:`evalkit.reports.disclosure`) then decides for the
whole page what may be shown, and :mod:`evalkit.reports.html` draws it.

Sections (always in this order; a section without data says why; ``benchmark`` only
when the caller supplies benchmark figures):

=================  =====================================================================
``summary``        plain-language summary: what changed, how sure, for how many
``data_quality``   data quality and drop-out (completers vs drop-outs at the pre-test)
``prepost``        before and after (figure and table; score 0-11)
``share_lonely``   share lonely (score 3 or more) and severely lonely (9 or more)
``reliable_change``  improved / unchanged / deteriorated beyond measurement error
``comparison``     against the comparison group, when there is one
``subgroups``      change by gender, age band and education
``trend``          the municipality's loneliness from published figures, or a sentence
``benchmark``      the five pillar scores (only with benchmark figures)
``position``       the coalition among all coalitions (funnel plot; filled by the batch)
``appendix``       method, technical measures and reproducibility
=================  =====================================================================
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._version import __version__
from evalkit.core import i18n
from evalkit.core.checks import check_dataframe, check_lang
from evalkit.core.errors import DataValidationError, EstimationError, ParameterError, report_warnings_handled
from evalkit.reports.content import (
    Choose,
    Column,
    Figure,
    KeyFigure,
    Page,
    Ref,
    Status,
    Table,
    Text,
)
from evalkit.reports.reference import BenchmarkFigures, ReferenceFigures

#: one table row: a cell per column id
_Row = dict[str, str | Ref | Status | Text]

__all__ = [
    "AGE_BANDS",
    "KEY_IDS",
    "SECTIONS",
    "SECTION_IDS",
    "SUBGROUP_LEVELS",
    "Snapshot",
    "add_position",
    "age_band",
    "compute",
]

#: (id, Dutch title, English title), in report order.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("summary", "Samenvatting", "Summary"),
    ("data_quality", "Datakwaliteit en uitval", "Data quality and drop-out"),
    ("prepost", "Voor- en nameting", "Before and after"),
    ("share_lonely", "Aandeel eenzame deelnemers", "Share of lonely participants"),
    ("reliable_change", "Betrouwbare verandering", "Reliable change"),
    ("comparison", "Vergelijkingsgroep", "Comparison group"),
    ("subgroups", "Subgroepen", "Subgroups"),
    ("trend", "Eenzaamheid in de gemeente", "Loneliness in the municipality"),
    ("benchmark", "Benchmark: vijf pijlers", "Benchmark: five pillars"),
    ("position", "Vergelijking met andere coalities", "Compared with other coalitions"),
    ("appendix", "Methode en reproduceerbaarheid", "Method and reproducibility"),
)
SECTION_IDS = tuple(s[0] for s in SECTIONS)

AGE_BANDS = ((18, 34, "18-34"), (35, 54, "35-54"), (55, 74, "55-74"), (75, 200, "75+"))
SUBGROUP_LEVELS = {
    "gender": ("man", "vrouw", "anders"),
    "age_band": tuple(b[2] for b in AGE_BANDS),
    "education": ("laag", "midden", "hoog"),
}
_LEVEL_EN = {
    "man": "man",
    "vrouw": "woman",
    "anders": "other",
    "laag": "low",
    "midden": "middle",
    "hoog": "high",
}
PILLAR_LABELS = {
    "pillar_commitment": {"nl": "Bestuurlijk commitment", "en": "Administrative commitment"},
    "pillar_network": {"nl": "Sterk netwerk met regisseur", "en": "Strong network, lead person"},
    "pillar_participation": {"nl": "Betrekken van eenzamen", "en": "Involving lonely people"},
    "pillar_sustainable": {"nl": "Duurzame aanpak", "en": "Lasting approach"},
    "pillar_monitoring": {"nl": "Monitoren en evalueren", "en": "Monitoring and evaluation"},
}
#: Fixed axis for changes in the score (points), the same in every report.
CHANGE_LIMITS = (-4.0, 2.0)
UNIT, TIME, GROUP = "participant_id", "wave", "group"
DJG_ITEMS = tuple(f"djg{i}" for i in range(1, 12))
#: Quantities of a page that the batch's overview and funnel plot use (if shown).
KEY_IDS = (
    "n_pairs",
    "mean_pre",
    "mean_post",
    "mean_diff",
    "ci_lower",
    "ci_upper",
    "share_pre",
    "share_post",
    "sd_diff",
    "std_error",
)


def _T(nl: str, en: str, lang: str) -> str:
    return i18n.t({"nl": nl, "en": en}, lang)


def age_band(age: pd.Series) -> pd.Categorical:
    """Fixed age bands :data:`AGE_BANDS` (ordered categories; missing stays missing)."""
    a = pd.to_numeric(age, errors="coerce")
    out = pd.Series(pd.NA, index=age.index, dtype="object")
    for lo, hi, lab in AGE_BANDS:
        out[(a >= lo) & (a <= hi)] = lab
    return pd.Categorical(out, categories=[b[2] for b in AGE_BANDS], ordered=True)


def _row(result: Any, term: str) -> dict:
    t = result.tidy()
    r = t[t["term"] == term]
    if r.empty:
        raise EstimationError(f"term {term!r} not in result.")
    return r.iloc[0].to_dict()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------------------------------
# the analysis of one coalition
# ----------------------------------------------------------------------------------------
def compute(
    data: pd.DataFrame,
    params: dict,
    *,
    reference: ReferenceFigures | None = None,
    benchmark: BenchmarkFigures | None = None,
) -> Page:
    """One coalition's report as typed content (full numbers; disclosure comes next).

    ``data`` is the coalition's validated long data (``intervention`` codebook);
    ``params`` the report parameters (``coalition_code``, ``coalition_name``, ``lang``,
    ``min_cell``, ``min_cell_override``, ``intervention``, ``example_data``);
    ``reference``/``benchmark`` real figures supplied by the caller (or the demo's
    example figures, marked as such). The ``position`` section is a placeholder until
    :func:`add_position` fills it with the comparison across coalitions.
    """
    from evalkit.data import scales
    from evalkit.methods import prepost

    if not isinstance(params, dict) or not isinstance(params.get("coalition_code"), str):
        raise ParameterError(
            "params must be a dict with at least 'coalition_code' (a string "
            f"such as 'GM0363'), got {params!r}."
        )
    lang = check_lang(params.get("lang", "nl"))
    check_dataframe(data)
    dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
    if dup:
        raise DataValidationError(f"the data have repeated column names: {dup}.")
    missing = [c for c in (UNIT, TIME) if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"the data have no column(s) {missing}; a coalition file follows the "
            "'intervention' codebook (participant_id, wave, djg1-djg11, ...)."
        )
    code = params["coalition_code"]
    name = str(params.get("coalition_name") or code)
    df = data.copy()
    if "municipality_code" in df.columns:
        df = df[df["municipality_code"].astype(str) == code]
    if params.get("intervention"):
        df = df[df["intervention"].astype(str) == params["intervention"]]
    if df.empty:
        raise EstimationError(
            _T(f"geen rijen voor {code} in het databestand", f"no rows for {code} in the data file", lang)
        )
    df = df.reset_index(drop=True)
    df["total"] = pd.to_numeric(scales.score(df, "djg11")["total"], errors="coerce").astype(float)
    items = scales.item_scores(df, "djg11")
    item_cols = [f"_item_{c}" for c in items.columns]
    df[item_cols] = items.to_numpy()
    if "age" in df.columns:
        df["age_band"] = age_band(df["age"])
    g = df[GROUP].astype(str) if GROUP in df.columns else pd.Series("intervention", index=df.index)
    d_int = df[g == "intervention"].copy()
    d_cmp = df[g == "comparison"].copy()

    page = Page(title=f"{_T('Evaluatie', 'Evaluation', lang)}: {name} ({code})", lang=lang)
    page.meta.update(
        coalition_code=code,
        coalition_name=name,
        heading=page.title,
        intervention=", ".join(sorted(d_int["intervention"].astype(str).unique()))
        if "intervention" in d_int
        else "",
    )
    S = {sid: page.section(sid, nl if lang == "nl" else en) for sid, nl, en in SECTIONS}

    with report_warnings_handled():
        res_p = prepost.paired(d_int, outcome="total", unit=UNIT, time=TIME)
        res_share = prepost.proportion_change(d_int, outcome="total", unit=UNIT, time=TIME, cutoff=3)
        res_severe = prepost.proportion_change(d_int, outcome="total", unit=UNIT, time=TIME, cutoff=9)
        res_rc: Any
        try:
            res_rc = prepost.reliable_change(
                d_int, outcome="total", unit=UNIT, time=TIME, reliability="alpha", items=item_cols
            )
        except (EstimationError, ParameterError, ValueError) as exc:
            res_rc = exc
        covs = [c for c in ("age", "gender", "education") if c in d_int.columns]
        res_att: Any
        try:
            res_att = prepost.attrition(d_int, outcome="total", unit=UNIT, time=TIME, covariates=covs)
        except (EstimationError, ParameterError, ValueError) as exc:
            res_att = exc
        # all measurements, drop-outs included (linear mixed model, issue 15)
        res_mixed: Any
        try:
            res_mixed = prepost.mixed(d_int, outcome="total", unit=UNIT, time=TIME)
        except (EstimationError, ParameterError, ValueError, np.linalg.LinAlgError) as exc:
            res_mixed = exc
        res_did: Any = None
        if len(d_cmp) and d_cmp[UNIT].nunique() >= 2:
            from evalkit.methods.did import two_by_two

            dd = df[df[TIME].isin(["pre", "post"])].copy()
            dd["treated"] = (dd[GROUP].astype(str) == "intervention").astype(int)
            dd["post"] = (dd[TIME].astype(str) == "post").astype(int)
            dd = dd[dd["total"].notna()]
            try:
                res_did = two_by_two(dd, outcome="total", treated="treated", post="post", cluster=UNIT)
            except (EstimationError, ParameterError, ValueError, np.linalg.LinAlgError) as exc:
                res_did = exc
        subgroup_data = {by: d_int for by in ("gender", "age_band", "education") if by in d_int.columns}

    # ---- the quantities every section shares (one number each on the page) -------------
    md, dz = _row(res_p, "mean_diff"), _row(res_p, "d_z")
    n_pairs = int(md["n"])
    pairs = _pairs(d_int)
    if len(pairs) != n_pairs:  # pragma: no cover - one definition of a pair
        raise EstimationError("inconsistent number of pairs.")
    desc = res_p.descriptives
    desc = desc[desc["sample"] == "pairs"].set_index("wave")
    pre_ids = set(d_int.loc[(d_int[TIME].astype(str) == "pre") & d_int["total"].notna(), UNIT])
    n_base = len(pre_ids)
    n_drop = n_base - n_pairs
    q = page.q
    q(
        "n_base",
        n_base,
        "count",
        group_n=n_base,
        fmt="int",
        label="deelnemers in de interventiegroep met een voormeting",
    )
    q("n_pairs", n_pairs, "count", group_n=n_pairs, fmt="int", label="deelnemers met voor- en nameting")
    q(
        "n_dropouts",
        n_drop,
        "count",
        group_n=n_drop,
        fmt="int",
        label="deelnemers met voormeting zonder nameting",
    )
    page.partition("dropout", "n_base", ["n_pairs", "n_dropouts"], prefer=("n_base",))
    for w, key in (("pre", "mean_pre"), ("post", "mean_post")):
        q(key, desc.loc[w, "mean"], "mean", group_n=n_pairs, label=f"gemiddelde score {w}")
        q(f"{key}_lo", desc.loc[w, "ci_lower"], "mean", group_n=n_pairs)
        q(f"{key}_hi", desc.loc[w, "ci_upper"], "mean", group_n=n_pairs)
    q("mean_diff", md["estimate"], "estimate", group_n=n_pairs, label="gemiddelde verandering")
    q("ci_lower", md["ci_lower"], "estimate", group_n=n_pairs)
    q("ci_upper", md["ci_upper"], "estimate", group_n=n_pairs)
    q("std_error", md["std_error"], "estimate", group_n=n_pairs, digits=3)
    sd_diff = float(md["std_error"]) * math.sqrt(n_pairs) if n_pairs > 1 else None
    q("sd_diff", sd_diff, "estimate", group_n=n_pairs, digits=2)
    q("p_value", md["p_value"], "estimate", group_n=n_pairs, fmt="p")
    q("min_cell", params.get("min_cell", 10), "fixed", fmt="int")
    page.meta["d_z"] = float(dz["estimate"])

    # shares (score 3+ and 9+) before and after, with the counts they rest on
    for key, cut, res in (("lonely", 3, res_share), ("severe", 9, res_severe)):
        for w in ("pre", "post"):
            k = int((pairs[w] >= cut).sum())
            q(
                f"{key}_{w}",
                _row(res, f"share_{w}")["estimate"],
                "share",
                group_n=n_pairs,
                in_n=k,
                fmt="pct",
                digits=0,
                label=f"aandeel score >= {cut}, {w}",
            )
        ch = _row(res, "change")
        basis = (f"{key}_pre", f"{key}_post")
        q(
            f"{key}_change",
            ch["estimate"],
            "estimate",
            group_n=n_pairs,
            basis=basis,
            fmt="pp",
            digits=0,
            label=f"verandering aandeel score >= {cut}",
        )
        q(f"{key}_change_lo", ch["ci_lower"], "estimate", group_n=n_pairs, basis=basis, fmt="pp", digits=0)
        q(f"{key}_change_hi", ch["ci_upper"], "estimate", group_n=n_pairs, basis=basis, fmt="pp", digits=0)
    # the key figures of the overview use these names
    page.meta["aliases"] = {"share_pre": "lonely_pre", "share_post": "lonely_post"}

    _summary(page, S["summary"], res_did, lang)
    _data_quality(page, S["data_quality"], d_int, df, res_att, lang)
    _all_measurements(page, S["data_quality"], res_mixed, lang)
    _prepost(page, S["prepost"], lang)
    _share(page, S["share_lonely"], lang)
    _reliable_change(page, S["reliable_change"], res_rc, n_pairs, lang)
    _comparison(page, S["comparison"], res_did, d_cmp, lang)
    _subgroups(page, S["subgroups"], subgroup_data, lang, known_pairs={id(d_int): pairs})
    _trend(page, S["trend"], name, reference, lang)
    if benchmark is not None:
        _benchmark(page, S["benchmark"], name, benchmark, lang)
    else:
        page.sections.remove(S["benchmark"])
    S["position"].blocks.append(
        Text(
            _T(
                "Geen vergelijking beschikbaar: deze sectie wordt gevuld als het rapport samen met de "
                "rapporten van de andere coalities wordt gemaakt.",
                "No comparison available: this section is filled when the report is made together "
                "with the other coalitions' reports.",
                lang,
            ),
            style="note",
        )
    )
    _appendix(page, S["appendix"], params, res_p, res_rc, lang)
    examples = bool(params.get("example_data")) or any(
        x is not None and x.example for x in (reference, benchmark)
    )
    if examples:
        page.banner = Text(
            _T(
                "Voorbeeldgegevens: dit rapport is gemaakt met verzonnen deelnemers en verzonnen "
                "vergelijkingscijfers om te laten zien hoe een rapport eruitziet. Het zegt niets "
                "over deze gemeente.",
                "Example data: this report was made with invented participants and invented "
                "reference figures to show what a report looks like. It says nothing about this "
                "municipality.",
                lang,
            ),
            style="banner",
        )
        page.meta["example_data"] = True
    page.check()
    return page


def _pairs(d_int: pd.DataFrame) -> pd.DataFrame:
    """Pre and post score of every participant with both (the complete pairs)."""
    w = d_int[d_int[TIME].astype(str).isin(["pre", "post"]) & d_int["total"].notna()]
    wide = w.pivot_table(index=UNIT, columns=TIME, values="total", aggfunc="first", observed=True)
    for c in ("pre", "post"):
        if c not in wide.columns:
            wide[c] = np.nan
    return wide.dropna(subset=["pre", "post"])


# ----------------------------------------------------------------------------------------
# sections
# ----------------------------------------------------------------------------------------
def _certainty(lo: str, hi: str, lo_v: float, hi_v: float, what: str, lang: str) -> str:
    """Plain words for a 95% interval of a change in score points."""
    if hi_v < 0:
        return _T(
            f"Dat is vrijwel zeker een echte daling{what}: de werkelijke verandering ligt "
            f"met 95% zekerheid tussen [[{lo}]] en [[{hi}]] punt.",
            f"This is almost certainly a real decrease{what}: the true change lies "
            f"between [[{lo}]] and [[{hi}]] points with 95% certainty.",
            lang,
        )
    if lo_v > 0:
        return _T(
            f"De eenzaamheid is vrijwel zeker gestegen{what}: de werkelijke verandering "
            f"ligt met 95% zekerheid tussen [[{lo}]] en [[{hi}]] punt.",
            f"Loneliness almost certainly increased{what}: the true change lies "
            f"between [[{lo}]] and [[{hi}]] points with 95% certainty.",
            lang,
        )
    return _T(
        f"We weten niet zeker of er iets veranderd is{what}: de werkelijke verandering "
        f"ligt met 95% zekerheid tussen [[{lo}]] en [[{hi}]] punt, dus ook geen "
        "verandering is mogelijk.",
        f"We cannot be sure anything changed{what}: the true change lies between "
        f"[[{lo}]] and [[{hi}]] points with 95% certainty, so no change is also "
        "possible.",
        lang,
    )


def _summary(page: Page, s: Any, res_did: Any, lang: str) -> None:
    qs = page.quantities
    name = page.meta["coalition_name"]
    m = "[[min_cell]]"
    s.add(
        [
            KeyFigure(
                Text("[[n_pairs]]", fallback=_T(f"minder dan {m}", f"fewer than {m}", lang)),
                _T("deelnemers met voor- en nameting", "participants with pre- and post-test", lang),
            ),
            KeyFigure(
                Text("[[mean_pre]] → [[mean_post]]", fallback="–"),
                _T("gemiddelde eenzaamheid (0-11)", "mean loneliness (0-11)", lang),
            ),
            KeyFigure(
                Text("[[lonely_pre]] → [[lonely_post]]", fallback="–"),
                _T("eenzaam (score 3 of hoger)", "lonely (score 3 or more)", lang),
            ),
        ]
    )
    intv = page.meta.get("intervention") or ""
    intv_txt = f" ({intv})" if intv else ""
    s.add(
        Text(
            _T(
                f"Bij {name} deden [[n_base]] mensen mee aan de interventie{intv_txt} met een "
                "voormeting. Van [[n_pairs]] van hen is ook een nameting bekend. Hun gemiddelde "
                "eenzaamheidsscore ging van [[mean_pre]] naar [[mean_post]] op een schaal van 0 (niet "
                "eenzaam) tot 11 (zeer ernstig eenzaam): een verschil van [[mean_diff]] punt.",
                f"In {name}, [[n_base]] people took part in the intervention{intv_txt} with a "
                "pre-test. For [[n_pairs]] of them a post-test is known too. Their mean loneliness "
                "score went from [[mean_pre]] to [[mean_post]] on a scale from 0 (not lonely) to 11 "
                "(very severely lonely): a change of [[mean_diff]] points.",
                lang,
            ),
            fallback=_T(
                f"Bij {name} hebben minder dan {m} deelnemers een voor- en nameting, of zijn de "
                "groepen te klein om cijfers te tonen. Om de privacy van de deelnemers te "
                "beschermen tonen we hier geen resultaten.",
                f"In {name} fewer than {m} participants have a pre- and post-test, or the groups "
                "are too small to show figures. To protect the participants' privacy no results "
                "are shown here.",
                lang,
            ),
        )
    )
    lo, hi = qs["ci_lower"].value, qs["ci_upper"].value
    if lo is not None and hi is not None:
        s.add(Text(_certainty("ci_lower", "ci_upper", lo, hi, "", lang), fallback=""))
    s.add(
        Text(
            _T(
                "Het aandeel eenzame deelnemers ging van [[lonely_pre]] naar [[lonely_post]].",
                "The share of lonely participants went from [[lonely_pre]] to [[lonely_post]].",
                lang,
            ),
            fallback="",
        )
    )
    if res_did is None:
        s.add(
            Text(
                _T(
                    "Er was geen vergelijkingsgroep, dus we weten niet welk deel van de "
                    "verandering door de interventie komt.",
                    "There was no comparison group, so we do not know which part of the "
                    "change is due to the intervention.",
                    lang,
                )
            )
        )
    elif not isinstance(res_did, Exception):
        s.add(
            Text(
                _did_sentence(res_did, lang),
                fallback=_T(
                    "De vergelijkingsgroep is te klein om het resultaat te tonen.",
                    "The comparison group is too small to show its result.",
                    lang,
                ),
            )
        )
    s.add(
        Text(
            _T(
                "[[n_dropouts]] deelnemers deden niet mee aan de nameting.",
                "[[n_dropouts]] participants missed the post-test.",
                lang,
            ),
            fallback=_T(
                "Een deel van de deelnemers deed niet mee aan de nameting.",
                "Some participants missed the post-test.",
                lang,
            ),
        )
    )


def _did_sentence(res_did: Any, lang: str) -> str:
    lo, hi = res_did.ci
    if hi < 0:
        sure = _T(
            "Dat is vrijwel zeker een echt verschil in het voordeel van de interventie",
            "This is almost certainly a real difference in favour of the intervention",
            lang,
        )
    elif lo > 0:
        sure = _T(
            "De interventiegroep deed het vrijwel zeker slechter dan de vergelijkingsgroep",
            "The intervention group almost certainly did worse than the comparison group",
            lang,
        )
    else:
        sure = _T(
            "We weten niet zeker of de interventie verschil maakte; ook geen verschil is mogelijk",
            "We cannot be sure the intervention made a difference; no difference is also possible",
            lang,
        )
    return _T(
        "Vergeleken met een vergelijkingsgroep zonder de interventie veranderde de eenzaamheid "
        "in de interventiegroep [[did]] punt meer (een negatief getal betekent: meer daling). "
        f"{sure}: het werkelijke verschil ligt met 95% zekerheid tussen [[did_lo]] en "
        "[[did_hi]] punt.",
        "Compared with a comparison group without the intervention, loneliness in the "
        "intervention group changed by [[did]] points more (a negative number means: a larger "
        f"decrease). {sure}: the true difference lies between [[did_lo]] and [[did_hi]] "
        "points with 95% certainty.",
        lang,
    )


def _data_quality(page: Page, s: Any, d_int: pd.DataFrame, df: pd.DataFrame, res_att: Any, lang: str) -> None:
    q = page.q
    cols = [c for c in DJG_ITEMS if c in df.columns]
    if cols:
        vals = df[cols].isna().to_numpy()
        q(
            "missing_answers",
            vals.mean() if vals.size else None,
            "share",
            group_n=int(vals.size),
            in_n=int(vals.sum()),
            fmt="pct",
            digits=1,
            label="ontbrekende antwoorden op de eenzaamheidsvragen",
        )
    q(
        "no_score",
        int(df["total"].isna().sum()),
        "count",
        fmt="int",
        label="metingen zonder score (te veel ontbrekende antwoorden)",
    )
    s.add(
        Text(
            _T(
                "Van de [[n_base]] deelnemers met een voormeting hebben er [[n_pairs]] ook een "
                "nameting; [[n_dropouts]] deden niet mee aan de nameting.",
                "Of the [[n_base]] participants with a pre-test, [[n_pairs]] also have a post-test; "
                "[[n_dropouts]] did not take the post-test.",
                lang,
            ),
            fallback=_T(
                "[[n_pairs]] deelnemers hebben een voor- en een nameting; de uitval wordt "
                "niet als aantal getoond omdat het om een kleine groep gaat.",
                "[[n_pairs]] participants have a pre- and a post-test; drop-out is not "
                "shown as a number because it concerns a small group.",
                lang,
            ),
        )
    )
    if cols:
        s.add(
            Text(
                _T(
                    "[[missing_answers]] van de antwoorden op de eenzaamheidsvragen ontbreekt; bij "
                    "[[no_score]] metingen ontbraken te veel antwoorden om een score te berekenen.",
                    "[[missing_answers]] of the answers to the loneliness questions is missing; "
                    "[[no_score]] measurements had too many missing answers for a score.",
                    lang,
                ),
                fallback=_T(
                    "Bij een klein aantal metingen ontbraken antwoorden.",
                    "A small number of measurements had missing answers.",
                    lang,
                ),
            )
        )
    if isinstance(res_att, Exception):
        s.add(
            Text(
                _T(
                    "Blijvers en uitvallers konden met deze gegevens niet worden vergeleken.",
                    "Completers and drop-outs could not be compared with these data.",
                    lang,
                ),
                style="note",
            )
        )
        return
    if (
        res_att.n_completers != page.quantities["n_pairs"].value
        or res_att.n_dropouts != page.quantities["n_dropouts"].value
    ):  # pragma: no cover
        raise EstimationError("drop-out counted two ways (rule 4).")
    t = res_att.tidy()
    n_c, n_d = int(res_att.n_completers), int(res_att.n_dropouts)
    vlab = {
        "total": _T("Eenzaamheidsscore", "Loneliness score", lang),
        "age": _T("Leeftijd", "Age", lang),
        "gender": _T("Geslacht", "Gender", lang),
        "education": _T("Opleiding", "Education", lang),
    }
    rows: list[_Row] = []
    for r in t.to_dict(orient="records"):
        var, lev = str(r["variable"]), r["level"]
        base = f"att.{var}" if pd.isna(lev) else f"att.{var}.{lev}"
        if pd.isna(lev):
            label = vlab.get(var, var)
            q(f"{base}.c", r["mean_completers"], "mean", group_n=n_c)
            q(f"{base}.d", r["mean_dropouts"], "mean", group_n=n_d)
            basis: tuple[str, ...] = (f"{base}.c", f"{base}.d")
        else:
            label = f"{vlab.get(var, var)}: {lev if lang == 'nl' else _LEVEL_EN.get(lev, lev)}"
            kc = _count_of(r["mean_completers"], n_c)
            kd = _count_of(r["mean_dropouts"], n_d)
            q(f"{base}.c.n", kc, "count", fmt="int")
            q(f"{base}.d.n", kd, "count", fmt="int")
            q(
                f"{base}.c",
                r["mean_completers"],
                "share",
                group_n=n_c,
                in_n=kc,
                fmt="pct",
                digits=0,
                basis=(f"{base}.c.n",),
            )
            q(
                f"{base}.d",
                r["mean_dropouts"],
                "share",
                group_n=n_d,
                in_n=kd,
                fmt="pct",
                digits=0,
                basis=(f"{base}.d.n",),
            )
            basis = (f"{base}.c", f"{base}.d")
        q(f"{base}.std", r["std_diff"], "estimate", group_n=min(n_c, n_d), digits=2, basis=basis)
        rows.append(
            {
                "label": label,
                "c": Ref(f"{base}.c"),
                "d": Ref(f"{base}.d"),
                "std": Ref(f"{base}.std"),
                "status": Status(f"{base}.c", (f"{base}.d", f"{base}.std")),
            }
        )
    for var in t.loc[t["level"].notna(), "variable"].unique():
        levs = [lv for v, lv in zip(t["variable"], t["level"]) if v == var and pd.notna(lv)]
        page.partition(f"att.{var}.completers", "n_pairs", [f"att.{var}.{lv}.c.n" for lv in levs])
        page.partition(f"att.{var}.dropouts", "n_dropouts", [f"att.{var}.{lv}.d.n" for lv in levs])
    s.add(
        Table(
            [
                Column("label", _T("Kenmerk bij de voormeting", "Characteristic at pre-test", lang)),
                Column("c", _T("Blijvers", "Completers", lang)),
                Column("d", _T("Uitvallers", "Drop-outs", lang)),
                Column("std", _T("Verschil (gestandaardiseerd)", "Difference (standardised)", lang)),
                Column("status", ""),
            ],
            rows,
        )
    )
    s.add(
        Text(
            _T(
                "Blijvers deden mee aan voor- en nameting, uitvallers alleen aan de voormeting. "
                "Gemiddelden bij de voormeting; bij categorieën het aandeel. Een verschil groter dan "
                "0,1 (in absolute waarde) wijst erop dat de uitval het resultaat kan vertekenen. "
                "Groepen met minder dan [[min_cell]] mensen worden niet getoond.",
                "Completers took part in both measurements, drop-outs only in the pre-test. Means at "
                "the pre-test; for categories the share. A difference larger than 0.1 (in absolute "
                "value) suggests that drop-out may bias the result. Groups of fewer than [[min_cell]] "
                "people are not shown.",
                lang,
            ),
            style="note",
        )
    )


def _direction(lo: float, hi: float) -> str:
    """What an interval says: a clear decrease, a clear increase or no clear change."""
    if hi < 0:
        return "down"
    if lo > 0:
        return "up"
    return "none"


_DIRECTION = {
    "down": ("een duidelijke daling", "a clear decrease"),
    "up": ("een duidelijke stijging", "a clear increase"),
    "none": ("geen duidelijke verandering", "no clear change"),
}


def _all_measurements(page: Page, s: Any, res_mixed: Any, lang: str) -> None:
    """One sentence: does the conclusion hold when all measurements are used (mixed model,
    :func:`evalkit.prepost.mixed`), drop-outs included? Its numbers are page quantities,
    so they pass the disclosure layer like every other number."""
    if isinstance(res_mixed, Exception):
        s.add(
            Text(
                _T(
                    "Een analyse met alle metingen (gemengd model) was met deze gegevens niet mogelijk.",
                    "An analysis of all measurements (mixed model) was not possible with these data.",
                    lang,
                ),
                style="note",
            )
        )
        return
    row = _row(res_mixed, "mean_diff")
    n_used = int(res_mixed.n_units)
    q = page.q
    q(
        "mixed.diff",
        row["estimate"],
        "estimate",
        group_n=n_used,
        label="gemiddelde verandering, alle metingen (gemengd model)",
    )
    q("mixed.lo", row["ci_lower"], "estimate", group_n=n_used)
    q("mixed.hi", row["ci_upper"], "estimate", group_n=n_used)
    lo_p, hi_p = page.quantities["ci_lower"].value, page.quantities["ci_upper"].value
    lo_m, hi_m = row["ci_lower"], row["ci_upper"]
    if None in (lo_p, hi_p) or not (np.isfinite(lo_m) and np.isfinite(hi_m)):
        return
    d_pairs = _direction(float(lo_p), float(hi_p))  # type: ignore[arg-type]
    d_all = _direction(float(lo_m), float(hi_m))
    nl_all, en_all = _DIRECTION[d_all]
    nl_pairs, en_pairs = _DIRECTION[d_pairs]
    if d_all == d_pairs:
        tail = _T(
            f"de conclusie blijft dezelfde ({nl_all}).", f"the conclusion stays the same ({en_all}).", lang
        )
    else:
        tail = _T(
            f"de conclusie verandert: {nl_all} in plaats van {nl_pairs}.",
            f"the conclusion changes: {en_all} instead of {en_pairs}.",
            lang,
        )
    s.add(
        Text(
            _T(
                "Met alle metingen, ook die van deelnemers zonder nameting (gemengd model), is de "
                "gemiddelde verandering [[mixed.diff]] punt (95%-BI [[mixed.lo]] tot [[mixed.hi]]): " + tail,
                "With all measurements, including those of participants without a post-test (mixed "
                "model), the mean change is [[mixed.diff]] points (95% CI [[mixed.lo]] to "
                "[[mixed.hi]]): " + tail,
                lang,
            ),
            fallback=_T(
                "De uitkomst met alle metingen (gemengd model) wordt niet getoond: te weinig deelnemers.",
                "The result with all measurements (mixed model) is not shown: too few participants.",
                lang,
            ),
        )
    )


def _count_of(share: Any, n: int) -> int:
    """People in a category from its share of ``n`` (0 when there is nobody)."""
    v = float(share) if share is not None else float("nan")
    return 0 if n == 0 or math.isnan(v) else int(round(v * n))


def _prepost(page: Page, s: Any, lang: str) -> None:
    labels = [_T("Voormeting", "Pre-test", lang), _T("Nameting", "Post-test", lang)]
    s.add(
        Figure(
            "means",
            {
                "labels": labels,
                "values": [Ref("mean_pre"), Ref("mean_post")],
                "lo": [Ref("mean_pre_lo"), Ref("mean_post_lo")],
                "hi": [Ref("mean_pre_hi"), Ref("mean_post_hi")],
                "ylim": (0, 11),
                "ylabel": _T("Eenzaamheidsscore (0-11)", "Loneliness score (0-11)", lang),
            },
            alt=Text(
                _T(
                    "Gemiddelde eenzaamheidsscore (0-11) van [[n_pairs]] deelnemers: "
                    "[[mean_pre]] bij de voormeting en [[mean_post]] bij de nameting.",
                    "Mean loneliness score (0-11) of [[n_pairs]] participants: [[mean_pre]] at "
                    "the pre-test and [[mean_post]] at the post-test.",
                    lang,
                ),
                fallback=_T(
                    "Figuur niet getoond: te weinig deelnemers.",
                    "Figure not shown: too few participants.",
                    lang,
                ),
            ),
            caption=_T(
                "Gemiddelde score voor en na (schaal 0-11; lager is minder eenzaam). De "
                "verticale strepen tonen de onzekerheid: het 95%-betrouwbaarheidsinterval.",
                "Mean score before and after (scale 0-11; lower is less lonely). The "
                "vertical bars show the uncertainty: the 95% confidence interval.",
                lang,
            ),
        )
    )
    s.add(
        Table(
            [
                Column("label", ""),
                Column("v", _T("Waarde", "Value", lang)),
                Column("lo", _T("95%-BI onder", "95% CI lower", lang)),
                Column("hi", _T("95%-BI boven", "95% CI upper", lang)),
                Column("n", "n"),
            ],
            [
                {
                    "label": _T("Gemiddelde voormeting", "Mean pre-test", lang),
                    "v": Ref("mean_pre"),
                    "lo": Ref("mean_pre_lo"),
                    "hi": Ref("mean_pre_hi"),
                    "n": Ref("n_pairs"),
                },
                {
                    "label": _T("Gemiddelde nameting", "Mean post-test", lang),
                    "v": Ref("mean_post"),
                    "lo": Ref("mean_post_lo"),
                    "hi": Ref("mean_post_hi"),
                    "n": Ref("n_pairs"),
                },
                {
                    "label": _T("Verschil (na - voor)", "Difference (post - pre)", lang),
                    "v": Ref("mean_diff"),
                    "lo": Ref("ci_lower"),
                    "hi": Ref("ci_upper"),
                    "n": Ref("n_pairs"),
                },
            ],
        )
    )
    s.add(
        Text(
            _T(
                "Een negatief verschil betekent minder eenzaamheid na de interventie. "
                "Toetsen en effectgroottes staan in de methodebijlage.",
                "A negative difference means less loneliness after the intervention. Tests "
                "and effect sizes are in the method appendix.",
                lang,
            ),
            style="note",
        )
    )


def _share(page: Page, s: Any, lang: str) -> None:
    from evalkit.core import plotting

    s.add(
        Figure(
            "bars",
            {
                "labels": [_T("Voormeting", "Pre-test", lang), _T("Nameting", "Post-test", lang)],
                "values": [Ref("lonely_pre"), Ref("lonely_post")],
                "colors": [plotting.COLORS["pre"], plotting.COLORS["post"]],
                "ylabel": _T("Eenzaam (% van de deelnemers)", "Lonely (% of participants)", lang),
            },
            alt=Text(
                _T(
                    "Staafdiagram: aandeel eenzame deelnemers (score 3 of hoger) van "
                    "[[lonely_pre]] bij de voormeting naar [[lonely_post]] bij de nameting.",
                    "Bar chart: share of lonely participants (score 3 or more) from "
                    "[[lonely_pre]] at the pre-test to [[lonely_post]] at the post-test.",
                    lang,
                ),
                fallback=_T(
                    "Staafdiagram van het aandeel eenzame deelnemers; de aandelen "
                    "worden niet getoond (kleine groep).",
                    "Bar chart of the share of lonely participants; the shares are not shown (small group).",
                    lang,
                ),
            ),
            caption=_T(
                "Aandeel deelnemers met score 3 of hoger (matig of sterk eenzaam), schaal 0-100%.",
                "Share of participants scoring 3 or more (moderately or severely lonely), scale 0-100%.",
                lang,
            ),
        )
    )
    rows: list[_Row] = []
    for key, lab in (
        ("lonely", _T("Eenzaam (3-11)", "Lonely (3-11)", lang)),
        ("severe", _T("Sterk eenzaam (9-11)", "Severely lonely (9-11)", lang)),
    ):
        rows.append(
            {
                "label": lab,
                "pre": Ref(f"{key}_pre"),
                "post": Ref(f"{key}_post"),
                "ch": Ref(f"{key}_change"),
                "lo": Ref(f"{key}_change_lo"),
                "hi": Ref(f"{key}_change_hi"),
                "status": Status(f"{key}_change"),
            }
        )
    s.add(
        Table(
            [
                Column("label", ""),
                Column("pre", _T("Voor", "Before", lang)),
                Column("post", _T("Na", "After", lang)),
                Column("ch", _T("Verandering", "Change", lang)),
                Column("lo", _T("95%-BI onder", "95% CI lower", lang)),
                Column("hi", _T("95%-BI boven", "95% CI upper", lang)),
                Column("status", ""),
            ],
            rows,
        )
    )
    s.add(
        Text(
            _T(
                "Veranderingen in aandelen staan in procentpunten: van 40% naar 30% is een "
                "daling van 10 procentpunt. Een aandeel wordt alleen getoond als er minstens "
                "[[min_cell]] deelnemers in en buiten de groep zijn.",
                "Changes in shares are in percentage points: from 40% to 30% is a decrease "
                "of 10 percentage points. A share is shown only if at least [[min_cell]] "
                "participants are in and outside the group.",
                lang,
            ),
            style="note",
        )
    )


def _reliable_change(page: Page, s: Any, res_rc: Any, n_pairs: int, lang: str) -> None:
    from evalkit.core import plotting

    def say(key: str) -> str:  # texts in evalkit/core/messages/reports.toml
        return i18n.t(f"reports.rc.{key}", lang)

    if isinstance(res_rc, Exception):
        s.add(Text(say("not_computed"), style="note"))
        return
    q = page.q
    q("n_pairs", res_rc.n, "count", group_n=res_rc.n, fmt="int")  # rule 4: the same n
    keys = ("improved", "unchanged", "deteriorated")
    counts = {k: int(res_rc.counts[k]) for k in keys}
    # merged categories, shown instead of hiding when one category is small (rule 3)
    counts["not_improved"] = counts["unchanged"] + counts["deteriorated"]
    counts["not_worse"] = counts["improved"] + counts["unchanged"]
    for k, c in counts.items():
        q(f"rc.{k}.n", c, "count", fmt="int")
        q(
            f"rc.{k}",
            c / n_pairs if n_pairs else None,
            "share",
            group_n=n_pairs,
            in_n=c,
            fmt="pct",
            digits=0,
            basis=(f"rc.{k}.n",),
        )
    page.partition("reliable_change", "n_pairs", [f"rc.{k}.n" for k in keys])
    page.partition(
        "reliable_change.not_improved", "rc.not_improved.n", ["rc.unchanged.n", "rc.deteriorated.n"]
    )
    page.partition("reliable_change.not_worse", "rc.not_worse.n", ["rc.improved.n", "rc.unchanged.n"])
    page.partition("reliable_change.improved_or_not", "n_pairs", ["rc.improved.n", "rc.not_improved.n"])
    page.partition("reliable_change.worse_or_not", "n_pairs", ["rc.not_worse.n", "rc.deteriorated.n"])
    q("rc.threshold", res_rc.threshold, "estimate", group_n=n_pairs, digits=1)
    q("rc.reliability", res_rc.reliability, "estimate", group_n=n_pairs, digits=2)

    def bars(cats: list[tuple[str, str, str]], alt: str, note: str) -> Figure:
        return Figure(
            "bars",
            {
                "labels": [lab for _, lab, _ in cats],
                "values": [Ref(f"rc.{k}") for k, _, _ in cats],
                "colors": [plotting.COLORS[col] for _, _, col in cats],
                "ylabel": say("ylabel"),
            },
            alt=Text(say(alt)),
            caption=say("caption") + note,
        )

    detailed = bars([(k, plotting.label(k, lang), k) for k in keys], "alt_detailed", say("hidden_note"))
    improved_or_not = bars(
        [
            ("improved", plotting.label("improved", lang), "improved"),
            ("not_improved", say("not_improved"), "unchanged"),
        ],
        "alt_improved_or_not",
        say("not_improved_means") + say("merged_note") + say("hidden_note"),
    )
    worse_or_not = bars(
        [
            ("not_worse", say("not_worse"), "unchanged"),
            ("deteriorated", plotting.label("deteriorated", lang), "deteriorated"),
        ],
        "alt_worse_or_not",
        say("not_worse_means") + say("merged_note") + say("hidden_note"),
    )
    # the disclosure layer shows the most detailed of these it can show safely
    s.add(Choose("reliable_change", [[detailed], [improved_or_not], [worse_or_not]]))
    s.add(Text(say("threshold"), style="note", fallback=""))


def _comparison(page: Page, s: Any, res_did: Any, d_cmp: pd.DataFrame, lang: str) -> None:
    if res_did is None:
        s.add(
            Text(
                _T(
                    "Deze evaluatie heeft geen vergelijkingsgroep. Daardoor weten we niet hoeveel van de "
                    "verandering ook zonder de interventie zou zijn opgetreden.",
                    "This evaluation has no comparison group, so we do not know how much of the change "
                    "would have happened without the intervention.",
                    lang,
                ),
                style="note",
            )
        )
        return
    if isinstance(res_did, Exception):
        s.add(
            Text(
                _T(
                    "Het verschil met de vergelijkingsgroep kon met deze gegevens niet worden berekend.",
                    "The difference with the comparison group could not be computed from these data.",
                    lang,
                ),
                style="note",
            )
        )
        return
    q = page.q
    n_cmp = int(d_cmp[UNIT].nunique())
    n_pairs = int(page.quantities["n_pairs"].value or 0)
    q("n_cmp", n_cmp, "count", fmt="int", label="deelnemers in de vergelijkingsgroep")
    small = min(n_cmp, n_pairs)
    q("did", res_did.estimate(), "estimate", group_n=small, basis=("n_cmp",), digits=1)
    q("did_lo", res_did.ci[0], "estimate", group_n=small, basis=("n_cmp",), digits=1)
    q("did_hi", res_did.ci[1], "estimate", group_n=small, basis=("n_cmp",), digits=1)
    m, cnt = res_did.means, res_did.counts
    for grp, key in (("comparison", "cmp"), ("treated", "int")):
        for w in ("pre", "post"):
            nn = int(cnt.loc[grp, w]) if grp in cnt.index and w in cnt.columns else 0
            q(f"did.{key}.{w}", m.loc[grp, w], "mean", group_n=nn, basis=("n_cmp",) if key == "cmp" else ())
    s.add(
        Text(
            _did_sentence(res_did, lang),
            fallback=_T(
                "De vergelijkingsgroep heeft minder dan [[min_cell]] deelnemers; het resultaat wordt niet "
                "getoond.",
                "The comparison group has fewer than [[min_cell]] participants; the result is not shown.",
                lang,
            ),
        )
    )
    s.add(
        Figure(
            "did",
            {
                "comparison": [Ref("did.cmp.pre"), Ref("did.cmp.post")],
                "treated": [Ref("did.int.pre"), Ref("did.int.post")],
                "labels": [
                    _T("Vergelijkingsgroep", "Comparison group", lang),
                    _T("Interventiegroep", "Intervention group", lang),
                    _T("Verwacht zonder interventie", "Expected without intervention", lang),
                ],
                "xlabels": [_T("Voormeting", "Pre-test", lang), _T("Nameting", "Post-test", lang)],
                "ylim": (0, 11),
                "ylabel": _T("Eenzaamheidsscore (0-11)", "Loneliness score (0-11)", lang),
            },
            alt=Text(
                _T(
                    "Lijndiagram van de gemiddelde score voor en na: interventiegroep van "
                    "[[did.int.pre]] naar [[did.int.post]], vergelijkingsgroep ([[n_cmp]] "
                    "deelnemers) van [[did.cmp.pre]] naar [[did.cmp.post]]; verschil "
                    "[[did]] punt.",
                    "Line chart of the mean score before and after: intervention group from "
                    "[[did.int.pre]] to [[did.int.post]], comparison group ([[n_cmp]] "
                    "participants) from [[did.cmp.pre]] to [[did.cmp.post]]; difference "
                    "[[did]] points.",
                    lang,
                ),
                fallback=_T(
                    "Lijndiagram van de gemiddelde score voor en na; de cijfers "
                    "worden niet getoond (kleine groep).",
                    "Line chart of the mean score before and after; the figures are not shown (small group).",
                    lang,
                ),
            ),
            caption=_T(
                "Blauw: interventiegroep; oranje: vergelijkingsgroep. De gestippelde lijn "
                "toont waar de interventiegroep zou uitkomen als zij net zo was veranderd "
                "als de vergelijkingsgroep; de afstand tot de nameting is het verschil.",
                "Blue: intervention group; orange: comparison group. The dashed line shows "
                "where the intervention group would end if it had changed like the "
                "comparison group; its distance to the post-test is the difference.",
                lang,
            ),
        )
    )


def _subgroups(
    page: Page, s: Any, subgroup_data: dict, lang: str, known_pairs: dict[int, pd.DataFrame] | None = None
) -> None:
    """Mean change per subgroup. ``known_pairs`` maps ``id(data)`` to its complete pairs
    (:func:`_pairs`) when the caller has them already (speed: one pivot per page)."""
    from scipy import stats

    def say(key: str) -> str:  # texts in evalkit/core/messages/reports.toml
        return i18n.t(f"reports.sub.{key}", lang)

    q = page.q
    s.add(Text(say("note"), style="note"))
    by_lab = {by: say(f"by.{by}") for by in ("gender", "age_band", "education")}
    if not subgroup_data:
        s.add(Text(say("no_groups"), style="note"))
        return
    pairs_of = dict(known_pairs or {})
    pre_of: dict[int, pd.DataFrame] = {}
    for by, d in subgroup_data.items():
        if id(d) not in pairs_of:
            pairs_of[id(d)] = _pairs(d)
        if id(d) not in pre_of:
            pre_of[id(d)] = d[d[TIME].astype(str) == "pre"].drop_duplicates(UNIT).set_index(UNIT)
        pairs = pairs_of[id(d)]
        # the change of every complete pair, in the order of the pairs (a subgroup's
        # changes are a selection of these, in the same order)
        diff_all = (pairs["post"] - pairs["pre"]).to_numpy(float)
        lev_of = pre_of[id(d)][by].reindex(pairs.index).astype(object)
        fixed = list(SUBGROUP_LEVELS.get(by, ()))
        present = sorted({str(v) for v in lev_of.dropna()} - set(fixed))
        levels = fixed + present
        unknown = lev_of.isna().to_numpy()
        values = lev_of.to_numpy(dtype=object)
        n_unknown = int(unknown.sum())
        rows: list[_Row] = []
        parts = []
        for lev in [*levels, None]:
            if lev is None and n_unknown == 0:
                continue
            key = f"sub.{by}.{'unknown' if lev is None else lev}"
            member = unknown if lev is None else (values == lev) & ~unknown
            n = int(member.sum())
            q(f"{key}.n", n, "count", fmt="int")
            parts.append(f"{key}.n")
            est = lo = hi = None
            if n >= 2:
                # the paired t interval of the mean change (as prepost.paired's mean_diff,
                # tested equal), without the other statistics of a full paired analysis
                diff = diff_all[member]
                est = float(diff.mean())
                if np.ptp(diff) > 0:
                    ci = stats.ttest_1samp(diff, 0.0).confidence_interval(0.95)
                    lo, hi = float(ci.low), float(ci.high)
                else:
                    lo = hi = est
            for suffix, v in (("est", est), ("lo", lo), ("hi", hi)):
                q(f"{key}.{suffix}", v, "estimate", group_n=n, basis=(f"{key}.n",))
            label = say("unknown") if lev is None else (lev if lang == "nl" else _LEVEL_EN.get(lev, lev))
            rows.append(
                {
                    "g": label,
                    "est": Ref(f"{key}.est"),
                    "lo": Ref(f"{key}.lo"),
                    "hi": Ref(f"{key}.hi"),
                    "n": Ref(f"{key}.n"),
                    "status": Status(f"{key}.n"),
                }
            )
        page.partition(f"sub.{by}", "n_pairs", parts)
        s.add(Text(by_lab[by], style="p"))
        s.add(
            Table(
                [
                    Column("g", by_lab[by]),
                    Column("est", say("change")),
                    Column("lo", say("ci_lower")),
                    Column("hi", say("ci_upper")),
                    Column("n", "n"),
                    Column("status", ""),
                ],
                rows,
            )
        )


def _trend(page: Page, s: Any, name: str, ref: ReferenceFigures | None, lang: str) -> None:
    if ref is None:
        s.add(
            Text(
                _T(
                    f"Voor {name} zijn in dit rapport geen cijfers over eenzaamheid onder alle inwoners "
                    "beschikbaar. De Gezondheidsmonitor (GGD'en, CBS en RIVM) publiceert die per "
                    "gemeente, eens per vier jaar; zodra evalkit ze heeft, staan ze hier met bron en "
                    "jaar.",
                    f"No figures on loneliness among all residents of {name} are available in this "
                    "report. The Health Monitor (GGDs, Statistics Netherlands and RIVM) publishes them "
                    "per municipality every four years; once evalkit has them they appear here with "
                    "source and year.",
                    lang,
                )
            )
        )
        return
    q = page.q
    years = ref.years
    digits = 0 if ref.example else 1  # published with one decimal; the demo's as before
    for p in ref.local:
        q(
            f"ref.local.{p.year}",
            p.share,
            "reference",
            fmt="pct",
            digits=digits,
            source=f"{ref.source}, {p.year}",
            label=f"{name} {p.year}",
        )
    for fs in ref.former:
        for p in fs.points:
            q(
                f"ref.former.{fs.code}.{p.year}",
                p.share,
                "reference",
                fmt="pct",
                digits=digits,
                source=f"{ref.source}, {p.year}",
                label=f"{fs.label} {p.year}",
            )
    for p in ref.national:
        q(
            f"ref.nl.{p.year}",
            p.share,
            "reference",
            fmt="pct",
            digits=digits,
            source=f"{ref.source}, {p.year}",
        )
    if ref.peers is not None:
        for p in ref.peers.points:
            q(
                f"ref.peers.{p.year}",
                p.share,
                "reference",
                fmt="pct",
                digits=digits,
                source=_T(
                    f"berekend door evalkit uit {ref.source}, {p.year}",
                    f"computed by evalkit from {ref.source}, {p.year}",
                    lang,
                ),
                label=f"{ref.peers.label} {p.year}",
            )
    last = years[-1]
    nat_last = f"ref.nl.{last}" if any(p.year == last for p in ref.national) else None
    s.add(
        Text(
            _T(
                f"Aandeel inwoners dat {ref.indicator} is, volgens {ref.source} "
                f"({', '.join(str(y) for y in years)}).",
                f"Share of residents who are {ref.indicator}, according to {ref.source} "
                f"({', '.join(str(y) for y in years)}).",
                lang,
            )
        )
    )
    if ref.boundary_note:
        s.add(Text(ref.boundary_note))
    # the units: the municipality (or its former municipalities), the country, the peers
    units: list[tuple[str, str, str, tuple]] = []  # (label, style, id prefix, points)
    if ref.local:
        units.append((name, "mine", "ref.local", ref.local))
    for fs in ref.former:
        units.append((fs.label, "former", f"ref.former.{fs.code}", fs.points))
    if ref.national:
        units.append((_T("Nederland", "The Netherlands", lang), "national", "ref.nl", ref.national))
    if ref.peers is not None and ref.peers.points:
        units.append((ref.peers.label, "peers", "ref.peers", ref.peers.points))
    series = [
        {"label": lab, "style": style, "points": [(p.year, Ref(f"{pre}.{p.year}")) for p in pts]}
        for lab, style, pre, pts in units
    ]
    in_last = [
        f"{lab} [[{pre}.{last}]]"
        for lab, style, pre, pts in units
        if style in ("mine", "former") and any(p.year == last for p in pts)
    ]
    nat_txt = (
        _T(f", tegen Nederland [[{nat_last}]]", f", against the Netherlands [[{nat_last}]]", lang)
        if nat_last
        else ""
    )
    peer_last = ref.peers is not None and any(p.year == last for p in ref.peers.points)
    peer_txt = (
        _T(
            f" en vergelijkbare gemeenten [[ref.peers.{last}]]",
            f" and similar municipalities [[ref.peers.{last}]]",
            lang,
        )
        if peer_last
        else ""
    )
    if len(units) > 2 or ref.former:
        cols = [Column("unit", "")] + [Column(str(y), str(y)) for y in years]
        rows: list[dict] = []
        for lab, _style, pre, pts in units:
            have = {p.year for p in pts}
            rows.append({"unit": lab, **{str(y): (Ref(f"{pre}.{y}") if y in have else "–") for y in years}})
        ind = ref.indicator[:1].upper() + ref.indicator[1:]
        s.add(
            Table(
                cols,
                rows,
                caption=_T(f"{ind} (%); bron: {ref.source}.", f"{ind} (%); source: {ref.source}.", lang),
            )
        )
    s.add(
        Figure(
            "trend",
            {
                "series": series,
                "xlabel": _T("Jaar", "Year", lang),
                "ylabel": _T("Eenzaam (%)", "Lonely (%)", lang),
            },
            alt=Text(
                _T(
                    f"Lijndiagram: aandeel eenzame inwoners in {last}: "
                    f"{'; '.join(in_last)}{nat_txt}{peer_txt} (bron: {ref.source}).",
                    f"Line chart: share of lonely residents in {last}: "
                    f"{'; '.join(in_last)}{nat_txt}{peer_txt} (source: {ref.source}).",
                    lang,
                )
            ),
            caption=_T(
                (
                    f"Doorgetrokken lijn: {name}"
                    if ref.local
                    else f"Doorgetrokken lijnen: de voormalige gemeenten van {name}"
                )
                + (" (voormalige gemeenten in eigen kleur)" if ref.former and ref.local else "")
                + "; "
                f"gestreepte lijn: heel Nederland"
                f"{'; gestippelde lijn: vergelijkbare gemeenten' if peer_last else ''}. "
                f"Alleen de jaren van de meting ({', '.join(map(str, years))}). "
                f"Bron: {ref.source}.",
                (f"Solid line: {name}" if ref.local else f"Solid lines: the former municipalities of {name}")
                + (" (former municipalities in their own colour)" if ref.former and ref.local else "")
                + "; "
                f"dashed line: the whole country"
                f"{'; dotted line: similar municipalities' if peer_last else ''}. Only the "
                f"years of the survey ({', '.join(map(str, years))}). Source: "
                f"{ref.source}.",
                lang,
            ),
        )
    )
    if ref.peers is not None and ref.peers.note:
        s.add(Text(ref.peers.note + ".", style="note"))
    if ref.caveat:
        s.add(Text(ref.caveat, style="note"))
    y = ref.young
    if y is not None:
        src_y = f"{y.source}, {y.year}"
        q("ref.young.nl", y.national, "reference", fmt="pct", digits=1, source=src_y)
        nl_y = (
            _T(" Nederland: [[ref.young.nl]].", " The Netherlands: [[ref.young.nl]].", lang)
            if y.national is not None
            else ""
        )
        if y.peers is not None:
            q(
                "ref.young.peers",
                y.peers,
                "reference",
                fmt="pct",
                digits=1,
                source=_T(f"berekend door evalkit uit {src_y}", f"computed by evalkit from {src_y}", lang),
            )
            nl_y += _T(
                f" Vergelijkbare gemeenten (gemiddelde van {y.peers_n}): [[ref.young.peers]].",
                f" Similar municipalities (mean of {y.peers_n}): [[ref.young.peers]].",
                lang,
            )
        head = _T(
            f"Jongvolwassenen ({y.age_group} jaar), {y.year}", f"Young adults ({y.age_group}), {y.year}", lang
        )
        if y.share is None:
            s.add(
                Text(
                    f"{head}, {y.unit_name}: {y.note}.{nl_y} "
                    + _T(f"Bron: {y.source}.", f"Source: {y.source}.", lang)
                )
            )
        else:
            q(
                "ref.young",
                y.share,
                "reference",
                fmt="pct",
                digits=1,
                source=src_y,
                label=f"{y.unit_name} {y.age_group} {y.year}",
            )
            extra = f" ({y.note})" if y.note else ""
            s.add(
                Text(
                    _T(
                        f"{head}: eenzaam in {y.unit_name} [[ref.young]]{extra}.{nl_y} Bron: {y.source}.",
                        f"{head}: lonely in {y.unit_name} [[ref.young]]{extra}.{nl_y} Source: {y.source}.",
                        lang,
                    )
                )
            )


def _benchmark(page: Page, s: Any, name: str, bm: BenchmarkFigures, lang: str) -> None:
    q = page.q
    pillars = [p for p in PILLAR_LABELS if p in bm.scores]
    for p in pillars:
        q(f"bm.{p}", bm.scores[p], "reference", digits=1, source=f"{bm.source}, {bm.year}")
        dist = bm.all_scores.get(p, ())
        q(
            f"bm.{p}.median",
            float(np.median(dist)) if len(dist) else None,
            "reference",
            digits=1,
            source=f"{bm.source}, {bm.year}",
        )
    labels = [PILLAR_LABELS[p][lang] for p in pillars]
    scores = "; ".join(f"{PILLAR_LABELS[p][lang]} [[bm.{p}]]" for p in pillars)
    s.add(
        Text(
            _T(
                f"Scores (0-10) in de benchmark van {bm.year}. Bron: {bm.source}.",
                f"Scores (0-10) in the {bm.year} benchmark. Source: {bm.source}.",
                lang,
            )
        )
    )
    s.add(
        Figure(
            "boxes",
            {
                "labels": labels,
                "dists": [list(bm.all_scores.get(p, ())) for p in pillars],
                "mine": [Ref(f"bm.{p}") for p in pillars],
                "me": name,
                "xlabel": _T(
                    f"Score (0-10), benchmark {bm.year}", f"Score (0-10), benchmark {bm.year}", lang
                ),
            },
            alt=Text(
                _T(
                    f"Boxplots van de vijf pijlerscores van alle deelnemende gemeenten "
                    f"in {bm.year}, met {name} als ruit: {scores}.",
                    f"Box plots of the five pillar scores of all participating "
                    f"municipalities in {bm.year}, with {name} as a diamond: {scores}.",
                    lang,
                )
            ),
            caption=_T(
                "Grijze balk: de middelste helft van alle gemeenten (lijn = "
                "mediaan, strepen: 5% tot 95%); ruit: deze gemeente.",
                "Grey box: the middle half of all municipalities (line = median, "
                "whiskers: 5% to 95%); diamond: this municipality.",
                lang,
            ),
        )
    )
    s.add(
        Table(
            [
                Column("p", _T("Pijler", "Pillar", lang)),
                Column("mine", name),
                Column("med", _T("Mediaan alle gemeenten", "Median all municipalities", lang)),
            ],
            [
                {"p": PILLAR_LABELS[p][lang], "mine": Ref(f"bm.{p}"), "med": Ref(f"bm.{p}.median")}
                for p in pillars
            ],
        )
    )


def _appendix(page: Page, s: Any, params: dict, res_p: Any, res_rc: Any, lang: str) -> None:
    q = page.q
    n_pairs = int(page.quantities["n_pairs"].value or 0)
    s.add(
        Text(
            _T(
                "Alle cijfers zijn berekend met evalkit, op dezelfde manier voor elke coalitie: "
                "eenzaamheid volgens de De Jong Gierveld-schaal (11 vragen, score 0-11; 3-8 matig, 9-11 "
                "sterk eenzaam); verschillen zijn nameting min voormeting van dezelfde deelnemers "
                "(gepaarde t-toets met 95%-betrouwbaarheidsinterval, Wilcoxon-toets, effectgroottes "
                "volgens Lakens 2013); aandelen met de McNemar-toets en een Wald-interval voor het "
                "verschil in procentpunten; betrouwbare verandering volgens Jacobson en Truax (1991) met "
                "KR-20 van de itemscores als betrouwbaarheid; de vergelijkingsgroep met een verschil-in-"
                "verschillenschatting (2x2, cluster-robuuste standaardfouten per deelnemer); coalities "
                "vergeleken in een trechterdiagram (Spiegelhalter 2005) en samengevat met een "
                "random-effects meta-analyse (REML).",
                "All figures were computed with evalkit, the same way for every coalition: loneliness "
                "on the De Jong Gierveld scale (11 items, score 0-11; 3-8 moderate, 9-11 severe); "
                "differences are post minus pre of the same participants (paired t-test with 95% "
                "confidence interval, Wilcoxon test, effect sizes after Lakens 2013); shares with "
                "McNemar's test and a Wald interval for the difference in percentage points; reliable "
                "change after Jacobson and Truax (1991) with KR-20 of the item scores as reliability; "
                "the comparison group by difference-in-differences (2x2, cluster-robust standard "
                "errors per participant); coalitions compared in a funnel plot (Spiegelhalter 2005) "
                "and summarised by a random-effects meta-analysis (REML).",
                lang,
            )
        )
    )
    s.add(
        Text(
            _T(
                "Privacy: elk getal gaat door één controle over de hele pagina. Een aantal, gemiddelde "
                "of aandeel van een groep staat er alleen als de groep minstens [[min_cell]] mensen "
                "telt; een aandeel alleen als er minstens [[min_cell]] mensen in en buiten de categorie "
                "zijn; waar delen en hun totaal te lezen zijn, worden zo nodig extra delen verborgen "
                "zodat niets door aftrekken te vinden is; en elke grootheid heeft één getal. Naast dit "
                "rapport staat een controlebestand (.disclosure.json) met elk getoond getal en de "
                "aantallen erachter.",
                "Privacy: every number passes one check over the whole page. A count, mean or share of "
                "a group is shown only if the group has at least [[min_cell]] people; a share only if at "
                "least [[min_cell]] people are in and outside the category; where parts and their total "
                "can be read, further parts are hidden where needed so that nothing can be found by "
                "subtraction; and every quantity has one number. Beside this report is a check file "
                "(.disclosure.json) with every number shown and the counts behind it.",
                lang,
            ),
            style="note",
        )
    )
    mc = int(params.get("min_cell", 10))
    if mc < 10:
        s.add(
            Text(
                _T(
                    f"Let op: de privacydrempel is met een uitdrukkelijke uitzondering "
                    f"(min_cell_override) verlaagd naar {mc}, onder de standaardgrens van 10. Groepen "
                    "vanaf deze omvang worden getoond.",
                    f"Note: the privacy threshold was lowered to {mc} with an explicit exception "
                    "(min_cell_override), below the standard floor of 10. Groups from this size are "
                    "shown.",
                    lang,
                ),
                style="banner",
            )
        )
    # technical measures (jargon belongs here, not in the sections above)
    t = res_p.tidy()
    names = {
        "mean_diff": _T("Gemiddeld verschil (t-toets)", "Mean difference (t-test)", lang),
        "wilcoxon": _T("Wilcoxon-toets (W)", "Wilcoxon test (W)", lang),
        "d_z": "Cohen's d_z",
        "d_av": "Cohen's d_av",
        "g_av": "Hedges' g_av",
        "srm": _T("Gestandaardiseerd responsgemiddelde (SRM)", "Standardised response mean (SRM)", lang),
    }
    rows: list[_Row] = []
    for r in t.to_dict(orient="records"):
        term = str(r["term"])
        if term not in names:
            continue
        base = f"tech.{term}"
        for col in ("estimate", "ci_lower", "ci_upper", "p_value"):
            v = r.get(col)
            v = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
            q(
                f"{base}.{col}",
                v,
                "estimate",
                group_n=n_pairs,
                digits=0 if term == "wilcoxon" else 2,
                fmt="p" if col == "p_value" else "num",
            )
        rows.append(
            {
                "m": names[term],
                "e": Ref(f"{base}.estimate"),
                "lo": Ref(f"{base}.ci_lower"),
                "hi": Ref(f"{base}.ci_upper"),
                "p": Ref(f"{base}.p_value"),
            }
        )
    if not isinstance(res_rc, Exception):
        rows.append(
            {
                "m": _T("Betrouwbaarheid (KR-20)", "Reliability (KR-20)", lang),
                "e": Ref("rc.reliability"),
                "lo": "",
                "hi": "",
                "p": "",
            }
        )
    s.add(Text(_T("Technische maten", "Technical measures", lang)))
    s.add(
        Table(
            [
                Column("m", _T("Maat", "Measure", lang)),
                Column("e", _T("Schatting", "Estimate", lang)),
                Column("lo", _T("95%-BI onder", "95% CI lower", lang)),
                Column("hi", _T("95%-BI boven", "95% CI upper", lang)),
                Column("p", "p"),
            ],
            rows,
        )
    )
    shown = {k: v for k, v in params.items() if k not in ("results_cache",)}
    if shown.get("data_path"):
        shown["data_path"] = Path(str(shown["data_path"])).name
    if shown.get("benchmark_path"):
        shown["benchmark_path"] = Path(str(shown["benchmark_path"])).name

    def val(k: str, v: object) -> str:
        if v is None or v == "":
            return "–"
        if isinstance(v, bool):
            return _T("ja", "yes", lang) if v else _T("nee", "no", lang)
        if k == "lang":
            return {"nl": _T("Nederlands", "Dutch", lang), "en": _T("Engels", "English", lang)}.get(
                str(v), str(v)
            )
        return str(v)

    prow = [
        {"k": _PARAM_LABELS.get(k, {}).get(lang, k), "v": val(k, v), "code": k}
        for k, v in sorted(shown.items(), key=lambda kv: (_PARAM_ORDER.get(kv[0], 99), kv[0]))
    ]
    prow = [
        {"k": _T("Versie van evalkit", "evalkit version", lang), "v": __version__, "code": ""},
        {
            "k": _T("Databestand (SHA-256)", "Data file (SHA-256)", lang),
            "v": str(params.get("_data_sha256") or "–"),
            "code": "",
        },
        {"k": _T("Datum", "Date", lang), "v": _dt.date.today().isoformat(), "code": ""},
        *[r for r in prow if r["code"] != "_data_sha256"],
    ]
    s.add(Text(_T("Reproduceerbaarheid", "Reproducibility", lang)))
    s.add(
        Table(
            [
                Column("k", _T("Onderdeel", "Item", lang)),
                Column("v", _T("Waarde", "Value", lang)),
                Column("code", _T("Parameter", "Parameter", lang)),
            ],
            prow,
        )
    )


#: Words for the report parameters in the appendix.
_PARAM_LABELS = {
    "coalition_code": {"nl": "Gemeentecode", "en": "Municipality code"},
    "coalition_name": {"nl": "Coalitie", "en": "Coalition"},
    "data_path": {"nl": "Databestand", "en": "Data file"},
    "codebook": {"nl": "Codeboek", "en": "Codebook"},
    "intervention": {"nl": "Interventie (selectie)", "en": "Intervention (selection)"},
    "lang": {"nl": "Taal", "en": "Language"},
    "min_cell": {
        "nl": "Privacydrempel (minimaal aantal deelnemers)",
        "en": "Privacy threshold (minimum number of participants)",
    },
    "min_cell_override": {"nl": "Drempel onder 10 toegestaan", "en": "Threshold below 10 allowed"},
    "example_data": {"nl": "Voorbeeldgegevens", "en": "Example data"},
    "benchmark_path": {"nl": "Benchmarkbestand", "en": "Benchmark file"},
}
_PARAM_ORDER = {k: i for i, k in enumerate(_PARAM_LABELS)}


# ----------------------------------------------------------------------------------------
# across coalitions: the position section
# ----------------------------------------------------------------------------------------
@dataclass
class Snapshot:
    """What every report shows of all coalitions: the disclosed key numbers of each (only
    those its own page shows), the pooled estimate, and the date."""

    table: pd.DataFrame
    pooled: dict = field(default_factory=dict)
    date: str = ""


def add_position(page: Page, snapshot: Snapshot | None) -> None:
    """Fill the ``position`` section of ``page`` from the snapshot of all coalitions."""
    lang = page.lang
    sec = next((s for s in page.sections if s.id == "position"), None)
    if sec is None:
        return
    code, name = page.meta["coalition_code"], page.meta["coalition_name"]
    if snapshot is None or len(snapshot.table) < 2:
        return  # the placeholder sentence stays
    t = snapshot.table.dropna(subset=["mean_diff", "n_pairs", "sd_diff"])
    if len(t) < 2:
        return
    sec.blocks.clear()
    pooled = snapshot.pooled or {}
    center = float(pooled.get("estimate", np.average(t["mean_diff"], weights=t["n_pairs"])))
    sd = float(np.sqrt(np.average(t["sd_diff"].astype(float) ** 2, weights=t["n_pairs"])))
    nmax = max(50.0, float(t["n_pairs"].max()) * 1.05)
    q = page.q
    q("pos.center", center, "fixed", digits=2)
    q("pos.k", len(t), "fixed", fmt="int")
    others = t[t["coalition_code"] != code]
    me_shown = bool((t["coalition_code"] == code).any()) and page.quantities["n_pairs"].value is not None
    status = _T(
        "niet in het diagram: te weinig deelnemers met voor- en nameting om te tonen",
        "not in the plot: too few participants with pre- and post-test to show",
        lang,
    )
    if me_shown:
        x = float(page.quantities["n_pairs"].value or 0)
        y = float(page.quantities["mean_diff"].value or 0)
        dev = abs(y - center)
        if dev <= 1.959964 * sd / math.sqrt(x):
            status = _T(
                "binnen de 95%-grenzen: het resultaat wijkt niet af van wat je bij deze omvang verwacht",
                "within the 95% limits: the result is in line with what is expected at this size",
                lang,
            )
        elif dev <= 3.090232 * sd / math.sqrt(x):
            status = _T(
                "tussen de 95%- en 99,8%-grenzen: mogelijk afwijkend",
                "between the 95% and 99.8% limits: possibly different",
                lang,
            )
        else:
            status = _T(
                "buiten de 99,8%-grenzen: duidelijk afwijkend",
                "outside the 99.8% limits: clearly different",
                lang,
            ) + _T(
                " (meer daling)" if y < center else " (minder daling)",
                " (larger decrease)" if y < center else " (smaller decrease)",
                lang,
            )
    sec.add(
        Text(
            _T(
                f"Elke stip is een coalitie. Een coalitie die binnen de trechter ligt, wijkt niet meer "
                f"af dan toeval bij haar omvang verklaart (Spiegelhalter 2005). {name} ligt {status}. "
                "Dit is geen ranglijst: kleine coalities liggen door toeval verder van het midden.",
                f"Each dot is a coalition. A coalition inside the funnel differs no more than chance "
                f"explains at its size (Spiegelhalter 2005). {name} is {status}. This is not a league "
                "table: small coalitions lie further from the centre by chance.",
                lang,
            )
        )
    )
    sec.add(
        Figure(
            "funnel",
            {
                "center": center,
                "sd": sd,
                "nmax": nmax,
                "ylim": CHANGE_LIMITS,
                "points": others[["n_pairs", "mean_diff"]].astype(float).to_numpy().tolist(),
                "me": (Ref("n_pairs"), Ref("mean_diff")) if me_shown else None,
                "labels": {
                    "l95": _T("95%-grens", "95% limit", lang),
                    "l998": _T("99,8%-grens", "99.8% limit", lang),
                    "center": _T("Gemiddelde alle coalities", "Mean of all coalitions", lang),
                    "others": _T("Andere coalities", "Other coalities", lang),
                    "me": name,
                },
                "xlabel": _T(
                    "Aantal deelnemers met voor- en nameting", "Participants with pre- and post-test", lang
                ),
                "ylabel": _T("Verandering (punten)", "Change (points)", lang),
            },
            alt=Text(
                _T(
                    f"Trechterdiagram van de gemiddelde verandering van [[pos.k]] coalities tegen "
                    f"hun aantal deelnemers, met grenzen rond het gemiddelde [[pos.center]] punt; "
                    f"{name} ligt {status}.",
                    f"Funnel plot of the mean change of [[pos.k]] coalitions against their "
                    f"number of participants, with limits around the mean [[pos.center]] "
                    f"points; {name} is {status}.",
                    lang,
                )
            ),
            caption=_T(
                "Grijze stippen: andere coalities; ruit: deze coalitie. Doorgetrokken lijn: "
                "het gemiddelde van alle coalities. Gestippelde lijnen: de grenzen waarbinnen "
                "95% (streepjes) en 99,8% (puntjes) van de coalities door toeval vallen; "
                "bij meer deelnemers liggen ze dichter bij het gemiddelde.",
                "Grey dots: other coalitions; diamond: this coalition. Solid line: the mean "
                "of all coalitions. Dotted lines: the limits within which 95% (dashes) and "
                "99.8% (dots) of coalitions fall by chance; with more participants they lie "
                "closer to the mean.",
                lang,
            ),
        )
    )
    if "estimate" in pooled:
        q("pos.pooled", pooled["estimate"], "fixed", digits=2)
        q("pos.pooled_lo", pooled["ci_lower"], "fixed", digits=2)
        q("pos.pooled_hi", pooled["ci_upper"], "fixed", digits=2)
        q("pos.pooled_k", pooled.get("k", len(t)), "fixed", fmt="int")
        sec.add(
            Text(
                _T(
                    "Samengevat over [[pos.pooled_k]] coalities veranderde de score gemiddeld "
                    "[[pos.pooled]] punt (95%-betrouwbaarheidsinterval [[pos.pooled_lo]] tot "
                    f"[[pos.pooled_hi]]). Stand van {snapshot.date}.",
                    "Summarised over [[pos.pooled_k]] coalitions the score changed on average by "
                    "[[pos.pooled]] points (95% confidence interval [[pos.pooled_lo]] to "
                    f"[[pos.pooled_hi]]). As of {snapshot.date}.",
                    lang,
                ),
                style="note",
            )
        )
