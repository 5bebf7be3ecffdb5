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
from evalkit.cli_text import has_text, text, translate_argparse
from evalkit.core.errors import DataValidationError, EvalkitError
from evalkit.core.i18n import LANGS

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
        if a == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if a.startswith("--lang=") and a[7:] in LANGS:
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
        self._positionals.title = text("ui.positionals", self.lang)
        self._optionals.title = text("ui.options", self.lang)
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help=text("ui.help", self.lang)
        )

    def error(self, message: str) -> NoReturn:
        reason = translate_argparse(message, self.lang)
        more = text("ui.more", self.lang, prog=self.prog)
        self.exit(2, f"{self.prog}: {reason}\n{more}\n")


def _formatter(
    lang: str, base: type[argparse.HelpFormatter] = argparse.HelpFormatter
) -> type[argparse.HelpFormatter]:
    """``base`` (the command's own formatter) with the usage line in ``lang``."""

    class _Formatter(base):  # type: ignore[valid-type,misc]
        def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
            super().add_usage(usage, actions, groups, text("ui.usage", lang) if prefix is None else prefix)

    return _Formatter


def _parser_class(lang: str) -> type[_Parser]:
    return type(f"_Parser_{lang}", (_Parser,), {"lang": lang})


def _positive(kind: Callable[[str], Any], lang: str) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` greater than 0, refused in the user's words."""

    def convert(given: str) -> Any:
        try:
            value = kind(given)
        except ValueError:
            raise argparse.ArgumentTypeError(
                text("ui.not_int" if kind is int else "ui.not_number", lang, value=given)
            ) from None
        if not value > 0:
            raise argparse.ArgumentTypeError(text("ui.too_small", lang, value=given))
        return value

    convert.__name__ = getattr(kind, "__name__", "number")
    return convert


def _localise(name: str, parser: argparse.ArgumentParser, lang: str) -> None:
    """Help texts from the catalogue; numeric options refuse 0 and negative numbers."""
    if has_text(f"command.{name}.description"):
        parser.description = text(f"command.{name}.description", lang)
    if has_text(f"epilog.{name}"):
        parser.epilog = text(f"epilog.{name}", lang)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if has_text(f"help.{name}.{action.dest}"):
            action.help = text(f"help.{name}.{action.dest}", lang)
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
    cls = _parser_class(lang)
    parser = cls(prog="evalkit", description=text("ui.description", lang))
    parser.add_argument(
        "--version", action="version", version=f"evalkit {__version__}", help=text("ui.version", lang)
    )
    parser.add_argument("--lang", dest="ui_lang", choices=LANGS, default=None, help=text("ui.ui_lang", lang))
    sub = parser.add_subparsers(
        dest="command", metavar=text("ui.command", lang), title=text("ui.commands", lang), parser_class=cls
    )
    chosen = _chosen_command(argv)
    for name, module, func in _COMMANDS:
        if argv is not None and name != chosen and has_text(f"command.{name}.summary"):
            sub.add_parser(name, help=text(f"command.{name}.summary", lang))  # listed, not loaded
        else:
            getattr(importlib.import_module(module), func)(sub)
    for choice in sub._choices_actions:
        if has_text(f"command.{choice.dest}.summary"):
            choice.help = text(f"command.{choice.dest}.summary", lang)
    for name, subparser in sub.choices.items():
        _localise(name, subparser, lang)
    return parser


# ---------------------------------------------------------------------------------------
# A user's mistake in one line
# ---------------------------------------------------------------------------------------
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

    named = f"'{file}' " if file else ""
    if isinstance(exc, EvalkitError):
        if not getattr(exc, "nl", None):  # raised without a Dutch text: say so in Dutch
            return text("os.invalid", lang, m=_one_line(str(exc)))
        return _one_line(exc.message(lang))
    if isinstance(exc, pd.errors.EmptyDataError):
        return text("os.empty", lang, f=named)
    if isinstance(exc, (pd.errors.ParserError,)):
        return text("os.table", lang, f=named)
    if isinstance(exc, UnicodeDecodeError):
        return text("os.encoding", lang, f=named)
    if isinstance(exc, (zipfile.BadZipFile, InvalidFileException)):
        return text("os.excel", lang, f=named)
    if isinstance(exc, OSError):
        if exc.errno is None and exc.args:  # raised by evalkit with its own words
            return _one_line(str(exc.args[0]))
        f = exc.filename if exc.filename is not None else (file or "")
        if isinstance(exc, FileNotFoundError):
            return text("os.not_found", lang, f=f)
        if isinstance(exc, IsADirectoryError):
            return text("os.is_dir", lang, f=f)
        if isinstance(exc, NotADirectoryError):
            return text("os.not_dir", lang, f=f)
        if isinstance(exc, PermissionError):
            return text("os.permission", lang, f=f)
        if isinstance(exc, FileExistsError):
            return text("os.exists", lang, f=f)
        if exc.errno == errno.ENOSPC:
            return text("os.no_space", lang)
        return text("os.os", lang, f=f)
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
    out_lang: str = given if isinstance(given, str) and given in LANGS else lang
    prog = f"evalkit {args.command}"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{prog}: {text('ui.interrupted', out_lang)}", file=sys.stderr)
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
