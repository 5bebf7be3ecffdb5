"""Upload hardening: size limit while streaming, type from content, zip-bomb guard.

Nothing here trusts the browser: the file name is kept only as text to show (never as a
path), the type is sniffed from the first bytes and the archive structure, and the size
limit is enforced on the request body as it streams in, before any parser buffers it.

- :class:`BodyLimitMiddleware` (pure ASGI) counts the bytes of every request body and
  answers ``413`` as soon as the count passes the limit, so an endless upload costs at
  most the limit in memory or on disk.
- :func:`sniff` decides ``xlsx``, ``sav`` or ``csv`` from the content, refusing macro
  workbooks (``.xlsm``: ``vbaProject.bin`` or a macro-enabled content type), zip bombs
  (too many entries, too large uncompressed, extreme compression ratios), old binary Excel
  and anything else that is not a data file.
- :func:`display_name` turns a client file name into harmless text for pages.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_MAX_UPLOAD",
    "BodyLimitMiddleware",
    "Sniffed",
    "UploadRefused",
    "display_name",
    "sniff",
]

#: Default upload limit: 20 MB.
DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024

#: Multipart overhead allowed on top of the file limit (boundaries, headers, small fields).
_FORM_OVERHEAD = 64 * 1024

# zip-bomb guard: an xlsx of a coalition (<= a few thousand rows) unpacks to a few MB.
_ZIP_MAX_ENTRIES = 2_000
_ZIP_MAX_TOTAL = 200 * 1024 * 1024  # sum of uncompressed sizes
_ZIP_MAX_RATIO = 200  # uncompressed / compressed per entry (xml ~ 5-30x)
_ZIP_RATIO_FLOOR = 1024 * 1024  # ratios only matter for entries above 1 MB

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class UploadRefused(Exception):
    """An uploaded file is refused; ``reason`` is a message key of the portal catalogue."""

    def __init__(self, reason: str, **details: Any):
        super().__init__(reason)
        self.reason = reason
        self.details = details


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``max_body`` bytes while they stream in.

    A ``Content-Length`` above the limit is refused before a byte is read; a chunked or
    lying body is cut as soon as the running count passes the limit. The answer is
    ``413`` with a short Dutch/English text (the page cannot render a form any more: the
    body was not read to its end).
    """

    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = int(max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_body or declared < 0:
                    await _send_413(send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send)


async def _send_413(send: Send) -> None:
    body = b"Het bestand is te groot. / The file is too large.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def body_limit(max_upload: int) -> int:
    """The request-body limit for a file limit (the form's overhead added)."""
    return int(max_upload) + _FORM_OVERHEAD


@dataclass(frozen=True)
class Sniffed:
    """What an upload is: ``kind`` in ``xlsx``, ``sav``, ``csv``; ``suffix`` to store it."""

    kind: str

    @property
    def suffix(self) -> str:
        return "." + self.kind


def _check_zip(data: bytes) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRefused("upload_bad_xlsx") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > _ZIP_MAX_ENTRIES:
            raise UploadRefused("upload_zip_bomb")
        total = 0
        names = set()
        for info in infos:
            total += info.file_size
            if total > _ZIP_MAX_TOTAL:
                raise UploadRefused("upload_zip_bomb")
            if info.file_size > _ZIP_RATIO_FLOOR and info.file_size > _ZIP_MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise UploadRefused("upload_zip_bomb")
            names.add(info.filename.replace("\\", "/").lower())
        if "[content_types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise UploadRefused("upload_bad_xlsx")
        if any(n.endswith("vbaproject.bin") for n in names):
            raise UploadRefused("upload_macro")
        try:
            with zf.open("[Content_Types].xml") as fh:
                types = fh.read(1024 * 1024)
        except KeyError:
            types = b""
        if b"macroenabled" in types.lower():
            raise UploadRefused("upload_macro")


def _looks_like_text(data: bytes) -> bool:
    head = data[: 64 * 1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with BOM: the CSV reader decodes it
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut at the end of the sample
            return True
    # Windows-1252 text: control characters other than tab/CR/LF mean binary
    return not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", head)


def sniff(data: bytes) -> Sniffed:
    """Decide the kind of an upload from its content (the file name is ignored).

    Raises
    ------
    UploadRefused
        ``upload_empty``, ``upload_macro`` (macro workbook), ``upload_zip_bomb``,
        ``upload_bad_xlsx`` (a zip that is no workbook), ``upload_xls`` (old binary
        Excel) or ``upload_unknown_type``.
    """
    if not data or not data.strip():
        raise UploadRefused("upload_empty")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _check_zip(data)
        return Sniffed("xlsx")
    if data[:4] in (b"$FL2", b"$FL3"):
        return Sniffed("sav")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise UploadRefused("upload_xls")
    if _looks_like_text(data):
        return Sniffed("csv")
    raise UploadRefused("upload_unknown_type")


_UNSAFE = re.compile(r"[^\w .,()+-]", re.UNICODE)


def display_name(filename: str | None, max_length: int = 80) -> str:
    """A client's file name as harmless text: last path part, no control or path characters.

    Used only to show the user which file they sent; never to build a path.

    >>> display_name("../../etc/passwd")
    'passwd'
    >>> display_name("C:\\\\Users\\\\x\\\\coalitie 2024.xlsx")
    'coalitie 2024.xlsx'
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > max_length:
        name = name[: max_length - 1] + "…"
    return name or "bestand"
