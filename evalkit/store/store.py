"""The portal's persistence: accounts, encrypted uploads, reports, jobs, audit log.

One :class:`Store` per process (it holds a connection pool); its methods are thread-safe
and each runs in its own transaction. Authorisation decisions belong to the web layer,
but every method that returns coalition data takes the municipality codes the caller may
see (``gm_codes=``): a collection of codes, or :data:`ALL` for the programme team and
background jobs. There is no default, so nothing lists every coalition by accident.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import threading
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker

from evalkit.core.errors import NotFoundError, ParameterError, StoreError
from evalkit.core.i18n import LANGS
from evalkit.store import config
from evalkit.store.engine import make_engine
from evalkit.store.models import (
    JOB_STATUSES,
    ROLES,
    AuditEntry,
    BatchRun,
    LoginFailure,
    Membership,
    RenderJob,
    Report,
    Submission,
    SubmissionBlob,
    User,
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
    "SERVER_PASSWORD_HASHER",
    "check_gm_code",
]

DEFAULT_RETENTION_DAYS: Final = 90
_GM = re.compile(r"^GM\d{4}$")
_SUBMISSION_KINDS = ("xlsx", "csv", "sav")
_FEEDBACK_STATUSES = ("received", "invalid", "valid")
_REPORT_SOURCES = ("portal", "batch")


class AllCodes:
    """Every municipality (programme team, admin, background jobs)."""

    _instance: AllCodes | None = None

    def __new__(cls) -> AllCodes:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL"


ALL: Final = AllCodes()
Scope = Collection[str] | AllCodes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


def check_gm_code(code: object, name: str = "gm_code") -> str:
    """A CBS municipality code as a string, ``GM`` and four digits (``GM0363``)."""
    if not isinstance(code, str) or not _GM.match(code):
        raise ParameterError(
            f"{name}={code!r} is not a municipality code; use 'GM' and four digits as a "
            "string, e.g. 'GM0363'."
        )
    return code


def _scope(gm_codes: object) -> frozenset[str] | None:
    """None for ALL, else the set of codes (checked)."""
    if gm_codes is ALL:
        return None
    if gm_codes is None or isinstance(gm_codes, (str, bytes)) or not isinstance(gm_codes, Iterable):
        raise ParameterError(
            f"gm_codes={gm_codes!r}: give a collection of municipality codes "
            "(e.g. ['GM0363']) or evalkit.store.ALL."
        )
    return frozenset(check_gm_code(c, "gm_codes") for c in gm_codes)


def _aware(when: dt.datetime | None, name: str) -> dt.datetime:
    if when is None:
        return _now()
    if not isinstance(when, dt.datetime) or when.tzinfo is None:
        raise ParameterError(f"{name} must be a timezone-aware datetime, got {when!r}.")
    return when.astimezone(dt.UTC)


# ----------------------------------------------------------------- returned records
@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: str
    gm_codes: tuple[str, ...]
    display_name: str | None
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None

    @classmethod
    def of(cls, u: User) -> UserInfo:
        return cls(
            u.id,
            u.username,
            u.role,
            tuple(m.gm_code for m in u.memberships),
            u.display_name,
            u.active,
            u.created_at,
            u.last_login_at,
        )


@dataclass(frozen=True)
class SubmissionInfo:
    id: str
    gm_code: str
    username: str | None
    original_name: str
    kind: str | None
    size: int
    sha256: str
    status: str
    feedback: Any
    created_at: dt.datetime
    expires_at: dt.datetime
    deleted_at: dt.datetime | None
    deleted_reason: str | None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @classmethod
    def of(cls, s: Submission, feedback: Any = None) -> SubmissionInfo:
        return cls(
            s.id,
            s.gm_code,
            s.username,
            s.original_name,
            s.kind,
            s.size,
            s.sha256,
            s.status,
            feedback,
            s.created_at,
            s.expires_at,
            s.deleted_at,
            s.deleted_reason,
        )


@dataclass(frozen=True)
class ReportInfo:
    id: str
    gm_code: str
    submission_id: str | None
    source: str
    title: str | None
    lang: str
    created_at: dt.datetime
    html: str | None = None
    disclosure: Any = None

    @classmethod
    def of(cls, r: Report, *, full: bool) -> ReportInfo:
        return cls(
            r.id,
            r.gm_code,
            r.submission_id,
            r.source,
            r.title,
            r.lang,
            r.created_at,
            r.html if full else None,
            json.loads(r.disclosure) if full and r.disclosure is not None else None,
        )


@dataclass(frozen=True)
class JobInfo:
    id: str
    gm_code: str
    submission_id: str | None
    report_id: str | None
    status: str
    message: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, j: RenderJob) -> JobInfo:
        return cls(
            j.id, j.gm_code, j.submission_id, j.report_id, j.status, j.message, j.created_at, j.updated_at
        )


@dataclass(frozen=True)
class AuditInfo:
    id: int
    at: dt.datetime
    username: str | None
    action: str
    object_type: str | None
    object_id: str | None
    gm_code: str | None
    detail: str | None

    @classmethod
    def of(cls, a: AuditEntry) -> AuditInfo:
        return cls(a.id, a.at, a.username, a.action, a.object_type, a.object_id, a.gm_code, a.detail)


@dataclass(frozen=True)
class BatchInfo:
    id: str
    username: str | None
    status: str
    n_coalitions: int
    n_ok: int | None
    n_failed: int | None
    message: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    reports: dict[str, str]
    index_html: str | None = None
    index_disclosure: Any = None

    @classmethod
    def of(cls, b: BatchRun, *, full: bool) -> BatchInfo:
        return cls(
            b.id,
            b.username,
            b.status,
            b.n_coalitions,
            b.n_ok,
            b.n_failed,
            b.message,
            b.created_at,
            b.updated_at,
            json.loads(b.reports) if b.reports else {},
            b.index_html if full else None,
            json.loads(b.index_disclosure) if full and b.index_disclosure else None,
        )


UserRef = UserInfo | str | None

#: Argon2id for a server: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). About
#: 35 ms of one core per login on the development machine (argon2-cffi's default, the RFC
#: 9106 low-memory profile: 64 MiB, 3 passes, 4 lanes, costs about 220 ms of CPU and 64 MiB
#: per login, which 50 coalitions logging in within a minute on 2 cores cannot afford).
#: Guessing is limited by the login throttle, not by the hash alone.
SERVER_PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


# ---------------------------------------------------------------------- the store
class Store:
    """The portal's database.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL: ``sqlite:///path.sqlite3`` (embedded) or
        ``postgresql://user:password@host/db`` (hosted, psycopg 3). Default: the
        environment variable ``EVALKIT_DATABASE_URL``, else a SQLite file in the user's
        data folder.
    key : bytes or str, optional
        256-bit key for the uploads (raw 32 bytes or URL-safe base64). Default: see
        :mod:`evalkit.store.config` (environment variable or key file, never the repo).
    retention_days : int
        Days an uploaded file is kept before :meth:`purge_expired` deletes it (default 90).
    password_hasher : argon2.PasswordHasher, optional
        Argon2id parameters (default :data:`SERVER_PASSWORD_HASHER`: 19 MiB, 2 passes,
        1 lane, OWASP's recommendation; hashes with other parameters are replaced at the
        next successful login).

    Call :meth:`upgrade` once at start to create or migrate the schema.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        key: bytes | str | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        password_hasher: PasswordHasher | None = None,
        echo: bool = False,
    ) -> None:
        self.url, embedded_default = config.resolve_url(url)
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
            raise ParameterError(f"retention_days={retention_days!r} must be a whole number of days >= 1.")
        self.retention_days = retention_days
        self._key = config.load_key(key, embedded_default=embedded_default)
        self._key_id = hashlib.sha256(b"evalkit-store-key:" + self._key).hexdigest()[:16]
        self._aead = AESGCM(self._key)
        self._hasher = password_hasher or SERVER_PASSWORD_HASHER
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()
        self.engine = make_engine(self.url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # ---- plumbing
    @property
    def dialect(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as s:
            yield s

    def upgrade(self) -> None:
        """Create or migrate the schema to the newest Alembic revision."""
        from evalkit.store.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---- users
    def _user_row(self, s: Session, user: UserRef) -> User | None:
        if user is None:
            return None
        name = user.username if isinstance(user, UserInfo) else user
        return s.scalar(select(User).where(User.username == name).options(selectinload(User.memberships)))

    def add_user(
        self,
        username: str,
        password: str,
        *,
        role: str,
        gm_codes: Iterable[str] = (),
        display_name: str | None = None,
    ) -> UserInfo:
        """Create an account; coalition users need at least one municipality code."""
        username = self._check_username(username)
        self._check_password(password)
        if role not in ROLES:
            raise ParameterError(
                f"role={role!r} is not allowed; use one of: " + ", ".join(repr(r) for r in ROLES) + "."
            )
        codes = sorted({check_gm_code(c, "gm_codes") for c in gm_codes})
        if display_name is not None and (not isinstance(display_name, str) or len(display_name) > 200):
            raise ParameterError("display_name must be text of at most 200 characters.")
        if role == "coalition" and not codes:
            raise ParameterError("a coalition user needs gm_codes (e.g. ['GM0363']).")
        if role != "coalition" and codes:
            raise ParameterError(f"gm_codes are only for coalition users, not role={role!r}.")
        pw_hash = self._hasher.hash(password)
        with self.session() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise StoreError(f"user {username!r} exists already.")
            u = User(
                username=username,
                password_hash=pw_hash,
                role=role,
                display_name=display_name,
                active=True,
                created_at=_now(),
            )
            u.memberships = [Membership(gm_code=c) for c in codes]
            s.add(u)
            s.flush()
            return UserInfo.of(u)

    @staticmethod
    def _name_of(user: UserRef) -> str | None:
        """The name to record for a user without an account (e.g. local mode's "local")."""
        if isinstance(user, UserInfo):
            return user.username[:150]
        return None if user is None else str(user)[:150]

    def get_user(self, username: str) -> UserInfo | None:
        with self.session() as s:
            u = self._user_row(s, username)
            return UserInfo.of(u) if u is not None else None

    def list_users(self) -> list[UserInfo]:
        with self.session() as s:
            rows = s.scalars(select(User).options(selectinload(User.memberships)).order_by(User.username))
            return [UserInfo.of(u) for u in rows]

    def remove_user(self, username: str) -> bool:
        """Delete an account (its uploads and reports stay with the municipality)."""
        with self.session() as s:
            u = self._user_row(s, username)
            if u is None:
                return False
            s.delete(u)
            return True

    def set_password(self, username: str, password: str) -> None:
        self._check_password(password)
        pw_hash = self._hasher.hash(password)
        with self.session() as s:
            u = self._user_row(s, username)
            if u is None:
                raise NotFoundError(f"no user {username!r}.")
            u.password_hash = pw_hash

    def set_gm_codes(self, username: str, gm_codes: Iterable[str]) -> UserInfo:
        """Replace a coalition user's municipality codes."""
        codes = sorted({check_gm_code(c, "gm_codes") for c in gm_codes})
        with self.session() as s:
            u = self._user_row(s, username)
            if u is None:
                raise NotFoundError(f"no user {username!r}.")
            if u.role != "coalition" and codes:
                raise ParameterError(f"gm_codes are only for coalition users, not {u.role!r}.")
            if u.role == "coalition" and not codes:
                raise ParameterError("a coalition user needs gm_codes (e.g. ['GM0363']).")
            u.memberships = [Membership(gm_code=c) for c in codes]
            s.flush()
            return UserInfo.of(u)

    def set_active(self, username: str, active: bool) -> None:
        with self.session() as s:
            u = self._user_row(s, username)
            if u is None:
                raise NotFoundError(f"no user {username!r}.")
            u.active = bool(active)

    def verify_password(self, username: str, password: str) -> UserInfo | None:
        """The user if the password is right and the account active, else None.

        Unknown names cost as much time as wrong passwords (a dummy hash is checked), and
        a hash made with older Argon2 parameters is replaced on a successful login.
        Throttling repeated attempts is the web layer's job.
        """
        if not isinstance(username, str) or not isinstance(password, str):
            return None
        with self.session() as s:
            u = self._user_row(s, username)
            if u is None or not u.active:
                self._burn(password)
                return None
            try:
                self._hasher.verify(u.password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return None
            if self._hasher.check_needs_rehash(u.password_hash):
                u.password_hash = self._hasher.hash(password)
            u.last_login_at = _now()
            s.flush()
            return UserInfo.of(u)

    def _burn(self, password: str) -> None:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        try:
            self._hasher.verify(self._dummy_hash, password)
        except VerificationError:
            pass

    @staticmethod
    def _check_username(username: object) -> str:
        if not isinstance(username, str) or not re.fullmatch(r"[A-Za-z0-9._@-]{2,150}", username):
            raise ParameterError(f"username={username!r}: use 2-150 letters, digits or . _ @ - characters.")
        return username

    @staticmethod
    def _check_password(password: object) -> None:
        if not isinstance(password, str) or len(password) < 10:
            raise ParameterError("password must be a string of at least 10 characters.")

    # ---- submissions
    def save_submission(
        self,
        user: UserRef,
        gm_code: str,
        filename: str,
        content: bytes,
        *,
        kind: str | None = None,
        retention_days: int | None = None,
        now: dt.datetime | None = None,
    ) -> str:
        """Encrypt and store an uploaded file; returns its id.

        ``filename`` is kept only as metadata (never used as a path); ``kind`` is the
        type sniffed from the content by the caller (``xlsx``, ``csv`` or ``sav``).
        """
        check_gm_code(gm_code)
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise ParameterError(f"content must be bytes, not {type(content).__name__}.")
        if kind is not None and kind not in _SUBMISSION_KINDS:
            raise ParameterError(
                f"kind={kind!r} is not allowed; use one of: "
                + ", ".join(repr(k) for k in _SUBMISSION_KINDS)
                + "."
            )
        days = self.retention_days if retention_days is None else retention_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ParameterError(f"retention_days={days!r} must be a whole number >= 1.")
        content = bytes(content)
        name = str(filename or "").replace("\x00", "")[-255:] or "upload"
        created = _aware(now, "now")
        sid = _new_id()
        nonce = secrets.token_bytes(12)
        ciphertext = self._aead.encrypt(nonce, content, self._aad(sid))
        with self.session() as s:
            u = self._user_row(s, user)
            s.add(
                Submission(
                    id=sid,
                    gm_code=gm_code,
                    user_id=u.id if u else None,
                    username=u.username if u else self._name_of(user),
                    original_name=name,
                    kind=kind,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    status="received",
                    feedback=None,
                    created_at=created,
                    expires_at=created + dt.timedelta(days=days),
                )
            )
            s.flush()
            s.add(SubmissionBlob(submission_id=sid, key_id=self._key_id, nonce=nonce, ciphertext=ciphertext))
        return sid

    @staticmethod
    def _aad(sid: str, part: str = "file") -> bytes:
        # binds each ciphertext to its submission and part: blobs cannot be swapped
        return f"evalkit-submission:{sid}:{part}".encode()

    def _info(self, row: Submission) -> SubmissionInfo:
        feedback = None
        if row.feedback is not None:
            try:
                plain = self._aead.decrypt(
                    row.feedback[:12], row.feedback[12:], self._aad(row.id, "feedback")
                )
            except InvalidTag:
                raise StoreError(
                    f"the feedback of submission {row.id!r} fails its integrity check "
                    "(another encryption key?)."
                ) from None
            feedback = json.loads(plain.decode("utf-8"))
        return SubmissionInfo.of(row, feedback)

    def _submission(self, s: Session, sid: str, gm_codes: Scope) -> Submission:
        scope = _scope(gm_codes)
        row = s.get(Submission, sid) if isinstance(sid, str) else None
        if row is None or (scope is not None and row.gm_code not in scope):
            raise NotFoundError(f"no submission {sid!r} here.")
        return row

    def get_submission(self, sid: str, *, gm_codes: Scope) -> SubmissionInfo:
        """Metadata and validation feedback of one submission within ``gm_codes``."""
        with self.session() as s:
            return self._info(self._submission(s, sid, gm_codes))

    def read_submission(self, sid: str, *, gm_codes: Scope) -> bytes:
        """The decrypted file; NotFoundError if absent, out of scope or deleted."""
        with self.session() as s:
            row = self._submission(s, sid, gm_codes)
            blob = s.get(SubmissionBlob, sid)
            if blob is None:
                raise NotFoundError(f"the file of submission {sid!r} has been deleted.")
            if blob.key_id != self._key_id:
                raise StoreError(f"submission {sid!r} was encrypted with another key (id {blob.key_id}).")
            try:
                content = self._aead.decrypt(blob.nonce, blob.ciphertext, self._aad(sid))
            except InvalidTag:
                raise StoreError(f"submission {sid!r} fails its integrity check.") from None
            if hashlib.sha256(content).hexdigest() != row.sha256:
                raise StoreError(f"submission {sid!r} fails its checksum.")
            return content

    def set_validation(self, sid: str, status: str, feedback: Any = None) -> SubmissionInfo:
        """Record the validation outcome: status ``valid`` or ``invalid`` and the feedback
        (JSON-serialisable, e.g. the list of errors shown to the coalition)."""
        if status not in _FEEDBACK_STATUSES:
            raise ParameterError(
                f"status={status!r} is not allowed; use one of: "
                + ", ".join(repr(x) for x in _FEEDBACK_STATUSES)
                + "."
            )
        sealed = None
        if feedback is not None:
            plain = json.dumps(feedback, ensure_ascii=False, default=str).encode("utf-8")
            nonce = secrets.token_bytes(12)
            sealed = nonce + self._aead.encrypt(nonce, plain, self._aad(sid, "feedback"))
        with self.session() as s:
            row = self._submission(s, sid, ALL)
            if row.deleted_at is not None:
                raise NotFoundError(f"submission {sid!r} has been deleted.")
            row.status, row.feedback = status, sealed
            s.flush()
            return self._info(row)

    def list_submissions(
        self, gm_codes: Scope, *, include_deleted: bool = True, status: str | None = None
    ) -> list[SubmissionInfo]:
        """Submissions of these municipalities, newest first."""
        scope = _scope(gm_codes)
        q = select(Submission).order_by(Submission.created_at.desc(), Submission.id)
        if scope is not None:
            q = q.where(Submission.gm_code.in_(sorted(scope)))
        if not include_deleted:
            q = q.where(Submission.deleted_at.is_(None))
        if status is not None:
            q = q.where(Submission.status == status)
        with self.session() as s:
            return [self._info(r) for r in s.scalars(q)]

    def latest_valid_submissions(self, gm_codes: Scope) -> dict[str, SubmissionInfo]:
        """The newest valid, not deleted submission per municipality code."""
        out: dict[str, SubmissionInfo] = {}
        for sub in self.list_submissions(gm_codes, include_deleted=False, status="valid"):
            out.setdefault(sub.gm_code, sub)
        return out

    def delete_submission(
        self, sid: str, *, gm_codes: Scope, reason: str = "request", now: dt.datetime | None = None
    ) -> bool:
        """Delete the file and its validation feedback (a coalition's request or the
        retention period); metadata stays as a tombstone. False if already deleted."""
        when = _aware(now, "now")
        with self.session() as s:
            row = self._submission(s, sid, gm_codes)
            erased = self._erase(s, row, reason, when)
        if erased:
            self.compact()
        return erased

    @staticmethod
    def _erase(s: Session, row: Submission, reason: str, when: dt.datetime) -> bool:
        s.execute(delete(SubmissionBlob).where(SubmissionBlob.submission_id == row.id))
        if row.deleted_at is not None:
            return False
        row.feedback = None
        row.status = "deleted"
        row.deleted_at = when
        row.deleted_reason = str(reason)[:40]
        return True

    def purge_expired(self, now: dt.datetime | None = None, *, retention_days: int | None = None) -> int:
        """Delete every file past its retention date; returns how many were deleted.

        A file expires at the date set when it was uploaded (``retention_days`` of the
        store then); ``retention_days`` here also deletes every file older than that many
        days, so shortening the period applies to files already stored.

        On PostgreSQL the tables are rewritten afterwards (``VACUUM FULL``) and on SQLite
        deleted pages are zeroed (``secure_delete``) and the write-ahead log truncated, so
        the (encrypted) bytes do not linger in the database files.
        """
        when = _aware(now, "now")
        expired = Submission.expires_at <= when
        if retention_days is not None:
            if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
                raise ParameterError(f"retention_days={retention_days!r} must be a whole number >= 1.")
            expired = expired | (Submission.created_at <= when - dt.timedelta(days=retention_days))
        with self.session() as s:
            rows = list(s.scalars(select(Submission).where(expired, Submission.deleted_at.is_(None))))
            n = sum(self._erase(s, row, "retention", when) for row in rows)
        if n:
            self.compact()
        return n

    def compact(self) -> None:
        """Physically remove deleted rows (VACUUM on PostgreSQL, WAL checkpoint on SQLite)."""
        if self.dialect == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # FULL rewrites the tables into new files: no deleted row stays behind
                conn.execute(text("VACUUM FULL submission_blob"))
                conn.execute(text("VACUUM FULL submission"))
        elif self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    # ---- reports
    def save_report(
        self,
        gm_code: str,
        html: str,
        disclosure: Mapping[str, Any] | list[Any] | None = None,
        *,
        submission_id: str | None = None,
        user: UserRef = None,
        source: str = "portal",
        title: str | None = None,
        lang: str = "nl",
        now: dt.datetime | None = None,
    ) -> str:
        """Store an audited report page and its disclosure record; returns its id."""
        check_gm_code(gm_code)
        if not isinstance(html, str):
            raise ParameterError(f"html must be a string, not {type(html).__name__}.")
        if source not in _REPORT_SOURCES:
            raise ParameterError(f"source={source!r} is not allowed; use 'portal' or 'batch'.")
        if lang not in LANGS:
            raise ParameterError(f"lang={lang!r} is not allowed; use 'nl' or 'en'.")
        if title is not None:
            title = str(title)[:300]
        rid = _new_id()
        with self.session() as s:
            if submission_id is not None:
                sub = self._submission(s, submission_id, ALL)
                if sub.gm_code != gm_code:
                    raise ParameterError(
                        f"submission {submission_id!r} belongs to {sub.gm_code}, not {gm_code}."
                    )
            u = self._user_row(s, user)
            s.add(
                Report(
                    id=rid,
                    gm_code=gm_code,
                    submission_id=submission_id,
                    user_id=u.id if u else None,
                    source=source,
                    title=title,
                    lang=lang,
                    html=html,
                    disclosure=None
                    if disclosure is None
                    else json.dumps(disclosure, ensure_ascii=False, default=str),
                    created_at=_aware(now, "now"),
                )
            )
        return rid

    def get_report(self, rid: str, *, gm_codes: Scope) -> ReportInfo:
        """One report with its HTML and disclosure record, within ``gm_codes``."""
        scope = _scope(gm_codes)
        with self.session() as s:
            row = s.get(Report, rid) if isinstance(rid, str) else None
            if row is None or (scope is not None and row.gm_code not in scope):
                raise NotFoundError(f"no report {rid!r} here.")
            return ReportInfo.of(row, full=True)

    def list_reports(self, gm_codes: Scope, *, latest_only: bool = False) -> list[ReportInfo]:
        """Reports (without HTML) of these municipalities, newest first; with
        ``latest_only`` the newest per municipality."""
        scope = _scope(gm_codes)
        # the pages themselves (up to megabytes each) are not loaded for a listing
        q = (
            select(Report)
            .options(defer(Report.html), defer(Report.disclosure))
            .order_by(Report.created_at.desc(), Report.id)
        )
        if scope is not None:
            q = q.where(Report.gm_code.in_(sorted(scope)))
        with self.session() as s:
            out = [ReportInfo.of(r, full=False) for r in s.scalars(q)]
        if latest_only:
            newest: dict[str, ReportInfo] = {}
            for r in out:
                newest.setdefault(r.gm_code, r)
            out = list(newest.values())
        return out

    # ---- render jobs
    def create_job(self, gm_code: str, *, submission_id: str | None = None) -> str:
        check_gm_code(gm_code)
        jid, when = _new_id(), _now()
        with self.session() as s:
            if submission_id is not None:
                self._submission(s, submission_id, [gm_code])
            s.add(
                RenderJob(
                    id=jid,
                    gm_code=gm_code,
                    submission_id=submission_id,
                    status="queued",
                    created_at=when,
                    updated_at=when,
                )
            )
        return jid

    def update_job(
        self, jid: str, status: str, message: str | None = None, *, report_id: str | None = None
    ) -> JobInfo:
        if status not in JOB_STATUSES:
            raise ParameterError(
                f"status={status!r} is not allowed; use one of: "
                + ", ".join(repr(x) for x in JOB_STATUSES)
                + "."
            )
        with self.session() as s:
            row = s.get(RenderJob, jid)
            if row is None:
                raise NotFoundError(f"no render job {jid!r}.")
            row.status, row.message, row.updated_at = status, message, _now()
            if report_id is not None:
                row.report_id = report_id
            s.flush()
            return JobInfo.of(row)

    def get_job(self, jid: str, *, gm_codes: Scope) -> JobInfo:
        scope = _scope(gm_codes)
        with self.session() as s:
            row = s.get(RenderJob, jid) if isinstance(jid, str) else None
            if row is None or (scope is not None and row.gm_code not in scope):
                raise NotFoundError(f"no render job {jid!r} here.")
            return JobInfo.of(row)

    def list_jobs(self, gm_codes: Scope, *, status: str | None = None) -> list[JobInfo]:
        scope = _scope(gm_codes)
        q = select(RenderJob).order_by(RenderJob.created_at.desc(), RenderJob.id)
        if scope is not None:
            q = q.where(RenderJob.gm_code.in_(sorted(scope)))
        if status is not None:
            q = q.where(RenderJob.status == status)
        with self.session() as s:
            return [JobInfo.of(j) for j in s.scalars(q)]

    def fail_unfinished_jobs(self, message: str = "interrupted") -> int:
        """Mark queued/running jobs failed (call at start: a restart killed them)."""
        with self.session() as s:
            rows = list(s.scalars(select(RenderJob).where(RenderJob.status.in_(("queued", "running")))))
            for row in rows:
                row.status, row.message, row.updated_at = "failed", message, _now()
            return len(rows)

    # ---- login throttle (shared by every server process)
    @staticmethod
    def _throttle_key(key: str) -> str:
        return hashlib.sha256(b"evalkit-login:" + key.encode("utf-8")).hexdigest()

    def login_failures(self, keys: Iterable[str], *, window: float, now: dt.datetime | None = None) -> int:
        """The largest number of failed logins within the last ``window`` seconds among
        ``keys`` (e.g. ``user:anna`` and ``addr:10.0.0.5``)."""
        since = _aware(now, "now") - dt.timedelta(seconds=float(window))
        hashed = sorted({self._throttle_key(k) for k in keys})
        from sqlalchemy import func

        with self.session() as s:
            rows = s.execute(
                select(LoginFailure.key, func.count())
                .where(LoginFailure.key.in_(hashed), LoginFailure.at >= since)
                .group_by(LoginFailure.key)
            ).all()
        return max((int(n) for _, n in rows), default=0)

    def add_login_failure(
        self, keys: Iterable[str], *, window: float, now: dt.datetime | None = None
    ) -> None:
        """Record one failed login under each key; failures older than ``window`` seconds
        are deleted (the table keeps only what the throttle needs)."""
        when = _aware(now, "now")
        with self.session() as s:
            s.execute(
                delete(LoginFailure).where(LoginFailure.at < when - dt.timedelta(seconds=float(window)))
            )
            for k in sorted(set(keys)):
                s.add(LoginFailure(key=self._throttle_key(k), at=when))

    def clear_login_failures(self, keys: Iterable[str]) -> None:
        hashed = sorted({self._throttle_key(k) for k in keys})
        with self.session() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key.in_(hashed)))

    # ---- batch runs of the programme team
    def create_batch(self, user: UserRef, n_coalitions: int) -> str:
        bid, when = _new_id(), _now()
        with self.session() as s:
            s.add(
                BatchRun(
                    id=bid,
                    username=self._name_of(user),
                    status="queued",
                    n_coalitions=int(n_coalitions),
                    created_at=when,
                    updated_at=when,
                )
            )
        return bid

    def update_batch(
        self,
        bid: str,
        status: str,
        *,
        message: str | None = None,
        n_ok: int | None = None,
        n_failed: int | None = None,
        index_html: str | None = None,
        index_disclosure: Any = None,
        reports: Mapping[str, str] | None = None,
    ) -> BatchInfo:
        if status not in JOB_STATUSES:
            raise ParameterError(
                f"status={status!r} is not allowed; use one of: "
                + ", ".join(repr(x) for x in JOB_STATUSES)
                + "."
            )
        with self.session() as s:
            row = s.get(BatchRun, bid)
            if row is None:
                raise NotFoundError(f"no batch run {bid!r}.")
            row.status, row.updated_at = status, _now()
            if message is not None:
                row.message = message
            if n_ok is not None:
                row.n_ok = int(n_ok)
            if n_failed is not None:
                row.n_failed = int(n_failed)
            if index_html is not None:
                row.index_html = index_html
            if index_disclosure is not None:
                row.index_disclosure = json.dumps(index_disclosure, ensure_ascii=False, default=str)
            if reports is not None:
                row.reports = json.dumps(dict(reports))
            s.flush()
            return BatchInfo.of(row, full=False)

    def get_batch(self, bid: str) -> BatchInfo:
        """One batch run with its overview page (for the programme team: every coalition)."""
        with self.session() as s:
            row = s.get(BatchRun, bid) if isinstance(bid, str) else None
            if row is None:
                raise NotFoundError(f"no batch run {bid!r}.")
            return BatchInfo.of(row, full=True)

    def list_batches(self, limit: int = 20) -> list[BatchInfo]:
        with self.session() as s:
            rows = s.scalars(select(BatchRun).order_by(BatchRun.created_at.desc()).limit(int(limit)))
            return [BatchInfo.of(b, full=False) for b in rows]

    def fail_unfinished_batches(self, message: str) -> int:
        with self.session() as s:
            rows = list(s.scalars(select(BatchRun).where(BatchRun.status.in_(("queued", "running")))))
            for row in rows:
                row.status, row.message, row.updated_at = "failed", message, _now()
            return len(rows)

    # ---- audit log
    def audit(
        self,
        user: UserRef,
        action: str,
        object_type: str | None = None,
        object_id: str | None = None,
        *,
        gm_code: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append to the audit log: ``audit(user, "viewed", "report", rid, gm_code=...)``.

        Actions are short words (``login``, ``login_failed``, ``viewed``, ``uploaded``,
        ``downloaded``, ``deleted``, ``purged``, ``user_added``, ...). Never put
        participant data in ``detail``.
        """
        if not isinstance(action, str) or not re.fullmatch(r"[a-z_]{2,40}", action):
            raise ParameterError(f"action={action!r}: use a short lower-case word.")
        if gm_code is not None:
            check_gm_code(gm_code)
        if object_type is not None and (not isinstance(object_type, str) or len(object_type) > 40):
            raise ParameterError(f"object_type={object_type!r}: at most 40 characters.")
        if object_id is not None and len(str(object_id)) > 64:
            raise ParameterError("object_id: at most 64 characters.")
        with self.session() as s:
            u = self._user_row(s, user)
            name = u.username if u else self._name_of(user)
            s.add(
                AuditEntry(
                    at=_now(),
                    user_id=u.id if u else None,
                    username=name,
                    action=action,
                    object_type=object_type,
                    object_id=None if object_id is None else str(object_id),
                    gm_code=gm_code,
                    detail=detail,
                )
            )

    def audit_entries(
        self,
        *,
        gm_codes: Scope,
        username: str | None = None,
        action: str | None = None,
        object_id: str | None = None,
        limit: int = 1000,
    ) -> list[AuditInfo]:
        """Audit entries about these municipalities (entries without a municipality,
        such as logins, only for :data:`ALL`), newest first."""
        scope = _scope(gm_codes)
        q = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if scope is not None:
            q = q.where(AuditEntry.gm_code.in_(sorted(scope)))
        if username is not None:
            q = q.where(AuditEntry.username == username)
        if action is not None:
            q = q.where(AuditEntry.action == action)
        if object_id is not None:
            q = q.where(AuditEntry.object_id == object_id)
        with self.session() as s:
            return [AuditInfo.of(a) for a in s.scalars(q.limit(int(limit)))]
