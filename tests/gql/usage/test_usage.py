"""Uses, idle licenses, reclaim policies and the reclaim step, read as the rules of docs/rules.md section 12."""

from datetime import timedelta

import pytest

from seatwise.models.clock.run import run_clock
from seatwise.models.core.tables import AuditEvent, LicenseAssignment, LicenseDormancy, LicenseWait
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.usage import access, idle, policies, uses
from tests.support import NOW, count_statements, execute, give_licenses, make_org, make_user

CHECK = 'query($e: String!) { accessCheck(email: $e, productSku: "CRM_BASIC") { allowed reason } }'
USES = """
mutation($uses: [LicenseUseInput!]!) { recordLicenseUses(input: {uses: $uses}) { recorded ignored userErrors { code field } } }"""
IDLE = """
query($days: Int) {
  idleLicenses(productSku: "CRM_BASIC", idleDays: $days, first: 10) {
    totalCount edges { node { user { email } lastUsedAt reclaimAt state } }
  }
}"""
POLICY = """
mutation($idle: Int!, $notice: Int!) {
  setReclaimPolicy(input: {productSku: "CRM_BASIC", enabled: true, idleDays: $idle, noticeDays: $notice}) {
    policy { idleDays noticeDays enabled } userErrors { code field }
  }
}"""


async def _check(fx, email, now):
    return await access.sign_in(fx.org, email, "CRM_BASIC", actor=fx.actor, now=now)


async def _row(user) -> LicenseAssignment:
    return await LicenseAssignment.get(user_id=user.id, product_id="CRM_BASIC")


async def test_an_allowed_access_check_is_a_use_written_at_most_once_an_hour():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await make_user(fx, skus=["CRM_BASIC"])
    assert await _check(fx, user.email, NOW + timedelta(days=1)) is None
    assert (await _row(user)).last_used_at == NOW + timedelta(days=1)
    _, sql = await count_statements(_check(fx, user.email, NOW + timedelta(days=1, minutes=59)))
    assert not [s for s in sql if s.lstrip().upper().startswith("UPDATE")]  # within the hour: no write
    assert (await _row(user)).last_used_at == NOW + timedelta(days=1)
    await _check(fx, user.email, NOW + timedelta(days=1, hours=1))
    assert (await _row(user)).last_used_at == NOW + timedelta(days=1, hours=1)


async def test_record_license_uses_counts_recorded_and_ignored_and_refuses_the_future():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await make_user(fx, skus=["CRM_BASIC"])
    later = NOW + timedelta(days=400)  # far ahead of the test's NOW is fine: the server's clock is the wall clock
    at = (NOW + timedelta(days=2)).isoformat()
    result = await execute(
        USES,
        {"uses": [
            {"email": user.email.upper(), "productSku": "CRM_BASIC", "at": at},
            {"email": "nobody@acme.test", "productSku": "CRM_BASIC", "at": at},
            {"email": user.email, "productSku": "CRM_ESSENTIAL", "at": at},
        ]},
        token=fx.token,
    )  # fmt: skip
    assert result.data["recordLicenseUses"] == {"recorded": 1, "ignored": 2, "userErrors": []}
    assert (await _row(user)).last_used_at == NOW + timedelta(days=2)
    future = await execute(
        USES,
        {"uses": [{"email": user.email, "productSku": "CRM_BASIC", "at": at}, {"email": user.email, "productSku": "CRM_BASIC", "at": (later + timedelta(days=9999)).isoformat()}]},
        token=fx.token,
    )  # fmt: skip
    assert future.data["recordLicenseUses"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["input", "uses", "1", "at"]}]
    older = await uses.record_uses(fx.org, [uses.Use(user.email, "CRM_BASIC", NOW + timedelta(days=1))], now=later)
    assert older == (0, 0) and (await _row(user)).last_used_at == NOW + timedelta(days=2)  # an older use changes nothing


