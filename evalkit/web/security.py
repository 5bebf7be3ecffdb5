"""Sessions, CSRF tokens, login throttling and security headers of the portal.

- Sessions: Starlette's signed cookie session (itsdangerous); the cookie is ``HttpOnly``,
  ``SameSite=Strict`` and, in hosted mode, ``Secure``. It holds the user name, the
  language and the CSRF token, nothing else.
- CSRF: one random token per session, in a hidden field of every form; every ``POST`` is
  refused (403) unless the field equals the session's token (constant-time compare) and
  a present ``Origin`` header names this host.
- Throttling: failed logins are counted per user name and per client address in a sliding
  window; past the limit, logins are refused (429) until the window has passed, whether the
  password is right or not, so guessing costs time and tells nothing. The portal keeps the
  counts in its database (:class:`StoreLoginThrottle`), so every server process behind a
  load balancer sees the same counts; :class:`LoginThrottle` is the in-memory version.
- Headers: a Content-Security-Policy that forbids every outside request (pages load only
  the portal's own stylesheet; no scripts at all), plus ``nosniff``, ``no-referrer`` and
  frame denial.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request

__all__ = [
    "CSP_PAGE",
    "CSP_REPORT",
    "LoginThrottle",
    "SecurityHeadersMiddleware",
    "StoreLoginThrottle",
    "csrf_ok",
    "csrf_token",
]

#: Policy of the portal's own pages: its stylesheet, images from itself, forms to itself.
CSP_PAGE = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: Policy of a report page (self-contained HTML: inline styles, data: images, no scripts).
CSP_REPORT = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)

_CSRF_KEY = "csrf"


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    """True when ``submitted`` is this session's token and the request comes from this site."""
    expected = request.session.get(_CSRF_KEY)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        return False
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            return False
    return True


class LoginThrottle:
    """Sliding-window limit on failed logins per user name and per client address.

    ``max_failures`` failures within ``window`` seconds lock that name (and that address)
    until the oldest failure leaves the window. Thread-safe; in memory (one server process).
    """

    def __init__(self, max_failures: int = 5, window: float = 900.0, clock=time.monotonic):
        self.max_failures = int(max_failures)
        self.window = float(window)
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return "user:" + username.strip().casefold(), "addr:" + address

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def locked(self, username: str, address: str) -> bool:
        now = self._clock()
        with self._lock:
            return any(len(self._prune(k, now)) >= self.max_failures for k in self._keys(username, address))

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for k in self._keys(username, address):
                self._prune(k, now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, address)[0], None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


def _throttle_keys(username: str, address: str) -> tuple[str, str]:
    return "user:" + username.strip().casefold(), "addr:" + address


class StoreLoginThrottle:
    """The login throttle with its counts in the portal's database (shared by every server
    process): ``max_failures`` failures within ``window`` seconds lock that user name and
    that client address until the oldest failure leaves the window. Same methods as
    :class:`LoginThrottle`; the store keeps only hashes of the keys, and only for the window."""

    def __init__(self, store: Any, max_failures: int = 5, window: float = 900.0):
        self.store = store
        self.max_failures = int(max_failures)
        self.window = float(window)

    def locked(self, username: str, address: str) -> bool:
        n = self.store.login_failures(_throttle_keys(username, address), window=self.window)
        return bool(n >= self.max_failures)

    def failed(self, username: str, address: str) -> None:
        self.store.add_login_failure(_throttle_keys(username, address), window=self.window)

    def succeeded(self, username: str, address: str) -> None:
        self.store.clear_login_failures(_throttle_keys(username, address)[:1])

    def clear(self) -> None:
        """Forget every failure (tests, or an admin unlocking after an incident)."""
        from evalkit.store.models import LoginFailure

        with self.store.session() as s:
            s.query(LoginFailure).delete()


class SecurityHeadersMiddleware:
    """Adds CSP and the other protective headers to every response that has none yet."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP_PAGE
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
