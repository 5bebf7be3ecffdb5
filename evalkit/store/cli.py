"""``evalkit store``: maintenance of the portal's database for the programme's admin.

    evalkit store key                         print a new encryption key (keep it secret)
    evalkit store upgrade [--database URL]    create or migrate the schema
    evalkit store purge [--database URL] [--retention-days N]
                                              delete uploads past their retention date
                                              (run daily, e.g. from cron)

Without ``--database`` the URL comes from ``EVALKIT_DATABASE_URL`` or is the embedded
SQLite file in the user's data folder; the key from ``EVALKIT_STORE_KEY`` or
``EVALKIT_STORE_KEY_FILE`` (docs/portal_storage.md).
"""

from __future__ import annotations

import argparse
import sys

from evalkit.core.errors import ParameterError, StoreError

__all__ = ["cli_store"]


def _store(args: argparse.Namespace):
    from evalkit.store.store import Store

    return Store(args.database)


def _cmd(args: argparse.Namespace) -> int:
    from evalkit.store.config import generate_key

    try:
        if args.action == "key":
            print(generate_key().decode())
            return 0
        store = _store(args)
        try:
            store.upgrade()
            if args.action == "purge":
                n = store.purge_expired(retention_days=args.retention_days)
                print(f"{n} bestand(en) verwijderd na de bewaartermijn.")
            else:
                print(f"Database bijgewerkt: {store!r}")
        finally:
            store.close()
    except (StoreError, ParameterError) as exc:
        print(f"evalkit store: {exc}", file=sys.stderr)
        return 1
    return 0


def cli_store(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "store",
        help="portal database: key, upgrade, purge (retention)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=["key", "upgrade", "purge"])
    p.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="sqlite:///PATH or postgresql://USER@HOST/DB (default: "
        "EVALKIT_DATABASE_URL or the embedded database)",
    )
    p.add_argument(
        "--retention-days",
        type=int,
        default=None,
        metavar="N",
        help="purge: also delete uploads older than N days",
    )
    p.set_defaults(func=_cmd)
