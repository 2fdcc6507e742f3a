"""Live seat events over WebSocket (graphql-transport-ws): the root Subscription type.

The connection is authenticated in `connection_init` (gql/view.py); every event of the viewer's
organization, and only of it, is delivered, optionally narrowed to one product.

A subscription ends with an UNAUTHENTICATED error as soon as its credential ends: the broker ends it
on a revocation notice (sign-out, revoked token, role change, deleted user; from any instance) and at
the credential's expiry, with no seat event needed; the credential is also checked again before
each event. `LiveEventsTransportWS` sends that end as a graphql-transport-ws `error` message for the
operation, and treats a client that goes away mid-send as the normal event it is.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import strawberry
from starlette.websockets import WebSocketState
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.types import Info
from strawberry.types.execution import ExecutionResult, PreExecutionError

from seatwise.gql.graphql.core import credentials
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.types import LicenseEventKind, Product, SeatPool, User
from seatwise.models.core.errors import DomainError
from seatwise.models.core.lookups import get_user
from seatwise.models.events.live import SeatEvent, broker
from seatwise.models.seats.licenses import PoolView

log = logging.getLogger("seatwise.events")


@strawberry.type
class LicenseEvent:
    kind: LicenseEventKind
    product: Product
    user: User | None = strawberry.field(description="The user concerned, if any and not purged.")
    seats: SeatPool = strawberry.field(description="The product's seat pool right after the event.")
    at: DateTime


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


@strawberry.type(name="Subscription")
class LiveUpdates:
    @strawberry.subscription(description="Seat changes of the viewer's organization, as they happen.")
    async def license_events(
        self, info: Info[Context, None], product_sku: str | None = None
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


def _unauthenticated(result: ExecutionResult) -> bool:
    return (
        result.data is None
        and bool(result.errors)
        and all((error.extensions or {}).get("code") == "UNAUTHENTICATED" for error in result.errors or ())
    )


class LiveEventsTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws as Strawberry speaks it, with two changes for live events:

    - a subscription that ends because its credential ended gets an `error` message for its id (the
      protocol's terminal error), not a `next` with errors followed by `complete`;
    - a client that closes its socket while a message is being sent is logged at debug level, not as
      an "Exception in worker task" with a traceback.
    """

    async def _send_result_stream(self, operation: Operation[Context, None], result_source: Any) -> None:
        # Strawberry's loop (handlers.py), plus the credential's end as an `error` message.
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if _unauthenticated(result):
                await operation.send_initial_errors(result.errors or [])  # `error` ends the operation: no `complete`
                return
            await operation.send_next(result)
            first = False

    def _disconnected(self, error: Exception) -> bool:
        if isinstance(error, WebSocketDisconnected):
            return True
        socket = getattr(self.websocket, "ws", None)
        states = (getattr(socket, "application_state", None), getattr(socket, "client_state", None))
        return isinstance(error, (RuntimeError, OSError)) and WebSocketState.DISCONNECTED in states

    async def handle_task_exception(self, error: Exception) -> None:
        if self._disconnected(error):
            log.debug("a WebSocket client went away while a message was being sent")
            return
        await super().handle_task_exception(error)
