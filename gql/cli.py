"""The `seatwise` command: serve, migrate, create-org, demo, clock, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from gql import logs

log = logging.getLogger("seatwise.cli")


def _fail(args: argparse.Namespace, code: str, message: str) -> int:
    """A failed command: one JSON line on stdout with --json (as on success), else a line on stderr."""
    log.error("%s: %s", code, message)
    if getattr(args, "json", False):
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        print(f"error: {code}: {message}", file=sys.stderr)
    return 2


def _print_org(result, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"organizationId": str(result.organization.id), "adminUserId": str(result.admin.id), "token": result.token}))
    else:
        print(f"Organization: {result.organization.name} ({result.organization.id})")
        print(f"Admin: {result.admin.email} ({result.admin.id})")
        print(f"Admin token: {result.token}")


async def _create_org(args: argparse.Namespace) -> int:
    from models import db, organizations
    from models.clock import utcnow
    from models.errors import DomainError

    async with db.connected():
        try:
            result = await organizations.create_organization(
                args.name, args.admin_email, admin_password=args.admin_password, sandbox=args.sandbox, now=utcnow()
            )
        except DomainError as error:
            return _fail(args, error.code.value, error.message)
    _print_org(result, args.json)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from models import db, demo

    async with db.connected():
        result = await (demo.ensure_demo() if args.ensure else demo.build_demo())
    _print_org(result, args.json)
    return 0


async def _migrate(args: argparse.Namespace) -> int:
    from models import db

    await db.migrate()
    log.info("database schema is up to date")
    return 0


async def _clock(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from models import db, renewals
    from models.clock import utcnow

    now = utcnow()
    if args.now:
        try:
            now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        except ValueError:
            return _fail(args, "INVALID_INPUT", f"--now {args.now!r} is not ISO-8601")
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
    async with db.connected():
        report = await renewals.run_clock(now)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        for key, value in report.to_dict().items():
            print(f"{key}: {value}")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from gql.schema import schema

    sdl = str(schema) + "\n"
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from models import db

    asyncio.run(db.migrate())
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import tempfile

        # Every worker writes its metrics here; /metrics on any worker adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="seatwise-metrics-")
    uvicorn.run(
        "gql.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        # RequestId logs method, path and status; uvicorn's access line would log query strings
        # (a GET query may carry a card number or a password).
        access_log=False,
        ws="websockets-sansio",
        proxy_headers=True,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seatwise", description="License-seat management backend.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve HTTP and WebSocket, run the billing clock")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(run=_migrate)

    create = sub.add_parser("create-org", help="create an organization and its first GLOBAL_ADMIN")
    create.add_argument("--name", required=True)
    create.add_argument("--admin-email", required=True)
    create.add_argument("--admin-password")
    create.add_argument("--sandbox", action="store_true")
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_create_org)

    demo = sub.add_parser("demo", help="create a sandbox demo organization")
    demo.add_argument("--json", action="store_true")
    demo.add_argument("--ensure", action="store_true", help="reuse the demo organization of `make run` if it exists")
    demo.set_defaults(run=_demo)

    clock = sub.add_parser("clock", help="run the billing clock once")
    clock.add_argument("--now")
    clock.add_argument("--json", action="store_true")
    clock.set_defaults(run=_clock)

    export = sub.add_parser("export-schema", help="print or write the SDL")
    export.add_argument("--output")
    export.set_defaults(run=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logs.setup()
    result = args.run(args)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    sys.exit(result or 0)
