"""`seatwise serve --workers N`: several worker processes behind one port, one database, shared metrics."""

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Server, give_licenses, make_org, make_user, post


async def test_two_workers_serve_one_database_and_never_oversell():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    people = [await make_user(fx) for _ in range(20)]
    server = Server(args=["--workers", "2"]).wait_ready()
    try:
        assign = "mutation($u: ID!) { assignLicense(input: {userId: $u, productSku: \"CRM_BASIC\"}) { userErrors { code } } }"
        async with httpx.AsyncClient(timeout=60) as client:
            bodies = await asyncio.gather(*(post(client, server.url, assign, {"u": str(p.id)}, token=fx.token) for p in people))
            codes = [b["data"]["assignLicense"]["userErrors"][0]["code"] if b["data"]["assignLicense"]["userErrors"] else "OK" for b in bodies]
            seats = await post(client, server.url, '{ seats(productSku: "CRM_BASIC") { assigned available } }', token=fx.token)
            text = (await client.get(f"{server.url}/metrics")).text
    finally:
        server.stop()
    assert codes.count("OK") == 5 and codes.count("NO_LICENSES_AVAILABLE") == 15
    assert seats["data"]["seats"] == [{"assigned": 5, "available": 0}]
    families = {f.name: f for f in text_string_to_metric_families(text)}
    total = sum(s.value for s in families["seatwise_graphql_requests"].samples if s.labels.get("operation") == "assignLicense" and s.name.endswith("_total"))
    assert total == 20  # the counts of both workers, whichever answered /metrics
