"""The content of a coalition report, computed by library calls, shown by a thin notebook.

The template ``templates/coalition_report.ipynb`` holds no analysis code: it calls
:func:`load` once and :meth:`CoalitionReport.show` once per section. All numbers come from
the public API (:mod:`evalkit.scales`, :mod:`evalkit.prepost`, :mod:`evalkit.did`,
:mod:`evalkit.meta`), figures use :mod:`evalkit.plotting`, and every table by subgroup goes
through :func:`evalkit.privacy.suppress`.

Results computed once
---------------------
In a batch (:func:`evalkit.batch.run`) each coalition's analysis is computed in the worker
processes by :func:`prepare` and cached (``<output>/_cache/<code>.pkl``); :func:`finalize`
then pools the coalition estimates (random-effects meta-analysis) and stores the table of
all coalitions (``_cache/_all.pkl``). The notebook only reads the cache and draws this
coalition's position among all coalitions. A coalition that runs the template on its own
data (``results_cache=""``) gets the same analysis computed inside the notebook.

Sections (always all of them, in this order; a section without data says why):

=================  =====================================================================
``summary``        plain-language summary: what changed, how sure, for how many
``data_quality``   data quality and drop-out (completers vs drop-outs at baseline)
``prepost``        pre/post results (figure and table; DJG-11 axis 0-11)
``share_lonely``   share lonely (DJG-11 >= 3) and severely lonely (>= 9) before and after
``reliable_change``  Jacobson-Truax reliable change (improved / unchanged / deteriorated)
``comparison``     difference-in-differences against the comparison group, when present
``subgroups``      change by gender, age band and education; small cells suppressed
``trend``          the municipality's loneliness trend against the national figure
``benchmark``      its five pillar scores against all participating municipalities
``position``       its estimate among all coalitions (funnel plot, itself highlighted)
``appendix``       method and reproducibility (evalkit version, data hash, parameters, date)
=================  =====================================================================
"""
from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io as _bytesio
import math
import pickle
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._version import __version__

from evalkit.core import i18n
from evalkit.core.checks import check_dataframe, check_lang, check_positive_int
from evalkit.core.errors import DataValidationError, EstimationError, ParameterError
from evalkit.core.privacy import DEFAULT_MIN_CELL, suppress

__all__ = [
    "SECTIONS",
    "CoalitionReport",
    "compute",
    "load",
    "prepare",
    "finalize",
    "figure_html",
    "index_page",
    "AGE_BANDS",
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

#: Age bands of the subgroup section (fixed, same for every coalition).
AGE_BANDS = ((18, 34, "18-34"), (35, 54, "35-54"), (55, 74, "55-74"), (75, 200, "75+"))

#: Fixed axis for changes in the DJG-11 total (points), used in every report.
CHANGE_LIMITS = (-4.0, 2.0)
PILLARS = ("pillar_commitment", "pillar_network", "pillar_participation",
           "pillar_sustainable", "pillar_monitoring")
PILLAR_LABELS = {
    "pillar_commitment": {"nl": "Bestuurlijk commitment", "en": "Administrative commitment"},
    "pillar_network": {"nl": "Sterk netwerk met regisseur", "en": "Strong network, lead person"},
    "pillar_participation": {"nl": "Betrekken van eenzamen", "en": "Involving lonely people"},
    "pillar_sustainable": {"nl": "Duurzame aanpak", "en": "Lasting approach"},
    "pillar_monitoring": {"nl": "Monitoren en evalueren", "en": "Monitoring and evaluation"},
}
UNIT, TIME, GROUP = "participant_id", "wave", "group"
DJG_ITEMS = tuple(f"djg{i}" for i in range(1, 12))
FIG_DPI = 72


# ----------------------------------------------------------------------------------------
# small formatting helpers
# ----------------------------------------------------------------------------------------
def _T(nl: str, en: str, lang: str) -> str:
    return nl if lang == "nl" else en


def _num(x, digits=1, lang="nl") -> str:
    # fmt_number writes a missing value (None, NaN) as "–" itself
    return i18n.fmt_number(None if x is None else float(x), digits, lang)


def _count(n, min_cell: int, lang: str) -> str:
    """A count of people or measurements as text; 1 to ``min_cell - 1`` is never printed
    (privacy): "minder dan 10" / "fewer than 10"."""
    n = int(n)
    if 0 < n < min_cell:
        return _T(f"minder dan {min_cell}", f"fewer than {min_cell}", lang)
    return _num(n, 0, lang)


def _failed(exc: BaseException, lang: str, *, sentence: bool = False) -> str:
    """Why a part of the report is missing, in the report's language. The exception's own
    text is not shown: it is technical English and could name small counts or values."""
    if sentence:
        t = _failed(exc, lang)
        return t[0].upper() + t[1:]
    return _T("dit onderdeel kon met deze gegevens niet worden berekend (te weinig of "
              "onvolledige gegevens).", "this part could not be computed from these data "
              "(too few or incomplete data).", lang)


def _esc(x) -> str:
    return _html.escape(str(x))


def figure_html(fig, alt: str, caption: str | None = None, *, dpi: int = FIG_DPI) -> str:
    """A matplotlib figure as an inline PNG ``<figure>`` with alt text (and closes it).

    The PNG is reduced to an adaptive 64-colour palette, which keeps a report with ten
    figures well under 300 KB without visible loss for line and bar charts.
    """
    import matplotlib.pyplot as plt

    if not alt or not str(alt).strip():
        raise ParameterError("every figure needs a text alternative (alt).")
    buf = _bytesio.BytesIO()
    if fig.get_layout_engine() is None:  # one layout pass; bbox_inches="tight" draws twice
        fig.tight_layout(pad=0.6)
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    data = buf.getvalue()
    try:
        from PIL import Image

        img = Image.open(_bytesio.BytesIO(data)).convert("RGB")
        img = img.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = _bytesio.BytesIO()
        img.save(out, format="PNG", optimize=True)
        if out.tell() < len(data):
            data = out.getvalue()
    except Exception:  # pragma: no cover - Pillow is a matplotlib dependency
        pass
    b64 = base64.b64encode(data).decode("ascii")
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{_esc(alt)}">{cap}'
            "</figure>")


def _fig(ax_or_fig, lang: str):
    """The figure of an Axes, with Dutch decimal commas on its axes for ``lang="nl"``."""
    from evalkit.core import plotting
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    plotting.localize_axes(fig, lang)
    return fig


