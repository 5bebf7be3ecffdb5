"""Render one coalition report: a parameterised notebook executed and exported to HTML.

A report template is a Jupyter notebook with one code cell tagged ``parameters`` (the
papermill convention). :func:`render` checks the parameters against that cell *before*
any kernel starts, executes the notebook, and writes two files: the executed notebook
(``<name>.ipynb``, with the parameters in its metadata) and one self-contained HTML page
(``<name>.html``) without code, prompts or error tracebacks.

Two ways to execute:

``kernel="fresh"``
    A new kernel for this report (the plain papermill way; thread-safe because the
    working directory is handed to the kernel rather than set with ``os.chdir``).
``kernel=WarmKernel(...)``
    A kernel that is already running, with the library imported. Before each notebook the
    kernel is *reset* (:meth:`WarmKernel.reset`): the user namespace, execution counter,
    matplotlib figures and settings, warning filters and registries, pandas options,
    working directory, ``sys.path`` and environment are restored to the state right after
    start-up. The tests prove that a warm kernel gives the same report bytes (timestamps
    aside) as a fresh papermill run, also after a notebook that deliberately pollutes the
    kernel.

HTML is exported in-process (nbconvert's ``HTMLExporter`` with the small ``basic``
template, constructed once per process) and wrapped in a minimal page with inline CSS and a
Content-Security-Policy that forbids every network request. No CDN script (require.js,
MathJax), no external font, no link leaves the file.

Examples
--------
>>> from evalkit import report
>>> report.template_parameters("templates/coalition_report.ipynb")  # doctest: +SKIP
{'coalition_code': None, 'coalition_name': None, 'data_path': None, ...}
>>> out = report.render("templates/coalition_report.ipynb",
...                     {"coalition_code": "GM0363", "coalition_name": "Amsterdam",
...                      "data_path": "data/GM0363.csv"}, "reports")  # doctest: +SKIP
>>> out.html_path  # doctest: +SKIP
PosixPath('reports/GM0363-amsterdam.html')
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from evalkit._version import __version__
from evalkit.core import i18n
from evalkit.core.checks import check_option, check_positive_int
from evalkit.core.errors import EvalkitError, ParameterError
from evalkit.reports.files import (  # noqa: F401 - public names of evalkit.report
    CSP,
    GM_RE,
    REPORT_CSS,
    atomic_write,
    file_sha256,
    html_page,
    report_basename,
    safe_filename,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "RenderedReport",
    "ReportExecutionError",
    "WarmKernel",
    "atomic_write",
    "check_parameters",
    "cli_report",
    "export_html",
    "find_external_references",
    "render",
    "report_basename",
    "safe_filename",
    "template_parameters",
]


#: The bundled coalition report template.
def _templates_dir() -> Path:
    """``templates/`` of a source checkout, else the copy an installed wheel carries."""
    package = Path(__file__).resolve().parents[1]
    for cand in (package.parent / "templates", package / "templates"):
        if (cand / "coalition_report.ipynb").exists():
            return cand
    return package.parent / "templates"


TEMPLATES_DIR = _templates_dir()
DEFAULT_TEMPLATE = TEMPLATES_DIR / "coalition_report.ipynb"

#: Metadata key under which evalkit stores what produced a report.
META_KEY = "evalkit"


class ReportExecutionError(EvalkitError, RuntimeError):
    """A cell of the report notebook raised an error.

    Attributes
    ----------
    ename, evalue : str
        Exception type and message raised inside the notebook.
    cell_index : int or None
        Index of the failing cell.
    notebook : nbformat.NotebookNode or None
        The partially executed notebook (for debugging).
    """

    def __init__(self, message, ename="", evalue="", cell_index=None, notebook=None):
        super().__init__(message)
        self.ename = ename
        self.evalue = evalue
        self.cell_index = cell_index
        self.notebook = notebook


# ----------------------------------------------------------------------------------------
# file names and writing
# ----------------------------------------------------------------------------------------
# ----------------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------------
def _read_notebook(template) -> nbformat.NotebookNode:
    if isinstance(template, nbformat.NotebookNode):
        nb = copy.deepcopy(template)
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
        return nb
    path = Path(template)
    if not path.is_file():
        raise i18n.error(ParameterError, "pages.render.error.no_template", template=str(template))
    try:
        nb = nbformat.read(path, as_version=4)
    except (ValueError, KeyError, AttributeError, TypeError) as exc:  # not JSON / not a notebook
        raise i18n.error(ParameterError, "pages.render.error.not_notebook", template=str(template)) from exc
    for cell in nb.cells:  # papermill expects a tags list on every cell
        cell.metadata.setdefault("tags", [])
    return nb


def _parameters_cell_index(nb) -> int:
    hits = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])
    ]
    if len(hits) != 1:
        raise ParameterError(
            f"the template needs exactly one code cell tagged 'parameters'; found {len(hits)}."
        )
    return hits[0]


def template_parameters(template) -> dict[str, Any]:
    """Names and default values of a template's ``parameters`` cell, without a kernel.

    The cell is parsed, not executed: every statement must be a plain assignment of a
    literal (``name = "text"``, ``name = 10``, ``name = None``). A default of ``None``
    marks a *required* parameter.
    """
    nb = _read_notebook(template)
    source = nb.cells[_parameters_cell_index(nb)].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(f"the parameters cell is not valid Python: {exc}") from exc
    params: dict[str, Any] = {}
    for node in tree.body:
        targets: list[ast.Name]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            targets, value = [t for t in node.targets if isinstance(t, ast.Name)], node.value
        else:
            raise ParameterError(
                "the parameters cell may only assign literals to names "
                f"(line {getattr(node, 'lineno', '?')})."
            )
        try:
            val = ast.literal_eval(value) if value is not None else None
        except ValueError as exc:
            raise ParameterError(f"parameter {targets[0].id!r} must have a literal default ({exc}).") from exc
        for t in targets:
            params[t.id] = val
    return params


def _type_name(v) -> str:
    return type(v).__name__


def _check_value(name: str, value: Any, default: Any) -> Any:
    """Type check against the default, plus the rules of the known report parameters."""
    if default is None:
        if not isinstance(value, str):
            hint = ""
            if name == "coalition_code" and isinstance(value, (int, float)):
                hint = (
                    " Municipality codes are strings like 'GM0363' (on the papermill"
                    " command line '-p coalition_code 0363' becomes the number 363;"
                    " use -r or quote it)."
                )
            raise ParameterError(
                f"parameter {name!r} must be a string, got {_type_name(value)} {value!r}.{hint}"
            )
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParameterError(f"parameter {name!r} must be true/false, got {value!r}.")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(
                f"parameter {name!r} must be a whole number, got {_type_name(value)} {value!r}."
            )
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"parameter {name!r} must be a number, got {value!r}.")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ParameterError(f"parameter {name!r} must be a string, got {_type_name(value)} {value!r}.")
    elif isinstance(default, (list, dict)):
        if not isinstance(value, type(default)):
            raise ParameterError(f"parameter {name!r} must be a {_type_name(default)}, got {value!r}.")
    # rules of the known parameters of evalkit's templates
    if name == "coalition_code" and not GM_RE.match(value):
        raise i18n.error(ParameterError, "pages.render.error.coalition_code", value=value)
    if name in ("lang", "language"):
        check_option(name, value, i18n.LANGS)
    if name == "min_cell":
        check_positive_int(value, "min_cell")
    return value


def check_parameters(template, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Refuse unknown, missing or mistyped parameters; return the complete set.

    Runs without a kernel (the ``parameters`` cell is parsed). Parameters whose default is
    ``None`` are required. The values must have the type of the default; municipality
    codes must be strings ``GM`` + four digits; ``lang`` is ``"nl"`` or ``"en"``.

    Raises
    ------
    ParameterError
        Naming every unknown and missing parameter, or the first bad value.
    """
    defaults = template_parameters(template)
    parameters = dict(parameters or {})
    unknown = sorted(set(parameters) - set(defaults))
    missing = sorted(k for k, v in defaults.items() if v is None and parameters.get(k) is None)
    if unknown or missing:

        def problems(lang: str) -> str:
            out = []
            if unknown:
                out.append(i18n.t("pages.render.error.unknown", lang, names=_names(unknown)(lang)))
            if missing:
                out.append(
                    i18n.t("pages.render.error.missing", lang, names=_names(missing)(lang), first=missing[0])
                )
            return "; ".join(out)

        raise i18n.error(
            ParameterError,
            "pages.render.error.parameters",
            problems=problems,
            accepted=_names(sorted(defaults)),
        )
    full = dict(defaults)
    for k, v in parameters.items():
        full[k] = _check_value(k, v, defaults[k])
    return full


