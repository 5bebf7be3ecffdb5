"""Monitoring on the real Health Monitor figures: a municipality against the country and its peers.

Data (real, public, bundled; see ``docs/monitoring.md``):

- ``datasets.load("health_monitor")``: RIVM/CBS StatLine 50090NED, Gezondheidsmonitor
  Volwassenen en Ouderen 2012, 2016, 2020; share lonely, severely lonely, emotionally and
  socially lonely per municipality (boundaries of 2020) and the Netherlands; ages 18+ and 65+.
- ``datasets.load("young_adults_2024")``: CBS/RIVM 50140NED, Gezondheidsmonitor
  Jongvolwassenen 2024, ages 16-25, per municipality (boundaries of 2024), GGD region and
  the Netherlands; 17 municipalities blank (too few respondents).

Every figure carries its source and year, and the remark that the municipal figures are
**model estimates** (RIVM small-area estimation: survey linked to registers) published
**without confidence intervals**. Hence ``std_error``, ``ci_lower``, ``ci_upper``,
``p_value`` and ``n`` are empty (NaN) in every ``tidy()`` of this module except where evalkit
computes a statistic itself (:func:`change_vs_level`).

Functions
---------
:func:`compare`                a municipality (2022 or later boundaries; merged ones shown
                               as their former municipalities) against the Netherlands and
                               its peer group, 2012/2016/2020 (+ 2024, ages 16-25)
:func:`peer_group`             "municipalities like yours": k nearest neighbours on the 2012
                               and 2016 profile of the loneliness indicators (never a ranking)
:func:`national_trend`         one national figure per year with its source
:func:`change_vs_level`        change 2016-2020 against the 2016 level (regression to the mean)
:func:`young_adults_regions`   the 2024 picture by GGD region
:func:`model_funnel`           a funnel plot that says what it can and cannot show
:func:`plot_safety_regions`    small multiples per safety region
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.core import i18n
from evalkit.core.checks import check_lang, check_option, check_positive_int
from evalkit.core.errors import ParameterError
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame

__all__ = [
    "INDICATORS",
    "YOUNG_INDICATORS",
    "YEARS",
    "AGE_GROUPS",
    "PEER_FEATURES",
    "ReferenceFigure",
    "source_text",
    "peer_method_text",
    "compare",
    "MunicipalComparison",
    "peer_group",
    "PeerGroup",
    "national_trend",
    "NationalTrend",
    "change_vs_level",
    "ChangeVsLevel",
    "young_adults_regions",
    "YoungAdultsRegions",
    "model_funnel",
    "ModelFunnel",
    "plot_safety_regions",
]

#: Adult indicators (column -> label).
INDICATORS: dict[str, dict[str, str]] = {
    col: dict(i18n.Message(f"methods.monitoring.indicator.{col}"))
    for col in ("lonely_pct", "severely_lonely_pct", "emotionally_lonely_pct", "socially_lonely_pct")
}
#: Young adults' indicators 2024 (column -> label).
YOUNG_INDICATORS: dict[str, dict[str, str]] = {
    col: dict(i18n.Message(f"methods.monitoring.indicator.{col}"))
    for col in ("lonely_pct", "strongly_lonely_pct", "emotionally_lonely_pct", "socially_lonely_pct")
}
YEARS = (2012, 2016, 2020)
AGE_GROUPS = ("18+", "65+")
#: The profile the peer groups are matched on (ages 18+): socially lonely is not published
#: for 2012, so seven figures.
PEER_FEATURES: tuple[tuple[int, str], ...] = (
    (2012, "lonely_pct"),
    (2012, "severely_lonely_pct"),
    (2012, "emotionally_lonely_pct"),
    (2016, "lonely_pct"),
    (2016, "severely_lonely_pct"),
    (2016, "emotionally_lonely_pct"),
    (2016, "socially_lonely_pct"),
)
#: Fixed y-axis limits (percent) so that every municipality's figure looks the same.
Y_LIMITS = {
    "lonely_pct": (0.0, 80.0),
    "severely_lonely_pct": (0.0, 30.0),
    "emotionally_lonely_pct": (0.0, 80.0),
    "socially_lonely_pct": (0.0, 80.0),
    "strongly_lonely_pct": (0.0, 30.0),
}
#: Respondents of the Health Monitor 2020 (about 540,000; design notes of the programme),
#: used only for the illustrative n of :func:`model_funnel`.
ILLUSTRATIVE_RESPONDENTS_2020 = 540_000
#: Fewest peers with a 2024 figure for a peer-group figure of the young adults.
MIN_PEERS_2024 = 3


def _pct(x: float | None, lang: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return i18n.fmt_number(float(x), 1, lang) + "%"


def source_text(dataset: str = "health_monitor", lang: str = "nl") -> str:
    """The source line of a dataset (``health_monitor`` or ``young_adults_2024``) with its
    years, and the model-estimate remark for the adults' figures."""
    check_option("dataset", dataset, ("health_monitor", "young_adults_2024"))
    check_lang(lang)
    if dataset == "health_monitor":
        return (
            i18n.t(
                "methods.monitoring.source.health_monitor",
                lang,
                years=i18n.t("methods.monitoring.years_all", lang),
            )
            + ". "
            + i18n.t("methods.monitoring.model_estimates", lang)
        )
    return (
        i18n.t("methods.monitoring.source.young_adults", lang)
        + "; "
        + i18n.t("methods.monitoring.no_interval_published", lang)
        + "."
    )


# ------------------------------------------------------------------------------ data
@lru_cache(maxsize=1)
def _hm() -> pd.DataFrame:
    from evalkit.data.datasets import load

    return load("health_monitor")


@lru_cache(maxsize=1)
def _ya() -> pd.DataFrame:
    from evalkit.data.datasets import load

    return load("young_adults_2024")


@lru_cache(maxsize=1)
def _pop() -> pd.Series:
    from evalkit.data.datasets import load

    pop = load("population_2020")
    return pop.set_index("gm_code")["inhabitants_2020"].astype(float)


@lru_cache(maxsize=1)
def _ggd_names() -> dict[str, str]:
    from evalkit.data.datasets import DATA_DIR

    df = pd.read_csv(DATA_DIR / "ggd_regions.csv", dtype=str, encoding="utf-8")
    return dict(zip(df["ggd_code"], df["ggd_name"]))


@lru_cache(maxsize=2)
def _wide(age_group: str) -> pd.DataFrame:
    """Municipalities (2020) x (year, indicator) for one age group (cached: do not modify)."""
    hm = _hm()
    part = hm[(hm["age_group"] == age_group) & (hm["region_code"] != "NL01")]
    return part.pivot(index="region_code", columns="year", values=list(INDICATORS))


@lru_cache(maxsize=1)
def _names_2020() -> pd.Series:
    """Name of every region code of the Health Monitor (cached: do not modify)."""
    return _hm().drop_duplicates("region_code").set_index("region_code")["region_name"]


