"""The portal's store on SQLite and PostgreSQL: migrations, accounts, encrypted uploads,
scoping by municipality, reports, jobs, audit log, retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import inspect, select, text
from store_fixtures import FAST_HASHER, KEY, database_url

from evalkit.core.errors import (
    NotFoundError,
    ParameterError,
    StoreConfigError,
    StoreError,
)
from evalkit.store import ALL, Store, generate_key
from evalkit.store.migrate import current_revision, head_revision
from evalkit.store.models import Base, Submission, SubmissionBlob, User

UTC = dt.UTC
# What a participant file looks like inside: a marker we can search for in the database.
MARKER = b"Jansen-Deelnemer-7f3a"
CONTENT = b"participant_id;wave;item1\n" + MARKER + b";pre;ja\n" * 50


def _all_bytes(store: Store) -> bytes:
    """Every value of every table, as bytes (what a database dump would show)."""
    out = bytearray()
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        out += bytes(value)
                    elif value is not None:
                        out += str(value).encode()
                    out += b"|"
    return bytes(out)


# ---------------------------------------------------------------- schema
def test_migrations_create_exactly_the_models(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    store.upgrade()  # a second upgrade is a no-op
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    names = set(inspect(store.engine).get_table_names())
    assert {
        "user_account",
        "membership",
        "submission",
        "submission_blob",
        "report",
        "render_job",
        "audit_entry",
        "registry_entry",
        "login_failure",
        "batch_run",
        "alembic_version",
    } <= names


# ---------------------------------------------------------------- users
def test_users_argon2_roles_and_memberships(store: Store) -> None:
    u = store.add_user(
        "coord-utrecht",
        "een lang wachtwoord",
        role="coalition",
        gm_codes=["GM0344", "GM0307"],
        display_name="Coalitie Utrecht",
    )
    assert u.role == "coalition" and u.gm_codes == ("GM0307", "GM0344")
    store.add_user("team", "nog een lang wachtwoord", role="programme")
    with store.session() as s:
        h = s.scalar(select(User.password_hash).where(User.username == "coord-utrecht"))
    assert h.startswith("$argon2id$") and "een lang wachtwoord" not in h
    assert store.verify_password("coord-utrecht", "een lang wachtwoord").username == "coord-utrecht"
    assert store.verify_password("coord-utrecht", "een lang wachtwoorD") is None
    assert store.verify_password("nobody", "een lang wachtwoord") is None
    assert store.get_user("coord-utrecht").last_login_at is not None
    assert [x.username for x in store.list_users()] == ["coord-utrecht", "team"]
    with pytest.raises(StoreError, match="exists"):
        store.add_user("team", "nog een lang wachtwoord", role="programme")
    with pytest.raises(ParameterError, match="role"):
        store.add_user("x1", "een lang wachtwoord", role="root")
    with pytest.raises(ParameterError, match="gm_codes"):
        store.add_user("x2", "een lang wachtwoord", role="coalition")
    with pytest.raises(ParameterError, match="gm_codes"):
        store.add_user("x3", "een lang wachtwoord", role="coalition", gm_codes=["363"])
    with pytest.raises(ParameterError, match="gm_codes"):
        store.add_user("x4", "een lang wachtwoord", role="committee", gm_codes=["GM0363"])
    with pytest.raises(ParameterError, match="password"):
        store.add_user("x5", "kort", role="admin")
    assert store.set_gm_codes("coord-utrecht", ["GM0344"]).gm_codes == ("GM0344",)
    store.set_active("team", False)
    assert store.verify_password("team", "nog een lang wachtwoord") is None
    assert store.remove_user("coord-utrecht") is True
    assert store.remove_user("coord-utrecht") is False
    assert store.get_user("coord-utrecht") is None


def test_password_rehashed_when_parameters_change(db_url: str) -> None:
    weak = Store(db_url, key=KEY, password_hasher=FAST_HASHER)
    weak.upgrade()
    weak.add_user("admin1", "correct horse battery", role="admin")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    s2 = Store(db_url, key=KEY, password_hasher=stronger)
    with s2.session() as s:
        old = s.scalar(select(User.password_hash).where(User.username == "admin1"))
    assert s2.verify_password("admin1", "correct horse battery") is not None
    with s2.session() as s:
        new = s.scalar(select(User.password_hash).where(User.username == "admin1"))
    assert new != old and "t=2" in new and "m=2048" in new
    assert s2.verify_password("admin1", "correct horse battery") is not None
    weak.close()
    s2.close()


# ---------------------------------------------------------------- submissions
def test_submission_encrypted_at_rest_and_scoped(store: Store) -> None:
    store.add_user("coord-a", "een lang wachtwoord", role="coalition", gm_codes=["GM0363"])
    sid = store.save_submission("coord-a", "GM0363", "../../etc/passwd.csv", CONTENT, kind="csv")
    other = store.save_submission(None, "GM0599", "rotterdam.xlsx", b"PK\x03\x04xx", kind="xlsx")
    assert store.read_submission(sid, gm_codes=["GM0363"]) == CONTENT
    info = store.get_submission(sid, gm_codes=["GM0363"])
    assert info.sha256 == hashlib.sha256(CONTENT).hexdigest() and info.size == len(CONTENT)
    assert info.original_name == "../../etc/passwd.csv"  # metadata only, never a path
    assert info.status == "received" and info.username == "coord-a"
    assert info.expires_at - info.created_at == dt.timedelta(days=90)
    # at rest: neither the content nor the marker appears anywhere in the database
    dump = _all_bytes(store)
    assert MARKER not in dump and CONTENT[:40] not in dump
    with store.session() as s:
        blob = s.get(SubmissionBlob, sid)
        assert len(blob.ciphertext) == len(CONTENT) + 16  # AES-GCM tag
    # scoping: another coalition's codes see nothing, and no default lists everything
    with pytest.raises(NotFoundError):
        store.read_submission(sid, gm_codes=["GM0599"])
    with pytest.raises(NotFoundError):
        store.get_submission(sid, gm_codes=[])
    with pytest.raises(ParameterError, match="gm_codes"):
        store.list_submissions(None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="gm_codes"):
        store.list_submissions("GM0363")  # type: ignore[arg-type]
    assert [x.id for x in store.list_submissions(["GM0363"])] == [sid]
    assert {x.id for x in store.list_submissions(ALL)} == {sid, other}
    assert store.list_submissions(["GM0014"]) == []


def test_submission_needs_its_key_and_its_own_row(store: Store, db_url: str) -> None:
    sid = store.save_submission(None, "GM0363", "a.csv", CONTENT)
    sid2 = store.save_submission(None, "GM0363", "b.csv", b"other file")
    wrong = Store(db_url, key=generate_key())
    with pytest.raises(StoreError, match="another key"):
        wrong.read_submission(sid, gm_codes=ALL)
    wrong.close()
    # a ciphertext moved to another row fails authentication (associated data)
    with store.session() as s:
        a, b = s.get(SubmissionBlob, sid), s.get(SubmissionBlob, sid2)
        a.nonce, a.ciphertext, b.nonce, b.ciphertext = b.nonce, b.ciphertext, a.nonce, a.ciphertext
    with pytest.raises(StoreError, match="integrity"):
        store.read_submission(sid, gm_codes=ALL)


def test_validation_feedback_encrypted_and_deleted_on_request(store: Store) -> None:
    sid = store.save_submission(None, "GM0363", "a.csv", CONTENT)
    feedback = [{"row": 5, "column": "B", "value": MARKER.decode(), "rule": "code"}]
    assert store.set_validation(sid, "invalid", feedback).feedback == feedback
    assert store.get_submission(sid, gm_codes=["GM0363"]).feedback == feedback
    assert MARKER not in _all_bytes(store)
    with pytest.raises(ParameterError, match="status"):
        store.set_validation(sid, "ok")
    with pytest.raises(NotFoundError):
        store.delete_submission(sid, gm_codes=["GM0014"])
    assert store.delete_submission(sid, gm_codes=["GM0363"]) is True
    assert store.delete_submission(sid, gm_codes=["GM0363"]) is False
    info = store.get_submission(sid, gm_codes=["GM0363"])
    assert info.deleted and info.status == "deleted" and info.feedback is None
    assert info.deleted_reason == "request"
    with pytest.raises(NotFoundError, match="deleted"):
        store.read_submission(sid, gm_codes=["GM0363"])
    with store.session() as s:
        assert s.scalar(select(SubmissionBlob).where(SubmissionBlob.submission_id == sid)) is None
    assert store.list_submissions(["GM0363"], include_deleted=False) == []
    assert len(store.list_submissions(["GM0363"])) == 1  # the tombstone


def test_latest_valid_submissions(store: Store) -> None:
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    a1 = store.save_submission(None, "GM0363", "a1.csv", b"1", now=t0)
    a2 = store.save_submission(None, "GM0363", "a2.csv", b"2", now=t0 + dt.timedelta(1))
    b1 = store.save_submission(None, "GM0599", "b1.csv", b"3", now=t0)
    store.set_validation(a1, "valid")
    store.set_validation(a2, "invalid")
    store.set_validation(b1, "valid")
    latest = store.latest_valid_submissions(ALL)
    assert {k: v.id for k, v in latest.items()} == {"GM0363": a1, "GM0599": b1}
    assert list(store.latest_valid_submissions(["GM0599"])) == ["GM0599"]


# ---------------------------------------------------------------- retention
def test_purge_deletes_raw_files_and_keeps_aggregates(store: Store, db_url: str) -> None:
    from evalkit.store import registry

    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    old = store.save_submission(None, "GM0363", "old.csv", CONTENT, now=t0)
    store.set_validation(old, "valid", [{"note": MARKER.decode()}])
    short = store.save_submission(None, "GM0599", "kort.csv", CONTENT + b"2", now=t0, retention_days=7)
    fresh = store.save_submission(None, "GM0599", "new.csv", b"recent file", now=t0 + dt.timedelta(days=80))
    rid = store.save_report(
        "GM0363", "<html>rapport</html>", {"numbers": []}, submission_id=old, source="portal", now=t0
    )
    registry.record(
        [
            {
                "term": "change",
                "estimate": -0.8,
                "std_error": 0.2,
                "ci_lower": -1.2,
                "ci_upper": -0.4,
                "p_value": 0.001,
                "n": 40,
            }
        ],
        gm_code="GM0363",
        intervention="maatje",
        year=2026,
        source="portal",
        report_id=rid,
        url=store,
    )
    with store.session() as s:
        purged = [s.get(SubmissionBlob, x).ciphertext for x in (old, short)]
        kept = s.get(SubmissionBlob, fresh).ciphertext
    assert store.purge_expired(now=t0 + dt.timedelta(days=30)) == 1  # only the 7-day one
    assert store.purge_expired(now=t0 + dt.timedelta(days=91)) == 1  # then the 90-day one
    assert store.purge_expired(now=t0 + dt.timedelta(days=91)) == 0
    assert store.read_submission(fresh, gm_codes=ALL) == b"recent file"
    for sid, reason in ((old, "retention"), (short, "retention")):
        info = store.get_submission(sid, gm_codes=ALL)
        assert info.deleted and info.deleted_reason == reason and info.feedback is None
    with store.session() as s:
        assert list(s.scalars(select(SubmissionBlob.submission_id))) == [fresh]
        assert s.scalar(select(Submission.feedback).where(Submission.id == old)) is None
    dump = _all_bytes(store)
    assert MARKER not in dump
    assert not any(c[:64] in dump for c in purged) and kept[:64] in dump
    # the report and the registry's aggregates stay
    assert store.get_report(rid, gm_codes=["GM0363"]).html == "<html>rapport</html>"
    reg = registry.load(store)
    assert reg[["gm_code", "term", "n"]].values.tolist() == [["GM0363", "change", 40]]
    if store.dialect == "sqlite":
        # the files on disk: secure_delete zeroed the pages, the WAL was truncated
        path = Path(db_url.split(":///", 1)[1])
        on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert MARKER not in on_disk
        assert not any(c[:64] in on_disk for c in purged) and kept in on_disk


def test_postgres_files_hold_no_purged_bytes(tmp_path: Path) -> None:
    """After purge, VACUUM FULL leaves no deleted ciphertext in PostgreSQL's table files
    (read directly from the test server's data folder; SQLite's files are checked in
    the purge test above)."""
    db_url = database_url("postgresql", tmp_path)
    pg_dir = os.environ.get("PG_TEST_DIR")
    if not pg_dir or not os.access(Path(pg_dir) / "data", os.R_OK):
        pytest.skip("PG_TEST_DIR (the test server's data folder) is not readable here")
    s = Store(db_url, key=KEY)
    s.upgrade()
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    sid = s.save_submission(None, "GM0363", "a.csv", CONTENT * 20, now=t0)
    keep = s.save_submission(None, "GM0363", "b.csv", CONTENT * 20 + b"!", now=t0 + dt.timedelta(days=60))
    with s.session() as ses:
        gone = ses.get(SubmissionBlob, sid).ciphertext
        kept = ses.get(SubmissionBlob, keep).ciphertext
    assert s.purge_expired(now=t0 + dt.timedelta(days=91)) == 1
    with s.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))  # flush pages to the files we read
        db_oid = conn.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar()
    s.close()
    base = Path(pg_dir) / "data" / "base" / str(db_oid)
    data = b"".join(p.read_bytes() for p in base.iterdir() if p.is_file())
    assert kept[:64] in data  # the scan sees table contents
    assert gone[:64] not in data and gone[-64:] not in data


# ---------------------------------------------------------------- reports, jobs, audit
def test_reports_scoped_and_linked(store: Store) -> None:
    sid = store.save_submission(None, "GM0363", "a.csv", CONTENT)
    t0 = dt.datetime(2026, 3, 1, tzinfo=UTC)
    r1 = store.save_report("GM0363", "<p>1</p>", {"cells": [{"n": 12}]}, submission_id=sid, now=t0)
    r2 = store.save_report("GM0363", "<p>2</p>", None, source="batch", now=t0 + dt.timedelta(hours=1))
    r3 = store.save_report("GM0599", "<p>3</p>", None, source="batch", now=t0)
    rep = store.get_report(r1, gm_codes=["GM0363"])
    assert rep.html == "<p>1</p>" and rep.disclosure == {"cells": [{"n": 12}]}
    assert rep.submission_id == sid and rep.source == "portal" and rep.lang == "nl"
    with pytest.raises(NotFoundError):
        store.get_report(r1, gm_codes=["GM0599"])
    with pytest.raises(NotFoundError):
        store.get_report("../" + r1, gm_codes=ALL)
    assert [r.id for r in store.list_reports(["GM0363"])] == [r2, r1]
    assert all(r.html is None for r in store.list_reports(ALL))
    assert {r.id for r in store.list_reports(ALL, latest_only=True)} == {r2, r3}
    with pytest.raises(ParameterError, match="belongs to GM0363"):
        store.save_report("GM0599", "<p/>", submission_id=sid)
    with pytest.raises(ParameterError, match="source"):
        store.save_report("GM0599", "<p/>", source="web")
    # a listing does not read the pages themselves
    from sqlalchemy import event

    seen: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda conn, cur, stmt, *a: seen.append(stmt))
    store.list_reports(ALL)
    assert seen and not any("report.html" in q or "report.disclosure" in q for q in seen)
    # the report outlives the raw file
    store.delete_submission(sid, gm_codes=ALL)
    assert store.get_report(r1, gm_codes=ALL).submission_id == sid


def test_render_jobs(store: Store) -> None:
    sid = store.save_submission(None, "GM0363", "a.csv", CONTENT)
    jid = store.create_job("GM0363", submission_id=sid)
    job = store.get_job(jid, gm_codes=["GM0363"])
    assert job.status == "queued" and job.submission_id == sid
    store.update_job(jid, "running")
    rid = store.save_report("GM0363", "<p/>", submission_id=sid)
    done = store.update_job(jid, "done", report_id=rid)
    assert done.status == "done" and done.report_id == rid
    with pytest.raises(NotFoundError):
        store.get_job(jid, gm_codes=["GM0599"])
    with pytest.raises(ParameterError, match="status"):
        store.update_job(jid, "finished")
    with pytest.raises(NotFoundError):  # a submission of another municipality
        store.create_job("GM0599", submission_id=sid)
    j2 = store.create_job("GM0363", submission_id=sid)
    store.update_job(j2, "running")
    assert store.fail_unfinished_jobs("server restarted") == 1
    failed = store.get_job(j2, gm_codes=ALL)
    assert failed.status == "failed" and failed.message == "server restarted"
    assert [j.id for j in store.list_jobs(ALL, status="done")] == [jid]


def test_audit_log(store: Store) -> None:
    u = store.add_user("coord-a", "een lang wachtwoord", role="coalition", gm_codes=["GM0363"])
    store.audit(u, "login")
    store.audit("coord-a", "uploaded", "submission", "abc", gm_code="GM0363")
    store.audit(None, "login_failed", detail="user unknown")
    store.audit("coord-a", "viewed", "report", "r1", gm_code="GM0599")
    mine = store.audit_entries(gm_codes=["GM0363"])
    assert [(a.action, a.object_id) for a in mine] == [("uploaded", "abc")]
    assert mine[0].username == "coord-a"
    assert len(store.audit_entries(gm_codes=ALL)) == 4
    assert [a.action for a in store.audit_entries(gm_codes=ALL, username="coord-a")] == [
        "viewed",
        "uploaded",
        "login",
    ]
    store.remove_user("coord-a")  # entries keep the name
    assert store.audit_entries(gm_codes=ALL, action="login")[0].username == "coord-a"
    with pytest.raises(ParameterError, match="action"):
        store.audit(None, "Viewed Report")


def test_concurrent_uploads_none_lost(store: Store) -> None:
    codes = [f"GM{i:04d}" for i in range(1, 9)]
    ids: dict[str, list[str]] = {c: [] for c in codes}

    def upload(code: str) -> None:
        for k in range(5):
            ids[code].append(store.save_submission(None, code, f"{k}.csv", f"{code}-{k}".encode()))

    threads = [threading.Thread(target=upload, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in codes:
        got = store.list_submissions([c])
        assert {x.id for x in got} == set(ids[c])
        for x in got:
            assert store.read_submission(x.id, gm_codes=[c]).startswith(c.encode())


def test_login_failures_counted_in_the_database(store: Store, db_url: str) -> None:
    """The throttle's counts live in the database: another Store on the same database (another
    server process) sees them; only hashed keys are kept, and only for the window."""
    t0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    keys = ("user:anna", "addr:10.0.0.5")
    for i in range(3):
        store.add_login_failure(keys, window=900, now=t0 + dt.timedelta(seconds=i))
    store.add_login_failure(("user:bert", "addr:10.0.0.5"), window=900, now=t0 + dt.timedelta(seconds=5))
    other = Store(db_url, key=KEY, password_hasher=FAST_HASHER)
    at = t0 + dt.timedelta(seconds=10)
    assert other.login_failures(keys, window=900, now=at) == 4  # the address: 4 failures
    assert other.login_failures(("user:anna",), window=900, now=at) == 3
    assert other.login_failures(("user:anna",), window=900, now=t0 + dt.timedelta(seconds=901)) == 2
    assert b"anna" not in _all_bytes(store) and b"10.0.0.5" not in _all_bytes(store)
    other.clear_login_failures(("user:anna",))
    assert store.login_failures(("user:anna",), window=900, now=at) == 0
    assert store.login_failures(("addr:10.0.0.5",), window=900, now=at) == 4
    # a failure past the window deletes the old rows
    store.add_login_failure(("user:carl",), window=900, now=t0 + dt.timedelta(hours=1))
    assert store.login_failures(("addr:10.0.0.5",), window=10**6, now=t0 + dt.timedelta(hours=1)) == 0
    other.close()


def test_batch_runs(store: Store) -> None:
    bid = store.create_batch("prog", 3)
    assert store.get_batch(bid).status == "queued"
    store.update_batch(bid, "running")
    info = store.update_batch(
        bid,
        "done",
        n_ok=2,
        n_failed=1,
        index_html="<html>index</html>",
        index_disclosure={"page": "index.html"},
        reports={"GM0014-groningen.html": "a" * 32},
    )
    assert info.index_html is None  # lists and updates carry no page
    full = store.get_batch(bid)
    assert (full.n_ok, full.n_failed, full.index_html) == (2, 1, "<html>index</html>")
    assert full.reports == {"GM0014-groningen.html": "a" * 32}
    assert full.index_disclosure == {"page": "index.html"}
    assert [b.id for b in store.list_batches()] == [bid]
    other = store.create_batch(None, 1)
    assert store.fail_unfinished_batches("job_failed_killed") == 1
    assert store.get_batch(other).status == "failed"
    with pytest.raises(NotFoundError):
        store.get_batch("0" * 32)


# ---------------------------------------------------------------- configuration
def test_key_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("EVALKIT_DATABASE_URL", "EVALKIT_STORE_KEY", "EVALKIT_STORE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(StoreConfigError, match="no encryption key"):
        Store(url)
    with pytest.raises(StoreConfigError, match="32"):
        Store(url, key=b"dG9vIHNob3J0")
    with pytest.raises(StoreConfigError, match="base64"):
        Store(url, key="not base64!!")
    with pytest.raises(StoreConfigError, match="scheme"):
        Store("mysql://host/db", key=KEY)
    monkeypatch.setenv("EVALKIT_STORE_KEY", KEY.decode())
    Store(url).close()
    monkeypatch.delenv("EVALKIT_STORE_KEY")
    keyfile = tmp_path / "k"
    keyfile.write_bytes(KEY + b"\n")
    monkeypatch.setenv("EVALKIT_STORE_KEY_FILE", str(keyfile))
    s = Store(url)
    s.upgrade()
    sid = s.save_submission(None, "GM0363", "a.csv", b"x")
    s.close()
    monkeypatch.delenv("EVALKIT_STORE_KEY_FILE")
    assert Store(url, key=KEY).read_submission(sid, gm_codes=ALL) == b"x"
    # the embedded default: a database and a 0600 key file in the user's data folder
    monkeypatch.setenv("EVALKIT_DATA_DIR", str(tmp_path / "data"))
    d = Store()
    d.upgrade()
    assert d.url.endswith("data/evalkit.sqlite3") and d.dialect == "sqlite"
    mode = stat.S_IMODE((tmp_path / "data" / "store.key").stat().st_mode)
    assert mode == 0o600
    d.close()
    assert "postgresql+psycopg://" in Store("postgresql://u:p@localhost/db", key=KEY).url
    assert "p@" not in repr(Store("postgresql://u:secret@localhost/db", key=KEY))


def test_store_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main

    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    assert main(["store", "key"]) == 0
    key = capsys.readouterr().out.strip()
    monkeypatch.setenv("EVALKIT_STORE_KEY", key)
    assert main(["store", "upgrade", "--database", url]) == 0
    s = Store(url)
    t0 = dt.datetime.now(UTC) - dt.timedelta(days=40)
    s.save_submission(None, "GM0363", "a.csv", b"x", now=t0)
    s.close()
    assert main(["store", "purge", "--database", url]) == 0
    assert "0 bestand" in capsys.readouterr().out
    assert main(["store", "purge", "--database", url, "--retention-days", "30"]) == 0
    assert "1 bestand" in capsys.readouterr().out
    monkeypatch.delenv("EVALKIT_STORE_KEY")
    assert main(["store", "purge", "--database", url]) == 1
    assert "no encryption key" in capsys.readouterr().err


def test_migrations_ship_in_the_wheel() -> None:
    """Every migration file is covered by the package data of pyproject.toml (a wheel
    without them could not create its database)."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    conf = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    data = conf["package-data"]
    mig = root / "evalkit" / "store" / "migrations"
    files = [p for p in mig.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.parent.name == "versions" for p in files)
    for f in files:
        parts = f.relative_to(root).parts
        covered = False
        for i in range(len(parts) - 1, 0, -1):  # the file's folder, then its parents
            package, rel = ".".join(parts[:i]), "/".join(parts[i:])
            if package in conf["packages"] and any(fnmatch.fnmatch(rel, g) for g in data.get(package, [])):
                covered = True
                break
        assert covered, f
