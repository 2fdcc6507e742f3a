"""events(after, first, types); webhook endpoints and deliveries (GLOBAL_ADMIN only)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.common import connection
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanAdminister
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, PAGE_AFTER, PAGE_FIRST, USER_ERRORS
from seatwise.gql.graphql.webhooks.types import (
    EventConnection,
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDeliveryStatus,
    WebhookEndpoint,
)
from seatwise.models.core import tables
from seatwise.models.core.errors import DomainError
from seatwise.models.core.pages import BadUserInput, Keyset, check_first, paginate
from seatwise.models.events import outbox
from seatwise.models.people.auth import Viewer
from seatwise.models.webhooks import endpoints

DELIVERY_ORDER = Keyset(("-id",))


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="https://..., at most 2,048 characters, no credentials, a public address.")
    event_types: list[str] | None = strawberry.field(default_factory=list, description="Empty: every type.")
    description: str | None = strawberry.field(default="", description="A note for the admins, at most 500 characters.")


@strawberry.type(description="The new endpoint and its secret.")
class CreateWebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="The endpoint.")
    secret: str | None = strawberry.field(default=None, description="whsec_...: shown only here.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="What to change of an endpoint; null fields stay as they are.")
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint: a global id (a plain number is deprecated).")
    url: str | None = strawberry.field(default=None, description="A new URL (the same rules as at creation).")
    event_types: list[str] | None = strawberry.field(default=None, description="Empty: every type.")
    description: str | None = strawberry.field(default=None, description="A new note.")
    enabled: bool | None = strawberry.field(default=None, description="Turn deliveries on or off.")


@strawberry.type(description="The changed endpoint.")
class UpdateWebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="The endpoint.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The endpoint to delete.")
class DeleteWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint: a global id (a plain number is deprecated).")


@strawberry.type(description="Which endpoint was deleted.")
class DeleteWebhookEndpointPayload:
    deleted_endpoint_id: strawberry.ID | None = strawberry.field(default=None, description="Its id.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The endpoint whose secret to replace.")
class RotateWebhookSecretInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint: a global id (a plain number is deprecated).")


@strawberry.type(description="The endpoint and its new secret.")
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="The endpoint.")
    secret: str | None = strawberry.field(
        default=None, description="The new secret; the old one still signs alongside it for 24 hours."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The endpoint to send a webhook.test event to.")
class SendTestWebhookInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint: a global id (a plain number is deprecated).")


@strawberry.type(description="The test delivery.")
class SendTestWebhookPayload:
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="Pending; the worker delivers it.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery: a global id (a plain number is deprecated).")


@strawberry.type(description="The new delivery of the same event.")
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="Pending; the worker delivers it.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _delivery(row: tables.WebhookDelivery) -> WebhookDelivery:
    endpoint = await tables.WebhookEndpoint.get(id=row.endpoint_id)
    event = await tables.Event.get(id=row.event_id)
    return WebhookDelivery.from_model(row, endpoint, event)


@strawberry.type
class Query:
    @strawberry.field(
        description="The organization's events in sequence order, after the sequence `after` (0: from the first kept)."
    )
    async def events(
        self,
        info: Info[Context, None],
        after: Annotated[int | None, strawberry.argument(description="A sequence number; the page starts after it.")] = 0,
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        types: Annotated[list[str] | None, strawberry.argument(description="Only these types; null or empty: all.")] = None,
    ) -> EventConnection:
        limit = check_first(first)
        if after is None or after < 0:
            raise BadUserInput("`after` must be a sequence number, 0 or more.")
        rows, more = await outbox.page(info.context.viewer.org.id, after=after, first=limit, types=types)
        return EventConnection.from_rows(rows, more, after)

    @strawberry.field(description="The organization's webhook endpoints (GLOBAL_ADMIN).", permission_classes=[CanAdminister])
    async def webhook_endpoints(self, info: Info[Context, None]) -> list[WebhookEndpoint]:
        rows = await tables.WebhookEndpoint.filter(organization_id=info.context.viewer.org.id).order_by("id")
        return [WebhookEndpoint.from_model(row) for row in rows]

    @strawberry.field(description="An endpoint's deliveries, newest first (GLOBAL_ADMIN).", permission_classes=[CanAdminister])
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        endpoint_id: Annotated[
            strawberry.ID, strawberry.argument(description="The endpoint: a global id (a plain number is deprecated).")
        ],
        status: Annotated[WebhookDeliveryStatus | None, strawberry.argument(description="Only these; null for all.")] = None,
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> WebhookDeliveryConnection:
        try:
            endpoint = await endpoints.find(info.context.viewer.org, ids.local(endpoint_id, "WebhookEndpoint"))
        except DomainError:
            raise BadUserInput("No such webhook endpoint.") from None
        page = await paginate(endpoints.deliveries_query(endpoint, status.name if status else None), first, after, DELIVERY_ORDER)
        events = await endpoints.events_of(page.items)
        return connection(
            page,
            lambda row: WebhookDelivery.from_model(row, endpoint, events[row.event_id]),
            WebhookDeliveryEdge,
            WebhookDeliveryConnection,
        )


@strawberry.type
class Mutation:
    @domain_mutation(CanAdminister, description="A new webhook endpoint and its secret (shown once). Errors: INVALID_INPUT.")
    async def create_webhook_endpoint(
        viewer: Viewer, input: Annotated[CreateWebhookEndpointInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> CreateWebhookEndpointPayload:
        row, secret = await endpoints.create(
            viewer.org, input.url, input.event_types, input.description, actor=viewer.actor, now=viewer.now
        )
        return CreateWebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(row), secret=secret, user_errors=[])

    @domain_mutation(CanAdminister, description="Change an endpoint. Errors: INVALID_INPUT, NOT_FOUND.")
    async def update_webhook_endpoint(
        viewer: Viewer, input: Annotated[UpdateWebhookEndpointInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> UpdateWebhookEndpointPayload:
        changes = {"url": input.url, "event_types": input.event_types, "description": input.description, "enabled": input.enabled}
        row = await endpoints.update(
            viewer.org, ids.local(input.endpoint_id, "WebhookEndpoint"), changes, actor=viewer.actor, now=viewer.now
        )
        return UpdateWebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(row), user_errors=[])

    @domain_mutation(CanAdminister, description="Delete an endpoint and its deliveries. Errors: NOT_FOUND.")
    async def delete_webhook_endpoint(
        viewer: Viewer, input: Annotated[DeleteWebhookEndpointInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> DeleteWebhookEndpointPayload:
        deleted = await endpoints.delete(
            viewer.org, ids.local(input.endpoint_id, "WebhookEndpoint"), actor=viewer.actor, now=viewer.now
        )
        return DeleteWebhookEndpointPayload(deleted_endpoint_id=ids.gid("WebhookEndpoint", deleted), user_errors=[])

    @domain_mutation(CanAdminister, description="A new secret; the old one signs beside it for 24 hours. Errors: NOT_FOUND.")
    async def rotate_webhook_secret(
        viewer: Viewer, input: Annotated[RotateWebhookSecretInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RotateWebhookSecretPayload:
        row, secret = await endpoints.rotate(
            viewer.org, ids.local(input.endpoint_id, "WebhookEndpoint"), actor=viewer.actor, now=viewer.now
        )
        return RotateWebhookSecretPayload(endpoint=WebhookEndpoint.from_model(row), secret=secret, user_errors=[])

    @domain_mutation(CanAdminister, description="Send a webhook.test event to one endpoint. Errors: NOT_FOUND.")
    async def send_test_webhook(
        viewer: Viewer, input: Annotated[SendTestWebhookInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SendTestWebhookPayload:
        row = await endpoints.send_test(viewer.org, ids.local(input.endpoint_id, "WebhookEndpoint"), now=viewer.now)
        return SendTestWebhookPayload(delivery=await _delivery(row), user_errors=[])

    @domain_mutation(CanAdminister, description="Deliver a delivery's event again, as a new delivery. Errors: NOT_FOUND.")
    async def redeliver_webhook(
        viewer: Viewer, input: Annotated[RedeliverWebhookInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RedeliverWebhookPayload:
        row = await endpoints.redeliver(viewer.org, ids.local(input.delivery_id, "WebhookDelivery"), now=viewer.now)
        return RedeliverWebhookPayload(delivery=await _delivery(row), user_errors=[])
