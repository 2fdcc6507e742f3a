"""Over real HTTP: chunked bodies over 1 MiB are refused before anything runs; CORS and WebSocket origins
follow SEATWISE_CORS_ORIGINS."""

import json

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from seatwise.models.core.tables import User
from tests.support import Server, make_org

ALLOWED = "https://console.example.com"
REFUSED = "https://evil.example.net"
CREATE = 'mutation($e: String!) { createUser(input: {email: $e, displayName: "Chunked"}) { user { email } userErrors { code } } }'


@pytest.fixture(scope="module")
def server():
    env = {"SEATWISE_CORS_ORIGINS": f"{ALLOWED}, https://other.example.com", "SEATWISE_CORS_HEADERS": "X-Console-Build"}
    running = Server(env=env).wait_ready()
    yield running
    running.stop()


def _chunked(body: bytes, size: int = 64 * 1024):
    async def chunks():
        for start in range(0, len(body), size):
            yield body[start : start + size]

    return chunks()


def _create_body(email: str, padding: int) -> bytes:
    return json.dumps({"query": CREATE, "variables": {"e": email, "pad": "x" * padding}}).encode()


async def test_a_chunked_body_over_one_mebibyte_gets_413_and_runs_nothing(server):
    fx = await make_org()
    body = _create_body("big@acme.test", 1024 * 1024 + 1)
    headers = {"Authorization": f"Bearer {fx.token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=30) as client:
        request = client.build_request("POST", f"{server.url}/graphql", content=_chunked(body), headers=headers)
        assert request.headers["transfer-encoding"] == "chunked" and "content-length" not in request.headers
        response = await client.send(request)
    assert response.status_code == 413 and response.text == "Request body too large."
    assert not await User.exists(email="big@acme.test")


async def test_a_chunked_body_under_one_mebibyte_runs(server):
    fx = await make_org()
    body = _create_body("small@acme.test", 900 * 1024)
    headers = {"Authorization": f"Bearer {fx.token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=30) as client:
        request = client.build_request("POST", f"{server.url}/graphql", content=_chunked(body), headers=headers)
        assert "content-length" not in request.headers
        response = await client.send(request)
    assert response.status_code == 200
    assert response.json()["data"]["createUser"] == {"user": {"email": "small@acme.test"}, "userErrors": []}


async def test_preflight_from_an_allowed_origin_is_answered_and_from_another_refused(server):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    async with httpx.AsyncClient() as client:
        allowed = await client.options(f"{server.url}/graphql", headers={"Origin": ALLOWED, **ask})
        refused = await client.options(f"{server.url}/graphql", headers={"Origin": REFUSED, **ask})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


CONSOLE_HEADERS = (
    "authorization, content-type, apollographql-client-name, apollographql-client-version, x-request-id, "
    "traceparent, tracestate, x-console-build"
)


async def test_a_preflight_allows_apollo_trace_and_configured_headers(server):
    ask = {"Origin": ALLOWED, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": CONSOLE_HEADERS}
    async with httpx.AsyncClient() as client:
        allowed = await client.options(f"{server.url}/graphql", headers=ask)
        unknown = await client.options(f"{server.url}/graphql", headers={**ask, "Access-Control-Request-Headers": "x-other"})
    assert allowed.status_code == 200
    assert {h.strip() for h in CONSOLE_HEADERS.split(",")} <= {
        h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert unknown.status_code == 400  # a header neither built in nor in SEATWISE_CORS_HEADERS


async def test_a_response_to_an_allowed_origin_exposes_the_request_id_and_rate_limit_headers(server):
    fx = await make_org()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Origin": ALLOWED, "Authorization": f"Bearer {fx.token}"},
        )
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"x-request-id", "ratelimit", "ratelimit-policy", "retry-after"}


async def test_only_an_allowed_origin_may_read_a_response(server):
    fx = await make_org()
    query = {"query": "{ viewer { role } }"}
    async with httpx.AsyncClient() as client:
        allowed = await client.post(
            f"{server.url}/graphql", json=query, headers={"Origin": ALLOWED, "Authorization": f"Bearer {fx.token}"}
        )
        refused = await client.post(
            f"{server.url}/graphql", json=query, headers={"Origin": REFUSED, "Authorization": f"Bearer {fx.token}"}
        )
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert allowed.json() == {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}
    assert "access-control-allow-origin" not in refused.headers  # the browser withholds the response


async def test_a_websocket_from_a_refused_origin_is_refused_at_the_handshake(server):
    fx = await make_org()
    url = server.url.replace("http", "ws") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"], origin=REFUSED):
            pass
    assert refused.value.response.status_code == 403
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], origin=ALLOWED) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {fx.token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
