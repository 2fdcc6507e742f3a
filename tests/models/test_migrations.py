"""Migrations apply on an empty database, step by step from an earlier schema, and twice without harm."""

import os
import uuid

import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

from seatwise.models.core import db
from tests.support import database_url, is_postgres


@pytest.fixture
async def empty_database_url():
    if is_postgres():
        import asyncpg

        base = database_url().rpartition("/")[0]
        name = f"seatwise_migrate_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(database_url().replace("postgres://", "postgresql://", 1))
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{base}/{name}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    else:
        yield f"sqlite://{os.environ['SEATWISE_TEST_TMP']}/migrate-{uuid.uuid4().hex[:8]}.sqlite3"


async def test_migrations_apply_from_an_earlier_schema_and_again_without_change(empty_database_url):
    await Tortoise.close_connections()
    try:
        # The schema of the first migration only (an older database), then everything after it.
        await migrate_api(config=db.tortoise_config(empty_database_url), target="seatwise.0001_initial")
        await Tortoise.close_connections()
        await db.migrate(empty_database_url)
        await db.migrate(empty_database_url)  # nothing left to do: no error, no duplicate catalog rows
        async with db.connected(empty_database_url, migrate_first=False):
            from seatwise.models.core.tables import Product

            assert sorted(await Product.all().values_list("sku", flat=True)) == ["CRM_BASIC", "CRM_ESSENTIAL", "CRM_PROFESSIONAL"]
    finally:
        await Tortoise.init(config=db.tortoise_config(database_url()))
