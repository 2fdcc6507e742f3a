"""Live events across server processes through Redis, and a Redis outage or stall."""

import asyncio
import contextlib
import json
import time
import uuid

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from seatwise.models.events import fanout
from seatwise.models.events.live import LicenseEventKind, SeatEvent, broker
from tests.events_support import Toggle, assign_over_http, event_matching, init, subscribe, until_listening, ws_client
from tests.live_end_support import create_token, final_message, revoke_token
from tests.support import NOW, Server, free_port, gid, give_licenses, make_org, make_user, post

REDIS_URL = "redis://127.0.0.1:6379/11"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def servers():
    if not redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    # A channel of this run only: concurrent test runs on the same Redis do not hear each other.
    env = {"REDIS_URL": REDIS_URL, "SEATWISE_REDIS_CHANNEL": f"seatwise-test:{uuid.uuid4().hex}"}
    a, b = Server(env=env), Server(env=env)
    try:
        yield a.wait_ready(), b.wait_ready()
    finally:
        a.stop()
        b.stop()


async def test_an_assignment_through_one_server_reaches_a_subscriber_of_another(servers):
    a, b = servers
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer, target = await make_user(fx), await make_user(fx)
    async with httpx.AsyncClient(timeout=10) as client, ws_client(b.url) as ws:
        assert (await init(ws, fx.token))["type"] == "connection_ack"
        await subscribe(ws, "CRM_BASIC")
        await until_listening(ws, Toggle(client, a.url, fx.token, primer.id, "CRM_BASIC"))

        payload = await assign_over_http(client, a.url, fx.token, target.id, "CRM_BASIC")

        event, _ = await event_matching(ws, lambda e: (e["user"] or {}).get("id") == gid("User", target.id))
    assert event["kind"] == "ASSIGNED"
    assert event["seats"] == payload["seats"]
    assert event["user"]["email"] == target.email


async def test_readyz_reports_redis_when_it_is_configured(servers):
    async with httpx.AsyncClient(timeout=10) as client:
        ready = await client.get(f"{servers[0].url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "database": "ok",
        "redis": "ok",
        "redisPublisher": {"circuit": "closed", "queued": 0, "dropped": 0},
    }


async def test_a_redis_outage_breaks_no_mutation_and_readyz_reports_it():
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = Server(env={"REDIS_URL": closed}).wait_ready()
    try:
        fx = await make_org()
        await give_licenses(fx, "CRM_BASIC", 5)
        primer, target = await make_user(fx), await make_user(fx)
        async with httpx.AsyncClient(timeout=10) as client, ws_client(server.url) as ws:
            assert (await init(ws, fx.token))["type"] == "connection_ack"
            await subscribe(ws, "CRM_BASIC")
            # Without Redis, this instance still delivers its own events to its own subscribers.
            primer_license = Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC")
            await until_listening(ws, primer_license)

            payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
            event, _ = await event_matching(ws, lambda e: (e["user"] or {}).get("id") == gid("User", target.id))

            ready = await client.get(f"{server.url}/readyz")
        # The target's license, and the primer's if the last poke assigned it.
        assert payload["seats"]["assigned"] == (2 if primer_license.held else 1)
        assert event["kind"] == "ASSIGNED" and event["seats"] == payload["seats"]
        assert ready.status_code == 503
        assert {k: ready.json()[k] for k in ("status", "database", "redis")} == {
            "status": "not ready",
            "database": "ok",
            "redis": "unreachable",
        }
    finally:
        server.stop()
    assert "could not publish live events to Redis" in server.log()


ASSIGN_MANY = """
mutation($users: [ID!]!, $sku: String!) {
  assignLicenses(input: {userIds: $users, productSku: $sku}) { userErrors { code message } }
}
"""


async def test_a_bulk_assignment_reaches_a_subscriber_of_another_server(servers):
    a, b = servers
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 40)
    primer = await make_user(fx)
    people = [await make_user(fx) for _ in range(30)]
    async with httpx.AsyncClient(timeout=30) as client, ws_client(b.url) as ws:
        assert (await init(ws, fx.token))["type"] == "connection_ack"
        await subscribe(ws, "CRM_BASIC")
        await until_listening(ws, Toggle(client, a.url, fx.token, primer.id, "CRM_BASIC"))

        body = await post(client, a.url, ASSIGN_MANY, {"users": [str(p.id) for p in people], "sku": "CRM_BASIC"}, fx.token)
        assert body["data"]["assignLicenses"]["userErrors"] == [], body

        wanted = {gid("User", p.id) for p in people}
        received = []
        while wanted - {e["user"]["id"] for e in received}:
            event, _ = await event_matching(ws, lambda e: (e["user"] or {}).get("id") in wanted)
            received.append(event)
    assert [e["kind"] for e in received] == ["ASSIGNED"] * 30
    assert [e["user"]["id"] for e in received] == [gid("User", p.id) for p in people]  # in order


