"""`seatwise deliver`: the webhook delivery worker alone, for a separate process (`serve` runs one too)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from seatwise.models.core.settings import settings


def add_parser(sub: Any, common: dict[str, Any]) -> None:
    deliver = sub.add_parser(
        "deliver",
        help="run the webhook delivery worker until stopped",
        description="Attempt due webhook deliveries every SEATWISE_WEBHOOK_INTERVAL seconds (at least 0.1) and prune "
        "events older than 30 days, until SIGTERM or SIGINT. Several may run at once: each delivery is leased to one.",
        **common,
    )
    deliver.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from seatwise.models.core import db
    from seatwise.models.webhooks.worker import Worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with db.connected():
        worker = Worker()
        try:
            await worker.run(stop, max(settings().webhook_interval, 0.1))
        finally:
            await worker.close()
    return 0
