"""The audit trail: who changed what, written in the transaction that makes the change."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from seatwise.models.core.clock import iso
from seatwise.models.core.inputs import column_length, parse_id, query_text
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import AdminRole, AuditEvent, Organization
from seatwise.models.events import outbox, states


class AuditAction(str, enum.Enum):
    """Every kind of change the audit trail records (one event per changed target)."""

    USER_CREATED = "user.created"
    USER_DELETED = "user.deleted"
    USER_RESTORED = "user.restored"
    USER_PURGED = "user.purged"
    USER_ADMIN_ROLE_CHANGED = "user.admin_role_changed"
    USER_PASSWORD_CHANGED = "user.password_changed"
    LICENSE_ASSIGNED = "license.assigned"
    LICENSE_REVOKED = "license.revoked"
    LICENSES_PURCHASED = "licenses.purchased"
    LICENSES_REDUCED = "licenses.reduced"
    SUBSCRIPTION_RENEWED = "subscription.renewed"
    SUBSCRIPTION_GRACE_STARTED = "subscription.grace_started"
    SUBSCRIPTION_SUSPENDED = "subscription.suspended"
    SUBSCRIPTION_CANCEL_REQUESTED = "subscription.cancel_requested"
    SUBSCRIPTION_CANCELLED = "subscription.cancelled"
    CARD_ADDED = "card.added"
    CARD_UPDATED = "card.updated"
    CARD_REMOVED = "card.removed"
    CARD_DEFAULT_CHANGED = "card.default_changed"
    SUBSCRIPTION_RESUMED = "subscription.resumed"
    CHARGE_FAILED = "charge.failed"
    SERVICE_REQUEST_SUBMITTED = "service_request.submitted"
    DATA_EXPORTED = "data.exported"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"
    SESSION_SIGNED_IN = "session.signed_in"
    SESSION_SIGNED_OUT = "session.signed_out"
    TEST_CLOCK_ADVANCED = "test_clock.advanced"
    GROUP_CREATED = "group.created"
    GROUP_UPDATED = "group.updated"
    GROUP_DELETED = "group.deleted"
    GROUP_MEMBERS_ADDED = "group.members_added"
    GROUP_MEMBERS_REMOVED = "group.members_removed"
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted"
    WEBHOOK_ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated"
    RECLAIM_POLICY_UPDATED = "reclaim_policy.updated"
    LICENSE_RECLAIM_SCHEDULED = "license.reclaim_scheduled"
    LICENSE_RECLAIMED = "license.reclaimed"
    USER_UPDATED = "user.updated"  # attributes written by the directory (SCIM): userName, names, emails, externalId
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    PRODUCT_ROLE_CREATED = "product_role.created"
    PRODUCT_ROLE_UPDATED = "product_role.updated"
    PRODUCT_ROLE_DELETED = "product_role.deleted"


class AuditTarget(str, enum.Enum):
    """What an audit event is about."""

    ORGANIZATION = "ORGANIZATION"
    USER = "USER"
    SUBSCRIPTION = "SUBSCRIPTION"
    PAYMENT_CARD = "PAYMENT_CARD"
    SERVICE_REQUEST = "SERVICE_REQUEST"
    DATA_EXPORT = "DATA_EXPORT"
    API_TOKEN = "API_TOKEN"
    SESSION = "SESSION"
    GROUP = "GROUP"


@dataclass(frozen=True)
class Actor:
    """Who acts: an admin (directly or through an API token), or the billing clock (email None)."""

    email: str | None
    role: AdminRole | None = None
    user_id: int | None = None
    token_name: str | None = None
    # The channel of the change when it is not the GraphQL API: "scim" for directory provisioning (details.via).
    via: str | None = None


BILLING_CLOCK = Actor(email=None)
# Audit events newest first.
EVENT_ORDER = Keyset(("-at", "-id"))


async def record(
    org: Organization | int,
    actor: Actor,
    action: AuditAction,
    *,
    target_type: AuditTarget,
    target_id: Any,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (and its event in the outbox). Callers pass details without secrets; events are never updated."""
    async with outbox.atomic():
        row = await AuditEvent.create(**_row(org, actor, action, target_type, target_id, at, details))
        [state] = await states.current(row.organization_id, [row])
        await outbox.append(row.organization_id, [_pending(row, state)])
    return row


async def record_many(
    org: Organization | int,
    actor: Actor,
    action: AuditAction,
    target_type: AuditTarget,
    target_ids: list[Any],
    *,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit event per target, in one INSERT (a bulk change of 1,000 users is one statement)."""
    await _many([AuditEvent(**_row(org, actor, action, target_type, t, at, details)) for t in target_ids])


async def record_each(
    org: Organization | int,
    actor: Actor,
    action: AuditAction,
    target_type: AuditTarget,
    items: list[tuple[Any, dict[str, Any]]],
    *,
    at: datetime,
) -> None:
    """One audit event per (target, details), in one INSERT."""
    if items:
        await _many([AuditEvent(**_row(org, actor, action, target_type, t, at, d)) for t, d in items])


async def _many(rows: list[AuditEvent]) -> None:
    if rows:
        async with outbox.atomic():
            await AuditEvent.bulk_create(rows)
            found = await states.current(rows[0].organization_id, rows)
            await outbox.append(rows[0].organization_id, [_pending(row, state) for row, state in zip(rows, found, strict=True)])


def _pending(row: AuditEvent, state: dict[str, Any]) -> outbox.Pending:
    """The event of an audit event: its action as the type, the audit event as the API shows it plus the target's
    current state (models/events/states.py) as the data."""
    data = {
        "auditEventId": str(row.id) if row.id is not None else None,
        "action": row.action,
        "actor": row.actor,
        "targetType": row.target_type,
        "targetId": row.target_id,
        "details": row.details,
        "at": iso(row.at),
        **state,
    }
    return outbox.Pending(row.action, row.at, data)


def _row(org, actor: Actor, action: AuditAction, target_type: AuditTarget, target_id: Any, at: datetime, details) -> dict:
    payload = dict(details or {})
    if actor.token_name is not None:
        payload.setdefault("apiToken", actor.token_name)
    if actor.via is not None:
        payload.setdefault("via", actor.via)
    return dict(
        organization_id=org if isinstance(org, int) else org.id,
        action=AuditAction(action).value,
        actor=actor.email,
        target_type=AuditTarget(target_type).value,
        target_id=str(target_id),
        details=payload,
        at=at,
    )


def events_query(
    org: Organization,
    *,
    action: str | None = None,
    target_id: str | None = None,
    target_type: AuditTarget | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events of one organization, newest first by (at, id); `target_type` narrows them to targets of that
    type."""
    action = query_text(action, column_length(AuditEvent, "action"), "The action filter")
    target_id = query_text(target_id, column_length(AuditEvent, "target_id"), "The targetId filter")
    if target_id is not None and (pk := parse_id(target_id)) is not None:
        target_id = str(pk)  # targets are stored as str(id): "060577" names the same target as "60577"
    query = AuditEvent.filter(organization_id=org.id)
    if action:
        query = query.filter(action=action)
    if target_id:
        query = query.filter(target_id=target_id)
    if target_type is not None:
        query = query.filter(target_type=target_type)
    return query.order_by(*EVENT_ORDER.fields)
