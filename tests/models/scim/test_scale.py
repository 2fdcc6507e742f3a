"""A SCIM list or filter costs the same statements in an organization of 20,000 users as in one of 20, and the
lookups directories make (userName, externalId) are answered from indexes."""

import httpx
import pytest
from tortoise import connections

from seatwise.gql.http.app import create_app
from seatwise.models.core.tables import User
from seatwise.models.scim import users as scim_users
from seatwise.models.scim.filter import user_filter
from tests.scim_support import scim_token
from tests.support import NOW, count_round_trips, is_postgres, make_org

FILTERS = [
    None,
    'userName eq "person-7@acme.example"',
    'externalId eq "ext-7"',
    'userName eq "person-7@acme.example" and active eq true',
    'displayName sw "Person 1" or emails.value co "-99@"',
]


async def _org_of(size: int, tag: str):
    fx = await make_org(tag)
    for start in range(0, size, 2000):
        await User.bulk_create(
            [
                User(
                    organization_id=fx.org.id,
                    email=f"person-{i}@{tag}.example",
                    display_name=f"Person {i}",
                    user_name=f"person-{i}@acme.example",
                    user_name_key=f"person-{i}@acme.example",
                    external_id=f"ext-{i}",
                    created_at=NOW,
                )
                for i in range(start, min(start + 2000, size))
            ]
        )
    return fx


async def _costs(monkeypatch, fx) -> list[int]:
    token = await scim_token(fx)
    transport = httpx.ASGITransport(app=create_app())
    costs = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test/scim/v2", headers={"Authorization": f"Bearer {token}"}
    ) as c:
        await c.get("/Users", params={"count": 1})  # the token's first use records last_used_at (a write)
        for text in FILTERS:
            params = {"count": 50, **({"filter": text} if text else {})}
            response, cost = await count_round_trips(monkeypatch, c.get("/Users", params=params))
            assert response.status_code == 200, response.text
            costs.append(cost)
    return costs


@pytest.mark.slow
async def test_list_and_filter_cost_the_same_statements_at_20_and_20000_users(monkeypatch):
    small = await _org_of(20, "small")
    large = await _org_of(20_000, "large")
    assert await _costs(monkeypatch, small) == await _costs(monkeypatch, large)
    rows, total = await scim_users.page(large.org, 'userName eq "PERSON-7@acme.example"', 1, 10)
    assert total == 1 and rows[0].external_id == "ext-7"


@pytest.mark.parametrize("text", ['userName eq "x@acme.example"', 'externalId eq "e"'])
async def test_directory_lookups_use_an_index(text):
    fx = await make_org()
    sql = User.filter(organization_id=fx.org.id, scim_deleted_at=None).filter(user_filter(text)).sql(params_inline=True)
    conn = connections.get("default")
    if is_postgres():
        await conn.execute_script("SET enable_seqscan = off")  # an empty table: ask whether an index can answer
        plan = " ".join(str(row) for row in await conn.execute_query_dict(f"EXPLAIN {sql}"))
        await conn.execute_script("SET enable_seqscan = on")
        assert "Index" in plan and "Seq Scan" not in plan, plan
    else:
        plan = " ".join(str(row) for row in await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX" in plan and "SCAN app_user " not in plan.replace("SCAN app_user USING", ""), plan
