"""Reports layer: compute results, disclosure control, render pages, batch.

compute (typed content) -> disclosure (privacy rules R1-R4) -> render (HTML). The stable
entry point for one coalition's report is :func:`render_coalition` (see
``docs/reports.md``)::

    from evalkit.reports import render_coalition
    out = render_coalition("GM0363.csv", coalition_code="GM0363", coalition_name="Amsterdam",
                           output_dir="reports")
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReportOutcome", "audit_dir", "render_coalition"]


def __getattr__(name: str) -> Any:  # lazy: importing evalkit.reports stays cheap
    if name in ("render_coalition", "ReportOutcome"):
        from evalkit.reports import coalition

        return getattr(coalition, name)
    if name == "audit_dir":
        from evalkit.reports import disclosure

        return disclosure.audit_dir
    raise AttributeError(f"module 'evalkit.reports' has no attribute {name!r}")
