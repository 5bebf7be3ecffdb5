"""Render one report per coalition, in parallel, and an overview page (``index.html``).

:func:`run` is what the programme team runs over the data of all coalitions::

    from evalkit.reports import batch
    res = batch.run("templates/coalition_report.ipynb", coalitions, "reports", workers=2)
    res.index_path   # reports/index.html

The steps, each isolated per coalition so that one broken file never stops the others:

1. **Parameters** of every coalition are checked against the template (unknown or missing
   names raise :class:`~evalkit.ParameterError` for the whole batch before any kernel
   starts; a bad value fails only that coalition).
2. **Change detection.** A SHA-256 over the data file, the parameters, the template and the
   evalkit version is compared with ``manifest.json`` from the previous run; with
   ``rerun="changed"`` (default) only new, changed or previously failed coalitions run,
   ``rerun="failed"`` only the failed ones, ``rerun="all"`` everything.
3. **Validation and analysis** (parallel, in-process): each coalition's file is read and
   validated against its codebook; a coalition with errors gets an *error page* (Dutch, or
   English with ``lang="en"``) listing what to fix, taken from the validation report. For
   the coalition template (it has a ``results_cache`` parameter) the analysis is computed
   here once, with the comparison across all coalitions (pooled estimate), and cached, so
   that the notebook only displays results (:mod:`evalkit.reportdata`).
4. **Notebooks** (parallel): each valid coalition's notebook is executed in a *warm*
   kernel (one per worker process, reset before every report; see
   :class:`evalkit.report.WarmKernel`) and exported to HTML in-process. Failures become
   error pages too.
5. **Index**: ``index.html`` with the status of every coalition, key numbers, links to
   the reports and error pages, the pooled estimate and a forest plot.

Every file is written atomically (temporary file + ``os.replace``). Workers are processes,
never threads (papermill and notebooks may change the working directory). With
``scheduler="tcp://host:8786"`` the same tasks run on a Dask distributed cluster.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import BrokenExecutor, CancelledError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._version import __version__
from evalkit.core import i18n
from evalkit.core.checks import check_option, check_positive_int
from evalkit.core.errors import EvalkitError, ParameterError, log_unexpected, report_warnings_handled
from evalkit.reports.disclosure import RECORD_SUFFIX
from evalkit.reports.errorpage import (  # noqa: F401 - error_page is public here too
    IDENTIFYING_COLUMNS,
    error_page,
    identifiers_of,
    read_and_validate,
    scrub_text,
)
from evalkit.reports.render import (
    DEFAULT_TEMPLATE,
    ReportExecutionError,
    WarmKernel,
    _check_kernel_name,
    _check_timeout,
    atomic_write,
    check_parameters,
    file_sha256,
    render,
    report_basename,
    template_parameters,
)

__all__ = ["CACHE_DIRNAME", "MANIFEST", "BatchResult", "cli_batch", "error_page", "run"]

#: Folder (inside the output folder) with the results computed once for all coalitions.
CACHE_DIRNAME = "_cache"
#: Tracebacks of failures nobody anticipated, in the cache folder (never in a report).
UNEXPECTED_LOG = "unexpected.log"

#: What analysing one coalition's data may raise: bad data, an analysis that cannot be done.
ANALYSIS_ERRORS: tuple[type[BaseException], ...] = (
    EvalkitError,
    ValueError,
    KeyError,
    ArithmeticError,
    OSError,
)
#: What running a report notebook may raise besides a failing cell: a kernel that died, timed
#: out or did not start (nbclient's DeadKernelError is a RuntimeError, CellTimeoutError a
#: TimeoutError).
KERNEL_ERRORS: tuple[type[BaseException], ...] = (
    EvalkitError,
    RuntimeError,
    TimeoutError,
    OSError,
    ValueError,
)
#: What collecting a result from a worker may raise: the worker died (BrokenProcessPool), the
#: task was cancelled, or the result could not be sent back.
WORKER_ERRORS: tuple[type[BaseException], ...] = (
    BrokenExecutor,
    CancelledError,
    pickle.PicklingError,
    EOFError,
    OSError,
)
#: File recording hash, status and key numbers per coalition.
MANIFEST = "manifest.json"


# ----------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------
@dataclass
class BatchResult:
    """What :func:`run` did.

    Attributes
    ----------
    output_dir, index_path : Path
    table : DataFrame
        One row per coalition: ``coalition_code, coalition_name, status`` (``ok``,
        ``failed`` or ``skipped`` = unchanged since the last run), ``stage`` (where it
        failed: ``parameters``, ``validation``, ``analysis``, ``notebook``), ``message``,
        ``html`` (file name), ``seconds``.
    pooled : dict or None
        The pooled estimate across coalitions (when the template provides one).
    seconds : float
        Wall time of the batch.
    """

    output_dir: Path
    index_path: Path
    table: pd.DataFrame
    pooled: dict | None = None
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)

    @property
    def n_ok(self) -> int:
        return int((self.table["status"] == "ok").sum())

    @property
    def n_failed(self) -> int:
        return int((self.table["status"] == "failed").sum())

    def __repr__(self) -> str:
        return (
            f"<BatchResult {len(self.table)} coalitions: {self.n_ok} ok, "
            f"{self.n_failed} failed, {self.seconds:.1f} s; index: {self.index_path}>"
        )


# ----------------------------------------------------------------------------------------
# coalitions and hashing
# ----------------------------------------------------------------------------------------
def _coalition_list(coalitions) -> list[dict]:
    if isinstance(coalitions, pd.DataFrame):
        rows = coalitions.to_dict(orient="records")
    elif isinstance(coalitions, Mapping):
        rows = [dict(coalitions)]
    elif isinstance(coalitions, Iterable) and not isinstance(coalitions, (str, bytes)):
        rows = [dict(r) for r in coalitions]
    else:
        raise ParameterError(
            "coalitions must be a DataFrame or a list of dicts with at least "
            "'coalition_code' (and the other template parameters)."
        )
    if not rows:
        raise i18n.error(ParameterError, "pages.batch.error.no_coalitions")
    out = []
    for r in rows:
        clean = {}
        for k, v in r.items():
            if hasattr(v, "item") and not isinstance(v, (str, bytes)):
                v = v.item()  # numpy scalar -> Python
            if isinstance(v, float) and v != v:
                continue  # NaN = not given
            if isinstance(v, os.PathLike):
                v = os.fspath(v)
            clean[str(k)] = v
        out.append(clean)
    codes = [r.get("coalition_code") for r in out]
    if any(c is None for c in codes):
        raise i18n.error(ParameterError, "pages.batch.error.no_code")
    dup = sorted({c for c in codes if codes.count(c) > 1}, key=str)
    if dup:
        raise i18n.error(ParameterError, "pages.batch.error.repeated_code", codes=_names(dup))
    return out


def _names(items) -> Callable[[str], str]:
    """A list of names worded per language (``pages.list_item``), for :func:`i18n.error`."""
    return lambda lang: ", ".join(i18n.t("pages.list_item", lang, item=x) for x in items)


def _task_hash(params: dict, template_bytes: bytes, cwd: Path) -> str:
    h = hashlib.sha256()
    h.update(template_bytes)
    h.update(__version__.encode())
    shown = {k: v for k, v in params.items() if k != "results_cache"}
    h.update(json.dumps(shown, sort_keys=True, default=str).encode())
    for key in ("data_path", "benchmark_path"):
        p = params.get(key)
        if isinstance(p, str) and p:
            path = Path(cwd, p)
            if path.is_file():
                h.update(file_sha256(path).encode())
            elif path.is_dir():
                for f in sorted(path.rglob("*")):
                    if f.is_file():
                        h.update(f.name.encode() + file_sha256(f).encode())
            else:
                h.update(b"<missing>")
    return h.hexdigest()


def _load_manifest(output_dir: Path) -> dict:
    path = output_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("coalitions", {})
    except (OSError, ValueError):
        return {}


# ----------------------------------------------------------------------------------------
# error pages
# ----------------------------------------------------------------------------------------
# ----------------------------------------------------------------------------------------
# per-process state (workers are processes; one warm kernel per worker)
# ----------------------------------------------------------------------------------------
_LOCAL = threading.local()
_ALL_KERNELS: list[WarmKernel] = []


def _worker_kernel(kernel_name: str, cwd: str) -> WarmKernel:
    k = getattr(_LOCAL, "kernel", None)
    if k is not None and (k.kernel_name != kernel_name or k.cwd != str(Path(cwd).resolve()) or not k.alive):
        k.shutdown()
        k = None
    if k is None:
        k = WarmKernel(kernel_name=kernel_name, cwd=cwd)
        _LOCAL.kernel = k
        _ALL_KERNELS.append(k)
        from multiprocessing import util

        util.Finalize(k, WarmKernel.shutdown, args=(k,), exitpriority=10)  # when a worker exits
    return k


def shutdown_kernels() -> int:
    """Stop every warm kernel this process started (used on Dask workers)."""
    n = 0
    while _ALL_KERNELS:
        _ALL_KERNELS.pop().shutdown()  # WarmKernel.shutdown catches what stopping a kernel raises
        n += 1
    _LOCAL.__dict__.pop("kernel", None)
    return n


def _prepare_task(task: dict) -> dict:
    """Phase 1 (no kernel): validate the data and compute this coalition's page."""
    t0 = time.perf_counter()
    params, cwd = task["params"], Path(task["cwd"])
    out = {
        "code": params["coalition_code"],
        "status": "ok",
        "stage": None,
        "message": "",
        "errors": None,
        "key": {},
        "seconds_prepare": 0.0,
    }
    try:
        with report_warnings_handled():
            df, errors = read_and_validate(params, cwd, task["validate"])
        if errors is not None and len(errors):
            n = len(errors)
            out.update(
                status="failed",
                stage="validation",
                message=f"{n} {'fout' if n == 1 else 'fouten'} in het databestand",
                errors=errors.to_dict(orient="records"),
            )
        elif task["precompute"]:
            from evalkit.reports import coalition

            p = {k: v for k, v in params.items() if k != "results_cache"}
            if df is None:
                df = coalition.read_and_validate(
                    Path(cwd, p["data_path"]), p.get("codebook") or "intervention", p.get("lang", "nl")
                )[0]
            if p.get("data_path") and Path(cwd, p["data_path"]).is_file():
                p["_data_sha256"] = file_sha256(Path(cwd, p["data_path"]))
                p["data_path"] = Path(str(p["data_path"])).name
            with report_warnings_handled():
                page, key = coalition.prepare_page(df, p)
            atomic_write(
                Path(task["cache_dir"]) / f"{params['coalition_code']}.pkl",
                pickle.dumps((page, p), protocol=4),
            )
            out["key"] = key
            if task.get("registry"):  # intervention and year for the results registry
                from evalkit.store.registry import evaluation_context

                out["context"] = evaluation_context(df, intervention=p.get("intervention"))
    except ANALYSIS_ERRORS as exc:  # bad data or an analysis that cannot be done
        out.update(status="failed", stage="analysis", message=f"{type(exc).__name__}: {exc}")
    out["seconds_prepare"] = time.perf_counter() - t0
    return out


