"""SQLAlchemy engines for SQLite (embedded) and PostgreSQL (hosted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

__all__ = ["make_engine"]

_MEMORY = ("sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://", "sqlite+pysqlite:///:memory:")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for a normalised URL (see :func:`evalkit.store.config.normalise_url`).

    SQLite: foreign keys on, ``secure_delete`` (deleted pages are zeroed), write-ahead
    log for concurrent readers, 30 s busy timeout; an in-memory URL shares one connection.
    PostgreSQL: psycopg 3 with pre-ping.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    memory = url in _MEMORY
    if not memory:
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 30},
        **({"poolclass": StaticPool} if memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    return engine
