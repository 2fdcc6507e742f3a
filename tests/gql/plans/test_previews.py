"""A dry run works the change out exactly as it would be made and keeps nothing; its preview says who loses and who
gains access; its plan token applies exactly that change, or is PLAN_STALE (docs/rules.md section 13)."""

from datetime import timedelta

import pytest
from tortoise import Tortoise

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Subscription, SubscriptionStatus, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.people import bulk as people_bulk
from seatwise.models.seats import bulk, licenses
from tests.support import NOW, execute, gid, give_licenses, make_org, make_user, recount

DELETE = """
mutation($ids: [ID!]!, $dry: Boolean, $plan: String) {
  deleteUsers(input: {userIds: $ids, dryRun: $dry, planToken: $plan}) {
    deletedUsers { id }
    preview {
      losingAccess { user { id } product { sku } before after reason } totalLosingAccess
      gainingAccess { user { id } product { sku } before after reason } totalGainingAccess
      seats { before { assigned inConflict waiting } after { assigned inConflict waiting } }
      planToken planExpiresAt effectiveAt
    }
    userErrors { code field }
  }
}"""


async def _everything() -> dict:
    """Every row of every table, to tell that a dry run kept nothing."""
    return {name: sorted(map(str, await model.all().values())) for name, model in Tortoise.apps["seatwise"].items()}


async def _conflict_with_a_waiter():
    """CRM_BASIC: 2 licenses count, 3 held by a, b, c in that order (c in CONFLICT), w waits through a group."""
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    extra = await give_licenses(fx, "CRM_BASIC", 1)
    a, b, c = [await make_user(fx, skus=["CRM_BASIC"], now=NOW + timedelta(minutes=i)) for i in range(3)]
    await Subscription.filter(id=extra.id).update(status=SubscriptionStatus.CANCELLED)
    await recount(fx.org.id, "CRM_BASIC")
    w = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(w.id)], actor=fx.actor, now=NOW)
    return fx, a, b, c, w


async def test_a_dry_run_of_delete_users_previews_everything_and_keeps_nothing():
    fx, a, b, c, w = await _conflict_with_a_waiter()
    await execute("{ viewer { role } }", token=fx.token)  # the token's first use is written once
    before = await _everything()
    result = await execute(DELETE, {"ids": [str(a.id), str(c.id), str(b.id)], "dry": True}, token=fx.token)
    payload = result.data["deleteUsers"]
    assert payload["userErrors"] == [] and payload["deletedUsers"] == []
    preview = payload["preview"]
    losing = {(e["user"]["id"], e["before"], e["after"], e["reason"]) for e in preview["losingAccess"]}
    assert losing == {
        (gid("User", a.id), "ACTIVE", None, "USER_DELETED"),
        (gid("User", b.id), "ACTIVE", None, "USER_DELETED"),
        (gid("User", c.id), "CONFLICT", None, "USER_DELETED"),
    }
    assert preview["totalLosingAccess"] == 3
    assert preview["gainingAccess"] == [
        {
            "user": {"id": gid("User", w.id)},
            "product": {"sku": "CRM_BASIC"},
            "before": None,
            "after": "ACTIVE",
            "reason": "FROM_WAITLIST",
        }
    ]
    basic = [s for s in preview["seats"] if s["before"]["assigned"] == 3]
    assert basic == [
        {"before": {"assigned": 3, "inConflict": True, "waiting": 1}, "after": {"assigned": 1, "inConflict": False, "waiting": 0}}
    ]
    assert await _everything() == before  # no row, audit event, wait or version moved


async def test_a_dry_run_of_revoke_licenses_names_the_license_that_leaves_conflict():
    fx, a, _b, c, _w = await _conflict_with_a_waiter()
    _, pool, preview = await bulk.revoke_licenses(fx.org, [str(a.id)], "CRM_BASIC", actor=fx.actor, now=NOW, dry_run=True)
    assert preview is not None and pool.assigned == 3
    assert [(g.user_id, g.before, g.after, g.reason.value) for g in preview.gaining] == [
        (c.id, "CONFLICT", "ACTIVE", "CONFLICT_SETTLED")
    ]
    assert [(lost.user_id, lost.before) for lost in preview.losing] == [(a.id, "ACTIVE")]


async def test_the_plan_token_applies_exactly_the_change_previewed():
    fx, a, *_ = await _conflict_with_a_waiter()
    dry = await execute(DELETE, {"ids": [str(a.id)], "dry": True}, token=fx.token)
    token = dry.data["deleteUsers"]["preview"]["planToken"]
    applied = await execute(DELETE, {"ids": [str(a.id)], "plan": token}, token=fx.token)
    assert applied.data["deleteUsers"]["userErrors"] == []
    assert (await User.get(id=a.id)).deleted_at is not None


