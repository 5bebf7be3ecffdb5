"""Report rendering for the portal in a bounded pool of worker processes.

Each worker process renders one report at a time with the report pipeline's
``render_coalition`` (in process, no kernel: typed content, the disclosure layer and its
audit, the page and its disclosure record); it is warmed at start by rendering one example
page in memory. The web process never renders: it hands the (decrypted) file bytes to a
worker and gets back the finished page, or a failure. A page exists only when the render finished:
the worker returns the HTML as a value, and the portal stores it in one transaction, so a
render that fails or whose worker is killed leaves no partial page, only a failed job with
a clear message.

Each worker process is owned by one slot thread in the web process and holds at most one
job, taken from one first-in-first-out queue when the worker is idle: a killed worker fails
only its own job (``killed``); the slot starts a new worker for its next job, and the other
workers and the queued jobs go on.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from pickle import PicklingError
from typing import Any

from evalkit.core.errors import log_unexpected, report_warnings_handled

__all__ = ["BatchTask", "RenderOutcome", "RenderPool", "RenderTask", "batch_in_worker", "render_in_worker"]


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
    values: dict[str, Any] = field(default_factory=dict)


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
            with report_warnings_handled():
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
            message = f"job_failed_{stage}"
            values: dict[str, Any] = {}
            if stage == "analysis":
                message, values = analysis_failure(path, task)
            return RenderOutcome(
                task.job_id,
                "failed",
                message=message,
                values=values,
                detail=out.message[:200] or None,
                seconds=time.perf_counter() - t0,
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


@dataclass(frozen=True)
class BatchTask:
    """The programme's batch: every coalition's latest valid file, already written by the
    web process into ``folder/invoer`` (a private temporary folder); the worker writes the
    reports and ``index.html`` into ``folder/rapporten``."""

    job_id: str
    folder: str
    coalitions: tuple[tuple[str, str, str], ...]  # (code, name, file name in folder/invoer)
    lang: str = "nl"
    codebook: str = "intervention"


def batch_in_worker(task: BatchTask) -> RenderOutcome:
    """Run ``evalkit batch`` (in process, in this worker) over the coalitions' files: every
    page gets the comparison across all coalitions (the batch's snapshot and pooled
    estimate), passes the disclosure audit, and ``index.html`` gives the overview, exactly
    as ``evalkit batch`` makes them. Returns the batch's table and key numbers (``key``);
    the pages stay in ``folder/rapporten`` for the web process to store."""
    import json
    import time

    import pandas as pd

    from evalkit.core.errors import EvalkitError
    from evalkit.reports import batch

    t0 = time.perf_counter()
    folder = Path(task.folder)
    rows = [
        {"coalition_code": code, "coalition_name": name, "data_path": str(folder / "invoer" / fname)}
        for code, name, fname in task.coalitions
    ]
    try:
        with report_warnings_handled():
            res = batch.run(
                coalitions=pd.DataFrame(rows),
                output_dir=folder / "rapporten",
                parameters={"lang": task.lang, "codebook": task.codebook},
                workers=1,
                renderer="inprocess",
                rerun="all",
                write_notebooks=False,
                progress=False,
                lang=task.lang,
                cwd=folder,
            )
    except (EvalkitError, OSError) as exc:
        return RenderOutcome(
            task.job_id,
            "failed",
            message="job_failed_render",
            detail=type(exc).__name__,
            seconds=time.perf_counter() - t0,
        )
    manifest = json.loads((folder / "rapporten" / "manifest.json").read_text(encoding="utf-8"))
    keys = {c: e.get("key") or {} for c, e in manifest.get("coalitions", {}).items()}
    table = res.table.astype(object).where(res.table.notna(), None).to_dict(orient="records")
    return RenderOutcome(
        task.job_id,
        "done",
        html=res.index_path.name,
        key={"table": table, "keys": keys},
        seconds=time.perf_counter() - t0,
    )


#: Failure stages with their own message (``job_failed_<stage>`` in the catalogue).
_STAGES = ("validation", "analysis", "disclosure")


def analysis_failure(path: Path, task: RenderTask) -> tuple[str, dict[str, Any]]:
    """Why the analysis of a valid file failed, as a message key and its values: what
    failed and what the coalition can do. The values are municipality codes and counts,
    never a participant's data.

    - ``job_failed_analysis_code``: no row of the file has the municipality the report was
      asked for (the file is another municipality's, or the wrong one was chosen);
    - ``job_failed_analysis_pairs``: no participant has both a pre-test and a post-test,
      so there is no change to compute;
    - ``job_failed_analysis_other``: anything else (the programme team can look it up by
      the job's number).
    """
    from evalkit.core.errors import EvalkitError
    from evalkit.data import readers
    from evalkit.reports.compute import TIME, UNIT

    other = ("job_failed_analysis_other", {"job": task.job_id[:8]})
    try:
        with report_warnings_handled():
            df = readers.read(path, task.codebook, strict=False, lang=task.lang)
    except (EvalkitError, OSError, ValueError):
        return other
    if "municipality_code" in df.columns:
        codes = df["municipality_code"].dropna().astype(str)
        if not (codes == task.coalition_code).any():
            found = sorted(set(codes))
            shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
            return "job_failed_analysis_code", {"code": task.coalition_code, "found": shown or "-"}
        df = df[codes.reindex(df.index) == task.coalition_code]
    if UNIT in df.columns and TIME in df.columns:
        waves = df.dropna(subset=[UNIT, TIME]).groupby(UNIT)[TIME].nunique()
        if not (waves >= 2).any():
            return "job_failed_analysis_pairs", {"n": int(df[UNIT].nunique())}
    return other


class _TimedOut(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _TimedOut()


def _guarded(runner: Callable[[RenderTask], RenderOutcome], task: RenderTask, limit: float) -> RenderOutcome:
    """Run ``runner`` in the worker with a wall-clock limit (SIGALRM in the worker's main
    thread): a render that hangs becomes a failed job and the worker stays usable."""
    import signal

    alarm = hasattr(signal, "SIGALRM")  # not on Windows
    if alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(float(limit), 0.001))
    try:
        return runner(task)
    except _TimedOut:
        return RenderOutcome(task.job_id, "failed", message="job_failed_timeout")
    except Exception as exc:  # noqa: BLE001 - the portal's documented last resort (below)
        # render_in_worker catches what rendering an upload is expected to raise; anything
        # else is a bug, and the job must still end with a status: the traceback goes to the
        # log (never to the visitor), the job to "failed".
        log_unexpected(exc, where=f"portal job {task.job_id}", log_file=unexpected_log())
        return RenderOutcome(task.job_id, "failed", message="job_failed_render", detail=type(exc).__name__)
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def unexpected_log() -> Path:
    """Where a render worker writes the traceback of an unexpected failure:
    ``$EVALKIT_UNEXPECTED_LOG`` or ``evalkit-unexpected.log`` in the temporary folder (0600)."""
    given = os.environ.get("EVALKIT_UNEXPECTED_LOG")
    return Path(given) if given else Path(tempfile.gettempdir()) / "evalkit-unexpected.log"


#: Niceness added to render workers: checking an upload and answering pages (the web
#: process) go first (CPU weight 110 against 1024 for the web process on a busy core).
WORKER_NICENESS = 10


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
    with report_warnings_handled():
        render_coalition(
            df[df["municipality_code"] == code].reset_index(drop=True), coalition_code=code, example_data=True
        )
    return os.getpid()


# ----------------------------------------------------------------------------------------
# web side
# ----------------------------------------------------------------------------------------
Runner = Callable[[Any], RenderOutcome]
Callback = Callable[[RenderOutcome], None]


@dataclass
class _Item:
    task: Any
    runner: Runner | None
    timeout: float | None
    on_done: Callback | None
    on_start: Callable[[Any], None] | None


class _Slot(threading.Thread):
    """One render worker: a thread in the web process that owns one worker process.

    The thread takes the next job from the pool's queue only when its worker is idle, so a
    worker process holds at most one job: when it dies (killed, out of memory), exactly
    that job fails and the slot starts a new worker for the next one.
    """

    def __init__(self, pool: RenderPool, index: int):
        super().__init__(name=f"evalkit-render-{index}", daemon=True)
        self.pool = pool
        self.executor: ProcessPoolExecutor | None = None
        self.busy_with: str | None = None

    def _new_executor(self, warm: bool) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        ex = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_worker_start)
        if warm:  # imports and one example page, before the next job (same process, FIFO)
            ex.submit(warm_up)
        return ex

    def executor_for_job(self) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = self._new_executor(warm=self.pool.warm_replacements)
        return self.executor

    def kill_worker(self) -> None:
        """Stop this slot's worker process at once (a job past its hard limit)."""
        import signal

        for pid in _executor_pids(self.executor):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # already gone
                pass

    def run(self) -> None:
        while True:
            item = self.pool._queue.get()
            if item is None:
                return
            self.busy_with = getattr(item.task, "job_id", None)
            try:
                outcome = self._run_one(item)
            finally:
                self.busy_with = None
            callback = item.on_done or self.pool.on_done
            _call_safely(callback, outcome, f"portal callback {outcome.job_id}")

    def _run_one(self, item: _Item) -> RenderOutcome:
        from concurrent.futures import TimeoutError as FutureTimeout

        job_id = getattr(item.task, "job_id", "")
        if item.on_start is not None:
            _call_safely(item.on_start, item.task, f"portal start callback {job_id}")
        limit = float(item.timeout if item.timeout is not None else self.pool.job_timeout)
        runner = item.runner or self.pool.runner
        ex = self.executor_for_job()
        try:
            fut = ex.submit(_guarded, runner, item.task, limit)
            return fut.result(timeout=limit + self.pool.grace)
        except FutureTimeout:  # the worker did not stop itself (stuck in C code): kill it
            self.kill_worker()
            self._discard(ex)
            return RenderOutcome(job_id, "failed", message="job_failed_timeout")
        except BrokenProcessPool:  # this slot's worker died: only this job fails
            self._discard(ex)
            return RenderOutcome(job_id, "failed", message="job_failed_killed")
        except _NOT_SENT as exc:  # _guarded catches everything in the worker: the job was lost on the way
            return RenderOutcome(job_id, "failed", message="job_failed_render", detail=type(exc).__name__)

    def _discard(self, ex: ProcessPoolExecutor) -> None:
        if self.executor is ex:
            self.executor = None
        ex.shutdown(wait=False, cancel_futures=True)


#: What collecting a job's outcome from its worker may raise once ``_guarded`` has caught
#: everything inside the worker: the task or its outcome could not be pickled (PicklingError,
#: or AttributeError/TypeError for local functions and locks), the pipe broke, or it was cancelled.
_NOT_SENT: tuple[type[BaseException], ...] = (
    CancelledError,
    PicklingError,
    AttributeError,
    TypeError,
    EOFError,
    OSError,
)


def _call_safely(callback: Callable[[Any], object], arg: Any, where: str) -> None:
    """Call a status callback from a worker slot's thread. That thread serves every later job,
    so a failing callback (a bug, or the database gone) must not stop it: the documented last
    resort of this thread; the traceback goes to the log (:func:`log_unexpected`)."""
    try:
        callback(arg)
    except Exception as exc:  # noqa: BLE001 - documented last resort (see docstring)
        log_unexpected(exc, where=where, log_file=unexpected_log())


def _executor_pids(ex: ProcessPoolExecutor | None) -> list[int]:
    procs = getattr(ex, "_processes", None) or {}
    return [p for p in procs if p != os.getpid()]


class RenderPool:
    """A bounded pool of render workers with one first-in-first-out queue.

    Parameters
    ----------
    workers : int
        Worker processes; each renders one report at a time in process (no kernel).
    on_done : callable
        Called with the :class:`RenderOutcome` of every job, from the worker's slot thread
        in the web process (never from a worker process).
    runner : callable, optional
        The function a worker runs (default :func:`render_in_worker`; tests swap it).
    job_timeout : float
        Seconds a render may take: the worker stops it itself (the job fails and the worker
        stays usable); a worker that does not stop within ``grace`` more seconds is killed.
    on_start : callable, optional
        Called with the task when a worker takes it from the queue (the job is running).

    Each worker process holds at most one job. When one dies (killed, out of memory),
    only its own job fails (``job_failed_killed``); queued jobs and the other workers'
    jobs go on, and the slot starts a fresh worker (warmed first) for its next job.
    """

    def __init__(
        self,
        workers: int,
        on_done: Callback,
        runner: Runner = render_in_worker,
        job_timeout: float = 600.0,
        on_start: Callable[[Any], None] | None = None,
        grace: float = 30.0,
    ):
        import queue

        self.workers = max(1, int(workers))
        self.on_done = on_done
        self.on_start = on_start
        self.runner = runner
        self.job_timeout = float(job_timeout)
        self.grace = float(grace)
        self.warm_replacements = runner is render_in_worker
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._slots = [_Slot(self, i) for i in range(self.workers)]
        self._started = False
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                for slot in self._slots:
                    slot.start()

    def warm(self) -> None:
        """Start every worker and warm it (imports, one example page) before the first job."""
        for slot in self._slots:
            if slot.executor is None:
                slot.executor = slot._new_executor(warm=True)
        self._start()

    def submit(
        self,
        task: Any,
        *,
        runner: Runner | None = None,
        timeout: float | None = None,
        on_done: Callback | None = None,
    ) -> None:
        """Queue a job (first in, first out)."""
        self._start()
        self._queue.put(_Item(task, runner, timeout, on_done, self.on_start))

    def queued(self) -> int:
        """Jobs waiting for a worker."""
        return self._queue.qsize()

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for tests that kill one)."""
        return [p for slot in self._slots for p in _executor_pids(slot.executor)]

    def running_pid(self, job_id: str) -> int | None:
        """The worker process running ``job_id`` (None when it is not running)."""
        for slot in self._slots:
            if slot.busy_with == job_id:
                pids = _executor_pids(slot.executor)
                return pids[0] if pids else None
        return None

    def shutdown(self) -> None:
        """Stop: queued jobs are dropped (the store marks unfinished jobs failed at the next
        start), running renders are stopped, the workers end."""
        import queue

        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._started:
            for _ in self._slots:
                self._queue.put(None)
        for slot in self._slots:
            if slot.busy_with is not None:
                slot.kill_worker()
        for slot in self._slots:
            ex = slot.executor
            if ex is not None:
                ex.shutdown(wait=True, cancel_futures=True)
        for slot in self._slots:
            if slot.is_alive():
                slot.join(timeout=5.0)
        with self._lock:  # the pool can be started again (an app's lifespan can restart)
            self._slots = [_Slot(self, i) for i in range(self.workers)]
            self._started = False
