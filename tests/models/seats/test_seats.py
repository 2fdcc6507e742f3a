import asyncio
from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AuditEvent, LicenseAssignment, SeatPool, Subscription, SubscriptionStatus
from seatwise.models.people import deletion, users
from seatwise.models.seats import licenses as seats
from tests.support import NOW, give_licenses, make_org, make_user, recount


async def test_assign_fails_when_no_license_is_available():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    await seats.assign_license(fx.org, str((await make_user(fx)).id), "CRM_BASIC", actor=fx.actor, now=NOW)
    with pytest.raises(DomainError) as failed:
        await seats.assign_license(fx.org, str((await make_user(fx)).id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.NO_LICENSES_AVAILABLE
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).assigned == 1


async def test_concurrent_assigns_never_take_more_than_purchased():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    people = [await make_user(fx) for _ in range(10)]
    results = await asyncio.gather(
        *(seats.assign_license(fx.org, str(p.id), "CRM_BASIC", actor=fx.actor, now=NOW) for p in people), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(r.code is ErrorCode.NO_LICENSES_AVAILABLE for r in results if isinstance(r, DomainError))
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    assert (pool.purchased, pool.assigned) == (3, 3)
    assert await LicenseAssignment.filter(organization_id=fx.org.id).count() == 3


async def test_seat_pools_show_every_product_with_zeros():
    fx = await make_org()
    pools = {p.product.sku: (p.purchased, p.assigned, p.available) for p in await seats.seat_pools(fx.org)}
    assert pools == {"CRM_PROFESSIONAL": (0, 0, 0), "CRM_BASIC": (0, 0, 0), "CRM_ESSENTIAL": (0, 0, 0)}


async def test_assign_twice_is_already_assigned_and_revoke_without_license_is_not_assigned():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await make_user(fx, skus=["CRM_BASIC"])
    with pytest.raises(DomainError) as failed:
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.ALREADY_ASSIGNED
    with pytest.raises(DomainError) as failed:
        await seats.revoke_license(fx.org, str(user.id), "CRM_ESSENTIAL", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.NOT_ASSIGNED
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).assigned == 1


async def test_revoking_the_last_license_disables_the_user():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx, skus=["CRM_BASIC"])
    await seats.revoke_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert users.status_of(user, await LicenseAssignment.filter(user_id=user.id).count()) is users.UserStatus.DISABLED
    assert await AuditEvent.filter(action="license.revoked", target_id=str(user.id)).exists()


async def test_bulk_assign_is_all_or_nothing_and_names_the_failing_item():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    a, b = await make_user(fx), await make_user(fx, skus=["CRM_BASIC"])
    with pytest.raises(DomainError) as failed:
        await seats.assign_licenses(fx.org, [str(a.id), str(b.id)], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.ALREADY_ASSIGNED, "user_ids[1]")
    with pytest.raises(DomainError) as failed:
        await seats.assign_licenses(fx.org, [str(a.id), "nope"], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.NOT_FOUND, "user_ids[1]")
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).assigned == 1


async def test_bulk_assign_beyond_available_changes_nothing():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    people = [await make_user(fx) for _ in range(3)]
    with pytest.raises(DomainError) as failed:
        await seats.assign_licenses(fx.org, [str(p.id) for p in people], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.NO_LICENSES_AVAILABLE
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).assigned == 0
    created = await seats.assign_licenses(fx.org, [str(p.id) for p in people[:2]], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert len(created) == 2
    assert await AuditEvent.filter(action="license.assigned").count() == 2


async def test_create_user_with_skus_is_all_or_none():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    with pytest.raises(DomainError) as failed:
        await make_user(fx, skus=["CRM_BASIC", "CRM_ESSENTIAL"], email="two@acme.test")
    assert (failed.value.code, failed.value.subject) == (ErrorCode.NO_LICENSES_AVAILABLE, "product_skus[1]")
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).assigned == 0
    with pytest.raises(DomainError) as failed:
        await make_user(fx, skus=["NOPE"], email="two@acme.test")
    assert failed.value.code is ErrorCode.UNKNOWN_PRODUCT


async def test_delete_frees_licenses_and_restore_gives_back_what_is_free():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    await give_licenses(fx, "CRM_ESSENTIAL", 1)
    user = await make_user(fx, skus=["CRM_BASIC", "CRM_ESSENTIAL"])
    await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    assert [p.assigned for p in await seats.seat_pools(fx.org)] == [0, 0, 0]
    await make_user(fx, skus=["CRM_ESSENTIAL"])
    _restored, missing = await deletion.restore_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    assert [p.sku for p in missing] == ["CRM_ESSENTIAL"]
    assert await LicenseAssignment.filter(user_id=user.id).values_list("product_id", flat=True) == ["CRM_BASIC"]


async def test_access_check_gives_every_reason():
    from datetime import timedelta

    from tests.events_support import suspend

    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, skus=["CRM_BASIC"], email="holder@acme.test")
    await make_user(fx, email="idle@acme.test")
    gone = await make_user(fx, email="gone@acme.test")
    await deletion.delete_user(fx.org, str(gone.id), actor=fx.actor, now=NOW)
    latest = await make_user(fx, email="latest@acme.test")
    await seats.assign_license(fx.org, str(latest.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=1))
    assert await seats.access_check(fx.org, "  HOLDER@acme.test ", "CRM_BASIC") is None
    assert await seats.access_check(fx.org, "latest@acme.test", "CRM_BASIC") is None
    assert await seats.access_check(fx.org, "nobody@acme.test", "CRM_BASIC") == "UNKNOWN_USER"
    assert await seats.access_check(fx.org, "gone@acme.test", "CRM_BASIC") == "ACCOUNT_DELETED"
    assert await seats.access_check(fx.org, "idle@acme.test", "CRM_BASIC") == "NO_LICENSE"
    await suspend(lapsing)  # 1 purchased, 2 assigned: the latest assignment is in conflict, the first is not
    assert await seats.access_check(fx.org, "latest@acme.test", "CRM_BASIC") == "LICENSE_CONFLICT"
    assert await seats.access_check(fx.org, "holder@acme.test", "CRM_BASIC") is None


async def test_bulk_assign_announces_each_license_with_the_pool_right_after_it(monkeypatch):
    from seatwise.models.events.live import broker

    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    people = [await make_user(fx) for _ in range(3)]
    published = []

    async def capture(event):
        published.append(event)

    monkeypatch.setattr(broker, "transport", capture)
    await seats.assign_licenses(fx.org, [str(p.id) for p in people], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert [(e.kind.value, e.user_id, e.purchased, e.assigned) for e in published] == [
        ("ASSIGNED", p.id, 5, n) for n, p in enumerate(people, start=1)
    ]


async def test_concurrent_changes_create_a_missing_pool_row_once_and_all_go_on():
    # An organization made before a product joined the catalog has no pool row for it: the first seat change
    # creates it. Concurrent first changes race to create it; the losers lock the winner's row and go on.
    fx = await make_org()
    await SeatPool.filter(organization_id=fx.org.id, product_id="CRM_BASIC").delete()
    await Subscription.create(
        organization_id=fx.org.id,
        product_id="CRM_BASIC",
        quantity=4,
        status=SubscriptionStatus.ACTIVE,
        period_anchor=NOW,
        period_index=1,
        current_period_start=NOW,
        current_period_end=NOW + timedelta(days=30),
        created_at=NOW,
    )
    results = await asyncio.gather(*(recount(fx.org.id, "CRM_BASIC") for _ in range(6)), return_exceptions=True)
    assert results == [None] * 6, results
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    assert (pool.purchased, pool.assigned) == (4, 0)
