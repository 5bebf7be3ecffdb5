"""Excel input templates for coalitions, generated from a codebook.

``write_template(codebook, path)`` writes an ``.xlsx`` workbook with

- a data sheet (``Gegevens``; ``Data`` in English) whose headers are the fields' Dutch
  (or English) titles, with drop-down lists of the allowed answers for every field with a
  fixed list of codes (the Dutch/English answer words, which :func:`evalkit.read` maps
  back to codes), whole-number/decimal ranges enforced for fields with a minimum or
  maximum, text format for text columns (so ``GM0363`` keeps its zeros), a date format for
  date columns, a comment with the explanation on every header, and a frozen header row;
- an explanation sheet (``Toelichting``/``Explanation``) describing every column, its
  allowed values and the rules for the whole file;
- a hidden sheet (``Lijsten``/``Lists``) holding the drop-down lists.

A filled-in template reads back with ``evalkit.read(path, codebook)``: the reader picks the
data sheet by its name.

Examples
--------
>>> import pathlib, tempfile
>>> from evalkit.excel_template import write_template
>>> path = write_template("intervention", pathlib.Path(tempfile.mkdtemp()) / "invulformulier.xlsx")
>>> path.name
'invulformulier.xlsx'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evalkit.core.checks import check_lang, check_positive_int
from evalkit.core.errors import ParameterError
from evalkit.core.i18n import LANGS, error, t
from evalkit.data.codebook import Codebook, Field, load_codebook, municipalities

__all__ = ["write_template", "cli_template", "SHEET_NAMES"]

#: Sheet names per language: data, explanation, lists (a read-only view of the catalogue's
#: ``data.template.sheet.*``): ``SHEET_NAMES["nl"]["data"] == "Gegevens"``.
SHEET_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        lg: MappingProxyType(
            {name: t(f"data.template.sheet.{name}", lg) for name in ("data", "help", "lists")}
        )
        for lg in LANGS
    }
)


#: Columns of the explanation sheet's field table (keys ``data.template.head.*``).
_HEAD = ("column", "name", "type", "required", "allowed", "description")


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _choices(f: Field, lang: str) -> list:
    """Drop-down entries: the answer words in ``lang`` (codes where there is no label)."""
    labels = f.value_labels(lang)
    return [labels.get(code, code) for code in (f.enum or [])]


def _prompt(f: Field, lang: str) -> str:
    """Short help shown when a cell is selected: the first sentence of the description."""
    first = f.description(lang).split(". ")[0].rstrip(".")
    return (first + ".")[:255]


def _select_fields(cb: Codebook, fields: Sequence[str] | None, items: str | None) -> list[Field]:
    chosen = list(cb.fields)
    if items is not None:
        alts = {}
        for r in cb.rules_of_type("item_set"):
            alts.update(r["alternatives"])
        if items not in alts:
            if not alts:
                raise error(ParameterError, "data.template.error.items_none", items=items, codebook=cb.name)
            raise error(
                ParameterError,
                "data.template.error.items",
                items=items,
                codebook=cb.name,
                choices=lambda lang: ", ".join(t("data.template.error.choice", lang, choice=a) for a in alts),
            )
        all_items = {c for v in alts.values() for c in v}
        keep = set(alts[items])
        chosen = [f for f in chosen if f.name not in all_items or f.name in keep]
    if fields is not None:
        unknown = [x for x in fields if x not in cb]
        if unknown:
            raise ParameterError(
                f"fields: {unknown} are not fields of codebook {cb.name!r}; fields are: {', '.join(cb.field_names)}."
            )
        missing_req = [f.name for f in cb.fields if f.required and f.name not in fields]
        if missing_req:
            raise ParameterError(f"fields must include the required fields {missing_req}.")
        chosen = [f for f in chosen if f.name in set(fields)]
    return chosen


def write_template(
    codebook: str | Path | Codebook,
    path: str | Path,
    *,
    lang: str = "nl",
    fields: Sequence[str] | None = None,
    items: str | None = None,
    n_rows: int = 1000,
) -> Path:
    """Write an Excel input template for a codebook.

    Parameters
    ----------
    codebook : str, pathlib.Path or Codebook
        Codebook name (e.g. ``"intervention"``) or path.
    path : str or pathlib.Path
        The ``.xlsx`` file to write (overwritten if it exists).
    lang : {"nl", "en"}
        Language of headers, drop-down answers and explanations (Dutch by default).
    fields : sequence of str, optional
        Machine names of the columns to include (default: all; required fields must stay).
    items : str, optional
        For codebooks with item versions (``intervention``: ``"djg11"`` or ``"djg6"``),
        include only that version's items.
    n_rows : int, default 1000
        Number of rows pre-formatted (text/date formats); drop-downs and ranges apply to
        the whole column.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, evalkit
    >>> from evalkit.excel_template import write_template
    >>> p = write_template("benchmark", pathlib.Path(tempfile.mkdtemp()) / "benchmark.xlsx")
    >>> evalkit.read(p, "benchmark", strict=False).shape[0]   # an empty template has no rows
    0
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    check_lang(lang)
    n_rows = check_positive_int(n_rows, "n_rows")
    cb = load_codebook(codebook)
    if isinstance(fields, str):
        fields = [fields]
    chosen = _select_fields(cb, fields, items)
    if not isinstance(path, (str, Path)):
        raise ParameterError(f"path must be a file name ending in .xlsx, not {type(path).__name__}.")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ParameterError(f"path must end in .xlsx, got {str(path)!r}.")
    names = SHEET_NAMES[lang]

    wb = Workbook()
    ws = wb.active
    ws.title = names["data"]
    help_ws = wb.create_sheet(names["help"])
    lists = wb.create_sheet(names["lists"])
    lists.sheet_state = "hidden"
    wb.properties.title = cb.title(lang)
    wb.properties.keywords = f"evalkit-template:{cb.name}"
    wb.properties.creator = "evalkit"

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="0072B2")
    last = n_rows + 1
    list_col = 0
    for j, f in enumerate(chosen, start=1):
        letter = _col_letter(j)
        cell = ws.cell(row=1, column=j, value=f.title(lang))
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        note = f"{f.name}: {f.description(lang)}"
        allowed = f.allowed_text(lang)
        if allowed:
            note += f"\n\n{t('data.template.head.allowed', lang)}: {allowed}"
        cell.comment = Comment(note[:1500], "evalkit", width=320, height=200)
        ws.column_dimensions[letter].width = max(12, min(40, len(f.title(lang)) + 4))
        rng = f"{letter}2:{letter}1048576"
        # cell formats on the first n_rows rows
        fmt = {"string": "@", "date": "DD-MM-YYYY"}.get(f.type)
        if fmt:
            for r in range(2, last + 1):
                ws.cell(row=r, column=j).number_format = fmt
        choices = _choices(f, lang) if f.enum is not None else None
        if f.name == "municipality_code":
            choices = municipalities()["gm_code"].tolist()
        if choices:
            list_col += 1
            lc = _col_letter(list_col)
            lists.cell(row=1, column=list_col, value=f.name)
            for i, v in enumerate(choices, start=2):
                c = lists.cell(row=i, column=list_col, value=v)
                c.number_format = "@"
            dv = DataValidation(
                type="list",
                formula1=f"'{names['lists']}'!${lc}$2:${lc}${len(choices) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                showDropDown=False,
                errorTitle=t("data.template.err_title", lang),
                error=t("data.template.err_list", lang),
                promptTitle=f.title(lang)[:32],
                prompt=_prompt(f, lang),
            )
            dv.showInputMessage = True
            dv.add(rng)
            ws.add_data_validation(dv)
        elif f.type in ("integer", "number") and (f.minimum is not None or f.maximum is not None):
            kind = "whole" if f.type == "integer" else "decimal"
            if f.minimum is not None and f.maximum is not None:
                dv = DataValidation(
                    type=kind, operator="between", formula1=str(f.minimum), formula2=str(f.maximum)
                )
            elif f.minimum is not None:
                dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=str(f.minimum))
            else:
                dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=str(f.maximum))
            dv.allow_blank = True
            dv.showErrorMessage = True
            dv.showInputMessage = True
            dv.errorTitle = t("data.template.err_title", lang)
            dv.error = t("data.template.err_range", lang, kind=t(f"data.template.{kind}", lang), rng=allowed)[
                :255
            ]
            dv.promptTitle = f.title(lang)[:32]
            dv.prompt = _prompt(f, lang)
            dv.add(rng)
            ws.add_data_validation(dv)
        elif f.type == "date":
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=t("data.template.err_title", lang),
                error=t("data.template.err_date", lang),
            )
            dv.add(rng)
            ws.add_data_validation(dv)
        elif f.type == "integer":
            dv = DataValidation(
                type="whole",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=t("data.template.err_title", lang),
                error=t("data.template.err_range", lang, kind=t("data.template.whole", lang), rng="")[:255],
            )
            dv.operator = "between"
            dv.formula1, dv.formula2 = "-2147483648", "2147483647"
            dv.add(rng)
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32

    # explanation sheet
    bold = Font(bold=True)
    row = 1
    title = cb.title(lang)
    help_ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=14)
    row += 1
    if cb.is_draft:
        notice = cb.raw.get(f"x-draft_notice_{lang}") or t("data.template.draft", lang)
        c = help_ws.cell(row=row, column=1, value=f"⚠ {notice}")
        c.font = Font(bold=True, color="D55E00", size=12)
        row += 1
    help_ws.cell(row=row, column=1, value=cb.description(lang)).alignment = Alignment(wrap_text=True)
    row += 1
    help_ws.cell(
        row=row,
        column=1,
        value=t(
            "data.template.intro", lang, data=names["data"], unit=t("data.template.unit", lang), name=cb.name
        ),
    )
    row += 1
    if any(r.get("type") == "item_set" for r in cb.rules):
        help_ws.cell(row=row, column=1, value=t("data.template.optional_items", lang))
        row += 1
    mv = [repr(v) for v in cb.missing_values if v]
    if mv:
        help_ws.cell(row=row, column=1, value=t("data.template.missing", lang, vals=", ".join(mv)))
        row += 1
    row += 1
    help_ws.cell(row=row, column=1, value=t("data.template.columns", lang)).font = Font(bold=True, size=12)
    row += 1
    for j, h in enumerate((t(f"data.template.head.{h}", lang) for h in _HEAD), start=1):
        c = help_ws.cell(row=row, column=j, value=h)
        c.font, c.fill = header_font, header_fill
    row += 1
    for f in chosen:
        vals = [
            f.title(lang),
            f.name,
            t(f"data.template.type.{f.type}", lang),
            t("data.template.yes", lang) if f.required else t("data.template.no", lang),
            f.allowed_text(lang),
            f.description(lang),
        ]
        for j, v in enumerate(vals, start=1):
            c = help_ws.cell(row=row, column=j, value=v)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        help_ws.cell(row=row, column=1).font = bold
        row += 1
    if cb.rules:
        row += 1
        help_ws.cell(row=row, column=1, value=t("data.template.rules", lang)).font = Font(bold=True, size=12)
        row += 1
        for rule in cb.rules:
            help_ws.cell(row=row, column=1, value=str(rule.get("id", rule.get("type"))))
            c = help_ws.cell(
                row=row, column=2, value=str(rule.get(f"description_{lang}") or rule.get("description", ""))
            )
            c.alignment = Alignment(wrap_text=True, vertical="top")
            help_ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
            row += 1
    for letter, width in zip("ABCDEF", (28, 20, 16, 10, 40, 80)):
        help_ws.column_dimensions[letter].width = width

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _cmd_template(args: Any) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise IsADirectoryError(t("data.template.error.out_folder", args.lang, out=out))
    if out.exists() and not args.force:
        raise FileExistsError(t("data.template.error.out_exists", args.lang, out=out))
    if out.suffix.lower() != ".xlsx":
        raise error(ParameterError, "data.template.error.out_suffix", out=str(out))
    # errors (unknown codebook or item version, locked file): evalkit.cli.main, one line
    p = write_template(args.codebook, out, lang=args.lang, items=args.items)
    print(p)
    return 0


def cli_template(subparsers) -> Any:
    """Add ``evalkit template CODEBOOK --out FILE.xlsx [--lang nl|en] [--items djg6] [--force]``."""
    p = subparsers.add_parser(
        "template",
        help="write an Excel input template for a codebook",
        description="Write an Excel input template: headers, drop-down lists of allowed answers, "
        "ranges enforced, and a sheet that explains every column.",
    )
    p.add_argument(
        "codebook",
        metavar="CODEBOOK",
        help="intervention, municipal_panel, youth_instrument, benchmark (or a JSON path)",
    )
    p.add_argument("--out", required=True, metavar="FILE.xlsx")
    p.add_argument("--lang", choices=LANGS, default="nl")
    p.add_argument("--items", default=None, help="item version, e.g. djg11 or djg6 for intervention")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=_cmd_template)
    return p
