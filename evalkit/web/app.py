"""The portal: a Starlette application with server-rendered Jinja2 pages and no scripts.

``create_app(PortalConfig(...))`` builds the ASGI app; ``evalkit serve`` runs it with
uvicorn. Two modes:

- local (default): one person on their own computer; no login; the database is the
  embedded SQLite file in the user's data folder; the server listens on 127.0.0.1 only.
- hosted (``hosted=True``): accounts with roles, secure cookies, the database from
  ``database`` (PostgreSQL in production).

Authorisation is decided here, per route (:data:`ROUTE_ROLES`) and per object: every
store call passes the municipality codes the user may see, so another coalition's report,
submission, job or audit entry is simply not found (404), never shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from evalkit.core.errors import NotFoundError, ParameterError, StoreError
from evalkit.core.i18n import LANGS, fmt_ci, fmt_number
from evalkit.data.codebook import municipalities
from evalkit.store import ALL, Store, UserInfo
from evalkit.web import exports
from evalkit.web.feedback import check_upload
from evalkit.web.jobs import (
    BatchTask,
    RenderOutcome,
    RenderPool,
    RenderTask,
    Runner,
    batch_in_worker,
    render_in_worker,
)
from evalkit.web.messages import MESSAGES, tr
from evalkit.web.security import (
    CSP_REPORT,
    SecurityHeadersMiddleware,
    StoreLoginThrottle,
    csrf_ok,
    csrf_token,
)
from evalkit.web.uploads import (
    DEFAULT_MAX_UPLOAD,
    BodyLimitMiddleware,
    UploadRefused,
    body_limit,
    display_name,
    sniff,
)

__all__ = ["LOCAL_USER", "ROUTE_ROLES", "Portal", "PortalConfig", "create_app"]

_HERE = Path(__file__).parent
ROLES = ("coalition", "programme", "committee", "admin")

#: Which roles may use each route (``local`` is the one person of local mode).
ROUTE_ROLES: dict[str, tuple[str, ...]] = {
    "home": ("coalition", "programme", "committee", "admin", "local"),
    "template": ("coalition", "programme", "local"),
    "upload": ("coalition", "local"),
    "history": ("coalition", "programme", "local"),
    "submission": ("coalition", "local"),
    "submission_errors": ("coalition", "local"),
    "submission_delete": ("coalition", "local"),
    "submission_render": ("coalition", "local"),
    "job": ("coalition", "programme", "local"),
    "reports": ("coalition", "programme", "local"),
    "report": ("coalition", "programme", "local"),
    "report_view": ("coalition", "programme", "local"),
    "report_download": ("coalition", "programme", "local"),
    "overview": ("programme",),
    "batch": ("programme",),
    "batch_index": ("programme",),
    "batch_page": ("programme",),
    "results": ("committee", "programme"),
    "results_csv": ("committee", "programme"),
    "audit": ("coalition", "admin", "local"),
    "audit_entry": ("coalition", "admin", "local"),
    "users": ("admin",),
    "users_add": ("admin",),
    "users_remove": ("admin",),
}


@dataclass
class PortalConfig:
    """Settings of one portal process.

    Parameters
    ----------
    hosted : bool
        Accounts and roles (``True``) or the local one-person mode (``False``, default).
    database : str, optional
        Database URL; default: ``EVALKIT_DATABASE_URL`` or the embedded SQLite file.
    key : str or bytes, optional
        Encryption key of the uploads; default from the environment (see evalkit.store).
    session_secret : str, optional
        Key that signs session cookies; default ``EVALKIT_SESSION_SECRET`` or a random one
        (sessions then end when the server restarts).
    max_upload : int
        Largest accepted file in bytes (default 20 MB), enforced while the body streams.
    workers : int
        Report render workers (processes, each warm, one report at a time).
    check_concurrency : int
        Uploads checked at the same time (the feedback lane: threads of the web process,
        never behind a render); more wait their turn in arrival order.
    login_concurrency : int
        Password checks at the same time (each Argon2 check holds 19 MiB).
    retention_days : int
        Days an uploaded file is kept (default 90).
    codebook : str
        Codebook uploads are checked against (default ``intervention``).
    """

    hosted: bool = False
    database: str | None = None
    key: str | bytes | None = None
    session_secret: str | None = None
    max_upload: int = DEFAULT_MAX_UPLOAD
    workers: int = 1
    check_concurrency: int = 2
    login_concurrency: int = 2
    retention_days: int = 90
    codebook: str = "intervention"
    lang: str = "nl"
    login_max_failures: int = 5
    login_window: float = 900.0
    session_max_age: int = 8 * 3600
    job_timeout: float = 600.0
    purge_interval: float = 3600.0
    runner: Runner = field(default=render_in_worker, repr=False)
    batch_runner: Runner = field(default=batch_in_worker, repr=False)


#: The one person of local mode (no account; every municipality).
LOCAL_USER = UserInfo(
    id=0,
    username="local",
    role="local",
    gm_codes=(),
    display_name=None,
    active=True,
    created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    last_login_at=None,
)


def _names() -> dict[str, str]:
    table = municipalities()
    return dict(zip(table["gm_code"].astype(str), table["name"].astype(str)))


class Portal:
    """State of one portal process: store, render pool, throttle, templates."""

    def __init__(self, config: PortalConfig, store: Store | None = None):
        self.config = config
        self.store = store or Store(config.database, key=config.key, retention_days=config.retention_days)
        self.store.upgrade()
        self.store.fail_unfinished_jobs("job_failed_killed")
        self.store.fail_unfinished_batches("job_failed_killed")
        self.throttle = StoreLoginThrottle(self.store, config.login_max_failures, config.login_window)
        self.pool = RenderPool(
            config.workers,
            self._job_finished,
            runner=config.runner,
            job_timeout=config.job_timeout,
            on_start=self._job_started,
        )
        self._lanes: dict[str, Any] = {}
        self._batches: dict[str, tuple[Path, dict[str, str]]] = {}
        self.names = _names()
        self.templates = Jinja2Templates(directory=str(_HERE / "templates"))
        self.templates.env.globals["MESSAGES"] = MESSAGES

    # ---- users and scopes -------------------------------------------------------------
    def user(self, request: Request) -> UserInfo | None:
        if not self.config.hosted:
            return LOCAL_USER
        name = request.session.get("user")
        if not isinstance(name, str):
            return None
        u = self.store.get_user(name)
        if u is None or not u.active:
            request.session.pop("user", None)
            return None
        return u

    @staticmethod
    def scope(user: UserInfo) -> Any:
        """The municipality codes this user's data views cover (store scope)."""
        if user.role in ("local", "programme"):
            return ALL
        if user.role == "coalition":
            return tuple(user.gm_codes)
        return ()

    @staticmethod
    def audit_scope(user: UserInfo) -> Any:
        if user.role in ("admin", "local"):
            return ALL
        if user.role == "coalition":
            return tuple(user.gm_codes)
        return ()

    def codes_for_upload(self, user: UserInfo) -> list[str]:
        if user.role == "local":
            return sorted(self.names)
        return sorted(user.gm_codes)

    # ---- rendering jobs ---------------------------------------------------------------
    def start_job(self, gm_code: str, submission_id: str, lang: str) -> str:
        jid = self.store.create_job(gm_code, submission_id=submission_id)
        data = self.store.read_submission(submission_id, gm_codes=[gm_code])
        sub = self.store.get_submission(submission_id, gm_codes=[gm_code])
        task = RenderTask(
            job_id=jid,
            coalition_code=gm_code,
            coalition_name=self.names.get(gm_code, gm_code),
            data=data,
            suffix="." + (sub.kind or "csv"),
            lang=lang,
            codebook=self.config.codebook,
        )
        self.pool.submit(task)  # queued until a worker takes it (then running)
        return jid

    def _job_started(self, task: Any) -> None:
        if isinstance(task, RenderTask):
            self.store.update_job(task.job_id, "running")
        elif isinstance(task, BatchTask):
            self.store.update_batch(task.job_id, "running")

    # ---- the programme's batch ------------------------------------------------------------
    def start_batch(self, user: UserInfo, lang: str) -> tuple[str, int]:
        """Queue ``evalkit batch`` over every coalition's latest valid file (one job in one
        render worker; the other workers go on serving coalitions). The files are decrypted
        into a private temporary folder (mode 0700) that is removed when the batch ends."""
        latest = self.store.latest_valid_submissions(ALL)
        if not latest:
            return "", 0
        folder = Path(tempfile.mkdtemp(prefix="evalkit-batch-"))
        (folder / "invoer").mkdir()
        coalitions = []
        for code, sub in sorted(latest.items()):
            fname = f"{code}.{sub.kind or 'csv'}"
            (folder / "invoer" / fname).write_bytes(self.store.read_submission(sub.id, gm_codes=[code]))
            coalitions.append((code, self.names.get(code, code), fname))
        bid = self.store.create_batch(user, len(coalitions))
        self._batches[bid] = (folder, {code: sub.id for code, sub in latest.items()})
        task = BatchTask(bid, str(folder), tuple(coalitions), lang=lang, codebook=self.config.codebook)
        limit = max(self.config.job_timeout, 120.0 + 10.0 * len(coalitions))
        self.pool.submit(task, runner=self.config.batch_runner, timeout=limit, on_done=self._batch_finished)
        return bid, len(coalitions)

    def _batch_finished(self, outcome: RenderOutcome) -> None:
        """Store the batch's pages (source ``batch``, each with its disclosure record and its
        registry entry) and its overview page; remove the decrypted files."""
        folder, subs = self._batches.pop(outcome.job_id, (None, {}))
        try:
            self._store_batch(outcome, folder, subs)
        except (OSError, ValueError, KeyError, StoreError, NotFoundError):
            logging.getLogger("evalkit.web").exception("storing the batch failed")
            self.store.update_batch(outcome.job_id, "failed", message="job_failed_render")
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def _store_batch(self, outcome: RenderOutcome, folder: Path | None, subs: dict[str, str]) -> None:
        if outcome.status != "done" or folder is None:
            self.store.update_batch(outcome.job_id, "failed", message=outcome.message or "job_failed_render")
            return
        out = folder / "rapporten"
        keys = outcome.key.get("keys", {})
        pages: dict[str, str] = {}
        n_ok = n_failed = 0
        for row in outcome.key.get("table", []):
            code, page = str(row["coalition_code"]), row.get("html")
            if row.get("status") != "ok" or not page:
                n_failed += 1
                continue
            html = (out / page).read_text(encoding="utf-8")
            record_path = out / (Path(page).stem + ".disclosure.json")
            record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() else None
            rid = self.store.save_report(
                code,
                html,
                record,
                submission_id=subs.get(code),
                source="batch",
                title=f"{row.get('coalition_name') or code} ({code})",
                lang="en" if 'lang="en"' in html[:500] else "nl",
            )
            self.store.audit(None, "rendered", "report", rid, gm_code=code, detail="batch")
            self._record(code, rid, keys.get(code) or {}, subs.get(code))
            pages[page] = rid
            n_ok += 1
        index = out / (outcome.html or "index.html")
        index_record = out / "index.disclosure.json"
        self.store.update_batch(
            outcome.job_id,
            "done",
            n_ok=n_ok,
            n_failed=n_failed,
            index_html=index.read_text(encoding="utf-8"),
            index_disclosure=json.loads(index_record.read_text(encoding="utf-8"))
            if index_record.is_file()
            else None,
            reports=pages,
        )

    async def in_lane(self, lane: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` in a thread of the web process, at most ``<lane>_concurrency`` at a
        time (lanes: ``check`` for upload feedback, ``login`` for password hashing); later
        calls wait their turn. Renders never use these threads."""
        import anyio.to_thread

        limiter = self._lanes.get(lane)
        if limiter is None:
            limiter = self._lanes[lane] = anyio.CapacityLimiter(
                max(1, int(getattr(self.config, f"{lane}_concurrency")))
            )
        return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)

    def _job_finished(self, outcome: RenderOutcome) -> None:
        try:
            job = self.store.get_job(outcome.job_id, gm_codes=ALL)
        except NotFoundError:
            return
        if outcome.status != "done" or outcome.html is None:
            message = outcome.message or "job_failed_render"
            if outcome.values:  # the message's values (codes, counts): "key {json}"
                message += " " + json.dumps(outcome.values, ensure_ascii=False)
            self.store.update_job(job.id, "failed", message)
            return
        lang = "en" if 'lang="en"' in outcome.html[:500] else "nl"
        rid = self.store.save_report(
            job.gm_code,
            outcome.html,
            outcome.record,
            submission_id=job.submission_id,
            source="portal",
            title=outcome.title,
            lang=lang,
        )
        self.store.update_job(job.id, "done", report_id=rid)
        self.store.audit(None, "rendered", "report", rid, gm_code=job.gm_code)
        self._record(job.gm_code, rid, outcome.key or {}, job.submission_id)

    def _record(self, gm_code: str, report_id: str, key: dict[str, Any], submission_id: str | None) -> None:
        """Put the page's disclosed key results in the results registry (a suppressed page
        records nothing). Intervention and year are those of the uploaded data
        (:func:`evalkit.store.registry.evaluation_context`, found when the file was checked)."""
        from evalkit.store import registry

        fb: dict[str, Any] = {}
        if submission_id is not None:
            fb = self.store.get_submission(submission_id, gm_codes=[gm_code]).feedback or {}
        year = int(fb.get("year") or dt.datetime.now(dt.UTC).year)
        intervention = str(fb.get("intervention") or registry.ALL_INTERVENTIONS)
        common: dict[str, Any] = {
            "gm_code": gm_code,
            "intervention": intervention,
            "year": year,
            "coalition": self.names.get(gm_code),
            "source": "portal",
            "report_id": report_id,
            "url": self.store,
        }
        if "quantities" in key:  # the audited report pipeline's key numbers
            registry.record_key_numbers(key, **common)
            return
        n = key.get("n_pairs")
        if key.get("suppressed") or key.get("mean_diff") is None or not isinstance(n, int):
            return
        row = {
            "term": "mean_diff",
            "estimate": key.get("mean_diff"),
            "std_error": key.get("std_error"),
            "ci_lower": key.get("ci_lower"),
            "ci_upper": key.get("ci_upper"),
            "p_value": key.get("p_value"),
            "n": n,
        }
        try:
            registry.record([row], **common)
        except ParameterError:  # below the privacy threshold: the registry refuses it
            return

    def purge(self) -> int:
        """Delete the files past the retention period (the store's retention job)."""
        return self.store.purge_expired(retention_days=self.config.retention_days)

    def close(self) -> None:
        self.pool.shutdown()


# ----------------------------------------------------------------------------------------
# request helpers
# ----------------------------------------------------------------------------------------
def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def _lang(request: Request) -> str:
    lang = request.session.get("lang")
    return lang if lang in LANGS else _portal(request).config.lang


def _page(request: Request, name: str, user: UserInfo | None, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)
    portal = _portal(request)

    def _(key: str, **values: Any) -> str:
        return tr(key, lang, **values)

    ctx = {
        "_": _,
        "lang": lang,
        "user": user,
        "csrf": csrf_token(request.session),
        "hosted": portal.config.hosted,
        "roles": ROUTE_ROLES,
        "names": portal.names,
        "path": request.url.path,
        **context,
    }
    return portal.templates.TemplateResponse(request, name, ctx, status_code=status)


def _error(request: Request, user: UserInfo | None, status: int, key: str) -> Response:
    title = {403: "forbidden_title", 404: "notfound_title"}.get(status, "forbidden_title")
    return _page(request, "error.html", user, status=status, title_key=title, message_key=key)


Handler = Callable[[Request, UserInfo], Awaitable[Response]]


def route(name: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Guard a handler: anonymous visitors go to the login page, wrong roles get 403,
    objects outside the user's scope 404; POSTs need the session's CSRF token."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            portal = _portal(request)
            user = await run_in_threadpool(portal.user, request)
            if user is None:
                if request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return _error(request, None, 403, "forbidden")
            if user.role not in ROUTE_ROLES[name]:
                return _error(request, user, 403, "forbidden")
            if request.method == "POST":  # every POST, whatever its encoding
                form = await request.form(max_files=1, max_fields=10)
                if not csrf_ok(request, form.get("csrf_token")):
                    return _error(request, user, 403, "csrf_failed")
            try:
                return await handler(request, user)
            except NotFoundError:
                return _error(request, user, 404, "notfound")

        endpoint.__name__ = name
        return endpoint

    return wrap


def _actor(user: UserInfo) -> UserInfo | str:
    """Who the audit log names: the account, or "local" in local mode."""
    return "local" if user.role == "local" else user


def _id(request: Request, key: str) -> str:
    value = str(request.path_params[key])
    if not re.fullmatch(r"[0-9a-f]{32}", value):
        raise NotFoundError(value)
    return value


# ----------------------------------------------------------------------------------------
# pages
# ----------------------------------------------------------------------------------------
async def login_form(request: Request) -> Response:
    portal = _portal(request)
    if not portal.config.hosted:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        return _page(request, "login.html", None)
    form = await request.form()
    if not csrf_ok(request, form.get("csrf_token")):
        return _error(request, None, 403, "csrf_failed")
    username = str(form.get("username") or "")[:150]
    password = str(form.get("password") or "")[:1024]
    address = request.client.host if request.client else "-"
    if await run_in_threadpool(portal.throttle.locked, username, address):
        await run_in_threadpool(
            portal.store.audit, None, "login_throttled", "user", None, detail=username[:40]
        )
        return _page(request, "login.html", None, status=429, error="login_throttled")
    user = await portal.in_lane("login", portal.store.verify_password, username, password)
    if user is None or not user.active:
        await run_in_threadpool(portal.throttle.failed, username, address)
        await run_in_threadpool(portal.store.audit, None, "login_failed", "user", None, detail=username[:40])
        return _page(request, "login.html", None, status=401, error="login_failed")
    await run_in_threadpool(portal.throttle.succeeded, username, address)
    lang = request.session.get("lang")
    request.session.clear()  # a new session on login (no fixation)
    request.session["user"] = user.username
    if lang in LANGS:
        request.session["lang"] = lang
    await run_in_threadpool(portal.store.audit, user, "login", "user", user.username)
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form.get("csrf_token")):
        return _error(request, None, 403, "csrf_failed")
    request.session.clear()
    return RedirectResponse("/login" if _portal(request).config.hosted else "/", status_code=303)


async def set_lang(request: Request) -> Response:
    code = request.path_params["code"]
    if code in LANGS:
        request.session["lang"] = code
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    return RedirectResponse(target, status_code=303)


@route("home")
async def home(request: Request, user: UserInfo) -> Response:
    return _page(request, "home.html", user)


@route("template")
async def template_download(request: Request, user: UserInfo) -> Response:
    from evalkit.data.excel_template import write_template

    lang = _lang(request)
    codebook = _portal(request).config.codebook

    def make() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_template(codebook, Path(tmp) / "sjabloon.xlsx", lang=lang)
            return path.read_bytes()

    data = await run_in_threadpool(make)
    name = tr("file_template", lang)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@route("upload")
async def upload(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    codes = portal.codes_for_upload(user)
    mb = portal.config.max_upload // (1024 * 1024)
    ctx: dict[str, Any] = {"codes": codes, "mb": mb, "days": portal.config.retention_days}
    if request.method == "GET":
        return _page(request, "upload.html", user, **ctx)
    form = await request.form(max_files=1, max_fields=10)
    if not csrf_ok(request, form.get("csrf_token")):
        return _error(request, user, 403, "csrf_failed")
    code = str(form.get("gm_code") or "")
    if code not in codes:
        return _page(request, "upload.html", user, status=403, error="upload_bad_code", **ctx)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _page(request, "upload.html", user, status=422, error="upload_no_file", **ctx)
    data = await file.read(portal.config.max_upload + 1)
    await file.close()
    if len(data) > portal.config.max_upload:
        return _page(request, "upload.html", user, status=413, error="upload_too_large", **ctx)
    try:
        kind = sniff(data).kind
    except UploadRefused as exc:
        return _page(request, "upload.html", user, status=422, error=exc.reason, **ctx)
    lang = _lang(request)
    name = display_name(file.filename)
    store_user = _actor(user)

    def save() -> str:
        sid = portal.store.save_submission(store_user, code, name, data, kind=kind)
        portal.store.audit(store_user, "uploaded", "submission", sid, gm_code=code)
        return sid

    def check(sid: str) -> dict[str, Any]:
        fb = check_upload(data, kind, codebook=portal.config.codebook, lang=lang, name=name)
        portal.store.set_validation(sid, "valid" if fb["ok"] else "invalid", fb)
        return fb

    sid = await run_in_threadpool(save)  # stored first: nothing is lost while it waits
    fb = await portal.in_lane("check", check, sid)
    if fb["ok"]:
        jid = await run_in_threadpool(portal.start_job, code, sid, lang)
        return RedirectResponse(f"/jobs/{jid}", status_code=303)
    return RedirectResponse(f"/submissions/{sid}", status_code=303)


@route("history")
async def history(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    subs = await run_in_threadpool(portal.store.list_submissions, portal.scope(user))
    return _page(
        request, "history.html", user, submissions=subs, show_links=user.role in ROUTE_ROLES["submission"]
    )


@route("submission")
async def submission(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    sid = _id(request, "sid")
    sub = await run_in_threadpool(lambda: portal.store.get_submission(sid, gm_codes=portal.scope(user)))
    store_user = _actor(user)
    await run_in_threadpool(portal.store.audit, store_user, "viewed", "submission", sid, gm_code=sub.gm_code)
    jobs = [
        j for j in await run_in_threadpool(portal.store.list_jobs, [sub.gm_code]) if j.submission_id == sid
    ]
    return _page(request, "submission.html", user, sub=sub, fb=sub.feedback or {}, jobs=jobs)


@route("submission_errors")
async def submission_errors(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    sid = _id(request, "sid")
    sub = await run_in_threadpool(lambda: portal.store.get_submission(sid, gm_codes=portal.scope(user)))
    store_user = _actor(user)
    await run_in_threadpool(
        portal.store.audit, store_user, "downloaded", "feedback", sid, gm_code=sub.gm_code
    )
    lang = _lang(request)
    fb = sub.feedback or {}
    header = [tr(k, lang) for k in ("col_row", "col_column", "col_value", "col_rule", "col_fix")]
    rows = [
        [
            e.get("excel_row") or tr("whole_file", lang),
            " ".join(str(x) for x in (e.get("column_letter"), e.get("header")) if x),
            e.get("value"),
            e.get("rule_text"),
            e.get("fix"),
        ]
        for e in fb.get("errors", [])
    ]
    body = exports.csv_bytes(header, rows)
    name = tr("file_errors", lang)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@route("submission_delete")
async def submission_delete(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    sid = _id(request, "sid")
    store_user = _actor(user)

    def delete() -> None:
        sub = portal.store.get_submission(sid, gm_codes=portal.scope(user))
        portal.store.delete_submission(sid, gm_codes=[sub.gm_code], reason="request")
        portal.store.audit(store_user, "deleted", "submission", sid, gm_code=sub.gm_code)

    await run_in_threadpool(delete)
    return RedirectResponse(f"/submissions/{sid}", status_code=303)


@route("submission_render")
async def submission_render(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    sid = _id(request, "sid")
    sub = await run_in_threadpool(lambda: portal.store.get_submission(sid, gm_codes=portal.scope(user)))
    if sub.status != "valid":
        return RedirectResponse(f"/submissions/{sid}", status_code=303)
    jid = await run_in_threadpool(portal.start_job, sub.gm_code, sid, _lang(request))
    return RedirectResponse(f"/jobs/{jid}", status_code=303)


@route("job")
async def job(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    jid = _id(request, "jid")
    j = await run_in_threadpool(lambda: portal.store.get_job(jid, gm_codes=portal.scope(user)))
    message, values = _job_message(j.message)
    if message is None and j.status == "failed":
        message = "job_failed_render"
    return _page(
        request,
        "job.html",
        user,
        job=j,
        message=message,
        message_values=values,
        refresh=j.status in ("queued", "running"),
    )


def _job_message(stored: str | None) -> tuple[str | None, dict[str, Any]]:
    """A job's stored message: a catalogue key, optionally followed by its values as JSON;
    anything else (an old or unknown text) is not shown."""
    if not stored:
        return None, {}
    key, _, raw = stored.partition(" ")
    if key not in MESSAGES:
        return None, {}
    try:
        values = json.loads(raw) if raw else {}
    except ValueError:
        return None, {}
    if not isinstance(values, dict):
        return None, {}
    try:  # the values must fill the text's placeholders exactly
        tr(key, "nl", **values)
    except (KeyError, IndexError, ValueError):
        return None, {}
    return key, {str(k): v for k, v in values.items()}


@route("reports")
async def reports(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    items = await run_in_threadpool(portal.store.list_reports, portal.scope(user))
    return _page(request, "reports.html", user, reports=items)


async def _report(request: Request, user: UserInfo, action: str) -> Any:
    portal = _portal(request)
    rid = _id(request, "rid")
    rep = await run_in_threadpool(lambda: portal.store.get_report(rid, gm_codes=portal.scope(user)))
    store_user = _actor(user)
    await run_in_threadpool(portal.store.audit, store_user, action, "report", rid, gm_code=rep.gm_code)
    return rep


@route("report")
async def report(request: Request, user: UserInfo) -> Response:
    rep = await _report(request, user, "viewed")
    return _page(request, "report.html", user, report=rep)


@route("report_view")
async def report_view(request: Request, user: UserInfo) -> Response:
    rep = await _report(request, user, "viewed")
    return Response(
        rep.html or "", media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": CSP_REPORT}
    )


@route("report_download")
async def report_download(request: Request, user: UserInfo) -> Response:
    rep = await _report(request, user, "downloaded")
    stamp = rep.created_at.strftime("%Y%m%d")
    name = f"rapport_{rep.gm_code}_{stamp}.html"
    return Response(
        (rep.html or "").encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": CSP_REPORT,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


@route("overview")
async def overview(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)

    def gather() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        latest = portal.store.latest_valid_submissions(ALL)
        reps = {r.gm_code: r for r in portal.store.list_reports(ALL, latest_only=True)}
        jobs: dict[str, Any] = {}
        for j in portal.store.list_jobs(ALL):
            jobs.setdefault(j.gm_code, j)
        df = _registry(portal)
        change = df[df["term"] == "mean_diff"].sort_values("recorded_at")
        keys = {r["gm_code"]: r for r in change.to_dict(orient="records")}
        return latest, reps, jobs, keys

    latest, reps, jobs, keys = await run_in_threadpool(gather)
    batches = await run_in_threadpool(portal.store.list_batches, 10)
    codes = sorted(set(latest) | set(reps) | set(jobs))
    lang = _lang(request)
    change = {
        c: fmt_ci(k["ci_lower"], k["ci_upper"], 1, lang) if k["ci_lower"] == k["ci_lower"] else ""
        for c, k in keys.items()
    }
    mean = {c: fmt_number(k["estimate"], 1, lang) for c, k in keys.items()}
    return _page(
        request,
        "overview.html",
        user,
        codes=codes,
        latest=latest,
        reps=reps,
        jobs=jobs,
        keys=keys,
        change=change,
        mean=mean,
        batches=batches,
        notice=request.query_params.get("queued"),
    )


@route("batch")
async def batch(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    lang = _lang(request)

    def run() -> int:
        bid, n = portal.start_batch(user, lang)
        if n:
            portal.store.audit(user, "batch_started", "batch", bid, detail=str(n))
        return n

    n = await run_in_threadpool(run)
    return RedirectResponse(f"/overview?queued={n}", status_code=303)


@route("batch_index")
async def batch_index(request: Request, user: UserInfo) -> Response:
    """The batch's overview page (``index.html`` of ``evalkit batch``), as it was made."""
    portal = _portal(request)
    bid = _id(request, "bid")
    run = await run_in_threadpool(portal.store.get_batch, bid)
    if run.index_html is None:
        raise NotFoundError(bid)
    await run_in_threadpool(portal.store.audit, user, "viewed", "batch", bid)
    return Response(
        run.index_html, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": CSP_REPORT}
    )


@route("batch_page")
async def batch_page(request: Request, user: UserInfo) -> Response:
    """A report linked from the batch's overview page (by the file name the index uses)."""
    portal = _portal(request)
    bid = _id(request, "bid")
    name = str(request.path_params["name"])
    run = await run_in_threadpool(portal.store.get_batch, bid)
    rid = run.reports.get(name)
    if rid is None:
        raise NotFoundError(name)
    rep = await run_in_threadpool(lambda: portal.store.get_report(rid, gm_codes=portal.scope(user)))
    await run_in_threadpool(portal.store.audit, user, "viewed", "report", rid, gm_code=rep.gm_code)
    return Response(
        rep.html or "", media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": CSP_REPORT}
    )


def _registry(portal: Portal) -> Any:
    from evalkit.store import registry

    return registry.load(portal.store)


@route("results")
async def results(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    df = await run_in_threadpool(_registry, portal)
    await run_in_threadpool(portal.store.audit, user, "viewed", "registry", None)
    return _page(request, "results.html", user, rows=df.to_dict(orient="records"))


@route("results_csv")
async def results_csv(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    df = await run_in_threadpool(_registry, portal)
    await run_in_threadpool(portal.store.audit, user, "downloaded", "registry", None)
    cols = [
        "gm_code",
        "coalition",
        "intervention",
        "year",
        "term",
        "estimate",
        "std_error",
        "ci_lower",
        "ci_upper",
        "p_value",
        "n",
        "source",
    ]
    rows = [[r.get(c) for c in cols] for r in df.to_dict(orient="records")]
    return Response(
        exports.csv_bytes(cols, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="resultaten.csv"'},
    )


@route("audit")
async def audit(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    entries = await run_in_threadpool(
        lambda: portal.store.audit_entries(gm_codes=portal.audit_scope(user), limit=500)
    )
    return _page(request, "audit.html", user, entries=entries)


@route("audit_entry")
async def audit_entry(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    raw = str(request.path_params["aid"])
    if not raw.isdigit():
        raise NotFoundError(raw)
    aid = int(raw)

    def find() -> Any:
        # entries are found only within the user's audit scope
        for e in portal.store.audit_entries(gm_codes=portal.audit_scope(user), limit=100_000):
            if e.id == aid:
                return e
        raise NotFoundError(raw)

    entry = await run_in_threadpool(find)
    return _page(request, "audit.html", user, entries=[entry], single=True)


@route("users")
async def users(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    items = await run_in_threadpool(portal.store.list_users)
    return _page(request, "users.html", user, users=items, notice=None, error=None)


@route("users_add")
async def users_add(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    form = await request.form()
    username = str(form.get("username") or "")
    role = str(form.get("role") or "")
    codes = [c for c in re.split(r"[\s,;]+", str(form.get("gm_codes") or "")) if c]
    password = secrets.token_urlsafe(12)
    error = None
    try:
        await run_in_threadpool(lambda: portal.store.add_user(username, password, role=role, gm_codes=codes))
        await run_in_threadpool(portal.store.audit, user, "user_added", "user", username)
    except (ParameterError, StoreError) as exc:
        error = str(exc)
    items = await run_in_threadpool(portal.store.list_users)
    return _page(
        request,
        "users.html",
        user,
        users=items,
        error=error,
        notice=None if error else username,
        new_password=None if error else password,
        status=422 if error else 200,
    )


@route("users_remove")
async def users_remove(request: Request, user: UserInfo) -> Response:
    portal = _portal(request)
    name = str(request.path_params["name"])
    if name == user.username:
        return _error(request, user, 403, "forbidden")
    await run_in_threadpool(portal.store.remove_user, name)
    await run_in_threadpool(portal.store.audit, user, "user_removed", "user", name)
    return RedirectResponse("/admin/users", status_code=303)


async def not_found(request: Request, exc: Exception) -> Response:
    portal = _portal(request)
    user = await run_in_threadpool(portal.user, request)
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return PlainTextResponse("Method Not Allowed", status_code=405)
    return _error(request, user, 404, "notfound")


# ----------------------------------------------------------------------------------------
# the application
# ----------------------------------------------------------------------------------------
async def _purge_loop(portal: Portal) -> None:
    """Delete uploaded files past their retention period: at start, then every hour."""
    while True:
        n = await run_in_threadpool(portal.purge)
        if n:
            await run_in_threadpool(portal.store.audit, None, "purged", "submission", None, detail=str(n))
        await asyncio.sleep(portal.config.purge_interval)


def create_app(config: PortalConfig | None = None, *, store: Store | None = None) -> Starlette:
    """The portal as an ASGI application (``app.state.portal`` holds its state)."""
    config = config or PortalConfig()
    portal = Portal(config, store)
    secret = config.session_secret or secrets.token_urlsafe(32)
    routes = [
        Route("/", home, name="home"),
        Route("/login", login_form, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang/{code}", set_lang),
        Route("/template.xlsx", template_download),
        Route("/upload", upload, methods=["GET", "POST"]),
        Route("/submissions", history),
        Route("/submissions/{sid}", submission),
        Route("/submissions/{sid}/errors.csv", submission_errors),
        Route("/submissions/{sid}/delete", submission_delete, methods=["POST"]),
        Route("/submissions/{sid}/render", submission_render, methods=["POST"]),
        Route("/jobs/{jid}", job),
        Route("/reports", reports),
        Route("/reports/{rid}", report),
        Route("/reports/{rid}/view", report_view),
        Route("/reports/{rid}/download", report_download),
        Route("/overview", overview),
        Route("/overview/batch", batch, methods=["POST"]),
        Route("/overview/batches/{bid}/index.html", batch_index),
        Route("/overview/batches/{bid}/{name}", batch_page),
        Route("/results", results),
        Route("/results.csv", results_csv),
        Route("/audit", audit),
        Route("/audit/{aid}", audit_entry),
        Route("/admin/users", users),
        Route("/admin/users/add", users_add, methods=["POST"]),
        Route("/admin/users/{name}/delete", users_remove, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(_HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(BodyLimitMiddleware, max_body=body_limit(config.max_upload)),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="evalkit_session",
            max_age=config.session_max_age,
            same_site="strict",
            https_only=config.hosted,
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        portal._lanes.clear()  # the lanes' limiters belong to this event loop
        purger = asyncio.create_task(_purge_loop(portal))
        if config.runner is render_in_worker:
            await run_in_threadpool(portal.pool.warm)
        try:
            yield
        finally:
            purger.cancel()
            portal.close()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: not_found, 405: not_found},
        lifespan=lifespan,
    )
    app.state.portal = portal
    return app
