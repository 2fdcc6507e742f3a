"""The steps of a subscription's billing: renew, retry, suspend, cancel (the rules: `models/billing/schedule.py`).

Every step is taken on one subscription:

1. the claim (`schedule.claim`): exactly one clock (task or process) takes each step; the others give
   up. Then the row is re-read and the step re-checked as still due;
2. a step that charges (RENEW, RETRY) records its charge attempt in that same short transaction,
   asks the gateway with no transaction open and applies the answer in a second transaction
   (`models/billing/payments.py`);
3. the outcome is applied in one seat change (`models/seats/ledger.py`: pool lock, recount of what
   counts, audit, live events after commit). Steps that do not charge claim inside it.

So taking the steps owed at the same `now` twice, or in several processes at once, changes nothing
more and charges nothing twice. The clock run that looks for the subscriptions owing steps is
`models/clock/run.py`; a new or fixed default card retries the past-due ones at once
(`models/billing/past_due.py`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from seatwise.models.billing import charges
from seatwise.models.billing.gateways import GatewayUnavailable
from seatwise.models.billing.payments import Payment, prepare_payment, settle_payment
from seatwise.models.billing.schedule import CHARGING, GRACE, NotDue, Step, claim, due_step
from seatwise.models.core.clock import add_months, iso
from seatwise.models.core.tables import (
    Charge,
    ChargeStatus,
    Organization,
    StatusReason,
    Subscription,
    SubscriptionStatus,
)
from seatwise.models.events.audit import BILLING_CLOCK, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.seats import ledger
from seatwise.models.seats.ledger import SeatChange

log = logging.getLogger("seatwise.clock")

MAX_STEPS_PER_SUBSCRIPTION = 1000  # a guard: 83 years of monthly renewals in one run


@dataclass
class StepReport:
    """What steps did: the counts a clock run reports."""

    renewed: int = 0  # periods paid (renewals and successful retries)
    grace_started: int = 0
    retried: int = 0  # retry attempts in grace, paid or not
    suspended: int = 0
    cancelled: int = 0
    charges: int = 0  # charges attempted (a failed renewal without a default card makes none)
    failed_charges: int = 0

    def add(self, other: StepReport) -> None:
        for f in fields(StepReport):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def charged(self, charge: Charge | None) -> bool:
        """Count the Charge of a payment (None: nothing was charged); whether it was paid."""
        if charge is None:
            return False
        self.charges += 1
        if charge.status is ChargeStatus.SUCCEEDED:
            return True
        self.failed_charges += 1
        return False


def _new_period_fields(now: datetime) -> dict[str, Any]:
    """ACTIVE again with a new period starting at the payment (a paid retry or a card fix)."""
    return dict(
        status=SubscriptionStatus.ACTIVE,
        status_reason=None,
        period_anchor=now,
        period_index=1,
        current_period_start=now,
        current_period_end=add_months(now, 1),
        grace_ends_at=None,
        last_retry_at=None,
        suspended_at=None,
    )


async def _renew(change: SeatChange, sub: Subscription, payment: Payment, report: StepReport) -> bool:
    """RENEW: the next period when paid, else GRACE_PERIOD. Returns whether the status changed."""
    now, base = change.now, {"product": sub.product_id, "quantity": sub.quantity}
    period_end = sub.current_period_end
    charge, details = await settle_payment(change.org, payment, now=now)
    if report.charged(charge):
        index = sub.period_index + 1
        new_end = add_months(sub.period_anchor, index)
        await Subscription.filter(id=sub.id).update(
            period_index=index, current_period_start=period_end, current_period_end=new_end
        )
        await change.audit(
            AuditAction.SUBSCRIPTION_RENEWED,
            AuditTarget.SUBSCRIPTION,
            sub.id,
            {**base, **details, "periodStart": iso(period_end), "periodEnd": iso(new_end)},
        )
        report.renewed += 1
        return False
    grace_ends = period_end + GRACE
    await Subscription.filter(id=sub.id).update(
        status=SubscriptionStatus.GRACE_PERIOD,
        status_reason=StatusReason.PAYMENT_FAILED,
        grace_ends_at=grace_ends,
        last_retry_at=now,
    )
    await change.audit(
        AuditAction.SUBSCRIPTION_GRACE_STARTED,
        AuditTarget.SUBSCRIPTION,
        sub.id,
        {**base, **details, "periodEnd": iso(period_end), "graceEndsAt": iso(grace_ends)},
    )
    report.grace_started += 1
    return True


async def retry(change: SeatChange, sub: Subscription, payment: Payment, report: StepReport) -> bool:
    """RETRY of a past-due subscription (the clock's daily retry in grace, or `past_due.retry_past_due` after a card fix):
    ACTIVE with a new period when paid; else the failed Charge is the record of the attempt and a subscription in
    grace waits a day for its next retry. Returns whether the status changed."""
    now = change.now
    report.retried += 1
    charge, details = await settle_payment(change.org, payment, now=now)
    if not report.charged(charge):
        if sub.status is SubscriptionStatus.GRACE_PERIOD:
            await Subscription.filter(id=sub.id).update(last_retry_at=now)
        return False
    fresh = _new_period_fields(now)
    await Subscription.filter(id=sub.id).update(**fresh)
    await change.audit(
        AuditAction.SUBSCRIPTION_RENEWED,
        AuditTarget.SUBSCRIPTION,
        sub.id,
        {
            "product": sub.product_id,
            "quantity": sub.quantity,
            **details,
            "retry": True,
            "from": sub.status.value,
            "periodStart": iso(now),
            "periodEnd": iso(fresh["current_period_end"]),
        },
    )
    report.renewed += 1
    return True


async def _suspend(change: SeatChange, sub: Subscription, report: StepReport) -> bool:
    await Subscription.filter(id=sub.id).update(status=SubscriptionStatus.SUSPENDED, suspended_at=change.now)
    await change.audit(
        AuditAction.SUBSCRIPTION_SUSPENDED,
        AuditTarget.SUBSCRIPTION,
        sub.id,
        {
            "product": sub.product_id,
            "quantity": sub.quantity,
            "reason": StatusReason.PAYMENT_FAILED.value,
            "graceEndsAt": iso(sub.grace_ends_at),
        },
    )
    report.suspended += 1
    return True


async def _cancel(change: SeatChange, sub: Subscription, step: Step, report: StepReport) -> bool:
    """The three cancellations: at the period end as asked, a past-due one asked to cancel, 90 days suspended."""
    if step is Step.CANCEL_AT_PERIOD_END:
        reason, cancelled_at = StatusReason.CANCELLED_BY_REQUEST, sub.current_period_end
    elif step is Step.CANCEL_REQUESTED:
        reason, cancelled_at = StatusReason.CANCELLED_BY_REQUEST, change.now
    else:
        reason, cancelled_at = StatusReason.PAYMENT_FAILED, change.now
    await Subscription.filter(id=sub.id).update(
        status=SubscriptionStatus.CANCELLED, status_reason=reason, cancelled_at=cancelled_at
    )
    await change.audit(
        AuditAction.SUBSCRIPTION_CANCELLED,
        AuditTarget.SUBSCRIPTION,
        sub.id,
        {
            "product": sub.product_id,
            "quantity": sub.quantity,
            "reason": reason.value,
            "from": sub.status.value,
            "cancelledAt": iso(cancelled_at),
        },
    )
    report.cancelled += 1
    return True


async def _apply(change: SeatChange, sub: Subscription, step: Step, payment: Payment | None, report: StepReport) -> bool:
    """The outcome of `step` on the fresh `sub`, inside its seat change. Returns whether the status changed."""
    if step is Step.RENEW:
        assert payment is not None  # a charging step prepared its payment
        return await _renew(change, sub, payment, report)
    if step is Step.RETRY:
        assert payment is not None  # a charging step prepared its payment
        return await retry(change, sub, payment, report)
    if step is Step.SUSPEND:
        return await _suspend(change, sub, report)
    return await _cancel(change, sub, step, report)


async def take_effect(change: SeatChange, sub: Subscription, step: Step, payment: Payment | None, report: StepReport) -> None:
    """The outcome of `step` on the fresh `sub` as of `change.now`, and the recount of what counts when its status
    changed: what the clock does once it took the step, and what a dry run of a cancellation set for later works out
    (models/support/cancellation.py), so that its preview is the clock's own outcome."""
    if await _apply(change, sub, step, payment, report):
        await change.recount(sub.product_id, event=LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED)


async def take_step(org: Organization, sub: Subscription, step: Step, *, now: datetime, wall: datetime) -> StepReport | None:
    """One step. A charging step (RENEW, RETRY) claims the subscription and records its charge attempt, asks the
    gateway with no transaction open, then applies the answer; the other steps claim and apply in one seat change.
    What it did, or None when another clock took it first or it is no longer due."""
    report = StepReport()
    payment = None
    try:
        if step in CHARGING:
            payment = await prepare_payment(org, sub, step, now=now, wall=wall)
            if payment is None:
                return None
            if payment.attempt is not None:
                try:
                    payment.result = await charges.send(payment.attempt, now=now)
                except GatewayUnavailable:
                    # Nothing is known of the charge: its attempt stays, and the next run asks again with the same key.
                    log.warning("subscription %s: the payment processor could not be reached; retried next run", sub.id)
                    return None
        async with ledger.change(org, actor=BILLING_CLOCK, now=now) as change:
            await change.lock(sub.product_id)
            if payment is None:
                if not await claim(sub):
                    return None
                fresh = await Subscription.get(id=sub.id)
                if due_step(fresh, now) is not step:
                    raise NotDue
            else:
                fresh = await Subscription.get(id=sub.id)
            await take_effect(change, fresh, step, payment, report)
    except NotDue:
        return None
    return report


async def settle(org: Organization, sub: Subscription, report: StepReport, *, now: datetime, wall: datetime) -> None:
    """Take every step `sub` is owed at `now`, one after the other (a late clock renews period after period),
    adding what each did to `report`."""
    for _ in range(MAX_STEPS_PER_SUBSCRIPTION):
        step = due_step(sub, now)
        if step is None:
            return
        done = await take_step(org, sub, step, now=now, wall=wall)
        if done is not None:
            report.add(done)
        sub = await Subscription.get(id=sub.id)
    log.warning("subscription %s still owes steps after %d in one run", sub.id, MAX_STEPS_PER_SUBSCRIPTION)