def _names(items) -> Callable[[str], str]:
    """A list of names worded per language (``pages.list_item``), for :func:`i18n.error`."""
    return lambda lang: ", ".join(i18n.t("pages.list_item", lang, item=x) for x in items)


def _check_timeout(execution_timeout) -> float:
    """``execution_timeout`` as a positive number of seconds (else ParameterError)."""
    if (
        isinstance(execution_timeout, bool)
        or not isinstance(execution_timeout, (int, float))
        or not execution_timeout > 0
        or execution_timeout != execution_timeout
    ):
        raise ParameterError(
            f"execution_timeout must be a positive number of seconds, got {execution_timeout!r}."
        )
    return float(execution_timeout)


def _check_kernel_name(kernel_name) -> str:
    """Refuse an unknown Jupyter kernel spec before any kernel is started."""
    if not isinstance(kernel_name, str) or not kernel_name:
        raise ParameterError(f"kernel_name must be the name of a Jupyter kernel, got {kernel_name!r}.")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        names = sorted(KernelSpecManager().find_kernel_specs())
        raise i18n.error(
            ParameterError, "pages.render.error.kernel", kernel=kernel_name, installed=_names(names)
        ) from None
    return kernel_name


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


def parameterize(template, parameters: Mapping[str, Any]) -> nbformat.NotebookNode:
    """The notebook with an ``injected-parameters`` cell after the ``parameters`` cell.

    Same layout as papermill (which is used for the code), so a report can be re-run
    with papermill itself.
    """
    from papermill.parameterize import parameterize_notebook

    nb = _read_notebook(template)
    nb.metadata.setdefault("papermill", {})
    nb = parameterize_notebook(nb, dict(parameters), report_mode=False)
    return nb


