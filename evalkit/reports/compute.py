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
from evalkit.core.checks import check_dataframe, check_lang
from evalkit.core.errors import DataValidationError, EstimationError, ParameterError, report_warnings_handled
from evalkit.core.i18n import LANGS, catalogue, t
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

#: Section ids in report order; their titles are ``reports.section.<id>`` in the catalogue.
SECTION_IDS = (
    "summary",
    "data_quality",
    "prepost",
    "share_lonely",
    "reliable_change",
    "comparison",
    "subgroups",
    "trend",
    "benchmark",
    "position",
    "appendix",
)
#: (id, Dutch title, English title), in report order.
SECTIONS: tuple[tuple[str, str, str], ...] = tuple(
    (sid, t(f"reports.section.{sid}", "nl"), t(f"reports.section.{sid}", "en")) for sid in SECTION_IDS
)

AGE_BANDS = ((18, 34, "18-34"), (35, 54, "35-54"), (55, 74, "55-74"), (75, 200, "75+"))
SUBGROUP_LEVELS = {
    "gender": ("man", "vrouw", "anders"),
    "age_band": tuple(b[2] for b in AGE_BANDS),
    "education": ("laag", "midden", "hoog"),
}
#: The benchmark's pillars in report order; their names are ``reports.bm.pillar.<name>``
#: (the id without ``pillar_``) in the catalogue.
PILLARS = (
    "pillar_commitment",
    "pillar_network",
    "pillar_participation",
    "pillar_sustainable",
    "pillar_monitoring",
)
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


def _level(lev: str, lang: str) -> str:
    """A category of the data (``vrouw``, ``laag``, ...) in the reader's language; a value
    the catalogue does not know (``reports.level.<value>``) is shown as it is."""
    if f"reports.level.{lev}" not in catalogue():
        return lev
    return t(f"reports.level.{lev}", lang)


def _pillar(pillar: str, lang: str) -> str:
    """The name of a benchmark pillar (``pillar_commitment`` ...) in the reader's language."""
    return t(f"reports.bm.pillar.{pillar.removeprefix('pillar_')}", lang)


def age_band(age: pd.Series) -> pd.Categorical:
    """Fixed age bands :data:`AGE_BANDS` (ordered categories; missing stays missing)."""
    a = pd.to_numeric(age, errors="coerce")
    out = pd.Series(pd.NA, index=age.index, dtype="object")
    for lo, hi, lab in AGE_BANDS:
        out[(a >= lo) & (a <= hi)] = lab
    return pd.Categorical(out, categories=[b[2] for b in AGE_BANDS], ordered=True)


def _row(result: Any, term: str) -> dict:
    tab = result.tidy()
    r = tab[tab["term"] == term]
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
        raise EstimationError(t("reports.no_rows", lang, code=code))
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

    page = Page(title=t("reports.title", lang, name=name, code=code), lang=lang)
    page.meta.update(
        coalition_code=code,
        coalition_name=name,
        heading=page.title,
        intervention=", ".join(sorted(d_int["intervention"].astype(str).unique()))
        if "intervention" in d_int
        else "",
    )
    S = {sid: page.section(sid, t(f"reports.section.{sid}", lang)) for sid in SECTION_IDS}

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
    S["position"].blocks.append(Text(t("reports.position.placeholder", lang), style="note"))
    _appendix(page, S["appendix"], params, res_p, res_rc, lang)
    examples = bool(params.get("example_data")) or any(
        x is not None and x.example for x in (reference, benchmark)
    )
    if examples:
        page.banner = Text(t("reports.banner.example", lang), style="banner")
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
    return t(f"reports.certainty.{_direction(lo_v, hi_v)}", lang, what=what, lo=lo, hi=hi)


