"""Where the store lives and which key encrypts its uploads.

Database URL, first match wins:

1. the ``url`` argument (``evalkit serve --database URL``);
2. the environment variable ``EVALKIT_DATABASE_URL``;
3. a SQLite file in the user's data folder (``platformdirs.user_data_dir("evalkit")``,
   e.g. ``~/.local/share/evalkit/evalkit.sqlite3`` on Linux).

``postgresql://`` and ``postgres://`` URLs are driven by psycopg 3.

Encryption key (32 random bytes, written as URL-safe base64), first match wins:

1. the ``key`` argument;
2. ``EVALKIT_STORE_KEY`` (the base64 text);
3. ``EVALKIT_STORE_KEY_FILE`` (a file holding the base64 text);
4. only for the embedded default database: ``store.key`` beside it, created on first use
   with permissions 0600.

A hosted database without a configured key is refused (a key generated on the fly would
be lost with the process, and the files with it). The key never belongs in the repository;
``evalkit.store.generate_key()`` makes one.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from evalkit.core.errors import StoreConfigError

__all__ = [
    "default_url",
    "resolve_url",
    "default_data_dir",
    "normalise_url",
    "load_key",
    "generate_key",
    "ENV_URL",
    "ENV_KEY",
    "ENV_KEY_FILE",
]

ENV_URL = "EVALKIT_DATABASE_URL"
ENV_KEY = "EVALKIT_STORE_KEY"
ENV_KEY_FILE = "EVALKIT_STORE_KEY_FILE"
KEY_BYTES = 32


def default_data_dir() -> Path:
    """The user's data folder for evalkit (``EVALKIT_DATA_DIR`` overrides it)."""
    env = os.environ.get("EVALKIT_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("evalkit", appauthor=False))


def default_url() -> str:
    """The embedded SQLite database in the user's data folder."""
    return f"sqlite:///{default_data_dir() / 'evalkit.sqlite3'}"


def normalise_url(url: str) -> str:
    """Give PostgreSQL URLs the psycopg 3 driver; check the scheme."""
    if not isinstance(url, str) or not url.strip():
        raise StoreConfigError(
            "database URL must be a non-empty string, e.g. "
            "'sqlite:///evalkit.sqlite3' or 'postgresql://user@host/db'."
        )
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite://", "sqlite+pysqlite://")):
        return url
    scheme = url.split(":", 1)[0]
    raise StoreConfigError(
        f"database URL scheme {scheme!r} is not supported; use sqlite:///PATH or "
        "postgresql://USER@HOST/DATABASE."
    )


def resolve_url(url: str | None) -> tuple[str, bool]:
    """(normalised URL, whether it is the embedded default in the user's data folder)."""
    if url is None:
        env = os.environ.get(ENV_URL)
        if env:
            return normalise_url(env), False
        return normalise_url(default_url()), True
    return normalise_url(url), False


def generate_key() -> bytes:
    """A new random key as URL-safe base64 text (store it outside the repository)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES))


def decode_key(text: bytes | str, origin: str) -> bytes:
    """32 raw key bytes from base64 text (or from 32 raw bytes)."""
    if isinstance(text, bytes) and len(text) == KEY_BYTES:
        return text
    raw = text.strip() if isinstance(text, (bytes, str)) else text
    try:
        key = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError, TypeError):
        raise StoreConfigError(
            f"the encryption key from {origin} is not base64 text; make one with "
            "python -c 'import evalkit.store as s; print(s.generate_key().decode())'."
        ) from None
    if len(key) != KEY_BYTES:
        raise StoreConfigError(
            f"the encryption key from {origin} has {len(key)} bytes; it must have {KEY_BYTES} (256 bits)."
        )
    return key


def load_key(key: bytes | str | None, *, embedded_default: bool) -> bytes:
    """The 32-byte key, from the argument, the environment, a key file or (embedded only)
    a key file created beside the default database."""
    if key is not None:
        return decode_key(key, "the key argument")
    if os.environ.get(ENV_KEY):
        return decode_key(os.environ[ENV_KEY], ENV_KEY)
    if os.environ.get(ENV_KEY_FILE):
        path = Path(os.environ[ENV_KEY_FILE])
        try:
            return decode_key(path.read_bytes(), str(path))
        except OSError as exc:
            raise StoreConfigError(f"cannot read the key file {path}: {exc.strerror}.") from None
    if not embedded_default:
        raise StoreConfigError(
            f"no encryption key configured for this database; set {ENV_KEY} or "
            f"{ENV_KEY_FILE} (the uploads are encrypted with it)."
        )
    path = default_data_dir() / "store.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(generate_key())
    return decode_key(path.read_bytes(), str(path))
