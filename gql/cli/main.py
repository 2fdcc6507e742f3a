"""The `seatwise` command: serve, migrate, create-org, demo, reset-password, clock, export-schema.

Each command is a module of this package with `add_parser(sub, common)` (its options, and `run` as the
`run` default) and `run(args)` (a coroutine function, or a plain one for commands that run their own loop).
Every failure the user can fix (a bad setting, an unreachable database, bad input) ends in one line on
stderr (with `--json`, one JSON line on stdout), exit code 2, no traceback (`output.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from seatwise.gql.cli import clock, create_org, deliver, demo, export_schema, migrate, reset_password, serve
from seatwise.gql.cli.output import Failed, fail
from seatwise.gql.http import logs
from seatwise.models.core.inputs import has_forbidden_text
from seatwise.models.core.settings import ConfigError, settings, variables

COMMANDS = (serve, migrate, create_org, demo, reset_password, clock, deliver, export_schema)


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


def build_parser() -> argparse.ArgumentParser:
    common: dict[str, Any] = {"epilog": _environment_epilog(), "formatter_class": argparse.RawDescriptionHelpFormatter}
    parser = argparse.ArgumentParser(
        prog="seatwise",
        description="Seatwise: the license-seat management backend (GraphQL over HTTP and WebSocket).",
        **common,
    )
    parser.add_argument("--version", action="version", version=f"seatwise {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub, common)
    return parser


def check_text(args: argparse.Namespace) -> None:
    """The command line's text boundary (docs/rules.md section 19): an option holding NUL or a lone surrogate (an
    argument's bytes that are not UTF-8 decode to lone surrogates) is INVALID_INPUT naming the option, not its value."""
    for name, value in vars(args).items():
        if isinstance(value, str) and has_forbidden_text(value):
            option = "--" + name.replace("_", "-")
            raise Failed("INVALID_INPUT", f"{option} contains a character that is not allowed (NUL or a lone surrogate).")


def _run(args: argparse.Namespace) -> int:
    from seatwise.models.core.db import DatabaseUnavailable

    try:
        check_text(args)
        config = settings()
        logs.setup(config.log_level)
        result = args.run(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return result or 0
    except ConfigError as error:
        return fail(args, "CONFIGURATION", str(error))
    except DatabaseUnavailable as error:
        return fail(args, "DATABASE_UNAVAILABLE", str(error))
    except Failed as error:
        return fail(args, error.code, error.message)
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logs.setup()  # until the settings are read, failures still log as JSON
    sys.exit(_run(args))
