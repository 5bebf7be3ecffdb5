"""The ``evalkit`` console command.

Each subcommand lives with the module that owns its logic: the module defines a function
``cli_<command>(subparsers)`` that adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code). This file only wires them up,
in the user's language:

- help, argparse's own messages and the reasons below are Dutch; English with
  ``--lang en`` or an English locale (``LC_ALL``/``LC_MESSAGES``/``LANG`` = ``en_*``);
  the texts are in :mod:`evalkit.cli_text` (every option of every command has one);
- numeric options must be greater than 0 (refused by argparse, before any work starts),
  except the options named in ``_ZERO_ALLOWED``;
- a user's mistake never shows a traceback: :func:`main` catches evalkit's errors and the
  file errors a person can cause (missing, folder, locked, unreadable, empty, not a
  table) and prints one line ``evalkit COMMAND: reason`` with exit code 2 (1 when the
  data break their codebook).

    evalkit validate FILE --codebook NAME     check a data file, exit 1 on errors
    evalkit template CODEBOOK --out FILE.xlsx  Excel input template for coalitions
    evalkit codebook [NAME] --out DIR          render codebooks to readable pages
    evalkit demo                               the main job on the bundled example data
    evalkit report / evalkit batch             coalition reports
    evalkit audit DIR                          check report pages against the privacy rules
    evalkit serve [--hosted --database URL]    the web portal (local by default)
    evalkit users add|remove|list              accounts of the hosted portal
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
import zipfile
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from evalkit._version import __version__
from evalkit.cli_text import COMMAND_HELP, EPILOG, HELP, UI, translate_argparse
from evalkit.core.errors import DataValidationError, EvalkitError

__all__ = ["main", "build_parser", "detect_lang", "user_message", "COMMANDS"]

# (command, module, function): the module's function adds the subparser.
_COMMANDS: list[tuple[str, str, str]] = [
    ("validate", "evalkit.data.readers", "cli_validate"),
    ("template", "evalkit.data.excel_template", "cli_template"),
    ("codebook", "evalkit.data.codebook", "cli_codebook"),
    ("demo", "evalkit.reports.demo", "cli_demo"),
    ("report", "evalkit.reports.render", "cli_report"),
    ("batch", "evalkit.reports.batch", "cli_batch"),
    ("audit", "evalkit.reports.disclosure", "cli_audit"),
    ("serve", "evalkit.web.cli", "cli_serve"),
    ("users", "evalkit.web.cli", "cli_users"),
    ("store", "evalkit.store.cli", "cli_store"),
]
COMMANDS = _COMMANDS

#: (command, dest) of numeric options for which 0 or a negative number is meaningful.
_ZERO_ALLOWED: set[tuple[str, str]] = set()


def detect_lang(argv: Sequence[str] | None = None) -> str:
    """``"en"`` with ``--lang en`` on the command line or an English locale, else ``"nl"``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv) and argv[i + 1] in ("nl", "en"):
            return argv[i + 1]
        if a.startswith("--lang=") and a[7:] in ("nl", "en"):
            return a[7:]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):  # the POSIX order: the first one set wins
        value = os.environ.get(var)
        if value:
            return "en" if value.lower().startswith("en") else "nl"
    return "nl"


# ---------------------------------------------------------------------------------------
# argparse in the user's language
# ---------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """ArgumentParser with Dutch (or English) help, usage and error messages."""

    lang = "nl"

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["add_help"] = False
        kwargs["formatter_class"] = _formatter(
            self.lang, kwargs.get("formatter_class", argparse.HelpFormatter)
        )
        super().__init__(*args, **kwargs)
        ui = UI[self.lang]
        self._positionals.title = ui["positionals"]
        self._optionals.title = ui["options"]
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=ui["help"])

    def error(self, message: str) -> NoReturn:
        text = translate_argparse(message, self.lang)
        self.exit(2, f"{self.prog}: {text}\n{UI[self.lang]['more'].format(prog=self.prog)}\n")


def _formatter(
    lang: str, base: type[argparse.HelpFormatter] = argparse.HelpFormatter
) -> type[argparse.HelpFormatter]:
    """``base`` (the command's own formatter) with the usage line in ``lang``."""

    class _Formatter(base):  # type: ignore[valid-type,misc]
        def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
            super().add_usage(usage, actions, groups, UI[lang]["usage"] if prefix is None else prefix)

    return _Formatter


