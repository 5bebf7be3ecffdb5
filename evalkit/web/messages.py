"""Every text of the portal, Dutch and English, from the one message catalogue.

The texts live in ``evalkit/core/messages/web.toml`` (keys ``web.<name>``). Pages call
``_("name", **values)`` (a Jinja global bound to the visitor's language); Python code calls
:func:`tr`. ``tests/test_i18n_catalogue.py`` checks both languages, the placeholders, and that
every key used in the templates and code exists and every key is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from evalkit.core.i18n import catalogue, t

__all__ = ["MESSAGES", "tr"]

_PREFIX = "web."

#: The portal's messages by short name (read-only view of the catalogue's ``web.*`` keys).
MESSAGES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {key.removeprefix(_PREFIX): texts for key, texts in catalogue().items() if key.startswith(_PREFIX)}
)


def tr(key: str, lang: str = "nl", **values: object) -> str:
    """The text ``key`` in ``lang`` (``KeyError`` for an unknown key: a bug, not input)."""
    return t(_PREFIX + key, lang, **values)