def _summary(page: Page, s: Any, res_did: Any, lang: str) -> None:
    qs = page.quantities
    name = page.meta["coalition_name"]
    s.add(
        [
            KeyFigure(
                Text("[[n_pairs]]", fallback=t("reports.summary.key.n_pairs_hidden", lang)),
                t("reports.summary.key.n_pairs", lang),
            ),
            KeyFigure(
                Text("[[mean_pre]] → [[mean_post]]", fallback="–"), t("reports.summary.key.mean", lang)
            ),
            KeyFigure(
                Text("[[lonely_pre]] → [[lonely_post]]", fallback="–"), t("reports.summary.key.lonely", lang)
            ),
        ]
    )
    intv = page.meta.get("intervention") or ""
    intv_txt = f" ({intv})" if intv else ""
    s.add(
        Text(
            t("reports.summary.intro", lang, name=name, intervention=intv_txt),
            fallback=t("reports.summary.intro_hidden", lang, name=name),
        )
    )
    lo, hi = qs["ci_lower"].value, qs["ci_upper"].value
    if lo is not None and hi is not None:
        s.add(Text(_certainty("ci_lower", "ci_upper", lo, hi, "", lang), fallback=""))
    s.add(Text(t("reports.summary.shares", lang), fallback=""))
    if res_did is None:
        s.add(Text(t("reports.summary.no_comparison", lang)))
    elif not isinstance(res_did, Exception):
        s.add(Text(_did_sentence(res_did, lang), fallback=t("reports.summary.comparison_hidden", lang)))
    s.add(
        Text(
            t("reports.summary.dropouts", lang),
            fallback=t("reports.summary.dropouts_hidden", lang),
        )
    )


def _did_sentence(res_did: Any, lang: str) -> str:
    lo, hi = res_did.ci
    sure = t(f"reports.did.certainty.{_direction(lo, hi)}", lang)
    return f"{t('reports.did.change', lang)} {sure}"


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
    s.add(Text(t("reports.dq.pairs", lang), fallback=t("reports.dq.pairs_hidden", lang)))
    if cols:
        s.add(Text(t("reports.dq.missing", lang), fallback=t("reports.dq.missing_hidden", lang)))
    if isinstance(res_att, Exception):
        s.add(Text(t("reports.dq.attrition_failed", lang), style="note"))
        return
    if (
        res_att.n_completers != page.quantities["n_pairs"].value
        or res_att.n_dropouts != page.quantities["n_dropouts"].value
    ):  # pragma: no cover
        raise EstimationError("drop-out counted two ways (rule 4).")
    tidy = res_att.tidy()
    n_c, n_d = int(res_att.n_completers), int(res_att.n_dropouts)
    vlab = {var: t(f"reports.dq.var.{var}", lang) for var in ("total", "age", "gender", "education")}
    rows: list[_Row] = []
    for r in tidy.to_dict(orient="records"):
        var, lev = str(r["variable"]), r["level"]
        base = f"att.{var}" if pd.isna(lev) else f"att.{var}.{lev}"
        if pd.isna(lev):
            label = vlab.get(var, var)
            q(f"{base}.c", r["mean_completers"], "mean", group_n=n_c)
            q(f"{base}.d", r["mean_dropouts"], "mean", group_n=n_d)
            basis: tuple[str, ...] = (f"{base}.c", f"{base}.d")
        else:
            label = f"{vlab.get(var, var)}: {_level(str(lev), lang)}"
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
    for var in tidy.loc[tidy["level"].notna(), "variable"].unique():
        levs = [lv for v, lv in zip(tidy["variable"], tidy["level"]) if v == var and pd.notna(lv)]
        page.partition(f"att.{var}.completers", "n_pairs", [f"att.{var}.{lv}.c.n" for lv in levs])
        page.partition(f"att.{var}.dropouts", "n_dropouts", [f"att.{var}.{lv}.d.n" for lv in levs])
    s.add(
        Table(
            [
                Column("label", t("reports.dq.col.label", lang)),
                Column("c", t("reports.dq.col.completers", lang)),
                Column("d", t("reports.dq.col.dropouts", lang)),
                Column("std", t("reports.dq.col.std", lang)),
                Column("status", ""),
            ],
            rows,
        )
    )
    s.add(Text(t("reports.dq.note", lang), style="note"))


def _direction(lo: float, hi: float) -> str:
    """What an interval says: a clear decrease, a clear increase or no clear change."""
    if hi < 0:
        return "down"
    if lo > 0:
        return "up"
    return "none"


