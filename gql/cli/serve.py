"""`seatwise serve`: migrate, then serve HTTP and WebSocket (uvicorn) and run the billing clock."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from seatwise.gql.http import logs
from seatwise.models.core.settings import settings


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


def add_parser(sub: Any, common: dict[str, Any]) -> None:
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
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from seatwise.gql.http import metrics
    from seatwise.models.core import db

    config = settings()
    asyncio.run(db.migrate())
    with metrics.multiprocess_dir(args.workers):
        uvicorn.run(
            "seatwise.gql.http.app:create_app",
            factory=True,
            host=args.host or config.host,
            port=args.port or config.port,
            workers=args.workers,
            # The same JSON logs, request ids and redaction in every worker process.
            log_config=logs.config(config.log_level),
            # RequestId logs method, path and status; uvicorn's access line would log query strings
            # (a GET query may carry a card number or a password).
            access_log=False,
            ws="websockets-sansio",
            # Named rather than left to "auto" (which falls back to asyncio and h11 without a word): both come with
            # uvicorn[standard], a dependency; a missing one fails at start.
            loop="uvloop",
            http="httptools",
            proxy_headers=True,
        )
    return 0
