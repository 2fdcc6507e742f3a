"""revokeLicenses takes 1 to 1000 users' licenses of one product back, all or none; freed licenses settle the
conflict first, then serve the waitlist, in the same transaction (docs/rules.md sections 11.1 and 16). It and
deleteUsers cost the same statements for 3 users as for 300."""

from seatwise.models.core.tables import (
    AuditEvent,
    LicenseAssignment,
    LicenseWait,
    SeatPool,
    Subscription,
    SubscriptionStatus,
    User,
)
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.people import bulk as people_bulk
from seatwise.models.seats import bulk
from tests.support import NOW, count_statements, execute, gid, give_licenses, make_org, make_user, recount
from tests.support_helpers import bulk_users

REVOKE = """
mutation($ids: [ID!]!, $sku: String!) {
  revokeLicenses(input: {userIds: $ids, productSku: $sku}) {
    users { id status } seats { assigned available inConflict waiting } userErrors { code field }
  }
}"""


async def _pool(fx, sku="CRM_BASIC") -> SeatPool:
    return await SeatPool.get(organization_id=fx.org.id, product_id=sku)


async def test_revoke_licenses_takes_all_back_and_disables_users_left_without_one():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    users = [await make_user(fx, skus=["CRM_BASIC"]) for _ in range(3)]
    result = await execute(REVOKE, {"ids": [str(u.id) for u in users[:2]], "sku": "CRM_BASIC"}, token=fx.token)
    assert result.data["revokeLicenses"] == {
        "users": [{"id": gid("User", u.id), "status": "DISABLED"} for u in users[:2]],
        "seats": {"assigned": 1, "available": 2, "inConflict": False, "waiting": 0},
        "userErrors": [],
    }
    assert await AuditEvent.filter(organization_id=fx.org.id, action="license.revoked").count() == 2


async def test_revoke_licenses_is_all_or_none_naming_the_item():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    holder, other = await make_user(fx, skus=["CRM_BASIC"]), await make_user(fx)
    grouped = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(grouped.id)], actor=fx.actor, now=NOW)
    cases = [
        ([str(holder.id), str(other.id)], "CRM_BASIC", "NOT_ASSIGNED", ["input", "userIds", "1"]),
        ([str(holder.id), str(grouped.id)], "CRM_BASIC", "LICENSE_INHERITED", ["input", "userIds", "1"]),
        ([str(holder.id)], "NO_SUCH", "UNKNOWN_PRODUCT", ["input", "productSku"]),
        ([], "CRM_BASIC", "INVALID_INPUT", ["input", "userIds"]),
    ]
    for ids, sku, code, field in cases:
        result = await execute(REVOKE, {"ids": ids, "sku": sku}, token=fx.token)
        assert result.data["revokeLicenses"] == {"users": [], "seats": None, "userErrors": [{"code": code, "field": field}]}
    assert (await _pool(fx)).assigned == 2
    assert not await AuditEvent.exists(organization_id=fx.org.id, action="license.revoked")


async def test_revoke_licenses_keeps_a_license_also_held_through_a_group():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    user = await make_user(fx, skus=["CRM_BASIC"])
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await bulk.revoke_licenses(fx.org, [str(user.id)], "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await LicenseAssignment.get(user_id=user.id).values_list("direct", flat=True) is False
    assert (await _pool(fx)).assigned == 1


async def test_freed_licenses_settle_the_conflict_before_serving_the_waitlist():
    """Given CRM_BASIC with 2 licenses counting, 3 held (one in CONFLICT) and 1 user waiting through a group,
    when 2 licenses are revoked, then one settles the conflict and the other goes to the waiting user."""
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    extra = await give_licenses(fx, "CRM_BASIC", 1)
    holders = [await make_user(fx, skus=["CRM_BASIC"]) for _ in range(3)]
    await Subscription.filter(id=extra.id).update(status=SubscriptionStatus.CANCELLED)
    await recount(fx.org.id, "CRM_BASIC")
    waiter = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(waiter.id)], actor=fx.actor, now=NOW)
    assert await LicenseWait.exists(user_id=waiter.id)
    result = await execute(REVOKE, {"ids": [str(u.id) for u in holders[:2]], "sku": "CRM_BASIC"}, token=fx.token)
    assert result.data["revokeLicenses"]["seats"] == {"assigned": 2, "available": 0, "inConflict": False, "waiting": 0}
    assert await LicenseAssignment.exists(user_id=waiter.id, product_id="CRM_BASIC")
    assert await LicenseAssignment.exists(user_id=holders[2].id, product_id="CRM_BASIC")


async def _ids(fx, count: int, first: int) -> list[str]:
    await bulk_users(fx, count, first=first)
    rows = await User.filter(organization_id=fx.org.id, email__startswith="bulk").order_by("id").values_list("id", flat=True)
    return [str(pk) for pk in rows[-count:]]


async def test_bulk_revoke_and_delete_cost_the_same_statements_for_3_users_as_for_300():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1000)
    await give_licenses(fx, "CRM_ESSENTIAL", 1000)
    counts = []
    for size, first in ((3, 0), (300, 10)):
        ids = await _ids(fx, size, first)
        for sku in ("CRM_BASIC", "CRM_ESSENTIAL"):
            await execute(
                "mutation($ids: [ID!]!, $s: String!) { assignLicenses(input: {userIds: $ids, productSku: $s}) { userErrors { code } } }",
                {"ids": ids, "s": sku},
                token=fx.token,
            )
        _, revoke_sql = await count_statements(bulk.revoke_licenses(fx.org, ids, "CRM_BASIC", actor=fx.actor, now=NOW))
        _, delete_sql = await count_statements(people_bulk.delete_users(fx.org, ids, actor=fx.actor, now=NOW))
        counts.append((len(revoke_sql), len(delete_sql)))
    # measured: 12 and 24 (the plan check and the version bump included; the event data's user and pool states:
    # one query per kind, docs/rules.md section 15)
    assert counts[0] == counts[1] and max(counts[1]) <= 24, counts
    assert (await _pool(fx)).assigned == 0 and (await _pool(fx, "CRM_ESSENTIAL")).assigned == 0
