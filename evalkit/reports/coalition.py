"""One coalition's report, end to end: read -> compute -> disclose -> render -> audit -> write.

:func:`render_coalition` is the stable entry point for the batch, the command line and
the web portal::

    from evalkit.reports import render_coalition
    out = render_coalition("GM0363.csv", coalition_code="GM0363",
                           coalition_name="Amsterdam", output_dir="reports")
    out.status        # "ok" or "failed"
    out.html          # the page (a report, or the Dutch error page)
    out.record        # the disclosure record (every number shown, the counts behind it)

A page is only ever returned as a report after it passed the audit; a page that fails
becomes an error page, never a published one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.core import i18n
from evalkit.core.errors import (
    DataValidationError,
    EstimationError,
    EvalkitError,
    ParameterError,
    report_warnings_handled,
)
from evalkit.core.i18n import LANGS
from evalkit.reports import disclosure
from evalkit.reports.compute import KEY_IDS, Snapshot, add_position, compute
from evalkit.reports.content import ContentError, Page
from evalkit.reports.disclosure import DisclosedPage, Policy
from evalkit.reports.errorpage import error_page
from evalkit.reports.reference import (
    BenchmarkFigures,
    ReferenceFigures,
    example_benchmark,
    example_reference,
    municipal_reference,
)

__all__ = [
    "REPORT_PARAMETERS",
    "ReportOutcome",
    "check_report_parameters",
    "finish_page",
    "key_numbers",
    "prepare_page",
    "render_coalition",
]

#: The parameters of a coalition report: name -> (type, default, Dutch description).
#: ``None`` as default marks a required parameter. The notebook template's parameters
#: cell and ``evalkit report -p`` / ``evalkit batch -r`` use these names and types.
REPORT_PARAMETERS: dict[str, tuple[type, Any, str]] = {
    "coalition_code": (str, None, "CBS-gemeentecode, bijvoorbeeld GM0363"),
    "coalition_name": (str, None, "naam van de gemeente of coalitie"),
    "data_path": (str, None, "databestand van de coalitie (csv/xlsx/sav)"),
    "codebook": (str, "intervention", "codeboek van het databestand"),
    "intervention": (str, "", "één interventie uit het bestand; leeg = alle"),
    "lang": (str, "nl", "taal van het rapport: nl of en"),
    "min_cell": (int, 10, "privacydrempel: kleinste groep die getoond wordt (10 of hoger)"),
    "min_cell_override": (bool, False, "ja = een drempel onder 10 toestaan (staat in de bijlage)"),
    "example_data": (bool, False, "ja = voorbeeldgegevens (alleen evalkit demo)"),
    "benchmark_path": (str, "", "benchmarkbestand van het programma; leeg = geen benchmark"),
    "results_cache": (str, "", "gezet door evalkit batch"),
}


def check_report_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """Types and rules of the coalition-report parameters (Dutch messages)."""
    from evalkit.reports.files import GM_RE

    out = {}
    for k, v in params.items():
        if k not in REPORT_PARAMETERS:
            raise i18n.error(
                ParameterError,
                "pages.coalition.error.unknown_parameter",
                name=repr(k),
                allowed=", ".join(REPORT_PARAMETERS),
            )
        typ, _default, _ = REPORT_PARAMETERS[k]
        if typ is int and (isinstance(v, bool) or not isinstance(v, int)):
            raise i18n.error(ParameterError, "pages.coalition.error.not_integer", name=k, value=repr(v))
        if typ is bool and not isinstance(v, bool):
            raise i18n.error(ParameterError, "pages.coalition.error.not_yes_no", name=k, value=repr(v))
        if typ is str and not isinstance(v, str):
            raise i18n.error(ParameterError, "pages.coalition.error.not_text", name=k, value=repr(v))
        out[k] = v
    if "coalition_code" in out and not GM_RE.match(out["coalition_code"]):
        raise i18n.error(
            ParameterError, "pages.coalition.error.coalition_code", value=repr(out["coalition_code"])
        )
    if out.get("lang", "nl") not in LANGS:
        raise i18n.error(ParameterError, "pages.coalition.error.lang", value=repr(out["lang"]))
    Policy(int(out.get("min_cell", 10)), bool(out.get("min_cell_override", False)))
    return out


@dataclass
class ReportOutcome:
    """What :func:`render_coalition` made.

    ``status`` is ``"ok"`` (a report that passed the audit) or ``"failed"`` (``html`` is
    the Dutch error page; ``stage`` says where: ``validation``, ``analysis``,
    ``disclosure``); ``record`` is the disclosure record (None for an error page);
    ``key`` the disclosed key numbers (for an overview); ``html_path``/``record_path``
    when written.
    """

    status: str
    html: str
    record: dict | None
    key: dict = field(default_factory=dict)
    stage: str | None = None
    message: str = ""
    basename: str = ""
    html_path: Path | None = None
    record_path: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def key_numbers(d: DisclosedPage) -> dict[str, Any]:
    """The key numbers of a disclosed page: only what the page itself may show."""
    page = d.page
    key: dict[str, Any] = {
        "coalition_code": page.meta.get("coalition_code"),
        "coalition_name": page.meta.get("coalition_name"),
        "min_cell": d.policy.min_cell,
        "quantities": {},
    }
    aliases = page.meta.get("aliases", {})
    for k in KEY_IDS:
        qid = aliases.get(k, k)
        qt = page.quantities.get(qid)
        if qt is None:
            key[k] = None
            continue
        shown = d.shown(qid)
        key[k] = qt.value if shown else None
        if shown:
            key["quantities"][k] = {
                "value": qt.value,
                "kind": qt.kind,
                "group_n": qt.group_n,
                "in_n": qt.in_n,
                "fmt": qt.fmt,
                "digits": qt.digits,
            }
    key["suppressed"] = key.get("n_pairs") is None or key.get("mean_diff") is None
    return key


def _policy(params: dict) -> Policy:
    return Policy(int(params.get("min_cell", 10)), bool(params.get("min_cell_override", False)))


def _references(
    params: dict, reference: Any, benchmark: Any
) -> tuple[ReferenceFigures | None, BenchmarkFigures | None]:
    code = params["coalition_code"]
    name = params.get("coalition_name") or code
    example = bool(params.get("example_data"))
    if reference == "auto":
        reference = (
            example_reference(code, name)
            if example
            else municipal_reference(code, params.get("lang") or "nl")
        )
    if benchmark == "auto":
        benchmark = None
        if example:
            benchmark = example_benchmark(code)
        elif params.get("benchmark_path"):
            benchmark = read_benchmark(params["benchmark_path"], code)
    if reference is not None and not isinstance(reference, ReferenceFigures):
        raise ParameterError("reference must be ReferenceFigures, 'auto' or None.")
    if benchmark is not None and not isinstance(benchmark, BenchmarkFigures):
        raise ParameterError("benchmark must be BenchmarkFigures, 'auto' or None.")
    if not example and any(x is not None and x.example for x in (reference, benchmark)):
        raise ParameterError("voorbeeldgegevens alleen in evalkit demo (example_data=True).")
    return reference, benchmark


def read_benchmark(path: str | os.PathLike, code: str) -> BenchmarkFigures | None:
    """Benchmark figures of ``code`` from a file in the ``benchmark`` codebook, as supplied
    by the programme (source = the file's name and the year in it)."""
    from evalkit.data import readers

    bm = readers.read(Path(path), "benchmark", strict=True)
    year = int(bm["year"].max())
    cur = bm[bm["year"] == year]
    mine = cur[cur["municipality_code"].astype(str) == code]
    if mine.empty:
        return None
    pillars = [c for c in cur.columns if str(c).startswith("pillar_")]
    return BenchmarkFigures(
        municipality_code=code,
        year=year,
        scores={p: float(mine.iloc[0][p]) for p in pillars},
        all_scores={p: tuple(cur[p].astype(float).dropna()) for p in pillars},
        source=f"benchmark van het programma (bestand {Path(path).name})",
    )


def prepare_page(
    data: pd.DataFrame, params: dict, *, reference: Any = "auto", benchmark: Any = "auto"
) -> tuple[Page, dict]:
    """Compute the page (without the comparison across coalitions) and its key numbers."""
    reference, benchmark = _references(params, reference, benchmark)
    page = compute(data, params, reference=reference, benchmark=benchmark)
    d = disclosure.apply(page, _policy(params))
    return page, key_numbers(d)


def finish_page(
    page: Page, params: dict, *, snapshot: Snapshot | None = None, basename: str
) -> tuple[str, dict, DisclosedPage]:
    """Add the comparison, disclose, render and audit; return (html, record, disclosed).

    Raises
    ------
    DisclosureError
        The rendered page fails the audit (it must not be published).
    """
    from evalkit.reports.html import render_page

    add_position(page, snapshot)
    d = disclosure.apply(page, _policy(params))
    rendered = render_page(d)
    rec = disclosure.record(
        d, rendered.displays, page_html=rendered.html, page_name=f"{basename}.html", places=rendered.places
    )
    bad = disclosure.audit_record(rec, page_html=rendered.html)
    if bad:
        raise disclosure.DisclosureError(
            "de pagina voldoet niet aan de privacyregels: "
            + "; ".join(f"{v.rule}: {v.message}" for v in bad[:5]),
            bad,
        )
    return rendered.html, rec, d


def write_outcome(out: ReportOutcome, output_dir: str | os.PathLike) -> ReportOutcome:
    """Write the page (and its record) atomically into ``output_dir``."""
    from evalkit.reports.files import atomic_write

    output_dir = Path(output_dir)
    if out.ok:
        out.html_path = atomic_write(output_dir / f"{out.basename}.html", out.html)
        out.record_path = atomic_write(
            output_dir / f"{out.basename}{disclosure.RECORD_SUFFIX}",
            json.dumps(out.record, indent=1, ensure_ascii=False),
        )
        stale = output_dir / f"{out.basename}-fout.html"
        if stale.is_file():
            stale.unlink()
    else:
        out.html_path = atomic_write(output_dir / f"{out.basename}-fout.html", out.html)
        for old in (
            output_dir / f"{out.basename}.html",
            output_dir / f"{out.basename}{disclosure.RECORD_SUFFIX}",
        ):
            if old.is_file():  # an earlier report of this coalition is no longer valid
                old.unlink()
    return out


def render_coalition(
    data: pd.DataFrame | str | os.PathLike,
    *,
    coalition_code: str,
    coalition_name: str | None = None,
    output_dir: str | os.PathLike | None = None,
    lang: str = "nl",
    min_cell: int = 10,
    min_cell_override: bool = False,
    intervention: str = "",
    codebook: str = "intervention",
    reference: ReferenceFigures | str | None = "auto",
    benchmark: BenchmarkFigures | str | None = "auto",
    benchmark_path: str = "",
    example_data: bool = False,
    snapshot: Snapshot | None = None,
    basename: str | None = None,
) -> ReportOutcome:
    """Render one coalition's report from a data file or DataFrame (in this process).

    Parameters
    ----------
    data : DataFrame or path
        The coalition's data (``intervention`` codebook). A path is read and validated;
        a file with errors gives the Dutch error page (``status="failed"``).
    coalition_code, coalition_name : str
        ``"GM0363"`` and the name shown (names are never reformatted).
    output_dir : path, optional
        Write ``<basename>.html`` and ``<basename>.disclosure.json`` here (atomically); an
        error page is written as ``<basename>-fout.html``.
    lang : {"nl", "en"}
    min_cell : int
        Privacy threshold (default 10; may be raised; below 10 only with
        ``min_cell_override=True``, which the method appendix states).
    reference : ReferenceFigures, "auto" or None
        Published municipal figures (with source and year). ``"auto"``: the figures evalkit
        has for this municipality (none yet: the section says so), or the demo's example
        figures when ``example_data=True``.
    benchmark : BenchmarkFigures, "auto" or None
        Benchmark figures; ``"auto"``: from ``benchmark_path`` if given (else no benchmark
        section), or the demo's example figures when ``example_data=True``.
    snapshot : Snapshot, optional
        All coalitions' disclosed key numbers and the pooled estimate (the batch passes it)
        for the comparison section.
    basename : str, optional
        File-name stem (default ``GM0363-amsterdam``).

    Returns
    -------
    ReportOutcome

    Raises
    ------
    ParameterError
        Bad parameters (including ``min_cell`` below 10 without the override), before any
        data are read.
    """
    from evalkit.reports.files import file_sha256, report_basename

    t0 = time.perf_counter()
    params: dict[str, Any] = {
        "coalition_code": coalition_code,
        "coalition_name": coalition_name or coalition_code,
        "codebook": codebook,
        "intervention": intervention,
        "lang": lang,
        "min_cell": min_cell,
        "min_cell_override": min_cell_override,
        "example_data": example_data,
        "benchmark_path": benchmark_path,
    }
    params = check_report_parameters(params)
    if basename is None:
        basename = report_basename(coalition_code, coalition_name or None)
    name = params["coalition_name"]
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        params["data_path"] = path.name
        df, errors = read_and_validate(path, codebook, lang)
        if errors is not None:
            page = error_page(
                coalition_code,
                name,
                stage="validation",
                message="",
                errors=errors,
                data_file=str(path),
                lang=lang,
            )
            out = ReportOutcome(
                "failed",
                page,
                None,
                stage="validation",
                message=f"{len(errors)} fout(en) in het databestand",
                basename=basename,
            )
            out.seconds = time.perf_counter() - t0
            return write_outcome(out, output_dir) if output_dir is not None else out
        params["_data_sha256"] = file_sha256(path)
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        raise ParameterError(f"data moet een DataFrame of een bestand zijn, niet {type(data).__name__}.")
    out = _build(df, params, reference=reference, benchmark=benchmark, snapshot=snapshot, basename=basename)
    out.seconds = time.perf_counter() - t0
    return write_outcome(out, output_dir) if output_dir is not None else out


def _build(
    df: pd.DataFrame,
    params: dict,
    *,
    reference: Any,
    benchmark: Any,
    snapshot: Snapshot | None,
    basename: str,
) -> ReportOutcome:
    code, name, lang = params["coalition_code"], params["coalition_name"], params["lang"]
    try:
        with report_warnings_handled():  # small-sample warnings: disclosure decides
            page, key = prepare_page(df, params, reference=reference, benchmark=benchmark)
            html, rec, _ = finish_page(page, params, snapshot=snapshot, basename=basename)
    except disclosure.DisclosureError as exc:
        return ReportOutcome(
            "failed",
            error_page(code, name, stage="disclosure", message=str(exc), lang=lang),
            None,
            stage="disclosure",
            message=str(exc),
            basename=basename,
        )
    except (DataValidationError, EstimationError, ContentError, ValueError, KeyError, EvalkitError) as exc:
        if isinstance(exc, ParameterError) and "voorbeeldgegevens" in str(exc):
            raise
        msg = _analysis_message(exc, lang)
        return ReportOutcome(
            "failed",
            error_page(code, name, stage="analysis", message=msg, lang=lang),
            None,
            stage="analysis",
            message=msg,
            basename=basename,
        )
    return ReportOutcome("ok", html, rec, key=key, basename=basename)


def _analysis_message(exc: BaseException, lang: str) -> str:
    """A short reason that names no values from the data."""
    if isinstance(exc, (DataValidationError, EstimationError)):
        return str(exc)
    return i18n.t("pages.coalition.analysis_failed", lang, error=type(exc).__name__)


def read_and_validate(
    path: Path, codebook: str, lang: str
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Read and validate a coalition file; (data, None) or (None, errors without ids)."""
    from evalkit.reports.errorpage import read_and_validate as _read

    return _read({"data_path": str(path), "codebook": codebook, "lang": lang}, Path.cwd(), True)
