"""`seatwise demo`: a sandbox demo organization with six months of history (`models/demo/seed.py`)."""

from __future__ import annotations

import argparse
from typing import Any

from seatwise.gql.cli.output import json_option, print_org


def add_parser(sub: Any, common: dict[str, Any]) -> None:
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
    demo.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from seatwise.models.core import db
    from seatwise.models.demo import seed as demo

    async with db.connected():
        result = await (demo.ensure_demo() if args.ensure else demo.build_demo())
    print_org(result, args.json)
    if not args.json and result.password is None:
        print(
            "Sign in with the admin token above (Authorization: Bearer <token>); the demo admin's password was"
            " printed once, when the demo was built."
        )
    return 0
