"""Service requests as the API shows them."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.billing.types import ProductSubscription
from seatwise.gql.graphql.core.common import PageInfo, connection, exposed, total_count_field
from seatwise.gql.graphql.core.phrases import CURSOR, EDGES, NODE, NODES, PAGE_INFO, TOTAL_COUNT
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core import tables
from seatwise.models.core.pages import Page

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
ServiceRequestCategory = exposed(
    tables.ServiceRequestCategory,
    "ServiceRequestCategory",
    description="What a service request is about.",
    values={
        "CANCEL_SUBSCRIPTION": "Cancel a subscription at period end (needs subscriptionId).",
        "BILLING": "A billing question.",
        "LICENSING": "A licensing question.",
        "OTHER": "Anything else.",
    },
)
ServiceRequestStatus = exposed(
    tables.ServiceRequestStatus,
    "ServiceRequestStatus",
    description="Where a service request stands.",
    values={
        "OPEN": "Waiting for the support team.",
        "RESOLVED": "Done; see resolution.",
    },
)


@strawberry.type(description="A request to the support team, or the record of a cancellation.")
class ServiceRequest(relay.Node):
    id: relay.NodeID[int]
    category: tables.ServiceRequestCategory = strawberry.field(description="What it is about.")
    status: tables.ServiceRequestStatus = strawberry.field(description="OPEN until the support team resolves it.")
    description: str = strawberry.field(description="The request as written (for a cancellation, its reason).")
    resolution: str | None = strawberry.field(description="What was done, for RESOLVED requests.")
    created_at: DateTime = strawberry.field(description="When it was submitted.")
    resolved_at: DateTime | None = strawberry.field(description="When it was resolved; null while OPEN.")
    model: strawberry.Private[tables.ServiceRequest]

    @classmethod
    def from_model(cls, row: tables.ServiceRequest) -> ServiceRequest:
        return cls(
            id=row.id,
            category=row.category,
            status=row.status,
            description=row.description,
            resolution=row.resolution,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            model=row,
        )

    @strawberry.field(description="The subscription concerned, for CANCEL_SUBSCRIPTION.")
    async def subscription(self, info: Info) -> ProductSubscription | None:
        if self.model.subscription_id is None:
            return None
        sub = await info.context.subscriptions.load(self.model.subscription_id)
        return ProductSubscription.from_model(sub) if sub else None


@strawberry.type(description="One ServiceRequest of a page with its cursor.")
class ServiceRequestEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: ServiceRequest = strawberry.field(description=NODE)


@strawberry.type(description="A page of ServiceRequest items, newest first.")
class ServiceRequestConnection:
    edges: list[ServiceRequestEdge] = strawberry.field(description=EDGES)
    nodes: list[ServiceRequest] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = total_count_field(description=TOTAL_COUNT)
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.ServiceRequest]) -> ServiceRequestConnection:
        return connection(page, ServiceRequest.from_model, ServiceRequestEdge, cls)