@lru_cache(maxsize=1)
def _hm_groups() -> tuple[tuple[int, str, np.ndarray, dict[str, np.ndarray]], ...]:
    """The Health Monitor per (year, age group), in sorted order as ``groupby`` gives it:
    the region codes and each indicator's values, rows in file order (cached once per
    process: a batch computes the peer figures of every municipality from it)."""
    out = []
    for (year, age), g in _hm().groupby(["year", "age_group"]):
        vals = {ind: g[ind].to_numpy(dtype=float) for ind in INDICATORS}
        out.append((int(year), str(age), g["region_code"].to_numpy(), vals))
    return tuple(out)


@lru_cache(maxsize=1)
def _ya_by_code() -> pd.DataFrame:
    """The young adults' figures indexed by region code (cached: do not modify)."""
    return _ya().set_index("region_code")


def _national(age_group: str) -> pd.DataFrame:
    hm = _hm()
    return hm[(hm["region_code"] == "NL01") & (hm["age_group"] == age_group)].set_index("year")


@lru_cache(maxsize=1)
def _current_names() -> dict[str, str]:
    """Municipalities of 2022 and of the latest boundaries: code -> name."""
    from evalkit.data import boundaries

    out = dict(zip(*boundaries.municipalities_at("2022-01-01")[["gm_code", "name"]].T.to_numpy()))
    out.update(zip(*boundaries.municipalities_at()[["gm_code", "name"]].T.to_numpy()))
    return out


@lru_cache(maxsize=1)
def _codes_2024() -> frozenset[str]:
    from evalkit.data import boundaries

    return frozenset(boundaries.municipalities_at(2024)["gm_code"].tolist())


@lru_cache(maxsize=1)
def _standardised() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The peer features of the 355 municipalities, standardised; with means and SDs."""
    feats = _wide("18+")[[(i, y) for y, i in PEER_FEATURES]].astype(float)
    mean, sd = feats.mean(), feats.std(ddof=1)
    return (feats - mean) / sd, mean, sd


def _check_code(code: object) -> str:
    if not isinstance(code, str):
        raise ParameterError(
            f"code must be a municipality code written as text, e.g. 'GM0363', got {code!r}."
        )
    if code not in _current_names():
        raise ParameterError(
            f"code must be a municipality of 2022 or later (CBS code, e.g. 'GM0363'), got {code!r}; "
            "municipalities of 2020 that merged are shown through their new municipality."
        )
    return code


def _name_now(code: str) -> str:
    return str(_current_names()[code])


# ------------------------------------------------------------------------------ typed figure
@dataclass(frozen=True)
class ReferenceFigure:
    """One reference figure with everything a page needs to show it truthfully.

    ``status``: ``published`` (a figure of the source), ``computed`` (computed by evalkit
    from published figures: the peer-group mean), ``too_few_respondents`` (left blank by the
    source), ``not_published`` (no row in the source), ``successor`` (the figure of the
    municipality the unit is now part of). ``value`` is ``None`` unless a figure exists.
    """

    unit_kind: str  # municipality | former_municipality | national | peer_group
    unit_code: str
    unit_name: str
    year: int
    age_group: str
    indicator: str
    value: float | None
    status: str
    source: str
    remark: str


def peer_method_text(name: str, k: int = 10, lang: str | None = None) -> str:
    """The sentence that explains how the peer group of ``name`` was chosen (never a ranking)."""
    return i18n.t("methods.monitoring.peer_method", resolve_lang(lang), k=k, name=name)


# ------------------------------------------------------------------------------ peers
class PeerGroup(Result):
    """Result of :func:`peer_group`.

    Attributes
    ----------
    code, name : str
        The municipality (2022 or later).
    peers : DataFrame
        ``gm_code_2020, name_2020, distance`` in alphabetical order of name (the distance is
        the Euclidean distance of the standardised profiles; not a ranking of loneliness).
    profile : Series
        The municipality's profile (``PEER_FEATURES``); ``combined`` tells whether it is the
        population-weighted mean of former municipalities.
    k : int

    ``n`` (in ``tidy()``): not available (NaN): the figures are model estimates without respondent counts.
    """

    title = i18n.Message("methods.monitoring.peer_group.title")

    def __init__(
        self,
        code: str,
        name: str,
        peers: pd.DataFrame,
        profile: pd.Series,
        combined: bool,
        k: int,
        figures: pd.DataFrame,
    ):
        self.code, self.name, self.peers, self.profile = code, name, peers, profile
        self.combined, self.k, self.figures = combined, k, figures

    def tidy(self) -> pd.DataFrame:
        """One row per year, age group and indicator: ``estimate`` = the unweighted mean of the
        peers' published figures; extra ``peer_min``, ``peer_max``, ``n_peers`` (peers with a
        figure), ``year, age_group, indicator, source``."""
        rows = []
        for r in self.figures.itertuples(index=False):
            rows.append(
                {
                    "term": f"peers {r.year} {r.age_group} {r.indicator}",
                    "estimate": r.mean,
                    "peer_min": r.min,
                    "peer_max": r.max,
                    "n_peers": r.count,
                    "year": r.year,
                    "age_group": r.age_group,
                    "indicator": r.indicator,
                    "source": r.source,
                }
            )
        return tidy_frame(
            rows, extra=("peer_min", "peer_max", "n_peers", "year", "age_group", "indicator", "source")
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = [
            f"{self.title[lang]}: {self.name} ({self.code})",
            "",
            i18n.t("methods.monitoring.peer_method", lang, k=self.k, name=self.name),
        ]
        if self.combined:
            lines.append(i18n.t("methods.monitoring.peer_combined", lang, name=self.name))
        lines.append("")
        lines.append(
            ", ".join(f"{n} ({c})" for c, n in zip(self.peers["gm_code_2020"], self.peers["name_2020"]))
        )
        return "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        """The profile of the municipality against each peer's (standardised scale not used:
        the published percentages)."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax, figsize=(7.5, 4.2))
        wide = _wide("18+")
        labels = [f"{INDICATORS[i][lang]} {y}" for y, i in PEER_FEATURES]
        x = np.arange(len(PEER_FEATURES))
        for c in self.peers["gm_code_2020"]:
            vals = [wide.loc[c, (i, y)] for y, i in PEER_FEATURES]
            ax.plot(x, vals, color=plotting.COLORS["other"], linewidth=1, zorder=1)
        ax.plot(
            x,
            self.profile.to_numpy(),
            color=plotting.COLORS["highlight"],
            marker="o",
            linewidth=2,
            label=self.name,
            zorder=3,
        )
        ax.plot([], [], color=plotting.COLORS["other"], label=i18n.t("methods.monitoring.unit.peers", lang))
        ax.set_xticks(x, labels, rotation=35, ha="right", rotation_mode="anchor", fontsize=8)
        ax.set_ylabel(i18n.t("figures.pct_axis", lang))
        ax.set_ylim(0, 80)
        ax.set_title(f"{self.title[lang]}: {self.name}", fontsize=10)
        ax.legend(fontsize=8, frameon=False)
        return plotting.localize_axes(ax, lang)


