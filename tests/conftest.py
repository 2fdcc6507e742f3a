"""One database per test run (SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set),
migrated once; every test starts from empty tables."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid

import pytest
from tortoise import Tortoise

from seatwise.models.core import db
from tests import support


def _postgres_admin_url(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return base, name


async def _pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def test_database():
    tmp = tempfile.mkdtemp(prefix="seatwise-test-")
    os.environ["SEATWISE_TEST_TMP"] = tmp
    target = os.environ.get("TEST_DATABASE_URL")
    if target:
        base, _ = _postgres_admin_url(target)
        name = f"seatwise_test_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_execute(target, f'CREATE DATABASE "{name}"'))
        url = f"{base}/{name}"
    else:
        url = f"sqlite://{tmp}/test.sqlite3"
    os.environ["SEATWISE_TEST_DB_URL"] = url
    asyncio.run(db.migrate(url))
    yield url
    if target:
        asyncio.run(_pg_execute(target, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(autouse=True)
async def database(test_database):
    await Tortoise.init(config=db.tortoise_config(test_database))
    await support.truncate_all()
    yield
    await Tortoise.close_connections()


# Slow tests in files whose owners mark them later; `make test-fast` (-m "not slow") leaves them out.
SLOW = {"tests/models/exports/test_exports.py::test_export_of_100000_users_streams_with_bounded_memory"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.split("[")[0] in SLOW:
            item.add_marker(pytest.mark.slow)
