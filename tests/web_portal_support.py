"""Helpers shared by the portal tests: data files, stand-in render workers, a live server.

The stand-in workers live here (not in a test module) because the render pool starts
worker processes with ``spawn``: the function must be importable by name in the child.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from evalkit.web.jobs import BatchTask, RenderOutcome, RenderTask

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
REPORT_MARKER = "RAPPORT-MARKER"


# ---------------------------------------------------------------------------- data
def coalition_frame(code: str = "GM0014") -> pd.DataFrame:
    """One example coalition's file (synthetic example data, codebook ``intervention``)."""
    from evalkit.data import datasets

    df = datasets.load("interventions")
    return df[df["municipality_code"] == code].reset_index(drop=True)


def three_mistakes(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str, object]]]:
    """The frame with three mistakes: (Excel row, column, bad value) of each."""
    bad = frame.copy().astype(object)
    mistakes = [(4, "djg1", 7), (9, "age", 250), (14, "gender", "onbekend?")]
    for i, col, value in mistakes:
        bad.loc[i, col] = value
    # data row i (0-based) sits on Excel row i + 2 (row 1 is the header)
    return bad, [(i + 2, col, value) for i, col, value in mistakes]


_XLSX: dict[tuple, bytes] = {}


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Gegevens") -> bytes:
    """``frame`` as an .xlsx file; the same content is written once per process (writing a
    workbook costs about a tenth of a second and the portal tests upload the same frames often)."""
    key = (
        sheet,
        tuple(map(str, frame.columns)),
        tuple(map(str, frame.dtypes)),
        pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes(),
    )
    if key not in _XLSX:
        buf = io.BytesIO()
        frame.to_excel(buf, index=False, sheet_name=sheet)
        _XLSX[key] = buf.getvalue()
    return _XLSX[key]


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    path.write_bytes(xlsx_bytes(frame))
    return path


# ---------------------------------------------------------------------------- workers
def fake_render(task: RenderTask) -> RenderOutcome:
    """A render worker that makes a tiny page at once (for routing and security tests)."""
    html = (
        f'<!doctype html><html lang="{task.lang}"><head><meta charset="utf-8">'
        f"<title>{task.coalition_code}</title></head><body><h1>{REPORT_MARKER} "
        f"{task.coalition_code}</h1><p>{len(task.data)} bytes</p></body></html>"
    )
    key = {
        "n_pairs": 50,
        "mean_diff": -1.0,
        "std_error": 0.2,
        "ci_lower": -1.4,
        "ci_upper": -0.6,
        "p_value": 0.001,
        "intervention": "Maatje",
    }
    return RenderOutcome(task.job_id, "done", html=html, title=task.coalition_code, key=key)


def slow_render(task: RenderTask) -> RenderOutcome:
    """A render worker that takes minutes (tests kill it)."""
    marker = Path(os.environ.get("EVALKIT_TEST_MARKER", "/nonexistent"))
    if marker.parent.is_dir():
        marker.write_text(str(os.getpid()))
    time.sleep(300)
    return fake_render(task)


def slow_for_first_render(task: RenderTask) -> RenderOutcome:
    """Slow (minutes; the test kills it) for municipality GM0014, a short render for others."""
    if task.coalition_code == "GM0014":
        return slow_render(task)
    time.sleep(1.0)  # long enough to be running while the slow one is killed
    return fake_render(task)


def analysis_failing_render(task: RenderTask) -> RenderOutcome:
    """A worker whose analysis fails: the real classification of why (no page made)."""
    import tempfile

    from evalkit.web.jobs import analysis_failure

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + task.suffix)
        path.write_bytes(task.data)
        message, values = analysis_failure(path, task)
    return RenderOutcome(task.job_id, "failed", message=message, values=values)


def fake_batch(task: BatchTask) -> RenderOutcome:
    """A batch worker that writes tiny pages and an index at once (routing tests)."""
    out = Path(task.folder) / "rapporten"
    out.mkdir(parents=True, exist_ok=True)
    table, links = [], []
    for code, name, fname in task.coalitions:
        page = f"{code}-fake.html"
        size = (Path(task.folder) / "invoer" / fname).stat().st_size
        (out / page).write_text(
            f"<html><body>{REPORT_MARKER} {code} batch {size}</body></html>", encoding="utf-8"
        )
        table.append({"coalition_code": code, "coalition_name": name, "status": "ok", "html": page})
        links.append(f'<a href="{page}">{code}</a>')
    (out / "index.html").write_text(
        f"<html><body>BATCH-INDEX {' '.join(links)}</body></html>", encoding="utf-8"
    )
    return RenderOutcome(task.job_id, "done", html="index.html", key={"table": table, "keys": {}})


def failing_render(task: RenderTask) -> RenderOutcome:
    raise RuntimeError("render exploded")


# ---------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
