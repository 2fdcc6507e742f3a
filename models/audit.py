"""The audit trail: who changed what, written in the transaction that makes the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from models.inputs import column_length, parse_id, query_text
from models.tables import AdminRole, AuditEvent, Organization


@dataclass(frozen=True)
class Actor:
    """Who acts: an admin (directly or through an API token), or the billing clock (email None)."""

    email: str | None
    role: AdminRole | None = None
    user_id: int | None = None
    token_name: str | None = None

    @property
    def is_clock(self) -> bool:
        return self.email is None


BILLING_CLOCK = Actor(email=None)


async def record(
    org: Organization | int,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    target_id: Any,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Callers pass details without secrets; events are never updated."""
    payload = dict(details or {})
    if actor.token_name is not None:
        payload.setdefault("apiToken", actor.token_name)
    org_id = org if isinstance(org, int) else org.id
    return await AuditEvent.create(
        organization_id=org_id,
        action=action,
        actor=actor.email,
        target_type=target_type,
        target_id=str(target_id),
        details=payload,
        at=at,
    )


def events_query(org: Organization, *, action: str | None = None, target_id: str | None = None) -> QuerySet[AuditEvent]:
    """Audit events of one organization, newest first by (at, id)."""
    action = query_text(action, column_length(AuditEvent, "action"), "The action filter")
    target_id = query_text(target_id, column_length(AuditEvent, "target_id"), "The targetId filter")
    if target_id is not None and (pk := parse_id(target_id)) is not None:
        target_id = str(pk)  # targets are stored as str(id): "060577" names the same target as "60577"
    query = AuditEvent.filter(organization_id=org.id)
    if action:
        query = query.filter(action=action)
    if target_id:
        query = query.filter(target_id=target_id)
    return query.order_by("-at", "-id")
