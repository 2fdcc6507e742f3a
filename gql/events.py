"""Live seat events over WebSocket (graphql-transport-ws): the root Subscription type.

The connection is authenticated in `connection_init` (gql/view.py); every event of the viewer's
organization, and only of it, is delivered, optionally narrowed to one product. The credential is
checked again before each event: once it is revoked or lapsed (or its user deleted), the
subscription completes instead of delivering.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import AsyncGenerator, Optional

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.scalars import DateTime
from gql.types import LicenseEventKind, Product, SeatPool, User
from models import auth
from models.clock import utcnow
from models.errors import DomainError, Unauthenticated
from models.events import SeatEvent, broker
from models.lookups import get_user
from models.seats import PoolView


@strawberry.type
class LicenseEvent:
    kind: LicenseEventKind
    product: Product
    user: Optional[User] = strawberry.field(description="The user concerned, if any and not purged.")
    seats: SeatPool = strawberry.field(description="The product's seat pool right after the event.")
    at: DateTime


async def _event(context: Context, event: SeatEvent) -> LicenseEvent:
    product = (await context.products())[event.product_sku]
    user = None
    if event.user_id is not None:
        try:
            user = User.from_model(await get_user(context.viewer.org, event.user_id, ["userId"]))
        except DomainError:
            user = None  # purged meanwhile
    return LicenseEvent(
        kind=event.kind, product=Product.from_model(product), user=user,
        seats=SeatPool.from_model(PoolView(product, event.purchased, event.assigned)), at=event.at,
    )


async def _still_valid(context: Context) -> bool:
    try:
        context.set_viewer(await auth.authenticate(context.connection_authorization(), now=utcnow()))
    except Unauthenticated:
        return False
    return True


@strawberry.type(name="Subscription")
class LiveUpdates:
    @strawberry.subscription(description="Seat changes of the viewer's organization, as they happen.")
    async def license_events(self, info: Info[Context, None], product_sku: Optional[str] = None) -> AsyncGenerator[LicenseEvent, None]:
        context = info.context
        # aclosing: the broker drops this subscriber's queue as soon as the client stops listening.
        async with aclosing(broker.subscribe(context.viewer.org.id)) as stream:
            async for event in stream:
                if product_sku is not None and event.product_sku != product_sku:
                    continue
                if not await _still_valid(context):
                    return
                context.forget()  # one context lives as long as the connection: show each user as of this event
                yield await _event(context, event)
