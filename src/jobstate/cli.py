"""The `jobstate` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from jobstate.config import Settings


def _create_table(args: argparse.Namespace) -> int:
    from jobstate.store.client import create_table, make_client

    settings = Settings.from_env()
    name = args.table or settings.table_name
    created = create_table(make_client(settings), name)
    print(f"table {name} {'created' if created else 'already exists'}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from jobstate import docs

    return docs.main(["--check"] if args.check else [])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobstate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-table", help="create the jobs table at the configured endpoint if missing"
    )
    create.add_argument("--table", help="table name (default: $JOBS_TABLE or jobstate-jobs)")
    create.set_defaults(func=_create_table)
    docs = commands.add_parser("docs", help="regenerate the generated documents under docs/")
    docs.add_argument("--check", action="store_true", help="only report stale documents")
    docs.set_defaults(func=_docs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