def _table_html(df: pd.DataFrame, columns: dict[str, str], lang: str,
                digits: dict[str, int] | None = None, pct: tuple[str, ...] = ()) -> str:
    """A small HTML table from selected columns (numbers formatted for ``lang``)."""
    digits = digits or {}
    head = "".join(f"<th>{_esc(lab)}</th>" for lab in columns.values())
    body = []
    for rec in df.to_dict(orient="records"):
        cells = []
        for col in columns:
            v = rec.get(col)
            if isinstance(v, (bool, np.bool_)):
                s = _T("ja", "yes", lang) if v else _T("nee", "no", lang)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                s = _num(v, 0, lang)
            elif isinstance(v, (float, np.floating)) and col == "n" and not math.isnan(v):
                s = _num(v, 0, lang)
            elif (isinstance(v, (float, np.floating)) and col in ("p_value", "p")
                  and not math.isnan(v) and v < 0.001):
                s = "< " + _num(0.001, 3, lang)  # never "0,000"
            elif isinstance(v, (float, np.floating)):
                s = (i18n.fmt_pct(float(v), digits.get(col, 0), lang) if col in pct
                     else _num(v, digits.get(col, 2), lang))
            elif v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                s = "–"
            else:
                s = str(v)
            cells.append(f"<td>{_esc(s)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _p(text: str, cls: str | None = None) -> str:
    return f'<p class="{cls}">{text}</p>' if cls else f"<p>{text}</p>"


def _tidy_row(result, term) -> dict:
    t = result.tidy()
    row = t[t["term"] == term]
    if row.empty:
        raise EstimationError(f"term {term!r} not in result.")
    return row.iloc[0].to_dict()


# ----------------------------------------------------------------------------------------
# reference data (loaded once per process)
# ----------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _reference(name: str, reference_dir: str) -> pd.DataFrame:
    if reference_dir:
        from evalkit.data import readers as _io

        path = Path(reference_dir) / f"{name}.csv"
        if not path.is_file():
            raise ParameterError(f"reference_dir has no {name}.csv ({path}).")
        df = _io.read(path, name, strict=True)
    else:
        from evalkit.data import datasets

        df = datasets.load(name)
    return df


def _read_data(path: str, codebook: str) -> pd.DataFrame:
    from evalkit.data import readers as _io

    return _io.read(path, codebook, strict=True)


def age_band(age: pd.Series) -> pd.Series:
    """Fixed age bands :data:`AGE_BANDS` (ordered categories; missing stays missing)."""
    a = pd.to_numeric(age, errors="coerce")
    out = pd.Series(pd.NA, index=age.index, dtype="object")
    for lo, hi, lab in AGE_BANDS:
        out[(a >= lo) & (a <= hi)] = lab
    return pd.Categorical(out, categories=[b[2] for b in AGE_BANDS], ordered=True)


# ----------------------------------------------------------------------------------------
# the analysis of one coalition
# ----------------------------------------------------------------------------------------
def compute(data: pd.DataFrame, params: dict, *, cwd: str | None = None) -> dict:
    """Everything one coalition's report shows, as a picklable dict of HTML fragments
    (one per section, except ``position`` and ``appendix``, which are drawn at render
    time) plus ``key`` numbers for the overview and the pooling.

    ``data`` is the coalition's validated long data (``intervention`` codebook);
    ``params`` the report parameters (``coalition_code``, ``coalition_name``, ``lang``,
    ``min_cell``, ``intervention``, ``reference_dir``).
    """
    from evalkit.core import plotting
    from evalkit.methods import prepost
    from evalkit.data import scales
    from evalkit.methods.did import two_by_two

    if not isinstance(params, dict) or not isinstance(params.get("coalition_code"), str):
        raise ParameterError("params must be a dict with at least 'coalition_code' (a string "
                             f"such as 'GM0363'), got {params!r}.")
    lang = check_lang(params.get("lang", "nl"))
    min_cell = check_positive_int(params.get("min_cell", DEFAULT_MIN_CELL), "min_cell")
    check_dataframe(data)
    dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
    if dup:
        raise DataValidationError(f"the data have repeated column names: {dup}.")
    missing = [c for c in (UNIT, TIME) if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"the data have no column(s) {missing}; a coalition file follows the "
            "'intervention' codebook (participant_id, wave, djg1-djg11, ...).")
    code = params["coalition_code"]
    name = params.get("coalition_name") or code
    plotting.set_style()
    df = data.copy()
    if "municipality_code" in df.columns:
        df = df[df["municipality_code"].astype(str) == code]
    if params.get("intervention"):
        df = df[df["intervention"].astype(str) == params["intervention"]]
    if df.empty:
        raise EstimationError(
            _T(f"geen rijen voor {code} in het databestand", f"no rows for {code} in the data file",
               lang))
    df = df.reset_index(drop=True)
    sc = scales.score(df, "djg11")
    df["total"] = pd.to_numeric(sc["total"], errors="coerce").astype(float)
    # dichotomised item scores (KR-20 = Cronbach's alpha of 0/1 items) for reliable change
    item_cols = [f"_item_{c}" for c in scales.item_scores(df.head(1), "djg11").columns]
    df[item_cols] = scales.item_scores(df, "djg11").to_numpy()
    df["age_band"] = age_band(df["age"]) if "age" in df.columns else pd.NA
    intervention_names = sorted(df["intervention"].astype(str).unique()) if "intervention" in df else []
    itype = (sorted(df["intervention_type"].astype(str).unique())
             if "intervention_type" in df else [])
    g = df[GROUP].astype(str) if GROUP in df.columns else pd.Series("intervention", index=df.index)
    d_int = df[g == "intervention"].copy()
    d_cmp = df[g == "comparison"].copy()

    S: dict[str, str] = {}
    K: dict[str, Any] = {"coalition_code": code, "coalition_name": name}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res_p = prepost.paired(d_int, outcome="total", unit=UNIT, time=TIME)
        res_share = prepost.proportion_change(d_int, outcome="total", unit=UNIT, time=TIME,
                                              cutoff=3)
        res_severe = prepost.proportion_change(d_int, outcome="total", unit=UNIT, time=TIME,
                                               cutoff=9)
        try:
            # reliability of the scale: KR-20 of the item scores at the pre-test (Jacobson &
            # Truax 1991 ask for the instrument's reliability, not the pre-post correlation)
            res_rc = prepost.reliable_change(d_int, outcome="total", unit=UNIT, time=TIME,
                                             reliability="alpha", items=item_cols)
        except Exception as exc:  # noqa: BLE001 - shown as a note
            res_rc = exc
        covs = [c for c in ("age", "gender", "education") if c in d_int.columns]
        try:
            res_att = prepost.attrition(d_int, outcome="total", unit=UNIT, time=TIME,
                                        covariates=covs)
        except Exception as exc:  # noqa: BLE001
            res_att = exc
        subgroup = {}
        for by in ("gender", "age_band", "education"):
            if by in d_int.columns:
                try:
                    subgroup[by] = prepost.by_group(prepost.paired, d_int, by=by,
                                                    min_cell=min_cell, outcome="total",
                                                    unit=UNIT, time=TIME)
                except Exception as exc:  # noqa: BLE001
                    subgroup[by] = exc
        res_did = None
        if len(d_cmp) and d_cmp[UNIT].nunique() >= 2:
            dd = df[df[TIME].isin(["pre", "post"])].copy()
            dd["treated"] = (dd[GROUP].astype(str) == "intervention").astype(int)
            dd["post"] = (dd[TIME].astype(str) == "post").astype(int)
            dd = dd[dd["total"].notna()]
            try:
                res_did = two_by_two(dd, outcome="total", treated="treated", post="post",
                                     cluster=UNIT)
            except Exception as exc:  # noqa: BLE001
                res_did = exc

    md = _tidy_row(res_p, "mean_diff")
    dz = _tidy_row(res_p, "d_z")
    gav = _tidy_row(res_p, "g_av")
    ch = _tidy_row(res_share, "change")
    sp = _tidy_row(res_share, "share_pre")
    so = _tidy_row(res_share, "share_post")
    n_pairs = int(md["n"])
    n_pre = int(d_int.loc[d_int[TIME].astype(str) == "pre", UNIT].nunique())
    desc = res_p.descriptives
    desc = desc[desc["sample"] == "pairs"].set_index("wave")
    mean_pre = float(desc.loc["pre", "mean"])  # the complete pairs, as the difference
    mean_post = float(desc.loc["post", "mean"])
    sd_diff = float(md["std_error"] * math.sqrt(n_pairs)) if n_pairs > 1 else float("nan")
    K.update(
        n_participants=n_pre, n_pairs=n_pairs, n_dropped=n_pre - n_pairs,
        mean_pre=mean_pre, mean_post=mean_post,
        mean_diff=float(md["estimate"]), std_error=float(md["std_error"]),
        ci_lower=float(md["ci_lower"]), ci_upper=float(md["ci_upper"]),
        p_value=float(md["p_value"]), sd_diff=sd_diff,
        d_z=float(dz["estimate"]), g_av=float(gav["estimate"]),
        share_pre=float(sp["estimate"]), share_post=float(so["estimate"]),
        share_change=float(ch["estimate"]),
        has_comparison=res_did is not None and not isinstance(res_did, Exception),
        did=(float(res_did.estimate) if res_did is not None and not isinstance(res_did, Exception)
             else None),
        intervention=", ".join(intervention_names), intervention_type=", ".join(itype),
    )
    suppressed_all = n_pairs < min_cell
    K["suppressed"] = suppressed_all
    K["min_cell"] = min_cell

    # ---- summary -----------------------------------------------------------------------
    S["summary"] = _summary_html(K, res_rc, res_did, lang, min_cell)

    # ---- data quality ------------------------------------------------------------------
    parts = []
    n_rows = len(df)
    miss = df[[c for c in DJG_ITEMS if c in df.columns]].isna().to_numpy().mean() if any(
        c in df.columns for c in DJG_ITEMS) else float("nan")
    no_total = int(df["total"].isna().sum())
    n_units = int(df[UNIT].nunique())
    c = {"rows": _count(n_rows, min_cell, lang) if n_units >= min_cell else "",
         "units": _count(n_units, min_cell, lang), "pre": _count(n_pre, min_cell, lang),
         "no_total": _count(no_total, min_cell, lang)}
    parts.append(_p(_T(
        f"Het bestand bevat {c['rows']} metingen van {c['units']} deelnemers "
        f"({c['pre']} in de interventiegroep). {_num(100 * miss, 1, lang)}% van de antwoorden "
        f"op de eenzaamheidsvragen ontbreekt; bij {c['no_total']} metingen ontbraken te veel "
        f"antwoorden om een score te berekenen.",
        f"The file holds {c['rows']} measurements of {c['units']} participants "
        f"({c['pre']} in the intervention group). {_num(100 * miss, 1, lang)}% of the answers to "
        f"the loneliness items is missing; {c['no_total']} measurements had too many missing "
        f"answers for a score.", lang).replace("  ", " ")))
    if isinstance(res_att, Exception):
        parts.append(_p(_esc(_failed(res_att, lang, sentence=True)), "note"))
    elif 0 < res_att.n_dropouts < min_cell or 0 < res_att.n_completers < min_cell:
        # privacy: neither the small count nor a comparison based on it is shown
        parts.append(_p(_T(
            f"Van de {_count(res_att.n_baseline, min_cell, lang)} deelnemers met een voormeting "
            f"deden er {_count(res_att.n_dropouts, min_cell, lang)} niet mee aan de nameting. "
            f"Blijvers en uitvallers worden niet vergeleken: minder dan {min_cell} uitvallers "
            "of blijvers.",
            f"Of the {_count(res_att.n_baseline, min_cell, lang)} participants with a pre-test, "
            f"{_count(res_att.n_dropouts, min_cell, lang)} did not take the post-test. Completers "
            f"and drop-outs are not compared: fewer than {min_cell} drop-outs or completers.",
            lang)))
    else:
        vlab = {"total": _T("Eenzaamheidsscore", "Loneliness score", lang),
                "age": _T("Leeftijd", "Age", lang), "gender": _T("Geslacht", "Gender", lang),
                "education": _T("Opleiding", "Education", lang)}
        t = res_att.tidy()
        # categories hidden from the table (primary and secondary suppression) are not named
        # in the text either
        lvl = t["level"].notna()
        small0 = lvl & ((t["mean_completers"] * res_att.n_completers < min_cell - 1e-9)
                        | (t["mean_dropouts"] * res_att.n_dropouts < min_cell - 1e-9))
        hidden0 = _secondary_levels(t, small0, res_att.n_completers, res_att.n_dropouts, min_cell)
        exclude = list(zip(t.loc[hidden0, "variable"], t.loc[hidden0, "level"]))
        text = res_att.summary(lang, min_cell=min_cell, labels=vlab,
                               exclude=exclude).split("\n\n", 1)[-1]
        parts.append("".join(_p(_esc(line)) for line in text.split("\n") if line.strip()))
        if res_att.n_dropouts >= min_cell and res_att.n_completers >= min_cell:
            t = t.assign(label=[vlab.get(r["variable"], r["variable"]) if pd.isna(r["level"])
                                else f"{vlab.get(r['variable'], r['variable'])}: "
                                     f"{r['level'] if lang == 'nl' else _LEVEL_EN.get(r['level'], r['level'])}"
                                for _, r in t.iterrows()])
            # a category held by fewer than min_cell people in either group is not shown
            is_level = t["level"].notna()
            small = is_level & ((t["mean_completers"] * res_att.n_completers < min_cell - 1e-9)
                                | (t["mean_dropouts"] * res_att.n_dropouts < min_cell - 1e-9))
            primary = small
            small = _secondary_levels(t, small, res_att.n_completers, res_att.n_dropouts, min_cell)
            cols = ["mean_completers", "mean_dropouts", "std_diff", "p_value"]
            t[cols] = t[cols].astype(float)
            t.loc[small, cols] = np.nan
            t["status"] = np.where(primary, _T(f"onderdrukt (< {min_cell})",
                                               f"suppressed (< {min_cell})", lang),
                                   np.where(small, _T("onderdrukt (beschermt een kleine groep)",
                                                      "suppressed (protects a small group)", lang),
                                            ""))
            # fixed category order (laag, midden, hoog), the same in every report
            rank = {(v, lev): i for v, levs in SUBGROUP_LEVELS.items() for i, lev in enumerate(levs)}
            t = t.assign(_o=range(len(t)), _r=[rank.get((v, lv), 99) for v, lv in
                                                zip(t["variable"], t["level"])])
            first = t.groupby("variable", sort=False)["_o"].transform("min")
            t = t.assign(_f=first).sort_values(["_f", "_r", "_o"]).drop(columns=["_o", "_r", "_f"])
            parts.append(_table_html(t, {
                "label": _T("Kenmerk", "Characteristic", lang),
                "mean_completers": _T("Blijvers", "Completers", lang),
                "mean_dropouts": _T("Uitvallers", "Drop-outs", lang),
                "std_diff": _T("Gestand. verschil", "Std. difference", lang),
                "p_value": "p", "status": ""}, lang, digits={"p_value": 3}))
            parts.append(_p(_T("Gemiddelden bij de voormeting; bij categorieën het aandeel.",
                               "Means at the pre-test; for categories the share.", lang), "note"))
        else:
            parts.append(_p(_T(
                f"De tabel blijvers/uitvallers wordt niet getoond: minder dan {min_cell} "
                "uitvallers of blijvers.",
                f"The completers/drop-outs table is not shown: fewer than {min_cell} drop-outs "
                "or completers.", lang), "suppressed"))
    S["data_quality"] = "".join(parts)

    # ---- pre/post ------------------------------------------------------------------------
    parts = []
    if suppressed_all:
        parts.append(_p(_T(f"Minder dan {min_cell} deelnemers met voor- en nameting: "
                           "resultaten worden niet getoond.",
                           f"Fewer than {min_cell} participants with pre- and post-test: "
                           "results are not shown.", lang), "suppressed"))
    else:
        ax = res_p.plot(kind="paired", lang=lang, ylim=plotting.LONELINESS_LIMITS, max_lines=0)
        parts.append(figure_html(_fig(ax, lang), _T(
            f"Gemiddelde eenzaamheidsscore (0-11) voor en na: {_num(mean_pre, 1, lang)} en "
            f"{_num(mean_post, 1, lang)}, met 95%-betrouwbaarheidsintervallen; n = {n_pairs} paren.",
            f"Mean loneliness score (0-11) before and after: {_num(mean_pre, 1, lang)} and "
            f"{_num(mean_post, 1, lang)}, with 95% confidence intervals; n = {n_pairs} pairs.",
            lang), _T("Gemiddelde score voor en na (schaal 0-11).",
                      "Mean score before and after (scale 0-11).", lang)))
        t = res_p.tidy()
        labels = {"mean_diff": _T("Gemiddeld verschil (na - voor)", "Mean difference (post - pre)", lang),
                  "wilcoxon": _T("Wilcoxon-toets (W)", "Wilcoxon test (W)", lang),
                  "d_z": "Cohen's d_z", "d_av": "Cohen's d_av", "g_av": "Hedges' g_av",
                  "srm": _T("Gestandaardiseerde responsgemiddelde", "Standardised response mean", lang)}
        t = t.assign(label=t["term"].map(labels).fillna(t["term"]))
        parts.append(_table_html(t, {"label": _T("Maat", "Measure", lang),
                                     "estimate": _T("Schatting", "Estimate", lang),
                                     "ci_lower": _T("95%-BI onder", "95% CI lower", lang),
                                     "ci_upper": _T("95%-BI boven", "95% CI upper", lang),
                                     "p_value": "p", "n": "n"}, lang, digits={"p_value": 3}))
        parts.append(_p(_T("Een negatief verschil betekent minder eenzaamheid na de interventie.",
                           "A negative difference means less loneliness after the intervention.",
                           lang), "note"))
    S["prepost"] = "".join(parts)

    # ---- share lonely --------------------------------------------------------------------
    parts = []
    if suppressed_all:
        parts.append(_p(_T("Niet getoond (te weinig deelnemers).", "Not shown (too few participants).",
                           lang), "suppressed"))
    else:
        ax = res_share.plot(lang=lang)
        parts.append(figure_html(_fig(ax, lang), _T(
            f"Staafdiagram: aandeel eenzame deelnemers (score 3 of hoger) van "
            f"{i18n.fmt_pct(K['share_pre'], 0, lang)} voor naar {i18n.fmt_pct(K['share_post'], 0, lang)} na.",
            f"Bar chart: share of lonely participants (score 3 or more) from "
            f"{i18n.fmt_pct(K['share_pre'], 0, lang)} before to {i18n.fmt_pct(K['share_post'], 0, lang)} after.",
            lang), _T("Aandeel eenzaam (score 3-11), schaal 0-100%.",
                      "Share lonely (score 3-11), scale 0-100%.", lang)))
        rows = []
        for lab, r in ((_T("Eenzaam (3-11)", "Lonely (3-11)", lang), res_share),
                       (_T("Sterk eenzaam (9-11)", "Severely lonely (9-11)", lang), res_severe)):
            a, b, c = (_tidy_row(r, "share_pre"), _tidy_row(r, "share_post"), _tidy_row(r, "change"))
            rows.append({"label": lab, "pre": a["estimate"], "post": b["estimate"],
                         "change": c["estimate"], "lo": c["ci_lower"], "hi": c["ci_upper"],
                         "p": c["p_value"], "n": int(c["n"])})
        parts.append(_table_html(pd.DataFrame(rows), {
            "label": "", "pre": _T("Voor", "Before", lang), "post": _T("Na", "After", lang),
            "change": _T("Verschil", "Change", lang), "lo": _T("95%-BI onder", "95% CI lower", lang),
            "hi": _T("95%-BI boven", "95% CI upper", lang), "p": "p (McNemar)", "n": "n"},
            lang, digits={"p": 3}, pct=("pre", "post", "change", "lo", "hi")))
    S["share_lonely"] = "".join(parts)

    # ---- reliable change -------------------------------------------------------------------
    parts = []
    if isinstance(res_rc, Exception) or suppressed_all:
        parts.append(_p(_T("Niet te berekenen of te weinig deelnemers.",
                           "Not computable or too few participants.", lang), "suppressed"))
    else:
        counts = {k: (v if not 0 < v < min_cell else f"< {min_cell}")
                  for k, v in res_rc.counts.items()}  # small cells are never shown
        ax = res_rc.plot(lang=lang, min_cell=min_cell)
        parts.append(figure_html(_fig(ax, lang), _T(
            f"Staafdiagram: {counts['improved']} deelnemers betrouwbaar verbeterd, "
            f"{counts['unchanged']} onveranderd, {counts['deteriorated']} verslechterd (van {n_pairs}).",
            f"Bar chart: {counts['improved']} participants reliably improved, "
            f"{counts['unchanged']} unchanged, {counts['deteriorated']} deteriorated (of {n_pairs}).",
            lang), _T("Betrouwbare verandering (Jacobson-Truax), % van de deelnemers.",
                      "Reliable change (Jacobson-Truax), % of participants.", lang)))
        thr = _tidy_row(res_rc, "threshold")["estimate"]
        parts.append(_p(_T(
            f"Een verandering telt als betrouwbaar als de score minstens {_num(thr, 1, lang)} punt "
            "verandert (meer dan de meetfout verklaart).",
            f"A change counts as reliable when the score changes by at least {_num(thr, 1, lang)} "
            "points (more than measurement error explains).", lang), "note"))
        if any(isinstance(v, str) for v in counts.values()):
            parts.append(_p(_T(f"Groepen met minder dan {min_cell} deelnemers worden niet getoond.",
                               f"Groups with fewer than {min_cell} participants are not shown.",
                               lang), "note"))
    S["reliable_change"] = "".join(parts)

    # ---- comparison group (DiD) ------------------------------------------------------------
    parts = []
    if res_did is None:
        parts.append(_p(_T(
            "Deze evaluatie heeft geen vergelijkingsgroep. Daardoor weten we niet hoeveel van de "
            "verandering ook zonder de interventie zou zijn opgetreden.",
            "This evaluation has no comparison group, so we do not know how much of the change "
            "would have happened without the intervention.", lang), "note"))
    elif isinstance(res_did, Exception):
        parts.append(_p(_esc(_T("Verschil-in-verschillen niet te schatten: ",
                                "Difference-in-differences could not be estimated: ", lang)
                             + _failed(res_did, lang)), "note"))
    else:
        n_cmp = int(d_cmp[UNIT].nunique())
        if n_cmp < min_cell:
            parts.append(_p(_T(f"De vergelijkingsgroep heeft minder dan {min_cell} deelnemers; "
                               "niet getoond.", f"The comparison group has fewer than {min_cell} "
                               "participants; not shown.", lang), "suppressed"))
        else:
            ax = res_did.plot(lang=lang)
            ax.set_ylim(plotting.LONELINESS_LIMITS)
            ax.set_ylabel(plotting.label("djg_total", lang))
            parts.append(figure_html(_fig(ax, lang), _T(
                f"Lijndiagram van de gemiddelde score voor en na in de interventiegroep en de "
                f"vergelijkingsgroep ({n_cmp} deelnemers); verschil-in-verschillen "
                f"{_num(res_did.estimate, 2, lang)} punt.",
                f"Line chart of the mean score before and after in the intervention and the "
                f"comparison group ({n_cmp} participants); difference-in-differences "
                f"{_num(res_did.estimate, 2, lang)} points.", lang),
                _T("Gemiddelde score per groep; gestippeld: verwacht zonder interventie.",
                   "Mean score per group; dashed: expected without the intervention.", lang)))
            t = res_did.tidy().assign(label=_T("Verschil-in-verschillen", "Difference-in-differences", lang))
            parts.append(_table_html(t, {"label": "", "estimate": _T("Schatting", "Estimate", lang),
                                         "ci_lower": _T("95%-BI onder", "95% CI lower", lang),
                                         "ci_upper": _T("95%-BI boven", "95% CI upper", lang),
                                         "p_value": "p", "n": _T("metingen", "measurements", lang)},
                                     lang, digits={"p_value": 3}))
    S["comparison"] = "".join(parts)

    # ---- subgroups -------------------------------------------------------------------------
    parts = [_p(_T(f"Gemiddelde verandering per groep. Groepen met minder dan {min_cell} "
                   "deelnemers worden niet getoond, en soms ook een tweede groep, zodat een "
                   "kleine groep niet uit het totaal kan worden uitgerekend.",
                   f"Mean change per group. Groups with fewer than {min_cell} participants are "
                   "not shown, sometimes with a second group, so that a small group cannot be "
                   "worked out from the total.", lang), "note")]
    by_lab = {"gender": _T("Geslacht", "Gender", lang), "age_band": _T("Leeftijd", "Age", lang),
              "education": _T("Opleiding", "Education", lang)}
    for by, res in subgroup.items():
        parts.append(f"<h3>{_esc(by_lab[by])}</h3>")
        if isinstance(res, Exception):
            parts.append(_p(_esc(_failed(res, lang, sentence=True)), "note"))
            continue
        t = _subgroup_table(res, by, min_cell, lang)
        parts.append(_table_html(t, {"group_label": by_lab[by],
                                     "estimate": _T("Verschil", "Change", lang),
                                     "ci_lower": _T("95%-BI onder", "95% CI lower", lang),
                                     "ci_upper": _T("95%-BI boven", "95% CI upper", lang),
                                     "n": "n", "status": ""}, lang))
    S["subgroups"] = "".join(parts)

    # ---- trend and benchmark -------------------------------------------------------------
    ref_dir = params.get("reference_dir") or ""
    S["trend"] = _trend_html(code, name, ref_dir, lang)
    S["benchmark"] = _benchmark_html(code, name, ref_dir, lang)

    if suppressed_all:  # privacy: the key numbers (index, manifest, cache) are blanked too
        for k in _KEY_NUMBERS:
            K[k] = None
    return {"key": K, "sections": S, "params": dict(params), "lang": lang,
            "min_cell": min_cell, "evalkit_version": __version__}


#: Key numbers of a coalition that are blanked when it is under its privacy threshold.
_KEY_NUMBERS = ("n_participants", "n_pairs", "n_dropped", "mean_pre", "mean_post", "mean_diff",
                "std_error", "ci_lower", "ci_upper", "p_value", "sd_diff", "d_z", "g_av",
                "share_pre", "share_post", "share_change", "did")


#: Fixed categories of the subgroup tables, in this order for every coalition.
SUBGROUP_LEVELS = {"gender": ("man", "vrouw", "anders"),
                   "age_band": tuple(b[2] for b in AGE_BANDS),
                   "education": ("laag", "midden", "hoog")}
_LEVEL_EN = {"man": "man", "vrouw": "woman", "anders": "other", "laag": "low",
             "midden": "middle", "hoog": "high"}
_MISSING = "\x00missing"


def _subgroup_table(res, by: str, min_cell: int, lang: str) -> pd.DataFrame:
    """The ``mean_diff`` rows of a :func:`evalkit.prepost.by_group` result, one row per
    fixed category (same rows and order for every coalition), with small cells suppressed.

    Primary suppression: a group with fewer than ``min_cell`` pairs (or none) shows no
    numbers. Secondary suppression: when the pairs hidden in a table add up to 1 to
    ``min_cell - 1``, they could be found by subtracting the shown groups from the total
    (shown in the summary), so the smallest shown groups are hidden too until the hidden
    total is 0 or at least ``min_cell``.
    """
    t = res.tidy()
    t = t[t["term"] == "mean_diff"].copy()
    t = suppress(t, n="n", min_cell=min_cell, keep=["by", "group", "term"], warn=False)
    t["key"] = [(_MISSING if pd.isna(g) else str(g)) for g in t["group"]]
    fixed = list(SUBGROUP_LEVELS.get(by, ()))
    extra = sorted(k for k in t["key"] if k not in fixed and k != _MISSING)
    order = fixed + extra + ([_MISSING] if (t["key"] == _MISSING).any() else [])
    t = t.set_index("key").reindex(order)
    t["suppressed"] = t["suppressed"].astype("boolean").fillna(True).astype(bool)
    t["reason"] = np.where(t["suppressed"], "small", "")
    total = float(_tidy_row(res.overall, "mean_diff")["n"])
    while True:
        shown = ~t["suppressed"]
        hidden = total - float(t.loc[shown, "n"].sum())
        if not (0.5 <= hidden < min_cell) or not shown.any():
            break
        j = t.loc[shown, "n"].astype(float).idxmin()
        t.loc[j, "suppressed"] = True
        t.loc[j, "reason"] = "secondary"
    cols = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    t[cols] = t[cols].astype(float)
    t.loc[t["suppressed"], cols] = np.nan
    t["group_label"] = [
        _T("onbekend", "unknown", lang) if k == _MISSING
        else (k if lang == "nl" else _LEVEL_EN.get(k, k)) for k in t.index]
    t["status"] = [
        _T(f"onderdrukt (< {min_cell})", f"suppressed (< {min_cell})", lang) if r == "small"
        else _T("onderdrukt (beschermt een kleine groep)", "suppressed (protects a small group)",
                lang) if r == "secondary" else "" for r in t["reason"]]
    return t.reset_index(drop=True)


def _secondary_levels(t: pd.DataFrame, small: pd.Series, n_completers: int, n_dropouts: int,
                      min_cell: int) -> pd.Series:
    """Secondary suppression in the completers/drop-outs table: per variable, the people
    in hidden categories (``n`` minus the shown shares times ``n``, in either group) must
    not be 1 to ``min_cell - 1``; else the smallest shown category is hidden as well."""
    small = small.copy()
    for var in t.loc[t["level"].notna(), "variable"].unique():
        rows = t.index[(t["variable"] == var) & t["level"].notna()]
        while True:
            shown = [i for i in rows if not small[i]]
            worst = 0.0
            for col, n in (("mean_completers", n_completers), ("mean_dropouts", n_dropouts)):
                hidden = n - sum(float(t.loc[i, col]) * n for i in shown)
                if 0.5 <= hidden < min_cell - 1e-9:
                    worst = max(worst, 1.0)
            if not worst or not shown:
                break
            size = {i: min(float(t.loc[i, "mean_completers"]) * n_completers,
                           float(t.loc[i, "mean_dropouts"]) * n_dropouts) for i in shown}
            small[min(size, key=size.get)] = True
    return small


def _summary_html(K, res_rc, res_did, lang, min_cell) -> str:
    name, n, n_pre = K["coalition_name"], K["n_pairs"], K["n_participants"]
    if n < min_cell:
        return _p(_T(f"Bij {_esc(name)} hebben minder dan {min_cell} deelnemers een voor- en "
                     "nameting. Om de privacy van de deelnemers te beschermen tonen we geen "
                     "resultaten.", f"In {_esc(name)} fewer than {min_cell} participants have a "
                     "pre- and post-test. To protect their privacy no results are shown.", lang))
    diff, lo, hi = K["mean_diff"], K["ci_lower"], K["ci_upper"]
    boxes = (
        f'<div class="keyfigures">'
        f'<div><strong>{n}</strong>{_T("deelnemers met voor- en nameting", "participants with pre- and post-test", lang)}</div>'
        f'<div><strong>{_num(K["mean_pre"], 1, lang)} → {_num(K["mean_post"], 1, lang)}</strong>'
        f'{_T("gemiddelde eenzaamheid (0-11)", "mean loneliness (0-11)", lang)}</div>'
        f'<div><strong>{i18n.fmt_pct(K["share_pre"], 0, lang)} → {i18n.fmt_pct(K["share_post"], 0, lang)}</strong>'
        f'{_T("eenzaam (score 3+)", "lonely (score 3+)", lang)}</div></div>'
    )
    what = _T(
        f"Bij {_esc(name)} deden {n_pre} mensen mee aan de interventie "
        f"({_esc(K['intervention'])}). Van {n} van hen is zowel een voor- als een nameting "
        f"bekend. Hun gemiddelde eenzaamheidsscore ging van {_num(K['mean_pre'], 1, lang)} naar "
        f"{_num(K['mean_post'], 1, lang)} op een schaal van 0 (niet eenzaam) tot 11 (zeer "
        f"ernstig eenzaam): een verschil van {_num(diff, 1, lang)} punt.",
        f"In {_esc(name)}, {n_pre} people took part in the intervention "
        f"({_esc(K['intervention'])}). For {n} of them both a pre- and a post-test are known. "
        f"Their mean loneliness score went from {_num(K['mean_pre'], 1, lang)} to "
        f"{_num(K['mean_post'], 1, lang)} on a scale from 0 (not lonely) to 11 (very severely "
        f"lonely): a change of {_num(diff, 1, lang)} points.", lang)
    if hi < 0:
        sure = _T(f"Dat is vrijwel zeker een echte daling: de ware verandering ligt met 95% "
                  f"zekerheid tussen {_num(lo, 1, lang)} en {_num(hi, 1, lang)} punt.",
                  f"This is almost certainly a real decrease: the true change lies between "
                  f"{_num(lo, 1, lang)} and {_num(hi, 1, lang)} points with 95% confidence.", lang)
    elif lo > 0:
        sure = _T(f"De eenzaamheid is gestegen; de ware verandering ligt met 95% zekerheid "
                  f"tussen {_num(lo, 1, lang)} en {_num(hi, 1, lang)} punt.",
                  f"Loneliness increased; the true change lies between {_num(lo, 1, lang)} and "
                  f"{_num(hi, 1, lang)} points with 95% confidence.", lang)
    else:
        sure = _T(f"We weten niet zeker of er iets veranderd is: de ware verandering ligt met "
                  f"95% zekerheid tussen {_num(lo, 1, lang)} en {_num(hi, 1, lang)} punt, dus "
                  f"ook geen verandering is mogelijk.",
                  f"We cannot be sure anything changed: the true change lies between "
                  f"{_num(lo, 1, lang)} and {_num(hi, 1, lang)} points with 95% confidence, so no "
                  f"change is also possible.", lang)
    share = _T(f"Het aandeel eenzame deelnemers ging van {i18n.fmt_pct(K['share_pre'], 0, lang)} "
               f"naar {i18n.fmt_pct(K['share_post'], 0, lang)}.",
               f"The share of lonely participants went from {i18n.fmt_pct(K['share_pre'], 0, lang)} "
               f"to {i18n.fmt_pct(K['share_post'], 0, lang)}.", lang)
    if res_did is None:
        cause = _T("Er was geen vergelijkingsgroep, dus we weten niet welk deel van de "
                   "verandering door de interventie komt.",
                   "There was no comparison group, so we do not know which part of the change "
                   "is due to the intervention.", lang)
    elif isinstance(res_did, Exception):
        cause = ""
    else:
        lo_d, hi_d = res_did.ci
        cause = _T(f"Vergeleken met de vergelijkingsgroep is het verschil "
                   f"{_num(res_did.estimate, 1, lang)} punt (95%-BI {_num(lo_d, 1, lang)} tot "
                   f"{_num(hi_d, 1, lang)}).",
                   f"Compared with the comparison group the difference is "
                   f"{_num(res_did.estimate, 1, lang)} points (95% CI {_num(lo_d, 1, lang)} to "
                   f"{_num(hi_d, 1, lang)}).", lang)
    drop = ""
    if K["n_dropped"]:
        nd = _count(K["n_dropped"], min_cell, lang)
        drop = _T(f"{nd[0].upper() + nd[1:]} deelnemers deden niet mee aan de nameting.",
                  f"{nd[0].upper() + nd[1:]} participants missed the post-test.", lang)
    return boxes + _p(" ".join(x for x in (what, sure, share, cause, drop) if x))


def _no_reference(what: str, lang: str) -> str:
    """Note for a missing reference table (no exception text: English, and a path)."""
    return _p(_esc(_T(f"Geen {what} gevonden (controleer de map met referentiegegevens).",
                      f"No {what} found (check the folder with reference data).", lang)), "note")


def _trend_html(code, name, ref_dir, lang) -> str:
    from evalkit.core import plotting

    try:
        panel = _reference("municipal_panel", ref_dir)
    except Exception:  # noqa: BLE001 - the report says so, in its own language
        return _no_reference(_T("gemeentelijke monitorgegevens", "municipal monitor data", lang), lang)
    panel = panel[["municipality_code", "year", "lonely_pct", "n_respondents"]].dropna()
    w = panel["n_respondents"].astype(float)
    nat = (panel.assign(w=w, wy=w * panel["lonely_pct"].astype(float))
           .groupby("year")[["w", "wy"]].sum())
    nat = (nat["wy"] / nat["w"]).rename("national")
    mine = panel[panel["municipality_code"].astype(str) == code].sort_values("year")
    if mine.empty:
        return _p(_T(f"{_esc(name)} staat niet in de monitorgegevens.",
                     f"{_esc(name)} is not in the monitor data.", lang), "note")
    ax = plotting.new_axes(figsize=(6.5, 3.4))
    ax.plot(nat.index.astype(int), nat.to_numpy(), color=plotting.COLORS["national"],
            linestyle="--", marker="o", label=plotting.label("national", lang))
    ax.plot(mine["year"].astype(int), mine["lonely_pct"].astype(float),
            color=plotting.COLORS["highlight"], marker="o", label=name)
    ax.set_ylim(plotting.PERCENT_LIMITS)
    ax.set_xlim(2015.5, 2024.5)
    ax.set_xlabel(plotting.label("year", lang))
    ax.set_ylabel(plotting.label("share_lonely", lang))
    ax.legend(frameon=False, loc="lower left")
    last = mine.iloc[-1]
    alt = _T(f"Lijndiagram: aandeel eenzame inwoners van {name} per jaar, in "
             f"{int(last['year'])} {_num(last['lonely_pct'], 0, lang)}%, tegen Nederland "
             f"{_num(nat.loc[last['year']], 0, lang)}%.",
             f"Line chart: share of lonely residents of {name} by year, in {int(last['year'])} "
             f"{_num(last['lonely_pct'], 0, lang)}%, against the Netherlands "
             f"{_num(nat.loc[last['year']], 0, lang)}%.", lang)
    txt = _p(_T("Aandeel inwoners (18+) dat matig of sterk eenzaam is volgens de "
                "Gezondheidsmonitor, in de gemeente en in heel Nederland (gewogen gemiddelde).",
                "Share of residents (18+) moderately or severely lonely according to the "
                "Health Monitor, in the municipality and the whole country (weighted mean).",
                lang), "note")
    return txt + figure_html(_fig(ax, lang), alt, _T("Aandeel eenzaam (%), schaal 0-100.",
                                               "Share lonely (%), scale 0-100.", lang))


def _benchmark_html(code, name, ref_dir, lang) -> str:
    from evalkit.core import plotting

    try:
        bm = _reference("benchmark", ref_dir)
    except Exception:  # noqa: BLE001
        return _no_reference(_T("benchmarkgegevens", "benchmark data", lang), lang)
    year = int(bm["year"].max())
    cur = bm[bm["year"] == year]
    mine = cur[cur["municipality_code"].astype(str) == code]
    if mine.empty:
        return _p(_T(f"{_esc(name)} heeft in {year} niet meegedaan aan de benchmark.",
                     f"{_esc(name)} did not take part in the {year} benchmark.", lang), "note")
    mine = mine.iloc[0]
    ax = plotting.new_axes(figsize=(6.5, 3.2))
    labels = [PILLAR_LABELS[p][lang] for p in PILLARS]
    ys = list(range(len(PILLARS) - 1, -1, -1))
    # all municipalities as boxes (quartiles, whiskers 5-95%), this one as a diamond
    ax.boxplot([cur[p].astype(float).dropna().to_numpy() for p in PILLARS], positions=ys,
               orientation="horizontal", widths=0.5, whis=(5, 95), showfliers=False,
               patch_artist=True,
               boxprops={"facecolor": "#E5E5E5", "edgecolor": plotting.COLORS["national"]},
               medianprops={"color": plotting.COLORS["national"], "linewidth": 2},
               whiskerprops={"color": plotting.COLORS["national"]},
               capprops={"color": plotting.COLORS["national"]})
    ax.scatter([float(mine[p]) for p in PILLARS], ys, marker="D", s=45,
               color=plotting.COLORS["highlight"], zorder=3, label=name)
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 10)
    ax.set_xlabel(_T(f"Score (0-10), benchmark {year}", f"Score (0-10), benchmark {year}", lang))
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    scores = "; ".join(f"{PILLAR_LABELS[p][lang]} {_num(mine[p], 1, lang)}" for p in PILLARS)
    alt = _T(f"Boxplots van de vijf pijlerscores van alle {len(cur)} deelnemende gemeenten "
             f"in {year}, met {name} als ruit: {scores}.",
             f"Box plots of the five pillar scores of all {len(cur)} participating municipalities "
             f"in {year}, with {name} as a diamond: {scores}.", lang)
    rows = pd.DataFrame([{"pillar": PILLAR_LABELS[p][lang], "mine": float(mine[p]),
                          "median": float(cur[p].median())} for p in PILLARS])
    return figure_html(_fig(ax, lang), alt, _T(
        "Grijze balk: middelste helft van alle gemeenten (lijn = mediaan, strepen: 5-95%); "
        "ruit: deze gemeente.",
        "Grey box: middle half of all municipalities (line = median, whiskers: 5-95%); "
        "diamond: this one.", lang)) + \
        _table_html(rows, {"pillar": _T("Pijler", "Pillar", lang), "mine": name,
                           "median": _T("Mediaan alle gemeenten", "Median all municipalities", lang)},
                    lang, digits={"mine": 1, "median": 1})


