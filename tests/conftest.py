"""Shared fixtures: the storage fixtures (SQLite and PostgreSQL) from store_fixtures."""
from store_fixtures import db_url, store  # noqa: F401 (fixtures for tests/test_store*.py)
