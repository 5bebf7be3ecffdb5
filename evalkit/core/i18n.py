"""Language helpers: the one Dutch/English message catalogue and number formatting.

Texts: every user-visible text has a key in the catalogue, the TOML files in
``evalkit/core/messages/`` (one file per area: ``cli.toml``, ``web.toml``, ...). A file's
tables nest; a table holding exactly ``nl`` and ``en`` is one message, and its key is the
file name plus the table path (``[help.demo.workers]`` in ``cli.toml`` is
``"cli.help.demo.workers"``). Code asks for a text with :func:`t`::

    >>> t("cli.ui.more", "en", prog="evalkit")
    'More help: evalkit --help'

Placeholders are named (``{prog}``) and the same in both languages; numbers are formatted
before they go in, with :func:`fmt_number`, :func:`fmt_p`, :func:`fmt_ci`. Why TOML and not
gettext: see docs/i18n.md. ``tests/test_i18n_catalogue.py`` checks that every message has
both languages with the same placeholders, that every key used in the code exists and that
every key in the catalogue is used.

Numbers are formatted the Dutch way for ``lang="nl"`` (decimal comma, point as thousands
separator) and the English way for ``lang="en"``.
"""

from __future__ import annotations

import functools
import math
import numbers
import string
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import pandas as pd

from evalkit.core.errors import EvalkitError, ParameterError

E = TypeVar("E", bound=EvalkitError)

__all__ = [
    "fmt_number",
    "fmt_pct",
    "fmt_p",
    "fmt_ci",
    "t",
    "Message",
    "Text",
    "LANGS",
    "error",
    "catalogue",
    "placeholders",
    "check_lang",
]

#: Where the catalogue lives (package data; one TOML file per area).
CATALOGUE_DIR = Path(__file__).with_name("messages")
#: The languages of the catalogue, Dutch first (the default).
LANGS = ("nl", "en")


def check_lang(lang: str) -> str:
    """``lang`` if it is a language of the catalogue (``"nl"``, ``"en"``), else ParameterError.

    Here, not in :mod:`evalkit.core.checks`, because the checks take their texts from the
    catalogue (no import cycle); ``checks.check_lang`` is this function.
    """
    if lang not in LANGS:
        allowed = ", ".join(repr(x) for x in LANGS)
        raise error(ParameterError, "core.checks.not_allowed", name="lang", value=repr(lang), allowed=allowed)
    return lang


