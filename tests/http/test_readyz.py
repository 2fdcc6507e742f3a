"""/readyz means "this instance can serve reads and writes": a database that answers but refuses every write
(disk full, a read-only file, a standby after failover) makes it 503 with `"database": "read-only"`."""

import contextlib

import httpx
from tortoise import connections

from seatwise.models.core import db
from tests.support import Server, is_postgres

# What a full disk looks like to the write probe: every write to the table it touches fails (on PostgreSQL with
# SQLSTATE 53100 disk_full, the code PostgreSQL itself uses).
REFUSE_PG = [
    "CREATE FUNCTION seatwise_refuse_writes() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$",
    "CREATE TRIGGER seatwise_refuse_writes BEFORE INSERT OR UPDATE OR DELETE ON product FOR EACH ROW "
    "EXECUTE FUNCTION seatwise_refuse_writes()",
]
UNDO_PG = ["DROP TRIGGER IF EXISTS seatwise_refuse_writes ON product", "DROP FUNCTION IF EXISTS seatwise_refuse_writes()"]
REFUSE_SQLITE = [
    "CREATE TRIGGER seatwise_refuse_writes BEFORE UPDATE ON product BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
]
UNDO_SQLITE = ["DROP TRIGGER IF EXISTS seatwise_refuse_writes"]


@contextlib.asynccontextmanager
async def writes_refused():
    conn = connections.get("default")
    refuse, undo = (REFUSE_PG, UNDO_PG) if is_postgres() else (REFUSE_SQLITE, UNDO_SQLITE)
    for sql in refuse:
        await conn.execute_script(sql)
    try:
        yield
    finally:
        for sql in undo:
            await conn.execute_script(sql)


async def test_probe_takes_a_write_and_leaves_nothing_changed():
    before = await connections.get("default").execute_query_dict("SELECT sku, name FROM product ORDER BY sku")
    assert await db.probe() == "ok"
    assert await connections.get("default").execute_query_dict("SELECT sku, name FROM product ORDER BY sku") == before


async def test_readyz_is_503_when_the_database_refuses_writes():
    server = Server().wait_ready(timeout=120)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.get(f"{server.url}/readyz")).json() == {"status": "ready", "database": "ok"}
            async with writes_refused():
                refused = await client.get(f"{server.url}/readyz")
                health = await client.get(f"{server.url}/healthz")
            again = await client.get(f"{server.url}/readyz")
    finally:
        server.stop()
    assert refused.status_code == 503 and refused.json() == {"status": "not ready", "database": "read-only"}
    assert health.status_code == 200  # the process is alive: no restart, just no new traffic
    assert again.status_code == 200
