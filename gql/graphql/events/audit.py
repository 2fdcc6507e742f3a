"""The audit trail, newest first."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.types import AuditEventConnection
from seatwise.models.core.pages import paginate
from seatwise.models.events import audit


@strawberry.input
class AuditFilter:
    action: str | None = None
    target_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field(description="Newest first.")
    async def audit_events(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None, filter: AuditFilter | None = None
    ) -> AuditEventConnection:
        query = audit.events_query(
            info.context.viewer.org,
            action=filter.action if filter else None,
            target_id=str(filter.target_id) if filter and filter.target_id is not None else None,
        )
        return AuditEventConnection.from_page(await paginate(query, first, after, audit.EVENT_ORDER))