# ----------------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------------
# Runs inside the kernel before every report: restores the start-up snapshot.
_SNAPSHOT_CODE = r"""
def __evalkit_snapshot():
    import os, sys, warnings, copy
    snap = {"cwd": os.getcwd(), "path": list(sys.path), "environ": dict(os.environ),
            "filters": list(warnings.filters), "modules": set(sys.modules)}
    try:
        import matplotlib
        snap["rc"] = copy.deepcopy(dict(matplotlib.rcParams))
    except ImportError:
        snap["rc"] = None
    sys.modules["__evalkit_kernel_snapshot__"] = type(sys)("__evalkit_kernel_snapshot__")
    sys.modules["__evalkit_kernel_snapshot__"].snap = snap
__evalkit_snapshot()
del __evalkit_snapshot
import gc as __gc
__gc.collect()
__gc.freeze()  # start-up objects leave the collector's view: later collections stay cheap
del __gc
"""

_RESET_CODE = r"""
def __evalkit_reset():
    import os, sys, warnings, gc
    snap = sys.modules["__evalkit_kernel_snapshot__"].snap
    ip = get_ipython()
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None:
        plt.close("all")
        if snap["rc"] is not None:
            import matplotlib
            with warnings.catch_warnings():  # restoring deprecated rc keys warns
                warnings.simplefilter("ignore", matplotlib.MatplotlibDeprecationWarning)
                matplotlib.rcParams.clear()
                matplotlib.rcParams.update(snap["rc"])
    if "pandas" in sys.modules:
        import pandas as pd
        with warnings.catch_warnings():  # resetting deprecated options warns
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            pd.reset_option("all")
    warnings.filters[:] = snap["filters"]
    warnings._filters_mutated()
    warnings.onceregistry.clear()
    for mod in list(sys.modules.values()):
        reg = getattr(mod, "__warningregistry__", None)
        if isinstance(reg, dict):
            reg.clear()
    os.chdir(snap["cwd"])
    sys.path[:] = snap["path"]
    for k in set(os.environ) - set(snap["environ"]):
        del os.environ[k]
    os.environ.update(snap["environ"])
    ip.reset(new_session=True)
    gc.collect()
    ip.execution_count = 1
__evalkit_reset()
"""

# The kernel's own log (e.g. its TCP-without-encryption notice) stays out of the terminal.
_QUIET_KERNEL = ("--IPKernelApp.log_level=ERROR",)

