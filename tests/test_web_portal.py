"""The portal in-process: the coalition's way, the authorisation matrix, security.

Render workers are stand-ins here (tests/web_portal_support.py); the real report render
runs in the browser test (tests/test_web_browser.py).
"""

from __future__ import annotations

import csv
import io
import re
import socket
import time
import tracemalloc
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_portal_support import (
    REPORT_MARKER,
    analysis_failing_render,
    coalition_frame,
    failing_render,
    fake_batch,
    fake_render,
    live_server,
    slow_for_first_render,
    slow_render,
    three_mistakes,
    xlsx_bytes,
)

from evalkit.core.errors import NotFoundError
from evalkit.store import Store, generate_key
from evalkit.web.app import ROUTE_ROLES, PortalConfig, create_app

PASSWORD = "correct horse battery"
A, B = "GM0014", "GM0034"


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def _wait_job(client: TestClient, url: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(url)
        status = re.search(r'data-status="(\w+)"', r.text).group(1)
        if status in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def _upload(
    client: TestClient, data: bytes, name: str = "coalitie.xlsx", code: str = A, token: str | None = None
):
    if token is None:
        token = _token(client.get("/upload").text)
    return client.post("/upload", data={"csrf_token": token, "gm_code": code}, files={"file": (name, data)})


@pytest.fixture(scope="module")
def frames():
    good = coalition_frame(A)
    bad, where = three_mistakes(good)
    return good, bad, where


# ---------------------------------------------------------------------------- local mode
@pytest.fixture
def local_app(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'portal.sqlite3'}", key=generate_key())
    app = create_app(PortalConfig(runner=fake_render), store=store)
    with TestClient(app) as client:
        yield client, store


def test_local_way_through(local_app, frames):
    client, store = local_app
    good, bad, where = frames
    home = client.get("/")
    assert home.status_code == 200 and 'lang="nl"' in home.text
    assert "Excel-sjabloon" in home.text
    tpl = client.get("/template.xlsx")
    assert tpl.status_code == 200 and tpl.content[:2] == b"PK"

    r = _upload(client, xlsx_bytes(bad), name="../../etc/coalitie.xlsx")
    assert r.status_code == 200 and "/submissions/" in str(r.url)
    rows = re.findall(
        r"<tr>\s*<td class=\"num\">(\d+)</td>\s*<td>(.*?)</td>\s*<td><code>(.*?)</code>", r.text, re.DOTALL
    )
    assert [(int(row), re.sub("<.*?>", "", col).split()[-1], val) for row, col, val in rows] == [
        (excel_row, col, str(value)) for excel_row, col, value in where
    ]
    assert "coalitie.xlsx" in r.text and "etc/" not in r.text
    (sub,) = store.list_submissions([A])
    assert sub.original_name == "coalitie.xlsx" and sub.status == "invalid"

    # the error table as CSV (semicolons, formula-safe)
    sid = str(r.url).rsplit("/", 1)[-1]
    table = client.get(f"/submissions/{sid}/errors.csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(table), delimiter=";"))
    assert lines[0][0] == "Rij" and [int(x[0]) for x in lines[1:]] == [w[0] for w in where]

    r = _upload(client, xlsx_bytes(good))
    assert "/jobs/" in str(r.url)
    assert _wait_job(client, str(r.url)) == "done"
    page = client.get(str(r.url)).text
    rid = re.search(r'href="/reports/([0-9a-f]{32})"', page).group(1)
    view = client.get(f"/reports/{rid}/view")
    assert REPORT_MARKER in view.text
    assert "script-src" not in view.headers["content-security-policy"]
    assert view.headers["content-security-policy"].startswith("default-src 'none'")
    dl = client.get(f"/reports/{rid}/download")
    assert dl.headers["content-disposition"].startswith("attachment;")
    hist = client.get("/submissions").text
    assert hist.count("coalitie.xlsx") == 2
    assert client.get("/reports").text.count(f"/reports/{rid}") == 1
    actions = {e.action for e in store.audit_entries(gm_codes=[A])}
    assert {"uploaded", "viewed", "downloaded", "rendered"} <= actions


def test_english_on_request(local_app):
    client, _ = local_app
    r = client.get("/lang/en?next=/upload")
    assert r.status_code == 200 and 'lang="en"' in r.text and "Upload a file" in r.text
    assert client.get("/lang/nl?next=//evil.example").url.path == "/"


def test_local_mode_only_loopback():
    from evalkit.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--no-browser"]) == 2


def test_delete_on_request(local_app, frames):
    client, store = local_app
    r = _upload(client, xlsx_bytes(frames[1]))
    sid = str(r.url).rsplit("/", 1)[-1]
    r = client.post(f"/submissions/{sid}/delete", data={"csrf_token": _token(r.text)})
    assert r.status_code == 200 and "verwijderd" in r.text
    with pytest.raises(NotFoundError):
        store.read_submission(sid, gm_codes=[A])
    assert "7" not in re.sub(r"<[^>]+>", "", r.text.split('<main id="main">')[1]).split()


# ---------------------------------------------------------------------------- hosted
USERS = {
    "coal_a": ("coalition", [A]),
    "coal_b": ("coalition", [B]),
    "programme": ("programme", []),
    "committee": ("committee", []),
    "admin": ("admin", []),
}


@pytest.fixture(scope="module")
def hosted(tmp_path_factory, frames):
    tmp = tmp_path_factory.mktemp("hosted")
    store = Store(f"sqlite:///{tmp / 'portal.sqlite3'}", key=generate_key())
    store.upgrade()
    for name, (role, codes) in USERS.items():
        store.add_user(name, PASSWORD, role=role, gm_codes=codes)
    store.add_user("throwaway", PASSWORD, role="committee")
    app = create_app(
        PortalConfig(
            hosted=True,
            runner=fake_render,
            batch_runner=fake_batch,
            session_secret="test-secret-" + "x" * 20,
            login_max_failures=5,
        ),
        store=store,
    )
    objects = {}
    with TestClient(app, base_url="https://testserver") as setup:
        _login(setup, "coal_a")
        r = _upload(setup, xlsx_bytes(frames[1]), name="geheim_A.xlsx")
        objects["sid"] = str(r.url).rsplit("/", 1)[-1]
        r = _upload(setup, xlsx_bytes(frames[0]), name="geheim_A_ok.xlsx")
        objects["jid"] = str(r.url).rsplit("/", 1)[-1]
        assert _wait_job(setup, str(r.url)) == "done"
        objects["rid"] = store.get_job(objects["jid"], gm_codes=[A]).report_id
        objects["valid_sid"] = store.get_job(objects["jid"], gm_codes=[A]).submission_id
        entry = store.audit_entries(gm_codes=[A], action="uploaded")[0]
        objects["aid"] = str(entry.id)
        objects["bid"] = store.create_batch("programme", 1)
        objects["page"] = "GM0014-groningen.html"
        store.update_batch(
            objects["bid"],
            "done",
            n_ok=1,
            n_failed=0,
            index_html="<html>BATCH-INDEX</html>",
            reports={objects["page"]: objects["rid"]},
        )
    yield app, store, objects


def _login(client: TestClient, name: str, password: str = PASSWORD):
    token = _token(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "username": name, "password": password})


# (method, path, route name); {sid} {rid} {jid} {aid} are coalition A's objects
ROUTES = [
    ("GET", "/", "home"),
    ("GET", "/template.xlsx", "template"),
    ("GET", "/upload", "upload"),
    ("POST", "/upload", "upload"),
    ("GET", "/submissions", "history"),
    ("GET", "/submissions/{sid}", "submission"),
    ("GET", "/submissions/{sid}/errors.csv", "submission_errors"),
    ("POST", "/submissions/{valid_sid}/render", "submission_render"),
    ("POST", "/submissions/{sid}/delete", "submission_delete"),
    ("GET", "/jobs/{jid}", "job"),
    ("GET", "/reports", "reports"),
    ("GET", "/reports/{rid}", "report"),
    ("GET", "/reports/{rid}/view", "report_view"),
    ("GET", "/reports/{rid}/download", "report_download"),
    ("GET", "/overview", "overview"),
    ("POST", "/overview/batch", "batch"),
    ("GET", "/overview/batches/{bid}/index.html", "batch_index"),
    ("GET", "/overview/batches/{bid}/{page}", "batch_page"),
    ("GET", "/results", "results"),
    ("GET", "/results.csv", "results_csv"),
    ("GET", "/audit", "audit"),
    ("GET", "/audit/{aid}", "audit_entry"),
    ("GET", "/admin/users", "users"),
    ("POST", "/admin/users/add", "users_add"),
    ("POST", "/admin/users/throwaway/delete", "users_remove"),
]
OBJECT_ROUTES = {
    "submission",
    "submission_errors",
    "submission_render",
    "submission_delete",
    "job",
    "report",
    "report_view",
    "report_download",
    "audit_entry",
}
# what must never appear in a refused answer: A's file names, error values, report page
SECRETS = ("geheim_A", REPORT_MARKER, "onbekend?", "BATCH-INDEX")


def test_every_route_is_in_the_matrix():
    assert {name for _, _, name in ROUTES} == set(ROUTE_ROLES)


@pytest.mark.parametrize("actor", ["anonymous", *USERS])
def test_authorisation_matrix(hosted, frames, actor):
    app, _, objects = hosted
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        if actor != "anonymous":
            assert _login(client, actor).status_code == 303
        token = _token(client.get("/login" if actor == "anonymous" else "/").text)
        role = USERS[actor][0] if actor != "anonymous" else None
        for method, path, name in ROUTES:
            url = path.format(**objects)
            if method == "GET":
                r = client.get(url)
            elif name == "upload":
                r = client.post(
                    url,
                    data={"csrf_token": token, "gm_code": A},
                    files={"file": ("x.xlsx", xlsx_bytes(frames[1]))},
                )
            elif name == "users_add":
                r = client.post(
                    url,
                    data={
                        "csrf_token": token,
                        "username": f"new_{actor}",
                        "role": "committee",
                        "gm_codes": "",
                    },
                )
            else:
                r = client.post(url, data={"csrf_token": token})
            where = f"{actor} {method} {url}"
            if role is None:
                expected = {303} if method == "GET" else {403}
                if method == "GET":
                    assert r.headers["location"] == "/login", where
            elif role not in ROUTE_ROLES[name]:
                expected = {403}
            elif name in OBJECT_ROUTES and actor == "coal_b":
                expected = {404}  # another coalition's object: not found, not even "forbidden"
            elif name == "upload" and method == "POST" and actor == "coal_b":
                expected = {403}  # uploading for another coalition's municipality
            else:
                expected = {200, 303}
            assert r.status_code in expected, f"{where}: {r.status_code}"
            if r.status_code not in (200, 303) or actor in ("coal_b", "committee", "admin"):
                body = r.content.decode("utf-8", "replace")
                for secret in SECRETS:
                    assert secret not in body, f"{where} shows {secret!r}"


def test_other_coalitions_lists_stay_empty(hosted):
    app, _, objects = hosted
    with TestClient(app, base_url="https://testserver") as client:
        _login(client, "coal_b")
        for url in ("/submissions", "/reports", "/audit"):
            body = client.get(url).text
            assert "geheim_A" not in body and objects["rid"] not in body, url
            assert objects["sid"] not in body, url


def test_committee_sees_aggregates_only(hosted):
    app, _, _ = hosted
    with TestClient(app, base_url="https://testserver") as client:
        _login(client, "committee")
        page = client.get("/results").text
        assert "mean_diff" in page and "GM0014" in page and "2024" in page
        data = client.get("/results.csv").content.decode("utf-8-sig")
        header = data.splitlines()[0].split(";")
        assert "participant_id" not in header and header[:2] == ["gm_code", "coalition"]
        assert client.get("/reports").status_code == 403


# ---------------------------------------------------------------------------- security
def test_cookie_flags(hosted, tmp_path):
    app, _, _ = hosted
    with TestClient(app, base_url="https://testserver") as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    store = Store(f"sqlite:///{tmp_path / 'l.sqlite3'}", key=generate_key())
    with TestClient(create_app(PortalConfig(runner=fake_render), store=store)) as client:
        cookie = client.get("/").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie


def test_csrf_missing_or_wrong_refused(hosted, frames):
    app, store, objects = hosted
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        r = client.post("/login", data={"username": "coal_a", "password": PASSWORD})
        assert r.status_code == 403  # login form without token
        _login(client, "coal_a")
        token = _token(client.get("/").text)
        n = len(store.list_submissions([A]))
        for data in ({}, {"csrf_token": "wrong"}, {"csrf_token": token[:-1]}):
            r = client.post(
                "/upload", data={"gm_code": A, **data}, files={"file": ("x.xlsx", xlsx_bytes(frames[1]))}
            )
            assert r.status_code == 403 and "formulier" in r.text
            r = client.post(f"/submissions/{objects['valid_sid']}/delete", data=data)
            assert r.status_code == 403
            # a multipart body is checked the same way
            r = client.post(
                f"/submissions/{objects['valid_sid']}/delete", data=data, files={"x": ("x.txt", b"x")}
            )
            assert r.status_code == 403
        assert len(store.list_submissions([A])) == n
        assert store.get_submission(objects["valid_sid"], gm_codes=[A]).status == "valid"
        # the right token from another site (Origin) is refused as well
        r = client.post(
            f"/submissions/{objects['valid_sid']}/render",
            data={"csrf_token": token},
            headers={"origin": "https://evil.example"},
        )
        assert r.status_code == 403
        # a token from another session does not work in this one
        with TestClient(app, base_url="https://testserver") as other:
            other_token = _token(other.get("/login").text)
        r = client.post(f"/submissions/{objects['valid_sid']}/render", data={"csrf_token": other_token})
        assert r.status_code == 403


def test_password_guessing_throttled(hosted):
    app, store, _ = hosted
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        for i in range(5):
            assert _login(client, "committee", f"wrong-guess-{i:04d}").status_code == 401
        r = _login(client, "committee", PASSWORD)  # even the right password now waits
        assert r.status_code == 429 and "Te veel" in r.text
    failed = store.audit_entries(gm_codes=store_all(), action="login_failed")
    assert len(failed) >= 5
    app.state.portal.throttle.succeeded("committee", "testclient")
    app.state.portal.throttle.clear()


def store_all():
    from evalkit.store import ALL

    return ALL


def test_refused_files_are_harmless(local_app):
    client, store = local_app
    import zipfile

    good = xlsx_bytes(coalition_frame(A))
    macro = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(good))
    with zipfile.ZipFile(macro, "w") as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename))
        z.writestr("xl/vbaProject.bin", b"\x00" * 100)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(300):
                fh.write(b"\x00" * (1 << 20))
    for data, name, text in [
        (macro.getvalue(), "macro.xlsm", "macro"),
        (macro.getvalue(), "innocent.xlsx", "macro"),
        (bomb.getvalue(), "bomb.xlsx", "onredelijk"),
        (b"\x7fELF\x02\x01" + b"\x00" * 64, "../../bin/sh", "geen xlsx"),
    ]:
        r = _upload(client, data, name=name)
        assert r.status_code == 422 and text in r.text, name
    assert store.list_submissions(store_all()) == []


