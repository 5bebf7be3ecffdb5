"""The results registry: the programme's memory across coalitions and years.

Every audited report (from the portal or the batch) records its disclosure-controlled key
results here: coalition (municipality code and name), intervention, year, n, and each
estimate with its interval, in the shared ``tidy()`` columns. Never a participant row;
a result resting on fewer than ``min_cell`` people is refused.

The committee reads it as one DataFrame::

    import evalkit
    df = evalkit.registry.load()                      # the default database
    df = evalkit.registry.load("postgresql://host/evalkit")

and can pool a term over coalitions and years with :func:`evalkit.meta.random_effects`.
Reading and recording need no encryption key (the registry holds no uploaded files).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from evalkit.core.errors import ParameterError
from evalkit.store.config import resolve_url
from evalkit.store.engine import make_engine
from evalkit.store.migrate import upgrade
from evalkit.store.models import RegistryEntry, Report
from evalkit.store.store import Store, check_gm_code

__all__ = [
    "connect",
    "record",
    "record_key_numbers",
    "key_number_rows",
    "evaluation_year",
    "evaluation_context",
    "ALL_INTERVENTIONS",
    "load",
    "COLUMNS",
    "RESULT_COLUMNS",
    "KEY_TERMS",
]

RESULT_COLUMNS = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
COLUMNS = [
    "gm_code",
    "coalition",
    "intervention",
    "year",
    *RESULT_COLUMNS,
    "source",
    "report_id",
    "recorded_at",
]
_MIN_CELL = 10
_SOURCES = ("portal", "batch")


def _engine(target: str | Store | Engine | None) -> tuple[Engine, bool]:
    """(engine, whether we made it and must dispose of it)."""
    if isinstance(target, Store):
        return target.engine, False
    if isinstance(target, Engine):
        return target, False
    if target is not None and not isinstance(target, str):
        raise ParameterError(f"url must be a database URL, a Store or None, not {type(target).__name__}.")
    url, _ = resolve_url(target)
    return make_engine(url), True


def connect(url: str | None = None) -> Engine:
    """An engine on the registry's database, migrated to the newest schema (for many
    records in a row, e.g. a batch: pass it as ``url``; ``engine.dispose()`` at the end).
    """
    engine, _ = _engine(url)
    upgrade(engine)
    return engine


def _number(value: Any, name: str, term: str) -> float | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} of term {term!r} must be a number, got {value!r}.")
    x = float(value)
    if math.isnan(x):
        return None
    if math.isinf(x):
        raise ParameterError(f"{name} of term {term!r} is infinite.")
    return x


def _rows(results: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(results, pd.DataFrame):
        missing = [c for c in ("term", "estimate", "n") if c not in results.columns]
        if missing:
            raise ParameterError(
                f"results lack the column(s) {', '.join(missing)}; give tidy() rows with "
                f"{', '.join(RESULT_COLUMNS)}."
            )
        return [dict(r) for r in results.to_dict(orient="records")]
    if isinstance(results, (str, bytes)) or not isinstance(results, Iterable):
        raise ParameterError(
            f"results must be a DataFrame or a list of dicts with the columns {', '.join(RESULT_COLUMNS)}."
        )
    out = []
    for r in results:
        if not isinstance(r, Mapping):
            raise ParameterError(f"each result must be a dict, got {type(r).__name__}.")
        out.append(dict(r))
    return out


def record(
    results: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    gm_code: str,
    intervention: str,
    year: int,
    coalition: str | None = None,
    source: str = "batch",
    report_id: str | None = None,
    url: str | Store | Engine | None = None,
    min_cell: int = _MIN_CELL,
    now: dt.datetime | None = None,
) -> int:
    """Store the key results of one audited report; returns the number of rows stored.

    Parameters
    ----------
    results : DataFrame or list of dicts
        Disclosure-controlled key results in ``tidy()`` columns: ``term``, ``estimate``,
        ``std_error``, ``ci_lower``, ``ci_upper``, ``p_value`` (may be missing) and ``n``
        (the people the estimate rests on). Only numbers the audited page shows.
    gm_code, intervention, year, coalition
        Which coalition (``GM0363`` as a string), which intervention, which year.
    source : {"batch", "portal"}
    report_id : str, optional
        The stored report (portal) these results come from.
    url : str, Store or Engine, optional
        Where to record (default: as :class:`~evalkit.store.Store`).
    min_cell : int
        Refuse any row with ``n`` below this (default 10, may only be raised).

    A newer record for the same coalition, intervention, year and term supersedes older
    ones in :func:`load` (older ones stay, with ``latest=False``).
    """
    check_gm_code(gm_code)
    if not isinstance(intervention, str) or not intervention.strip():
        raise ParameterError(f"intervention={intervention!r} must be a non-empty string.")
    if len(intervention.strip()) > 200:
        raise ParameterError(
            f"intervention has {len(intervention.strip())} characters; at most 200 (one "
            "intervention per record, e.g. 'Maatjesproject Eindhoven')."
        )
    if coalition is not None and (not isinstance(coalition, str) or len(coalition) > 200):
        raise ParameterError(f"coalition={coalition!r} must be a name of at most 200 characters.")
    if isinstance(year, bool) or not isinstance(year, numbers.Integral) or not 1990 <= int(year) <= 2100:
        raise ParameterError(f"year={year!r} must be a whole year such as 2024.")
    if source not in _SOURCES:
        raise ParameterError(f"source={source!r} is not allowed; use 'batch' or 'portal'.")
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < _MIN_CELL:
        raise ParameterError(f"min_cell={min_cell!r} must be a whole number >= {_MIN_CELL}.")
    when = now or dt.datetime.now(dt.UTC)
    entries = []
    seen: set[str] = set()
    for r in _rows(results):
        term = r.get("term")
        if not isinstance(term, str) or not term:
            raise ParameterError(f"every result needs a term (a name), got {term!r}.")
        if len(term) > 100:
            raise ParameterError(f"term {term[:40]!r}... is longer than 100 characters.")
        if term in seen:
            raise ParameterError(f"term {term!r} appears twice in results.")
        seen.add(term)
        n = r.get("n")
        if (
            isinstance(n, bool)
            or not isinstance(n, numbers.Real)
            or math.isnan(float(n))
            or float(n) != int(n)
        ):
            raise ParameterError(f"n of term {term!r} must be a whole number, got {n!r}.")
        if int(n) < min_cell:
            raise ParameterError(
                f"term {term!r} rests on n={int(n)} people, fewer than min_cell={min_cell}; "
                "the registry keeps only disclosure-controlled results."
            )
        values = {
            c: _number(r.get(c), c, term)
            for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")
        }
        entries.append(
            RegistryEntry(
                gm_code=gm_code,
                coalition=coalition,
                intervention=intervention.strip(),
                year=int(year),
                term=term,
                n=int(n),
                source=source,
                report_id=report_id,
                recorded_at=when,
                **values,
            )
        )
    engine, own = _engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            from sqlalchemy.orm import Session

            with Session(bind=conn) as s:
                if report_id is not None and s.get(Report, report_id) is None:
                    raise ParameterError(f"report_id={report_id!r} is not a stored report.")
                s.add_all(entries)
                s.flush()
    finally:
        if own:
            engine.dispose()
    return len(entries)


#: Key numbers of a coalition report recorded as registry terms (the id on the page).
#: ``mean_diff`` carries the page's standard error and interval; all rest on the pairs.
KEY_TERMS = ("mean_diff", "mean_pre", "mean_post", "sd_diff", "share_pre", "share_post")


def key_number_rows(key: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Registry rows from a report's disclosed key numbers.

    ``key`` is what the report pipeline returns beside an audited page
    (``evalkit.reports.coalition.key_numbers``): ``{"quantities": {id: {"value",
    "group_n", ...}}, "ci_lower": ..., "suppressed": ...}``, holding only numbers the page
    shows. Suppressed or missing numbers give no row; a suppressed page gives none.
    """
    if not isinstance(key, Mapping):
        raise ParameterError(f"key must be the report's key numbers (a dict), not {type(key).__name__}.")
    quantities = key.get("quantities") or {}
    if key.get("suppressed") or not isinstance(quantities, Mapping):
        return []

    def shown(qid: str) -> float | None:
        q = quantities.get(qid)
        return None if not isinstance(q, Mapping) else q.get("value")

    rows = []
    for term in KEY_TERMS:
        q = quantities.get(term)
        if not isinstance(q, Mapping) or q.get("value") is None or q.get("group_n") is None:
            continue
        row: dict[str, Any] = {
            "term": term,
            "estimate": q["value"],
            "std_error": None,
            "ci_lower": None,
            "ci_upper": None,
            "p_value": None,
            "n": q["group_n"],
        }
        if term == "mean_diff":
            row.update(std_error=shown("std_error"), ci_lower=shown("ci_lower"), ci_upper=shown("ci_upper"))
        rows.append(row)
    return rows