# ----------------------------------------------------------------------------------------
# across coalitions
# ----------------------------------------------------------------------------------------
def _pool(table: pd.DataFrame) -> dict | None:
    """Random-effects pooling of the coalition mean differences (evalkit.meta)."""
    from evalkit.methods import meta

    ok = table.dropna(subset=["mean_diff", "std_error"])
    ok = ok[(ok["std_error"] > 0) & ~ok["suppressed"].astype(bool)]
    if len(ok) < 2:
        return None
    res = meta.random_effects(ok, estimate="mean_diff", std_error="std_error",
                              label="coalition_name", method="REML")
    t = res.tidy().set_index("term")
    out = {"estimate": float(t.loc["pooled", "estimate"]),
           "std_error": float(t.loc["pooled", "std_error"]),
           "ci_lower": float(t.loc["pooled", "ci_lower"]),
           "ci_upper": float(t.loc["pooled", "ci_upper"]),
           "p_value": float(t.loc["pooled", "p_value"]), "k": int(len(ok)), "result": res}
    if "tau2" in t.index:
        out["tau2"] = float(t.loc["tau2", "estimate"])
    if "i2" in t.index:
        out["i2"] = float(t.loc["i2", "estimate"])  # percent
    if "prediction" in t.index:
        out["pi_lower"] = float(t.loc["prediction", "ci_lower"])
        out["pi_upper"] = float(t.loc["prediction", "ci_upper"])
    return out


