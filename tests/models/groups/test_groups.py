"""Group-based licensing with a waitlist (docs/rules.md section 11): sources, the queue, serving, deletion."""

from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import (
    AuditEvent,
    GroupMember,
    LicenseAssignment,
    LicenseWait,
    SeatPool,
    Subscription,
    SubscriptionStatus,
)
from seatwise.models.events.live import LicenseEventKind, broker
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.groups import reads, waitlist
from seatwise.models.people import deletion
from seatwise.models.seats import licenses as seats
from seatwise.models.seats.licenses import AccessDenialReason
from tests.support import NOW, give_licenses, make_org, make_user, recount

LATER = NOW + timedelta(minutes=1)


async def _group(fx, name="Sales", skus=("CRM_BASIC",)):
    return await groups.create_group(fx.org, name, list(skus), actor=fx.actor, now=NOW)


async def _add(fx, group, people, now=NOW):
    return await memberships.add_members(fx.org, str(group.id), [str(p.id) for p in people], actor=fx.actor, now=now)


async def _remove(fx, group, people):
    return await memberships.remove_members(fx.org, str(group.id), [str(p.id) for p in people], actor=fx.actor, now=NOW)


async def _state(fx, sku="CRM_BASIC"):
    pool = await SeatPool.get(organization_id=fx.org.id, product_id=sku)
    holders = set(await LicenseAssignment.filter(organization_id=fx.org.id, product_id=sku).values_list("user_id", flat=True))
    queue = list(await waitlist.waitlist_query(fx.org, sku).values_list("user_id", flat=True))
    assert pool.assigned == len(holders) and pool.waiting == len(queue)
    return holders, queue


async def test_members_get_free_licenses_in_the_order_listed_and_the_rest_wait():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    people = [await make_user(fx) for _ in range(4)]
    group = await _group(fx)
    _, waits = await _add(fx, group, people)
    holders, queue = await _state(fx)
    assert holders == {people[0].id, people[1].id}
    assert queue == [people[2].id, people[3].id]
    assert [w.user_id for w in waits] == queue
    assert [await waitlist.position_of(w) for w in waits] == [1, 2]
    assert not await LicenseAssignment.filter(user_id=people[0].id).first().values_list("direct", flat=True)
    lic = {g.product.sku: (g.licensed, g.waiting) for g in (await reads.licenses_of_groups([group.id]))[group.id]}
    assert lic == {"CRM_BASIC": (2, 2)}


async def test_a_group_grant_on_a_held_license_adds_the_source_and_takes_no_license():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx, skus=["CRM_BASIC"])
    group = await _group(fx)
    await _add(fx, group, [user])
    row = await LicenseAssignment.get(user_id=user.id, product_id="CRM_BASIC")
    assert row.direct is True
    assert [g.id for g in (await reads.granting_groups_of([(user.id, "CRM_BASIC")]))[(user.id, "CRM_BASIC")]] == [group.id]
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).assigned == 1


async def test_assign_on_an_inherited_license_adds_the_direct_source_and_revoke_removes_it_only():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [user])
    with pytest.raises(DomainError) as failed:
        await seats.revoke_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.LICENSE_INHERITED
    await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert (await LicenseAssignment.get(user_id=user.id)).direct is True
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).assigned == 1
    with pytest.raises(DomainError) as failed:
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.ALREADY_ASSIGNED
    await seats.revoke_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    row = await LicenseAssignment.get(user_id=user.id)
    assert row.direct is False
    # Leaving the group now revokes it: no source is left.
    await _remove(fx, group, [user])
    assert await _state(fx) == (set(), [])


