"""Reference figures a coalition report compares with: typed, with source and year.

A report shows reference figures only when a caller supplies them:

- :class:`ReferenceFigures`: the municipality's (and the country's) share of lonely
  adults from a published source (the Health Monitor), with the source, the years and
  a caveat; for a merged municipality the series of its former municipalities
  (:class:`ReferenceSeries`), the peer group's mean (computed by evalkit, said so) and the
  young adults' figure of 2024 (:class:`YoungAdultsFigure`, or why there is none).
  :func:`municipal_reference` builds them from the REAL bundled Health Monitor figures
  (:func:`evalkit.monitoring.compare`). Without them the municipal section says that no
  figures are available.
- :class:`BenchmarkFigures`: the five pillar scores of the programme's benchmark; without
  them the benchmark section is left out.

Synthetic figures exist only for ``evalkit demo`` (:func:`example_reference`,
:func:`example_benchmark`): they are marked ``example=True`` and every page that shows
them says "voorbeeldgegevens".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evalkit.core.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.methods.monitoring import MunicipalComparison

__all__ = [
    "EXAMPLE_SOURCE",
    "BenchmarkFigures",
    "ReferenceFigures",
    "ReferencePoint",
    "ReferenceSeries",
    "YoungAdultsFigure",
    "example_benchmark",
    "example_reference",
    "municipal_reference",
]

#: The source line of every synthetic reference figure.
EXAMPLE_SOURCE = "voorbeeldgegevens (verzonnen cijfers van evalkit, niet echt)"


@dataclass(frozen=True)
class ReferencePoint:
    """One published figure: ``share`` (0-1) in ``year``."""

    year: int
    share: float


@dataclass(frozen=True)
class ReferenceSeries:
    """A labelled series of published figures: ``role`` ``"former"`` (a former municipality
    of a merged one, boundaries of 2020) or ``"peers"`` (the mean of the peer group,
    computed by evalkit from published figures; ``note`` says so)."""

    label: str
    role: str
    points: tuple[ReferencePoint, ...]
    code: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.role not in ("former", "peers"):
            raise ParameterError(f"role must be 'former' or 'peers', got {self.role!r}.")
        for p in self.points:
            if not 0 <= p.share <= 1:
                raise ParameterError(f"a reference share must be between 0 and 1, got {p.share!r}.")


@dataclass(frozen=True)
class YoungAdultsFigure:
    """The young adults' figure (ages 16-25) of one year, or why there is none.

    ``share`` is None when the source has no figure; ``note`` then says why ("geen cijfer:
    te weinig respondenten"), or, with a share, whose figure it is when the municipality is
    now part of another one.
    """

    year: int
    age_group: str
    unit_name: str
    share: float | None
    national: float | None
    source: str
    note: str = ""
    peers: float | None = None
    peers_n: int = 0

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ParameterError("young adults' figures need their source.")
        if self.share is None and not self.note.strip():
            raise ParameterError("a missing young adults' figure needs a note saying why.")


@dataclass(frozen=True)
class ReferenceFigures:
    """Published loneliness figures of one municipality (and the country).

    Attributes
    ----------
    municipality_code, municipality_name : str
    indicator : str
        What the share is ("matig of sterk eenzaam, 18 jaar en ouder").
    local, national : tuple of ReferencePoint
        The municipality's and the country's figures by year (as published; the Health
        Monitor is held every four years).
    source : str
        Publisher and publication ("Gezondheidsmonitor Volwassenen en Ouderen, GGD'en,
        CBS en RIVM").
    caveat : str
        What a reader must know (model estimates, boundaries of a given year, ...).
    example : bool
        Synthetic figures for the demo (the page says "voorbeeldgegevens").
    former : tuple of ReferenceSeries
        For a municipality formed by a merger after the figures' year: the series of its
        former municipalities (``local`` is then empty, or the continuing municipality's
        own series when others joined it, as Weesp joined Amsterdam).
    peers : ReferenceSeries, optional
        The peer group's mean per year (``role="peers"``).
    boundary_note : str
        The municipality's boundary history in a sentence (mergers, parts that joined).
    young : YoungAdultsFigure, optional
        Ages 16-25 in the latest young adults' monitor.
    """

    municipality_code: str
    municipality_name: str
    indicator: str
    local: tuple[ReferencePoint, ...]
    national: tuple[ReferencePoint, ...] = ()
    source: str = ""
    caveat: str = ""
    example: bool = False
    former: tuple[ReferenceSeries, ...] = ()
    peers: ReferenceSeries | None = None
    boundary_note: str = ""
    young: YoungAdultsFigure | None = None

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ParameterError("reference figures need their source (publisher, publication).")
        if not self.local and not any(s.points for s in self.former):
            raise ParameterError(
                "reference figures need at least one year for the municipality "
                "(or its former municipalities)."
            )
        for p in (*self.local, *self.national):
            if not 0 <= p.share <= 1:
                raise ParameterError(f"a reference share must be between 0 and 1, got {p.share!r}.")

    @property
    def years(self) -> list[int]:
        return sorted({p.year for p in self.local} | {p.year for s in self.former for p in s.points})


@dataclass(frozen=True)
class BenchmarkFigures:
    """The programme's benchmark of one municipality: five pillar scores (0-10), with the
    scores of all participating municipalities for comparison."""

    municipality_code: str
    year: int
    scores: dict[str, float]
    all_scores: dict[str, tuple[float, ...]] = field(default_factory=dict)
    source: str = ""
    example: bool = False

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ParameterError("benchmark figures need their source.")


def municipal_reference(code: str, lang: str = "nl", *, k: int = 10) -> ReferenceFigures | None:
    """The REAL Health Monitor figures of municipality ``code`` (2022 or later boundaries).

    From :func:`evalkit.monitoring.compare`: share lonely (18+) in 2012, 2016 and 2020 of
    the municipality, or of each of its former municipalities when it was formed by a
    merger (never one invented figure for the new boundaries); the Netherlands; the mean of
    its ``k`` peers (computed by evalkit, labelled so); and the young adults' figure of
    2024 (ages 16-25), or the reason there is none ("geen cijfer: te weinig respondenten").
    Source: Gezondheidsmonitor Volwassenen en Ouderen (GGD'en, CBS en RIVM; StatLine
    50090NED); the municipal figures are RIVM model estimates without confidence intervals.
    Returns None for a code that is not a municipality of 2022 or later. Never synthetic.
    """
    from evalkit.core.errors import ParameterError as _PE
    from evalkit.methods import monitoring

    try:
        res = monitoring.compare(code, age_group="18+", k=k, lang=lang)
    except _PE:
        return None
    return _from_comparison(res, lang)


def _peer_text(res: MunicipalComparison, lang: str) -> str:
    from evalkit.methods.monitoring import peer_method_text

    return peer_method_text(res.name, res.peers.k, lang).rstrip(".")


def _from_comparison(res: MunicipalComparison, lang: str) -> ReferenceFigures:
    from evalkit.core.i18n import t

    def pts(kind: str, code: str | None = None) -> tuple[ReferencePoint, ...]:
        return tuple(
            ReferencePoint(f.year, f.value / 100)
            for f in sorted(res.figures, key=lambda f: f.year)
            if f.unit_kind == kind
            and (code is None or f.unit_code == code)
            and f.year < 2024
            and f.indicator == "lonely_pct"
            and f.value is not None
        )

    local = pts("municipality")
    former = tuple(
        ReferenceSeries(
            t("pages.reference.former", lang, name=r.name_2020),
            "former",
            pts("former_municipality", r.gm_code_2020),
            code=r.gm_code_2020,
        )
        for r in res.predecessors.itertuples(index=False)
        if r.relation == "merged"
    )
    peer_pts = pts("peer_group")
    peer_note = next((f.remark for f in res.figures if f.unit_kind == "peer_group"), "")
    peer_note = f"{peer_note[:1].upper()}{peer_note[1:]}. " + _peer_text(res, lang)
    peers = (
        ReferenceSeries(t("pages.reference.peers", lang, k=res.peers.k), "peers", peer_pts, note=peer_note)
        if peer_pts
        else None
    )
    boundary = " ".join(res.boundary_notes(lang))
    pf = res.peers.figures
    n24 = pf[(pf["year"] == 2024) & (pf["indicator"] == "lonely_pct")]["count"]
    ya = {f.unit_kind: f for f in res.young_adults() if f.indicator == "lonely_pct"}
    mine, nat, pg = ya.get("municipality"), ya.get("national"), ya.get("peer_group")
    young = None
    if mine is not None:
        young = YoungAdultsFigure(
            year=mine.year,
            age_group=mine.age_group,
            unit_name=mine.unit_name,
            share=None if mine.value is None else mine.value / 100,
            national=None if nat is None or nat.value is None else nat.value / 100,
            source=mine.source.replace("Bron: ", "").replace("Source: ", ""),
            note="" if mine.status == "published" else mine.remark,
            peers=None if pg is None or pg.value is None else pg.value / 100,
            peers_n=int(n24.iloc[0]) if len(n24) else 0,
        )
    return ReferenceFigures(
        municipality_code=res.code,
        municipality_name=res.name,
        indicator=t("pages.reference.indicator", lang),
        local=local,
        national=pts("national"),
        source=t("pages.reference.source", lang),
        caveat=t("pages.reference.caveat", lang),
        former=former,
        peers=peers,
        boundary_note=boundary,
        young=young,
    )


# ----------------------------------------------------------------------------------------
# synthetic figures for the demo only
# ----------------------------------------------------------------------------------------
def example_reference(code: str, name: str) -> ReferenceFigures | None:
    """Synthetic municipal figures for ``evalkit demo`` (``example=True``), on the Health
    Monitor's four-year rhythm (2016, 2020, 2024), from the bundled example panel."""
    from evalkit.data import datasets

    panel = datasets.load("municipal_panel")
    panel = panel[["municipality_code", "year", "lonely_pct", "n_respondents"]].dropna()
    panel = panel[panel["year"].astype(int).isin((2016, 2020, 2024))]
    w = panel["n_respondents"].astype(float)
    nat = panel.assign(w=w, wy=w * panel["lonely_pct"].astype(float)).groupby("year")[["w", "wy"]].sum()
    mine = panel[panel["municipality_code"].astype(str) == code].sort_values("year")
    if mine.empty:
        return None
    return ReferenceFigures(
        municipality_code=code,
        municipality_name=name,
        indicator="matig of sterk eenzaam, 18 jaar en ouder",
        local=tuple(ReferencePoint(int(r.year), float(r.lonely_pct) / 100) for r in mine.itertuples()),
        national=tuple(ReferencePoint(int(y), float(r.wy / r.w) / 100) for y, r in nat.iterrows()),
        source=EXAMPLE_SOURCE,
        caveat="Verzonnen cijfers om het rapport te laten zien.",
        example=True,
    )


def example_benchmark(code: str) -> BenchmarkFigures | None:
    """Synthetic benchmark scores for ``evalkit demo`` (``example=True``)."""
    from evalkit.data import datasets

    bm = datasets.load("benchmark")
    year = int(bm["year"].max())
    cur = bm[bm["year"] == year]
    mine = cur[cur["municipality_code"].astype(str) == code]
    if mine.empty:
        return None
    pillars = [c for c in cur.columns if str(c).startswith("pillar_")]
    return BenchmarkFigures(
        municipality_code=code,
        year=year,
        scores={p: float(mine.iloc[0][p]) for p in pillars},
        all_scores={p: tuple(cur[p].astype(float).dropna()) for p in pillars},
        source=EXAMPLE_SOURCE,
        example=True,
    )
