"""Live events across server processes through Redis, and a Redis outage."""

import uuid

import httpx
import pytest
import redis

from tests.events_support import Toggle, assign_over_http, event_matching, init, subscribe, until_listening, ws_client
from tests.support import Server, free_port, give_licenses, make_org, make_user

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

        event, _ = await event_matching(ws, lambda e: (e["user"] or {}).get("id") == str(target.id))
    assert event["kind"] == "ASSIGNED"
    assert event["seats"] == payload["seats"]
    assert event["user"]["email"] == target.email


async def test_readyz_reports_redis_when_it_is_configured(servers):
    async with httpx.AsyncClient(timeout=10) as client:
        ready = await client.get(f"{servers[0].url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}


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
            await until_listening(ws, Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC"))

            payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
            event, _ = await event_matching(ws, lambda e: (e["user"] or {}).get("id") == str(target.id))

            ready = await client.get(f"{server.url}/readyz")
        assert payload["seats"]["assigned"] in (1, 2)  # the primer's license may be held too
        assert event["kind"] == "ASSIGNED"
        assert ready.status_code == 503
        assert ready.json() == {"status": "not ready", "database": "ok", "redis": "unreachable"}
    finally:
        server.stop()
    assert "could not publish a seat event to Redis" in server.log()
