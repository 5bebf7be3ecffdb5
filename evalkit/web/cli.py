"""``evalkit serve`` and ``evalkit users``: start the portal, manage its accounts.

evalkit serve                                    local: 127.0.0.1, opens the browser
evalkit serve --hosted --database URL            hosted: accounts and roles
evalkit users add NAME --role coalition --codes GM0363 --database URL
evalkit users remove NAME --database URL
evalkit users list --database URL
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
import webbrowser
from typing import Any

from evalkit.core.errors import ParameterError, StoreError

__all__ = ["cli_serve", "cli_users"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from evalkit.web.app import PortalConfig, create_app

    if not args.hosted and args.host not in _LOOPBACK:
        print(
            "evalkit serve: de lokale modus luistert alleen op 127.0.0.1; gebruik --hosted "
            "voor een server met accounts.",
            file=sys.stderr,
        )
        return 2
    if args.hosted and not (args.database or os.environ.get("EVALKIT_DATABASE_URL")):
        print(
            "evalkit serve: --hosted heeft --database URL nodig (of EVALKIT_DATABASE_URL).", file=sys.stderr
        )
        return 2
    config = PortalConfig(
        hosted=args.hosted,
        database=args.database,
        session_secret=os.environ.get("EVALKIT_SESSION_SECRET"),
        max_upload=int(args.max_upload_mb * 1024 * 1024),
        workers=args.workers,
        retention_days=args.retention_days,
    )
    try:
        app = create_app(config)
    except (StoreError, ParameterError) as exc:
        print(f"evalkit serve: {exc}", file=sys.stderr)
        return 2
    url = f"http://{args.host}:{args.port}/"
    print(f"evalkit portaal: {url}  (stoppen met Ctrl+C)")
    if not args.hosted and not args.no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=args.hosted,
        server_header=False,
    )
    return 0


def cli_serve(subparsers: Any) -> None:
    """``evalkit serve [--hosted --database URL]``"""
    p = subparsers.add_parser(
        "serve",
        help="start the web portal (local by default)",
        description="Start the evalkit portal. Local mode (default): 127.0.0.1, no login, "
        "opens the browser, nothing leaves the machine. Hosted mode: accounts "
        "and roles, database from --database.",
    )
    p.add_argument("--hosted", action="store_true", help="server with accounts and roles")
    p.add_argument(
        "--database", default=None, help="database URL (sqlite:///FILE or postgresql://USER@HOST/DB)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--workers", type=int, default=1, help="report render workers (default 1)")
    p.add_argument(
        "--max-upload-mb", type=float, default=20.0, help="largest accepted file in MB (default 20)"
    )
    p.add_argument(
        "--retention-days", type=int, default=90, help="days an uploaded file is kept (default 90)"
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_cmd_serve)


def _store(args: argparse.Namespace) -> Any:
    from evalkit.store import Store

    store = Store(args.database)
    store.upgrade()
    return store


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Wachtwoord: ")
    if getpass.getpass("Nog een keer: ") != first:
        raise ParameterError("de wachtwoorden zijn niet gelijk.")
    return first


def _cmd_users(args: argparse.Namespace) -> int:
    try:
        store = _store(args)
        if args.action == "list":
            for u in store.list_users():
                state = "" if u.active else "\t(inactief)"
                print(f"{u.username}\t{u.role}\t{' '.join(u.gm_codes)}{state}")
            return 0
        if not args.name:
            raise ParameterError("geef een gebruikersnaam.")
        if args.action == "add":
            if not args.role:
                raise ParameterError("geef --role: coalition, programme, committee of admin.")
            store.add_user(args.name, _read_password(args), role=args.role, gm_codes=args.codes or [])
            store.audit(None, "user_added", "user", args.name, detail="cli")
            print(f"account {args.name} toegevoegd ({args.role}).")
            return 0
        if store.remove_user(args.name):
            store.audit(None, "user_removed", "user", args.name, detail="cli")
            print(f"account {args.name} verwijderd.")
            return 0
        print(f"evalkit users: geen account {args.name!r}.", file=sys.stderr)
        return 1
    except (ParameterError, StoreError) as exc:
        print(f"evalkit users: {exc}", file=sys.stderr)
        return 1


def cli_users(subparsers: Any) -> None:
    """``evalkit users add|remove|list``"""
    p = subparsers.add_parser(
        "users", help="manage portal accounts", description="Add, remove or list the accounts of the portal."
    )
    p.add_argument("action", choices=("add", "remove", "list"))
    p.add_argument("name", nargs="?", help="user name")
    p.add_argument("--role", choices=("coalition", "programme", "committee", "admin"))
    p.add_argument("--codes", nargs="*", metavar="GM0000", help="municipality codes of a coalition user")
    p.add_argument("--database", default=None, help="database URL (default: as evalkit serve)")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    p.set_defaults(func=_cmd_users)
