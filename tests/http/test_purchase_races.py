"""Races over real HTTP: several `seatwise serve` processes on one database (the suite's SQLite file,
or PostgreSQL when TEST_DATABASE_URL is set)."""

import asyncio

import httpx
import pytest

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import Charge, ChargeStatus, IdempotencyKey, LicenseAssignment, SeatPool, Subscription
from tests.billing_support import add_card
from tests.support import Server, give_licenses, make_org, make_user, post

PURCHASE = """
mutation($input: PurchaseLicensesInput!) {
  purchaseLicenses(input: $input) { subscription { id quantity } charge { id status } userErrors { code } }
}"""
ASSIGN = """
mutation($u: ID!, $sku: String!) {
  assignLicense(input: {userId: $u, productSku: $sku}) { seats { assigned } userErrors { code } }
}"""
SEATS = 'query { seats(productSku: "CRM_BASIC") { purchased assigned available } }'


@pytest.fixture(scope="module")
def servers(test_database):
    running = [Server() for _ in range(3)]
    try:
        yield [server.wait_ready() for server in running]
    finally:
        for server in running:
            server.stop()


async def test_concurrent_purchases_with_one_key_on_two_servers_charge_once(servers):
    fx = await make_org()
    await add_card(fx, now=utcnow())
    variables = {"input": {"productSku": "CRM_BASIC", "quantity": 3, "idempotencyKey": "order-42"}}
    async with httpx.AsyncClient(timeout=60) as client:
        bodies = await asyncio.gather(*(post(client, servers[i % 2].url, PURCHASE, variables, token=fx.token) for i in range(10)))
    payloads = [body["data"]["purchaseLicenses"] for body in bodies]
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert len({(p["subscription"]["id"], p["charge"]["id"]) for p in payloads}) == 1
    assert {p["charge"]["status"] for p in payloads} == {"SUCCEEDED"}
    assert await Charge.filter(organization_id=fx.org.id).count() == 1
    assert await Charge.filter(organization_id=fx.org.id, status=ChargeStatus.SUCCEEDED).count() == 1
    assert await Subscription.filter(organization_id=fx.org.id).values_list("quantity", flat=True) == [3]
    assert await IdempotencyKey.filter(organization_id=fx.org.id).count() == 1
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).purchased == 3


async def test_many_concurrent_assigns_over_three_servers_take_exactly_the_purchased_licenses(servers):
    licenses, people = 7, 40
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", licenses)
    users = [await make_user(fx) for _ in range(people)]
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=people)) as client:
        bodies = await asyncio.gather(
            *(
                post(client, servers[i % 3].url, ASSIGN, {"u": str(u.id), "sku": "CRM_BASIC"}, token=fx.token)
                for i, u in enumerate(users)
            )
        )
        seats = (await post(client, servers[0].url, SEATS, token=fx.token))["data"]["seats"][0]
    assert all("errors" not in body for body in bodies), [b for b in bodies if "errors" in b][:3]
    codes = [tuple(e["code"] for e in body["data"]["assignLicense"]["userErrors"]) for body in bodies]
    assert codes.count(()) == licenses
    assert codes.count(("NO_LICENSES_AVAILABLE",)) == people - licenses
    assert seats == {"purchased": licenses, "assigned": licenses, "available": 0}
    assert await LicenseAssignment.filter(organization_id=fx.org.id).count() == licenses
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).assigned == licenses
