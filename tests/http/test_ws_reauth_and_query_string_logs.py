"""A revoked credential stops acting over an open WebSocket; GET query strings with card data stay out of the log."""

import asyncio
import json

import httpx
import websockets

from seatwise.models.core.tables import User
from tests.support import Server, make_org, post


async def test_revoked_token_cannot_mutate_over_open_websocket():
    fx = await make_org()
    server = Server().wait_ready()
    try:
        async with httpx.AsyncClient() as client:
            made = await post(
                client,
                server.url,
                'mutation { createApiToken(input:{name:"ws", role: USER_ADMIN}) { token apiToken { id } } }',
                token=fx.token,
            )
            tok = made["data"]["createApiToken"]["token"]
            tid = made["data"]["createApiToken"]["apiToken"]["id"]
            async with websockets.connect(
                server.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tok}"}}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await post(
                    client,
                    server.url,
                    f'mutation {{ revokeApiToken(input:{{id:"{tid}"}}) {{ apiToken {{ id }} }} }}',
                    token=fx.token,
                )
                await ws.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {
                                "query": 'mutation { createUser(input:{email:"ghost@example.com", displayName:"Ghost"}) { user { id } } }'
                            },
                        }
                    )
                )
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert (
                    reply["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
                    if reply["type"] == "error"
                    else reply["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
                )
        assert not await User.exists(email="ghost@example.com"), "revoked token created a user"
    finally:
        server.stop()


async def test_card_number_and_cvc_in_a_get_query_string_stay_out_of_the_log():
    fx = await make_org()
    server = Server().wait_ready()
    try:
        async with httpx.AsyncClient() as client:
            q = 'mutation { addPaymentCard(input:{number:"4242 4242 4242 4242", expMonth:12, expYear:2030, cvc:"987"}) { paymentCard { id } } }'
            response = await client.get(
                f"{server.url}/graphql", params={"query": q}, headers={"Authorization": f"Bearer {fx.token}"}
            )
        assert response.status_code == 400  # mutations are not allowed over GET
        rid = response.headers["x-request-id"]
        # the access line is written after the response: wait for it, so the log searched below holds this request
        server.wait_for_log(lambda line: rid in line and "GET /graphql 400" in line)
    finally:
        server.stop()
    log = server.log()
    assert "4242+4242+4242+4242" not in log and "%22987%22" not in log, [
        line for line in log.splitlines() if "addPaymentCard" in line
    ]