def _is_missing(x) -> bool:
    """None, pandas.NA or a NaN of any float type (Python, numpy float32/64)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, str) or not isinstance(x, numbers.Real):
        try:  # 0-d arrays, Decimal, ... format as numbers; text does not
            if isinstance(x, (str, bytes)):
                raise TypeError
            return math.isnan(float(x))
        except (TypeError, ValueError):
            raise ParameterError(f"a number was expected, got {x!r}.") from None
    return math.isnan(float(x))


def fmt_number(x: float | int | None, digits: int = 2, lang: str = "nl") -> str:
    """Format a number for text: ``fmt_number(1234.5, 1, 'nl') == '1.234,5'``."""
    check_lang(lang)
    if x is None or _is_missing(x):
        return "–"
    s = f"{x:,.{digits}f}" if isinstance(x, numbers.Integral) else f"{float(x):,.{digits}f}"
    if s.startswith("-") and not any(ch in "123456789" for ch in s):
        s = s[1:]  # -0.0001 rounds to 0,00, not −0,00
    if lang == "nl":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s.replace("-", "−") if s.startswith("-") else s


def fmt_pct(x: float | None, digits: int = 0, lang: str = "nl") -> str:
    """Format a proportion (0-1) as a percentage: ``fmt_pct(0.472) == '47%'``."""
    if x is None or _is_missing(x):
        return "–"
    return fmt_number(100 * x, digits, lang) + "%"


def fmt_p(p: float | None, lang: str = "nl") -> str:
    """Format a p-value as in APA style (``p < 0,001`` / ``p = 0,032``)."""
    if p is None or _is_missing(p):
        return "p = –"
    if p < 0.001:
        return "p < " + fmt_number(0.001, 3, lang)
    return "p = " + fmt_number(p, 3, lang)


def fmt_ci(lo: float, hi: float, digits: int = 2, lang: str = "nl", confidence: float = 0.95) -> str:
    """Format a confidence interval: ``95%-BI [0,12; 0,48]`` / ``95% CI [0.12, 0.48]``."""
    level = fmt_number(100 * confidence, 0, lang)
    if lang == "nl":
        return f"{level}%-BI [{fmt_number(lo, digits, lang)}; {fmt_number(hi, digits, lang)}]"
    return f"{level}% CI [{fmt_number(lo, digits, lang)}, {fmt_number(hi, digits, lang)}]"


def _flatten(prefix: str, table: Mapping, out: dict[str, dict[str, str]], source: Path) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if not isinstance(value, Mapping):
            raise ValueError(f"{source}: {key} is not a table with nl and en")
        if set(value) == set(LANGS):
            if not all(isinstance(value[lang], str) for lang in LANGS):
                raise ValueError(f"{source}: {key} needs text for nl and en")
            out[key] = {lang: value[lang] for lang in LANGS}
        elif set(value) & set(LANGS):
            raise ValueError(f"{source}: {key} needs exactly nl and en, has {sorted(value)}")
        else:
            _flatten(key, value, out, source)


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message: ``{"cli.ui.more": {"nl": ..., "en": ...}, ...}``, read once."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            _flatten(path.stem, tomllib.load(fh), out, path)
    return out


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a message (``{{`` is a literal brace)."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field}


def t(key: str, lang: str = "nl", /, **values) -> str:
    """The text of message ``key`` in ``lang``, with its ``{placeholders}`` filled in.

    Raises KeyError naming the key when the catalogue does not have it (a programming error,
    caught by the catalogue test). Only keys: a text written in the code beside its
    translation (``{"nl": ..., "en": ...}``) is refused, so every text lives in the catalogue.
    """
    check_lang(lang)
    if not isinstance(key, str):
        raise TypeError(f"t() takes a catalogue key, not {type(key).__name__}: {key!r}")
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"message {key!r} is not in the catalogue (evalkit/core/messages/)") from None
    return text.format(**values) if values else text


class Message(Mapping[str, str]):
    """One catalogue message in both languages: a read-only mapping ``lang -> text``.

    ``Message(key, **values)[lang]`` is ``t(key, lang, **values)``, looked up when asked
    for. Use it wherever a text is needed in both languages before the language is known: a
    result's ``title``, a label or note a result keeps and shows later. A value worded per
    language may be a function of the language (as in :func:`error`). A message can also be
    called with the language, so it fits where a function ``lang -> text`` is expected::

        >>> m = Message("cli.ui.more", prog="evalkit")
        >>> m["en"], m("en") == m["en"]
        ('More help: evalkit --help', True)
        >>> list(m) == list(LANGS), list(m.values()) == [m["nl"], m["en"]]
        (True, True)
    """

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **values: object):
        if not isinstance(key, str):
            raise TypeError(f"Message() takes a catalogue key, not {type(key).__name__}: {key!r}")
        self.key = key
        self.params = values  # not .values: that is the Mapping method

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGS:
            raise KeyError(lang)
        values = {k: v(lang) if callable(v) else v for k, v in self.params.items()}
        return t(self.key, lang, **values)

    def __call__(self, lang: str) -> str:
        return self[check_lang(lang)]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)

    def __repr__(self) -> str:
        values = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Message({self.key!r}{values})"


#: A text given per language: a :class:`Message` or any function ``lang -> text``.
Text = Callable[[str], str]


def error(cls: type[E], key: str, /, **values) -> E:
    """An evalkit error whose message comes from the catalogue, in both languages.

    The exception's text (``str(exc)``, tracebacks, logs) is the English message; ``exc.nl``
    holds the Dutch one, which the command line, the portal and the reports show. A value
    that is worded per language (a list written with the language's words) may be given as a
    function of the language: ``choices=lambda lang: ...``::

        >>> from evalkit.core.errors import ParameterError
        >>> exc = error(ParameterError, "cli.ui.more", prog="evalkit")
        >>> str(exc), exc.message("en"), exc.message("nl") == t("cli.ui.more", "nl", prog="evalkit")
        ('More help: evalkit --help', 'More help: evalkit --help', True)
    """
    message = Message(key, **values)
    return cls(message["en"], nl=message["nl"])
