"""`seatwise clock`: one run of the billing clock for every organization that is not a sandbox."""

from __future__ import annotations

import argparse
import json
from datetime import UTC
from typing import Any

from seatwise.gql.cli.output import fail, json_option


def add_parser(sub: Any, common: dict[str, Any]) -> None:
    clock = sub.add_parser(
        "clock",
        help="run the billing clock once",
        description="One run of the billing clock for every organization that is not a sandbox.",
        **common,
    )
    clock.add_argument("--now", help="the time to run as, ISO-8601 (e.g. 2026-11-29T09:00:00Z) [default: now]")
    json_option(clock)
    clock.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from datetime import datetime

    from seatwise.models.clock.run import run_clock
    from seatwise.models.core import db
    from seatwise.models.core.clock import utcnow

    now = utcnow()
    if args.now:
        try:
            now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        except ValueError:
            return fail(args, "INVALID_INPUT", "--now is not an ISO-8601 time (e.g. 2026-11-29T09:00:00Z)")
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    async with db.connected():
        report = await run_clock(now, wall=utcnow())
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        for key, value in report.to_dict().items():
            print(f"{key}: {value}")
    return 0
