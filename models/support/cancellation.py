"""Cancelling a subscription: recorded as a RESOLVED service request of category CANCEL_SUBSCRIPTION.

Admins are reminded to save their data first: a cancellation needs a data export of the last
7 days (organization time) or an explicit `acknowledgeDataLoss` (docs/rules.md section 7).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F, Q

from seatwise.models.billing import steps
from seatwise.models.billing.schedule import due_step
from seatwise.models.billing.steps import StepReport
from seatwise.models.catalog.products import product_of
from seatwise.models.core.clock import iso
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.lookups import get_subscription
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
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.ledger import SeatChange
from seatwise.models.seats.licenses import Previewed
from seatwise.models.support.records import audit_submitted, check_text, create_request

EXPORT_FRESHNESS = timedelta(days=7)


async def has_recent_export(org: Organization, now: datetime) -> bool:
    """A finished data export made in the last 7 days of the organization's time."""
    return (
        await DataExport.filter(organization_id=org.id, created_at__gte=now - EXPORT_FRESHNESS, created_at__lte=now)
        .exclude(sha256="")
        .exists()
    )


async def _claim(sub: Subscription, immediately: bool, now: datetime) -> bool:
    """Cancel `sub` now, or set it to cancel at its period end, unless it is cancelled or set to cancel already.
    Guarded: a concurrent cancellation (or the clock ending it) makes this match nothing."""
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
    return bool(
        await Subscription.filter(Q(id=sub.id), Q(cancel_at_period_end=False), ~Q(status=SubscriptionStatus.CANCELLED)).update(
            **changes
        )
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


async def _record(
    change: SeatChange, sub: Subscription, text: str, *, immediately: bool, acknowledge_data_loss: bool
) -> ServiceRequest:
    """The RESOLVED request and the audit of the cancellation: requested, cancelled (when immediate), submitted."""
    org, actor, now = change.org, change.actor, change.now
    resolution, effective = _resolution(sub, immediately, now)
    request = await create_request(
        org,
        ServiceRequestCategory.CANCEL_SUBSCRIPTION,
        ServiceRequestStatus.RESOLVED,
        text,
        subscription_id=sub.id,
        resolution=resolution,
        actor=actor,
        now=now,
    )
    base = {"product": sub.product_id, "quantity": sub.quantity}
    await change.audit(
        AuditAction.SUBSCRIPTION_CANCEL_REQUESTED,
        AuditTarget.SUBSCRIPTION,
        sub.id,
        {
            **base,
            "immediately": immediately,
            "effectiveAt": iso(effective),
            "serviceRequestId": str(request.id),
            "acknowledgeDataLoss": acknowledge_data_loss,
        },
    )
    if immediately:
        await change.audit(
            AuditAction.SUBSCRIPTION_CANCELLED,
            AuditTarget.SUBSCRIPTION,
            sub.id,
            {
                **base,
                "statusReason": StatusReason.CANCELLED_BY_REQUEST.value,
                "previousStatus": sub.status.value,
            },
        )
    await audit_submitted(org, request, actor=actor, now=now)
    return request


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
    dry_run: bool = False,
    plan_token: str | None = None,
) -> tuple[Subscription, ServiceRequest]:
    """Cancel at the period end (default) or now, recorded as a RESOLVED CANCEL_SUBSCRIPTION request.

    Order of checks (docs/rules.md section 9): the reason, the subscription, ALREADY_CANCELLED, DATA_EXPORT_REQUIRED.
    Both are checked under the pool lock, ALREADY_CANCELLED by the guarded change itself; a refusal rolls it back.
    An immediate cancellation refunds nothing; its licenses stop counting at once, which may open a
    license conflict (cause SUBSCRIPTION_CANCELLED) when they were in use. A dry run raises `Previewed`; a dry run
    of a cancellation set for later also works out what the billing clock does when it takes effect.
    """
    text = check_text(reason, reason_subject)
    sub = await get_subscription(org, subscription_id, "subscription_id")
    inputs = {"sub": sub.id, "reason": text, "immediately": immediately, "acknowledgeDataLoss": acknowledge_data_loss}
    plan = Plan("cancelSubscription", inputs, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        await change.lock(sub.product_id)
        if not await _claim(sub, immediately, now):
            raise DomainError(
                ErrorCode.ALREADY_CANCELLED, f"Subscription {sub.id} is already cancelled or set to cancel.", "subscription_id"
            )
        if not acknowledge_data_loss and not await has_recent_export(org, now):
            raise DomainError(
                ErrorCode.DATA_EXPORT_REQUIRED,
                "Export your data first (exportData), or cancel with acknowledgeDataLoss: true.",
                "acknowledge_data_loss",
            )
        if immediately:
            await change.recount(sub.product_id, event=LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED)
        elif dry_run:
            await _as_the_clock_ends_it(change, sub)
        request = await _record(change, sub, text, immediately=immediately, acknowledge_data_loss=acknowledge_data_loss)
        change.billed = await _billed(sub, immediately, now)
    if change.preview is not None:
        raise Previewed(change.preview)
    return await Subscription.get(id=sub.id), request


async def _as_the_clock_ends_it(change: SeatChange, sub: Subscription) -> None:
    """A dry run of a cancellation set for later: in this change (rolled back), the billing clock's own step that ends
    the marked subscription, as of the moment it takes effect (its period end; past due: its next run, now), so the
    preview names who goes into CONFLICT then. The real cancellation only marks the subscription."""
    marked = await Subscription.get(id=sub.id)
    when = marked.current_period_end if marked.status is SubscriptionStatus.ACTIVE else change.now
    step = due_step(marked, when)
    if step is not None:
        with change.as_of(when):
            await steps.take_effect(change, marked, step, None, StepReport())


async def _billed(sub: Subscription, immediately: bool, now: datetime) -> tuple[int, None, datetime | None]:
    """How a cancellation changes the bill: its renewals stop (nothing refunded, nothing charged), from its period end
    when it cancels then, else now (a past-due subscription: the clock ends it at its next run). A SUSPENDED
    subscription is billed no more already: no change."""
    _, effective = _resolution(sub, immediately, now)
    billed = sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD)
    return -(await product_of(sub.product_id)).unit_price_cents * sub.quantity if billed else 0, None, effective
