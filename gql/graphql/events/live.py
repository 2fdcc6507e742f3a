"""Live seat events over WebSocket (graphql-transport-ws): the root Subscription type.

The connection is authenticated in `connection_init` (gql/ws/transport.py); every event of the viewer's
organization, and only of it, is delivered, optionally narrowed to one product.

A subscription ends with an UNAUTHENTICATED error as soon as its credential ends: the broker ends it
on a revocation notice (sign-out, revoked token, role change, deleted user; from any instance) and at
the credential's expiry, with no seat event needed; the credential is also checked again before
each event. The WebSocket protocol (gql/ws/transport.py) sends that end as a graphql-transport-ws
`error` message for the operation.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import credentials
from seatwise.gql.graphql.core.common import Product
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.events.types import LicenseEvent
from seatwise.gql.graphql.people.types import User
from seatwise.gql.graphql.seats.types import SeatPool
from seatwise.models.core.errors import DomainError
from seatwise.models.core.lookups import get_user
from seatwise.models.events.live import SeatEvent, broker
from seatwise.models.seats.pools import PoolView


async def _event(context: Context, event: SeatEvent) -> LicenseEvent:
    product = (await context.products())[event.product_sku]
    user = None
    if event.user_id is not None:
        try:
            user = User.from_model(await get_user(context.viewer.org, event.user_id, "userId"))
        except DomainError:
            user = None  # purged meanwhile
    return LicenseEvent(
        kind=event.kind,
        product=Product.from_model(product),
        user=user,
        seats=SeatPool.from_model(PoolView(product, event.purchased, event.assigned, event.waiting)),
        at=event.at,
    )


async def _check_credential(context: Context) -> None:
    """Raise Unauthenticated once the connection's credential is revoked or lapsed (or its user deleted)."""
    context.set_viewer(await credentials.authenticate(context.authorization()))


@strawberry.type(name="Subscription", description="Live events over graphql-transport-ws on /graphql (or multipart HTTP).")
class LiveUpdates:
    @strawberry.subscription(description="Seat changes of the viewer's organization, as they happen.")
    async def license_events(
        self,
        info: Info[Context, None],
        product_sku: Annotated[
            str | None, strawberry.argument(description="Only this product's events; null for every product.")
        ] = None,
    ) -> AsyncGenerator[LicenseEvent, None]:
        context = info.context
        credential = context.viewer.credential
        # aclosing: the broker drops this subscriber's queue as soon as the client stops listening.
        # The stream raises SubscriptionEnded (an Unauthenticated) when the credential ends or lapses.
        stream = broker.subscribe(
            context.viewer.org.id, credential_id=credential.id, user_id=context.viewer.user.id, expires_at=credential.expires_at
        )
        async with aclosing(stream):
            async for event in stream:
                if product_sku is not None and event.product_sku != product_sku:
                    continue
                await _check_credential(context)
                context.forget()  # one context lives as long as the connection: show each user as of this event
                yield await _event(context, event)
