"""The billing clock: renewals and their charges, grace, suspension, cancellation, and purging deleted users.

Every action is one *step* on one subscription, in one transaction:

1. (only when the step changes which licenses count) `seats.lock_pool`, the global lock order
   of every transaction that changes subscriptions: pool row, then subscription row;
2. the claim: `UPDATE subscription SET version = version + 1 WHERE id = ? AND version = ?`.
   The database serialises it; 0 rows means another clock (task or process) already took this
   step, so this one rolls back and re-reads. On SQLite this write takes the write lock at once;
3. re-read the row and re-check that the step is still due (a purchase may have changed it);
4. charge (`models.charges.charge_card`) and apply the outcome, audit included, in the same
   transaction; seat events are published after commit.

So running the clock twice for the same `now`, or in several processes at once, changes
nothing more and charges nothing twice: each step is claimed by exactly one of them.

Rules (SPEC.md section 6), evaluated against the clock's time `now`:

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
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from models import audit, exports, seats, users
from models.audit import BILLING_CLOCK, Actor
from models.charges import charge_card, default_card
from models.clock import add_months, iso
from models.events import LicenseEventKind
from models.tables import (
    ChargeStatus,
    Organization,
    Product,
    StatusReason,
    Subscription,
    SubscriptionStatus,
    User,
)

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


# Steps after which the subscription's licenses no longer count: they take the pool lock first.
_CHANGES_COUNTING = {Step.CANCEL_AT_PERIOD_END, Step.CANCEL_REQUESTED, Step.SUSPEND}


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

    def add(self, other: "ClockReport") -> None:
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


def _renewal_key(sub: Subscription, period_end: datetime) -> str:
    return f"renewal:{sub.id}:{period_end.isoformat()}"


async def _charge_period(org: Organization, sub: Subscription, *, key: str, actor: Actor, now: datetime, report: ClockReport):
    """Charge one full period to the default card. Returns (paid, details for the audit)."""
    product = await Product.get(sku=sub.product_id)
    amount = sub.quantity * product.unit_price_cents
    card = await default_card(org)
    if card is None:
        return False, {"amountCents": amount, "failure": "NO_PAYMENT_CARD"}
    charge = await charge_card(
        org, card, amount, f"{product.name}: {sub.quantity} licenses, renewal",
        subscription_id=sub.id, actor=actor, now=now, idempotency_key=key,
    )
    report.charges += 1
    details: dict[str, Any] = {"amountCents": amount, "chargeId": str(charge.id), "card": card.last4}
    if charge.status is ChargeStatus.SUCCEEDED:
        return True, details
    report.failed_charges += 1
    details["failure"] = charge.failure_code
    return False, details


def _new_period_fields(now: datetime) -> dict[str, Any]:
    """ACTIVE again with a new period starting at the payment (a paid retry or a card fix)."""
    return dict(
        status=SubscriptionStatus.ACTIVE, status_reason=None, period_anchor=now, period_index=1,
        current_period_start=now, current_period_end=add_months(now, 1), grace_ends_at=None,
        last_retry_at=None, suspended_at=None,
    )


async def _apply(org: Organization, sub: Subscription, step: Step, now: datetime) -> _Outcome:
    """Inside the claimed transaction: do `step` to the fresh row `sub`."""
    report = ClockReport()
    actor = BILLING_CLOCK
    target = dict(target_type="SUBSCRIPTION", target_id=sub.id, at=now)
    base = {"product": sub.product_id, "quantity": sub.quantity}

    if step is Step.RENEW:
        period_end = sub.current_period_end
        paid, details = await _charge_period(org, sub, key=_renewal_key(sub, period_end), actor=actor, now=now, report=report)
        if paid:
            index = sub.period_index + 1
            new_end = add_months(sub.period_anchor, index)
            await Subscription.filter(id=sub.id).update(
                period_index=index, current_period_start=period_end, current_period_end=new_end
            )
            await audit.record(org, actor, "subscription.renewed", **target, details={
                **base, **details, "periodStart": iso(period_end), "periodEnd": iso(new_end)})
            report.renewed += 1
            return _Outcome(False, report)
        grace_ends = period_end + GRACE
        await Subscription.filter(id=sub.id).update(
            status=SubscriptionStatus.GRACE_PERIOD, status_reason=StatusReason.PAYMENT_FAILED,
            grace_ends_at=grace_ends, last_retry_at=now,
        )
        await audit.record(org, actor, "subscription.grace_started", **target, details={
            **base, **details, "periodEnd": iso(period_end), "graceEndsAt": iso(grace_ends)})
        report.grace_started += 1
        return _Outcome(True, report)

    if step is Step.RETRY:
        report.retried += 1
        key = f"retry:{sub.id}:{now.isoformat()}"
        paid, details = await _charge_period(org, sub, key=key, actor=actor, now=now, report=report)
        if paid:
            fresh = _new_period_fields(now)
            await Subscription.filter(id=sub.id).update(**fresh)
            await audit.record(org, actor, "subscription.renewed", **target, details={
                **base, **details, "retry": True, "periodStart": iso(now), "periodEnd": iso(fresh["current_period_end"])})
            report.renewed += 1
            return _Outcome(True, report)
        # The failed charge (and its charge.failed audit event) is the record of this attempt.
        await Subscription.filter(id=sub.id).update(last_retry_at=now)
        return _Outcome(False, report)

    if step is Step.SUSPEND:
        await Subscription.filter(id=sub.id).update(status=SubscriptionStatus.SUSPENDED, suspended_at=now)
        await seats.sync_purchased(org.id, sub.product_id)
        await audit.record(org, actor, "subscription.suspended", **target, details={
            **base, "reason": StatusReason.PAYMENT_FAILED.value, "graceEndsAt": iso(sub.grace_ends_at)})
        report.suspended += 1
        return _Outcome(True, report)

    # The three cancellations.
    if step is Step.CANCEL_AT_PERIOD_END:
        reason, cancelled_at = StatusReason.CANCELLED_BY_REQUEST, sub.current_period_end
    elif step is Step.CANCEL_REQUESTED:
        reason, cancelled_at = StatusReason.CANCELLED_BY_REQUEST, now
    else:
        reason, cancelled_at = StatusReason.PAYMENT_FAILED, now
    await Subscription.filter(id=sub.id).update(
        status=SubscriptionStatus.CANCELLED, status_reason=reason, cancelled_at=cancelled_at
    )
    if step is not Step.CANCEL_SUSPENDED:
        await seats.sync_purchased(org.id, sub.product_id)
    await audit.record(org, actor, "subscription.cancelled", **target, details={
        **base, "reason": reason.value, "from": sub.status.value, "cancelledAt": iso(cancelled_at)})
    report.cancelled += 1
    return _Outcome(True, report)


async def _step(org: Organization, sub: Subscription, step: Step, now: datetime) -> _Outcome | None:
    """One claimed step in its own transaction; None when another clock took it first or it is no longer due."""
    before = await seats.seat_pool(org, sub.product_id)
    try:
        async with in_transaction():
            if step in _CHANGES_COUNTING:
                await seats.lock_pool(org.id, sub.product_id)
            if not await _claim(sub):
                return None
            fresh = await Subscription.get(id=sub.id)
            if due_step(fresh, now) is not step:
                raise _NotDue
            outcome = await _apply(org, fresh, step, now)
    except _NotDue:
        return None
    if outcome.status_changed:
        await seats.notify(org, LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED, sub.product_id, user_id=None, before=before, at=now)
    return outcome


async def _settle(org: Organization, sub: Subscription, now: datetime, report: ClockReport) -> None:
    """Take every step `sub` is owed at `now`, one after the other (a late clock renews period after period)."""
    for _ in range(MAX_STEPS_PER_SUBSCRIPTION):
        step = due_step(sub, now)
        if step is None:
            return
        outcome = await _step(org, sub, step, now)
        if outcome is not None:
            report.add(outcome.report)
        sub = await Subscription.get(id=sub.id)
    log.warning("subscription %s still owes steps after %d in one run", sub.id, MAX_STEPS_PER_SUBSCRIPTION)


# ---------------------------------------------------------------- a run


async def run_clock(now: datetime, *, org: Organization | None = None) -> ClockReport:
    """One run of the billing clock as of `now`: every organization that is not a sandbox, or just `org`
    (the sandbox test clock). Idempotent; safe to run in several tasks or processes at once."""
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
                await _settle(owner, sub, now, report)
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


async def retry_past_due(org: Organization, *, actor: Actor, now: datetime) -> list[Subscription]:
    """Charge every GRACE_PERIOD or SUSPENDED subscription of `org` to the default card at once.

    Each that is paid becomes ACTIVE with a new period starting at `now`, and is returned. A
    failed charge is recorded (Charge and charge.failed) and leaves the subscription as it was.
    """
    renewed: list[Subscription] = []
    if await default_card(org) is None:
        return renewed
    # A past-due subscription the customer asked to cancel is not charged again: the clock ends it.
    past_due = await Subscription.filter(
        organization_id=org.id, status__in=[SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED],
        cancel_at_period_end=False,
    ).order_by("id")
    for sub in past_due:
        before = await seats.seat_pool(org, sub.product_id)
        async with in_transaction():
            await seats.lock_pool(org.id, sub.product_id)
            if not await _claim(sub):
                continue
            fresh = await Subscription.get(id=sub.id)
            if fresh.status not in (SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED) or fresh.cancel_at_period_end:
                continue  # the claim's version bump is harmless
            report = ClockReport()
            paid, details = await _charge_period(org, fresh, key=f"retry:{sub.id}:{now.isoformat()}", actor=actor, now=now, report=report)
            if paid:
                period = _new_period_fields(now)
                await Subscription.filter(id=sub.id).update(**period)
                await seats.sync_purchased(org.id, sub.product_id)
                await audit.record(org, actor, "subscription.renewed", target_type="SUBSCRIPTION", target_id=sub.id, at=now, details={
                    "product": fresh.product_id, "quantity": fresh.quantity, **details, "from": fresh.status.value,
                    "periodStart": iso(now), "periodEnd": iso(period["current_period_end"])})
            elif fresh.status is SubscriptionStatus.GRACE_PERIOD:
                await Subscription.filter(id=sub.id).update(last_retry_at=now)
        if paid:
            await seats.notify(org, LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED, sub.product_id, user_id=None, before=before, at=now)
            renewed.append(await Subscription.get(id=sub.id))
    return renewed
