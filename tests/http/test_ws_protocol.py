"""The WebSocket speaks graphql-transport-ws only, against a real `seatwise serve`."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from seatwise.gql.graphql.schema import MAX_TOKENS
from tests.events_support import init, ws_client, ws_url
from tests.support import Server, make_org


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@pytest.mark.parametrize("subprotocols", [["graphql-ws"], None, ["something-else"]])
async def test_other_subprotocols_than_graphql_transport_ws_are_refused_at_the_handshake(server, subprotocols):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(server.url), subprotocols=subprotocols, open_timeout=10):
            pass
    assert refused.value.response.status_code == 403


async def test_a_document_over_the_token_limit_gets_an_error_message(server):
    fx = await make_org()
    query = "{ " + " ".join(["__typename"] * (MAX_TOKENS + 1)) + " }"
    async with ws_client(server.url) as ws:
        assert (await init(ws, fx.token))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "error" and reply["id"] == "1", reply
        assert "tokens" in reply["payload"][0]["message"]
        # The connection stays usable.
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ viewer { role } }"}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply == {"id": "2", "type": "next", "payload": {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}}


@pytest.mark.parametrize(
    "query",
    ["subscription { licenseEvents(", "subscription { noSuchField { kind } }", "{ viewer { role } } { viewer { role } }"],
)
async def test_a_document_that_does_not_parse_or_validate_gets_an_error_message_and_no_complete(server, query):
    fx = await make_org()
    async with ws_client(server.url) as ws:
        assert (await init(ws, fx.token))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "error" and reply["id"] == "1", reply
        assert reply["payload"] and reply["payload"][0]["message"], reply
        # `error` ends the operation: the next message is the answer to the next operation, not a `complete` for 1
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ viewer { role } }"}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply == {"id": "2", "type": "next", "payload": {"data": {"viewer": {"role": "GLOBAL_ADMIN"}}}}
