"""`seatwise migrate`: bring the database schema up to date."""

from __future__ import annotations

import argparse
import logging
from typing import Any

log = logging.getLogger("seatwise.cli")


def add_parser(sub: Any, common: dict[str, Any]) -> None:
    migrate = sub.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply the migrations under migrations/ to DATABASE_URL (idempotent).",
        **common,
    )
    migrate.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from seatwise.models.core import db

    await db.migrate()
    log.info("database schema is up to date")
    return 0
