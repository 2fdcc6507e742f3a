"""The billing clock: renewals and their charges, grace, suspension, cancellation, and purging deleted users.

Every action is one *step* on one subscription:

1. the claim: `UPDATE subscription SET version = version + 1 WHERE id = ? AND version = ?`.
   The database serialises it; 0 rows means another clock (task or process) already took this
   step, so this one gives up. Then re-read the row and re-check that the step is still due;
2. a step that charges (RENEW, RETRY) records its charge attempt in that same short transaction,
   asks the gateway with no transaction open (`models/charges.py`; the gateway key is one per
   period or retry moment, so a crashed run's retry gets the same answer, never a second charge),
   and applies the answer in a second transaction;
3. the outcome is applied in one seat change (`models/ledger.py`: pool lock, recount of what
   counts, audit, live events after commit). Steps that do not charge claim inside it.

So running the clock twice for the same `now`, or in several processes at once, changes
nothing more and charges nothing twice: each step is claimed by exactly one of them.

Rules (docs/rules.md section 6), evaluated against the clock's time `now`:

* ACTIVE, `currentPeriodEnd <= now`: set to cancel -> CANCELLED (CANCELLED_BY_REQUEST) at the
  period end, no charge. Otherwise charge `quantity * unitPrice` to the default card. Success
  starts the next period at the previous period end (`periodIndex += 1`), however late the clock
  runs; a clock several periods late renews period after period, one charge each, until
  `currentPeriodEnd > now`. Failure (or no default card) -> GRACE_PERIOD (PAYMENT_FAILED),
  `graceEndsAt = currentPeriodEnd + 30 days`.
* GRACE_PERIOD: set to cancel -> CANCELLED (CANCELLED_BY_REQUEST) now; `graceEndsAt <= now` ->
  SUSPENDED (`suspendedAt = now`, its licenses stop counting); else at most one retry a day
  (a day after the failed renewal or the last retry). A paid retry -> ACTIVE with a new period
  starting at the payment.
* SUSPENDED: set to cancel -> CANCELLED (CANCELLED_BY_REQUEST) now; 90 days after `suspendedAt`
  -> CANCELLED (PAYMENT_FAILED). The clock does not retry suspended subscriptions: a new or
  updated default card does (`retry_past_due`).
* Users deleted more than 30 days before `now` are purged (`users.purge_deleted`).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from seatwise.models.billing import charges
from seatwise.models.billing.charges import default_card
from seatwise.models.billing.gateway import ChargeResult
from seatwise.models.catalog.products import product_of
from seatwise.models.core.clock import add_months, iso
from seatwise.models.core.tables import (
    ChargeAttempt,
    Organization,
    PaymentCard,
    StatusReason,
    Subscription,
    SubscriptionStatus,
    User,
)
from seatwise.models.events.audit import BILLING_CLOCK, Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.exports import files as exports
from seatwise.models.people import users
from seatwise.models.seats import ledger
from seatwise.models.seats.ledger import SeatChange

log = logging.getLogger("seatwise.clock")

GRACE = timedelta(days=30)
RETRY_EVERY = timedelta(days=1)
SUSPENDED_FOR = timedelta(days=90)
BATCH = 200
MAX_STEPS_PER_SUBSCRIPTION = 1000  # a guard: 83 years of monthly renewals in one run


class Step(enum.Enum):
    RENEW = "RENEW"
    CANCEL_AT_PERIOD_END = "CANCEL_AT_PERIOD_END"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    RETRY = "RETRY"
    SUSPEND = "SUSPEND"
    CANCEL_SUSPENDED = "CANCEL_SUSPENDED"


# Steps that charge the default card: the gateway is asked between their two transactions.
_CHARGING = {Step.RENEW, Step.RETRY}


@dataclass
class ClockReport:
    renewed: int = 0  # periods paid (renewals and successful retries)
    grace_started: int = 0
    retried: int = 0  # retry attempts in grace, paid or not
    suspended: int = 0
    cancelled: int = 0
    purged: int = 0
    charges: int = 0  # charges attempted (a failed renewal without a default card makes none)
    failed_charges: int = 0
    organizations: int = 0  # organizations the run covered

    def add(self, other: ClockReport) -> None:
        for f in fields(self):
            if f.name != "organizations":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, int]:
        return {
            "renewed": self.renewed,
            "graceStarted": self.grace_started,
            "retried": self.retried,
            "suspended": self.suspended,
            "cancelled": self.cancelled,
            "purged": self.purged,
            "charges": self.charges,
            "failedCharges": self.failed_charges,
            "organizations": self.organizations,
        }


class _NotDue(Exception):
    """Raised inside a step's transaction to roll it back: the fresh row no longer needs that step."""