@pytest.mark.parametrize("subscriber", ["same server", "other server"])
async def test_revoking_a_token_ends_its_subscription_on_every_server(servers, subscriber):
    a, b = servers
    where = a if subscriber == "same server" else b
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer = await make_user(fx)
    async with httpx.AsyncClient(timeout=10) as client, ws_client(where.url) as ws:
        token, token_id = await create_token(client, a.url, fx.token)
        assert (await init(ws, token))["type"] == "connection_ack"
        await subscribe(ws, "CRM_BASIC", op_id="live")
        await until_listening(ws, Toggle(client, a.url, fx.token, primer.id, "CRM_BASIC"))

        await revoke_token(client, a.url, fx.token, token_id)  # through server a; no seat event after this

        ending, _ = await final_message(ws)
    assert ending["type"] == "error" and ending["id"] == "live", ending
    assert [e["extensions"]["code"] for e in ending["payload"]] == ["UNAUTHENTICATED"]


async def test_a_batch_of_events_is_one_redis_message():
    if not redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    channel = f"seatwise-test:{uuid.uuid4().hex}"
    listener = aioredis.from_url(REDIS_URL)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    relay = fanout.RedisFanout(REDIS_URL)
    relay.channel = relay.publisher.channel = channel
    await relay.start()
    try:
        batch = [SeatEvent(1, LicenseEventKind.ASSIGNED, "CRM_BASIC", n, 100, n, NOW) for n in range(1, 101)]
        await broker.publish_many(batch)
        messages = []
        deadline = time.monotonic() + 10
        while sum(len(m["notices"]) for m in messages) < len(batch) and time.monotonic() < deadline:
            message = await pubsub.get_message(timeout=1)  # None for the subscription's own confirmation
            if message is not None:
                messages.append(json.loads(message["data"]))
    finally:
        await asyncio.wait_for(relay.stop(), 10)
        await asyncio.wait_for(pubsub.aclose(), 10)
        await asyncio.wait_for(listener.aclose(), 10)
    assert len(messages) == 1
    assert [SeatEvent.from_dict(n) for n in messages[0]["notices"]] == batch


@contextlib.asynccontextmanager
async def stalled_redis():
    """A "Redis" on a loopback port that accepts connections and never answers."""
    held = []

    async def accept(reader, writer):
        held.append(writer)
        await reader.read()  # until the client goes away

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()


async def _ready_after_drops(client, url: str, dropped: int) -> httpx.Response:
    """/readyz once the server has counted `dropped` dropped notices (the publisher drops in the background)."""
    deadline = time.monotonic() + 30
    while True:
        ready = await client.get(f"{url}/readyz")
        if ready.json().get("redisPublisher", {}).get("dropped", 0) >= dropped or time.monotonic() > deadline:
            return ready
        await asyncio.sleep(0.2)


async def test_a_stalled_redis_delays_no_write_and_the_dropped_events_are_counted():
    async with stalled_redis() as url:
        server = await asyncio.to_thread(Server(env={"REDIS_URL": url}).wait_ready)
        try:
            fx = await make_org()
            await give_licenses(fx, "CRM_BASIC", 30)
            people = [await make_user(fx) for _ in range(20)]
            # Waiting on Redis for each of the 20 events would take far longer than this client waits.
            async with httpx.AsyncClient(timeout=httpx.Timeout(15, connect=5)) as client:
                body = await post(
                    client, server.url, ASSIGN_MANY, {"users": [str(p.id) for p in people], "sku": "CRM_BASIC"}, fx.token
                )
                assert body["data"]["assignLicenses"]["userErrors"] == [], body

                ready = await _ready_after_drops(client, server.url, 20)
                metrics = (await client.get(f"{server.url}/metrics")).text
        finally:
            server.stop()
    assert ready.status_code == 503
    assert ready.json()["redis"] == "unreachable"
    assert ready.json()["redisPublisher"]["dropped"] == 20
    assert "seatwise_live_events_dropped_total 20.0" in metrics
