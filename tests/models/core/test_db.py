"""The database connection: PostgreSQL sessions with custom plans and no JIT, pooled without a reset round trip."""

import pytest
from tortoise import connections

from seatwise.models.core import db
from tests.support import is_postgres


async def test_postgresql_sessions_plan_every_statement_for_its_values_and_never_jit():
    if not is_postgres():
        pytest.skip("PostgreSQL only")
    client = connections.get("default")
    [plan] = await client.execute_query_dict("SHOW plan_cache_mode")
    [jit] = await client.execute_query_dict("SHOW jit")
    assert (plan["plan_cache_mode"], jit["jit"]) == ("force_custom_plan", "off")


def test_a_postgres_url_keeps_its_parts_and_gains_the_settings():
    config = db.tortoise_config("postgres://seat:s3cret@db.internal:6543/seatwise?max_size=20")
    connection = config["connections"]["default"]
    assert connection["engine"] == "tortoise.backends.asyncpg"
    credentials = connection["credentials"]
    assert (credentials["host"], credentials["port"], credentials["user"], credentials["password"], credentials["database"]) == (
        "db.internal",
        6543,
        "seat",
        "s3cret",
        "seatwise",
    )
    assert credentials["max_size"] == 20
    assert credentials["server_settings"] == db.POSTGRES_SETTINGS
    assert credentials["connection_class"] is db.PooledConnection


def test_each_worker_pools_seatwise_db_pool_size_connections_unless_the_url_says(monkeypatch):
    from seatwise.models.core.settings import reload

    monkeypatch.setenv("SEATWISE_DB_POOL_SIZE", "12")
    reload()
    try:
        sized = db.tortoise_config("postgres://seat@db.internal/seatwise")["connections"]["default"]["credentials"]
        own = db.tortoise_config("postgres://seat@db.internal/seatwise?maxsize=3")["connections"]["default"]["credentials"]
    finally:
        monkeypatch.delenv("SEATWISE_DB_POOL_SIZE")
        reload()
    assert (sized["maxsize"], int(own["maxsize"])) == (12, 3)  # Tortoise reads the URL's value as text
    assert db.tortoise_config("postgres://seat@db.internal/seatwise")["connections"]["default"]["credentials"]["maxsize"] == 5


def test_a_sqlite_url_stays_a_url():
    assert db.tortoise_config("sqlite:///tmp/x.sqlite3")["connections"]["default"].startswith("sqlite:///tmp/x.sqlite3")


async def test_pooled_connections_are_given_back_without_a_reset_statement():
    if not is_postgres():
        pytest.skip("PostgreSQL only")
    async with connections.get("default").acquire_connection() as connection:
        assert isinstance(connection, db.PooledConnection) and connection.get_reset_query() == ""


async def test_an_sqlite_library_older_than_3_35_is_refused_with_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(db.sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(db.sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(db.DatabaseUnavailable, match=r"SQLite 3\.34\.1 is too old: Seatwise needs 3\.35\.0 or newer"):
        await db.migrate(f"sqlite://{tmp_path}/old.sqlite3")
    assert not (tmp_path / "old.sqlite3").exists()
