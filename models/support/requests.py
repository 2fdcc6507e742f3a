"""Service requests and cancellation: a cancellation is a RESOLVED request of category CANCEL_SUBSCRIPTION.

Admins are reminded to save their data first: a cancellation needs a data export of the last
7 days (organization time) or an explicit `acknowledgeDataLoss`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.core.clock import iso
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import (
    DataExport,
    Organization,
    ServiceRequest,
    ServiceRequestCategory,
    ServiceRequestStatus,
    StatusReason,
    Subscription,
    SubscriptionStatus,
)
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.people import auth
from seatwise.models.people.auth import Capability
from seatwise.models.seats import ledger

MAX_TEXT = 2000
EXPORT_FRESHNESS = timedelta(days=7)
# Service requests newest first.
REQUEST_ORDER = Keyset(("-created_at", "-id"))


def check_text(raw: str, subject: str) -> str:
    """A description or reason: 1 to 2000 characters after trimming (INVALID_INPUT)."""
    text = raw.strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Write 1 to {MAX_TEXT} characters.", subject)
    return checked_text(text, MAX_TEXT, "The text", subject)


def is_ending(sub: Subscription) -> bool:
    """CANCELLED already, or set to cancel at the end of its period."""
    return sub.status is SubscriptionStatus.CANCELLED or sub.cancel_at_period_end


async def has_recent_export(org: Organization, now: datetime) -> bool:
    """A finished data export made in the last 7 days of the organization's time."""
    return (
        await DataExport.filter(organization_id=org.id, created_at__gte=now - EXPORT_FRESHNESS, created_at__lte=now)
        .exclude(sha256="")
        .exists()
    )


def _resolution(sub: Subscription, immediately: bool, now: datetime) -> tuple[str, datetime | None]:
    """What the cancellation's service request says was done, and when it takes effect."""
    what = f"Subscription {sub.id} ({sub.product_id}, {sub.quantity} licenses)"
    if immediately:
        return f"{what} was cancelled at {iso(now)}, effective immediately; no refund.", now
    if sub.status is SubscriptionStatus.ACTIVE:
        return (
            f"{what} is set to cancel at the end of its billing period, {iso(sub.current_period_end)}; its licenses count until then.",
            sub.current_period_end,
        )
    # Past due (GRACE_PERIOD or SUSPENDED): the billing clock ends it at its next run, without a charge.
    return f"{what} is past due and set to cancel; the billing clock ends it at its next run, without a further charge.", None


