"""licenseEvents over HTTP as multipart subscriptions (what GraphiQL sends), and transports that cannot carry
subscriptions, against a real `seatwise serve`."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import Credential
from tests.events_support import LICENSE_EVENTS, Toggle, assign_over_http, event_matching, until_listening
from tests.support import Server, gid, give_licenses, make_org, make_user

MULTIPART = "multipart/mixed;subscriptionSpec=1.0,application/json"
BOUNDARY = "\r\n--graphql"


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


class MultipartEvents:
    """A multipart subscription response read in the background; `recv()` gives its parts as
    graphql-transport-ws messages (`next` with the payload, `complete` at the end), so that the
    WebSocket helpers of tests/events_support.py apply. Heartbeats (`{}`) are skipped."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.messages: asyncio.Queue[str] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        buffer = ""
        async for text in self.response.aiter_text():
            buffer += text
            while (end := buffer.find(BOUNDARY)) >= 0:
                part, buffer = buffer[:end], buffer[end + len(BOUNDARY) :]
                _, _, body = part.partition("\r\n\r\n")
                message = json.loads(body) if body.strip() else {}
                if message.get("payload") is not None:
                    await self.messages.put(json.dumps({"type": "next", "payload": message["payload"]}))
        assert buffer.startswith("--"), f"the stream did not end with its closing boundary: {buffer!r}"
        await self.messages.put(json.dumps({"type": "complete"}))

    async def recv(self) -> str:
        return await self.messages.get()

    async def send(self, message: str) -> None:  # pings are a WebSocket thing
        raise AssertionError(f"unexpected send {message}")


@asynccontextmanager
async def multipart_subscription(
    client: httpx.AsyncClient, url: str, token: str | None, sku: str | None = None, method: str = "POST"
) -> AsyncIterator[MultipartEvents]:
    headers = {"Accept": MULTIPART, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = {"query": LICENSE_EVENTS, "variables": {"sku": sku}}
    if method == "POST":
        stream = client.stream("POST", f"{url}/graphql", json=request, headers=headers)
    else:
        stream = client.stream(
            "GET", f"{url}/graphql", params={"query": LICENSE_EVENTS, "variables": json.dumps({"sku": sku})}, headers=headers
        )
    async with stream as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("multipart/mixed")
        events = MultipartEvents(response)
        try:
            yield events
        finally:
            events.task.cancel()


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_multipart_subscriber_receives_its_organizations_events(server, method):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer, target = await make_user(fx), await make_user(fx)
    async with (
        httpx.AsyncClient(timeout=10) as client,
        multipart_subscription(client, server.url, fx.token, "CRM_BASIC", method) as events,
    ):
        await until_listening(events, Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC"))
        payload = await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
        event, _ = await event_matching(events, lambda e: (e["user"] or {}).get("id") == gid("User", target.id))
    assert event["kind"] == "ASSIGNED" and event["product"] == {"sku": "CRM_BASIC"}
    assert event["seats"] == payload["seats"]


async def test_a_multipart_subscription_ends_once_its_token_is_revoked(server):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    primer, target = await make_user(fx), await make_user(fx)
    from seatwise.models.core.tables import AdminRole
    from tests.support import token_for

    watcher = await token_for(fx, fx.admin, AdminRole.READER)
    async with httpx.AsyncClient(timeout=10) as client, multipart_subscription(client, server.url, watcher) as events:
        await until_listening(events, Toggle(client, server.url, fx.token, primer.id, "CRM_BASIC"))
        await Credential.filter(revoked_at=None, name="test").update(revoked_at=utcnow())
        await assign_over_http(client, server.url, fx.token, target.id, "CRM_BASIC")
        while (message := json.loads(await asyncio.wait_for(events.recv(), 10)))["type"] == "next" and message["payload"].get(
            "data"
        ):
            # Only leftovers of until_listening may still come; the assignment after the revocation never does.
            assert message["payload"]["data"]["licenseEvents"]["user"]["id"] == gid("User", primer.id)
    # The stream ends with the credential's end as an UNAUTHENTICATED error, as over the WebSocket.
    assert message["type"] == "next" and [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("token", [None, "sw_forged_token_value"])
async def test_a_multipart_subscription_without_a_valid_token_gets_401(server, token):
    headers = {"Accept": MULTIPART, **({"Authorization": f"Bearer {token}"} if token else {})}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{server.url}/graphql", json={"query": LICENSE_EVENTS}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_plain_http_gets_a_clear_400(server, method):
    fx = await make_org()
    headers = {"Authorization": f"Bearer {fx.token}", "Accept": "application/json"}
    async with httpx.AsyncClient(timeout=10) as client:
        if method == "POST":
            response = await client.post(f"{server.url}/graphql", json={"query": LICENSE_EVENTS}, headers=headers)
        else:
            response = await client.get(f"{server.url}/graphql", params={"query": LICENSE_EVENTS}, headers=headers)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "multipart/mixed;subscriptionSpec=1.0" in error["message"]
    assert "INTERNAL_SERVER_ERROR" not in response.text