def finalize(keys: dict, names: dict, *, cache_dir: str, lang: str = "nl") -> dict | None:
    """Pool the coalitions' estimates and store the table of all coalitions for the reports.

    Returns the pooled estimate (dict) with a forest plot as HTML (``figure``), or None.
    """
    rows = [dict(v) for v in keys.values() if v]
    table = pd.DataFrame(rows)
    if len(table):  # privacy: a coalition under the threshold is neither pooled nor drawn
        if "suppressed" not in table.columns:
            table["suppressed"] = False
        table["suppressed"] = table["suppressed"].fillna(False).astype(bool)
    pooled = None
    if len(table):
        table = table.sort_values("coalition_code").reset_index(drop=True)
        try:
            pooled = _pool(table)
        except Exception as exc:  # noqa: BLE001 - index says so
            pooled = {"error": f"{type(exc).__name__}: {exc}"}
    snapshot = {"table": table, "pooled": {k: v for k, v in (pooled or {}).items() if k != "result"},
                "date": _dt.date.today().isoformat()}
    from evalkit.reports.render import atomic_write

    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    atomic_write(Path(cache_dir) / "_all.pkl", pickle.dumps(snapshot, protocol=4))
    if pooled and "result" in pooled:
        pooled["figure"] = _forest_html(pooled, table, lang)
        pooled.pop("result", None)
    return pooled


