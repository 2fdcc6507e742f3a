"""The audit trail, newest first."""

from __future__ import annotations

from typing import Annotated, Any

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


# The Node types that audit events are about: a global id of one of them narrows the filter to that type.
_TARGETS = {
    "Organization": audit.AuditTarget.ORGANIZATION,
    "User": audit.AuditTarget.USER,
    "ProductSubscription": audit.AuditTarget.SUBSCRIPTION,
    "PaymentCard": audit.AuditTarget.PAYMENT_CARD,
    "ServiceRequest": audit.AuditTarget.SERVICE_REQUEST,
    "DataExport": audit.AuditTarget.DATA_EXPORT,
    "ApiToken": audit.AuditTarget.API_TOKEN,
    "Group": audit.AuditTarget.GROUP,
}


def _target(raw: str | None) -> dict[str, Any]:
    """The filter's target: a global id gives its key and its type (a type no audit event is about: no event); a
    plain id (deprecated) matches targets of any type with that id."""
    if raw is None:
        return {"target_id": None}
    decoded = None if raw.isascii() and raw.isdigit() else ids.decode(raw)
    if decoded is None:
        return {"target_id": raw}
    target = _TARGETS.get(decoded.type_name)
    if target is None:
        return {"target_id": ids.NOT_AN_ID}  # no target id is "-": no event
    return {"target_id": decoded.node_id, "target_type": target}


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
            **_target(filter.target_id if filter else None),
        )
        return AuditEventConnection.from_page(await paginate(query, first, after, audit.EVENT_ORDER))
