"""Every order of the users page (docs/rules.md section 17) costs the same statements for a page of 20 as for a page
of 2, forward and backward, filtered or not; and each is read from an index in its order (SQLite's plan sorts
nothing). The same operations at 1,000 and 20,000 users: tests/gql/test_statement_counts.py; latency at 100,000:
`make bench`."""

from datetime import timedelta

import pytest
from tortoise import connections

from seatwise.models.core.tables import User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.people import listing, users
from seatwise.models.people.listing import OrderDirection, UserOrderField
from tests.support import NOW, count_statements, execute, give_licenses, is_postgres, make_org, make_user

PAGE = """query($size: Int!, $order: UserOrder!, $filter: UserFilter) {
  forward: users(first: $size, orderBy: $order, filter: $filter) { nodes { email licenses { state } } pageInfo { endCursor } }
  backward: users(last: $size, orderBy: $order, filter: $filter) { nodes { email } pageInfo { startCursor } }
}"""
ORDERS = [{"field": field.value, "direction": direction.value} for field, direction in sorted(listing.ORDERS)]


async def _org(size: int):
    fx = await make_org(f"Cost {size}")
    await give_licenses(fx, "CRM_BASIC", size)
    team = await groups.create_group(fx.org, "Team", [], actor=fx.actor, now=NOW)
    for index in range(size):
        user = await make_user(fx, skus=["CRM_BASIC"], now=NOW + timedelta(minutes=index))
        await members.add_members(fx.org, str(team.id), [str(user.id)], actor=fx.actor, now=NOW)
        if index % 2:
            await User.filter(id=user.id).update(latest_use=NOW + timedelta(hours=index))
    await execute("{ viewer { role } }", token=fx.token)  # the token's first use is written once
    return fx, team


@pytest.mark.parametrize("filtered", [False, True])
async def test_a_page_of_20_costs_the_statements_of_a_page_of_2_in_every_order(filtered):
    counts: dict[int, list[int]] = {}
    for size in (2, 20):
        fx, team = await _org(size)
        wanted = {"groupId": str(team.id), "licenseState": "ACTIVE", "adminRole": None} if filtered else None
        counts[size] = []
        for order in ORDERS:
            result, sql = await count_statements(execute(PAGE, {"size": size, "order": order, "filter": wanted}, token=fx.token))
            assert result.errors is None, result.errors
            assert len(result.data["forward"]["nodes"]) == len(result.data["backward"]["nodes"]) == size
            counts[size].append(len(sql))
    assert counts[2] == counts[20], counts


@pytest.mark.parametrize(("field", "direction"), sorted(listing.ORDERS))
async def test_every_order_is_read_from_an_index_in_its_order(field: UserOrderField, direction: OrderDirection):
    if is_postgres():
        pytest.skip("SQLite's plan: PostgreSQL's planner weighs table statistics (bench/ measures it at 100,000)")
    fx = await make_org()
    order = listing.user_order(field, direction)
    for backward in (False, True):
        scan = order.reversed() if backward else order
        query = users.users_query(fx.org).filter(scan.after(order.key(fx.admin))).order_by(*scan.fields).limit(21)
        sql = query.sql(params_inline=True)
        plan = [row["detail"] for row in await connections.get("default").execute_query_dict(f"EXPLAIN QUERY PLAN {sql}")]
        assert not any("TEMP B-TREE" in step for step in plan), (field, direction, backward, plan)
        assert any("USING INDEX" in step for step in plan), plan
