"""Events of the outbox, webhook endpoints and their deliveries as the API shows them (never a secret)."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from strawberry import relay

from seatwise.gql.graphql.core.common import PageInfo, total_count_field
from seatwise.gql.graphql.core.phrases import CURSOR, EDGES, NODE, NODES, PAGE_INFO, TOTAL_COUNT
from seatwise.gql.graphql.core.scalars import JSON, DateTime
from seatwise.models.core import tables
from seatwise.models.core.pages import Page


@strawberry.type(description="An event of the organization: an audit event or a notice, in commit order.")
class Event(relay.Node):
    id: relay.NodeID[int]
    type: str = strawberry.field(
        description="The audit action (license.assigned, ...) or notice (card.expiring, seats.low, licenses.waiting, webhook.disabled)."
    )
    sequence: int = strawberry.field(description="Gap-free within the organization: 1, 2, 3, ... in commit order.")
    at: DateTime = strawberry.field(description="When it happened, on the organization's clock.")
    data: JSON = strawberry.field(description="The payload as webhooks deliver it (JSON).")

    @classmethod
    def from_model(cls, row: tables.Event) -> Event:
        return cls(id=row.id, type=row.type, sequence=row.sequence, at=row.at, data=JSON(row.data))


@strawberry.type(description="One Event of a page with its cursor (its sequence).")
class EventEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: Event = strawberry.field(description=NODE)


@strawberry.type(description="A page of events in sequence order.")
class EventConnection:
    edges: list[EventEdge] = strawberry.field(description=EDGES)
    nodes: list[Event] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)

    @classmethod
    def from_rows(cls, rows: list[tables.Event], has_next: bool, after: int) -> EventConnection:
        edges = [EventEdge(cursor=str(row.sequence), node=Event.from_model(row)) for row in rows]
        info = PageInfo(
            has_next_page=has_next,
            has_previous_page=after > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, nodes=[edge.node for edge in edges], page_info=info)


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not delivered yet; attempted again at nextAttemptAt.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="A 2xx answer came within 15 s.")
    FAILED = strawberry.enum_value("FAILED", description="Every attempt of the retry schedule failed (or 410 Gone).")


@strawberry.type(description="A URL that receives the organization's events, signed (Standard Webhooks).")
class WebhookEndpoint(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str = strawberry.field(description="The admins' note.")
    event_types: list[str] = strawberry.field(description="Empty: every type.")
    enabled: bool = strawberry.field(description="Disabled endpoints get no delivery.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled (410 Gone, 5 days of failures), when it was not by an admin."
    )
    created_at: DateTime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: tables.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=row.id,
            url=row.url,
            description=row.description,
            event_types=list(row.event_types),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
        )


@strawberry.type(description="One attempt of a delivery.")
class WebhookAttempt:
    at: DateTime = strawberry.field(description="When it was made.")
    http_status: int | None = strawberry.field(description="Null when no response came (timeout, refused, DNS).")
    duration_ms: int = strawberry.field(description="How long it took.")
    response: str | None = strawberry.field(description="The first 1 KiB of the response body.")
    error: str | None = strawberry.field(description="Why it failed; null when delivered.")

    @classmethod
    def from_record(cls, item: dict) -> WebhookAttempt:
        return cls(
            at=datetime.fromisoformat(item["at"]),
            http_status=item.get("httpStatus"),
            duration_ms=item.get("durationMs", 0),
            response=item.get("response"),
            error=item.get("error"),
        )


@strawberry.type(description="One event sent to one endpoint, with its attempts.")
class WebhookDelivery(relay.Node):
    id: relay.NodeID[int]
    endpoint: WebhookEndpoint = strawberry.field(description="Where it goes.")
    event: Event = strawberry.field(description="What it carries.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: list[WebhookAttempt] = strawberry.field(description="Every attempt so far, oldest first.")
    next_attempt_at: DateTime | None = strawberry.field(description="When it is attempted next; null when done.")

    @classmethod
    def from_model(cls, row: tables.WebhookDelivery, endpoint: tables.WebhookEndpoint, event: tables.Event) -> WebhookDelivery:
        return cls(
            id=row.id,
            endpoint=WebhookEndpoint.from_model(endpoint),
            event=Event.from_model(event),
            status=WebhookDeliveryStatus(row.status),
            attempts=[WebhookAttempt.from_record(a) for a in row.attempts],
            next_attempt_at=row.next_attempt_at if row.status == "PENDING" else None,
        )


@strawberry.type(description="One WebhookDelivery of a page with its cursor.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: WebhookDelivery = strawberry.field(description=NODE)


@strawberry.type(description="A page of deliveries, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description=EDGES)
    nodes: list[WebhookDelivery] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = total_count_field(description=TOTAL_COUNT)
    page: strawberry.Private[Page]
