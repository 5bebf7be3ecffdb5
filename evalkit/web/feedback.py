"""Validation feedback for an uploaded file, as the coalition sees it in the portal.

The file is checked by :func:`evalkit.read` (the same reader and codebook rules as the
command line and the batch). Each error becomes one row of the feedback table: the row as
Excel shows it, the column letter and header, the value, the rule in words and how to fix
it, taken from the public fields of :class:`evalkit.ValidationReport`. The feedback is a
plain JSON-able dict, stored with the submission (and erased with it).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.core.errors import DataValidationError, report_warnings_handled
from evalkit.data import readers
from evalkit.store.registry import evaluation_context

__all__ = ["MAX_ROWS_SHOWN", "check_upload"]

#: Errors kept per submission (a file with thousands of errors has one mistake repeated).
MAX_ROWS_SHOWN = 500


def _plain(v: Any) -> Any:
    """A JSON-able scalar: missing values become None, numpy scalars Python numbers."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        try:
            return _plain(v.item())
        except (TypeError, ValueError):
            return str(v)
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _rows(frame: pd.DataFrame, lang: str, kind: str, internal: str, shown: str) -> list[dict[str, Any]]:
    out = []
    cols = set(frame.columns)
    for rec in frame.head(MAX_ROWS_SHOWN).to_dict(orient="records"):
        row = _plain(rec.get("row"))
        excel_row = (
            _plain(rec.get("excel_row"))
            if "excel_row" in cols
            else (None if row is None or kind == "sav" else int(row) + 1)
        )
        rule = str(rec.get("rule") or "")
        out.append(
            {
                "excel_row": excel_row,
                "row": row,
                "line": _plain(rec.get("line")),
                "column_letter": _plain(rec.get("column_letter")),
                "header": _plain(rec.get("header")) or _plain(rec.get("column")),
                "column": _plain(rec.get("column")),
                "value": _plain(rec.get("value")),
                "rule": rule,
                "rule_text": _plain(rec.get("rule_text")) or readers.rule_text(rule, lang),
                "fix": _shown_name(_plain(rec.get("fix")) or _plain(rec.get("message")), internal, shown),
            }
        )
    return out


def _shown_name(text: Any, internal: str, shown: str) -> Any:
    """Messages name the file as the user called it, not the portal's private name."""
    return text.replace(internal, shown) if isinstance(text, str) else text


def check_upload(
    data: bytes, kind: str, *, codebook: str = "intervention", lang: str = "nl", name: str | None = None
) -> dict[str, Any]:
    """Validate uploaded bytes of sniffed ``kind`` (``xlsx``, ``csv``, ``sav``).

    Returns ``{"ok", "n_rows", "n_errors", "n_warnings", "errors", "warnings", "kind"}``;
    ``errors``/``warnings`` are lists of dicts with ``excel_row, row, line, column_letter,
    header, column, value, rule, rule_text, fix`` (at most :data:`MAX_ROWS_SHOWN`).
    The bytes are written to a private temporary file named by the portal (never by the
    client) and removed afterwards; ``name`` (the client's name, as display text only)
    replaces that private name in the messages.
    """
    shown = name or f"upload.{kind}"
    with tempfile.TemporaryDirectory(prefix="evalkit-upload-") as tmp:
        path = Path(tmp) / f"upload.{kind}"
        path.write_bytes(data)
        report = None
        context: dict[str, Any] = {"intervention": None, "year": None}
        try:
            with report_warnings_handled():
                df = readers.read(path, codebook, strict=False, lang=lang)
            report = df.attrs["validation"]
            context = evaluation_context(df)
        except DataValidationError as exc:
            report = exc.report
        if report is None:  # pragma: no cover - read() reports unreadable files as issues
            return {
                "ok": False,
                "n_rows": 0,
                "n_errors": 1,
                "n_warnings": 0,
                "kind": kind,
                "errors": [
                    {
                        "excel_row": None,
                        "row": None,
                        "line": None,
                        "column_letter": None,
                        "header": None,
                        "column": None,
                        "value": None,
                        "rule": "parse_error",
                        "rule_text": readers.rule_text("parse_error", lang),
                        "fix": None,
                    }
                ],
                "warnings": [],
            }
    return {
        "ok": bool(report.ok),
        "n_rows": int(report.n_rows),
        "kind": kind,
        "year": context["year"],
        "intervention": context["intervention"],
        "n_errors": int(report.n_errors),
        "n_warnings": int(report.n_warnings),
        "errors": _rows(report.errors, lang, kind, path.name, shown),
        "warnings": _rows(report.warnings, lang, kind, path.name, shown),
    }