async def cancel_subscription(
    org: Organization,
    subscription_id: str,
    reason: str,
    *,
    immediately: bool = False,
    acknowledge_data_loss: bool = False,
    actor: Actor,
    now: datetime,
    reason_subject: str = "reason",
) -> tuple[Subscription, ServiceRequest]:
    """Cancel at the period end (default) or now, recorded as a RESOLVED CANCEL_SUBSCRIPTION request.

    Order of checks (docs/rules.md section 9): the reason, the subscription, ALREADY_CANCELLED, DATA_EXPORT_REQUIRED.
    An immediate cancellation refunds nothing; its licenses stop counting at once, which may open a
    license conflict (cause SUBSCRIPTION_CANCELLED) when they were in use.
    """
    text = check_text(reason, reason_subject)
    sub_subject = "subscription_id"
    sub = await get_subscription(org, subscription_id, sub_subject)
    if is_ending(sub):
        raise DomainError(
            ErrorCode.ALREADY_CANCELLED, f"Subscription {sub.id} is already cancelled or set to cancel.", sub_subject
        )
    if not acknowledge_data_loss and not await has_recent_export(org, now):
        raise DomainError(
            ErrorCode.DATA_EXPORT_REQUIRED,
            "Export your data first (exportData), or cancel with acknowledgeDataLoss: true.",
            "acknowledge_data_loss",
        )
    sku = sub.product_id
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(sku)
        changes: dict = {"version": F("version") + 1}
        if immediately:
            changes.update(
                status=SubscriptionStatus.CANCELLED,
                status_reason=StatusReason.CANCELLED_BY_REQUEST,
                cancelled_at=now,
                cancel_at_period_end=False,
            )
        else:
            changes.update(cancel_at_period_end=True)
        # Guarded: a concurrent cancellation (or the clock ending it) makes this match nothing.
        claimed = await Subscription.filter(
            Q(id=sub.id), Q(cancel_at_period_end=False), ~Q(status=SubscriptionStatus.CANCELLED)
        ).update(**changes)
        if not claimed:
            raise DomainError(
                ErrorCode.ALREADY_CANCELLED, f"Subscription {sub.id} is already cancelled or set to cancel.", sub_subject
            )
        if immediately:
            await change.recount(sku, event=LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED)
        resolution, effective = _resolution(sub, immediately, now)
        request = await ServiceRequest.create(
            organization_id=org.id,
            category=ServiceRequestCategory.CANCEL_SUBSCRIPTION,
            status=ServiceRequestStatus.RESOLVED,
            description=text,
            subscription_id=sub.id,
            resolution=resolution,
            submitted_by=actor.email,
            created_at=now,
            resolved_at=now,
        )
        details = {
            "product": sku,
            "quantity": sub.quantity,
            "immediately": immediately,
            "effectiveAt": iso(effective),
            "serviceRequestId": str(request.id),
            "acknowledgeDataLoss": acknowledge_data_loss,
        }
        await audit.record(
            org,
            actor,
            AuditAction.SUBSCRIPTION_CANCEL_REQUESTED,
            target_type=AuditTarget.SUBSCRIPTION,
            target_id=sub.id,
            at=now,
            details=details,
        )
        if immediately:
            await audit.record(
                org,
                actor,
                AuditAction.SUBSCRIPTION_CANCELLED,
                target_type=AuditTarget.SUBSCRIPTION,
                target_id=sub.id,
                at=now,
                details={
                    "product": sku,
                    "quantity": sub.quantity,
                    "statusReason": StatusReason.CANCELLED_BY_REQUEST.value,
                    "previousStatus": sub.status.value,
                },
            )
        await audit.record(
            org,
            actor,
            AuditAction.SERVICE_REQUEST_SUBMITTED,
            target_type=AuditTarget.SERVICE_REQUEST,
            target_id=request.id,
            at=now,
            details={
                "category": ServiceRequestCategory.CANCEL_SUBSCRIPTION.value,
                "subscriptionId": str(sub.id),
                "status": ServiceRequestStatus.RESOLVED.value,
            },
        )
    return await Subscription.get(id=sub.id), request


async def submit_service_request(
    org: Organization,
    category: ServiceRequestCategory,
    description: str,
    *,
    subscription_id: str | None = None,
    acknowledge_data_loss: bool = False,
    actor: Actor,
    now: datetime,
) -> ServiceRequest:
    """CANCEL_SUBSCRIPTION: the cancellation at period end (same rules); other categories: recorded OPEN."""
    if category is ServiceRequestCategory.CANCEL_SUBSCRIPTION:
        auth.require(actor, Capability.MANAGE_BILLING)  # a cancellation is a billing change
    text = check_text(description, "description")
    if category is ServiceRequestCategory.CANCEL_SUBSCRIPTION:
        if subscription_id is None or not str(subscription_id).strip():
            raise DomainError(ErrorCode.INVALID_INPUT, "A cancellation names its subscriptionId.", "subscription_id")
        _, request = await cancel_subscription(
            org,
            subscription_id,
            text,
            immediately=False,
            acknowledge_data_loss=acknowledge_data_loss,
            actor=actor,
            now=now,
            reason_subject="description",
        )
        return request
    sub = await get_subscription(org, subscription_id, "subscription_id") if subscription_id is not None else None
    async with in_transaction():
        request = await ServiceRequest.create(
            organization_id=org.id,
            category=category,
            status=ServiceRequestStatus.OPEN,
            description=text,
            subscription_id=sub.id if sub else None,
            submitted_by=actor.email,
            created_at=now,
        )
        await audit.record(
            org,
            actor,
            AuditAction.SERVICE_REQUEST_SUBMITTED,
            target_type=AuditTarget.SERVICE_REQUEST,
            target_id=request.id,
            at=now,
            details={
                "category": category.value,
                "subscriptionId": str(sub.id) if sub else None,
                "status": ServiceRequestStatus.OPEN.value,
            },
        )
    return request


def service_requests_query(org: Organization, status: ServiceRequestStatus | None = None) -> QuerySet[ServiceRequest]:
    """Service requests of one organization, newest first by (createdAt, id)."""
    query = ServiceRequest.filter(organization_id=org.id)
    if status is not None:
        query = query.filter(status=status)
    return query.order_by(*REQUEST_ORDER.fields)