def _render_inprocess(task: dict) -> dict:
    """Phase 2 for the coalition report: disclose, render, audit, write (no kernel)."""
    from evalkit.reports import coalition, disclosure
    from evalkit.reports.overview import load_snapshot

    t0 = time.perf_counter()
    params = task["params"]
    code = params["coalition_code"]
    out = {"code": code, "status": "ok", "stage": None, "message": "", "html": None, "seconds_render": 0.0}
    cache = Path(task["cache_dir"])
    try:
        with open(cache / f"{code}.pkl", "rb") as fh:
            page, p = pickle.load(fh)
        with report_warnings_handled():
            html, rec, _ = coalition.finish_page(
                page, p, snapshot=load_snapshot(cache), basename=task["basename"]
            )
        res = coalition.write_outcome(
            coalition.ReportOutcome("ok", html, rec, basename=task["basename"]), task["output_dir"]
        )
        out["html"] = res.html_path.name if res.html_path else None
    except disclosure.DisclosureError as exc:
        out.update(status="failed", stage="disclosure", message=str(exc))
    except ANALYSIS_ERRORS as exc:
        out.update(status="failed", stage="analysis", message=f"{type(exc).__name__}: {exc}")
    out["seconds_render"] = time.perf_counter() - t0
    return out


def _render_task(task: dict) -> dict:
    """Phase 2: execute the notebook (warm or fresh kernel) and export HTML."""
    if task.get("inprocess"):
        return _render_inprocess(task)
    t0 = time.perf_counter()
    params = task["params"]
    out = {
        "code": params["coalition_code"],
        "status": "ok",
        "stage": None,
        "message": "",
        "html": None,
        "seconds_render": 0.0,
    }
    try:
        kernel: str | WarmKernel = "fresh"
        if task["kernel"] == "warm":
            kernel = _worker_kernel(task["kernel_name"], task["cwd"])
        res = render(
            task["template"],
            params,
            task["output_dir"],
            kernel=kernel,
            kernel_name=task["kernel_name"],
            cwd=task["cwd"],
            execution_timeout=task["execution_timeout"],
            basename=task["basename"],
            write_notebook=task["write_notebook"],
        )
        out["html"] = res.html_path.name
    except ReportExecutionError as exc:
        out.update(status="failed", stage="notebook", message=f"{exc.ename}: {exc.evalue}")
    except KERNEL_ERRORS as exc:  # the kernel died, timed out or could not start
        out.update(status="failed", stage="notebook", message=f"{type(exc).__name__}: {exc}")
        if task["kernel"] == "warm":  # a kernel in an unknown state is not reused
            _drop_warm_kernel()
    out["seconds_render"] = time.perf_counter() - t0
    return out