async def test_idle_licenses_list_the_longest_idle_first_with_a_total():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    a, b, c = [await make_user(fx, skus=["CRM_BASIC"]) for _ in range(3)]
    await uses.record_uses(
        fx.org, [uses.Use(a.email, "CRM_BASIC", NOW - timedelta(days=40))], now=NOW
    )  # before assigned: ignored by rule
    await LicenseAssignment.filter(user_id=b.id).update(
        idle_since=NOW - timedelta(days=60), last_used_at=NOW - timedelta(days=60)
    )
    await LicenseAssignment.filter(user_id=c.id).update(idle_since=NOW - timedelta(days=45), assigned_at=NOW - timedelta(days=45))
    await LicenseAssignment.filter(user_id=a.id).update(idle_since=NOW - timedelta(days=10), assigned_at=NOW - timedelta(days=10))
    query = await idle.idle_licenses(fx.org, "CRM_BASIC", 30, NOW)
    assert [r.user_id for r in await query] == [b.id, c.id]
    bad = await execute(IDLE, {"days": 0}, token=fx.token)
    assert [e.extensions["code"] for e in bad.errors] == ["INVALID_INPUT"]


@pytest.mark.parametrize(
    ("idle", "notice", "field"), [(13, 7, "idleDays"), (366, 7, "idleDays"), (30, -1, "noticeDays"), (30, 31, "noticeDays")]
)
async def test_set_reclaim_policy_refuses_out_of_range_days(idle, notice, field):
    fx = await make_org()
    result = await execute(POLICY, {"idle": idle, "notice": notice}, token=fx.token)
    assert result.data["setReclaimPolicy"] == {
        "policy": None,
        "userErrors": [{"code": "INVALID_INPUT", "field": ["input", field]}],
    }
    assert await policies.policies_of(fx.org) == {}


async def test_a_reclaim_cycle_schedules_keeps_used_licenses_reclaims_the_rest_and_serves_the_queue():
    """Given idleDays 14 and noticeDays 7, two holders and a user waiting through a group: on day 15 both are
    scheduled; one signs in on day 16 and keeps the license; on day 22 the other's is reclaimed and goes to the
    waiting user; the same run again reclaims nothing more."""
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    keeper, idler, waiter = await make_user(fx, skus=["CRM_BASIC"]), await make_user(fx, skus=["CRM_BASIC"]), await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(waiter.id)], actor=fx.actor, now=NOW)
    result = await execute(POLICY, {"idle": 14, "notice": 7}, token=fx.token)
    assert result.data["setReclaimPolicy"]["policy"] == {"idleDays": 14, "noticeDays": 7, "enabled": True}
    await run_clock(NOW + timedelta(days=15))
    assert (await _row(idler)).reclaim_at == NOW + timedelta(days=22)
    assert await AuditEvent.filter(organization_id=fx.org.id, action="license.reclaim_scheduled").count() == 2
    assert await _check(fx, keeper.email, NOW + timedelta(days=16)) is None
    assert (await _row(keeper)).reclaim_at is None
    report = await run_clock(NOW + timedelta(days=22))
    assert report.reclaimed == 1
    assert not await LicenseAssignment.exists(user_id=idler.id)
    assert await LicenseAssignment.exists(user_id=waiter.id, product_id="CRM_BASIC")
    assert not await LicenseWait.exists(user_id=waiter.id)
    reclaimed = await AuditEvent.get(organization_id=fx.org.id, action="license.reclaimed")
    assert reclaimed.actor is None and reclaimed.target_id == str(idler.id)
    again = await run_clock(NOW + timedelta(days=22))
    assert again.reclaimed == 0 and again.reclaim_scheduled == 0


async def test_an_inherited_license_reclaimed_leaves_the_user_dormant_until_the_next_sign_in():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await policies.set_reclaim_policy(fx.org, "CRM_BASIC", enabled=True, idle_days=14, notice_days=0, actor=fx.actor, now=NOW)
    await run_clock(NOW + timedelta(days=15))  # noticeDays 0: scheduled and reclaimed in one run
    assert not await LicenseAssignment.exists(user_id=user.id)
    assert await LicenseDormancy.exists(user_id=user.id, product_id="CRM_BASIC")
    assert await _check(fx, user.email, NOW + timedelta(days=16)) is None  # the sign-in is a grant
    assert not await LicenseDormancy.exists(user_id=user.id)
    row = await _row(user)
    assert row.direct is False and row.last_used_at == NOW + timedelta(days=16)
    granted = await AuditEvent.filter(organization_id=fx.org.id, action="license.assigned").order_by("-id").first()
    assert granted.details["reason"] == "sign-in"
