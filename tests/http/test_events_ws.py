"""licenseEvents over a real WebSocket (graphql-transport-ws) against `seatwise serve`."""

import asyncio
import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed

from tests.events_support import Toggle, assign_over_http, event_matching, init, subscribe, until_listening, ws_client
from tests.live_end_support import create_token, final_message, revoke_token
from tests.scim_support import scim_token
from tests.support import Server, gid, give_licenses, make_org, make_user


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


async def test_a_subscriber_receives_an_assignment_with_the_seats_after_it(server):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    await give_licenses(fx, "CRM_ESSENTIAL", 5)
    primer, target = await make_user(fx), await make_user(fx)
    async with httpx.AsyncClient(timeout=10) as client, ws_client(server.url) as ws:
        assert (await init(ws, fx.token))["type"] == "connection_ack"
        await subscribe(ws, "CRM_BASIC")
        await until_listening(ws, Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC"))

        await assign_over_http(client, server.url, fx.token, target.id, "CRM_ESSENTIAL")  # another product: filtered out
        payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")

        event, skipped = await event_matching(ws, lambda e: (e["user"] or {}).get("id") == gid("User", target.id))
    assert event["kind"] == "ASSIGNED"
    assert event["product"] == {"sku": "CRM_BASIC"}
    assert event["user"] == {"id": gid("User", target.id), "email": target.email, "status": "ACTIVE"}
    assert event["seats"] == payload["seats"]
    assert event["at"].endswith("Z")
    assert all(e["product"]["sku"] == "CRM_BASIC" for e in skipped)


@pytest.mark.parametrize("token", ["sw_forged_token_value_that_is_long_enough", None])
async def test_a_forged_or_missing_token_is_closed_with_4403_and_no_ack(server, token):
    async with ws_client(server.url) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed):
            message = await ws.recv()
            pytest.fail(f"got {message} instead of a close")
        assert ws.close_code == 4403


async def test_another_organizations_subscriber_receives_nothing(server):
    acme, other = await make_org("Acme"), await make_org("Other")
    for fx in (acme, other):
        await give_licenses(fx, "CRM_BASIC", 5)
    acme_primer, acme_user = await make_user(acme), await make_user(acme)
    other_primer, other_user = await make_user(other), await make_user(other)
    async with httpx.AsyncClient(timeout=10) as client, ws_client(server.url) as mine, ws_client(server.url) as theirs:
        assert (await init(mine, acme.token))["type"] == "connection_ack"
        assert (await init(theirs, other.token))["type"] == "connection_ack"
        await subscribe(mine)
        await subscribe(theirs)
        await until_listening(mine, Toggle(client, server.url, acme.token, acme_primer.id, "CRM_BASIC"))
        await until_listening(theirs, Toggle(client, server.url, other.token, other_primer.id, "CRM_BASIC"))

        await assign_over_http(client, server.url, acme.token, acme_user.id, "CRM_BASIC")
        await event_matching(mine, lambda e: (e["user"] or {}).get("id") == gid("User", acme_user.id))
        # Events reach a subscriber in order: Other's own next event comes after anything Acme's could have.
        await assign_over_http(client, server.url, other.token, other_user.id, "CRM_BASIC")
        _, skipped = await event_matching(theirs, lambda e: (e["user"] or {}).get("id") == gid("User", other_user.id))
    assert all(e["user"]["id"] == gid("User", other_primer.id) for e in skipped)


async def test_revoking_a_token_ends_its_open_subscription_with_an_unauthenticated_error(server):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer = await make_user(fx)
    async with httpx.AsyncClient(timeout=10) as client, ws_client(server.url) as ws:
        token, token_id = await create_token(client, server.url, fx.token)
        assert (await init(ws, token))["type"] == "connection_ack"
        await subscribe(ws, "CRM_BASIC", op_id="live")
        await until_listening(ws, Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC"))

        await revoke_token(client, server.url, fx.token, token_id)  # no seat event after this

        ending, _ = await final_message(ws)
    assert ending["type"] == "error" and ending["id"] == "live", ending
    assert [e["extensions"]["code"] for e in ending["payload"]] == ["UNAUTHENTICATED"]


async def test_a_scim_token_is_closed_with_4403_at_connection_init(server):
    fx = await make_org()
    async with ws_client(server.url) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {await scim_token(fx)}"}}))
        with pytest.raises(ConnectionClosed):
            message = await ws.recv()
            pytest.fail(f"got {message} instead of a close")
        assert ws.close_code == 4403


async def test_metrics_count_a_subscription_once_it_listens_and_not_after_it_ends(server):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer = await make_user(fx)
    async with httpx.AsyncClient(timeout=10) as client:
        async with ws_client(server.url) as ws:
            assert (await init(ws, fx.token))["type"] == "connection_ack"
            await subscribe(ws)
            await until_listening(ws, Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC"))
            listening = await _subscribers(client, server.url)
        ended = await _subscribers_after_close(client, server.url, listening)
    assert listening >= 1 and ended == listening - 1


async def _subscribers(client: httpx.AsyncClient, url: str) -> float:
    text = (await client.get(f"{url}/metrics")).text
    return next(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == "seatwise_live_subscribers")


async def _subscribers_after_close(client: httpx.AsyncClient, url: str, before: float) -> float:
    """The server drops a closed socket's subscription asynchronously: read until the count moves (bounded)."""
    for _ in range(100):
        if (now := await _subscribers(client, url)) < before:
            return now
        await asyncio.sleep(0.05)
    return before