def _forest_html(pooled, table, lang) -> str:
    res = pooled["result"]
    try:
        ax = res.plot(lang=lang, xlabel=_T("Verandering in eenzaamheidsscore (punten, na - voor)",
                                           "Change in loneliness score (points, post - pre)", lang))
        fig = _fig(ax, lang)
    except Exception:  # noqa: BLE001
        return ""
    alt = _T(f"Forestplot van de gemiddelde verandering in eenzaamheidsscore van {pooled['k']} "
             f"coalities met hun 95%-betrouwbaarheidsintervallen; gepoolde schatting "
             f"{_num(pooled['estimate'], 2, lang)} punt.",
             f"Forest plot of the mean change in loneliness score of {pooled['k']} coalitions "
             f"with their 95% confidence intervals; pooled estimate "
             f"{_num(pooled['estimate'], 2, lang)} points.", lang)
    return figure_html(fig, alt, _T("Verandering per coalitie (na - voor) en de gepoolde schatting.",
                                    "Change per coalition (post - pre) and the pooled estimate.",
                                    lang))


def _position_html(code, name, snapshot, lang) -> str:
    from evalkit.core import plotting

    if not snapshot or snapshot.get("table") is None or len(snapshot["table"]) < 2:
        return _p(_T("Geen vergelijking beschikbaar: deze sectie wordt gevuld als het rapport in "
                     "de batch met alle coalities wordt gemaakt.",
                     "No comparison available: this section is filled when the report is made "
                     "in the batch with all coalitions.", lang), "note")
    t = snapshot["table"].dropna(subset=["mean_diff", "n_pairs"])
    t = t[~t["suppressed"].astype(bool)]
    pooled = snapshot.get("pooled") or {}
    center = pooled.get("estimate", float(np.average(t["mean_diff"], weights=t["n_pairs"])))
    sd = float(np.sqrt(np.average(t["sd_diff"].astype(float) ** 2, weights=t["n_pairs"])))
    nmax = max(50.0, float(t["n_pairs"].max()) * 1.05)
    ns = np.linspace(2, nmax, 200)
    ax = plotting.new_axes(figsize=(6.5, 3.6))
    for z, ls in ((1.959964, "--"), (3.090232, ":")):
        ax.plot(ns, center + z * sd / np.sqrt(ns), color=plotting.COLORS["national"], ls=ls, lw=1)
        ax.plot(ns, center - z * sd / np.sqrt(ns), color=plotting.COLORS["national"], ls=ls, lw=1)
    ax.axhline(center, color=plotting.COLORS["national"], lw=1)
    others = t[t["coalition_code"] != code]
    ax.scatter(others["n_pairs"], others["mean_diff"].clip(*CHANGE_LIMITS), s=12,
               color=plotting.COLORS["other"], zorder=2)
    me = t[t["coalition_code"] == code]
    # not drawn (under its privacy threshold, or not in the batch's table)
    status = _T("niet in het diagram: te weinig deelnemers met voor- en nameting om te tonen",
                "not in the plot: too few participants with pre- and post-test to show", lang)
    if len(me):
        x, y = float(me["n_pairs"].iloc[0]), float(me["mean_diff"].iloc[0])
        ax.scatter([x], [min(max(y, CHANGE_LIMITS[0]), CHANGE_LIMITS[1])], s=70, marker="D",
                   color=plotting.COLORS["highlight"], zorder=3, label=name)
        ax.legend(frameon=False, loc="lower right")
        lim95 = 1.959964 * sd / math.sqrt(x)
        lim998 = 3.090232 * sd / math.sqrt(x)
        if abs(y - center) <= lim95:
            status = _T("binnen de 95%-grenzen: het resultaat wijkt niet af van wat je bij deze "
                        "omvang verwacht", "within the 95% limits: the result is in line with "
                        "what is expected at this size", lang)
        elif abs(y - center) <= lim998:
            status = _T("tussen de 95%- en 99,8%-grenzen: mogelijk afwijkend",
                        "between the 95% and 99.8% limits: possibly different", lang)
        else:
            status = _T("buiten de 99,8%-grenzen: duidelijk afwijkend",
                        "outside the 99.8% limits: clearly different", lang)
            status += _T(" (beter)" if y < center else " (slechter)",
                         " (better)" if y < center else " (worse)", lang)
    ax.set_ylim(CHANGE_LIMITS)
    ax.set_xlim(0, nmax)
    ax.set_xlabel(_T("Aantal deelnemers met voor- en nameting", "Participants with pre- and post-test", lang))
    ax.set_ylabel(_T("Verandering (punten)", "Change (points)", lang))
    k = len(t)
    alt = _T(f"Trechterdiagram van de gemiddelde verandering van {k} coalities tegen hun aantal "
             f"deelnemers, met controlegrenzen (95% en 99,8%) rond het gemiddelde "
             f"{_num(center, 2, lang)}; {name} ligt {status}.",
             f"Funnel plot of the mean change of {k} coalitions against their number of "
             f"participants, with control limits (95% and 99.8%) around the mean "
             f"{_num(center, 2, lang)}; {name} is {status}.", lang)
    text = _p(_T(f"Elke stip is een coalitie. Een coalitie die binnen de trechter ligt, wijkt "
                 f"niet meer af dan toeval bij haar omvang verklaart (Spiegelhalter 2005). "
                 f"{_esc(name)} ligt {status}. Dit is geen ranglijst: kleine coalities "
                 f"liggen door toeval verder van het midden.",
                 f"Each dot is a coalition. A coalition inside the funnel differs no more than "
                 f"chance explains at its size (Spiegelhalter 2005). {_esc(name)} is {status}. "
                 f"This is not a league table: small coalitions lie further from the centre by "
                 f"chance.", lang))
    pooled_txt = ""
    if "estimate" in pooled:
        pooled_txt = _p(_T(
            f"Gepoolde schatting over {pooled.get('k', k)} coalities (random-effects): "
            f"{_num(pooled['estimate'], 2, lang)} punt "
            f"{i18n.fmt_ci(pooled['ci_lower'], pooled['ci_upper'], 2, lang)}. Stand van "
            f"{snapshot.get('date', '')}.",
            f"Pooled estimate over {pooled.get('k', k)} coalitions (random effects): "
            f"{_num(pooled['estimate'], 2, lang)} points "
            f"{i18n.fmt_ci(pooled['ci_lower'], pooled['ci_upper'], 2, lang)}. As of "
            f"{snapshot.get('date', '')}.", lang), "note")
    return text + figure_html(_fig(ax, lang), alt, _T(
        "Trechterdiagram: verandering per coalitie tegen aantal deelnemers; ruit = deze coalitie.",
        "Funnel plot: change per coalition against participants; diamond = this coalition.",
        lang)) + pooled_txt