def _profile(code: str) -> tuple[pd.Series, bool, list[str]]:
    """Profile of a current municipality, whether combined, and all its 2020 codes."""
    from evalkit.data import boundaries

    pre = boundaries.predecessors(code)
    whole = pre[pre["relation"] != "part"]["gm_code_2020"].tolist()
    wide = _wide("18+")
    feats = wide.loc[whole, [(i, y) for y, i in PEER_FEATURES]]
    if len(whole) == 1:
        prof = feats.iloc[0]
    else:
        w = _pop().loc[whole].to_numpy()
        prof = pd.Series(np.average(feats.to_numpy(dtype=float), axis=0, weights=w), index=feats.columns)
    return prof, len(whole) > 1, pre["gm_code_2020"].tolist()


def peer_group(code: str, *, k: int = 10) -> PeerGroup:
    """ "Municipalities like yours": the ``k`` nearest municipalities on the 2012-2016 profile.

    Method: the seven published figures of 2012 and 2016 for ages 18+ (``PEER_FEATURES``:
    lonely, severely and emotionally lonely in 2012 and 2016, socially lonely in 2016) of the
    355 municipalities of 2020 are standardised (z-scores over municipalities); the peers are
    the ``k`` municipalities with the smallest Euclidean distance to the municipality's
    profile, excluding its own former municipalities. Matching on 2012 and 2016 keeps 2020
    free for the comparison. A merged municipality's profile is the mean of its former
    municipalities weighted by inhabitants on 1 January 2020 (CBS; ``population_2020``),
    the only place where evalkit combines former municipalities, and the summary says so.
    Peers are listed alphabetically: a peer group is a comparison, never a ranking.

    Parameters
    ----------
    code : str
        Municipality of 2022 or later (``"GM0363"``).
    k : int
        Number of peers (2-50, default 10).

    Returns
    -------
    PeerGroup

    Examples
    --------
    >>> from evalkit import monitoring
    >>> pg = monitoring.peer_group("GM0014", k=5)
    >>> len(pg.peers)
    5
    """
    code = _check_code(code)
    k = check_positive_int(k, "k", minimum=2)
    if k > 50:
        raise ParameterError(f"k must be between 2 and 50, got {k!r}.")
    prof, combined, own = _profile(code)
    z, mean, sd = _standardised()
    zp = (prof - mean) / sd
    cand = z.drop(index=[c for c in own if c in z.index])
    dist = np.sqrt(((cand - zp) ** 2).sum(axis=1))
    nearest = dist.sort_values(kind="stable").index[:k]
    names = _names_2020()
    peers = pd.DataFrame(
        {
            "gm_code_2020": list(nearest),
            "name_2020": names.loc[nearest].to_numpy(),
            "distance": dist.loc[nearest].to_numpy(),
        }
    )
    peers = peers.sort_values("name_2020", key=lambda s: s.str.lower(), kind="stable").reset_index(drop=True)
    prof.index = [f"{i} {y}" for i, y in prof.index]
    return PeerGroup(code, _name_now(code), peers, prof, combined, k, _peer_figures(list(nearest)))


def _peer_figures(peers: list[str]) -> pd.DataFrame:
    rows = []
    src = SOURCE_SHORT["health_monitor"]
    wanted = np.asarray(list(peers), dtype=object)
    for year, age, codes, vals in _hm_groups():
        mine = np.isin(codes, wanted)
        if not mine.any():
            continue
        for ind in INDICATORS:
            v = vals[ind][mine]
            v = v[~np.isnan(v)]  # the peers' published figures, in file order
            rows.append(
                {
                    "year": year,
                    "age_group": age,
                    "indicator": ind,
                    # the sum over the same values in the same order as pandas' mean
                    "mean": float(v.sum() / np.float64(len(v))) if len(v) else np.nan,
                    "min": float(v.min()) if len(v) else np.nan,
                    "max": float(v.max()) if len(v) else np.nan,
                    "count": len(v),
                    "source": src,
                }
            )
    # 2024, ages 16-25: peers whose territory is unchanged in 2024 and that have a figure
    ya = _ya_by_code()
    now = _codes_2024()
    same = [p for p in peers if p in now and p in ya.index]
    for ind in YOUNG_INDICATORS:
        v = ya.loc[same, ind].dropna() if same else pd.Series(dtype=float)
        ok = len(v) >= MIN_PEERS_2024
        rows.append(
            {
                "year": 2024,
                "age_group": "16-25",
                "indicator": ind,
                "mean": float(v.mean()) if ok else np.nan,
                "min": float(v.min()) if ok else np.nan,
                "max": float(v.max()) if ok else np.nan,
                "count": len(v),
                "source": SOURCE_SHORT["young_adults_2024"],
            }
        )
    return pd.DataFrame(rows)


SOURCE_SHORT = {
    "health_monitor": "Gezondheidsmonitor Volwassenen en Ouderen (GGD'en, CBS, RIVM), StatLine 50090NED",
    "young_adults_2024": "Gezondheidsmonitor Jongvolwassenen 2024 (GGD'en, CBS, RIVM), StatLine 50140NED",
}


