"""Upload hardening, exports and security helpers of the portal (no database needed)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import zipfile

import openpyxl
import pytest

from evalkit.web.exports import csv_bytes, escape_cell
from evalkit.web.security import LoginThrottle
from evalkit.web.uploads import (
    BodyLimitMiddleware,
    UploadRefused,
    display_name,
    sniff,
)


def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["participant_id", "age"])
    wb.active.append(["p1", 70])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_entry(data: bytes, name: str, payload: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename))
        z.writestr(name, payload)
    return out.getvalue()


# ---------------------------------------------------------------------------- sniffing
def test_sniff_by_content_not_name():
    assert sniff(_xlsx_bytes()).kind == "xlsx"
    assert sniff(b"participant_id;age\np1;70\n").kind == "csv"
    assert sniff("deelnemer;leeftijd\nJosé;70\n".encode("cp1252")).kind == "csv"
    assert sniff(b"$FL2" + b"\x00" * 100).kind == "sav"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "upload_empty"),
        (b"   \n", "upload_empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "upload_xls"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "upload_unknown_type"),
        (b"PK\x03\x04not a zip at all", "upload_bad_xlsx"),
    ],
)
def test_sniff_refuses(data, reason):
    with pytest.raises(UploadRefused) as exc:
        sniff(data)
    assert exc.value.reason == reason


def test_zip_without_workbook_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(UploadRefused, match="upload_bad_xlsx"):
        sniff(buf.getvalue())


def test_xlsm_refused_whatever_its_name():
    macro = _with_entry(_xlsx_bytes(), "xl/vbaProject.bin", b"\x00" * 512)
    with pytest.raises(UploadRefused) as exc:
        sniff(macro)
    assert exc.value.reason == "upload_macro"
    # a macro-enabled content type without the binary is refused as well
    src = zipfile.ZipFile(io.BytesIO(_xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
            z.writestr(info, body)
    with pytest.raises(UploadRefused, match="upload_macro"):
        sniff(out.getvalue())


def test_zip_bomb_refused_without_unpacking():
    # 300 MB of zeros compress to ~300 KB: refused from the directory, never inflated
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\x00" * (1 << 20)
            for _ in range(300):
                fh.write(chunk)
    data = buf.getvalue()
    assert len(data) < 2_000_000
    with pytest.raises(UploadRefused, match="upload_zip_bomb"):
        sniff(data)


def test_many_entries_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for i in range(2_100):
            z.writestr(f"xl/x{i}.xml", "")
    with pytest.raises(UploadRefused, match="upload_zip_bomb"):
        sniff(buf.getvalue())


# ---------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "raw, shown",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\x.xlsx", "x.xlsx"),
        ("/abs/path/coalitie 2024.xlsx", "coalitie 2024.xlsx"),
        ("<script>alert(1)</script>.csv", "script_.csv"),
        ("..", "bestand"),
        ("", "bestand"),
        ("a\x00b.csv", "a_b.csv"),
    ],
)
def test_display_name_is_harmless(raw, shown):
    out = display_name(raw)
    assert out == shown
    assert "/" not in out and "\\" not in out and "\x00" not in out and ".." != out


# ---------------------------------------------------------------------------- exports
@pytest.mark.parametrize(
    "value", ["=1+1", "+31 6 123", "-2+3", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://x")']
)
def test_formula_injection_escaped(value):
    assert escape_cell(value) == "'" + value
    data = csv_bytes(["a"], [[value]]).decode("utf-8-sig")
    cells = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert cells[1][0] == "'" + value


def test_numbers_and_plain_text_unchanged():
    assert escape_cell(-3.5) == -3.5
    assert escape_cell(7) == 7
    assert escape_cell("GM0363") == "GM0363"
    assert escape_cell(None) == ""


# ---------------------------------------------------------------------------- body limit
def _run_app(limit: int, chunks, content_length: int | None = None):
    """Drive BodyLimitMiddleware with a fake ASGI server; return (status, bytes read)."""
    read = {"n": 0}

    async def app(scope, receive, send):
        while True:
            msg = await receive()
            read["n"] += len(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []
    it = iter(chunks)

    async def receive():
        try:
            body = next(it)
        except StopIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(msg):
        sent.append(msg)

    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    mw = BodyLimitMiddleware(app, max_body=limit)
    asyncio.run(mw({"type": "http", "headers": headers}, receive, send))
    return sent[0]["status"], read["n"]


def test_endless_body_cut_at_limit():
    chunk = b"x" * 65536

    def endless():
        while True:
            yield chunk

    status, n = _run_app(1_000_000, endless())
    assert status == 413
    assert n <= 1_000_000  # the app never saw more than the limit


def test_declared_length_above_limit_refused_before_reading():
    status, n = _run_app(1000, iter([b"x" * 10]), content_length=10_000)
    assert status == 413 and n == 0


def test_body_within_limit_passes():
    status, n = _run_app(1000, iter([b"x" * 500]))
    assert status == 200 and n == 500


# ---------------------------------------------------------------------------- throttle
def test_throttle_locks_after_failures_and_expires():
    now = [0.0]
    th = LoginThrottle(max_failures=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert not th.locked("anna", "10.0.0.1")
        th.failed("anna", "10.0.0.1")
    assert th.locked("anna", "10.0.0.1")
    assert th.locked("ANNA", "10.0.0.2")  # the name is locked from any address
    assert th.locked("bert", "10.0.0.1")  # and the address for any name
    assert not th.locked("bert", "10.0.0.9")
    now[0] = 61.0
    assert not th.locked("anna", "10.0.0.1")


def test_no_temp_files_left_by_sniff(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    sniff(_xlsx_bytes())
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------- texts
def test_every_portal_text_in_both_languages_and_every_used_key_exists():
    import re
    from pathlib import Path

    from evalkit.web import messages

    for key, texts in messages.MESSAGES.items():
        assert set(texts) == {"nl", "en"} and all(texts.values()), key
    used = set()
    for tpl in (Path(messages.__file__).parent / "templates").glob("*.html"):
        used |= set(re.findall(r"""_\(["']([a-z_0-9]+)["']""", tpl.read_text(encoding="utf-8")))
    src = (Path(messages.__file__).parent / "app.py").read_text(encoding="utf-8")
    used |= set(re.findall(r"""["']((?:upload|job_failed|login)_[a-z_]+)["']""", src))
    used = {k for k in used if not k.endswith("_")}  # prefixes of the keys below
    used |= {f"role_{r}" for r in ("coalition", "programme", "committee", "admin", "local")}
    used |= {f"status_{s}" for s in ("received", "invalid", "valid", "deleted")}
    used |= {"job_queued", "job_running"}
    assert used <= set(messages.MESSAGES), used - set(messages.MESSAGES)
