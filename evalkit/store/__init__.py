"""Persistence of the web portal and the results registry (SQLAlchemy 2 + Alembic).

- :class:`Store`: accounts (Argon2 hashes, roles, municipality memberships), uploaded
  files encrypted at rest (AES-256-GCM), reports with their disclosure records, render
  jobs, the audit log, retention (:meth:`Store.purge_expired`).
- :mod:`evalkit.store.registry` (public as ``evalkit.registry``): every audited report's
  key results across coalitions and years.

SQLite is the embedded default, PostgreSQL the hosted database; see docs/portal_storage.md.
This layer imports only ``evalkit.core``, so reports, the web app and notebooks may use it.
"""

from __future__ import annotations

from evalkit.store.config import generate_key
from evalkit.store.store import (
    ALL,
    DEFAULT_RETENTION_DAYS,
    AllCodes,
    AuditInfo,
    BatchInfo,
    JobInfo,
    ReportInfo,
    Store,
    SubmissionInfo,
    UserInfo,
    check_gm_code,
)

__all__ = [
    "Store",
    "ALL",
    "AllCodes",
    "UserInfo",
    "SubmissionInfo",
    "ReportInfo",
    "JobInfo",
    "AuditInfo",
    "BatchInfo",
    "DEFAULT_RETENTION_DAYS",
    "check_gm_code",
    "generate_key",
]
