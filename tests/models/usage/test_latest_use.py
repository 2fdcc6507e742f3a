"""A user's latest use (the users page by LAST_USED_AT, docs/rules.md section 17) moves with their licenses' use: a
sign-in or a reported use writes it in the statement after the license's, never backwards, never within the hour of
the license's last write; migration 0019 fills it from the licenses' last use."""

import asyncio
import importlib
from datetime import timedelta

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from seatwise.models.core.tables import LicenseAssignment, User
from seatwise.models.core.tables.people import NEVER_USED
from seatwise.models.usage import access, uses
from tests.support import NOW, give_licenses, is_postgres, make_org, make_user


async def _latest(user: User):
    return (await User.get(id=user.id)).latest_use


async def test_reported_uses_move_the_users_latest_use_to_their_latest_and_never_back():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    await give_licenses(fx, "CRM_ESSENTIAL", 2)
    ada = await make_user(fx, skus=["CRM_BASIC", "CRM_ESSENTIAL"])
    bob = await make_user(fx, skus=["CRM_BASIC"])
    assert await _latest(ada) == await _latest(bob) == NEVER_USED
    later = NOW + timedelta(hours=5)
    batch = [
        uses.Use(ada.email, "CRM_BASIC", NOW + timedelta(hours=2)),
        uses.Use(ada.email, "CRM_ESSENTIAL", later),
        uses.Use("nobody@acme.test", "CRM_BASIC", later),
    ]
    assert await uses.record_uses(fx.org, batch, now=later) == (2, 1)
    assert await _latest(ada) == later and await _latest(bob) == NEVER_USED
    # an older use of the other license moves that license, not the user's latest use back
    assert await uses.record_uses(fx.org, [uses.Use(ada.email, "CRM_BASIC", NOW + timedelta(hours=4))], now=later) == (1, 0)
    assert await _latest(ada) == later


async def test_a_sign_in_within_the_hour_writes_neither_the_license_nor_the_user():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    ada = await make_user(fx, skus=["CRM_BASIC"])
    await access.sign_in(fx.org, ada.email, "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(hours=1))
    await User.filter(id=ada.id).update(latest_use=NOW)  # were the user written again, this would move
    await access.sign_in(fx.org, ada.email, "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(hours=1, minutes=59))
    assert await _latest(ada) == NOW
    await access.sign_in(fx.org, ada.email, "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(hours=2))
    assert await _latest(ada) == NOW + timedelta(hours=2)


async def test_0019_fills_the_latest_use_from_the_licenses():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    await give_licenses(fx, "CRM_ESSENTIAL", 1)
    ada = await make_user(fx, skus=["CRM_BASIC", "CRM_ESSENTIAL"])
    bob = await make_user(fx, skus=["CRM_BASIC"])
    await LicenseAssignment.filter(user_id=ada.id, product_id="CRM_BASIC").update(last_used_at=NOW + timedelta(days=1))
    await LicenseAssignment.filter(user_id=ada.id, product_id="CRM_ESSENTIAL").update(last_used_at=NOW + timedelta(days=3))
    await User.filter(organization_id=fx.org.id).update(latest_use=NEVER_USED)  # as before 0019
    migration = importlib.import_module("seatwise.migrations.0019_user_orders").Migration
    for _ in range(2):  # and again, without change
        for sql in migration.operations[1].sql:
            await connections.get("default").execute_query(sql)
        assert await _latest(ada) == NOW + timedelta(days=3) and await _latest(bob) == NEVER_USED


async def test_a_sign_in_never_waits_for_a_user_row_a_seat_change_holds():
    """PostgreSQL: while a seat change holds the user's row, the sign-in is answered and its license's use written;
    the user's latest use is skipped (it moves at the license's next write), not waited for."""
    if not is_postgres():
        pytest.skip("PostgreSQL only: SQLite serialises every statement of a process")
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    ada = await make_user(fx, skus=["CRM_BASIC"])
    held, done = asyncio.Event(), asyncio.Event()

    async def seat_change() -> None:
        async with in_transaction():
            await User.filter(id=ada.id).select_for_update().get()
            held.set()
            await done.wait()

    holder = asyncio.create_task(seat_change())
    await held.wait()
    try:
        at = NOW + timedelta(hours=3)
        # a fail-safe, not a timing: were the sign-in waiting for the row, it would never end while the row is held
        answer = await asyncio.wait_for(access.sign_in(fx.org, ada.email, "CRM_BASIC", actor=fx.actor, now=at), 30)
    finally:
        done.set()
        await holder
    assert answer is None
    assert (await LicenseAssignment.get(user_id=ada.id)).last_used_at == at and await _latest(ada) == NEVER_USED