def _all_measurements(page: Page, s: Any, res_mixed: Any, lang: str) -> None:
    """One sentence: does the conclusion hold when all measurements are used (mixed model,
    :func:`evalkit.prepost.mixed`), drop-outs included? Its numbers are page quantities,
    so they pass the disclosure layer like every other number."""
    if isinstance(res_mixed, Exception):
        s.add(Text(t("reports.mixed.failed", lang), style="note"))
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
    now = t(f"reports.mixed.direction.{d_all}", lang)
    before = t(f"reports.mixed.direction.{d_pairs}", lang)
    if d_all == d_pairs:
        text = t("reports.mixed.same", lang, now=now)
    else:
        text = t("reports.mixed.changed", lang, now=now, before=before)
    s.add(Text(text, fallback=t("reports.mixed.hidden", lang)))


def _count_of(share: Any, n: int) -> int:
    """People in a category from its share of ``n`` (0 when there is nobody)."""
    v = float(share) if share is not None else float("nan")
    return 0 if n == 0 or math.isnan(v) else int(round(v * n))


def _prepost(page: Page, s: Any, lang: str) -> None:
    labels = [t("reports.common.pre", lang), t("reports.common.post", lang)]
    s.add(
        Figure(
            "means",
            {
                "labels": labels,
                "values": [Ref("mean_pre"), Ref("mean_post")],
                "lo": [Ref("mean_pre_lo"), Ref("mean_post_lo")],
                "hi": [Ref("mean_pre_hi"), Ref("mean_post_hi")],
                "ylim": (0, 11),
                "ylabel": t("reports.common.score_axis", lang),
            },
            alt=Text(t("reports.prepost.alt", lang), fallback=t("reports.prepost.alt_hidden", lang)),
            caption=t("reports.prepost.caption", lang),
        )
    )
    s.add(
        Table(
            [
                Column("label", ""),
                Column("v", t("reports.common.value", lang)),
                Column("lo", t("reports.common.ci_lower", lang)),
                Column("hi", t("reports.common.ci_upper", lang)),
                Column("n", "n"),
            ],
            [
                {
                    "label": t("reports.prepost.row.pre", lang),
                    "v": Ref("mean_pre"),
                    "lo": Ref("mean_pre_lo"),
                    "hi": Ref("mean_pre_hi"),
                    "n": Ref("n_pairs"),
                },
                {
                    "label": t("reports.prepost.row.post", lang),
                    "v": Ref("mean_post"),
                    "lo": Ref("mean_post_lo"),
                    "hi": Ref("mean_post_hi"),
                    "n": Ref("n_pairs"),
                },
                {
                    "label": t("reports.prepost.row.diff", lang),
                    "v": Ref("mean_diff"),
                    "lo": Ref("ci_lower"),
                    "hi": Ref("ci_upper"),
                    "n": Ref("n_pairs"),
                },
            ],
        )
    )
    s.add(Text(t("reports.prepost.note", lang), style="note"))


def _share(page: Page, s: Any, lang: str) -> None:
    from evalkit.core import plotting

    s.add(
        Figure(
            "bars",
            {
                "labels": [t("reports.common.pre", lang), t("reports.common.post", lang)],
                "values": [Ref("lonely_pre"), Ref("lonely_post")],
                "colors": [plotting.COLORS["pre"], plotting.COLORS["post"]],
                "ylabel": t("reports.share.ylabel", lang),
            },
            alt=Text(t("reports.share.alt", lang), fallback=t("reports.share.alt_hidden", lang)),
            caption=t("reports.share.caption", lang),
        )
    )
    rows: list[_Row] = []
    for key in ("lonely", "severe"):
        rows.append(
            {
                "label": t(f"reports.share.row.{key}", lang),
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
                Column("pre", t("reports.share.col.before", lang)),
                Column("post", t("reports.share.col.after", lang)),
                Column("ch", t("reports.share.col.change", lang)),
                Column("lo", t("reports.common.ci_lower", lang)),
                Column("hi", t("reports.common.ci_upper", lang)),
                Column("status", ""),
            ],
            rows,
        )
    )
    s.add(Text(t("reports.share.note", lang), style="note"))