# ---------------------------------------------------------------- what is due


def due_step(sub: Subscription, now: datetime) -> Step | None:
    """The step the clock owes `sub` at `now`, or None."""
    if sub.status is SubscriptionStatus.ACTIVE:
        if sub.current_period_end <= now:
            return Step.CANCEL_AT_PERIOD_END if sub.cancel_at_period_end else Step.RENEW
        return None
    if sub.status is SubscriptionStatus.GRACE_PERIOD:
        if sub.cancel_at_period_end:
            return Step.CANCEL_REQUESTED
        if sub.grace_ends_at is not None and sub.grace_ends_at <= now:
            return Step.SUSPEND
        if sub.last_retry_at is None or sub.last_retry_at + RETRY_EVERY <= now:
            return Step.RETRY
        return None
    if sub.status is SubscriptionStatus.SUSPENDED:
        if sub.cancel_at_period_end:
            return Step.CANCEL_REQUESTED
        if sub.suspended_at is not None and sub.suspended_at + SUSPENDED_FOR <= now:
            return Step.CANCEL_SUSPENDED
    return None


def next_due_moment(sub: Subscription) -> datetime | None:
    """When the clock will next owe `sub` a step (may be in the past); None if never."""
    if sub.status is SubscriptionStatus.ACTIVE:
        return sub.current_period_end
    if sub.status is SubscriptionStatus.GRACE_PERIOD:
        if sub.cancel_at_period_end or sub.last_retry_at is None:
            return sub.last_retry_at or sub.current_period_end
        moments = [sub.last_retry_at + RETRY_EVERY]
        if sub.grace_ends_at is not None:
            moments.append(sub.grace_ends_at)
        return min(moments)
    if sub.status is SubscriptionStatus.SUSPENDED:
        if sub.cancel_at_period_end or sub.suspended_at is None:
            return sub.suspended_at or sub.current_period_end
        return sub.suspended_at + SUSPENDED_FOR
    return None


def _due_filter(now: datetime) -> Q:
    """SQL for due_step(sub, now) is not None (the candidates of a run)."""
    return (
        Q(status=SubscriptionStatus.ACTIVE, current_period_end__lte=now)
        | Q(status__in=[SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED], cancel_at_period_end=True)
        | Q(status=SubscriptionStatus.GRACE_PERIOD, grace_ends_at__lte=now)
        | Q(status=SubscriptionStatus.GRACE_PERIOD, last_retry_at__isnull=True)
        | Q(status=SubscriptionStatus.GRACE_PERIOD, last_retry_at__lte=now - RETRY_EVERY)
        | Q(status=SubscriptionStatus.SUSPENDED, suspended_at__lte=now - SUSPENDED_FOR)
    )


# ---------------------------------------------------------------- one step


@dataclass
class _Outcome:
    status_changed: bool
    report: ClockReport


async def _claim(sub: Subscription) -> bool:
    """The database-enforced claim: exactly one clock wins each version of a subscription."""
    return await Subscription.filter(id=sub.id, version=sub.version).update(version=F("version") + 1) == 1


def _charge_key(sub: Subscription, step: Step, now: datetime) -> str:
    """The gateway idempotency key of the charge a step makes: one per period renewed, one per retry moment."""
    if step is Step.RENEW:
        return f"renewal:{sub.id}:{sub.current_period_end.isoformat()}"
    return f"retry:{sub.id}:{now.isoformat()}"


@dataclass
class _Payment:
    """What a charging step learnt from the gateway (outside any transaction), applied in its second transaction."""

    attempt: ChargeAttempt | None  # None: no default card, nothing was sent
    result: ChargeResult | None
    amount: int


def _past_due(sub: Subscription) -> bool:
    """Owed a retry after a card fix: in grace or suspended, and not asked to cancel (the clock ends those)."""
    return sub.status in (SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED) and not sub.cancel_at_period_end


