"""Tables of the portal's database (SQLAlchemy 2 typed ORM).

The schema itself is created and changed only by the Alembic migrations in
``evalkit/store/migrations/versions/``; a test checks that these models and the migrated
database agree. Times are stored as UTC and returned timezone-aware.

What is personal data and where it lives:

- ``submission_blob.ciphertext``: the uploaded file, AES-GCM encrypted; deleted on purge.
- ``submission.feedback``: validation messages, which quote cell values; encrypted like
  the file and cleared on purge.
- Everything else holds accounts, metadata, audited (disclosure-controlled) report pages
  and the registry's aggregates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base",
    "User",
    "Membership",
    "Submission",
    "SubmissionBlob",
    "Report",
    "RenderJob",
    "AuditEntry",
    "RegistryEntry",
    "LoginFailure",
    "BatchRun",
    "ROLES",
    "SUBMISSION_STATUSES",
    "JOB_STATUSES",
]

ROLES = ("coalition", "programme", "committee", "admin")
SUBMISSION_STATUSES = ("received", "invalid", "valid", "deleted")
JOB_STATUSES = ("queued", "running", "done", "failed")

# Stable constraint names, so migrations can refer to them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC time")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.gm_code"
    )


class Membership(Base):
    """A user may act for these municipalities (CBS codes such as ``GM0363``, strings)."""

    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    gm_code: Mapped[str] = mapped_column(String(6), primary_key=True)

    user: Mapped[User] = relationship(back_populates="memberships")


class Submission(Base):
    """One uploaded file: metadata here, the encrypted bytes in SubmissionBlob.

    ``feedback`` is the validation feedback as encrypted JSON (12-byte nonce, then
    AES-GCM ciphertext), since it quotes cell values.
    """

    __tablename__ = "submission"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    gm_code: Mapped[str] = mapped_column(String(6), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(150))
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    feedback: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_reason: Mapped[str | None] = mapped_column(String(40))

    blob: Mapped[SubmissionBlob | None] = relationship(
        back_populates="submission", cascade="all, delete-orphan", uselist=False, lazy="raise"
    )


class SubmissionBlob(Base):
    """The uploaded file, encrypted with AES-256-GCM (nonce + ciphertext + tag)."""

    __tablename__ = "submission_blob"

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)

    submission: Mapped[Submission] = relationship(back_populates="blob")


class Report(Base):
    """An audited report page (HTML) with its disclosure record (JSON)."""

    __tablename__ = "report"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    gm_code: Mapped[str] = mapped_column(String(6), index=True)
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submission.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(300))
    lang: Mapped[str] = mapped_column(String(5))
    html: Mapped[str] = mapped_column(Text)
    disclosure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class RenderJob(Base):
    """A report rendering: queued -> running -> done | failed (with a message)."""

    __tablename__ = "render_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    gm_code: Mapped[str] = mapped_column(String(6), index=True)
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submission.id", ondelete="SET NULL"), index=True
    )
    report_id: Mapped[str | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what to which object, when (append-only)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    gm_code: Mapped[str | None] = mapped_column(String(6), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class RegistryEntry(Base):
    """One disclosure-controlled key result of one audited report.

    The registry is the programme's memory across years: coalition, intervention, year,
    n and estimate with its interval, never a participant row.
    """

    __tablename__ = "registry_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gm_code: Mapped[str] = mapped_column(String(6), index=True)
    coalition: Mapped[str | None] = mapped_column(String(200))
    intervention: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    term: Mapped[str] = mapped_column(String(100))
    estimate: Mapped[float | None] = mapped_column(Float)
    std_error: Mapped[float | None] = mapped_column(Float)
    ci_lower: Mapped[float | None] = mapped_column(Float)
    ci_upper: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    report_id: Mapped[str | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_registry_entry_key", "gm_code", "intervention", "year", "term"),)


class LoginFailure(Base):
    """A failed login, kept only for the throttle's window (shared by every server process).

    ``key`` is a SHA-256 of ``user:<name>`` or ``addr:<client address>``: the table holds
    no user names or addresses in clear.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class BatchRun(Base):
    """The programme team's batch over every coalition's latest valid file: its status,
    the overview page (``index.html`` of ``evalkit batch``) and the reports it made."""

    __tablename__ = "batch_run"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str | None] = mapped_column(String(150))
    status: Mapped[str] = mapped_column(String(20), index=True)
    n_coalitions: Mapped[int] = mapped_column(Integer)
    n_ok: Mapped[int | None] = mapped_column(Integer)
    n_failed: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    index_html: Mapped[str | None] = mapped_column(Text)
    index_disclosure: Mapped[str | None] = mapped_column(Text)
    reports: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
