"""Helpers for the tests that end a live subscription over a real WebSocket: an API token made
and revoked over HTTP, and the message that ends an operation."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import ClientConnection

from tests.support import post

CREATE_TOKEN = 'mutation { createApiToken(input: {name: "dashboard", role: READER}) { token apiToken { id } } }'
REVOKE_TOKEN = "mutation($id: ID!) { revokeApiToken(input: {id: $id}) { apiToken { id revokedAt } } }"


async def create_token(client, url: str, admin_token: str) -> tuple[str, str]:
    """A READER API token made by the admin: (secret, id)."""
    body = await post(client, url, CREATE_TOKEN, token=admin_token)
    made = body["data"]["createApiToken"]
    return made["token"], made["apiToken"]["id"]


async def revoke_token(client, url: str, admin_token: str, token_id: str) -> None:
    body = await post(client, url, REVOKE_TOKEN, {"id": token_id}, token=admin_token)
    assert body["data"]["revokeApiToken"]["apiToken"]["revokedAt"], body


async def final_message(ws: ClientConnection, timeout: float = 10) -> tuple[dict, list[dict]]:
    """The message that ends the operation (`error` or `complete`), and the `next` ones before it."""
    events: list[dict] = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        elif message["type"] == "next":
            events.append(message)
        else:
            return message, events