# Imported once when a warm kernel starts, so that reports skip the import cost.
DEFAULT_PRELUDE = (
    "import numpy, pandas, scipy.stats, matplotlib, matplotlib.pyplot\n"
    "import evalkit\n"
    "try:\n"
    "    import evalkit.reports.compute\n"
    "except ImportError:\n"
    "    pass\n"
)


def _code_nb(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _raise_cell_error(exc, nb):
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    idx = None
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            idx = i
            break
    raise ReportExecutionError(
        f"the report notebook failed in cell {idx}: {ename}: {evalue}",
        ename=ename,
        evalue=evalue,
        cell_index=idx,
        notebook=nb,
    ) from None


class WarmKernel:
    """A running kernel reused for many reports, reset before each one.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel spec (``python3``).
    cwd : path
        Working directory of the kernel (restored before every report).
    prelude : str
        Code run once at start-up (imports), so that reports do not pay for it.
    startup_timeout : float
        Seconds to wait for the kernel to start.

    Use as a context manager or call :meth:`shutdown`. Not shareable between threads:
    keep one per process or thread (the batch does).
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        cwd: str | os.PathLike | None = None,
        prelude: str = DEFAULT_PRELUDE,
        startup_timeout: float = 60,
    ):
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        self.kernel_name = kernel_name
        self.cwd = str(Path(cwd or os.getcwd()).resolve())
        self.reports_run = 0
        self._owner_thread = threading.get_ident()
        nb = _code_nb(prelude, _SNAPSHOT_CODE)
        self._client = NotebookClient(
            nb,
            kernel_name=kernel_name,
            timeout=startup_timeout,
            startup_timeout=startup_timeout,
            resources={"metadata": {"path": self.cwd}},
            extra_arguments=["--HistoryManager.enabled=False", *_QUIET_KERNEL],
        )
        try:
            self._client.execute(cleanup_kc=False)
        except (RuntimeError, TimeoutError, OSError, KeyError, CellExecutionError) as exc:
            # RuntimeError: the kernel died (nbclient's DeadKernelError); TimeoutError: no
            # answer; KeyError: no such kernel (jupyter_client's NoSuchKernel); OSError: the
            # process could not start; CellExecutionError: the snapshot code failed
            self.shutdown()
            raise EvalkitError(f"the warm kernel failed to start: {exc}") from exc
        self.km = self._client.km
        self.kc = self._client.kc

    def _run(self, nb, timeout, store_history=True):
        from nbclient import NotebookClient

        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=self.kernel_name,
            timeout=timeout,
            resources={"metadata": {"path": self.cwd}},
            record_timing=False,
        )
        client.kc = self.kc
        try:
            if store_history:
                client.execute(cleanup_kc=False)
            else:  # e.g. the reset: does not advance the execution counter
                client.reset_execution_trackers()
                with client.setup_kernel(cleanup_kc=False):
                    for index, cell in enumerate(nb.cells):
                        client.execute_cell(cell, index, store_history=False)
        finally:
            import atexit

            atexit.unregister(client._cleanup_kernel)
        return nb

    def reset(self, timeout: float = 60) -> None:
        """Restore the state right after start-up (see the module docstring)."""
        self._run(_code_nb(_RESET_CODE), timeout, store_history=False)

    def execute(self, nb: nbformat.NotebookNode, timeout: float = 600) -> nbformat.NotebookNode:
        """Reset the kernel, then execute every cell of ``nb`` (in place)."""
        if threading.get_ident() != self._owner_thread:
            raise EvalkitError("a WarmKernel must be used by the thread that created it.")
        if self.km is None:
            raise EvalkitError("this WarmKernel has been shut down.")
        self.reset()
        self._run(nb, timeout)
        self.reports_run += 1
        return nb

    @property
    def alive(self) -> bool:
        return bool(self.km is not None and self.km.has_kernel)

    def shutdown(self) -> None:
        """Stop the kernel process."""
        client = getattr(self, "_client", None)
        if client is not None:
            try:
                client._cleanup_kernel()
            except (RuntimeError, OSError, TimeoutError):  # already dead or gone: nothing to stop
                pass
        self.km = self.kc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.shutdown()
        except (AttributeError, TypeError, ImportError):  # interpreter shutting down
            pass


def _execute_fresh(nb, kernel_name, cwd, timeout):
    """A new kernel for this one notebook (no os.chdir in this process)."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
        extra_arguments=list(_QUIET_KERNEL),
    )
    client.execute()
    return nb


