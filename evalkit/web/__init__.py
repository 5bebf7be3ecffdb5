"""The evalkit web portal: upload, validation feedback and reports for local coalitions.

``evalkit serve`` starts it (local mode by default; ``--hosted --database URL`` for a
server with accounts). The application is :func:`evalkit.web.app.create_app`; see
docs/portal.md. Submodules:

- ``uploads``: size limit while streaming, type from content, zip-bomb and macro guard;
- ``exports``: CSV with formula injection escaped;
- ``security``: CSRF tokens, login throttling, security headers;
- ``feedback``: the validation table a coalition sees;
- ``jobs``: the bounded pool of report render workers;
- ``messages``: every text of the portal in Dutch and English.
"""

from __future__ import annotations
