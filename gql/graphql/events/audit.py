"""The audit trail, newest first."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.phrases import PAGE_AFTER, PAGE_FIRST
from seatwise.gql.graphql.events.types import AuditEventConnection
from seatwise.models.core.pages import paginate
from seatwise.models.events import audit


@strawberry.input(description="Narrows auditEvents; each field set must match.")
class AuditFilter:
    action: str | None = strawberry.field(default=None, description="Exactly this action, e.g. license.assigned.")
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events about the object with this id: its global id, or its plain id (targetId)."
    )


@strawberry.type
class Query:
    @strawberry.field(description="Newest first.")
    async def audit_events(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
        filter: Annotated[
            AuditFilter | None, strawberry.argument(description="Narrows the list by action and target; null for all.")
        ] = None,
    ) -> AuditEventConnection:
        query = audit.events_query(
            info.context.viewer.org,
            action=filter.action if filter else None,
            target_id=ids.any_key(filter.target_id) if filter and filter.target_id is not None else None,
        )
        return AuditEventConnection.from_page(await paginate(query, first, after, audit.EVENT_ORDER))