# ----------------------------------------------------------------------------------------
# HTML export
# ----------------------------------------------------------------------------------------
_EXPORTERS: dict[int, Any] = {}


def _exporter():
    from nbconvert import HTMLExporter

    key = threading.get_ident()
    exp = _EXPORTERS.get(key)
    if exp is None:
        # No preprocessors: _strip_for_export removes what must not be shown, and each
        # default preprocessor re-validates the notebook (3/4 of the export time).
        exp = HTMLExporter(
            template_name="basic",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            exclude_markdown=False,
            exclude_raw=True,
            default_preprocessors=[],
        )
        _EXPORTERS[key] = exp
    return exp


_RECORD_MIME = "application/vnd.evalkit.disclosure+json"


def _take_record(nb) -> dict | None:
    """The disclosure record a report notebook emitted (see evalkit.reports.notebook)."""
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            rec = o.get("data", {}).get(_RECORD_MIME)
            if rec is not None:
                return json.loads(json.dumps(rec))
    return None


def _strip_for_export(nb):
    """Drop what a reader must never see: code, stderr, tracebacks, hidden cells."""
    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if tags & {"parameters", "injected-parameters", "remove_cell", "remove-cell"}:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and o.get("output_type") != "error"
                and _RECORD_MIME not in o.get("data", {})
            ]
            if not cell.outputs:
                continue
        keep.append(cell)
    nb.cells = keep
    return nb