def _drop_warm_kernel() -> None:
    k = getattr(_LOCAL, "kernel", None)
    if k is not None:
        k.shutdown()
        _LOCAL.kernel = None


def _isolated(fn: Callable[[dict], dict], task: dict) -> dict:
    """Run one coalition's task; ANY failure becomes this coalition's failure record.

    The batch's one last-resort catch (issue 17): the phases above catch the failures they
    expect (bad data, analyses that cannot be done, a dead kernel). Anything else is a bug;
    it must still not stop the other coalitions, so it is caught here, its traceback goes to
    ``<output>/_cache/unexpected.log`` (:func:`evalkit.core.errors.log_unexpected`, never to
    the reader) and the coalition gets an error page with one line.
    """
    try:
        return fn(task)
    except Exception as exc:  # noqa: BLE001 - the documented last resort of the batch (see docstring)
        log_unexpected(
            exc,
            where=f"batch {fn.__name__} {task['params'].get('coalition_code')}",
            log_file=Path(task["cache_dir"]) / UNEXPECTED_LOG,
        )
        if task.get("kernel") == "warm":
            _drop_warm_kernel()
        return _infrastructure_failure(task, exc)


# ----------------------------------------------------------------------------------------
# executors: a process pool, or Dask distributed
# ----------------------------------------------------------------------------------------
def _infrastructure_failure(task: dict, exc: BaseException) -> dict:
    return {
        "code": str(task["params"]["coalition_code"]),
        "status": "failed",
        "stage": "notebook" if "template" in task else "analysis",
        "message": f"{type(exc).__name__}: {exc}",
        "errors": None,
        "key": {},
        "html": None,
        "seconds_prepare": 0.0,
        "seconds_render": 0.0,
    }


