"""Texts of the validation results from the one message catalogue (evalkit/core/messages/).

Result titles live under ``validation.title.<name>`` (``validation.toml``);
:class:`CatalogueTitle` is the ``title`` mapping a :class:`~evalkit.core.results.Result`
expects (``title[lang]``), read from the catalogue when asked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from evalkit.core.i18n import LANGS, t

__all__ = ["CatalogueTitle"]


class CatalogueTitle(Mapping):
    """``title[lang]``: the message ``validation.title.<name>`` in ``lang``.

    >>> CatalogueTitle("efa")["en"]
    'Exploratory factor analysis'
    """

    def __init__(self, name: str):
        self.name = name

    def __getitem__(self, lang: str) -> str:
        return t(f"validation.title.{self.name}", lang)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)

    def __repr__(self) -> str:
        return f"CatalogueTitle({self.name!r})"
