"""Municipal boundaries: from the 355 municipalities of 2020 to those of 2022 and later.

The Health Monitor figures of 2012, 2016 and 2020 (``datasets.load("health_monitor")``) are
published in the boundaries of 2020 (355 municipalities). The local coalitions use the list
of 2022 (345 municipalities, ``datasets.load("municipalities")``), and the young adults'
figures of 2024 use the boundaries of 2024 (342). This module maps between them with the
bundled table ``evalkit/data/files/municipal_changes.csv`` (codebook
``data_dictionary/municipal_changes.json``):

==========  =======================================================  =====================
date        change                                                   new code
==========  =======================================================  =====================
2021-01-01  Appingedam, Delfzijl, Loppersum -> Eemsdelta             GM1979
2021-01-01  Haaren split: Esch -> Boxtel, Haaren -> Oisterwijk,      (existing codes)
            Biezenmortel -> Tilburg, Helvoirt -> Vught
2022-01-01  Heerhugowaard, Langedijk -> Dijk en Waard                GM1980
2022-01-01  Boxmeer, Cuijk, Grave, Mill en Sint Hubert,              GM1982
            Sint Anthonis -> Land van Cuijk
2022-01-01  Landerd, Uden -> Maashorst                                GM1991
2022-01-01  Beemster -> Purmerend                                     GM0439
2022-03-24  Weesp -> Amsterdam                                        GM0363
2023-01-01  Brielle, Hellevoetsluis, Westvoorne -> Voorne aan Zee    GM1992
==========  =======================================================  =====================

Checked against CBS and RvIG announcements (355 -> 352 municipalities in 2021, 345 on
1 January 2022, 344 from 24 March 2022, 342 in 2023) and cross-checked with the mapping
of the government's COVID-19 dashboard; see ``docs/monitoring.md``. There were no changes in
2024 and 2025.

A current municipality's figures for 2012-2020 are those of its *former municipalities*
(:func:`predecessors`): the municipality itself when unchanged (``relation="same"``), every
former municipality that joined it whole (``"merged"``) and, for Boxtel, Oisterwijk, Tilburg
and Vught, the former municipality Haaren of which a village joined them (``"part"``).
evalkit shows each former municipality's published figure; it never invents one combined
figure for the new boundaries. The only combination it makes is the peer-group profile of a
merged municipality (:func:`evalkit.monitoring.peer_group`), weighted by the real number of
inhabitants on 1 January 2020 (CBS, ``datasets.load("population_2020")``), and it says so.

Examples
--------
>>> from evalkit.data import boundaries
>>> boundaries.predecessors("GM1979")["gm_code_2020"].tolist()
['GM0003', 'GM0010', 'GM0024']
>>> len(boundaries.municipalities_at("2022-01-01"))
345
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from pathlib import Path

import pandas as pd

from evalkit.core.errors import ParameterError

__all__ = [
    "changes",
    "municipalities_at",
    "mapping",
    "predecessors",
    "successors",
    "current_code",
    "safety_region_names",
    "DATES",
    "LATEST",
    "RELATIONS",
]

_FILE = Path(__file__).resolve().parent / "files" / "municipal_changes.csv"

#: Boundaries of 2020: the state the Health Monitor 2012-2020 figures use.
BOUNDARIES_2020 = "2020-01-01"
#: The date of the last boundary change in the table (boundaries of 2023, 2024 and 2025).
LATEST = "2023-01-01"
#: Relations of a former municipality to the municipality that holds its territory.
RELATIONS = ("same", "merged", "part")
#: Dates at which the boundaries changed (from the table).
DATES = ("2021-01-01", "2022-01-01", "2022-03-24", "2023-01-01")

# Safety-region names as written in the population file lack spaces; the readable form.
_VR_NAME_FIX = {
    "Noord-enOost-Gelderland": "Noord- en Oost-Gelderland",
    "GooienVechtstreek": "Gooi en Vechtstreek",
    "Midden-enWest-Brabant": "Midden- en West-Brabant",
}


@lru_cache(maxsize=1)
def _changes() -> pd.DataFrame:
    df = pd.read_csv(_FILE, dtype=str, encoding="utf-8", keep_default_na=False)
    return df


def changes() -> pd.DataFrame:
    """The bundled table of boundary changes since 2020 (one row per former municipality
    and receiving municipality): ``gm_code_2020, name_2020, gm_code, name, valid_from,
    relation, note``."""
    return _changes().copy()


def _as_of(as_of: str | _dt.date | int | None) -> str:
    if as_of is None:
        return LATEST
    if isinstance(as_of, bool):
        raise ParameterError(f"as_of must be a date (YYYY-MM-DD) or a year, got {as_of!r}.")
    if isinstance(as_of, int):
        if not 2020 <= as_of <= 2100:
            raise ParameterError(f"as_of must be a year from 2020 on, got {as_of!r}.")
        # the state on 31 December of that year (Weesp is in Amsterdam in 2022)
        return f"{as_of}-12-31"
    if isinstance(as_of, _dt.date):
        text = as_of.isoformat()[:10]
    elif isinstance(as_of, str):
        text = as_of
    else:
        raise ParameterError(f"as_of must be a date (YYYY-MM-DD) or a year, got {as_of!r}.")
    try:
        day = _dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"as_of must be a date written YYYY-MM-DD, got {as_of!r}.") from None
    if day < _dt.date(2020, 1, 1):
        raise ParameterError(f"as_of must be 2020-01-01 or later (the 2020 boundaries), got {as_of!r}.")
    return day.isoformat()


@lru_cache(maxsize=1)
def _units_2020() -> pd.DataFrame:
    """The 355 municipalities of 2020 with names, safety region and inhabitants."""
    from evalkit.data.datasets import load

    pop = load("population_2020")
    hm = load("health_monitor")
    names = hm.drop_duplicates("region_code").set_index("region_code")["region_name"]
    out = pop[["gm_code", "safety_region", "safety_region_name", "inhabitants_2020"]].copy()
    out["name_2020"] = out["gm_code"].map(names)
    out["safety_region_name"] = out["safety_region_name"].replace(_VR_NAME_FIX)
    return out.rename(columns={"gm_code": "gm_code_2020"}).sort_values("gm_code_2020").reset_index(drop=True)


@lru_cache(maxsize=16)
def _mapping(day: str) -> pd.DataFrame:
    units = _units_2020()
    ch = _changes()
    ch = ch[ch["valid_from"] <= day]
    rows = []
    moved = set(ch["gm_code_2020"])
    for u in units.itertuples(index=False):
        if u.gm_code_2020 in moved:
            for c in ch[ch["gm_code_2020"] == u.gm_code_2020].itertuples(index=False):
                rows.append((c.gm_code, c.gm_code_2020, c.name_2020, c.relation, c.valid_from, c.note))
        else:
            rows.append((u.gm_code_2020, u.gm_code_2020, u.name_2020, "same", BOUNDARIES_2020, ""))
    df = pd.DataFrame(
        rows, columns=["gm_code", "gm_code_2020", "name_2020", "relation", "valid_from", "note"]
    )
    # names: the 2022 list (with its disambiguations such as "Beek (L.)"), new names from
    # the change table, else the 2020 name
    from evalkit.data.codebook import municipalities as list_2022

    names = dict(zip(units["gm_code_2020"], units["name_2020"]))
    names.update(dict(zip(list_2022()["gm_code"], list_2022()["name"])))
    names.update(dict(zip(ch["gm_code"], ch["name"])))
    df.insert(1, "name", df["gm_code"].map(names))
    vr = dict(zip(units["gm_code_2020"], units["safety_region"]))
    # a new code lies in the safety region of its former municipalities (all agree)
    df["safety_region"] = df["gm_code_2020"].map(vr)
    order = {r: i for i, r in enumerate(RELATIONS)}
    df["_o"] = df["relation"].map(order)
    df = df.sort_values(["gm_code", "_o", "gm_code_2020"], kind="stable").drop(columns="_o")
    first_vr = df.groupby("gm_code")["safety_region"].transform("first")
    df["safety_region"] = first_vr
    return df.reset_index(drop=True)


def mapping(as_of: str | _dt.date | int | None = None) -> pd.DataFrame:
    """Every municipality at ``as_of`` with its former municipalities of 2020.

    Parameters
    ----------
    as_of : str (YYYY-MM-DD), date or int (year), optional
        The boundaries to map to; a year means 31 December of that year. Default: the
        latest boundaries (2023-01-01, unchanged in 2024 and 2025).

    Returns
    -------
    DataFrame
        One row per (municipality, former municipality): ``gm_code, name,
        gm_code_2020, name_2020, relation`` (``same`` / ``merged`` / ``part``),
        ``valid_from``, ``note``, ``safety_region``. Every 2020 municipality appears at least
        once; Haaren (GM0788) appears four times after 2021 (``part``).

    Examples
    --------
    >>> from evalkit.data import boundaries
    >>> m = boundaries.mapping("2022-01-01")
    >>> m["gm_code"].nunique()
    345
    """
    return _mapping(_as_of(as_of)).copy()


def municipalities_at(as_of: str | _dt.date | int | None = None) -> pd.DataFrame:
    """The municipalities at ``as_of``: ``gm_code, name, safety_region`` (sorted by code)."""
    m = _mapping(_as_of(as_of))
    return m.drop_duplicates("gm_code")[["gm_code", "name", "safety_region"]].reset_index(drop=True)


@lru_cache(maxsize=16)
def _codes_at(day: str) -> frozenset[str]:
    return frozenset(_mapping(day)["gm_code"].tolist())


def _existing_dates(code: str) -> list[str]:
    return [d for d in (BOUNDARIES_2020, *DATES) if code in _codes_at(d)]


def _check_code(code: object) -> str:
    if not isinstance(code, str) or len(code) != 6 or not code.startswith("GM") or not code[2:].isdigit():
        raise ParameterError(
            f"code must be a CBS municipality code written as text, GM and four digits "
            f"(e.g. 'GM0363'), got {code!r}."
        )
    if not _existing_dates(code):
        raise ParameterError(f"code {code!r} is not a municipality of 2020 or later.")
    return code


def predecessors(code: str, as_of: str | _dt.date | int | None = None) -> pd.DataFrame:
    """The former municipalities of 2020 that form municipality ``code``.

    Parameters
    ----------
    code : str
        CBS code of a municipality that existed at some date from 2020 on (``"GM1979"``,
        ``"GM0363"``, also a former one such as ``"GM0457"`` Weesp).
    as_of : optional
        Boundaries to use. Default: the latest boundaries in which ``code`` exists (Amsterdam
        with Weesp; Weesp on its own as it was until 23 March 2022).

    Returns
    -------
    DataFrame
        ``gm_code_2020, name_2020, relation, valid_from, note`` (the municipality itself
        first when it existed in 2020).

    Raises
    ------
    ParameterError
        An unknown code, or a code that does not exist at ``as_of``.
    """
    code = _check_code(code)
    if as_of is None:
        day = _existing_dates(code)[-1]
    else:
        day = _as_of(as_of)
    m = _mapping(day)
    part = m[m["gm_code"] == code]
    if part.empty:
        raise ParameterError(f"code {code!r} does not exist at {day}; see boundaries.current_code().")
    return part[["gm_code_2020", "name_2020", "relation", "valid_from", "note"]].reset_index(drop=True)


def successors(code_2020: str, as_of: str | _dt.date | int | None = None) -> pd.DataFrame:
    """The municipalities at ``as_of`` that hold (part of) the territory of ``code_2020``:
    ``gm_code, name, relation, valid_from, note``."""
    if not isinstance(code_2020, str) or code_2020 not in set(_units_2020()["gm_code_2020"]):
        raise ParameterError(
            f"code_2020 must be a municipality code of 2020 (e.g. 'GM0003'), got {code_2020!r}."
        )
    m = _mapping(_as_of(as_of))
    part = m[m["gm_code_2020"] == code_2020]
    return part[["gm_code", "name", "relation", "valid_from", "note"]].reset_index(drop=True)


def current_code(code: str, as_of: str | _dt.date | int | None = None) -> tuple[str, str, str] | None:
    """Where a municipality of 2020 or later went as a whole: ``(gm_code, name, valid_from)``
    at ``as_of``, or ``None`` when ``code`` still exists then (or was split, as Haaren)."""
    code = _check_code(code)
    day = _as_of(as_of)
    m = _mapping(day)
    if code in _codes_at(day):
        return None
    whole = m[(m["gm_code_2020"] == code) & (m["relation"] == "merged")]
    if whole.empty:
        # a code created after 2020 that merged again would need a chain; none exists (2025)
        return None
    r = whole.iloc[0]
    return str(r["gm_code"]), str(r["name"]), str(r["valid_from"])


def safety_region_names() -> dict[str, str]:
    """Safety-region code -> readable name (from the population file, spaces restored)."""
    u = _units_2020()
    return dict(zip(u["safety_region"], u["safety_region_name"]))