class _Executor:
    def __init__(self, workers: int, scheduler):
        self.scheduler = scheduler
        self.client = None
        self.pool = None
        if scheduler is not None:
            try:
                from distributed import Client
            except ImportError as exc:  # pragma: no cover
                raise ParameterError(
                    "scheduler= needs the 'distributed' package (pip install evalkit[dask])."
                ) from exc
            self.client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
            self._own_client = not isinstance(scheduler, Client)
        elif workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if sys.platform.startswith("linux") else "spawn"
            self.pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context(method)
            )

    def map(self, fn: Callable, tasks: list, progress, desc: str):
        """Yield results as they complete (order of completion).

        A task whose worker dies (or whose result cannot be returned) yields a failure
        record instead of stopping the batch."""
        if not tasks:
            return
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc=desc, unit="coalitie", file=sys.stderr, dynamic_ncols=True)
        try:
            if self.client is not None:
                from distributed import as_completed
                from distributed.scheduler import KilledWorker

                dask_errors: tuple[type[BaseException], ...] = (KilledWorker, *WORKER_ERRORS)

                futures = self.client.map(functools.partial(_isolated, fn), tasks, pure=False)
                index = {f.key: t for f, t in zip(futures, tasks)}
                for fut in as_completed(futures):
                    try:
                        yield fut.result()
                    except dask_errors as exc:  # the worker died or lost the task
                        yield _infrastructure_failure(index[fut.key], exc)
                    if bar:
                        bar.update(1)
            elif self.pool is not None:
                from concurrent.futures import as_completed as pool_completed

                submitted = {self.pool.submit(_isolated, fn, t): t for t in tasks}
                for pfut in pool_completed(submitted):
                    try:
                        yield pfut.result()
                    except WORKER_ERRORS as exc:  # e.g. a worker was killed
                        yield _infrastructure_failure(submitted[pfut], exc)
                    if bar:
                        bar.update(1)
            else:
                for t in tasks:
                    yield _isolated(fn, t)
                    if bar:
                        bar.update(1)
        finally:
            if bar:
                bar.close()

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        if self.client is not None:
            try:
                self.client.run(shutdown_kernels)
            except (*WORKER_ERRORS, TimeoutError):  # pragma: no cover - workers already gone
                pass
            if self._own_client:
                self.client.close()
        else:
            shutdown_kernels()  # serial mode ran kernels in this process


