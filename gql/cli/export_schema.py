"""`seatwise export-schema`: the GraphQL SDL of the API, on stdout or into a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from seatwise.gql.cli.output import fail


def add_parser(sub: Any, common: dict[str, Any]) -> None:
    export = sub.add_parser(
        "export-schema",
        help="print or write the GraphQL SDL",
        description="Print the GraphQL SDL of the API, or write it to a file.",
        **common,
    )
    export.add_argument("--output", help="write the SDL to this file instead of stdout")
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from seatwise.gql.graphql.schema import schema

    sdl = str(schema) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(sdl)
        except OSError as error:
            return fail(args, "CANNOT_WRITE", f"--output: {error.strerror or type(error).__name__}")
    else:
        sys.stdout.write(sdl)
    return 0