# ------------------------------------------------------------------------------ compare
class MunicipalComparison(Result):
    """Result of :func:`compare`: a municipality against the Netherlands and its peers.

    Attributes
    ----------
    code, name : str
    predecessors : DataFrame
        Its former municipalities (``evalkit.data.boundaries.predecessors``).
    figures : list of ReferenceFigure
        Every figure (municipality or former municipalities, the Netherlands, the peer group;
        2012, 2016, 2020 for ``age_group`` and 2024 for ages 16-25) with source and remark.
    peers : PeerGroup

    ``n`` (in ``tidy()``): not available (NaN): the Health Monitor figures are RIVM small-area model estimates, published without respondent counts.
    """

    title = i18n.Message("methods.monitoring.compare.title")

    def __init__(
        self,
        code: str,
        name: str,
        age_group: str,
        predecessors: pd.DataFrame,
        figures: list[ReferenceFigure],
        peers: PeerGroup,
    ):
        self.code, self.name, self.age_group = code, name, age_group
        self.predecessors, self.figures, self.peers = predecessors, figures, peers

    @property
    def merged(self) -> bool:
        """Whether the municipality is made of more than one whole former municipality."""
        return int((self.predecessors["relation"] != "part").sum()) > 1

    def tidy(self) -> pd.DataFrame:
        """One row per figure: ``estimate`` = the percentage (NaN where there is none);
        ``std_error``, ``ci_lower``, ``ci_upper``, ``p_value``, ``n`` stay empty (the source
        publishes no intervals or numbers of respondents); extra ``unit_kind, unit_code,
        unit_name, year, age_group, indicator, status, source, remark``."""
        rows = []
        for f in self.figures:
            rows.append(
                {
                    "term": f"{f.unit_code} {f.year} {f.age_group} {f.indicator}",
                    "estimate": np.nan if f.value is None else f.value,
                    "unit_kind": f.unit_kind,
                    "unit_code": f.unit_code,
                    "unit_name": f.unit_name,
                    "year": f.year,
                    "age_group": f.age_group,
                    "indicator": f.indicator,
                    "status": f.status,
                    "source": f.source,
                    "remark": f.remark,
                }
            )
        return tidy_frame(
            rows,
            extra=(
                "unit_kind",
                "unit_code",
                "unit_name",
                "year",
                "age_group",
                "indicator",
                "status",
                "source",
                "remark",
            ),
        )

    def table(self, indicator: str = "lonely_pct", lang: str = "nl") -> pd.DataFrame:
        """A small wide table: units (rows) x years (columns) of one indicator, as text."""
        check_option("indicator", indicator, list(INDICATORS))
        check_lang(lang)
        rows: dict[str, dict[str, str]] = {}
        for f in self.figures:
            if f.indicator != indicator or f.age_group != self.age_group:
                continue
            label = _unit_label(f, lang)
            rows.setdefault(label, {})[str(f.year)] = _pct(f.value, lang)
        return pd.DataFrame(rows).T.reindex(columns=[str(y) for y in YEARS])

    def boundary_notes(self, lang: str | None = None) -> list[str]:
        """Sentences on the municipality's boundaries since 2020 (empty when unchanged):
        a merger, a former municipality that joined, a part of Haaren that joined."""
        lang = resolve_lang(lang)
        out: list[str] = []
        whole = self.predecessors[self.predecessors["relation"] != "part"]
        joined = whole[whole["relation"] == "merged"]
        if self.merged and (whole["relation"] == "same").any():
            for r in joined.itertuples(index=False):
                out.append(
                    i18n.t(
                        "methods.monitoring.boundaries.joined",
                        lang,
                        name=self.name,
                        former=r.name_2020,
                        date=r.valid_from,
                    )
                )
        elif self.merged:
            out.append(
                i18n.t(
                    "methods.monitoring.boundaries.merged",
                    lang,
                    name=self.name,
                    names=", ".join(whole["name_2020"]),
                )
            )
        for r in self.predecessors[self.predecessors["relation"] == "part"].itertuples(index=False):
            out.append(
                i18n.t(
                    "methods.monitoring.boundaries.part",
                    lang,
                    date=r.valid_from,
                    former=r.name_2020,
                    note=r.note,
                    name=self.name,
                )
            )
        return out

    def young_adults(self) -> list[ReferenceFigure]:
        """The 2024 figures of ages 16-25 (municipality, Netherlands, peers)."""
        return [f for f in self.figures if f.year == 2024]

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = [f"{self.title[lang]}: {self.name} ({self.code}), {self.age_group}", ""]
        lines += self.boundary_notes(lang)
        for ind in ("lonely_pct", "severely_lonely_pct"):
            lines.append("")
            lines.append(f"{INDICATORS[ind][lang]} (%):")
            with pd.option_context("display.width", 120):
                lines.append(self.table(ind, lang).to_string())
        lines.append("")
        lines.append(i18n.t("methods.monitoring.young_adults_heading", lang) + ":")
        for f in self.young_adults():
            if f.indicator != "lonely_pct":
                continue
            value = _pct(f.value, lang) if f.value is not None else f.remark
            lines.append(f"  {_unit_label(f, lang)}: {value}")
        lines.append("")
        lines.append(source_text("health_monitor", lang))
        lines.append(source_text("young_adults_2024", lang))
        lines.append(i18n.t("methods.monitoring.peer_method", lang, k=self.peers.k, name=self.name))
        if self.peers.combined:
            lines.append(i18n.t("methods.monitoring.peer_combined", lang, name=self.name))
        return "\n".join(lines)

    def plot(
        self, *, indicators: tuple[str, ...] = ("lonely_pct", "severely_lonely_pct"), lang: str | None = None
    ):
        """Small multiples: one panel per indicator, the municipality (or each former
        municipality) against the Netherlands (dashed) and the peer group (dotted, with the
        range of the peers shaded), 2012-2020, fixed axes. Returns the Figure."""
        lang = resolve_lang(lang)
        import matplotlib.pyplot as plt

        from evalkit.core import plotting

        check_lang(lang)
        if isinstance(indicators, str):
            indicators = (indicators,)
        for ind in indicators:
            check_option("indicators", ind, list(INDICATORS))
        fig, axes = plt.subplots(
            1, len(indicators), figsize=(4.2 * len(indicators) + 1.5, 3.8), squeeze=False
        )
        for ax, ind in zip(axes[0], indicators):
            figs = [f for f in self.figures if f.indicator == ind and f.age_group == self.age_group]
            units: dict[tuple[str, str], list[ReferenceFigure]] = {}
            for f in figs:
                units.setdefault((f.unit_kind, f.unit_code), []).append(f)
            colours = iter(
                [
                    plotting.COLORS["highlight"],
                    plotting.PALETTE[0],
                    plotting.PALETTE[2],
                    plotting.PALETTE[3],
                    plotting.PALETTE[5],
                    plotting.PALETTE[1],
                ]
            )
            for (kind, _), fs in units.items():
                fs = sorted((f for f in fs if f.value is not None), key=lambda f: f.year)
                if not fs:
                    continue
                xs, ys = [f.year for f in fs], [f.value for f in fs]
                if kind == "national":
                    ax.plot(
                        xs,
                        ys,
                        color=plotting.COLORS["national"],
                        linestyle="--",
                        marker="o",
                        label=_unit_label(fs[0], lang),
                    )
                elif kind == "peer_group":
                    pf = self.peers.figures
                    pf = pf[(pf["indicator"] == ind) & (pf["age_group"] == self.age_group)].sort_values(
                        "year"
                    )
                    pf = pf.dropna(subset=["mean"])
                    ax.fill_between(
                        pf["year"],
                        pf["min"],
                        pf["max"],
                        color=plotting.COLORS["other"],
                        alpha=0.35,
                        linewidth=0,
                    )
                    ax.plot(
                        xs, ys, color="#777777", linestyle=":", marker="s", label=_unit_label(fs[0], lang)
                    )
                else:
                    ax.plot(
                        xs, ys, color=next(colours), marker="o", linewidth=2, label=_unit_label(fs[0], lang)
                    )
            ax.set_xticks(list(YEARS))
            ax.set_ylim(*Y_LIMITS[ind])
            ax.set_title(f"{INDICATORS[ind][lang]} ({self.age_group})", fontsize=10)
            ax.set_xlabel(plotting.label("year", lang))
            ax.set_ylabel(i18n.t("figures.pct_axis", lang))
            plotting.localize_axes(ax, lang)
        axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.text(
            0.01,
            -0.02,
            i18n.t("methods.monitoring.source.health_monitor", lang, years="2012, 2016, 2020")
            + "; "
            + i18n.t("methods.monitoring.model_estimate_short", lang),
            fontsize=7,
            ha="left",
            va="top",
        )
        fig.tight_layout()
        return fig


