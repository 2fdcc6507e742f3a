"""What a command prints: its result, or the one line of a failure the user can fix.

With `--json` a command prints exactly one JSON line on stdout, the result or `{"error": {code, message}}`
(the error is also logged as JSON on stderr); without it a failure is one plain line on stderr. Either way a
failure exits with EXIT_FAILED and no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

log = logging.getLogger("seatwise.cli")

EXIT_FAILED = 2


class Failed(Exception):
    """A command ends with this error code and one-line message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def fail(args: argparse.Namespace, code: str, message: str) -> int:
    """A failed command: one JSON line on stdout with --json (as on success, and the error logged as JSON on
    stderr), else one plain line on stderr."""
    if getattr(args, "json", False):
        log.error("%s: %s", code, message)
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        print(f"error: {code}: {message}", file=sys.stderr)
    return EXIT_FAILED


def json_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--json",
        action="store_true",
        help='print exactly one JSON line on stdout (the result, or {"error": {code, message}})',
    )


def print_org(result, as_json: bool) -> None:
    """A new organization's admin and token (create-org, demo); the admin's password when it was just made."""
    password = getattr(result, "password", None)
    if as_json:
        line = {
            "organizationId": str(result.organization.id),
            "adminUserId": str(result.admin.id),
            "adminEmail": result.admin.email,
            "token": result.token,
        }
        if password:
            line["adminPassword"] = password
        print(json.dumps(line))
    else:
        print(f"Organization: {result.organization.name} ({result.organization.id})")
        print(f"Admin: {result.admin.email} ({result.admin.id})")
        print(f"Admin token: {result.token}")
        if password:
            print(f"Admin password: {password}  (shown once; sign in with the email and this password)")
