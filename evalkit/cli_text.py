"""Texts of the ``evalkit`` command line in Dutch and English: help, argparse's own
messages and the one-line reasons for a user's mistakes.

The texts live in the message catalogue, ``evalkit/core/messages/cli.toml``:
``cli.command.<cmd>.summary`` / ``.description``, ``cli.epilog.<cmd>``, ``cli.help.<cmd>.<dest>``
(every option of every command), ``cli.ui.*``, ``cli.os.*`` and ``cli.argparse.*``. A command
added to ``evalkit.cli._COMMANDS`` needs its entries there too: ``tests/test_cli_errors.py``
fails, naming the missing ones. The texts of the command modules themselves (``help=`` in
``cli_<command>``) are used when the catalogue has no entry, so nothing is ever without a text.
"""

from __future__ import annotations

import difflib
import re

from evalkit.core.i18n import catalogue, t

__all__ = ["text", "has_text", "translate_argparse", "did_you_mean"]


def has_text(key: str) -> bool:
    """Whether ``cli.<key>`` is in the catalogue (``has_text("help.demo.workers")``)."""
    return f"cli.{key}" in catalogue()


def text(key: str, lang: str = "nl", **values: object) -> str:
    """The command line's text ``cli.<key>`` in ``lang``."""
    return t(f"cli.{key}", lang, **values)


# argparse's own messages (Python 3.11-3.13), by catalogue key ``cli.argparse.<name>``; the
# first pattern that matches wins and its groups fill \1, \2, ... of the text.
_ARGPARSE: list[tuple[str, str]] = [
    (r"^the following arguments are required: (.*)$", "required"),
    (r"^one of the arguments (.*) is required$", "one_of"),
    (r"^unrecognized arguments: (.*)$", "unrecognized"),
    (r"^ambiguous option: (\S+) could match (.*)$", "ambiguous"),
    (r"^argument (?:OPDRACHT|COMMAND): invalid choice: (.+?) \(choose from (.*)\)$", "unknown_command"),
    (r"^argument (.+?): invalid choice: (.+?) \(choose from (.*)\)$", "invalid_choice"),
    (r"^argument (.+?): invalid int value: (.*)$", "invalid_int"),
    (r"^argument (.+?): invalid float value: (.*)$", "invalid_float"),
    (r"^argument (.+?): invalid (\w+) value: (.*)$", "invalid_value"),
    (r"^argument (.+?): expected one argument$", "expected_one"),
    (r"^argument (.+?): expected at most one argument$", "expected_at_most_one"),
    (r"^argument (.+?): expected at least one argument$", "expected_at_least_one"),
    (r"^argument (.+?): expected (\d+) (arguments?)$", "expected_n"),
    (r"^argument (.+?): not allowed with argument (.*)$", "not_allowed_with"),
    (r"^argument (.+?): ignored explicit argument (.*)$", "ignored_explicit"),
    (r"^argument (.+?): (.*)$", "other"),
]


def did_you_mean(value: str, candidates, lang: str = "nl") -> str:
    """``" Bedoelde u 'intervention'?"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(str(value), [str(c) for c in candidates], n=1, cutoff=0.6)
    return (" " + text("ui.did_you_mean", lang, cand=f"'{close[0]}'")) if close else ""


def translate_argparse(message: str, lang: str = "nl") -> str:
    """argparse's English error message in ``lang``, with a suggestion for a wrong choice."""
    hint = ""
    m = re.match(r"^argument .+?: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if m:
        choices = re.findall(r"'([^']*)'", m.group(2))
        hint = did_you_mean(m.group(1), choices, lang)
    for pattern, key in _ARGPARSE:
        if re.match(pattern, message):
            return re.sub(pattern, text(f"argparse.{key}", lang), message) + hint
    return message + hint
