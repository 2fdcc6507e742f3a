from seatwise.models.core.tables import AdminRole, AuditEvent, Organization
from tests.clock_support import PERIOD_END, add_card, days, subscribe
from tests.support import NOW, error_codes, execute, gid, make_org, make_user, token_for

ADVANCE = """
mutation($input: AdvanceTestClockInput!) {
  advanceTestClock(input: $input) { organization { id sandbox now } userErrors { code message field } }
}"""

AFTER = """{ organization { now } subscriptions { status currentPeriodEnd } }"""


async def test_advance_test_clock_moves_the_sandbox_and_runs_its_billing():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    await subscribe(fx, "CRM_BASIC", 2)

    result = await execute(ADVANCE, {"input": {"to": "2026-12-30T00:00:00Z"}}, token=fx.token)

    assert result.errors is None
    payload = result.data["advanceTestClock"]
    assert payload == {
        "organization": {"id": gid("Organization", fx.org.id), "sandbox": True, "now": "2026-12-30T00:00:00Z"},
        "userErrors": [],
    }
    after = (await execute(AFTER, token=fx.token)).data
    assert after["organization"]["now"] == "2026-12-30T00:00:00Z"
    assert after["subscriptions"] == [{"status": "ACTIVE", "currentPeriodEnd": "2027-01-29T09:00:00Z"}]


async def test_advance_test_clock_on_a_real_organization_is_not_a_sandbox():
    fx = await make_org()
    result = await execute(ADVANCE, {"input": {"to": "2030-01-01T00:00:00Z"}}, token=fx.token)
    payload = result.data["advanceTestClock"]
    assert payload["organization"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_A_SANDBOX", ["input", "to"])]
    assert not await AuditEvent.exists(action="test_clock.advanced")


async def test_advance_test_clock_to_the_past_is_invalid_input_and_changes_nothing():
    fx = await make_org(sandbox=True)
    result = await execute(ADVANCE, {"input": {"to": "2026-11-01T00:00:00Z"}}, token=fx.token)
    assert [e["code"] for e in result.data["advanceTestClock"]["userErrors"]] == ["INVALID_INPUT"]
    assert (await Organization.get(id=fx.org.id)).test_clock_now == NOW


async def test_advance_test_clock_needs_a_global_admin():
    fx = await make_org(sandbox=True)
    for role in (AdminRole.BILLING_ADMIN, AdminRole.USER_ADMIN, AdminRole.READER):
        admin = await make_user(fx, role=role)
        result = await execute(ADVANCE, {"input": {"to": "2027-01-01T00:00:00Z"}}, token=await token_for(fx, admin, role))
        assert error_codes(result) == ["FORBIDDEN"] and result.data is None
    assert (await Organization.get(id=fx.org.id)).test_clock_now == NOW


async def test_advance_test_clock_rejects_a_time_without_zone():
    fx = await make_org(sandbox=True)
    result = await execute(ADVANCE, {"input": {"to": "2027-01-01T00:00:00"}}, token=fx.token)
    assert result.data is None and error_codes(result) == ["BAD_USER_INPUT"]
    assert (
        result.errors[0].message
        == "Variable '$input' has invalid value at .to: This DateTime has no time zone; add one, e.g. 2026-11-29T09:00:00Z."
    )
    assert (await Organization.get(id=fx.org.id)).test_clock_now == NOW


async def test_the_sandbox_time_after_advancing_drives_later_requests():
    fx = await make_org(sandbox=True)
    to = PERIOD_END + days(1)
    await execute(ADVANCE, {"input": {"to": to.isoformat()}}, token=fx.token)
    now = (await execute("{ organization { now } }", token=fx.token)).data["organization"]["now"]
    assert now == "2026-12-30T09:00:00Z"


async def test_advance_test_clock_moves_at_most_five_years_at_once():
    fx = await make_org(sandbox=True)
    too_far = "2031-12-01T09:00:00Z"  # 5 years and 2 days after NOW
    result = await execute(ADVANCE, {"input": {"to": too_far}}, token=fx.token)
    assert result.data["advanceTestClock"] == {
        "organization": None,
        "userErrors": [
            {"code": "INVALID_INPUT", "message": "Advance the test clock at most 5 years at once.", "field": ["input", "to"]}
        ],
    }
    assert (await Organization.get(id=fx.org.id)).test_clock_now == NOW
    assert not await AuditEvent.exists(action="test_clock.advanced")
    five_years = "2031-11-29T09:00:00Z"
    result = await execute(ADVANCE, {"input": {"to": five_years}}, token=fx.token)
    assert result.data["advanceTestClock"]["userErrors"] == []
    assert (await execute("{ organization { now } }", token=fx.token)).data["organization"]["now"] == five_years