def record_key_numbers(
    key: Mapping[str, Any],
    *,
    gm_code: str,
    intervention: str,
    year: int,
    coalition: str | None = None,
    source: str = "batch",
    report_id: str | None = None,
    url: str | Store | Engine | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record an audited report's key numbers (see :func:`key_number_rows`); call it
    after the page passed the disclosure audit. Returns the rows recorded (0 for a
    suppressed page). ``min_cell`` is the page's own (``key["min_cell"]``, at least 10)."""
    rows = key_number_rows(key)
    if not rows:
        return 0
    min_cell = key.get("min_cell") or _MIN_CELL
    return record(
        rows,
        gm_code=gm_code,
        intervention=intervention,
        year=year,
        coalition=coalition or key.get("coalition_name"),
        source=source,
        report_id=report_id,
        url=url,
        min_cell=max(int(min_cell), _MIN_CELL),
        now=now,
    )


def evaluation_year(
    data: pd.DataFrame, *, date: str = "date", wave: str = "wave", post: str = "post"
) -> int | None:
    """The year an evaluation belongs to: the year of the median post-test date (all
    dates if there is no post-test); None without usable dates."""
    if not isinstance(data, pd.DataFrame) or date not in data.columns:
        return None
    dates = pd.to_datetime(data[date], errors="coerce", dayfirst=False)
    if wave in data.columns:
        # an empty wave cell (a file with an empty row, checked with strict=False) is not a post-test
        is_post = (data[wave].astype("string") == post).fillna(False).to_numpy(dtype=bool)
        if is_post.any():
            dates = dates[is_post]
    dates = dates.dropna()
    if dates.empty:
        return None
    return int(dates.sort_values().iloc[(len(dates) - 1) // 2].year)


#: The intervention label of a file that holds several interventions.
ALL_INTERVENTIONS = "alle interventies"


def evaluation_context(
    data: pd.DataFrame, *, intervention: str | None = None, date: str = "date", wave: str = "wave"
) -> dict[str, Any]:
    """What a registry record needs to know about the data behind a report: the
    ``intervention`` (the report's own choice, else the file's one intervention, else
    :data:`ALL_INTERVENTIONS`) and the ``year`` (:func:`evaluation_year`; None without
    dates). Call it where the data are read (the batch's worker, the portal's check)."""
    label = intervention.strip() if isinstance(intervention, str) else ""
    if not label and isinstance(data, pd.DataFrame) and "intervention" in data.columns:
        values = data["intervention"].dropna().astype(str).str.strip().unique()
        values = [v for v in values if v]
        label = values[0] if len(values) == 1 else ""
    return {
        "intervention": (label or ALL_INTERVENTIONS)[:200],
        "year": evaluation_year(data, date=date, wave=wave),
    }


def load(url: str | Store | Engine | None = None, *, latest: bool = True) -> pd.DataFrame:
    """The registry as a DataFrame, one row per coalition, intervention, year and term.

    With ``latest=True`` (default) only the newest record of each coalition, intervention,
    year and term; ``latest=False`` returns every record ever made. Columns: ``gm_code,
    coalition, intervention, year, term, estimate, std_error, ci_lower, ci_upper,
    p_value, n, source, report_id, recorded_at``.
    """
    engine, own = _engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                select(*(getattr(RegistryEntry, c) for c in COLUMNS)).order_by(
                    RegistryEntry.recorded_at, RegistryEntry.id
                )
            ).all()
    finally:
        if own:
            engine.dispose()
    df = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    df = df.astype({"year": "int64", "n": "int64"})
    for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["recorded_at"] = pd.to_datetime(df["recorded_at"], utc=True)
    if latest and len(df):
        keys = ["gm_code", "intervention", "year", "term"]
        newest = df.groupby(keys, sort=False)["recorded_at"].transform("max")
        df = df[df["recorded_at"] == newest]
    return df.sort_values(["year", "gm_code", "intervention", "term"], kind="stable").reset_index(drop=True)
