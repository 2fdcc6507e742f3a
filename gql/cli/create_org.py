"""`seatwise create-org`: an organization, its first GLOBAL_ADMIN and an API token (printed once).

The admin password never comes from the command line (any user can read it in the process list).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import timedelta
from typing import Any

from seatwise.gql.cli.output import Failed, fail, json_option, print_org
from seatwise.models.core.inputs import has_forbidden_text
from seatwise.models.core.settings import settings

PASSWORD_HELP = (
    "The admin password comes from --admin-password-stdin (the first line of stdin), the SEATWISE_ADMIN_PASSWORD "
    "variable, or a prompt when stdin is a terminal; never from the command line (any user can read it in the "
    "process list). Without one the admin signs in with the printed API token only."
)


class _RemovedPasswordOption(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(
            "--admin-password was removed: a password on the command line is visible in the process list. "
            "Use --admin-password-stdin, SEATWISE_ADMIN_PASSWORD or the prompt."
        )


def add_parser(sub: Any, common: dict[str, Any]) -> None:
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
    create.add_argument(
        "--expires-in",
        type=_days,
        default=30,
        metavar="DAYS",
        help="the printed API token expires after this many days (1 to 3650; default 30)",
    )
    json_option(create)
    create.set_defaults(run=run)


def _days(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 3650):
        raise argparse.ArgumentTypeError("a number of days, 1 to 3650")
    return int(raw)


def _admin_password(args: argparse.Namespace) -> str | None:
    if args.admin_password_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise Failed("INVALID_INPUT", "--admin-password-stdin: stdin has no password on its first line")
        if has_forbidden_text(line):
            raise Failed("INVALID_INPUT", "--admin-password-stdin: the password contains NUL or a lone surrogate")
        return line.rstrip("\r\n")
    if (password := settings().admin_password) is not None:
        return password.get_secret_value()
    if sys.stdin is not None and sys.stdin.isatty() and not args.json:
        return getpass.getpass("Admin password (at least 12 characters; empty for none): ") or None
    return None


async def run(args: argparse.Namespace) -> int:
    from seatwise.models.core import db
    from seatwise.models.core.clock import utcnow
    from seatwise.models.core.errors import DomainError
    from seatwise.models.people import organizations

    password = _admin_password(args)
    async with db.connected():
        try:
            result = await organizations.create_organization(
                args.name,
                args.admin_email,
                admin_password=password,
                sandbox=args.sandbox,
                now=utcnow(),
                token_lifetime=timedelta(days=args.expires_in),
            )
        except DomainError as error:
            return fail(args, error.code.value, error.message)
    print_org(result, args.json)
    return 0
