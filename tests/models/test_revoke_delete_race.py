"""revokeLicense racing deleteUser must not give the same license back twice (the PostgreSQL race)."""
import asyncio

from models import audit, seats, users
from models.tables import LicenseAssignment, SeatPool
from tests.support import NOW, give_licenses, make_org, make_user


async def test_revoke_racing_delete_keeps_the_counter_right(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    victim = await make_user(fx, skus=["CRM_BASIC"])
    await make_user(fx, skus=["CRM_BASIC"])  # holds the other license
    real_record = audit.record

    async def slow_record(*args, **kwargs):
        # widen the window: the revoke transaction has deleted the row and not committed yet
        if args[2] == "license.revoked":
            await asyncio.sleep(0.5)
        return await real_record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)

    async def delete_later():
        await asyncio.sleep(0.15)
        return await users.delete_user(fx.org, str(victim.id), actor=fx.actor, now=NOW)

    await asyncio.gather(
        seats.revoke_license(fx.org, str(victim.id), "CRM_BASIC", actor=fx.actor, now=NOW),
        delete_later(),
    )
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    real = await LicenseAssignment.filter(organization_id=fx.org.id, product_id="CRM_BASIC").count()
    assert pool.assigned == real == 1
    # consequence: with 2 purchased and 1 held, only ONE more assignment may succeed
    monkeypatch.undo()
    ok = 0
    for _ in range(2):
        u = await make_user(fx)
        try:
            await seats.assign_license(fx.org, str(u.id), "CRM_BASIC", actor=fx.actor, now=NOW)
            ok += 1
        except Exception:
            pass
    view = await seats.seat_pool(fx.org, "CRM_BASIC")
    assert not view.in_conflict, "assigning created a conflict"