def _parser_class(lang: str) -> type[_Parser]:
    return type(f"_Parser_{lang}", (_Parser,), {"lang": lang})


def _positive(kind: Callable[[str], Any], lang: str) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` greater than 0, refused in the user's words."""
    ui = UI[lang]

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                ui["not_int" if kind is int else "not_number"].format(value=text)
            ) from None
        if not value > 0:
            raise argparse.ArgumentTypeError(ui["too_small"].format(value=text))
        return value

    convert.__name__ = getattr(kind, "__name__", "number")
    return convert


def _localise(name: str, parser: argparse.ArgumentParser, lang: str) -> None:
    """Help texts from the catalogue; numeric options refuse 0 and negative numbers."""
    texts = COMMAND_HELP.get(name, {}).get(lang)
    if texts:
        parser.description = texts[1]
    epilog = EPILOG.get(name, {}).get(lang)
    if epilog:
        parser.epilog = epilog
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        entry = HELP.get(name, {}).get(action.dest)
        if entry:
            action.help = entry[lang]
        if action.type in (int, float) and (name, action.dest) not in _ZERO_ALLOWED:
            action.type = _positive(action.type, lang)


def _chosen_command(argv: Sequence[str] | None) -> str | None:
    """The command named in ``argv`` (the first word that is not an option), if known."""
    if argv is None:
        return None
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--lang":
            skip = True
            continue
        if not a.startswith("-"):
            return a if any(a == name for name, _, _ in _COMMANDS) else None
    return None


def build_parser(lang: str = "nl", argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``evalkit`` parser with every registered command, texts in ``lang``.

    With ``argv`` only the module of the command it names is imported (the others get a
    stand-in parser with their catalogue help), so ``evalkit validate`` does not load
    the report machinery. Without ``argv`` every command is complete.
    """
    ui = UI[lang]
    cls = _parser_class(lang)
    parser = cls(prog="evalkit", description=ui["description"])
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}", help=ui["version"])
    parser.add_argument("--lang", dest="ui_lang", choices=("nl", "en"), default=None, help=ui["ui_lang"])
    sub = parser.add_subparsers(dest="command", metavar=ui["command"], title=ui["commands"], parser_class=cls)
    chosen = _chosen_command(argv)
    for name, module, func in _COMMANDS:
        if argv is not None and name != chosen and name in COMMAND_HELP:
            sub.add_parser(name, help=COMMAND_HELP[name][lang][0])  # listed, not loaded
        else:
            getattr(importlib.import_module(module), func)(sub)
    for choice in sub._choices_actions:
        texts = COMMAND_HELP.get(choice.dest, {}).get(lang)
        if texts:
            choice.help = texts[0]
    for name, subparser in sub.choices.items():
        _localise(name, subparser, lang)
    return parser


# ---------------------------------------------------------------------------------------
# A user's mistake in one line
# ---------------------------------------------------------------------------------------
_OS_TEXT = {
    "nl": {
        "not_found": "bestand of map niet gevonden: '{f}'. Controleer de naam en de map.",
        "is_dir": "'{f}' is een map, maar hier hoort een bestand.",
        "not_dir": "'{f}' is geen map (een deel van het pad is een bestand).",
        "permission": (
            "geen toegang tot '{f}': geen rechten, of het bestand is geopend in een ander "
            "programma. Sluit het (bijvoorbeeld in Excel) en probeer het opnieuw."
        ),
        "exists": "'{f}' bestaat al.",
        "no_space": "de schijf is vol; maak ruimte vrij en probeer het opnieuw.",
        "os": "'{f}' kan niet worden gelezen of geschreven.",
        "empty": "het bestand {f}is leeg (geen kopregel en geen gegevens).",
        "table": "het bestand {f}kon niet als tabel worden gelezen; sla het op als CSV UTF-8 of .xlsx.",
        "encoding": "het bestand {f}is geen tekstbestand of heeft een onbekende codering; sla het op als CSV UTF-8 of .xlsx.",
        "excel": "het bestand {f}is geen geldige Excel-werkmap (.xlsx); sla het opnieuw op als .xlsx.",
        "invalid": "ongeldige invoer: {m}",
    },
    "en": {
        "not_found": "file or folder not found: '{f}'. Check the name and the folder.",
        "is_dir": "'{f}' is a folder, but a file is needed here.",
        "not_dir": "'{f}' is not a folder (part of the path is a file).",
        "permission": (
            "no access to '{f}': no permission, or the file is open in another program. "
            "Close it (e.g. in Excel) and try again."
        ),
        "exists": "'{f}' already exists.",
        "no_space": "the disk is full; free some space and try again.",
        "os": "'{f}' cannot be read or written.",
        "empty": "the file {f}is empty (no header and no data).",
        "table": "the file {f}could not be read as a table; save it as CSV UTF-8 or .xlsx.",
        "encoding": "the file {f}is not a text file or has an unknown encoding; save it as CSV UTF-8 or .xlsx.",
        "excel": "the file {f}is not a valid Excel workbook (.xlsx); save it again as .xlsx.",
        "invalid": "invalid input: {m}",
    },
}


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a person's mistake can cause (never programming errors)."""
    import pandas as pd
    from openpyxl.utils.exceptions import InvalidFileException

    return (
        EvalkitError,
        OSError,
        UnicodeDecodeError,
        zipfile.BadZipFile,
        InvalidFileException,
        pd.errors.EmptyDataError,
        pd.errors.ParserError,
    )


def user_message(exc: BaseException, lang: str = "nl", file: str | None = None) -> str:
    """One line in ``lang`` saying what went wrong (``file``: the input the command read)."""
    import pandas as pd
    from openpyxl.utils.exceptions import InvalidFileException

    t = _OS_TEXT[lang]
    named = f"'{file}' " if file else ""
    if isinstance(exc, EvalkitError):
        nl = getattr(exc, "nl", None)
        if lang == "nl" and not nl:
            return t["invalid"].format(m=_one_line(str(exc)))
        return _one_line(exc.message(lang))
    if isinstance(exc, pd.errors.EmptyDataError):
        return t["empty"].format(f=named)
    if isinstance(exc, (pd.errors.ParserError,)):
        return t["table"].format(f=named)
    if isinstance(exc, UnicodeDecodeError):
        return t["encoding"].format(f=named)
    if isinstance(exc, (zipfile.BadZipFile, InvalidFileException)):
        return t["excel"].format(f=named)
    if isinstance(exc, OSError):
        if exc.errno is None and exc.args:  # raised by evalkit with its own words
            return _one_line(str(exc.args[0]))
        f = exc.filename if exc.filename is not None else (file or "")
        if isinstance(exc, FileNotFoundError):
            return t["not_found"].format(f=f)
        if isinstance(exc, IsADirectoryError):
            return t["is_dir"].format(f=f)
        if isinstance(exc, NotADirectoryError):
            return t["not_dir"].format(f=f)
        if isinstance(exc, PermissionError):
            return t["permission"].format(f=f)
        if isinstance(exc, FileExistsError):
            return t["exists"].format(f=f)
        if exc.errno == errno.ENOSPC:
            return t["no_space"]
        return t["os"].format(f=f)
    return _one_line(str(exc))


def _input_file(args: argparse.Namespace) -> str | None:
    for dest in ("file", "coalitions", "codebook"):
        value = getattr(args, dest, None)
        if isinstance(value, str):
            return value
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``evalkit`` with ``argv`` (default: the command line); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = detect_lang(argv)
    parser = build_parser(lang, argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    given = getattr(args, "lang", None)
    out_lang: str = given if isinstance(given, str) and given in ("nl", "en") else lang
    prog = f"evalkit {args.command}"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{prog}: {UI[out_lang]['interrupted']}", file=sys.stderr)
        return 130
    except _user_errors() as exc:
        report = getattr(exc, "report", None) if isinstance(exc, DataValidationError) else None
        if report is not None and hasattr(report, "summary"):
            print(f"{prog}: {report.summary(out_lang).splitlines()[0]}", file=sys.stderr)
            print(report.summary(out_lang), file=sys.stderr)
            return 1
        print(f"{prog}: {user_message(exc, out_lang, _input_file(args))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
