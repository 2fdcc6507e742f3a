"""What a subscription is owed, and when: the steps of its billing (docs/rules.md section 6), and their claim.

Each step owed is taken by exactly one clock (task or process): it first claims the subscription,
`UPDATE subscription SET version = version + 1 WHERE id = ? AND version = ?` (`claim`); the
database serialises it, and 0 rows means another clock took this step already.

The rules, evaluated against the clock's time `now`:

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
  updated default card does (`models/billing/past_due.py`).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from tortoise.expressions import F, Q

from seatwise.models.core.tables import Subscription, SubscriptionStatus

GRACE = timedelta(days=30)
RETRY_EVERY = timedelta(days=1)
SUSPENDED_FOR = timedelta(days=90)


class Step(enum.Enum):
    RENEW = "RENEW"
    CANCEL_AT_PERIOD_END = "CANCEL_AT_PERIOD_END"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    RETRY = "RETRY"
    SUSPEND = "SUSPEND"
    CANCEL_SUSPENDED = "CANCEL_SUSPENDED"


# Steps that charge the default card: the gateway is asked between their two transactions.
CHARGING = {Step.RENEW, Step.RETRY}


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


def due_filter(now: datetime) -> Q:
    """SQL for due_step(sub, now) is not None (the subscriptions a clock run looks at)."""
    return (
        Q(status=SubscriptionStatus.ACTIVE, current_period_end__lte=now)
        | Q(status__in=[SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED], cancel_at_period_end=True)
        | Q(status=SubscriptionStatus.GRACE_PERIOD, grace_ends_at__lte=now)
        | Q(status=SubscriptionStatus.GRACE_PERIOD, last_retry_at__isnull=True)
        | Q(status=SubscriptionStatus.GRACE_PERIOD, last_retry_at__lte=now - RETRY_EVERY)
        | Q(status=SubscriptionStatus.SUSPENDED, suspended_at__lte=now - SUSPENDED_FOR)
    )


class NotDue(Exception):
    """Raised inside a step's transaction to roll it back: the fresh row no longer needs that step."""


async def claim(sub: Subscription) -> bool:
    """The database-enforced claim: exactly one clock wins each version of a subscription."""
    return await Subscription.filter(id=sub.id, version=sub.version).update(version=F("version") + 1) == 1
