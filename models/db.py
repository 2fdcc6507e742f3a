"""Database configuration, connection and migrations."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import AsyncIterator

from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

DEFAULT_DATABASE_URL = "sqlite://seatwise.sqlite3"


def database_url(url: str | None = None) -> str:
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("sqlite://") and ":memory:" not in url and "busy_timeout" not in url:
        # Several processes on one SQLite file wait for the write lock instead of failing at once.
        url += ("&" if "?" in url else "?") + "busy_timeout=30000"
    return url


def is_sqlite(url: str | None = None) -> bool:
    return database_url(url).startswith("sqlite")


def tortoise_config(url: str | None = None) -> dict:
    return {
        "connections": {"default": database_url(url)},
        "apps": {
            "seatwise": {
                "models": ["models.tables"],
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(url: str | None = None) -> None:
    """Bring the schema up to date with the migrations under migrations/ (idempotent)."""
    await migrate_api(config=tortoise_config(url))
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(url: str | None = None, *, migrate_first: bool = True) -> AsyncIterator[None]:
    """Migrate (unless told not to), open the ORM for the block, close it afterwards."""
    if migrate_first:
        await migrate(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        yield
    finally:
        await Tortoise.close_connections()


# For the `tortoise` console script (makemigrations, sqlmigrate, history).
TORTOISE_ORM = tortoise_config()