# ----------------------------------------------------------------------------------------
# the report object the notebook uses
# ----------------------------------------------------------------------------------------
class CoalitionReport:
    """Sections of one coalition's report; the notebook calls :meth:`show` per section."""

    def __init__(self, content: dict, params: dict, snapshot: dict | None, data_sha256: str | None):
        self.content = content
        self.params = dict(params)
        self.snapshot = snapshot
        self.data_sha256 = data_sha256
        self.lang = content["lang"]

    @property
    def key(self) -> dict:
        return self.content["key"]

    def section_html(self, section: str) -> str:
        if section not in SECTION_IDS:
            raise ParameterError(f"section={section!r} is not allowed; use one of: "
                                 f"{', '.join(SECTION_IDS)}.")
        lang = self.lang
        title = {s[0]: (s[1] if lang == "nl" else s[2]) for s in SECTIONS}[section]
        code, name = self.params["coalition_code"], self.params.get("coalition_name") or ""
        if section == "position":
            body = _position_html(code, name, self.snapshot, lang)
        elif section == "appendix":
            body = self._appendix()
        else:
            body = self.content["sections"][section]
        head = ""
        if section == "summary":
            head = (f"<h1>{_esc(_T('Evaluatie', 'Evaluation', lang))}: {_esc(name)} "
                    f"({_esc(code)})</h1>")
        n = len(SECTION_IDS)
        k = SECTION_IDS.index(section) + 1
        return (f'{head}<section id="{section}" data-section="{section}">'
                f"<h2>{k}. {_esc(title)}</h2>{body}</section>") if n else body

    def show(self, section: str):
        """Display one section (in Jupyter) as HTML."""
        from IPython.display import HTML, display

        display(HTML(self.section_html(section)))

    def _appendix(self) -> str:
        lang = self.lang
        shown = {k: v for k, v in self.params.items() if k not in ("results_cache",)}
        if shown.get("data_path"):
            shown["data_path"] = Path(str(shown["data_path"])).name
        def val(k, v):
            if v is None or v == "":
                return "–"
            if k == "lang":
                return {"nl": _T("Nederlands", "Dutch", lang),
                        "en": _T("Engels", "English", lang)}.get(v, v)
            return v

        # readable labels; the parameter's own name (to re-run the report) as code
        rows = "".join(
            f"<tr><td>{_esc(_PARAM_LABELS.get(k, {}).get(lang, k))}</td><td>{_esc(val(k, v))}</td>"
            f"<td><code>{_esc(k)}</code></td></tr>"
            for k, v in sorted(shown.items(), key=lambda kv: (_PARAM_ORDER.get(kv[0], 99), kv[0])))
        date = _dt.date.today().isoformat()
        return (
            _p(_T("Alle cijfers zijn berekend met evalkit, steeds op dezelfde manier voor elke "
                  "coalitie: eenzaamheid volgens de De Jong Gierveld-schaal (11 vragen, score "
                  "0-11; 3-8 matig, 9-11 sterk eenzaam); verschillen zijn nameting min voormeting "
                  "van dezelfde deelnemers (gepaarde t-toets, Wilcoxon-toets, effectgroottes "
                  "volgens Lakens 2013); aandelen met McNemar-toets; betrouwbare verandering "
                  "volgens Jacobson en Truax (1991); vergelijkingsgroep met verschil-in-"
                  "verschillen; coalities vergeleken in een trechterdiagram (Spiegelhalter 2005) "
                  "en gepoold met een random-effects meta-analyse. Groepen met minder dan "
                  f"{self.content['min_cell']} deelnemers worden niet getoond.",
                  "All figures were computed with evalkit, the same way for every coalition: "
                  "loneliness on the De Jong Gierveld scale (11 items, score 0-11; 3-8 moderate, "
                  "9-11 severe); differences are post minus pre of the same participants (paired "
                  "t-test, Wilcoxon test, effect sizes after Lakens 2013); shares with McNemar's "
                  "test; reliable change after Jacobson and Truax (1991); comparison group by "
                  "difference-in-differences; coalitions compared in a funnel plot "
                  "(Spiegelhalter 2005) and pooled by random-effects meta-analysis. Groups with "
                  f"fewer than {self.content['min_cell']} participants are not shown.", lang))
            + "<table><tbody>"
            + f"<tr><td>{_T('Versie van evalkit', 'evalkit version', lang)}</td>"
              f"<td>{_esc(__version__)}</td><td></td></tr>"
            + f"<tr><td>{_T('Databestand (SHA-256)', 'Data file (SHA-256)', lang)}</td>"
              f"<td><code>{_esc(self.data_sha256 or '–')}</code></td><td></td></tr>"
            + f"<tr><td>{_T('Datum', 'Date', lang)}</td><td>{date}</td><td></td></tr>"
            + rows + "</tbody></table>"
        )