def _reliable_change(page: Page, s: Any, res_rc: Any, n_pairs: int, lang: str) -> None:
    from evalkit.core import plotting

    def say(key: str) -> str:  # texts in evalkit/core/messages/reports.toml
        return t(f"reports.rc.{key}", lang)

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
        s.add(Text(t("reports.comparison.none", lang), style="note"))
        return
    if isinstance(res_did, Exception):
        s.add(Text(t("reports.comparison.failed", lang), style="note"))
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
    s.add(Text(_did_sentence(res_did, lang), fallback=t("reports.comparison.hidden", lang)))
    s.add(
        Figure(
            "did",
            {
                "comparison": [Ref("did.cmp.pre"), Ref("did.cmp.post")],
                "treated": [Ref("did.int.pre"), Ref("did.int.post")],
                "labels": [
                    t(f"reports.comparison.legend.{which}", lang)
                    for which in ("comparison", "intervention", "expected")
                ],
                "xlabels": [t("reports.common.pre", lang), t("reports.common.post", lang)],
                "ylim": (0, 11),
                "ylabel": t("reports.common.score_axis", lang),
            },
            alt=Text(t("reports.comparison.alt", lang), fallback=t("reports.comparison.alt_hidden", lang)),
            caption=t("reports.comparison.caption", lang),
        )
    )


