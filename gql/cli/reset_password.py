"""`seatwise reset-password`: a new password for an admin who lost theirs (an operator's task, on the server).

The password comes from the first line of stdin (`--password-stdin`) or, without it, is generated and printed once;
never from the command line (any user can read it in the process list). Every session of the admin ends; API
tokens stay. Audited as `user.password_changed` with `via: seatwise reset-password`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import Any

from seatwise.gql.cli.output import Failed, fail, json_option

GENERATED_BYTES = 18  # 24 URL-safe characters


def add_parser(sub: Any, common: dict[str, Any]) -> None:
    reset = sub.add_parser(
        "reset-password",
        help="set a new password for an admin who lost it (ends the admin's sessions)",
        description="Set a new password for the admin with this email and end every session of the admin (API tokens "
        "stay). The password is read from the first line of stdin with --password-stdin; without it a random one is "
        "generated and printed once.",
        **common,
    )
    reset.add_argument("--email", required=True, help="the admin's email (case and surrounding spaces are ignored)")
    reset.add_argument("--password-stdin", action="store_true", help="read the new password from the first line of stdin")
    json_option(reset)
    reset.set_defaults(run=run)


def _new_password(args: argparse.Namespace) -> tuple[str, bool]:
    """(the password, whether it was generated here)."""
    if not args.password_stdin:
        return secrets.token_urlsafe(GENERATED_BYTES), True
    line = sys.stdin.readline()
    if not line.strip():
        raise Failed("INVALID_INPUT", "--password-stdin: stdin has no password on its first line")
    return line.rstrip("\r\n"), False


async def run(args: argparse.Namespace) -> int:
    from seatwise.models.core import db
    from seatwise.models.core.clock import utcnow
    from seatwise.models.core.errors import DomainError
    from seatwise.models.people import account

    password, generated = _new_password(args)
    async with db.connected():
        try:
            user = await account.reset_password(args.email, password, now=utcnow())
        except DomainError as error:
            return fail(args, error.code.value, error.message)
    if args.json:
        line = {"adminUserId": str(user.id), "adminEmail": user.email}
        if generated:
            line["adminPassword"] = password
        print(json.dumps(line))
    else:
        print(f"Password reset for {user.email} ({user.id}); their sessions ended.")
        if generated:
            print(f"New password: {password}  (shown once; sign in with the email and this password)")
    return 0
