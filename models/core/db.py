"""Database configuration, connection and migrations."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.api import migrate as migrate_api
from tortoise.transactions import in_transaction

from seatwise.models.core.settings import settings

log = logging.getLogger("seatwise.db")


def database_url(url: str | None = None) -> str:
    url = url or settings().database_url
    if url.startswith("sqlite://") and ":memory:" not in url and "busy_timeout" not in url:
        # Several processes on one SQLite file wait for the write lock instead of failing at once.
        url += ("&" if "?" in url else "?") + "busy_timeout=30000"
    return url


class PooledConnection(asyncpg.connection.Connection):
    """A pooled PostgreSQL connection given back without a reset round trip.

    asyncpg resets a connection on every release (advisory locks, cursors, LISTEN, `RESET ALL`): outside a
    transaction that is one extra round trip per statement. Seatwise sets no session state (no SET, LISTEN,
    session advisory lock or cursor; the session settings below are fixed at connect; `lock_name` takes a
    transaction-level lock, which ends with the transaction), so there is nothing to reset; asyncpg still
    rolls back a transaction left open."""

    def get_reset_query(self) -> str:
        return ""


# Per-connection PostgreSQL settings. plan_cache_mode: asyncpg prepares every statement, and after five runs
# PostgreSQL may switch a prepared statement to a generic plan chosen without the parameter values, which
# misfits skewed data (an organization of 1,000 users next to one of 100,000); custom plans cost a planning per
# statement (microseconds for these queries). jit off: compiling a query costs tens to hundreds of
# milliseconds, never won back by short queries.
POSTGRES_SETTINGS = {"plan_cache_mode": "force_custom_plan", "jit": "off"}


def _connection(url: str) -> str | dict:
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url
    config = expand_db_url(url)
    credentials = config["credentials"]
    credentials["server_settings"] = {**POSTGRES_SETTINGS, **credentials.get("server_settings", {})}
    credentials["connection_class"] = PooledConnection
    # Each worker process its own pool: `serve --workers N` opens up to N times this many connections.
    if "maxsize" not in credentials and "max_size" not in credentials:  # the URL's own size wins
        credentials["maxsize"] = max(settings().db_pool_size, int(credentials.get("minsize", 1)))
    return config


def tortoise_config(url: str | None = None) -> dict:
    return {
        "connections": {"default": _connection(database_url(url))},
        "apps": {
            "seatwise": {
                "models": ["seatwise.models.core.tables"],
                "default_connection": "default",
                "migrations": "seatwise.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# What a database that cannot be reached (or refuses us) raises while connecting or migrating.
CONNECTION_ERRORS = (OSError, DBConnectionError, OperationalError, asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error)


class DatabaseUnavailable(Exception):
    """The database could not be reached or migrated; the message is one line without credentials."""


def describe(url: str | None = None) -> str:
    """The database URL without user name or password: `postgres://db.internal:5432/seatwise`."""
    parts = urlsplit(database_url(url))
    if parts.scheme == "sqlite":
        return f"sqlite://{parts.netloc}{parts.path}"
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _unavailable(error: BaseException, url: str | None) -> DatabaseUnavailable:
    # Driver messages name hosts, databases and roles, never passwords; the first line is enough.
    detail = (str(error).splitlines() or [""])[0][:200]
    return DatabaseUnavailable(
        f"cannot use the database at {describe(url)}: {type(error).__name__}" + (f": {detail}" if detail else "")
    )


# UPDATE ... RETURNING (the seat ledger's pool lock) needs SQLite 3.35 (2021).
MIN_SQLITE = (3, 35, 0)


def _check_engine(url: str | None) -> None:
    if database_url(url).startswith("sqlite://") and sqlite3.sqlite_version_info < MIN_SQLITE:
        raise DatabaseUnavailable(
            f"SQLite {sqlite3.sqlite_version} is too old: Seatwise needs {'.'.join(map(str, MIN_SQLITE))} or newer "
            "(the library Python's sqlite3 module is built with)"
        )


async def migrate(url: str | None = None) -> None:
    """Bring the schema up to date with the migrations under migrations/ (idempotent)."""
    _check_engine(url)
    try:
        await migrate_api(config=tortoise_config(url))
    except CONNECTION_ERRORS as error:
        raise _unavailable(error, url) from error
    finally:
        await Tortoise.close_connections()


@asynccontextmanager
async def connected(url: str | None = None, *, migrate_first: bool = True) -> AsyncIterator[None]:
    """Migrate (unless told not to), open the ORM for the block, close it afterwards."""
    if migrate_first:
        await migrate(url)  # checks the engine first
    else:
        _check_engine(url)
    try:
        await Tortoise.init(config=tortoise_config(url))
    except CONNECTION_ERRORS as error:
        raise _unavailable(error, url) from error
    try:
        yield
    finally:
        await Tortoise.close_connections()


def __getattr__(name: str):
    # `TORTOISE_ORM`, for the `tortoise` console script (makemigrations, sqlmigrate, history); built on
    # first use, so that importing this module never reads the settings.
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)


def placeholders(sql: str, dialect: str) -> str:
    """Plain SQL written with `?` for each parameter, as the connection's driver wants it: asyncpg numbers its
    parameters ($1, $2, ...), SQLite takes `?` as written. Every hand-written statement passes here."""
    if dialect != "postgres":
        return sql
    head, *rest = sql.split("?")
    return head + "".join(f"${n}{part}" for n, part in enumerate(rest, 1))


async def lock_name(connection, name: str) -> None:
    """Serialize the transactions that lock `name` until the caller's transaction ends.

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name (a collision only makes two
    names wait for each other). SQLite lets one writer in at a time: the caller's first write takes the lock,
    so the caller writes before it reads."""
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [name])


class _RollBack(Exception):
    pass


# A write that changes nothing, undone at once: one catalog row rewritten (the catalog always has rows;
# rewriting a row takes the write lock and writes SQLite's journal, and PostgreSQL refuses it in a
# read-only transaction or on a standby).
_WRITE_PROBE = "UPDATE product SET name = name WHERE sku = (SELECT MIN(sku) FROM product)"


async def probe() -> str:
    """Readiness of the database for this process: "ok" when it answers and takes a write, "read-only" when it
    answers reads but refuses the write (disk full, read-only file or standby), "unreachable" otherwise."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:  # the probe reports, it does not raise
        log.warning("database not reachable: %s", type(error).__name__)
        return "unreachable"
    try:
        async with in_transaction() as connection:
            await connection.execute_query(_WRITE_PROBE)
            raise _RollBack
    except _RollBack:
        return "ok"
    except Exception as error:
        log.warning("database refuses writes: %s", type(error).__name__)
        return "read-only"
