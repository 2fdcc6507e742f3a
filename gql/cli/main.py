"""The `seatwise` command: serve, migrate, create-org, demo, clock, export-schema.

Every failure the user can fix (a bad setting, an unreachable database, bad input) ends in one line on
stderr (with `--json`, one JSON line on stdout), exit code 2, no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from datetime import UTC
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from seatwise.gql.http import logs
from seatwise.models.core.settings import ConfigError, settings, variables

log = logging.getLogger("seatwise.cli")

EXIT_FAILED = 2
PASSWORD_HELP = (
    "The admin password comes from --admin-password-stdin (the first line of stdin), the SEATWISE_ADMIN_PASSWORD "
    "variable, or a prompt when stdin is a terminal; never from the command line (any user can read it in the "
    "process list). Without one the admin signs in with the printed API token only."
)


class Failed(Exception):
    """A command ends with this error code and one-line message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _fail(args: argparse.Namespace, code: str, message: str) -> int:
    """A failed command: one JSON line on stdout with --json (as on success, and the error logged as JSON on
    stderr), else one plain line on stderr."""
    if getattr(args, "json", False):
        log.error("%s: %s", code, message)
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        print(f"error: {code}: {message}", file=sys.stderr)
    return EXIT_FAILED


def _print_org(result, as_json: bool) -> None:
    password = getattr(result, "password", None)
    if as_json:
        line = {"organizationId": str(result.organization.id), "adminUserId": str(result.admin.id), "token": result.token}
        if password:
            line["adminPassword"] = password
        print(json.dumps(line))
    else:
        print(f"Organization: {result.organization.name} ({result.organization.id})")
        print(f"Admin: {result.admin.email} ({result.admin.id})")
        print(f"Admin token: {result.token}")
        if password:
            print(f"Admin password: {password}  (shown once; sign in with the email and this password)")


def _admin_password(args: argparse.Namespace) -> str | None:
    if args.admin_password_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise Failed("INVALID_INPUT", "--admin-password-stdin: stdin has no password on its first line")
        return line.rstrip("\r\n")
    if (password := settings().admin_password) is not None:
        return password.get_secret_value()
    if sys.stdin is not None and sys.stdin.isatty() and not args.json:
        return getpass.getpass("Admin password (at least 12 characters; empty for none): ") or None
    return None


async def _create_org(args: argparse.Namespace) -> int:
    from seatwise.models.core import db
    from seatwise.models.core.clock import utcnow
    from seatwise.models.core.errors import DomainError
    from seatwise.models.people import organizations

    password = _admin_password(args)
    async with db.connected():
        try:
            result = await organizations.create_organization(
                args.name, args.admin_email, admin_password=password, sandbox=args.sandbox, now=utcnow()
            )
        except DomainError as error:
            return _fail(args, error.code.value, error.message)
    _print_org(result, args.json)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from seatwise.models.core import db
    from seatwise.models.demo import seed as demo

    async with db.connected():
        result = await (demo.ensure_demo() if args.ensure else demo.build_demo())
    _print_org(result, args.json)
    if not args.json and result.password is None:
        print(
            "Sign in with the admin token above (Authorization: Bearer <token>); the demo admin's password was"
            " printed once, when the demo was built."
        )
    return 0


async def _migrate(args: argparse.Namespace) -> int:
    from seatwise.models.core import db

    await db.migrate()
    log.info("database schema is up to date")
    return 0


async def _clock(args: argparse.Namespace) -> int:
    from datetime import datetime

    from seatwise.models.billing import renewals
    from seatwise.models.core import db
    from seatwise.models.core.clock import utcnow

    now = utcnow()
    if args.now:
        try:
            now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        except ValueError:
            return _fail(args, "INVALID_INPUT", "--now is not an ISO-8601 time (e.g. 2026-11-29T09:00:00Z)")
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    async with db.connected():
        report = await renewals.run_clock(now, wall=utcnow())
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        for key, value in report.to_dict().items():
            print(f"{key}: {value}")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from seatwise.gql.graphql.schema import schema

    sdl = str(schema) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(sdl)
        except OSError as error:
            return _fail(args, "CANNOT_WRITE", f"--output: {error.strerror or type(error).__name__}")
    else:
        sys.stdout.write(sdl)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from seatwise.gql.http import metrics
    from seatwise.models.core import db

    asyncio.run(db.migrate())
    with metrics.multiprocess_dir(args.workers):
        uvicorn.run(
            "seatwise.gql.http.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            # The same JSON logs, request ids and redaction in every worker process.
            log_config=logs.config(settings().log_level),
            # RequestId logs method, path and status; uvicorn's access line would log query strings
            # (a GET query may carry a card number or a password).
            access_log=False,
            ws="websockets-sansio",
            proxy_headers=True,
        )
    return 0