async def test_revoking_a_license_also_held_through_groups_names_the_groups_and_changes_no_seat():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user, other = await make_user(fx), await make_user(fx)
    sales, support = await _group(fx, "Sales"), await _group(fx, "Support")
    await _add(fx, sales, [user])
    await _add(fx, support, [user])
    await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    await seats.assign_license(fx.org, str(other.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    kept_user, kept_pool, kept = await seats.revoke_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    _, taken_pool, taken = await seats.revoke_license(fx.org, str(other.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    assert kept_user.id == user.id and [g.display_name for g in kept] == ["Sales", "Support"]
    assert kept_pool.assigned == 2  # the license stayed: only its direct source went
    assert taken == [] and taken_pool.assigned == 1


async def test_leaving_a_group_keeps_a_direct_license_and_one_from_another_group():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    direct, both = await make_user(fx, skus=["CRM_BASIC"]), await make_user(fx)
    sales, support = await _group(fx, "Sales"), await _group(fx, "Support")
    await _add(fx, sales, [direct, both])
    await _add(fx, support, [both])
    await _remove(fx, sales, [direct, both])
    assert (await _state(fx))[0] == {direct.id, both.id}


async def test_a_direct_assign_takes_a_waiting_user_off_the_queue_or_fails_when_none_is_free():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    a, b = await make_user(fx), await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [a, b])
    with pytest.raises(DomainError) as failed:
        await seats.assign_license(fx.org, str(b.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.NO_LICENSES_AVAILABLE
    assert await _state(fx) == ({a.id}, [b.id])


async def test_the_queue_is_served_in_order_by_a_purchase_and_revoke():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    holder = await make_user(fx, skus=["CRM_BASIC"])
    people = [await make_user(fx) for _ in range(3)]
    group = await _group(fx)
    await _add(fx, group, people[:1], now=NOW)
    await _add(fx, group, people[1:], now=LATER)
    assert (await _state(fx))[1] == [p.id for p in people]
    assert await seats.access_check(fx.org, people[0].email, "CRM_BASIC") is AccessDenialReason.WAITING_FOR_LICENSE
    await give_licenses(fx, "CRM_BASIC", 1)  # a purchase: the first in line
    assert await _state(fx) == ({holder.id, people[0].id}, [people[1].id, people[2].id])
    assert await seats.access_check(fx.org, people[0].email, "CRM_BASIC") is None
    await seats.revoke_license(fx.org, str(holder.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await _state(fx) == ({people[0].id, people[1].id}, [people[2].id])
    served = await AuditEvent.get(action="license.assigned", target_id=str(people[1].id))
    assert served.details == {"product": "CRM_BASIC", "group": str(group.id)}


async def test_leaving_a_group_ends_the_wait_and_frees_the_license_for_the_next():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    a, b, c = await make_user(fx), await make_user(fx), await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [a, b, c])
    await _remove(fx, group, [b])
    assert await _state(fx) == ({a.id}, [c.id])
    await _remove(fx, group, [a])
    assert await _state(fx) == ({c.id}, [])
    revoked = await AuditEvent.get(action="license.revoked", target_id=str(a.id))
    assert revoked.details["group"] == str(group.id)


async def test_a_group_no_longer_granting_a_product_frees_it_for_the_queue_of_another_group():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    a, b = await make_user(fx), await make_user(fx)
    sales, support = await _group(fx, "Sales"), await _group(fx, "Support")
    await _add(fx, sales, [a])
    await _add(fx, support, [b])
    await groups.update_group(fx.org, str(sales.id), product_skus=["CRM_ESSENTIAL"], actor=fx.actor, now=NOW)
    assert await _state(fx) == ({b.id}, [])
    assert await _state(fx, "CRM_ESSENTIAL") == (set(), [a.id])
    await groups.delete_group(fx.org, str(support.id), actor=fx.actor, now=NOW)
    assert await _state(fx) == (set(), [])


async def test_deleting_a_user_frees_licenses_for_the_queue_and_a_restore_grants_the_group_again():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    a, b = await make_user(fx), await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [a, b])
    await deletion.delete_user(fx.org, str(a.id), actor=fx.actor, now=NOW)
    assert await _state(fx) == ({b.id}, [])
    assert await GroupMember.filter(user_id=a.id).exists()  # memberships are kept
    await deletion.restore_user(fx.org, str(a.id), actor=fx.actor, now=LATER)
    assert await _state(fx) == ({b.id}, [a.id])
    await deletion.delete_user(fx.org, str(a.id), actor=fx.actor, now=LATER)
    assert await _state(fx) == ({b.id}, [])  # a deleted user's waits end


async def test_purged_users_leave_their_groups():
    fx = await make_org()
    user = await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [user])
    await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)
    await deletion.purge_deleted(fx.org, actor=fx.actor, now=NOW + timedelta(days=31))
    assert not await GroupMember.filter(group_id=group.id).exists()


async def test_a_conflict_is_settled_before_anyone_waiting_is_served():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    a, b = await make_user(fx, skus=["CRM_BASIC"]), await make_user(fx, skus=["CRM_BASIC"])
    waiter = await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [waiter])
    await Subscription.filter(id=sub.id).update(status=SubscriptionStatus.SUSPENDED)
    await recount(fx.org.id, "CRM_BASIC")  # 0 purchased, 2 assigned: in conflict
    await give_licenses(fx, "CRM_BASIC", 1)  # settles half the conflict only
    assert await _state(fx) == ({a.id, b.id}, [waiter.id])
    await Subscription.filter(id=sub.id).update(status=SubscriptionStatus.ACTIVE)  # paid again
    await recount(fx.org.id, "CRM_BASIC")
    assert await _state(fx) == ({a.id, b.id, waiter.id}, [])


async def test_adding_members_is_all_or_none_with_per_item_errors_and_duplicates_change_nothing():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    a, gone = await make_user(fx), await make_user(fx)
    await deletion.delete_user(fx.org, str(gone.id), actor=fx.actor, now=NOW)
    group = await _group(fx)
    with pytest.raises(DomainError) as failed:
        await _add(fx, group, [a, gone])
    assert (failed.value.code, failed.value.subject) == (ErrorCode.USER_DELETED, "user_ids[1]")
    with pytest.raises(DomainError) as failed:
        await memberships.add_members(fx.org, str(group.id), [str(a.id), "999999"], actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.NOT_FOUND, "user_ids[1]")
    assert not await GroupMember.exists() and await _state(fx) == (set(), [])
    await _add(fx, group, [a, a])
    await _add(fx, group, [a])
    await _remove(fx, group, [gone])  # not a member: nothing changes, no error
    assert await _state(fx) == ({a.id}, [])
    assert await GroupMember.filter(group_id=group.id).count() == 1


async def test_group_names_are_unique_ignoring_case_and_products_must_exist():
    fx = await make_org()
    await _group(fx, "Sales")
    with pytest.raises(DomainError) as failed:
        await _group(fx, "  sALES ")
    assert failed.value.code is ErrorCode.ALREADY_EXISTS
    with pytest.raises(DomainError) as failed:
        await _group(fx, "Ops", ["NOPE"])
    assert (failed.value.code, failed.value.subject) == (ErrorCode.UNKNOWN_PRODUCT, "product_skus[0]")
    other = await make_org("Other")
    await _group(other, "Sales")  # another organization may use the name


async def test_waiting_and_serving_raise_live_events():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 0)
    user = await make_user(fx)
    group = await _group(fx)
    published = []
    original = broker.publish_many

    async def capture(events):
        published.extend(events)
        await original(events)

    broker.publish_many = capture
    try:
        await _add(fx, group, [user])
        await give_licenses(fx, "CRM_BASIC", 1)
    finally:
        broker.publish_many = original
    kinds = [(e.kind, e.user_id) for e in published if e.user_id]
    assert kinds == [(LicenseEventKind.WAITING, user.id), (LicenseEventKind.ASSIGNED, user.id)]
    assert not await LicenseWait.exists()
    # each event carries the pool right after it: the queue grew to one, then was served
    pools = [(e.purchased, e.assigned, e.waiting) for e in published if e.user_id]
    assert pools == [(0, 0, 1), (1, 1, 0)]


async def test_assign_licenses_on_inherited_licenses_adds_the_direct_source_without_taking_licenses():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    a, b = await make_user(fx), await make_user(fx)
    group = await _group(fx)
    await _add(fx, group, [a])
    rows = await seats.assign_licenses(fx.org, [str(a.id), str(b.id)], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert sorted((r.user_id, r.direct) for r in rows) == [(a.id, True), (b.id, True)]
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).assigned == 2
    assert await AuditEvent.filter(action="license.assigned", target_id=str(a.id)).count() == 2
