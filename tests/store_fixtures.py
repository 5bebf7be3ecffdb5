"""Helpers for the storage tests: the same tests on SQLite and on PostgreSQL (the fixtures
``db_url`` and ``store`` are in conftest.py).

PostgreSQL needs a server: ``EVALKIT_TEST_POSTGRES_URL`` (``.ci/run`` starts one with
``.ci/pg_test_server``; locally ``eval "$(.ci/pg_test_server start)"``). Without it the
PostgreSQL cases are skipped with that reason, except under CI, where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from evalkit.store import generate_key
from evalkit.store.config import normalise_url
from evalkit.store.engine import make_engine

PG_ENV = "EVALKIT_TEST_POSTGRES_URL"
KEY = generate_key()
# cheap Argon2id parameters keep the tests fast; production uses argon2-cffi's defaults
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set under CI; .ci/run must start PostgreSQL")
        pytest.skip(
            f'no PostgreSQL server: set {PG_ENV} (eval "$(.ci/pg_test_server '
            'start)") to run the PostgreSQL cases'
        )
    return url


def reset_postgres(url: str) -> None:
    """Drop every table, so each test starts from an empty database."""
    engine = make_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url = postgres_url()
    reset_postgres(url)
    return url
