"""Webhook endpoints of an organization (GLOBAL_ADMIN only): at most 10, each with its signing secret(s)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.tables import Event, Organization, WebhookDelivery, WebhookEndpoint
from seatwise.models.events import audit, outbox
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.webhooks import secrets
from seatwise.models.webhooks.addresses import check_for_endpoint, check_shape

MAX_ENDPOINTS = 10
MAX_DESCRIPTION = 500
MAX_TYPES = 100
# The old secret signs alongside the new one this long after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
NOTICES = ("card.expiring", "conflict.opened", "seats.low", "licenses.waiting", "webhook.disabled", "webhook.test")
TEST_EVENT = "webhook.test"


def known_types() -> set[str]:
    return {a.value for a in AuditAction} | set(NOTICES)


def _types(types: list[str] | None) -> list[str]:
    if types is None:
        return []
    if len(types) > MAX_TYPES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_TYPES} event types.", "event_types")
    unknown = sorted(set(types) - known_types())
    if unknown:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Unknown event type {unknown[0][:64]!r}.", "event_types")
    return sorted(set(types))


def _description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(ErrorCode.INVALID_INPUT, f"The description is longer than {MAX_DESCRIPTION} characters.", "description")
    return text


async def find(org: Organization, endpoint_id: Any) -> WebhookEndpoint:
    pk = parse_id(str(endpoint_id))
    row = await WebhookEndpoint.get_or_none(id=pk, organization_id=org.id) if pk is not None else None
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such webhook endpoint.", "endpoint_id")
    return row


def _details(row: WebhookEndpoint) -> dict[str, Any]:
    """What the audit trail keeps of an endpoint: never its secret."""
    return {"endpointId": str(row.id), "url": row.url, "eventTypes": row.event_types, "enabled": row.enabled}


async def _audit(org: Organization, actor: Actor, action: AuditAction, row: WebhookEndpoint, now: datetime) -> None:
    await audit.record(org, actor, action, target_type=AuditTarget.ORGANIZATION, target_id=org.id, at=now, details=_details(row))


async def create(
    org: Organization, url: str, event_types: list[str] | None, description: str | None, *, actor: Actor, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned only here)."""
    types, text = _types(event_types), _description(description)
    url = await check_for_endpoint(url)
    secret = secrets.new_secret()
    async with outbox.atomic():
        await hold_organization(org)
        if await WebhookEndpoint.filter(organization_id=org.id).count() >= MAX_ENDPOINTS:
            raise DomainError(ErrorCode.INVALID_INPUT, f"An organization has at most {MAX_ENDPOINTS} webhook endpoints.", "url")
        row = await WebhookEndpoint.create(
            organization_id=org.id, url=url, description=text, event_types=types, secret=secrets.seal(secret), created_at=now
        )
        await _audit(org, actor, AuditAction.WEBHOOK_ENDPOINT_CREATED, row, now)
    return row, secret


async def update(org: Organization, endpoint_id: Any, changes: dict[str, Any], *, actor: Actor, now: datetime) -> WebhookEndpoint:
    """Change url, event_types, description or enabled (keys absent: unchanged)."""
    values: dict[str, Any] = {}
    if changes.get("event_types") is not None:
        values["event_types"] = _types(changes["event_types"])
    if changes.get("description") is not None:
        values["description"] = _description(changes["description"])
    if changes.get("url") is not None:
        check_shape(changes["url"])  # the input's form before the endpoint's existence (docs/rules.md section 9)
    row = await find(org, endpoint_id)
    if changes.get("url") is not None:
        values["url"] = await check_for_endpoint(changes["url"])
    if changes.get("enabled") is not None:
        values["enabled"] = bool(changes["enabled"])
        if values["enabled"]:
            values.update(disabled_reason=None, failing_since=None)
    async with outbox.atomic():
        row.update_from_dict(values)
        await row.save()
        await _audit(org, actor, AuditAction.WEBHOOK_ENDPOINT_UPDATED, row, now)
    return row


async def delete(org: Organization, endpoint_id: Any, *, actor: Actor, now: datetime) -> int:
    row = await find(org, endpoint_id)
    async with outbox.atomic():
        await row.delete()
        await _audit(org, actor, AuditAction.WEBHOOK_ENDPOINT_DELETED, row, now)
    return row.id


async def rotate(org: Organization, endpoint_id: Any, *, actor: Actor, now: datetime) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing beside it for 24 hours."""
    row = await find(org, endpoint_id)
    secret = secrets.new_secret()
    async with outbox.atomic():
        row.previous_secret, row.previous_until, row.secret = row.secret, now + ROTATION_OVERLAP, secrets.seal(secret)
        await row.save()
        await _audit(org, actor, AuditAction.WEBHOOK_ENDPOINT_SECRET_ROTATED, row, now)
    return row, secret


def signing_secrets(row: WebhookEndpoint, now: datetime) -> list[str]:
    """Every secret that signs a delivery made at `now` (the newest first)."""
    found = [secrets.unseal(row.secret)]
    if row.previous_secret and row.previous_until and now < row.previous_until:
        found.append(secrets.unseal(row.previous_secret))
    return found


async def send_test(org: Organization, endpoint_id: Any, *, now: datetime) -> WebhookDelivery:
    """A `webhook.test` event delivered to this endpoint only."""
    row = await find(org, endpoint_id)
    async with outbox.atomic():
        event = await outbox.append_one(org.id, TEST_EVENT, now, {"endpointId": str(row.id)}, deliver=False)
        return await WebhookDelivery.create(endpoint_id=row.id, event_id=event.id, created_at=now)


async def redeliver(org: Organization, delivery_id: Any, *, now: datetime) -> WebhookDelivery:
    """The same event to the same endpoint again, as a new delivery (the receiver deduplicates by webhook-id)."""
    pk = parse_id(str(delivery_id))
    old = await WebhookDelivery.filter(id=pk, endpoint__organization_id=org.id).first() if pk is not None else None
    if old is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such webhook delivery.", "delivery_id")
    return await WebhookDelivery.create(endpoint_id=old.endpoint_id, event_id=old.event_id, created_at=now)


def deliveries_query(endpoint: WebhookEndpoint, status: str | None):
    query = WebhookDelivery.filter(endpoint_id=endpoint.id)
    if status:
        query = query.filter(status=status)
    return query


async def events_of(deliveries: list[WebhookDelivery]) -> dict[int, Event]:
    """The events of a page of deliveries, in one query."""
    ids = {d.event_id for d in deliveries}
    return {e.id: e for e in await Event.filter(id__in=ids)} if ids else {}
