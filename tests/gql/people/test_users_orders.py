"""The users page of section 17 (docs/rules.md): `orderBy` (EMAIL, DISPLAY_NAME, CREATED_AT, LAST_USED_AT, either
way), `filter` licenseState/groupId/adminRole (AND with the other fields), `nodes`, backward paging (`last`,
`before`), and bad paging arguments as a top-level BAD_USER_INPUT that changes nothing."""

from datetime import timedelta

import pytest

from seatwise.models.core.tables import AdminRole, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.usage import access
from tests.events_support import suspend
from tests.support import NOW, error_codes, execute, give_licenses, make_org, make_user

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $filter: UserFilter, $orderBy: UserOrder) {
  users(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    nodes { email } edges { cursor node { email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def _page(fx, **variables) -> dict:
    result = await execute(PAGE, variables, token=fx.token)
    assert result.errors is None, result.errors
    page = result.data["users"]
    assert page["nodes"] == [edge["node"] for edge in page["edges"]]
    return page


def _emails(page: dict) -> list[str]:
    return [node["email"].split("@")[0] for node in page["nodes"]]


async def _people(fx) -> dict[str, User]:
    """ann, bob, cid (created in that order, an hour apart), named to sort otherwise; bob used CRM_BASIC, then ann."""
    await give_licenses(fx, "CRM_BASIC", 3)
    made = {}
    for hour, (email, name) in enumerate([("ann", "Zoe"), ("bob", "Max"), ("cid", "Ida")]):
        made[email] = await make_user(fx, email=f"{email}@orders.test", skus=["CRM_BASIC"], now=NOW + timedelta(hours=hour))
        await User.filter(id=made[email].id).update(display_name=name)
    for email, hours in (("bob", 5), ("ann", 7)):
        assert (
            await access.sign_in(fx.org, f"{email}@orders.test", "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(hours=hours))
            is None
        )
    return made


ORDERS = [
    ({"field": "EMAIL"}, ["ann", "bob", "cid"]),
    ({"field": "EMAIL", "direction": "DESC"}, ["cid", "bob", "ann"]),
    ({"field": "DISPLAY_NAME"}, ["cid", "bob", "ann"]),
    ({"field": "DISPLAY_NAME", "direction": "DESC"}, ["ann", "bob", "cid"]),
    ({"field": "CREATED_AT"}, ["ann", "bob", "cid"]),
    ({"field": "CREATED_AT", "direction": "DESC"}, ["cid", "bob", "ann"]),
    ({"field": "LAST_USED_AT"}, ["bob", "ann", "cid"]),  # never used: last in ASC
    ({"field": "LAST_USED_AT", "direction": "DESC"}, ["cid", "ann", "bob"]),
]


@pytest.mark.parametrize(("order", "expected"), ORDERS)
async def test_every_order_pages_forward_and_backward_in_that_order(order, expected):
    fx = await make_org()
    await _people(fx)
    only = {"search": "@orders.test"}
    first = await _page(fx, first=2, filter=only, orderBy=order)
    rest = await _page(fx, first=2, after=first["pageInfo"]["endCursor"], filter=only, orderBy=order)
    assert _emails(first) + _emails(rest) == expected
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    last = await _page(fx, last=2, filter=only, orderBy=order)
    start = await _page(fx, last=2, before=last["pageInfo"]["startCursor"], filter=only, orderBy=order)
    assert _emails(start) + _emails(last) == expected
    assert last["pageInfo"]["hasPreviousPage"] and not last["pageInfo"]["hasNextPage"]
    assert start["pageInfo"]["hasNextPage"] and not start["pageInfo"]["hasPreviousPage"]


async def test_a_use_moves_the_users_latest_use_and_a_use_within_the_hour_writes_nothing():
    fx = await make_org()
    made = await _people(fx)
    cid = f"{made['cid'].email}"
    await access.sign_in(fx.org, cid, "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(hours=9))
    assert (await User.get(id=made["cid"].id)).latest_use == NOW + timedelta(hours=9)
    await access.sign_in(fx.org, cid, "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(hours=9, minutes=30))
    assert (await User.get(id=made["cid"].id)).latest_use == NOW + timedelta(hours=9)  # at most one write an hour
    page = await _page(fx, first=3, filter={"search": "@orders.test"}, orderBy={"field": "LAST_USED_AT", "direction": "DESC"})
    assert _emails(page) == ["cid", "ann", "bob"]


async def test_the_filters_of_section_17_combine_with_the_others():
    fx = await make_org()
    made = await _people(fx)
    await make_user(fx, email="dan@orders.test", role=AdminRole.READER)
    sales = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(sales.id), [str(made["ann"].id), str(made["cid"].id)], actor=fx.actor, now=NOW)
    other = await make_org("Other")
    theirs = await groups.create_group(other.org, "Theirs", [], actor=other.actor, now=NOW)

    async def emails(**wanted) -> list[str]:
        return _emails(await _page(fx, first=10, filter={"search": "@orders.test", **wanted}))

    assert await emails(groupId=str(sales.id)) == ["ann", "cid"]
    assert await emails(groupId=str(theirs.id)) == [] and await emails(groupId="999999") == []
    assert await emails(adminRole="READER") == ["dan"]
    assert await emails(licenseState="ACTIVE") == ["ann", "bob", "cid"]
    assert await emails(licenseState="CONFLICT") == []
    assert await emails(licenseState="ACTIVE", groupId=str(sales.id), status="ACTIVE") == ["ann", "cid"]


async def test_license_state_conflict_lists_the_holders_beyond_the_purchased_licenses():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    for hour, name in enumerate(["ann", "bob", "cid"]):
        await make_user(fx, email=f"{name}@orders.test", skus=["CRM_BASIC"], now=NOW + timedelta(hours=hour))
    await suspend(lapsing)
    from seatwise.models.seats import ledger

    await ledger.store_lines(fx.org)
    only = {"search": "@orders.test"}
    assert _emails(await _page(fx, first=5, filter={**only, "licenseState": "CONFLICT"})) == ["cid"]
    assert _emails(await _page(fx, first=5, filter={**only, "licenseState": "ACTIVE"})) == ["ann", "bob"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 2, "last": 2},
        {"after": "x", "before": "y", "first": None},
        {"first": None, "last": 0},
        {"first": None, "last": 101},
        {"first": 2, "before": "y"},
    ],
)
async def test_mixed_or_out_of_range_paging_is_a_top_level_bad_user_input(variables):
    fx = await make_org()
    result = await execute(PAGE, variables, token=fx.token)
    assert result.data is None and error_codes(result) == ["BAD_USER_INPUT"]


async def test_a_cursor_of_another_order_is_bad_user_input():
    fx = await make_org()
    await _people(fx)
    by_name = await _page(fx, first=1, orderBy={"field": "DISPLAY_NAME"})
    for order in ({"field": "EMAIL"}, {"field": "DISPLAY_NAME", "direction": "DESC"}, {"field": "LAST_USED_AT"}):
        for paging in ({"after": by_name["pageInfo"]["endCursor"]}, {"last": 1, "before": by_name["pageInfo"]["endCursor"]}):
            result = await execute(PAGE, {**paging, "orderBy": order}, token=fx.token)
            assert error_codes(result) == ["BAD_USER_INPUT"], (order, paging)


async def test_last_alone_does_not_meet_the_default_first():
    fx = await make_org()
    await _people(fx)
    result = await execute("{ users(last: 1, orderBy: {field: CREATED_AT}) { nodes { email } } }", token=fx.token)
    assert result.errors is None and result.data["users"]["nodes"] == [{"email": "cid@orders.test"}]
    written = await execute("{ users(first: 50, last: 1) { nodes { email } } }", token=fx.token)
    assert error_codes(written) == ["BAD_USER_INPUT"]
