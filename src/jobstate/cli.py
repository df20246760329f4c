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


def _serve(args: argparse.Namespace) -> int:
    from jobstate.local.service import LocalPlugins, serve

    return serve(args.host, args.port, plugins=LocalPlugins() if args.api_only else None)


def _token(args: argparse.Namespace) -> int:
    from jobstate.local.auth import issue_token, local_secret
    from jobstate.models import utc_now

    secret = local_secret()
    print(issue_token(args.user_id, secret, operator=args.operator, now=utc_now()))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from jobstate.local.demo import run_demo

    return run_demo()


def _report(args: argparse.Namespace) -> int:
    from jobstate.handlers.report import run_report

    return run_report(args.start, args.end, as_json=args.json)


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
    serve = commands.add_parser("serve", help="serve the API on this machine (make run)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    serve.add_argument(
        "--api-only", action="store_true", help="without the workflow runner and stream poller"
    )
    serve.set_defaults(func=_serve)
    token = commands.add_parser("token", help="print a token that `jobstate serve` accepts")
    token.add_argument("user_id", metavar="USER_ID", help="the caller's id (the token's sub)")
    token.add_argument("--operator", action="store_true", help="in the operators group")
    token.set_defaults(func=_token)
    report = commands.add_parser("report", help="job performance report for a date range")
    report.add_argument("--start", required=True, help="first creation date (ISO 8601, UTC)")
    report.add_argument("--end", required=True, help="end of the range, excluded (ISO 8601)")
    report.add_argument("--json", action="store_true", help="print JSON instead of a table")
    report.set_defaults(func=_report)
    demo = commands.add_parser(
        "demo", help="run a sample job through the local service and follow its progress"
    )
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
