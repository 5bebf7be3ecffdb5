"""Reference figures a coalition report compares with: typed, with source and year.

A report shows reference figures only when a caller supplies them:

- :class:`ReferenceFigures`: the municipality's (and the country's) share of lonely
  adults from a published source (the Health Monitor), with the source, the years and
  a caveat. Without them the municipal section says that no figures are available.
- :class:`BenchmarkFigures`: the five pillar scores of the programme's benchmark; without
  them the benchmark section is left out.

Synthetic figures exist only for ``evalkit demo`` (:func:`example_reference`,
:func:`example_benchmark`): they are marked ``example=True`` and every page that shows
them says "voorbeeldgegevens".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from evalkit.core.errors import ParameterError

__all__ = [
    "EXAMPLE_SOURCE",
    "BenchmarkFigures",
    "ReferenceFigures",
    "ReferencePoint",
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
    """

    municipality_code: str
    municipality_name: str
    indicator: str
    local: tuple[ReferencePoint, ...]
    national: tuple[ReferencePoint, ...] = ()
    source: str = ""
    caveat: str = ""
    example: bool = False

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ParameterError("reference figures need their source (publisher, publication).")
        if not self.local:
            raise ParameterError("reference figures need at least one year for the municipality.")
        for p in (*self.local, *self.national):
            if not 0 <= p.share <= 1:
                raise ParameterError(f"a reference share must be between 0 and 1, got {p.share!r}.")

    @property
    def years(self) -> list[int]:
        return sorted({p.year for p in self.local})


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


def municipal_reference(code: str) -> ReferenceFigures | None:
    """The real Health Monitor figures of municipality ``code``, if evalkit has them.

    Until the Health Monitor data set is wired in (issue 12, ``evalkit.datasets.load(
    "health_monitor")``), this returns None and the report says that no figures are
    available. It never returns synthetic figures.
    """
    return None


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
    nat = (panel.assign(w=w, wy=w * panel["lonely_pct"].astype(float))
           .groupby("year")[["w", "wy"]].sum())
    mine = panel[panel["municipality_code"].astype(str) == code].sort_values("year")
    if mine.empty:
        return None
    return ReferenceFigures(
        municipality_code=code, municipality_name=name,
        indicator="matig of sterk eenzaam, 18 jaar en ouder",
        local=tuple(ReferencePoint(int(r.year), float(r.lonely_pct) / 100)
                    for r in mine.itertuples()),
        national=tuple(ReferencePoint(int(y), float(r.wy / r.w) / 100)
                       for y, r in nat.iterrows()),
        source=EXAMPLE_SOURCE, caveat="Verzonnen cijfers om het rapport te laten zien.",
        example=True)


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
        municipality_code=code, year=year,
        scores={p: float(mine.iloc[0][p]) for p in pillars},
        all_scores={p: tuple(cur[p].astype(float).dropna()) for p in pillars},
        source=EXAMPLE_SOURCE, example=True)