#: Words for the report parameters in the appendix.
_PARAM_LABELS = {
    "coalition_code": {"nl": "Gemeentecode", "en": "Municipality code"},
    "coalition_name": {"nl": "Coalitie", "en": "Coalition"},
    "data_path": {"nl": "Databestand", "en": "Data file"},
    "codebook": {"nl": "Codeboek", "en": "Codebook"},
    "intervention": {"nl": "Interventie (selectie)", "en": "Intervention (selection)"},
    "lang": {"nl": "Taal", "en": "Language"},
    "min_cell": {"nl": "Privacydrempel (minimaal aantal deelnemers)",
                 "en": "Privacy threshold (minimum number of participants)"},
    "reference_dir": {"nl": "Map met referentiegegevens", "en": "Reference data folder"},
}
_PARAM_ORDER = {k: i for i, k in enumerate(_PARAM_LABELS)}


def _cache_path(cache_dir, code) -> Path:
    return Path(cache_dir) / f"{code}.pkl"


def prepare(data: pd.DataFrame | None, params: dict, *, cache_dir: str, cwd: str | None = None) -> dict:
    """Compute one coalition's report content and cache it; return its key numbers."""
    from evalkit.reports.render import atomic_write, file_sha256

    path = Path(cwd or ".", params["data_path"]) if params.get("data_path") else None
    if data is None:
        if path is None:
            raise ParameterError("data_path is required.")
        data = _read_data(str(path), params.get("codebook") or "intervention")
    content = compute(data, params, cwd=cwd)
    content["data_sha256"] = file_sha256(path) if path is not None and path.is_file() else None
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    atomic_write(_cache_path(cache_dir, params["coalition_code"]), pickle.dumps(content, protocol=4))
    return content["key"]