async def test_a_plan_is_stale_after_any_seat_change_of_the_organization():
    fx, a, b, *_ = await _conflict_with_a_waiter()
    dry = await execute(DELETE, {"ids": [str(a.id)], "dry": True}, token=fx.token)
    token = dry.data["deleteUsers"]["preview"]["planToken"]
    await licenses.revoke_license(fx.org, str(b.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    stale = await execute(DELETE, {"ids": [str(a.id)], "plan": token}, token=fx.token)
    assert stale.data["deleteUsers"]["userErrors"] == [{"code": "PLAN_STALE", "field": ["input", "planToken"]}]
    assert (await User.get(id=a.id)).deleted_at is None


async def test_a_forged_expired_or_foreign_plan_token_is_stale():
    fx, a, b, *_ = await _conflict_with_a_waiter()
    _, preview = await people_bulk.delete_users(fx.org, [str(a.id)], actor=fx.actor, now=NOW, dry_run=True)
    assert preview is not None
    token = preview.plan_token
    body, _, mac = token.partition(".")
    other = await make_org("Other")
    stranger = await make_user(other)
    _, foreign = await people_bulk.delete_users(other.org, [str(stranger.id)], actor=other.actor, now=NOW, dry_run=True)
    assert foreign is not None
    attempts = [
        ([str(a.id)], body + "." + mac[::-1], NOW),  # forged
        ([str(a.id)], "garbage", NOW),
        ([str(a.id)], token, NOW + timedelta(minutes=16)),  # expired
        ([str(b.id)], token, NOW),  # another input
        ([str(a.id)], foreign.plan_token, NOW),  # another organization's
    ]
    for ids, plan, now in attempts:
        with pytest.raises(DomainError) as refused:
            await people_bulk.delete_users(fx.org, ids, actor=fx.actor, now=now, plan_token=plan)
        assert refused.value.code is ErrorCode.PLAN_STALE and refused.value.subject == "plan_token"
    assert not await User.filter(id__in=[a.id, b.id]).exclude(deleted_at=None).exists()


REVOKE_ONE = """
mutation($u: ID!, $dry: Boolean, $plan: String) {
  revokeLicense(input: {userId: $u, productSku: "CRM_BASIC", dryRun: $dry, planToken: $plan}) {
    seats { assigned } preview { totalLosingAccess gainingAccess { reason } planToken } userErrors { code field }
  }
}"""
DELETE_ONE = """
mutation($u: ID!, $dry: Boolean) {
  deleteUser(input: {userId: $u, dryRun: $dry}) { user { id } preview { losingAccess { reason before } } userErrors { code } }
}"""


async def test_revoke_license_and_delete_user_preview_too_and_apply_their_plan():
    fx, a, b, c, _ = await _conflict_with_a_waiter()
    dry = await execute(REVOKE_ONE, {"u": str(a.id), "dry": True}, token=fx.token)
    payload = dry.data["revokeLicense"]
    assert payload["userErrors"] == [] and payload["seats"] is None
    assert payload["preview"]["totalLosingAccess"] == 1
    assert payload["preview"]["gainingAccess"] == [{"reason": "CONFLICT_SETTLED"}]
    deleted = await execute(DELETE_ONE, {"u": str(c.id), "dry": True}, token=fx.token)
    assert deleted.data["deleteUser"] == {
        "user": None,
        "preview": {"losingAccess": [{"reason": "USER_DELETED", "before": "CONFLICT"}]},
        "userErrors": [],
    }
    assert (await User.get(id=c.id)).deleted_at is None
    applied = await execute(REVOKE_ONE, {"u": str(a.id), "plan": payload["preview"]["planToken"]}, token=fx.token)
    assert applied.data["revokeLicense"]["seats"] == {"assigned": 2}
    again = await execute(REVOKE_ONE, {"u": str(b.id), "plan": payload["preview"]["planToken"]}, token=fx.token)
    assert again.data["revokeLicense"]["userErrors"] == [{"code": "PLAN_STALE", "field": ["input", "planToken"]}]


async def test_group_changes_preview_who_loses_the_licenses_the_group_gave():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    member = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(member.id)], actor=fx.actor, now=NOW)
    await execute("{ viewer { role } }", token=fx.token)
    before = await _everything()
    documents = {
        "removeGroupMembers": f'mutation {{ removeGroupMembers(input: {{groupId: "{group.id}", userIds: ["{member.id}"], dryRun: true}})'
        " { group { id } preview { losingAccess { reason before } planToken } userErrors { code } } }",
        "updateGroup": f'mutation {{ updateGroup(input: {{groupId: "{group.id}", productSkus: [], dryRun: true}})'
        " { group { id } preview { losingAccess { reason before } planToken } userErrors { code } } }",
        "deleteGroup": f'mutation {{ deleteGroup(input: {{groupId: "{group.id}", dryRun: true}})'
        " { deletedGroupId preview { losingAccess { reason before } planToken } userErrors { code } } }",
    }
    reasons = {"removeGroupMembers": "GROUP_LEFT", "updateGroup": "GROUP_PRODUCT_REMOVED", "deleteGroup": "GROUP_PRODUCT_REMOVED"}
    for name, document in documents.items():
        payload = (await execute(document, token=fx.token)).data[name]
        assert payload["userErrors"] == [] and payload["preview"]["losingAccess"] == [
            {"reason": reasons[name], "before": "ACTIVE"}
        ]
        assert payload.get("group", payload.get("deletedGroupId")) is None
    assert await _everything() == before
