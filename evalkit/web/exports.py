"""Exports a spreadsheet opens safely: formula injection escaped in every cell.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which some
spreadsheet programs skip before reading a formula) is written with a leading apostrophe,
the OWASP advice for CSV injection, so Excel and LibreOffice show it as text and never
evaluate it. Numbers stay numbers (a negative number is not text in a CSV cell, so it is
written unquoted as a number and is harmless).
"""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["csv_bytes", "escape_cell"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell (text starting with a trigger gets ``'``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Number):
        return value
    text = str(value)
    if text.startswith(_TRIGGERS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with BOM, semicolons: what Dutch Excel opens) with every cell escaped."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in header])
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