_EXTERNAL_RE = re.compile(
    r"""(?:src|href|action|data|poster|srcset)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)


def find_external_references(html: str) -> list[str]:
    """Every ``src``/``href``/``url()``/``@import`` in ``html`` that would load from the network."""
    out = []
    for m in _EXTERNAL_RE.finditer(html):
        out.append(html[m.start() : m.start() + 80])
    return out


def export_html(nb, *, title: str | None = None, lang: str = "nl") -> str:
    """Convert an executed notebook to one self-contained HTML page (no code, no prompts).

    Raises
    ------
    EvalkitError
        If the result would make a network request (an external ``src``/``href``).
    """
    body, _ = _exporter().from_notebook_node(_strip_for_export(nb))
    if title is None:
        title = nb.metadata.get(META_KEY, {}).get("title", "Rapport")
    page = html_page(body, title=title, lang=lang)
    bad = find_external_references(page)
    if bad:
        raise EvalkitError(f"the report would load external resources: {bad[:3]}")
    return page


# ----------------------------------------------------------------------------------------
# render
# ----------------------------------------------------------------------------------------
@dataclass
class RenderedReport:
    """What :func:`render` wrote."""

    html_path: Path
    notebook_path: Path | None
    parameters: dict
    seconds: float
    metadata: dict = field(default_factory=dict)


def _normalise_outputs(nb):
    """Drop per-cell timing metadata, so that two runs differ only in ``rendered_at``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    return nb


def render(
    template,
    parameters: Mapping[str, Any] | None,
    output_dir,
    *,
    kernel: str | WarmKernel = "fresh",
    kernel_name: str = "python3",
    cwd: str | os.PathLike | None = None,
    execution_timeout: float = 600,
    basename: str | None = None,
    write_notebook: bool = True,
    title: str | None = None,
) -> RenderedReport:
    """Execute a report template for one set of parameters and write HTML (+ notebook).

    Parameters
    ----------
    template : path or NotebookNode
        Notebook with a cell tagged ``parameters``.
    parameters : mapping
        Values for the parameters cell; unknown, missing (default ``None``) or mistyped
        values raise :class:`~evalkit.ParameterError` before a kernel starts.
    output_dir : path
        Folder for ``<basename>.html`` and ``<basename>.ipynb`` (written atomically).
    kernel : "fresh" or WarmKernel
        A new kernel for this report, or a running one that is reset first.
    kernel_name, cwd, execution_timeout
        Kernel spec, working directory of the kernel (default: the current directory) and
        the time limit per cell in seconds -- always explicit, never papermill's defaults.
    basename : str, optional
        File-name stem; default from ``coalition_code`` and ``coalition_name``
        (:func:`report_basename`), else the template name.
    write_notebook : bool
        Also write the executed notebook (with ``metadata.evalkit.parameters``).

    Returns
    -------
    RenderedReport

    Raises
    ------
    ParameterError
        Bad parameters (no kernel was started).
    ReportExecutionError
        A cell raised; nothing is written.
    """
    t0 = time.perf_counter()
    full = check_parameters(template, parameters)
    given = dict(parameters or {})
    execution_timeout = _check_timeout(execution_timeout)
    if isinstance(kernel, str):
        check_option("kernel", kernel, ("fresh",))
        _check_kernel_name(kernel_name)
    elif not isinstance(kernel, WarmKernel):
        raise ParameterError("kernel must be 'fresh' or a WarmKernel.")
    if not isinstance(write_notebook, bool):
        raise ParameterError(f"write_notebook must be True or False, got {write_notebook!r}.")
    if Path(output_dir).exists() and not Path(output_dir).is_dir():
        raise i18n.error(ParameterError, "pages.render.error.output_not_folder", output_dir=str(output_dir))
    tpl_path = None if isinstance(template, nbformat.NotebookNode) else Path(template).resolve()
    if cwd is None:  # as papermill: the current directory
        cwd = Path.cwd()
    cwd = Path(cwd).resolve()
    if not cwd.is_dir():
        raise ParameterError(f"cwd={str(cwd)!r} is not a folder.")
    if basename is None:
        if full.get("coalition_code"):
            basename = report_basename(full["coalition_code"], full.get("coalition_name"))
        else:
            basename = safe_filename(tpl_path.stem if tpl_path else "rapport")
    lang = full.get("lang", full.get("language", "nl"))

    nb = parameterize(template, given)
    tpl_bytes = tpl_path.read_bytes() if tpl_path is not None else nbformat.writes(template).encode()
    meta = {
        "parameters": _json_safe(full),
        "template": tpl_path.name if tpl_path else None,
        "template_sha256": hashlib.sha256(tpl_bytes).hexdigest(),
        "evalkit_version": __version__,
        "kernel_name": kernel_name,
        "title": title
        or (
            f"{full['coalition_name']} ({full['coalition_code']})" if full.get("coalition_name") else basename
        ),
    }
    data_path = full.get("data_path")
    if isinstance(data_path, str) and data_path and Path(cwd, data_path).is_file():
        meta["data_sha256"] = file_sha256(Path(cwd, data_path))
    nb.metadata[META_KEY] = meta
    nb.metadata.setdefault("papermill", {})["parameters"] = _json_safe(given)
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": kernel_name, "language": "python"}

    from nbclient.exceptions import CellExecutionError

    try:
        if isinstance(kernel, WarmKernel):
            kernel.execute(nb, timeout=execution_timeout)
        else:
            _execute_fresh(nb, kernel_name, cwd, execution_timeout)
    except CellExecutionError as exc:
        _raise_cell_error(exc, nb)
    _normalise_outputs(nb)
    meta["rendered_at"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    page = export_html(nb, title=meta["title"], lang=lang)
    output_dir = Path(output_dir)
    record = _take_record(nb)
    if record is not None:  # a report with a disclosure record: audited before it is written
        from evalkit.reports import disclosure

        record["page"] = f"{basename}.html"
        record["page_sha256"] = hashlib.sha256(page.encode("utf-8")).hexdigest()
        bad = disclosure.audit_record(record, page_html=page)
        if bad:
            raise disclosure.DisclosureError(
                "de pagina voldoet niet aan de privacyregels: " + "; ".join(v.message for v in bad[:5]), bad
            )
        atomic_write(
            output_dir / f"{basename}{disclosure.RECORD_SUFFIX}",
            json.dumps(record, indent=1, ensure_ascii=False),
        )
    html_path = atomic_write(output_dir / f"{basename}.html", page)
    nb_path = None
    if write_notebook:
        nb_path = atomic_write(output_dir / f"{basename}.ipynb", nbformat.writes(nb))
    return RenderedReport(html_path, nb_path, full, time.perf_counter() - t0, meta)


# ----------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------
_TRUE = ("true", "1", "ja", "yes", "j", "y")
_FALSE = ("false", "0", "nee", "no", "n")


def parse_cli_values(pairs, template) -> dict[str, Any]:
    """``NAME VALUE`` pairs from the command line, typed by the template's defaults.

    ``evalkit report -p`` and ``evalkit batch -r`` (and ``-p``) share this one meaning: a
    whole-number parameter (``min_cell``) becomes an int, a yes/no parameter a bool
    (``ja``/``nee``, ``true``/``false``), everything else stays text (so ``GM0363`` is never
    a number). Unknown names and bad values give a Dutch message.
    """
    defaults = template_parameters(template)
    out: dict[str, Any] = {}
    for name, value in pairs or []:
        if name not in defaults:
            raise ParameterError(
                f"onbekende parameter {name!r}; het sjabloon kent: {', '.join(sorted(defaults))}."
            )
        default = defaults[name]
        if isinstance(default, bool):
            low = value.strip().lower()
            if low not in _TRUE + _FALSE:
                raise ParameterError(f"parameter {name} moet ja of nee zijn, niet {value!r}.")
            out[name] = low in _TRUE
        elif isinstance(default, int):
            try:
                out[name] = int(value.strip())
            except ValueError:
                raise ParameterError(f"parameter {name} moet een heel getal zijn, niet {value!r}.") from None
        elif isinstance(default, float):
            try:
                out[name] = float(value.strip().replace(",", "."))
            except ValueError:
                raise ParameterError(f"parameter {name} moet een getal zijn, niet {value!r}.") from None
        else:  # strings (and required parameters) stay strings: no YAML surprises
            out[name] = value
    return out


def _parse_cli_params(pairs, raw_pairs, template):
    """``-p`` and ``-r`` pairs, both typed by the template (one meaning)."""
    return parse_cli_values([*(raw_pairs or []), *(pairs or [])], template)


def _is_coalition_template(template) -> bool:
    try:
        nb = json.loads(Path(template).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return nb.get("metadata", {}).get(META_KEY, {}).get("template") == "coalition_report"


def _cmd_report(args) -> int:
    import sys

    try:
        params = _parse_cli_params(args.param, args.raw_param, args.template)
        if _is_coalition_template(args.template) and not args.notebook:
            from evalkit.reports.coalition import render_coalition

            if not params.get("data_path") or not params.get("coalition_code"):
                raise ParameterError("geef ten minste -p coalition_code GM0363 en -p data_path BESTAND.")
            data = Path(args.cwd or ".", params.pop("data_path"))
            params.pop("results_cache", None)
            code = params.pop("coalition_code")
            outcome = render_coalition(data, coalition_code=code, output_dir=args.out, **params)
            print(outcome.html_path)
            if not outcome.ok:
                print(
                    f"evalkit report: geen rapport gemaakt ({outcome.message}); zie de foutpagina.",
                    file=sys.stderr,
                )
                return 1
            return 0
        out = render(
            args.template,
            params,
            args.out,
            kernel_name=args.kernel_name,
            cwd=args.cwd,
            execution_timeout=args.execution_timeout,
        )
    except (ParameterError, ReportExecutionError) as exc:
        print(f"evalkit report: {exc.message()}", file=sys.stderr)
        return 1
    except EvalkitError as exc:  # e.g. a page that fails the privacy audit
        print(f"evalkit report: {exc.message()}", file=sys.stderr)
        return 1
    print(out.html_path)
    return 0


def cli_report(subparsers) -> None:
    """``evalkit report TEMPLATE --out DIR -p name value ...``"""
    p = subparsers.add_parser(
        "report",
        help="render one report from a template",
        description="Render one coalition report (in this process, with the privacy audit) "
        "or execute another parameterised report notebook, and write "
        "self-contained HTML. Values are typed by the template's defaults, so "
        "'-p coalition_code GM0363' stays a string and '-p min_cell 15' a number.",
    )
    p.add_argument(
        "template",
        nargs="?",
        default=str(DEFAULT_TEMPLATE),
        help="template notebook (default: the coalition report)",
    )
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter value, typed by the template (min_cell 15; min_cell_override ja)",
    )
    p.add_argument(
        "-r",
        "--raw-param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="the same as -p (kept for compatibility with evalkit batch -r)",
    )
    p.add_argument(
        "--notebook",
        action="store_true",
        help="execute the notebook template with papermill instead of rendering "
        "the coalition report in this process",
    )
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--kernel-name", default="python3")
    p.add_argument("--cwd", default=None, help="working directory of the kernel")
    p.add_argument("--execution-timeout", type=float, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=_cmd_report)
