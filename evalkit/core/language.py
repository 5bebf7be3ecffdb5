"""The session language: Dutch by default, English on request.

``evalkit.set_language("en")`` makes every result's summary, HTML view (JupyterLab) and plot
labels English until it is set back; an explicit ``lang=`` argument always wins::

    >>> import evalkit
    >>> evalkit.set_language("en")
    >>> evalkit.get_language()
    'en'
    >>> evalkit.set_language("nl")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from evalkit.core.checks import check_lang

__all__ = ["set_language", "get_language", "resolve_lang", "language"]

_state = {"lang": "nl"}


def set_language(lang: str) -> None:
    """Set the language of summaries, HTML views and plots: ``"nl"`` (default) or ``"en"``."""
    _state["lang"] = check_lang(lang)


def get_language() -> str:
    """The current session language (``"nl"`` unless :func:`set_language` changed it)."""
    return _state["lang"]


def resolve_lang(lang: str | None) -> str:
    """``lang`` checked, or the session language when ``lang`` is None."""
    return _state["lang"] if lang is None else check_lang(lang)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Use ``lang`` inside a ``with`` block, then restore the previous language."""
    previous = _state["lang"]
    set_language(lang)
    try:
        yield
    finally:
        _state["lang"] = previous