def _version() -> str:
    try:
        return version("seatwise")
    except PackageNotFoundError:  # running from a checkout that was not installed
        return "unknown"


def _environment_epilog() -> str:
    lines = ["environment variables (an empty one counts as unset):"]
    for name, default, meaning in variables():
        lines.append(f"  {name:<26} {meaning} [default: {default}]")
    return "\n".join(lines)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be 1..65535")
    return value


class _RemovedPasswordOption(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(
            "--admin-password was removed: a password on the command line is visible in the process list. "
            "Use --admin-password-stdin, SEATWISE_ADMIN_PASSWORD or the prompt."
        )


def build_parser() -> argparse.ArgumentParser:
    epilog = _environment_epilog()
    common: dict[str, Any] = {"epilog": epilog, "formatter_class": argparse.RawDescriptionHelpFormatter}
    parser = argparse.ArgumentParser(
        prog="seatwise",
        description="Seatwise: the license-seat management backend (GraphQL over HTTP and WebSocket).",
        **common,
    )
    parser.add_argument("--version", action="version", version=f"seatwise {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def json_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--json",
            action="store_true",
            help='print exactly one JSON line on stdout (the result, or {"error": {code, message}})',
        )

    serve = sub.add_parser(
        "serve",
        help="migrate, then serve HTTP and WebSocket and run the billing clock",
        description="Migrate the database, then serve /graphql (HTTP and WebSocket), /exports, "
        "/healthz, /readyz and /metrics, and run the billing clock every "
        "SEATWISE_CLOCK_INTERVAL seconds.",
        **common,
    )
    serve.add_argument("--host", default=None, help="address to listen on [default: HOST, else 127.0.0.1]")
    serve.add_argument("--port", type=_port, default=None, help="port to listen on [default: PORT, else 8000]")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes sharing the port (metrics are added up across them) [default: 1]",
    )
    serve.set_defaults(run=_serve)

    migrate = sub.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply the migrations under migrations/ to DATABASE_URL (idempotent).",
        **common,
    )
    migrate.set_defaults(run=_migrate)

    create = sub.add_parser(
        "create-org",
        help="create an organization, its first GLOBAL_ADMIN and an API token",
        description="Create an organization, its first GLOBAL_ADMIN and an API token (printed once). " + PASSWORD_HELP,
        **common,
    )
    create.add_argument("--name", required=True, help="the organization's name (1 to 256 characters)")
    create.add_argument("--admin-email", required=True, help="email of the first GLOBAL_ADMIN")
    create.add_argument(
        "--admin-password-stdin", action="store_true", help="read the admin password from the first line of stdin"
    )
    create.add_argument("--admin-password", action=_RemovedPasswordOption, help=argparse.SUPPRESS)
    create.add_argument("--sandbox", action="store_true", help="a sandbox: its own test clock, never charged by the real clock")
    json_option(create)
    create.set_defaults(run=_create_org)

    demo = sub.add_parser(
        "demo",
        help="create a sandbox demo organization",
        description="Create a sandbox demo organization with six months of history; print its "
        "admin token and (on the first build) the admin's password.",
        **common,
    )
    json_option(demo)
    demo.add_argument(
        "--ensure",
        action="store_true",
        help="reuse the demo organization of `make run` if it exists: revoke its previous `make run` token and print a new one",
    )
    demo.set_defaults(run=_demo)

    clock = sub.add_parser(
        "clock",
        help="run the billing clock once",
        description="One run of the billing clock for every organization that is not a sandbox.",
        **common,
    )
    clock.add_argument("--now", help="the time to run as, ISO-8601 (e.g. 2026-11-29T09:00:00Z) [default: now]")
    json_option(clock)
    clock.set_defaults(run=_clock)

    export = sub.add_parser(
        "export-schema",
        help="print or write the GraphQL SDL",
        description="Print the GraphQL SDL of the API, or write it to a file.",
        **common,
    )
    export.add_argument("--output", help="write the SDL to this file instead of stdout")
    export.set_defaults(run=_export_schema)
    return parser


def _run(args: argparse.Namespace) -> int:
    from seatwise.models.core.db import DatabaseUnavailable

    try:
        config = settings()
        if args.command == "serve":
            args.host = args.host or config.host
            args.port = args.port or config.port
        logs.setup(config.log_level)
        result = args.run(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return result or 0
    except ConfigError as error:
        return _fail(args, "CONFIGURATION", str(error))
    except DatabaseUnavailable as error:
        return _fail(args, "DATABASE_UNAVAILABLE", str(error))
    except Failed as error:
        return _fail(args, error.code, error.message)
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logs.setup()  # until the settings are read, failures still log as JSON
    sys.exit(_run(args))