def _subgroups(
    page: Page, s: Any, subgroup_data: dict, lang: str, known_pairs: dict[int, pd.DataFrame] | None = None
) -> None:
    """Mean change per subgroup. ``known_pairs`` maps ``id(data)`` to its complete pairs
    (:func:`_pairs`) when the caller has them already (speed: one pivot per page)."""
    from scipy import stats

    def say(key: str) -> str:  # texts in evalkit/core/messages/reports.toml
        return t(f"reports.sub.{key}", lang)

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
            label = say("unknown") if lev is None else _level(lev, lang)
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
        s.add(Text(t("reports.trend.none", lang, name=name)))
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
                source=t("reports.trend.computed_from", lang, source=f"{ref.source}, {p.year}"),
                label=f"{ref.peers.label} {p.year}",
            )
    last = years[-1]
    nat_last = f"ref.nl.{last}" if any(p.year == last for p in ref.national) else None
    years_txt = ", ".join(str(y) for y in years)
    s.add(Text(t("reports.trend.intro", lang, indicator=ref.indicator, source=ref.source, years=years_txt)))
    if ref.boundary_note:
        s.add(Text(ref.boundary_note))
    # the units: the municipality (or its former municipalities), the country, the peers
    units: list[tuple[str, str, str, tuple]] = []  # (label, style, id prefix, points)
    if ref.local:
        units.append((name, "mine", "ref.local", ref.local))
    for fs in ref.former:
        units.append((fs.label, "former", f"ref.former.{fs.code}", fs.points))
    if ref.national:
        units.append((t("reports.trend.netherlands", lang), "national", "ref.nl", ref.national))
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
    nat_txt = t("reports.trend.against_nl", lang, year=last) if nat_last else ""
    peer_last = ref.peers is not None and any(p.year == last for p in ref.peers.points)
    peer_txt = t("reports.trend.and_peers", lang, year=last) if peer_last else ""
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
                caption=t("reports.trend.table_caption", lang, indicator=ind, source=ref.source),
            )
        )
    s.add(
        Figure(
            "trend",
            {
                "series": series,
                "xlabel": t("reports.trend.xlabel", lang),
                "ylabel": t("reports.trend.ylabel", lang),
            },
            alt=Text(
                t(
                    "reports.trend.alt",
                    lang,
                    year=last,
                    values=f"{'; '.join(in_last)}{nat_txt}{peer_txt}",
                    source=ref.source,
                )
            ),
            caption=t(
                "reports.trend.caption",
                lang,
                solid=t(
                    "reports.trend.solid.local" if ref.local else "reports.trend.solid.former",
                    lang,
                    name=name,
                ),
                own_colour=t("reports.trend.own_colour", lang) if ref.former and ref.local else "",
                peers=t("reports.trend.peers_line", lang) if peer_last else "",
                years=years_txt,
                source=ref.source,
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
        others = t("reports.trend.young.national", lang) if y.national is not None else ""
        if y.peers is not None:
            q(
                "ref.young.peers",
                y.peers,
                "reference",
                fmt="pct",
                digits=1,
                source=t("reports.trend.computed_from", lang, source=src_y),
            )
            others += t("reports.trend.young.peers", lang, n=y.peers_n)
        head = t("reports.trend.young.head", lang, age_group=y.age_group, year=y.year)
        if y.share is None:
            s.add(
                Text(
                    t(
                        "reports.trend.young.no_share",
                        lang,
                        head=head,
                        unit=y.unit_name,
                        note=y.note,
                        others=others,
                        source=y.source,
                    )
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
                    t(
                        "reports.trend.young.share",
                        lang,
                        head=head,
                        unit=y.unit_name,
                        note=extra,
                        others=others,
                        source=y.source,
                    )
                )
            )


def _benchmark(page: Page, s: Any, name: str, bm: BenchmarkFigures, lang: str) -> None:
    q = page.q
    pillars = [p for p in PILLARS if p in bm.scores]
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
    labels = [_pillar(p, lang) for p in pillars]
    scores = "; ".join(f"{_pillar(p, lang)} [[bm.{p}]]" for p in pillars)
    s.add(Text(t("reports.bm.intro", lang, year=bm.year, source=bm.source)))
    s.add(
        Figure(
            "boxes",
            {
                "labels": labels,
                "dists": [list(bm.all_scores.get(p, ())) for p in pillars],
                "mine": [Ref(f"bm.{p}") for p in pillars],
                "me": name,
                "xlabel": t("reports.bm.xlabel", lang, year=bm.year),
            },
            alt=Text(t("reports.bm.alt", lang, year=bm.year, name=name, scores=scores)),
            caption=t("reports.bm.caption", lang),
        )
    )
    s.add(
        Table(
            [
                Column("p", t("reports.bm.col.pillar", lang)),
                Column("mine", name),
                Column("med", t("reports.bm.col.median", lang)),
            ],
            [{"p": _pillar(p, lang), "mine": Ref(f"bm.{p}"), "med": Ref(f"bm.{p}.median")} for p in pillars],
        )
    )


def _appendix(page: Page, s: Any, params: dict, res_p: Any, res_rc: Any, lang: str) -> None:
    q = page.q
    n_pairs = int(page.quantities["n_pairs"].value or 0)
    s.add(Text(t("reports.appendix.method", lang)))
    s.add(Text(t("reports.appendix.privacy", lang), style="note"))
    mc = int(params.get("min_cell", 10))
    if mc < 10:
        s.add(Text(t("reports.appendix.override", lang, threshold=mc), style="banner"))
    # technical measures (jargon belongs here, not in the sections above)
    tidy = res_p.tidy()
    names = {
        "mean_diff": t("reports.appendix.measure.mean_diff", lang),
        "wilcoxon": t("reports.appendix.measure.wilcoxon", lang),
        "d_z": "Cohen's d_z",
        "d_av": "Cohen's d_av",
        "g_av": "Hedges' g_av",
        "srm": t("reports.appendix.measure.srm", lang),
    }
    rows: list[_Row] = []
    for r in tidy.to_dict(orient="records"):
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
                "m": t("reports.appendix.measure.reliability", lang),
                "e": Ref("rc.reliability"),
                "lo": "",
                "hi": "",
                "p": "",
            }
        )
    s.add(Text(t("reports.appendix.technical", lang)))
    s.add(
        Table(
            [
                Column("m", t("reports.appendix.col.measure", lang)),
                Column("e", t("reports.appendix.col.estimate", lang)),
                Column("lo", t("reports.common.ci_lower", lang)),
                Column("hi", t("reports.common.ci_upper", lang)),
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
            return t("reports.appendix.yes" if v else "reports.appendix.no", lang)
        if k == "lang" and str(v) in LANGS:
            return t(f"reports.appendix.language_{v}", lang)
        return str(v)

    def param(k: str) -> str:
        return t(f"reports.appendix.param.{k}", lang) if k in _PARAM_ORDER else k

    prow = [
        {"k": param(k), "v": val(k, v), "code": k}
        for k, v in sorted(shown.items(), key=lambda kv: (_PARAM_ORDER.get(kv[0], 99), kv[0]))
    ]
    prow = [
        {"k": t("reports.appendix.row.version", lang), "v": __version__, "code": ""},
        {
            "k": t("reports.appendix.row.data_file", lang),
            "v": str(params.get("_data_sha256") or "–"),
            "code": "",
        },
        {"k": t("reports.appendix.row.date", lang), "v": _dt.date.today().isoformat(), "code": ""},
        *[r for r in prow if r["code"] != "_data_sha256"],
    ]
    s.add(Text(t("reports.appendix.reproducibility", lang)))
    s.add(
        Table(
            [
                Column("k", t("reports.appendix.col.item", lang)),
                Column("v", t("reports.common.value", lang)),
                Column("code", t("reports.appendix.col.parameter", lang)),
            ],
            prow,
        )
    )


#: The report parameters the appendix names (``reports.appendix.param.<name>``), in this
#: order; other parameters follow under their own name.
_PARAM_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "coalition_code",
            "coalition_name",
            "data_path",
            "codebook",
            "intervention",
            "lang",
            "min_cell",
            "min_cell_override",
            "example_data",
            "benchmark_path",
        )
    )
}


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
    tab = snapshot.table.dropna(subset=["mean_diff", "n_pairs", "sd_diff"])
    if len(tab) < 2:
        return
    sec.blocks.clear()
    pooled = snapshot.pooled or {}
    center = float(pooled.get("estimate", np.average(tab["mean_diff"], weights=tab["n_pairs"])))
    sd = float(np.sqrt(np.average(tab["sd_diff"].astype(float) ** 2, weights=tab["n_pairs"])))
    nmax = max(50.0, float(tab["n_pairs"].max()) * 1.05)
    q = page.q
    q("pos.center", center, "fixed", digits=2)
    q("pos.k", len(tab), "fixed", fmt="int")
    others = tab[tab["coalition_code"] != code]
    me_shown = bool((tab["coalition_code"] == code).any()) and page.quantities["n_pairs"].value is not None
    status = t("reports.position.status.hidden", lang)
    if me_shown:
        x = float(page.quantities["n_pairs"].value or 0)
        y = float(page.quantities["mean_diff"].value or 0)
        dev = abs(y - center)
        if dev <= 1.959964 * sd / math.sqrt(x):
            status = t("reports.position.status.within", lang)
        elif dev <= 3.090232 * sd / math.sqrt(x):
            status = t("reports.position.status.between", lang)
        elif y < center:
            status = t("reports.position.status.outside_larger_decrease", lang)
        else:
            status = t("reports.position.status.outside_smaller_decrease", lang)
    sec.add(Text(t("reports.position.text", lang, name=name, status=status)))
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
                    **{
                        k: t(f"reports.position.legend.{k}", lang)
                        for k in ("l95", "l998", "center", "others")
                    },
                    "me": name,
                },
                "xlabel": t("reports.position.xlabel", lang),
                "ylabel": t("reports.position.ylabel", lang),
            },
            alt=Text(t("reports.position.alt", lang, name=name, status=status)),
            caption=t("reports.position.caption", lang),
        )
    )
    if "estimate" in pooled:
        q("pos.pooled", pooled["estimate"], "fixed", digits=2)
        q("pos.pooled_lo", pooled["ci_lower"], "fixed", digits=2)
        q("pos.pooled_hi", pooled["ci_upper"], "fixed", digits=2)
        q("pos.pooled_k", pooled.get("k", len(tab)), "fixed", fmt="int")
        sec.add(Text(t("reports.position.pooled", lang, date=snapshot.date), style="note"))