def load(*, coalition_code: str, coalition_name: str = "", data_path: str = "",
         results_cache: str = "", **params) -> CoalitionReport:
    """What the template calls: the cached content (batch) or a fresh computation.

    All template parameters are passed by name; ``results_cache`` is the batch's cache
    folder, or empty to compute here from ``data_path``.
    """
    from evalkit.reports.render import file_sha256

    p = {"coalition_code": coalition_code, "coalition_name": coalition_name,
         "data_path": data_path, **params}
    snapshot = None
    if results_cache:
        with open(_cache_path(results_cache, coalition_code), "rb") as fh:
            content = pickle.load(fh)
        all_path = Path(results_cache) / "_all.pkl"
        if all_path.is_file():
            with open(all_path, "rb") as fh:
                snapshot = pickle.load(fh)
        sha = content.get("data_sha256")
    else:
        data = _read_data(data_path, p.get("codebook") or "intervention")
        content = compute(data, p)
        sha = file_sha256(data_path)
    return CoalitionReport(content, p, snapshot, sha)


# ----------------------------------------------------------------------------------------
# overview page
# ----------------------------------------------------------------------------------------
def index_page(table: pd.DataFrame, keys: dict, pooled: dict | None, *, lang: str = "nl",
               title: str | None = None) -> str:
    """``index.html``: status per coalition, key numbers, links, pooled estimate, forest plot."""
    from evalkit.reports.render import html_page

    check_lang(lang)
    title = title or _T("Rapporten lokale coalities tegen eenzaamheid",
                        "Reports of the local coalitions against loneliness", lang)
    status_lab = {"ok": _T("klaar", "done", lang), "skipped": _T("ongewijzigd", "unchanged", lang),
                  "failed": _T("mislukt", "failed", lang)}
    n_ok = int(table["status"].isin(["ok", "skipped"]).sum())
    n_fail = int((table["status"] == "failed").sum())
    parts = [f"<h1>{_esc(title)}</h1>",
             _p(_T(f"{len(table)} coalities: {n_ok} rapporten, {n_fail} mislukt. Gemaakt met "
                   f"evalkit {__version__} op {_dt.date.today().isoformat()}.",
                   f"{len(table)} coalitions: {n_ok} reports, {n_fail} failed. Made with "
                   f"evalkit {__version__} on {_dt.date.today().isoformat()}.", lang))]
    if pooled and "estimate" in pooled:
        extra = ""
        if "i2" in pooled:
            extra = f"; I² = {_num(pooled['i2'], 0, lang)}%"
        if "pi_lower" in pooled:
            extra += _T(f"; voorspellingsinterval {_num(pooled['pi_lower'], 2, lang)} tot "
                        f"{_num(pooled['pi_upper'], 2, lang)}",
                        f"; prediction interval {_num(pooled['pi_lower'], 2, lang)} to "
                        f"{_num(pooled['pi_upper'], 2, lang)}", lang)
        parts.append(f"<h2>{_T('Gepoolde schatting', 'Pooled estimate', lang)}</h2>")
        parts.append(_p(_T(
            f"Over {pooled['k']} coalities veranderde de eenzaamheidsscore gemiddeld "
            f"{_num(pooled['estimate'], 2, lang)} punt "
            f"{i18n.fmt_ci(pooled['ci_lower'], pooled['ci_upper'], 2, lang)} "
            f"(random-effects meta-analyse{extra}).",
            f"Across {pooled['k']} coalitions the loneliness score changed on average by "
            f"{_num(pooled['estimate'], 2, lang)} points "
            f"{i18n.fmt_ci(pooled['ci_lower'], pooled['ci_upper'], 2, lang)} "
            f"(random-effects meta-analysis{extra}).", lang)))
        if pooled.get("figure"):
            parts.append(pooled["figure"])
    elif pooled and "error" in pooled:
        parts.append(_p(_esc(pooled["error"]), "note"))
    parts.append(f"<h2>{_T('Per coalitie', 'Per coalition', lang)}</h2>")
    head = [_T("Gemeente", "Municipality", lang), "Code", "Status",
            _T("Paren", "Pairs", lang), _T("Voor → na (0-11)", "Before → after (0-11)", lang),
            _T("Verschil [95%-BI]", "Change [95% CI]", lang),
            _T("Eenzaam voor → na", "Lonely before → after", lang), _T("Rapport", "Report", lang)]
    rows = []
    for rec in table.sort_values(["coalition_name", "coalition_code"]).to_dict(orient="records"):
        k = keys.get(rec["coalition_code"]) or {}
        st = rec["status"]
        link = rec.get("html")
        linktxt = _T("fouten bekijken", "see errors", lang) if st == "failed" else _T("openen", "open", lang)
        cells = [_esc(rec["coalition_name"]), _esc(rec["coalition_code"]),
                 f'<span class="status-{ "failed" if st == "failed" else "ok"}">{_esc(status_lab.get(st, st))}</span>']
        if k and st != "failed" and k.get("suppressed"):
            # privacy: a coalition under its threshold shows no numbers here either
            mc = k.get("min_cell", DEFAULT_MIN_CELL)
            cells += [_esc(_T(f"< {mc}", f"< {mc}", lang)),
                      f'<span class="suppressed">{_esc(_T("niet getoond (te weinig deelnemers)", "not shown (too few participants)", lang))}</span>',
                      "", ""]
        elif k and st != "failed":
            cells += [_esc(k.get("n_pairs", "")),
                      f"{_num(k.get('mean_pre'), 1, lang)} → {_num(k.get('mean_post'), 1, lang)}",
                      f"{_num(k.get('mean_diff'), 2, lang)} [{_num(k.get('ci_lower'), 2, lang)}; "
                      f"{_num(k.get('ci_upper'), 2, lang)}]",
                      f"{i18n.fmt_pct(k.get('share_pre'), 0, lang)} → {i18n.fmt_pct(k.get('share_post'), 0, lang)}"]
        else:
            msg = _esc((rec.get("message") or "")[:120]) if st == "failed" else ""
            cells += [f'<span class="note">{msg}</span>', "", "", ""]
        cells.append(f'<a href="{_esc(link)}">{linktxt}</a>' if link else "")
        rows.append('<tr data-code="' + _esc(rec["coalition_code"]) + '">'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append('<table id="coalitions"><thead><tr>' + "".join(f"<th>{_esc(h)}</th>" for h in head)
                 + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    parts.append(_p(_T("Coalities worden niet gerangschikt: kleine coalities wijken door toeval "
                       "meer af. Zie het trechterdiagram in elk rapport.",
                       "Coalitions are not ranked: small coalitions deviate more by chance. "
                       "See the funnel plot in each report.", lang), "note"))
    return html_page("\n".join(parts), title=title, lang=lang)
