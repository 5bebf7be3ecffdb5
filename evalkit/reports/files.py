"""Files and page shells of the reports: safe names, atomic writes, hashes, the HTML shell.

The lowest module of the reports layer (no other report module imported here).
"""

from __future__ import annotations

import hashlib
import html as _html
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from evalkit._version import __version__
from evalkit.core.errors import ParameterError

__all__ = [
    "CSP",
    "GM_RE",
    "REPORT_CSS",
    "atomic_write",
    "file_sha256",
    "html_page",
    "report_basename",
    "safe_filename",
]

GM_RE = re.compile(r"^GM\d{4}$")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def safe_filename(name: str, max_length: int = 60) -> str:
    """A portable file-name stem for any municipality name.

    Accents are folded to ASCII, apostrophes dropped, every other run of characters that
    is not a letter or digit becomes one ``-``; lower case.

    Examples
    --------
    >>> safe_filename("'s-Hertogenbosch")
    's-hertogenbosch'
    >>> safe_filename("Súdwest-Fryslân")
    'sudwest-fryslan'
    >>> safe_filename("Bergen (L.)")
    'bergen-l'
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"name must be a non-empty string, got {name!r}.")
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = re.sub(r"['`\u2019]", "", folded).lower()
    stem = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:max_length].strip("-")
    return stem or "rapport"


def report_basename(code: str, name: str | None = None) -> str:
    """``GM0796-s-hertogenbosch``: the code keeps names unique, the name keeps them readable."""
    code = safe_filename(str(code)).upper()
    return f"{code}-{safe_filename(name)}" if name else code


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + os.replace).

    A reader never sees a half-written file; an interrupted run leaves the old file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    replaced = False
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; reports are meant to be shared
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(data)
                fb.flush()
                os.fsync(fb.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as ft:
                ft.write(data)
                ft.flush()
                os.fsync(ft.fileno())
        os.replace(tmp, path)
        replaced = True
    finally:
        if not replaced:  # whatever stopped the write (even Ctrl-C): no half file left behind
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
    return path


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


REPORT_CSS = """
:root{--ink:#1a1a1a;--muted:#555;--line:#d0d0d0;--accent:#0072B2;--bad:#D55E00}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
max-width:60rem;margin:0 auto;padding:1.5rem;line-height:1.5;background:#fff}
h1{font-size:1.7rem;margin:.2rem 0 1rem}h2{font-size:1.3rem;border-bottom:2px solid var(--accent);
padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{border-bottom:2px solid var(--ink)}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}
figcaption{font-size:.85rem;color:var(--muted)}
.note{color:var(--muted);font-size:.9rem}.suppressed{color:var(--muted);font-style:italic}
.banner{border:2px solid var(--bad);background:#fff5ef;padding:.5rem .8rem;font-weight:600}
caption{caption-side:top;text-align:left;font-weight:600}
.keyfigures{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.keyfigures div{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;min-width:9rem}
.keyfigures strong{display:block;font-size:1.4rem}
.status-ok{color:#009E73}.status-failed{color:var(--bad)}.status-skipped{color:var(--muted)}
.error-box{border-left:4px solid var(--bad);padding:.4rem 1rem;background:#fff5ef}
pre{white-space:pre-wrap}
@media print{body{max-width:none}h2{break-after:avoid}figure{break-inside:avoid}}
"""

#: No request of any kind may leave the page: images are data: URIs, styles inline.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def html_page(body: str, *, title: str, lang: str = "nl", extra_head: str = "") -> str:
    """A complete, self-contained HTML page around ``body`` (inline CSS, strict CSP)."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="evalkit {__version__}">\n'
        f"<title>{_html.escape(title)}</title>\n<style>{REPORT_CSS}</style>\n{extra_head}"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
