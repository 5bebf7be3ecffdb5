"""Report rendering for the portal in a bounded pool of worker processes.

Each worker process renders one report at a time with the report pipeline's
``render_coalition`` (in process, no kernel: typed content, the disclosure layer and its
audit, the page and its disclosure record); it is warmed at start by rendering one example
page in memory. The web process never renders: it hands the (decrypted) file bytes to a
worker and gets back the finished page, or a failure. A page exists only when the render finished:
the worker returns the HTML as a value, and the portal stores it in one transaction, so a
render that fails or whose worker is killed leaves no partial page, only a failed job with
a clear message.

A killed worker breaks Python's process pool; the pool is then replaced and the jobs that
were running in it are marked failed (``killed``), the next jobs run in the new pool.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RenderOutcome", "RenderPool", "RenderTask", "render_in_worker"]


@dataclass(frozen=True)
class RenderTask:
    """Everything a worker needs: the file's bytes and the report parameters."""

    job_id: str
    coalition_code: str
    coalition_name: str
    data: bytes
    suffix: str
    lang: str = "nl"
    codebook: str = "intervention"


@dataclass
class RenderOutcome:
    """``status`` is ``done`` (``html`` set) or ``failed`` (``message`` set: a message key)."""

    job_id: str
    status: str
    html: str | None = None
    title: str | None = None
    message: str | None = None
    detail: str | None = None
    key: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    seconds: float = 0.0


# ----------------------------------------------------------------------------------------
# worker side (runs in a worker process)
# ----------------------------------------------------------------------------------------
_WORKDIR: Path | None = None


def _workdir() -> Path:
    """One private folder per worker process for the files it renders from."""
    global _WORKDIR
    if _WORKDIR is None or not _WORKDIR.is_dir():
        _WORKDIR = Path(tempfile.mkdtemp(prefix="evalkit-render-"))
    return _WORKDIR


def render_in_worker(task: RenderTask) -> RenderOutcome:
    """Render one coalition report from uploaded bytes (the function a worker runs).

    Uses the report pipeline's one-coalition render (``render_coalition``: typed content,
    the disclosure layer and its audit, the page and its disclosure record), so the
    portal's page is the batch's page: same content, same validation, same privacy rules.
    """
    import time

    from evalkit.core.errors import EvalkitError
    from evalkit.reports.coalition import render_coalition

    t0 = time.perf_counter()
    run_dir = _workdir() / uuid.uuid4().hex
    run_dir.mkdir()
    try:
        path = run_dir / ("upload" + task.suffix)
        path.write_bytes(task.data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = render_coalition(
                    path,
                    coalition_code=task.coalition_code,
                    coalition_name=task.coalition_name,
                    lang=task.lang,
                    codebook=task.codebook,
                )
        except (EvalkitError, OSError) as exc:
            return RenderOutcome(
                task.job_id,
                "failed",
                message="job_failed_render",
                detail=type(exc).__name__,
                seconds=time.perf_counter() - t0,
            )
        if not out.ok:
            stage = out.stage if out.stage in _STAGES else "render"
            return RenderOutcome(
                task.job_id, "failed", message=f"job_failed_{stage}", seconds=time.perf_counter() - t0
            )
        return RenderOutcome(
            task.job_id,
            "done",
            html=out.html,
            record=out.record,
            key=dict(out.key or {}),
            title=f"{task.coalition_name} ({task.coalition_code})",
            seconds=time.perf_counter() - t0,
        )
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


#: Failure stages with their own message (``job_failed_<stage>`` in the catalogue).
_STAGES = ("validation", "analysis", "disclosure")


class _TimedOut(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _TimedOut()


def _guarded(runner: Callable[[RenderTask], RenderOutcome], task: RenderTask, limit: float) -> RenderOutcome:
    """Run ``runner`` in the worker with a wall-clock limit (SIGALRM in the worker's main
    thread): a render that hangs becomes a failed job and the worker stays usable."""
    import signal

    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not on Windows
        return runner(task)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(float(limit), 0.001))
    try:
        return runner(task)
    except _TimedOut:
        return RenderOutcome(task.job_id, "failed", message="job_failed_timeout")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Niceness added to render workers: checking an upload (in the web process) goes first.
WORKER_NICENESS = 5


def _worker_start() -> None:
    """Run in each new worker: renders yield the CPU to the interactive web process."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # pragma: no cover - not on Windows / not permitted
        pass


def warm_up() -> int:
    """Prepare a worker before the first job: import the report pipeline and render one
    page of the bundled example data in memory (fonts, figure machinery, caches), so the
    first coalition does not pay for it. Returns the worker's pid."""
    from evalkit.data import datasets
    from evalkit.reports.coalition import render_coalition

    df = datasets.load("interventions")
    code = str(df["municipality_code"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        render_coalition(
            df[df["municipality_code"] == code].reset_index(drop=True), coalition_code=code, example_data=True
        )
    return os.getpid()


# ----------------------------------------------------------------------------------------
# web side
# ----------------------------------------------------------------------------------------
Runner = Callable[[RenderTask], RenderOutcome]


class RenderPool:
    """A bounded pool of render workers; ``on_done(outcome)`` is called for every job.

    Parameters
    ----------
    workers : int
        Worker processes (each one report at a time, each with its own warm kernel).
    on_done : callable
        Called with the :class:`RenderOutcome` of every submitted job, from a pool thread.
    runner : callable, optional
        The function a worker runs (default :func:`render_in_worker`; tests swap it).
    job_timeout : float
        Seconds a render may take before it is stopped and its job fails.

    When a worker process dies (killed, out of memory), the jobs of that pool that had not
    finished all fail with ``job_failed_killed`` (the pool cannot say which one was
    running); the next submission starts a new pool.
    """

    def __init__(
        self,
        workers: int,
        on_done: Callable[[RenderOutcome], None],
        runner: Runner = render_in_worker,
        job_timeout: float = 600.0,
    ):
        self.workers = max(1, int(workers))
        self.on_done = on_done
        self.runner = runner
        self.job_timeout = float(job_timeout)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[str, Future[RenderOutcome]] = {}

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=ctx, initializer=_worker_start
                )
            return self._pool

    def _replace_broken(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def warm(self) -> None:
        """Start every worker and import the report pipeline there (before the first job)."""
        pool = self._executor()
        for _ in range(self.workers):
            try:
                pool.submit(warm_up)
            except BrokenProcessPool:
                return

    def submit(self, task: RenderTask) -> None:
        pool = self._executor()
        try:
            fut = pool.submit(_guarded, self.runner, task, self.job_timeout)
        except BrokenProcessPool:
            self._replace_broken(pool)
            pool = self._executor()
            fut = pool.submit(_guarded, self.runner, task, self.job_timeout)
        self._running[task.job_id] = fut

        def done(
            f: Future[RenderOutcome], job_id: str = task.job_id, used: ProcessPoolExecutor = pool
        ) -> None:
            self._running.pop(job_id, None)
            try:
                outcome = f.result()
            except BrokenProcessPool:
                self._replace_broken(used)
                outcome = RenderOutcome(job_id, "failed", message="job_failed_killed")
            except Exception as exc:  # noqa: BLE001 - any worker failure becomes a status
                outcome = RenderOutcome(
                    job_id, "failed", message="job_failed_render", detail=type(exc).__name__
                )
            self.on_done(outcome)

        fut.add_done_callback(done)

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for tests that kill one)."""
        pool = self._pool
        procs = getattr(pool, "_processes", None) or {}
        return [p for p in procs if p != os.getpid()]

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
