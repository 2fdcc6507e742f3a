"""Races over real HTTP: addGroupMembers and purchases on one product through two `seatwise serve` processes
(PostgreSQL when TEST_DATABASE_URL is set, else the suite's SQLite file)."""

import asyncio

import httpx
import pytest

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import LicenseAssignment, LicenseWait, SeatPool
from seatwise.models.groups import lifecycle as groups
from tests.billing_support import add_card
from tests.group_support import check_group_invariants
from tests.support import NOW, Server, give_licenses, make_org, make_user, post

ADD = """
mutation($g: ID!, $u: [ID!]!) {
  addGroupMembers(input: {groupId: $g, userIds: $u}) { group { memberCount } waiting { position } userErrors { code } }
}"""
PURCHASE = """
mutation($input: PurchaseLicensesInput!) {
  purchaseLicenses(input: $input) { subscription { id } userErrors { code } }
}"""


@pytest.fixture(scope="module")
def servers(test_database):
    running = [Server() for _ in range(2)]
    try:
        yield [server.wait_ready(timeout=120) for server in running]  # a loaded machine starts slowly
    finally:
        for server in running:
            server.stop()


async def test_member_additions_and_purchases_on_two_servers_never_oversell(servers):
    fx = await make_org()
    await add_card(fx, now=utcnow())
    await give_licenses(fx, "CRM_BASIC", 2)
    people = [await make_user(fx) for _ in range(30)]
    teams = [await groups.create_group(fx.org, name, ["CRM_BASIC"], actor=fx.actor, now=NOW) for name in ("Sales", "Support")]
    calls = [(ADD, {"g": str(teams[i % 2].id), "u": [str(p.id) for p in people[i * 2 : i * 2 + 5]]}) for i in range(13)] + [
        (PURCHASE, {"input": {"productSku": "CRM_BASIC", "quantity": 3, "idempotencyKey": f"groups-{i}"}}) for i in range(4)
    ]
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=len(calls))) as client:
        bodies = await asyncio.gather(
            *(post(client, servers[i % 2].url, query, variables, token=fx.token) for i, (query, variables) in enumerate(calls))
        )
    assert all("errors" not in body for body in bodies), [b for b in bodies if "errors" in b][:3]
    assert all(not payload["userErrors"] for body in bodies for payload in body["data"].values())
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    assert pool.purchased == 2 + 4 * 3 and pool.assigned <= pool.purchased
    assigned = await LicenseAssignment.filter(organization_id=fx.org.id).count()
    waiting = await LicenseWait.filter(organization_id=fx.org.id).count()
    assert assigned + waiting == len({p.id for p in people[:29]})
    await check_group_invariants(fx.org.id)