def _source_below(ax, text: str) -> None:
    """The source line under a panel, below its tick labels and x-axis label (in points, so
    it stays clear of them whatever the style's font sizes)."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    size = lambda key: FontProperties(size=rcParams[key]).get_size_in_points()  # noqa: E731
    drop = (size("xtick.labelsize") + (size("axes.labelsize") if ax.get_xlabel() else 0)) * 1.5 + 8
    ax.annotate(
        text,
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0, -drop),
        textcoords="offset points",
        fontsize=7,
        va="top",
        ha="left",
    )


def _unit_label(f: ReferenceFigure, lang: str) -> str:
    if f.unit_kind == "national":
        return i18n.t("methods.monitoring.unit.national", lang)
    if f.unit_kind == "peer_group":
        return i18n.t("methods.monitoring.unit.peers", lang)
    if f.unit_kind == "former_municipality":
        return f"{f.unit_name} ({i18n.t('methods.monitoring.unit.former', lang)})"
    return f.unit_name


def compare(code: str, *, age_group: str = "18+", k: int = 10, lang: str = "nl") -> MunicipalComparison:
    """A municipality's loneliness against the Netherlands and its peer group, 2012-2020 (+2024).

    Parameters
    ----------
    code : str
        Municipality of 2022 or later (``"GM0363"``; merged municipalities such as
        ``"GM1979"`` Eemsdelta are shown through their former municipalities).
    age_group : {"18+", "65+"}
        Age group of the 2012-2020 figures (the 2024 figures are always ages 16-25).
    k : int
        Size of the peer group (:func:`peer_group`).
    lang : {"nl", "en"}
        Language of the source and remark texts stored in the figures.

    Returns
    -------
    MunicipalComparison
        ``figures``: the published figures of the municipality (or of each former
        municipality), the Netherlands and the peer-group mean (computed), each with source,
        year and the model-estimate remark; for 2024 the young adults' figure, or the reason
        there is none ("geen cijfer: te weinig respondenten").

    Examples
    --------
    >>> from evalkit import monitoring
    >>> res = monitoring.compare("GM0363")
    >>> [f.value for f in res.figures if f.unit_kind == "national" and f.year == 2020
    ...  and f.indicator == "lonely_pct"]
    [47.0]
    """
    from evalkit.data import boundaries

    code = _check_code(code)
    check_option("age_group", age_group, AGE_GROUPS)
    check_lang(lang)
    pg = peer_group(code, k=k)
    name = _name_now(code)
    pre = boundaries.predecessors(code)
    whole = pre[pre["relation"] != "part"]
    hm = _hm()
    src_hm = i18n.t(
        "methods.monitoring.source.health_monitor", lang, years=i18n.t("methods.monitoring.years_all", lang)
    )
    model = i18n.t("methods.monitoring.model_estimate_short", lang)
    figures: list[ReferenceFigure] = []
    for r in whole.itertuples(index=False):
        rows = hm[(hm["region_code"] == r.gm_code_2020) & (hm["age_group"] == age_group)]
        kind = "municipality" if r.relation == "same" else "former_municipality"
        for row in rows.itertuples(index=False):
            for ind in INDICATORS:
                v = getattr(row, ind)
                ok = not pd.isna(v)
                figures.append(
                    ReferenceFigure(
                        kind,
                        r.gm_code_2020,
                        str(r.name_2020),
                        int(row.year),
                        age_group,
                        ind,
                        float(v) if ok else None,
                        "published" if ok else "not_published",
                        src_hm,
                        model,
                    )
                )
    nat = _national(age_group)
    for year, row in nat.iterrows():
        for ind in INDICATORS:
            v = row[ind]
            ok = not pd.isna(v)
            figures.append(
                ReferenceFigure(
                    "national",
                    "NL01",
                    i18n.t("methods.monitoring.unit.national", lang),
                    int(year),
                    age_group,
                    ind,
                    float(v) if ok else None,
                    "published" if ok else "not_published",
                    src_hm,
                    "",
                )
            )
    pf = pg.figures
    for r in pf[pf["age_group"] == age_group].itertuples(index=False):
        ok = not pd.isna(r.mean)
        figures.append(
            ReferenceFigure(
                "peer_group",
                "PEERS",
                i18n.t("methods.monitoring.unit.peers", lang),
                int(r.year),
                age_group,
                r.indicator,
                float(r.mean) if ok else None,
                "computed" if ok else "not_published",
                src_hm,
                i18n.t("methods.monitoring.peer_group.computed", lang, n_peers=int(r.count)),
            )
        )
    figures.extend(_young_figures(code, name, pg, lang))
    return MunicipalComparison(code, name, age_group, pre, figures, pg)


def _young_figures(code: str, name: str, pg: PeerGroup, lang: str) -> list[ReferenceFigure]:
    from evalkit.data import boundaries

    ya = _ya().set_index("region_code")
    src = i18n.t("methods.monitoring.source.young_adults", lang)
    out: list[ReferenceFigure] = []
    now = _codes_2024()
    unit_code, unit_name, kind, status_note = code, name, "municipality", ""
    if code not in now:
        succ = boundaries.current_code(code, 2024)
        if succ is not None:
            unit_code, unit_name = succ[0], succ[1]
            status_note = i18n.t("methods.monitoring.part_of", lang, name=name, date=succ[2], succ=succ[1])
    for ind in YOUNG_INDICATORS:
        if unit_code in ya.index:
            v = ya.at[unit_code, ind]
            if pd.isna(v):
                fig = ReferenceFigure(
                    kind,
                    unit_code,
                    unit_name,
                    2024,
                    "16-25",
                    ind,
                    None,
                    "too_few_respondents",
                    src,
                    i18n.t("methods.monitoring.status.too_few_respondents", lang),
                )
            else:
                status = "successor" if status_note else "published"
                fig = ReferenceFigure(
                    kind,
                    unit_code,
                    unit_name,
                    2024,
                    "16-25",
                    ind,
                    float(v),
                    status,
                    src,
                    status_note or i18n.t("methods.monitoring.no_interval_published", lang),
                )
        else:
            fig = ReferenceFigure(
                kind,
                unit_code,
                unit_name,
                2024,
                "16-25",
                ind,
                None,
                "not_published",
                src,
                i18n.t("methods.monitoring.status.not_published", lang),
            )
        out.append(fig)
        v_nl = ya.at["NL01", ind]
        out.append(
            ReferenceFigure(
                "national",
                "NL01",
                i18n.t("methods.monitoring.unit.national", lang),
                2024,
                "16-25",
                ind,
                float(v_nl),
                "published",
                src,
                "",
            )
        )
    pf = pg.figures
    for r in pf[pf["year"] == 2024].itertuples(index=False):
        ok = not pd.isna(r.mean)
        out.append(
            ReferenceFigure(
                "peer_group",
                "PEERS",
                i18n.t("methods.monitoring.unit.peers", lang),
                2024,
                "16-25",
                r.indicator,
                float(r.mean) if ok else None,
                "computed" if ok else "not_published",
                src,
                i18n.t("methods.monitoring.peer_group.computed", lang, n_peers=int(r.count)),
            )
        )
    return out


# ------------------------------------------------------------------------------ national trend
class NationalTrend(Result):
    """Result of :func:`national_trend`: one national figure per year and indicator.

    ``n`` (in ``tidy()``): not available (NaN): the national figures come without respondent counts in the bundled table.
    """

    title = i18n.Message("methods.monitoring.national_trend.title")

    def __init__(self, data: pd.DataFrame, age_group: str):
        self.data, self.age_group = data, age_group

    def tidy(self) -> pd.DataFrame:
        """One row per year and indicator (``estimate`` = the published national percentage;
        extra ``year, age_group, indicator, source``)."""
        rows = [
            {
                "term": f"NL01 {r.year} {r.age_group} {r.indicator}",
                "estimate": r.value,
                "year": r.year,
                "age_group": r.age_group,
                "indicator": r.indicator,
                "source": r.source,
            }
            for r in self.data.itertuples(index=False)
        ]
        return tidy_frame(rows, extra=("year", "age_group", "indicator", "source"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lines = [f"{self.title[lang]} ({self.age_group})", ""]
        for ind in INDICATORS:
            part = self.data[self.data["indicator"] == ind]
            vals = ", ".join(f"{r.year}: {_pct(r.value, lang)}" for r in part.itertuples(index=False))
            lines.append(f"{INDICATORS[ind][lang]}: {vals}")
        lines += [
            "",
            i18n.t("methods.monitoring.source.health_monitor", lang, years="2012, 2016, 2020") + ".",
        ]
        return "\n".join(lines)

    def plot(self, *, ax=None, lang: str | None = None):
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax)
        for j, ind in enumerate(INDICATORS):
            part = self.data[(self.data["indicator"] == ind)].dropna(subset=["value"])
            ax.plot(
                part["year"],
                part["value"],
                marker="o",
                color=plotting.PALETTE[j],
                label=INDICATORS[ind][lang],
            )
            for r in part.itertuples(index=False):
                ax.annotate(
                    i18n.fmt_number(r.value, 1, lang),
                    (r.year, r.value),
                    fontsize=7,
                    # labels of neighbouring lines above and below their points: never stacked
                    xytext=(0, 5) if j % 2 == 0 else (0, -5),
                    va="bottom" if j % 2 == 0 else "top",
                    textcoords="offset points",
                    ha="center",
                )
        ax.set_xticks(list(YEARS))
        ax.set_ylim(0, 60)
        ax.set_xlabel(plotting.label("year", lang))
        ax.set_ylabel(i18n.t("figures.pct_axis", lang))
        ax.set_title(f"{self.title[lang]} ({self.age_group})", fontsize=10)
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        _source_below(ax, i18n.t("methods.monitoring.source.health_monitor", lang, years="2012, 2016, 2020"))
        return plotting.localize_axes(ax, lang)


def national_trend(*, age_group: str = "18+") -> NationalTrend:
    """The national figures 2012, 2016, 2020 (one per year and indicator) with their source.

    Examples
    --------
    >>> from evalkit import monitoring
    >>> t = monitoring.national_trend()
    >>> t.tidy().query("year == 2020 and indicator == 'lonely_pct'")["estimate"].item()
    47.0
    """
    check_option("age_group", age_group, AGE_GROUPS)
    nat = _national(age_group)
    rows = []
    for year, row in nat.iterrows():
        for ind in INDICATORS:
            rows.append(
                {
                    "year": int(year),
                    "age_group": age_group,
                    "indicator": ind,
                    "value": float(row[ind]) if not pd.isna(row[ind]) else np.nan,
                    "source": SOURCE_SHORT["health_monitor"],
                }
            )
    return NationalTrend(pd.DataFrame(rows), age_group)


# ------------------------------------------------------------------------------ change vs level
class ChangeVsLevel(Result):
    """Result of :func:`change_vs_level`: change 2016-2020 per municipality against its 2016 level.

    ``n`` (in ``tidy()``): municipalities with a figure in both years.
    """

    title = i18n.Message("methods.monitoring.change_vs_level.title")

    def __init__(self, data: pd.DataFrame, indicator: str, age_group: str, fit: dict[str, float]):
        self.data, self.indicator, self.age_group, self.fit = data, indicator, age_group, fit

    def tidy(self) -> pd.DataFrame:
        """Two rows: ``slope`` (ordinary least squares of the change on the 2016 level, with
        its standard error, 95% CI and p-value) and ``correlation`` (Pearson r, Fisher-z CI);
        ``n`` = municipalities. Extra ``indicator, age_group, mean_change``."""
        f = self.fit
        extra = {"indicator": self.indicator, "age_group": self.age_group, "mean_change": f["mean_change"]}
        rows = [
            dict(
                term="slope",
                estimate=f["slope"],
                std_error=f["slope_se"],
                ci_lower=f["slope_lo"],
                ci_upper=f["slope_hi"],
                p_value=f["p_value"],
                n=f["n"],
                **extra,
            ),
            dict(
                term="correlation",
                estimate=f["r"],
                ci_lower=f["r_lo"],
                ci_upper=f["r_hi"],
                p_value=f["p_value"],
                n=f["n"],
                **extra,
            ),
        ]
        return tidy_frame(rows, extra=("indicator", "age_group", "mean_change"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        f = self.fit
        ind = INDICATORS[self.indicator][lang].lower()
        return i18n.t(
            "methods.monitoring.change_vs_level.summary",
            lang,
            title=self.title[lang],
            indicator=ind,
            age=self.age_group,
            n=int(f["n"]),
            mean_change=i18n.fmt_number(f["mean_change"], 2, lang),
            slope=i18n.fmt_number(f["slope"], 3, lang),
            ci=i18n.fmt_ci(f["slope_lo"], f["slope_hi"], 3, lang),
            r=i18n.fmt_number(f["r"], 2, lang),
            source=i18n.t("methods.monitoring.source.health_monitor", lang, years="2016, 2020")
            + "; "
            + i18n.t("methods.monitoring.model_estimate_short", lang)
            + ".",
        )

    def plot(self, *, ax=None, lang: str | None = None, highlight: str | None = None):
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax)
        d = self.data
        ax.scatter(d["level_2016"], d["change"], s=12, alpha=0.6, color=plotting.COLORS["intervention"])
        xs = np.linspace(d["level_2016"].min(), d["level_2016"].max(), 50)
        ax.plot(
            xs,
            self.fit["intercept"] + self.fit["slope"] * xs,
            color=plotting.COLORS["highlight"],
            label=i18n.t("methods.monitoring.least_squares_line", lang),
        )
        ax.axhline(0, color=plotting.COLORS["national"], linewidth=1)
        if highlight is not None and highlight in set(d["gm_code_2020"]):
            h = d[d["gm_code_2020"] == highlight].iloc[0]
            ax.scatter([h["level_2016"]], [h["change"]], s=60, facecolor="none", edgecolor="black")
            ax.annotate(
                str(h["name_2020"]),
                (h["level_2016"], h["change"]),
                fontsize=8,
                xytext=(4, 4),
                textcoords="offset points",
            )
        ind = INDICATORS[self.indicator][lang]
        ax.set_xlabel(i18n.t("methods.monitoring.change_vs_level.x_label", lang, indicator=ind))
        ax.set_ylabel(i18n.t("methods.monitoring.change_2016_2020_points", lang))
        ax.set_title(f"{self.title[lang]} ({self.age_group})", fontsize=10)
        ax.legend(fontsize=8, frameon=False)
        return plotting.localize_axes(ax, lang)


def change_vs_level(*, indicator: str = "lonely_pct", age_group: str = "18+") -> ChangeVsLevel:
    """Change 2016-2020 per municipality (boundaries of 2020) against its 2016 level.

    Ordinary least squares of ``change = level_2020 - level_2016`` on ``level_2016`` over the
    355 municipalities (scipy ``linregress``; slope CI with t(n-2)); Pearson r with a Fisher-z
    95% interval. The summary explains regression to the mean in words.
    """
    check_option("indicator", indicator, list(INDICATORS))
    check_option("age_group", age_group, AGE_GROUPS)
    w = _wide(age_group)[indicator]
    names = _hm().drop_duplicates("region_code").set_index("region_code")["region_name"]
    d = pd.DataFrame(
        {
            "gm_code_2020": w.index,
            "name_2020": names.loc[w.index].to_numpy(),
            "level_2016": w[2016].to_numpy(dtype=float),
            "level_2020": w[2020].to_numpy(dtype=float),
        }
    )
    d["change"] = d["level_2020"] - d["level_2016"]
    d = d.dropna().reset_index(drop=True)
    n = len(d)
    lr = stats.linregress(d["level_2016"], d["change"])
    tcrit = stats.t.ppf(0.975, n - 2)
    zr = math.atanh(lr.rvalue)
    half = 1.959963984540054 / math.sqrt(n - 3)
    fit = {
        "slope": float(lr.slope),
        "intercept": float(lr.intercept),
        "slope_se": float(lr.stderr),
        "slope_lo": float(lr.slope - tcrit * lr.stderr),
        "slope_hi": float(lr.slope + tcrit * lr.stderr),
        "p_value": float(lr.pvalue),
        "r": float(lr.rvalue),
        "r_lo": math.tanh(zr - half),
        "r_hi": math.tanh(zr + half),
        "n": float(n),
        "mean_change": float(d["change"].mean()),
    }
    return ChangeVsLevel(d, indicator, age_group, fit)


# ------------------------------------------------------------------------------ young adults by GGD region
class YoungAdultsRegions(Result):
    """Result of :func:`young_adults_regions`: the 2024 figures (16-25) per GGD region.

    ``n`` (in ``tidy()``): not available (NaN): the source gives shares only.
    """

    title = i18n.Message("methods.monitoring.young_adults_regions.title")

    def __init__(self, data: pd.DataFrame, national: pd.Series, blanks: int):
        self.data, self.national, self.blanks = data, national, blanks

    def tidy(self) -> pd.DataFrame:
        """One row per GGD region and indicator (alphabetical by name; extra ``region_code,
        region_name, indicator, national, source``)."""
        rows = []
        for r in self.data.itertuples(index=False):
            for ind in YOUNG_INDICATORS:
                rows.append(
                    {
                        "term": f"{r.region_code} 2024 16-25 {ind}",
                        "estimate": getattr(r, ind),
                        "region_code": r.region_code,
                        "region_name": r.region_name,
                        "indicator": ind,
                        "national": float(self.national[ind]),
                        "source": SOURCE_SHORT["young_adults_2024"],
                    }
                )
        return tidy_frame(rows, extra=("region_code", "region_name", "indicator", "national", "source"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        lo = self.data["lonely_pct"]
        return i18n.t(
            "methods.monitoring.young_adults_regions.summary",
            lang,
            title=self.title[lang],
            national=_pct(self.national["lonely_pct"], lang),
            national_strongly=_pct(self.national["strongly_lonely_pct"], lang),
            region_min=_pct(lo.min(), lang),
            region_max=_pct(lo.max(), lang),
            n_blank=self.blanks,
            source=source_text("young_adults_2024", lang),
        )

    def plot(self, *, ax=None, lang: str | None = None):
        """Dot plot per GGD region (alphabetical, not ranked): lonely and strongly lonely, with
        the national values as reference lines."""
        lang = resolve_lang(lang)
        from evalkit.core import plotting

        check_lang(lang)
        ax = plotting.new_axes(ax, figsize=(7.5, 7.0))
        d = self.data.iloc[::-1]
        y = np.arange(len(d))
        for ind, col in (("lonely_pct", plotting.PALETTE[0]), ("strongly_lonely_pct", plotting.PALETTE[1])):
            ax.scatter(d[ind], y, color=col, s=22, label=YOUNG_INDICATORS[ind][lang], zorder=3)
            ax.axvline(self.national[ind], color=plotting.COLORS["national"], linestyle="--", linewidth=1)
        ax.set_yticks(y, d["region_name"], fontsize=7)
        ax.set_xlim(0, 80)
        ax.set_xlabel(i18n.t("figures.pct_young", lang))
        ax.set_title(self.title[lang], fontsize=10)
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        _source_below(
            ax,
            i18n.t("methods.monitoring.source.young_adults", lang)
            + " "
            + i18n.t("methods.monitoring.young_adults_regions.dashed_lines", lang),
        )
        return plotting.localize_axes(ax, lang)


def young_adults_regions() -> YoungAdultsRegions:
    """The young adults' 2024 figures (16-25) for the 25 GGD regions, with names (alphabetical)."""
    ya = _ya()
    names = _ggd_names()
    g = ya[ya["region_type"] == "ggd_regio"].copy()
    g.insert(1, "region_name", g["region_code"].map(names))
    g = g.sort_values("region_name", key=lambda s: s.str.lower(), kind="stable").reset_index(drop=True)
    nat = ya[ya["region_code"] == "NL01"].iloc[0]
    blanks = int(ya.loc[ya["region_type"] == "gemeente", "lonely_pct"].isna().sum())
    return YoungAdultsRegions(g, nat, blanks)


