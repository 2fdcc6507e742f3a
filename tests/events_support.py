"""Helpers for the conflict, alert and live-event tests: subscription states and cards written
directly, and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from websockets.asyncio.client import ClientConnection, connect

from seatwise.models.core.tables import CardBrand, PaymentCard, StatusReason, Subscription, SubscriptionStatus
from tests.support import NOW, OrgFixture, recount


async def set_status(
    sub: Subscription, status: SubscriptionStatus, reason: StatusReason | None = None, *, at: datetime = NOW
) -> Subscription:
    """Move a subscription to `status` as the billing clock would (lock the pool, change it, sync)."""
    fields: dict = {"status": status, "status_reason": reason}
    if status is SubscriptionStatus.GRACE_PERIOD:
        fields["grace_ends_at"] = sub.current_period_end + timedelta(days=30)
    if status is SubscriptionStatus.SUSPENDED:
        fields["suspended_at"] = at
    if status is SubscriptionStatus.CANCELLED:
        fields["cancelled_at"] = at
    await Subscription.filter(id=sub.id).update(**fields)
    await recount(sub.organization_id, sub.product_id)
    return await Subscription.get(id=sub.id)


async def suspend(sub: Subscription, *, at: datetime = NOW) -> Subscription:
    return await set_status(sub, SubscriptionStatus.SUSPENDED, StatusReason.PAYMENT_FAILED, at=at)


async def cancel(
    sub: Subscription, reason: StatusReason = StatusReason.CANCELLED_BY_REQUEST, *, at: datetime = NOW
) -> Subscription:
    return await set_status(sub, SubscriptionStatus.CANCELLED, reason, at=at)


async def card(fx: OrgFixture, exp_month: int, exp_year: int, *, default: bool = True, last4: str = "4242") -> PaymentCard:
    """A card written directly (as the sandbox gateway would have tokenized it)."""
    return await PaymentCard.create(
        organization_id=fx.org.id,
        brand=CardBrand.VISA,
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
        gateway_token=f"tok_sandbox_ok_test{last4}",
        is_default=default,
        created_at=NOW,
    )


# ---------------------------------------------------------------- graphql-transport-ws

LICENSE_EVENTS = """
subscription Events($sku: String) {
  licenseEvents(productSku: $sku) {
    kind at
    product { sku }
    user { id email status }
    seats { purchased assigned available overage inConflict }
  }
}
"""


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


@asynccontextmanager
async def ws_client(http_url: str) -> AsyncIterator[ClientConnection]:
    async with connect(ws_url(http_url), subprotocols=["graphql-transport-ws"], open_timeout=10, close_timeout=2) as ws:
        yield ws


async def init(ws: ClientConnection, token: str | None) -> dict:
    """Send connection_init (with the token, if any) and return the server's first message."""
    payload = {"Authorization": f"Bearer {token}"} if token is not None else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def subscribe(ws: ClientConnection, sku: str | None = None, op_id: str = "1") -> None:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": LICENSE_EVENTS, "variables": {"sku": sku}}}))


async def next_event(ws: ClientConnection, timeout: float = 10) -> dict:
    """The next licenseEvents payload (pings answered, other messages fail the test)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        return message["payload"]["data"]["licenseEvents"]


async def until_listening(ws: ClientConnection, poke: Callable[[], Awaitable[None]], attempts: int = 40) -> dict:
    """The server starts a subscription asynchronously after `subscribe`: repeat `poke` (a change
    that raises an event for this subscriber) until one arrives, and return it."""
    for _ in range(attempts):
        await poke()
        try:
            return await next_event(ws, timeout=0.5)
        except TimeoutError:
            continue
    raise AssertionError("the subscription never delivered an event")


async def event_matching(ws: ClientConnection, predicate: Callable[[dict], bool], timeout: float = 10) -> tuple[dict, list[dict]]:
    """The first event satisfying `predicate`, and the events skipped before it (e.g. leftovers of
    `until_listening`)."""
    skipped: list[dict] = []
    while True:
        event = await next_event(ws, timeout)
        if predicate(event):
            return event, skipped
        skipped.append(event)


ASSIGN = """
mutation($user: ID!, $sku: String!) {
  assignLicense(input: {userId: $user, productSku: $sku}) {
    seats { purchased assigned available overage inConflict }
    userErrors { code message }
  }
}
"""
REVOKE = """
mutation($user: ID!, $sku: String!) {
  revokeLicense(input: {userId: $user, productSku: $sku}) {
    seats { purchased assigned available overage inConflict }
    userErrors { code message }
  }
}
"""


async def assign_over_http(client, url: str, token: str, user_id: int, sku: str) -> dict:
    from tests.support import post

    body = await post(client, url, ASSIGN, {"user": str(user_id), "sku": sku}, token)
    assert body.get("errors") is None and body["data"]["assignLicense"]["userErrors"] == [], body
    return body["data"]["assignLicense"]


class Toggle:
    """A poke for `until_listening`: assigns, then revokes, then assigns ... one user's license over HTTP."""

    def __init__(self, client, url: str, token: str, user_id: int, sku: str) -> None:
        self.client, self.url, self.token, self.user_id, self.sku = client, url, token, user_id, sku
        self.held = False

    async def __call__(self) -> None:
        from tests.support import post

        query, name = (REVOKE, "revokeLicense") if self.held else (ASSIGN, "assignLicense")
        body = await post(self.client, self.url, query, {"user": str(self.user_id), "sku": self.sku}, self.token)
        assert body.get("errors") is None and body["data"][name]["userErrors"] == [], body
        self.held = not self.held
