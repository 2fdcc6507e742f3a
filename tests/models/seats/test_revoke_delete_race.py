"""revokeLicense racing deleteUser must not give the same license back twice (the PostgreSQL race).

The revoke is held inside its transaction (license row deleted, not committed) until the delete is seen
waiting for it: on PostgreSQL a backend waiting for a lock, on SQLite a second waiter on the connection's
lock. No sleep decides the order."""

import asyncio

import pytest
from tortoise import connections

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AuditEvent, LicenseAssignment, SeatPool, User
from seatwise.models.events import audit
from seatwise.models.people import deletion
from seatwise.models.seats import licenses as seats
from tests.support import NOW, give_licenses, is_postgres, make_org, make_user


async def _someone_waits_for_a_lock(base, conn) -> bool:
    if is_postgres():
        await conn.execute_query("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is a snapshot
        rows = await conn.execute_query_dict(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return rows[0]["n"] > 0
    return bool(getattr(base._lock, "_waiters", None))


async def _wait_until(predicate, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "the other transaction never started waiting"
        await asyncio.sleep(0.01)


async def test_delete_waiting_for_an_uncommitted_revoke_does_not_give_the_license_back_twice(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    victim = await make_user(fx, skus=["CRM_BASIC"])
    await make_user(fx, skus=["CRM_BASIC"])  # holds the other license
    base = connections.get("default")
    real_record = audit.record
    revoke_holding = asyncio.Event()

    async def record_then_hold(*args, **kwargs):
        if args[2] == "license.revoked":
            # inside the revoke's transaction: wait until the delete is blocked behind it
            revoke_holding.set()
            await _wait_until(lambda: _someone_waits_for_a_lock(base, connections.get("default")))
        return await real_record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", record_then_hold)

    async def delete_once_revoke_holds():
        await revoke_holding.wait()
        return await deletion.delete_user(fx.org, str(victim.id), actor=fx.actor, now=NOW)

    (revoked_user, pool_after_revoke, _), deleted = await asyncio.gather(
        seats.revoke_license(fx.org, str(victim.id), "CRM_BASIC", actor=fx.actor, now=NOW),
        delete_once_revoke_holds(),
    )
    monkeypatch.undo()

    # the revoke committed first; the delete found no license left to free
    assert revoked_user.id == victim.id and pool_after_revoke.assigned == 1
    assert deleted.deleted_at == NOW and deleted.licenses_at_deletion == []
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    held = await LicenseAssignment.filter(organization_id=fx.org.id, product_id="CRM_BASIC").count()
    assert (pool.purchased, pool.assigned, held) == (2, 1, 1)
    events = await AuditEvent.filter(target_id=str(victim.id), action__in=["license.revoked", "user.deleted"]).order_by("id")
    assert [(e.action, e.details.get("licenses")) for e in events] == [("license.revoked", None), ("user.deleted", [])]

    # with 2 purchased and 1 held, exactly one more assignment succeeds
    first, second = await make_user(fx), await make_user(fx)
    await seats.assign_license(fx.org, str(first.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    with pytest.raises(DomainError) as failed:
        await seats.assign_license(fx.org, str(second.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.NO_LICENSES_AVAILABLE
    view = await seats.seat_pool(fx.org, "CRM_BASIC")
    assert (view.assigned, view.available, view.in_conflict) == (2, 0, False)
    assert not await LicenseAssignment.exists(user_id=second.id)
    assert (await User.get(id=victim.id)).deleted_at == NOW
