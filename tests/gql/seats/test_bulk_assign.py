"""assignLicenses takes 1 to 1000 distinct user ids and assigns all or none (docs/rules.md section 4)."""

import pytest

from seatwise.models.core.tables import AuditEvent, LicenseAssignment
from tests.support import execute, give_licenses, make_org, make_user

BULK = """
mutation($ids: [ID!]!) {
  assignLicenses(input: {userIds: $ids, productSku: "CRM_BASIC"}) {
    assigned { id product { sku } } seats { assigned available } userErrors { code field message }
  }
}"""


async def _unchanged(fx) -> None:
    assert not await LicenseAssignment.exists(organization_id=fx.org.id)
    assert not await AuditEvent.exists(organization_id=fx.org.id, action="license.assigned")


@pytest.mark.parametrize("count", [0, 1001])
async def test_assign_licenses_refuses_no_ids_and_more_than_a_thousand(count):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    user = await make_user(fx)
    ids = [str(user.id)] + [str(10_000_000 + i) for i in range(count - 1)] if count else []
    result = await execute(BULK, {"ids": ids}, token=fx.token)
    assert result.errors is None
    assert result.data["assignLicenses"] == {
        "assigned": [],
        "seats": None,
        "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "userIds"], "message": "Give 1 to 1000 user ids."}],
    }
    await _unchanged(fx)


async def test_assign_licenses_refuses_an_id_listed_twice_naming_the_second():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    first, second = await make_user(fx), await make_user(fx)
    result = await execute(BULK, {"ids": [str(first.id), str(second.id), str(first.id)]}, token=fx.token)
    payload = result.data["assignLicenses"]
    assert payload["assigned"] == [] and payload["seats"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_INPUT", ["input", "userIds", "2"])]
    await _unchanged(fx)


async def test_assign_licenses_takes_exactly_a_thousand():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1000)
    from seatwise.models.core.tables import User
    from tests.support_helpers import bulk_users

    await bulk_users(fx, 1000)
    ids = [
        str(i)
        for i in await User.filter(organization_id=fx.org.id, email__startswith="bulk")
        .order_by("id")
        .values_list("id", flat=True)
    ]
    result = await execute(BULK, {"ids": ids}, token=fx.token)
    payload = result.data["assignLicenses"]
    assert payload["userErrors"] == [] and len(payload["assigned"]) == 1000
    assert payload["seats"] == {"assigned": 1000, "available": 0}