async def _prepare_payment(
    org: Organization,
    sub: Subscription,
    step: Step,
    *,
    now: datetime,
    wall: datetime,
    owed: Callable[[Subscription], bool] | None = None,
) -> _Payment | None:
    """Phase 1 of a charging step, in a short transaction with no pool lock: claim the subscription and record
    the charge attempt. None when another clock took the step or works on its charge; `_NotDue` when the claimed
    subscription no longer owes it (`owed`, by default: `step` is the clock's step due at `now`)."""
    async with in_transaction():
        if not await _claim(sub):
            return None
        fresh = await Subscription.get(id=sub.id)
        if not (owed(fresh) if owed else due_step(fresh, now) is step):
            raise _NotDue  # leaving the transaction by it rolls the claim back
        product = await product_of(fresh.product_id)
        amount = fresh.quantity * product.unit_price_cents
        card = await default_card(org)
        if card is None:
            return _Payment(None, None, amount)
        attempt = await charges.open_attempt(
            org,
            card,
            amount,
            f"{product.name}: {fresh.quantity} licenses, renewal",
            key=_charge_key(fresh, step, now),
            subscription_id=fresh.id,
            now=now,
            wall=wall,
        )
        if attempt is None:
            return None
    return _Payment(attempt, None, attempt.amount_cents)


async def _settle_payment(
    org: Organization, payment: _Payment, report: ClockReport, *, now: datetime
) -> tuple[bool, dict[str, Any]]:
    """Inside the applying transaction: the Charge of the payment. Returns (paid, details for the audit)."""
    if payment.attempt is None or payment.result is None:
        return False, {"amountCents": payment.amount, "failure": "NO_PAYMENT_CARD"}
    card = await PaymentCard.get_or_none(id=payment.attempt.card_id) if payment.attempt.card_id else None
    charge = await charges.settle(org, payment.attempt, payment.result, actor=BILLING_CLOCK, now=now)
    report.charges += 1
    details: dict[str, Any] = {"amountCents": payment.amount, "chargeId": str(charge.id), "card": card.last4 if card else None}
    if payment.result.succeeded:
        return True, details
    report.failed_charges += 1
    details["failure"] = charge.failure_code
    return False, details


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


async def _renew(change: SeatChange, sub: Subscription, payment: _Payment, report: ClockReport) -> bool:
    """RENEW: the next period when paid, else GRACE_PERIOD. Returns whether the status changed."""
    now, base = change.now, {"product": sub.product_id, "quantity": sub.quantity}
    period_end = sub.current_period_end
    paid, details = await _settle_payment(change.org, payment, report, now=now)
    if paid:
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


async def _retry(change: SeatChange, sub: Subscription, payment: _Payment, report: ClockReport) -> bool:
    """RETRY of a past-due subscription (the clock's daily retry in grace, or `retry_past_due` after a card fix):
    ACTIVE with a new period when paid; else the failed Charge is the record of the attempt and a subscription in
    grace waits a day for its next retry. Returns whether the status changed."""
    now = change.now
    report.retried += 1
    paid, details = await _settle_payment(change.org, payment, report, now=now)
    if not paid:
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


async def _suspend(change: SeatChange, sub: Subscription, report: ClockReport) -> bool:
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


async def _cancel(change: SeatChange, sub: Subscription, step: Step, report: ClockReport) -> bool:
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


async def _step(org: Organization, sub: Subscription, step: Step, now: datetime, wall: datetime) -> _Outcome | None:
    """One step. A charging step (RENEW, RETRY) claims the subscription and records its charge attempt, asks the
    gateway with no transaction open, then applies the answer; the other steps claim and apply in one seat change.
    None when another clock took it first or it is no longer due."""
    report = ClockReport()
    payment = None
    try:
        if step in _CHARGING:
            payment = await _prepare_payment(org, sub, step, now=now, wall=wall)
            if payment is None:
                return None
            if payment.attempt is not None:
                payment.result = await charges.send(payment.attempt, now=now)
        async with ledger.change(org, actor=BILLING_CLOCK, now=now) as change:
            await change.lock(sub.product_id)
            if payment is None:
                if not await _claim(sub):
                    return None
                fresh = await Subscription.get(id=sub.id)
                if due_step(fresh, now) is not step:
                    raise _NotDue
            else:
                fresh = await Subscription.get(id=sub.id)
            if step is Step.RENEW:
                assert payment is not None  # a charging step prepared its payment above
                changed = await _renew(change, fresh, payment, report)
            elif step is Step.RETRY:
                assert payment is not None  # a charging step prepared its payment above
                changed = await _retry(change, fresh, payment, report)
            elif step is Step.SUSPEND:
                changed = await _suspend(change, fresh, report)
            else:
                changed = await _cancel(change, fresh, step, report)
            if changed:
                await change.recount(sub.product_id, event=LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED)
    except _NotDue:
        return None
    return _Outcome(changed, report)


