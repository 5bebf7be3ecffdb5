"""The ``evalkit`` console command.

Each subcommand lives with the module that owns its logic: the module defines a function
``cli_<command>(subparsers)`` that adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code). This file only wires them up.

    evalkit validate FILE --codebook NAME     check a data file, exit 1 on errors
    evalkit template CODEBOOK --out FILE.xlsx  Excel input template for coalitions
    evalkit codebook [NAME] --out DIR          render codebooks to readable pages
    evalkit demo                               the main job on the bundled example data
    evalkit report / evalkit batch             coalition reports (papermill)
    evalkit serve [--hosted --database URL]    the web portal (local by default)
    evalkit users add|remove|list              accounts of the hosted portal
"""
from __future__ import annotations

import argparse
import importlib
import sys

from evalkit._version import __version__

# (command, module, function): the module's function adds the subparser.
_COMMANDS: list[tuple[str, str, str]] = [
    ("validate", "evalkit.data.readers", "cli_validate"),
    ("template", "evalkit.data.excel_template", "cli_template"),
    ("codebook", "evalkit.data.codebook", "cli_codebook"),
    ("demo", "evalkit.reports.demo", "cli_demo"),
    ("report", "evalkit.reports.render", "cli_report"),
    ("batch", "evalkit.reports.batch", "cli_batch"),
    ("serve", "evalkit.web.cli", "cli_serve"),
    ("users", "evalkit.web.cli", "cli_users"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="evalkit: evaluate what works against loneliness.",
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, module, func in _COMMANDS:
        getattr(importlib.import_module(module), func)(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
