"""Records as the API shows them: service requests, data exports, audit events."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.billing.types import ProductSubscription
from seatwise.gql.graphql.core.common import (
    AuditTargetType,
    ExportFormat,
    PageInfo,
    ServiceRequestCategory,
    ServiceRequestStatus,
    connection,
    total_count_field,
)
from seatwise.gql.graphql.core.scalars import JSON, DateTime
from seatwise.models.core import tables
from seatwise.models.core.pages import Page


@strawberry.type
class ServiceRequest:
    id: strawberry.ID
    category: ServiceRequestCategory
    status: ServiceRequestStatus
    description: str
    resolution: str | None = strawberry.field(description="What was done, for RESOLVED requests.")
    created_at: DateTime
    resolved_at: DateTime | None
    model: strawberry.Private[tables.ServiceRequest]

    @classmethod
    def from_model(cls, row: tables.ServiceRequest) -> ServiceRequest:
        return cls(
            id=strawberry.ID(str(row.id)),
            category=row.category,
            status=row.status,
            description=row.description,
            resolution=row.resolution,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            model=row,
        )

    @strawberry.field
    async def subscription(self, info: Info) -> ProductSubscription | None:
        if self.model.subscription_id is None:
            return None
        sub = await info.context.subscriptions.load(self.model.subscription_id)
        return ProductSubscription.from_model(sub) if sub else None


@strawberry.type
class ServiceRequestEdge:
    cursor: str
    node: ServiceRequest


@strawberry.type
class ServiceRequestConnection:
    edges: list[ServiceRequestEdge]
    page_info: PageInfo
    total_count: int = total_count_field()
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.ServiceRequest]) -> ServiceRequestConnection:
        return connection(page, ServiceRequest.from_model, ServiceRequestEdge, cls)


@strawberry.type
class DataExport:
    id: strawberry.ID
    format: ExportFormat
    size_bytes: int
    sha256: str = strawberry.field(description="Lower-case hex SHA-256 of the file.")
    download_url: str = strawberry.field(
        description="Absolute URL of the file (a path when the request named no host); GET it with the same Authorization header."
    )
    created_at: DateTime

    @classmethod
    def from_model(cls, row: tables.DataExport) -> DataExport:
        return cls(
            id=strawberry.ID(str(row.id)),
            format=row.format,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            download_url=f"/exports/{row.id}",
            created_at=row.created_at,
        )


@strawberry.type
class AuditEvent:
    id: strawberry.ID
    action: str = strawberry.field(description="e.g. license.assigned, user.deleted, subscription.cancel_requested")
    actor: str | None = strawberry.field(
        description="Email of the admin who acted (an API token acts as its owner); null for the billing clock."
    )
    target_type: AuditTargetType
    target_id: strawberry.ID
    details: JSON
    at: DateTime

    @classmethod
    def from_model(cls, row: tables.AuditEvent) -> AuditEvent:
        return cls(
            id=strawberry.ID(str(row.id)),
            action=row.action,
            actor=row.actor,
            target_type=AuditTargetType(row.target_type),
            target_id=strawberry.ID(row.target_id),
            details=JSON(row.details),
            at=row.at,
        )


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
    total_count: int = total_count_field()
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.AuditEvent]) -> AuditEventConnection:
        return connection(page, AuditEvent.from_model, AuditEventEdge, cls)