async def _settle(org: Organization, sub: Subscription, now: datetime, report: ClockReport, wall: datetime) -> None:
    """Take every step `sub` is owed at `now`, one after the other (a late clock renews period after period)."""
    for _ in range(MAX_STEPS_PER_SUBSCRIPTION):
        step = due_step(sub, now)
        if step is None:
            return
        outcome = await _step(org, sub, step, now, wall)
        if outcome is not None:
            report.add(outcome.report)
        sub = await Subscription.get(id=sub.id)
    log.warning("subscription %s still owes steps after %d in one run", sub.id, MAX_STEPS_PER_SUBSCRIPTION)


# ---------------------------------------------------------------- a run


async def run_clock(now: datetime, *, org: Organization | None = None, wall: datetime | None = None) -> ClockReport:
    """One run of the billing clock as of `now`: every organization that is not a sandbox, or just `org`
    (the sandbox test clock). Idempotent; safe to run in several tasks or processes at once.
    `wall` is the wall-clock time of the run (the lease of its charge attempts; default `now`)."""
    wall = wall or now
    report = ClockReport()
    subs = Subscription.filter(_due_filter(now))
    purgeable = User.filter(deleted_at__lt=now - users.RESTORE_WINDOW)
    if org is not None:
        subs, purgeable = subs.filter(organization_id=org.id), purgeable.filter(organization_id=org.id)
        report.organizations = 1
        orgs = {org.id: org}
    else:
        subs, purgeable = subs.filter(organization__sandbox=False), purgeable.filter(organization__sandbox=False)
        report.organizations = await Organization.filter(sandbox=False).count()
        orgs = {}

    last_id = 0
    while True:
        batch = await subs.filter(id__gt=last_id).order_by("id").limit(BATCH)
        if not batch:
            break
        for sub in batch:
            last_id = sub.id
            owner = orgs.get(sub.organization_id) or await Organization.get(id=sub.organization_id)
            orgs[owner.id] = owner
            try:
                await _settle(owner, sub, now, report, wall)
            except asyncio.CancelledError:
                raise
            except Exception:  # one broken subscription must not stop the others
                log.exception("billing clock failed on subscription %s", sub.id)

    for org_id in sorted(set(await purgeable.values_list("organization_id", flat=True))):
        owner = orgs.get(org_id) or await Organization.get(id=org_id)
        report.purged += await users.purge_deleted(owner, actor=BILLING_CLOCK, now=now)
    await exports.remove_stale_exports(now, org=org)
    return report


# ---------------------------------------------------------------- a new or fixed card


async def retry_past_due(org: Organization, *, actor: Actor, now: datetime, wall: datetime | None = None) -> list[Subscription]:
    """Charge every GRACE_PERIOD or SUSPENDED subscription of `org` to the default card at once.

    Each that is paid becomes ACTIVE with a new period starting at `now`, and is returned. A
    failed charge is recorded (Charge and charge.failed) and leaves the subscription as it was.
    Each charge is asked of the gateway between two transactions, as the clock's are.
    """
    wall = wall or now
    renewed: list[Subscription] = []
    card = await default_card(org)
    if card is None:
        return renewed
    # A past-due subscription the customer asked to cancel is not charged again: the clock ends it.
    past_due = await Subscription.filter(
        organization_id=org.id,
        status__in=[SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED],
        cancel_at_period_end=False,
    ).order_by("id")
    for sub in past_due:
        try:
            payment = await _prepare_payment(org, sub, Step.RETRY, now=now, wall=wall, owed=_past_due)
        except _NotDue:
            continue
        if payment is None or payment.attempt is None:
            continue  # another request or clock charges it, or the default card was removed meanwhile
        payment.result = await charges.send(payment.attempt, now=now)
        async with ledger.change(org, actor=actor, now=now) as change:
            await change.lock(sub.product_id)
            paid = await _retry(change, await Subscription.get(id=sub.id), payment, ClockReport())
            if paid:
                await change.recount(sub.product_id, event=LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED)
        if paid:
            renewed.append(await Subscription.get(id=sub.id))
    return renewed
