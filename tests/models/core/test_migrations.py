"""Migrations apply on an empty database, step by step from an earlier schema, and twice without harm; 0012 stores
the conflict line of the pools that 0010 left without one, so that states answer as they did."""

import importlib
import os
import uuid
from datetime import timedelta

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as migrate_api

from seatwise.models.core import db
from tests.support import NOW, database_url, is_postgres


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


async def _staffed(fx, sku: str, kept: int, lapsed: int):
    """`kept + lapsed` licenses bought, one user each (two per moment: the id breaks ties), then `lapsed` suspended."""
    from seatwise.models.seats import licenses as seats
    from tests.events_support import suspend
    from tests.support import give_licenses, make_user

    if kept:
        await give_licenses(fx, sku, kept)
    lapsing = await give_licenses(fx, sku, lapsed) if lapsed else None
    for index in range(kept + lapsed):
        user = await make_user(fx)
        await seats.assign_license(fx.org, str(user.id), sku, actor=fx.actor, now=NOW + timedelta(minutes=index // 2))
    if lapsing is not None:
        await suspend(lapsing)


async def _seed_as_before_0012() -> list:
    """Pools in conflict with no stored line (last changed before 0010), and a pool out of conflict with a stale
    line (a bulk seeding that stored none since), in two organizations."""
    from seatwise.models.core.tables import LicenseAssignment, SeatPool
    from tests.support import make_org

    acme, globex = await make_org("Acme", password=None), await make_org("Globex", password=None)
    await _staffed(acme, "CRM_BASIC", 2, 3)  # overage 3 above purchased 2
    await _staffed(acme, "CRM_ESSENTIAL", 3, 1)  # overage 1 below purchased 3
    await _staffed(acme, "CRM_PROFESSIONAL", 2, 0)  # not in conflict
    await _staffed(globex, "CRM_BASIC", 0, 2)  # nothing purchased: every license in conflict
    first = await LicenseAssignment.filter(organization_id=acme.org.id, product_id="CRM_PROFESSIONAL").order_by("id").first()
    await SeatPool.all().update(line_assigned_at=None, line_id=None)
    await SeatPool.filter(organization_id=acme.org.id, product_id="CRM_PROFESSIONAL").update(
        line_assigned_at=first.assigned_at, line_id=first.id
    )
    return [acme, globex]


async def _seniority(orgs) -> dict:
    """The state of every license by the rule (docs/rules.md section 3), from the rows alone: per product, ordered by
    (assignedAt, id), the first `purchased` are ACTIVE and the rest CONFLICT."""
    from seatwise.models.core.tables import LicenseAssignment, SeatPool

    states = {}
    for fx in orgs:
        purchased = dict(await SeatPool.filter(organization_id=fx.org.id).values_list("product_id", "purchased"))
        for sku, count in purchased.items():
            rows = await LicenseAssignment.filter(organization_id=fx.org.id, product_id=sku).order_by("assigned_at", "id")
            states.update({row.id: index >= count for index, row in enumerate(rows)})
    return states


async def _answers(orgs) -> dict:
    """The state of every license as the readers answer it: accessCheck, the conflict set, the affected users."""
    from seatwise.models.core.tables import LicenseAssignment
    from seatwise.models.seats import conflicts
    from seatwise.models.seats import licenses as seats

    states = {}
    for fx in orgs:
        in_conflict = await seats.conflict_assignment_ids(fx.org)
        affected = set()
        for pool in await seats.seat_pools(fx.org):
            affected |= {u.id for u in (await conflicts.affected_users_page(fx.org, pool, 100, None)).items}
        for row in await LicenseAssignment.filter(organization_id=fx.org.id).select_related("user"):
            denied = await seats.access_check(fx.org, row.user.email, row.product_id) == seats.AccessDenialReason.LICENSE_CONFLICT
            assert denied == (row.id in in_conflict) == (row.user_id in affected), row.id
            states[row.id] = denied
    return states


async def _lines() -> list:
    from seatwise.models.core.tables import SeatPool

    return sorted(
        await SeatPool.all().values_list("organization_id", "product_id", "purchased", "assigned", "line_assigned_at", "line_id")
    )


async def test_0012_stores_the_line_of_every_pool_so_that_states_answer_as_before(empty_database_url):
    """Seeded on the current schema (the models carry columns added after 0012), with the lines cleared as 0010
    left them; then 0012's statements, run as the migration runs them, twice."""
    from seatwise.models.seats import ledger

    await Tortoise.close_connections()
    try:
        await db.migrate(empty_database_url)
        await Tortoise.close_connections()
        async with db.connected(empty_database_url, migrate_first=False):
            orgs = await _seed_as_before_0012()
            before = await _seniority(orgs)
            assert sum(before.values()) == 3 + 1 + 2
            assert [line[4:] for line in await _lines() if line[3] > line[2]] == [(None, None)] * 3
            backfill = importlib.import_module("seatwise.migrations.0012_backfill_conflict_line")
            for sql in backfill.Migration.operations[0].sql:
                await connections.get("default").execute_query(sql)
            assert await _answers(orgs) == before
            migrated = await _lines()
            assert [(line[4] is None, line[5] is None) for line in migrated] == [(line[3] <= line[2],) * 2 for line in migrated]
            # What the ledger stores for these counters, and what 0012 stores when run again: the same lines.
            for fx in orgs:
                await ledger.store_lines(fx.org)
            assert await _lines() == migrated
            for sql in backfill.Migration.operations[0].sql:
                await connections.get("default").execute_query(sql)
            assert await _lines() == migrated
            assert await _answers(orgs) == before
    finally:
        await Tortoise.init(config=db.tortoise_config(database_url()))


def test_no_migration_imports_application_code():
    """Migrations are frozen text (docs/rules.md section 19): an import of seatwise would let a later change of the
    application change what an old migration creates."""
    import ast
    from pathlib import Path

    for path in sorted((Path(__file__).parents[3] / "migrations").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["(relative)"]
            for name in names:
                assert name.split(".")[0] not in ("seatwise", "gql", "models", "(relative)"), (path.name, name)


async def _columns(url: str) -> dict:
    """Every table's columns as (name, nullable), read from the database."""
    async with db.connected(url, migrate_first=False):
        client = connections.get("default")
        if is_postgres():
            rows = await client.execute_query_dict(
                "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'"
            )
            found = {(r["table_name"], r["column_name"], r["is_nullable"] == "YES") for r in rows}
        else:
            tables = await client.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            found = set()
            for table in tables:
                for column in await client.execute_query_dict(f'PRAGMA table_info("{table["name"]}")'):
                    found.add((table["name"], column["name"], not column["notnull"] and not column["pk"]))
    tables: dict = {}
    for table, column, nullable in found:
        if not table.startswith("tortoise"):  # the migrations' own bookkeeping
            tables.setdefault(table, set()).add((column, nullable))
    return tables


# The last migration of the previous release (this round's first is 0013), and an earlier one (before groups, tokens'
# scope and SCIM): a database stopped at each, then every migration after it.
RELEASES = ["seatwise.0012_backfill_conflict_line", "seatwise.0004_charge_attempt"]


async def test_migrations_from_empty_and_from_the_previous_release_give_the_schema_the_models_expect(empty_database_url):
    await Tortoise.close_connections()
    urls = [empty_database_url + suffix for suffix in ("", "_models", *(f"_r{n}" for n in range(len(RELEASES))))]
    if is_postgres():
        import asyncpg

        admin = await asyncpg.connect(database_url().replace("postgres://", "postgresql://", 1))
        for url in urls[1:]:
            await admin.execute(f'CREATE DATABASE "{url.rpartition("/")[2]}"')
    try:
        await db.migrate(urls[0])
        await Tortoise.close_connections()
        for release, url in zip(RELEASES, urls[2:], strict=True):
            await migrate_api(config=db.tortoise_config(url), target=release)
            await Tortoise.close_connections()
            await db.migrate(url)
            await Tortoise.close_connections()
        await Tortoise.init(config=db.tortoise_config(urls[1]))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()
        expected = await _columns(urls[1])
        assert await _columns(urls[0]) == expected
        for url in urls[2:]:
            assert await _columns(url) == expected
    finally:
        await Tortoise.close_connections()
        if is_postgres():
            for url in urls[1:]:
                await admin.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
            await admin.close()
        await Tortoise.init(config=db.tortoise_config(database_url()))