# ----------------------------------------------------------------------------------------
# run
# ----------------------------------------------------------------------------------------
def run(
    template=DEFAULT_TEMPLATE,
    coalitions=None,
    output_dir="reports",
    *,
    parameters: Mapping[str, Any] | None = None,
    workers: int | None = None,
    scheduler=None,
    rerun: str = "changed",
    kernel: str = "warm",
    kernel_name: str = "python3",
    cwd=None,
    execution_timeout: float = 600,
    validate: bool | Callable = True,
    precompute: bool | str = "auto",
    write_notebooks: bool = True,
    progress: bool = True,
    lang: str | None = None,
    renderer: str = "auto",
    registry: str | None = None,
) -> BatchResult:
    """Render one report per coalition, isolate failures, and write ``index.html``.

    Parameters
    ----------
    template : path
        Report template (default: ``templates/coalition_report.ipynb``).
    coalitions : DataFrame or list of dict
        One row per coalition with its template parameters, at least ``coalition_code``
        (string ``GM`` + four digits), usually ``coalition_name`` and ``data_path``.
    output_dir : path
        Folder for the reports, error pages, ``index.html`` and ``manifest.json``.
    parameters : mapping, optional
        Parameters shared by all coalitions (a coalition's own values win).
    workers : int, optional
        Worker processes (default: the number of CPU cores). ``1`` runs in this process.
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler (``"tcp://10.0.0.5:8786"``): the same tasks run on the
        cluster instead of local processes.
    rerun : {"changed", "failed", "all"}
        Which coalitions to run again when ``manifest.json`` exists: new, changed or
        failed ones (default); only failed (and new) ones; or all.
    kernel : {"warm", "fresh"}
        Reuse one reset kernel per worker (fast; same bytes) or start one per report.
    kernel_name, cwd, execution_timeout
        Kernel spec, working directory of the kernels (default: the current directory;
        relative ``data_path`` values are relative to it) and the time limit per cell (s).
    validate : bool or callable
        Validate each ``data_path`` against its ``codebook`` parameter (default
        ``"intervention"``) before anything runs. A callable ``f(params) -> (data,
        errors_or_None)`` replaces the check.
    precompute : "auto" or bool
        Compute the analyses once for all coalitions in the worker processes and let the
        notebooks read them (``"auto"``: when the template has a ``results_cache``
        parameter).
    write_notebooks : bool
        Also keep each executed notebook next to its HTML.
    progress : bool
        Show a tqdm progress bar.
    lang : {"nl", "en"}, optional
        Language of error pages and the index (default: the ``lang`` parameter, else Dutch).
    renderer : {"auto", "inprocess", "notebook"}
        ``"inprocess"``: the coalition report is disclosed, rendered, audited and written in
        the worker processes from its typed content (fast; no kernel). ``"notebook"``:
        every template is executed by papermill in a kernel. ``"auto"``: in-process for the
        coalition template, the notebook for any other template.
    registry : str, optional
        Database URL (e.g. the portal's): every page that passed the disclosure audit
        records its key numbers in the results registry (:mod:`evalkit.registry`),
        with the intervention and the year of its data. Default: nothing is recorded.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> from evalkit import batch, datasets  # doctest: +SKIP
    >>> coalitions = datasets.write_example_coalitions("data/coalities")  # doctest: +SKIP
    >>> batch.run(coalitions=coalitions, output_dir="reports", workers=2)  # doctest: +SKIP
    <BatchResult 345 coalitions: 345 ok, 0 failed, ...>
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    check_option("rerun", rerun, ("changed", "failed", "all"))
    check_option("kernel", kernel, ("warm", "fresh"))
    check_option("renderer", renderer, ("auto", "inprocess", "notebook"))
    if precompute not in ("auto", True, False):
        raise ParameterError("precompute must be 'auto', True or False.")
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = check_positive_int(workers, "workers")
    execution_timeout = _check_timeout(execution_timeout)
    for flag, val in (("write_notebooks", write_notebooks), ("progress", progress)):
        if not isinstance(val, bool):
            raise ParameterError(f"{flag} must be True or False, got {val!r}.")
    if not (isinstance(validate, bool) or callable(validate)):
        raise ParameterError(f"validate must be True, False or a function, got {validate!r}.")
    if cwd is not None and not Path(cwd).is_dir():
        raise ParameterError(f"cwd={str(cwd)!r} is not a folder.")
    if Path(output_dir).exists() and not Path(output_dir).is_dir():
        raise i18n.error(ParameterError, "pages.render.error.output_not_folder", output_dir=str(output_dir))
    template = Path(template).resolve()
    coalition_template = _is_coalition_template(template)
    if renderer == "inprocess" and not coalition_template:
        raise ParameterError("renderer='inprocess' works for the coalition report template only.")
    inprocess = renderer == "inprocess" or (renderer == "auto" and coalition_template)
    if scheduler is None and not inprocess:  # on a cluster the workers' kernels count
        _check_kernel_name(kernel_name)
    defaults = template_parameters(template)  # raises on a bad template
    template_bytes = template.read_bytes()
    cwd = Path(cwd or os.getcwd()).resolve()
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = output_dir / CACHE_DIRNAME
    if precompute == "auto":
        precompute = "results_cache" in defaults
    common = dict(parameters or {})
    if lang is None:
        lang = common.get("lang", "nl")
    check_option("lang", lang, i18n.LANGS)
    if inprocess:
        precompute = True

    rows = _coalition_list(coalitions)
    # 1. parameter names: wrong names are a mistake of the caller -> refuse everything now
    all_names = set(defaults)
    for r in rows:
        bad = sorted((set(common) | set(r)) - all_names)
        if bad:
            raise i18n.error(
                ParameterError,
                "pages.batch.error.unknown_parameters",
                names=_names(bad),
                code=r["coalition_code"],
                accepted=_names(sorted(all_names)),
            )
    if coalition_template:  # typed values, Dutch messages, the min_cell floor: whole batch
        from evalkit.reports.coalition import check_report_parameters

        check_report_parameters({k: v for k, v in common.items() if k != "results_cache"})
    previous = _load_manifest(output_dir)
    entries: dict[str, dict] = {}
    to_prepare: list[dict] = []
    for r in rows:
        params = {**common, **r}
        code = str(params["coalition_code"])
        name = str(params.get("coalition_name") or code)
        entry: dict[str, Any] = {
            "coalition_code": code,
            "coalition_name": name,
            "status": "failed",
            "stage": None,
            "message": "",
            "html": None,
            "seconds": 0.0,
            "hash": None,
            "key": {},
            "data_path": params.get("data_path"),
        }
        entries[code] = entry
        if precompute:
            params["results_cache"] = str(cache_dir)
        try:
            full = check_parameters(template, params)
        except ParameterError as exc:
            entry.update(stage="parameters", message=str(exc))
            continue
        if coalition_template:
            from evalkit.reports.coalition import check_report_parameters

            try:
                check_report_parameters({k: v for k, v in params.items() if k != "results_cache"})
            except ParameterError as exc:  # in the language of the row's report
                entry.update(stage="parameters", message=exc.message(full.get("lang") or "nl"))
                continue
        basename = report_basename(code, params.get("coalition_name"))
        entry["basename"] = basename
        entry["hash"] = _task_hash(full, template_bytes, cwd)
        old = previous.get(code)
        if old and rerun != "all" and (output_dir / (old.get("html") or "-")).is_file():
            unchanged_ok = old.get("hash") == entry["hash"] and old.get("status") == "ok"
            if (rerun == "changed" and unchanged_ok) or (rerun == "failed" and old.get("status") == "ok"):
                entry.update(
                    status="skipped",
                    html=old.get("html"),
                    key=old.get("key", {}),
                    seconds=0.0,
                    message=old.get("message", ""),
                )
                if rerun == "failed":
                    entry["hash"] = old.get("hash")
                continue
        to_prepare.append(
            {
                "params": params,
                "cwd": str(cwd),
                "validate": validate,
                "precompute": precompute,
                "cache_dir": str(cache_dir),
                "basename": basename,
                "registry": bool(registry),
            }
        )
    registry_engine = None
    if registry is not None:  # an unreachable database stops the batch before any work
        from evalkit.store.registry import connect

        registry_engine = connect(registry)

    executor = _Executor(workers, scheduler)
    try:
        # 2. validation + analysis, in parallel, no kernels
        t0 = time.perf_counter()
        ready: list[dict] = []
        for res in executor.map(_prepare_task, to_prepare, progress, "valideren/analyse"):
            e = entries[res["code"]]
            e["seconds"] += res["seconds_prepare"]
            if res["status"] == "ok":
                e["key"] = res["key"]
                if res.get("context"):
                    e["context"] = res["context"]
                ready.append(next(t for t in to_prepare if str(t["params"]["coalition_code"]) == res["code"]))
            else:
                e.update(status="failed", stage=res["stage"], message=res["message"], errors=res["errors"])
        timings["prepare"] = time.perf_counter() - t0

        # 3. results across coalitions (pooled estimate) for the reports and the index
        pooled = None
        snapshot = None
        t0 = time.perf_counter()
        if precompute:
            from evalkit.reports.overview import finalize

            ready_codes = {str(t["params"]["coalition_code"]) for t in ready}
            keys = {
                c: e["key"]
                for c, e in entries.items()
                if e["key"] and (e["status"] == "skipped" or c in ready_codes)
            }
            snapshot = finalize(keys, cache_dir=cache_dir)
            pooled = snapshot.pooled
        timings["pool"] = time.perf_counter() - t0

        # 4. notebooks, in parallel, warm kernels
        t0 = time.perf_counter()
        render_tasks = [
            {
                "params": t["params"],
                "template": str(template),
                "output_dir": str(output_dir),
                "kernel": kernel,
                "kernel_name": kernel_name,
                "cwd": str(cwd),
                "execution_timeout": execution_timeout,
                "basename": t["basename"],
                "write_notebook": write_notebooks,
                "inprocess": inprocess,
                "cache_dir": str(cache_dir),
            }
            for t in ready
        ]
        for res in executor.map(_render_task, render_tasks, progress, "rapporten"):
            e = entries[res["code"]]
            e["seconds"] += res["seconds_render"]
            if res["status"] == "ok":
                e.update(status="ok", html=res["html"], stage=None, message="")
                stale = output_dir / f"{e['basename']}-fout.html"
                if stale.is_file():  # an error page of an earlier run
                    stale.unlink()
            else:
                e.update(status="failed", stage=res["stage"], message=res["message"])
        timings["render"] = time.perf_counter() - t0
        if registry_engine is not None:
            _record_registry(registry_engine, entries, {str(t["params"]["coalition_code"]) for t in ready})
    finally:
        executor.close()
        if registry_engine is not None:
            registry_engine.dispose()

    # 5. error pages, manifest, index
    t0 = time.perf_counter()
    for code, e in entries.items():
        if e["status"] != "failed":
            continue
        if e.get("message") and e.get("stage") in ("analysis", "notebook") and e.get("data_path"):
            # an exception's text may quote the data: no participant id reaches a page
            e["message"] = scrub_text(
                str(e["message"]), identifiers_of(None, Path(cwd, str(e["data_path"]))), lang
            )
        errors = e.pop("errors", None)
        errors = pd.DataFrame(errors) if errors else None
        page = error_page(
            code,
            e["coalition_name"],
            stage=e["stage"] or "analysis",
            message=e["message"],
            errors=errors,
            data_file=e.get("data_path"),
            lang=lang,
        )
        base = e.get("basename") or report_basename(code, e["coalition_name"])
        fname = f"{base}-fout.html"
        atomic_write(output_dir / fname, page)
        e["html"] = fname
        for old in (output_dir / f"{base}.html", output_dir / f"{base}{RECORD_SUFFIX}"):
            if old.is_file():  # an earlier report of this coalition is no longer valid
                old.unlink()
    manifest = {
        "evalkit_version": __version__,
        "template": template.name,
        "coalitions": {
            c: {
                k: (_portable_path(v, cwd) if k == "data_path" else v)
                for k, v in e.items()
                if k not in ("errors",)
            }
            for c, e in entries.items()
        },
    }
    # a failed run keeps no hash: it always runs again
    for e in manifest["coalitions"].values():
        if e["status"] == "failed":
            e["hash"] = None
        if e["status"] == "skipped":
            e["status"] = "ok"
    atomic_write(output_dir / MANIFEST, json.dumps(manifest, indent=1, default=str, ensure_ascii=False))
    table = pd.DataFrame(
        [
            {
                k: e.get(k)
                for k in ("coalition_code", "coalition_name", "status", "stage", "message", "html", "seconds")
            }
            for e in entries.values()
        ]
    )
    from evalkit.reports.disclosure import Policy
    from evalkit.reports.overview import index_page, load_snapshot

    if snapshot is None and precompute:
        snapshot = load_snapshot(cache_dir)
    index_html, index_rec = index_page(
        table,
        {c: e["key"] for c, e in entries.items()},
        snapshot,
        lang=lang,
        example_data=bool(common.get("example_data")),
        policy=Policy(int(common.get("min_cell", 10)), bool(common.get("min_cell_override"))),
    )
    index_path = atomic_write(output_dir / "index.html", index_html)
    atomic_write(output_dir / f"index{RECORD_SUFFIX}", json.dumps(index_rec, indent=1, ensure_ascii=False))
    timings["index"] = time.perf_counter() - t0
    return BatchResult(output_dir, index_path, table, pooled, time.perf_counter() - t_start, timings)


def _record_registry(engine: Any, entries: dict[str, dict], rendered: set[str]) -> None:
    """Record the key numbers of every page rendered and audited in this run."""
    from evalkit.store.registry import record_key_numbers

    for code, e in entries.items():
        if code not in rendered or e["status"] != "ok" or not e.get("key"):
            continue
        ctx = e.get("context") or {}
        year = ctx.get("year") or time.gmtime().tm_year
        try:
            n = record_key_numbers(
                e["key"],
                gm_code=code,
                coalition=e["coalition_name"],
                intervention=ctx.get("intervention") or "alle interventies",
                year=year,
                source="batch",
                url=engine,
            )
            e["registry"] = f"{n} recorded"
        except ParameterError as exc:  # the registry refuses it: the report stands
            e["registry"] = f"refused: {exc}"


# ----------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------
def _is_coalition_template(template: Path) -> bool:
    """The bundled coalition report (or a copy of it): rendered in-process by default."""
    try:
        nb = json.loads(Path(template).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return nb.get("metadata", {}).get("evalkit", {}).get("template") == "coalition_report"


def _portable_path(value: Any, cwd: Path) -> Any:
    """A path in the manifest: relative to the working folder, else only the file name."""
    if not isinstance(value, str) or not value:
        return value
    p = Path(value)
    if not p.is_absolute():
        return value
    try:
        return str(p.relative_to(cwd))
    except ValueError:
        return p.name


def _read_coalitions(path: str) -> pd.DataFrame:
    p = Path(path)
    if p.is_dir():  # one data file per coalition, named GM0363*.csv/xlsx
        from evalkit.reports.files import GM_RE

        rows = []
        for f in sorted(p.iterdir()):
            code = f.name[:6]
            if f.is_file() and GM_RE.match(code) and f.suffix.lower() in (".csv", ".xlsx", ".sav"):
                rows.append({"coalition_code": code, "data_path": str(f)})
        names = _municipality_names()
        for r in rows:
            r["coalition_name"] = names.get(r["coalition_code"], r["coalition_code"])
        return pd.DataFrame(rows)
    if p.suffix.lower() == ".xlsx":
        return pd.read_excel(p, dtype=str)
    return pd.read_csv(p, dtype=str, keep_default_na=False)


def _municipality_names() -> dict:
    from evalkit.data.codebook import municipalities

    df = municipalities()  # the one reader of evalkit/data/municipalities.csv
    return dict(zip(df["gm_code"], df["name"]))


def _cmd_batch(args) -> int:
    try:
        coalitions = _read_coalitions(args.coalitions)
        from evalkit.reports.render import parse_cli_values

        params = parse_cli_values([*(args.param or []), *(args.typed_param or [])], args.template)
        if args.lang:
            params["lang"] = args.lang
        res = run(
            args.template,
            coalitions,
            args.out,
            parameters=params,
            workers=args.workers,
            scheduler=args.scheduler,
            rerun=args.rerun,
            kernel=args.kernel,
            kernel_name=args.kernel_name,
            execution_timeout=args.execution_timeout,
            progress=not args.quiet,
            renderer=args.renderer,
            registry=args.registry,
        )
    except (ParameterError, EvalkitError) as exc:  # files: evalkit.cli.main, one line
        print(f"evalkit batch: {exc.message()}", file=sys.stderr)
        return 2
    n_same = len(res.table) - res.n_ok - res.n_failed
    print(
        f"{res.n_ok} {'rapport' if res.n_ok == 1 else 'rapporten'} klaar, "
        f"{res.n_failed} niet gemaakt, {n_same} ongewijzigd; {res.seconds:.1f} s"
    )
    print(f"Overzicht: {res.index_path}")
    return 1 if res.n_failed else 0


def cli_batch(subparsers) -> None:
    """``evalkit batch COALITIONS --out DIR [--workers N] [--scheduler ADDRESS]``"""
    p = subparsers.add_parser(
        "batch",
        help="render a report for every coalition plus index.html",
        description="COALITIONS is a CSV/Excel file with one row per coalition (columns = "
        "template parameters: coalition_code, coalition_name, data_path, ...) or "
        "a folder with one data file per coalition named GM0363*.csv.",
    )
    p.add_argument("coalitions")
    p.add_argument("--template", default=str(DEFAULT_TEMPLATE))
    p.add_argument("--out", default="reports")
    p.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    p.add_argument(
        "--scheduler", default=None, help="Dask scheduler address (tcp://host:8786) to run on a cluster"
    )
    p.add_argument("--rerun", choices=("changed", "failed", "all"), default="changed")
    p.add_argument("--kernel", choices=("warm", "fresh"), default="warm")
    p.add_argument("--kernel-name", default="python3")
    p.add_argument("--execution-timeout", type=float, default=600)
    p.add_argument("--lang", choices=i18n.LANGS, default=None)
    p.add_argument(
        "-r",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter shared by all coalitions, typed by the template "
        "(-r min_cell 15; -r min_cell_override ja)",
    )
    p.add_argument(
        "-p",
        dest="typed_param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="the same as -r (as in evalkit report)",
    )
    p.add_argument(
        "--renderer",
        choices=("auto", "inprocess", "notebook"),
        default="auto",
        help="coalition reports in this process (auto) or through the notebook",
    )
    p.add_argument(
        "--registry",
        metavar="URL",
        default=None,
        help="database (e.g. the portal's) whose results registry records the key "
        "numbers of every audited report",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_batch)