def test_formula_injection_escaped_in_exports(local_app):
    client, _ = local_app
    frame = coalition_frame(A).astype(object)
    frame.loc[0, "gender"] = '=HYPERLINK("http://evil.example","klik")'
    frame.loc[1, "education"] = "@SUM(1+1)"
    r = _upload(client, frame.to_csv(index=False, sep=";").encode("utf-8"), name="f.csv")
    sid = str(r.url).rsplit("/", 1)[-1]
    data = client.get(f"/submissions/{sid}/errors.csv").content.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(data), delimiter=";") for c in row]
    assert '\'=HYPERLINK("http://evil.example","klik")' in cells
    assert "'@SUM(1+1)" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "-" not in {c[:1] for c in cells if c and not c[1:2].isdigit()}


def test_pages_make_no_outside_requests(local_app, frames):
    client, _ = local_app
    for url in ("/", "/upload", "/submissions", "/reports", "/audit"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text), url
        assert "<script" not in r.text
    css = client.get("/static/portal.css").text
    assert "@import" not in css and "url(" not in css


def test_upload_too_large_refused_in_form(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite3'}", key=generate_key())
    app = create_app(PortalConfig(runner=fake_render, max_upload=100_000), store=store)
    with TestClient(app) as client:
        r = _upload(client, b"a;b\n" + b"1;2\n" * 60_000, name="big.csv")
        assert r.status_code == 413
    assert store.list_submissions(store_all()) == []


def test_endless_upload_cut_without_filling_memory_or_disk(tmp_path, monkeypatch):
    """A chunked body that never ends: the server answers 413 once the limit passes and
    stops reading; memory and the temporary folder stay small."""
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    store = Store(f"sqlite:///{tmp_path / 'e.sqlite3'}", key=generate_key())
    limit = 2 * 1024 * 1024
    app = create_app(PortalConfig(runner=fake_render, max_upload=limit), store=store)
    tracemalloc.start()
    sent = 0
    with live_server(app) as base:
        port = int(base.rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        boundary = "xBOUNDARYx"
        head = (
            f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        sock.sendall(head)
        part = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="endless.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        chunk = b"1;2;3;4;5;6;7;8\n" * 4096  # 64 KiB
        answer = b""
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            while sent < 50 * limit:  # stop the test, not the server, after 100 MB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
        sock.close()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert sent < 50 * limit, "the server kept reading past the limit"
    assert peak < 8 * limit, f"peak Python memory {peak / 1e6:.1f} MB"
    spooled = sum(f.stat().st_size for f in spool.rglob("*") if f.is_file())
    assert spooled <= limit + 1_000_000
    assert store.list_submissions(store_all()) == []


def test_failed_or_killed_render_leaves_no_page(tmp_path, monkeypatch, frames):
    import os
    import signal

    marker = tmp_path / "pid"
    monkeypatch.setenv("EVALKIT_TEST_MARKER", str(marker))
    for runner, expected in ((failing_render, "failed"), (slow_render, "failed")):
        store = Store(f"sqlite:///{tmp_path / f'{runner.__name__}.sqlite3'}", key=generate_key())
        app = create_app(PortalConfig(runner=runner), store=store)
        with TestClient(app) as client:
            r = _upload(client, xlsx_bytes(frames[0]))
            job_url = str(r.url)
            if runner is slow_render:
                deadline = time.monotonic() + 60
                while not marker.exists() and time.monotonic() < deadline:
                    time.sleep(0.1)
                os.kill(int(marker.read_text()), signal.SIGKILL)
            assert _wait_job(client, job_url) == expected
            page = client.get(job_url).text
            assert "geen (half) rapport" in page
            assert store.list_reports(store_all()) == []
            # the portal goes on: the next render works in a fresh worker
            app.state.portal.pool.runner = fake_render
            token = _token(client.get("/upload").text)
            sid = store.list_submissions([A])[0].id
            r = client.post(f"/submissions/{sid}/render", data={"csrf_token": token})
            assert _wait_job(client, str(r.url)) == "done"


def test_analysis_failure_after_a_valid_check_says_what_and_what_to_do(tmp_path, frames):
    """A valid file for another municipality: the job page names the codes and what to do."""
    store = Store(f"sqlite:///{tmp_path / 'analysis.sqlite3'}", key=generate_key())
    app = create_app(PortalConfig(runner=analysis_failing_render), store=store)
    with TestClient(app) as client:
        r = _upload(client, xlsx_bytes(frames[0]), code=B)  # the file is A's (GM0014)
        assert "/jobs/" in str(r.url), "the file itself is valid"
        assert _wait_job(client, str(r.url)) == "failed"
        page = client.get(str(r.url)).text
    assert f"geen enkele rij in met gemeentecode {B}" in page
    assert f"staat: {A})" in page and "Wat u kunt doen" in page
    assert "De analyse van dit bestand lukte niet" not in page  # not the generic text
    assert store.list_reports(store_all()) == []


def test_analysis_failure_reasons_in_the_worker(tmp_path, frames):
    """The real worker function (in this process): each reason gets its own message."""
    from evalkit.web.jobs import RenderTask, render_in_worker

    good = frames[0]
    other_code = render_in_worker(RenderTask("1" * 32, B, "Appingedam", xlsx_bytes(good), ".xlsx"))
    assert (other_code.status, other_code.message) == ("failed", "job_failed_analysis_code")
    assert other_code.values == {"code": B, "found": A} and other_code.html is None
    pre_only = good[good["wave"] == "pre"].reset_index(drop=True)
    no_pairs = render_in_worker(RenderTask("2" * 32, A, "Groningen", xlsx_bytes(pre_only), ".xlsx"))
    assert no_pairs.message == "job_failed_analysis_pairs"
    assert no_pairs.values == {"n": int(pre_only["participant_id"].nunique())}


def test_killed_worker_fails_only_its_own_job(tmp_path, monkeypatch, frames):
    """Two workers; the worker rendering A's report is killed: A's job fails (no page),
    B's job running beside it and the jobs queued after it all finish."""
    import os
    import signal

    marker = tmp_path / "pid"
    monkeypatch.setenv("EVALKIT_TEST_MARKER", str(marker))
    store = Store(f"sqlite:///{tmp_path / 'kill.sqlite3'}", key=generate_key())
    app = create_app(PortalConfig(runner=slow_for_first_render, workers=2), store=store)
    portal = app.state.portal
    with TestClient(app) as client:
        job_a = str(_upload(client, xlsx_bytes(frames[0]), code=A).url)
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        others = [str(_upload(client, xlsx_bytes(frames[0]), code=B).url) for _ in range(3)]
        jid_a = job_a.rsplit("/", 1)[-1]
        pid = int(marker.read_text())
        assert portal.pool.running_pid(jid_a) == pid
        os.kill(pid, signal.SIGKILL)
        assert _wait_job(client, job_a) == "failed"
        assert "afgebroken" in client.get(job_a).text
        assert [_wait_job(client, url) for url in others] == ["done"] * 3
    assert store.list_reports([A]) == []
    assert len(store.list_reports([B])) == 3


def test_throttle_shared_by_server_processes(tmp_path, frames):
    """Two portal processes on one database (as behind a load balancer): failures at one
    lock the name at the other, for the right password too."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    key = generate_key()
    store = Store(url, key=key)
    store.upgrade()
    store.add_user("gedeeld", PASSWORD, role="committee")
    apps = [
        create_app(
            PortalConfig(hosted=True, runner=fake_render, session_secret="s" * 32, login_max_failures=3),
            store=Store(url, key=key),
        )
        for _ in range(2)
    ]
    with (
        TestClient(apps[0], base_url="https://testserver", follow_redirects=False) as one,
        TestClient(apps[1], base_url="https://testserver", follow_redirects=False) as two,
    ):
        for i, client in enumerate((one, two, one)):
            assert _login(client, "gedeeld", f"fout-wachtwoord-{i}").status_code == 401
        r = _login(two, "gedeeld")
        assert r.status_code == 429 and "Te veel" in r.text
        apps[1].state.portal.throttle.clear()  # an admin unlocks: both processes see it
        assert _login(one, "gedeeld").status_code == 303


def test_users_cli(tmp_path, monkeypatch, capsys):
    from evalkit.cli import main

    url = f"sqlite:///{tmp_path / 'u.sqlite3'}"
    monkeypatch.setenv("EVALKIT_STORE_KEY", generate_key().decode())
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "users",
                "add",
                "anna",
                "--role",
                "coalition",
                "--codes",
                A,
                "--database",
                url,
                "--password-stdin",
            ]
        )
        == 0
    )
    assert main(["users", "list", "--database", url]) == 0
    assert "anna\tcoalition\tGM0014" in capsys.readouterr().out
    assert Store(url).verify_password("anna", PASSWORD) is not None
    assert main(["users", "remove", "anna", "--database", url]) == 0
    assert main(["users", "remove", "anna", "--database", url]) == 1
    assert "geen account" in capsys.readouterr().err


def test_retention_runs_in_the_server(tmp_path, frames):
    """Files past the retention period are deleted when the portal starts (and hourly)."""
    import datetime as dt

    store = Store(f"sqlite:///{tmp_path / 'r.sqlite3'}", key=generate_key())
    store.upgrade()
    old = store.save_submission(
        None,
        A,
        "oud.xlsx",
        xlsx_bytes(frames[0]),
        kind="xlsx",
        now=dt.datetime.now(dt.UTC) - dt.timedelta(days=91),
    )
    new = store.save_submission(None, A, "nieuw.xlsx", xlsx_bytes(frames[0]), kind="xlsx")
    with TestClient(create_app(PortalConfig(runner=fake_render), store=store)):
        time.sleep(0.5)
    assert store.get_submission(old, gm_codes=[A]).deleted
    assert not store.get_submission(new, gm_codes=[A]).deleted
    assert store.read_submission(new, gm_codes=[A])[:2] == b"PK"
    assert any(e.action == "purged" for e in store.audit_entries(gm_codes=store_all()))


def test_render_time_limit(tmp_path, frames, monkeypatch):
    monkeypatch.setenv("EVALKIT_TEST_MARKER", str(tmp_path / "pid"))
    store = Store(f"sqlite:///{tmp_path / 't.sqlite3'}", key=generate_key())
    app = create_app(PortalConfig(runner=slow_render, job_timeout=2), store=store)
    with TestClient(app) as client:
        r = _upload(client, xlsx_bytes(frames[0]))
        assert _wait_job(client, str(r.url)) == "failed"
        assert "te lang" in client.get(str(r.url)).text
        assert store.list_reports(store_all()) == []


def test_removed_account_loses_its_session(hosted):
    app, store, _ = hosted
    store.add_user("shortlived", PASSWORD, role="coalition", gm_codes=[B])
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        assert _login(client, "shortlived").status_code == 303
        assert client.get("/reports").status_code == 200
        store.remove_user("shortlived")
        r = client.get("/reports")
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_serve_command_starts_local_portal(tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request

    from web_portal_support import free_port

    port = free_port()
    env = {**os.environ, "EVALKIT_DATA_DIR": str(tmp_path)}
    env.pop("EVALKIT_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalkit.cli", "serve", "--no-browser", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        proc.stderr.read() if proc.poll() is not None else "no answer"
                    ) from None
                time.sleep(0.5)
        assert "Lokaal: uw gegevens blijven op deze computer." in body
        assert (tmp_path / "evalkit.sqlite3").exists() and (tmp_path / "store.key").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_programme_overview_and_batch(hosted):
    app, store, objects = hosted
    with TestClient(app, base_url="https://testserver") as client:
        _login(client, "programme")
        page = client.get("/overview").text
        row = re.search(r"<tr>\s*<td>Groningen \(GM0014\)</td>(.*?)</tr>", page, re.S).group(1)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        # latest valid file, job, report, change with its interval, n (fake render: -1.0, n 50)
        assert cells[3] == "−1,0 95%-BI [−1,4; −0,6]" and cells[4] == "50"
        n_batches = len(store.list_batches())
        r = client.post("/overview/batch", data={"csrf_token": _token(page)})
        assert r.status_code == 200 and "van 1 coalitie(s) staat in de wachtrij" in r.text
        deadline = time.monotonic() + 60
        while store.list_batches()[0].status not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
        run = store.list_batches()[0]
        assert len(store.list_batches()) == n_batches + 1 and run.status == "done"
        assert (run.n_ok, run.n_failed) == (1, 0)
        overview = client.get("/overview").text
        assert f'href="/overview/batches/{run.id}/index.html"' in overview
        index = client.get(f"/overview/batches/{run.id}/index.html")
        assert "BATCH-INDEX" in index.text and index.headers["content-security-policy"].startswith(
            "default-src 'none'"
        )
        linked = client.get(f"/overview/batches/{run.id}/GM0014-fake.html")  # the index's relative link
        assert linked.status_code == 200 and f"{REPORT_MARKER} GM0014 batch" in linked.text
        assert client.get(f"/overview/batches/{run.id}/../../reports").status_code == 404
    batch_reports = [r for r in store.list_reports([A]) if r.source == "batch"]
    assert len(batch_reports) == 1


def test_programme_batch_with_the_comparison_of_all_coalitions(tmp_path):
    """The real batch (``evalkit batch`` in a render worker) over two coalitions' latest valid
    files: every page has the comparison across coalitions (the snapshot), the overview page
    is stored, the pages are stored as batch reports with their disclosure records, and the
    decrypted files are gone afterwards."""
    import glob
    import tempfile

    store = Store(f"sqlite:///{tmp_path / 'batch.sqlite3'}", key=generate_key())
    store.upgrade()
    store.add_user("prog", PASSWORD, role="programme")
    app = create_app(
        PortalConfig(hosted=True, runner=fake_render, session_secret="b" * 32, workers=1), store=store
    )
    second = "GM0153"  # another example coalition with data
    for code in (A, second):
        frame = coalition_frame(code)
        assert len(frame) > 20
        sid = store.save_submission(None, code, f"{code}.xlsx", xlsx_bytes(frame), kind="xlsx")
        store.set_validation(sid, "valid", {"ok": True})
    before = set(glob.glob(str(Path(tempfile.gettempdir()) / "evalkit-batch-*")))
    with TestClient(app, base_url="https://testserver") as client:
        _login(client, "prog")
        token = _token(client.get("/overview").text)
        assert client.post("/overview/batch", data={"csrf_token": token}).status_code == 200
        deadline = time.monotonic() + 600
        while store.list_batches()[0].status not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
        run = store.get_batch(store.list_batches()[0].id)
        assert run.status == "done", run.message
        assert (run.n_ok, run.n_failed) == (2, 0)
        assert "Groningen" in run.index_html and run.index_disclosure
        for name, rid in run.reports.items():
            page = client.get(f"/overview/batches/{run.id}/{name}").text
            assert "Elke stip is een coalitie" in page, name  # the funnel over all coalitions
            rep = store.get_report(rid, gm_codes=ALL_CODES())
            assert rep.source == "batch" and rep.disclosure
    assert set(glob.glob(str(Path(tempfile.gettempdir()) / "evalkit-batch-*"))) == before
    from evalkit.store import registry

    assert set(registry.load(store)["gm_code"]) == {A, second}


def ALL_CODES():  # noqa: N802 - reads as the constant it returns
    from evalkit.store import ALL

    return ALL