# ------------------------------------------------------------------------------ funnel
class ModelFunnel(Result):
    """Result of :func:`model_funnel`: a funnel plot of model estimates, honestly labelled.

    Attributes
    ----------
    funnel : evalkit.funnel.FunnelResult
        Control limits for an *assumed* number of respondents (``n_illustrative``).
    dispersion : DataFrame
        Per third of municipalities by size: the observed standard deviation of the model
        estimates and the standard deviation a direct survey of that size would show by
        chance alone (binomial, at the median illustrative n).

    ``n`` (in ``tidy()``): municipalities in each size group.
    """

    title = i18n.Message("methods.monitoring.model_funnel.title")

    def __init__(
        self,
        funnel,
        dispersion: pd.DataFrame,
        data: pd.DataFrame,
        year: int,
        indicator: str,
        age_group: str,
        target: float,
    ):
        self.funnel, self.dispersion, self.data = funnel, dispersion, data
        self.year, self.indicator, self.age_group, self.target = year, indicator, age_group, target

    def tidy(self) -> pd.DataFrame:
        """One row per third of municipalities by size: ``estimate`` = observed SD of the model
        estimates (points); extra ``size_third, n_municipalities, median_inhabitants,
        binomial_sd`` (chance SD of a direct survey of the illustrative size)."""
        rows = [
            {
                "term": f"sd {r.size_third}",
                "estimate": r.observed_sd,
                "n": r.n_municipalities,
                "size_third": r.size_third,
                "median_inhabitants": r.median_inhabitants,
                "binomial_sd": r.binomial_sd,
            }
            for r in self.dispersion.itertuples(index=False)
        ]
        return tidy_frame(rows, extra=("size_third", "median_inhabitants", "binomial_sd"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        d = self.dispersion
        small, large = d.iloc[0], d.iloc[-1]
        c = self.funnel.counts()
        outside = int(c["above_998"] + c["below_998"])
        frac = ILLUSTRATIVE_RESPONDENTS_2020 / float(_pop().sum())
        return i18n.t(
            "methods.monitoring.model_funnel.summary",
            lang,
            title=self.title[lang],
            indicator=INDICATORS[self.indicator][lang].lower(),
            year=self.year,
            age=self.age_group,
            target=_pct(self.target, lang),
            share_responding=i18n.fmt_number(frac, 3, lang),
            small_sd=i18n.fmt_number(small["observed_sd"], 1, lang),
            small_binomial_sd=i18n.fmt_number(small["binomial_sd"], 1, lang),
            large_sd=i18n.fmt_number(large["observed_sd"], 1, lang),
            large_binomial_sd=i18n.fmt_number(large["binomial_sd"], 1, lang),
            n_outside=outside,
            trend=i18n.t(
                "methods.monitoring.trend_not_falling"
                if large["observed_sd"] >= small["observed_sd"]
                else "methods.monitoring.trend_falling_too",
                lang,
            ),
            src=i18n.t("methods.monitoring.source.health_monitor", lang, years=str(self.year))
            + "; "
            + i18n.t("methods.monitoring.model_estimate_short", lang)
            + ".",
        )

    def plot(self, *, ax=None, lang: str | None = None, highlight: str | None = None):
        """The funnel (log x-axis) with the assumption written on the axis."""
        lang = resolve_lang(lang)
        ax = self.funnel.plot(
            ax=ax,
            lang=lang,
            label_outliers=False,
            highlight=highlight,
            ylabel=f"{INDICATORS[self.indicator][lang]} {self.year} (%)",
            title=i18n.t("methods.monitoring.model_estimates_limits_for_an", lang),
        )
        ax.set_xscale("log")
        ax.set_xlabel(i18n.t("methods.monitoring.assumed_number_of_respondents_inhabitants", lang))
        from evalkit.core import plotting

        return plotting.localize_axes(ax, lang)


def model_funnel(*, year: int = 2020, indicator: str = "lonely_pct", age_group: str = "18+") -> ModelFunnel:
    """A funnel plot of the municipal model estimates that says what it can and cannot show.

    The source publishes neither numbers of respondents nor intervals. The funnel uses an
    *illustrative* n per municipality: inhabitants on 1 January 2020 (CBS) times the national
    share of respondents (about 540,000 respondents in 2020 / 17,407,585 inhabitants); its
    limits are those of a direct survey of that size (:func:`evalkit.funnel.funnel`, exact
    binomial limits). The ``dispersion`` table compares the observed spread of the model
    estimates per size third with the spread such a survey would show by chance alone.
    """
    from evalkit.methods.funnel import funnel

    check_option("year", year, list(YEARS))
    check_option("indicator", indicator, list(INDICATORS))
    check_option("age_group", age_group, AGE_GROUPS)
    hm = _hm()
    part = hm[(hm["year"] == year) & (hm["age_group"] == age_group) & (hm["region_code"] != "NL01")]
    part = part.dropna(subset=[indicator])
    if part.empty:
        raise ParameterError(f"indicator={indicator!r} has no figures in {year} (not published).")
    pop = _pop()
    frac = ILLUSTRATIVE_RESPONDENTS_2020 / float(pop.sum())
    d = pd.DataFrame(
        {
            "unit": part["region_name"].to_numpy(),
            "gm_code_2020": part["region_code"].to_numpy(),
            "value": part[indicator].to_numpy(dtype=float),
            "inhabitants": pop.loc[part["region_code"]].to_numpy(),
        }
    )
    d["n_illustrative"] = np.maximum(1, np.round(d["inhabitants"] * frac)).astype(int)
    target = float(_national(age_group).loc[year, indicator])
    fr = funnel(d, proportion="value", n="n_illustrative", target=target, unit="unit", percent=True)
    d["size_third"] = pd.qcut(d["inhabitants"].rank(method="first"), 3, labels=["small", "middle", "large"])
    rows = []
    p = target / 100
    for third, g in d.groupby("size_third", observed=True):
        med_n = float(g["n_illustrative"].median())
        rows.append(
            {
                "size_third": str(third),
                "n_municipalities": len(g),
                "median_inhabitants": float(g["inhabitants"].median()),
                "observed_sd": float(g["value"].std(ddof=1)),
                "binomial_sd": 100 * math.sqrt(p * (1 - p) / med_n),
            }
        )
    return ModelFunnel(fr, pd.DataFrame(rows), d, year, indicator, age_group, target)


# ------------------------------------------------------------------------------ small multiples
def plot_safety_regions(
    *, indicator: str = "lonely_pct", age_group: str = "18+", lang: str = "nl", highlight: str | None = None
):
    """Small multiples: one panel per safety region (25), every municipality (boundaries of
    2020) as a grey line over 2012-2016-2020, the Netherlands dashed; same axes everywhere.
    ``highlight``: a 2020 municipality code drawn in colour. Returns the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from evalkit.core import plotting
    from evalkit.data import boundaries

    check_option("indicator", indicator, list(INDICATORS))
    check_option("age_group", age_group, AGE_GROUPS)
    check_lang(lang)
    from evalkit.data.datasets import load

    pop = load("population_2020").set_index("gm_code")
    vr_names = boundaries.safety_region_names()
    w = _wide(age_group)[indicator]
    years = [y for y in YEARS if w[y].notna().any()]
    nat = _national(age_group)[indicator]
    regions = sorted(vr_names)
    fig, axes = plt.subplots(5, 5, figsize=(13, 12), sharex=True, sharey=True)
    for ax, vr in zip(axes.ravel(), regions):
        codes = pop.index[pop["safety_region"] == vr]
        vals = w.loc[codes, years].to_numpy(dtype=float)
        # one LineCollection per panel: 355 separate lines make the figure slow to lay out
        ax.add_collection(
            LineCollection(
                [np.column_stack([years, v]) for v in vals], colors=plotting.COLORS["other"], linewidths=0.9
            )
        )
        if highlight is not None and highlight in set(codes):
            ax.plot(years, w.loc[highlight, years], color=plotting.COLORS["highlight"], linewidth=2)
        ax.plot(years, nat.loc[years], color=plotting.COLORS["national"], linestyle="--", linewidth=1.5)
        ax.set_title(f"{vr_names[vr]} ({len(codes)})", fontsize=8)
        ax.set_xticks(years)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylim(*Y_LIMITS[indicator])
    fig.suptitle(
        i18n.t(
            "methods.monitoring.safety_regions.title",
            lang,
            indicator=INDICATORS[indicator][lang],
            age_group=age_group,
        ),
        fontsize=11,
    )
    fig.text(
        0.01,
        0.005,
        i18n.t("methods.monitoring.source.health_monitor", lang, years=", ".join(map(str, years)))
        + "; "
        + i18n.t("methods.monitoring.model_estimate_short", lang)
        + i18n.t("methods.monitoring.boundaries_2020_suffix", lang),
        fontsize=8,
    )
    axes[0][0].set_xlim(years[0] - 0.6, years[-1] + 0.6)
    # one label per axis for all panels (shared axes)
    fig.supxlabel(plotting.label("year", lang), fontsize=9, y=0.025)
    fig.supylabel(i18n.t("figures.pct_axis", lang), fontsize=9, x=0.005)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.07, top=0.94, hspace=0.35, wspace=0.08)
    plotting.localize_axes(fig, lang)
    return fig
