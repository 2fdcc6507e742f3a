"""Events as the API shows them: the audit trail's records, and live license events."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core.common import PageInfo, Product, connection, exposed, total_count_field
from seatwise.gql.graphql.core.phrases import CURSOR, EDGES, NODE, NODES, PAGE_INFO, TOTAL_COUNT
from seatwise.gql.graphql.core.scalars import JSON, DateTime
from seatwise.gql.graphql.people.types import User
from seatwise.gql.graphql.seats.types import SeatPool
from seatwise.models.core import tables
from seatwise.models.core.pages import Page
from seatwise.models.events import audit as audit_rules
from seatwise.models.events.live import LicenseEventKind as DomainLicenseEventKind

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
AuditTargetType = exposed(
    audit_rules.AuditTarget,
    "AuditTargetType",
    description="The kind of object an audit event is about.",
    values={
        "ORGANIZATION": "The organization (e.g. test_clock.advanced).",
        "USER": "A user (user.* and license.* actions).",
        "SUBSCRIPTION": "A subscription (licenses.* and subscription.* actions).",
        "PAYMENT_CARD": "A payment card (card.* and charge.failed).",
        "SERVICE_REQUEST": "A service request.",
        "DATA_EXPORT": "A data export.",
        "API_TOKEN": "An API token.",
        "SESSION": "A sign-in session.",
        "GROUP": "A group (group.* actions).",
    },
)
LicenseEventKind = exposed(
    DomainLicenseEventKind,
    "LicenseEventKind",
    description="What a live license event reports.",
    values={
        "ASSIGNED": "A license was given to a user.",
        "REVOKED": "A license was taken back from a user.",
        "PURCHASED": "Licenses were bought.",
        "REDUCED": "Licenses were removed from a subscription.",
        "USER_DELETED": "A user was deleted, freeing their licenses.",
        "USER_RESTORED": "A deleted user was restored, with the licenses still available.",
        "SUBSCRIPTION_STATUS_CHANGED": "A subscription's status changed (renewed, past due, suspended, cancelled).",
        "CONFLICT_OPENED": "The product went into conflict (follows the change that caused it).",
        "CONFLICT_RESOLVED": "The product is no longer in conflict (follows the change that settled it).",
        "WAITING": "A user joined the product's waitlist.",
        "RECLAIMED": "A license taken back by a reclaim policy.",
    },
)


@strawberry.type(description="One recorded change to one target; never updated or deleted.")
class AuditEvent(relay.Node):
    id: relay.NodeID[int]
    action: str = strawberry.field(description="e.g. license.assigned, user.deleted, subscription.cancel_requested")
    actor: str | None = strawberry.field(
        description="Email of the admin who acted (an API token acts as its owner); null for the billing clock."
    )
    target_type: audit_rules.AuditTarget = strawberry.field(description="What kind of object changed.")
    target_id: strawberry.ID = strawberry.field(description="The id of the object that changed.")
    details: JSON = strawberry.field(description="What changed, as a JSON object specific to the action; never holds a secret.")
    at: DateTime = strawberry.field(description="When it happened, on the organization's clock.")

    @classmethod
    def from_model(cls, row: tables.AuditEvent) -> AuditEvent:
        return cls(
            id=row.id,
            action=row.action,
            actor=row.actor,
            target_type=AuditTargetType(row.target_type),
            target_id=strawberry.ID(row.target_id),
            details=JSON(row.details),
            at=row.at,
        )


@strawberry.type(description="One AuditEvent of a page with its cursor.")
class AuditEventEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: AuditEvent = strawberry.field(description=NODE)


@strawberry.type(description="A page of AuditEvent items, newest first.")
class AuditEventConnection:
    edges: list[AuditEventEdge] = strawberry.field(description=EDGES)
    nodes: list[AuditEvent] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = total_count_field(description=TOTAL_COUNT)
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.AuditEvent]) -> AuditEventConnection:
        return connection(page, AuditEvent.from_model, AuditEventEdge, cls)


@strawberry.type(description="One seat change of a product, as it happens.")
class LicenseEvent(relay.Node):
    kind: DomainLicenseEventKind = strawberry.field(description="What happened.")
    product: Product = strawberry.field(description="The product whose seats changed.")
    user: User | None = strawberry.field(description="The user concerned, if any and not purged.")
    seats: SeatPool = strawberry.field(description="The product's seat pool right after the event.")
    at: DateTime = strawberry.field(description="When it happened, on the organization's clock.")

    @classmethod
    def resolve_id(cls, root: LicenseEvent, *, info: Info) -> str:
        # The event itself: what, which product, whom and when (a live event is not kept: node() finds none).
        user = "" if root.user is None else root.user.id
        return f"{root.kind.value}:{root.product.sku}:{user}:{root.at.isoformat()}"
