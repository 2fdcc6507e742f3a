"""Changing one's mind about cancelling: `resumeSubscription` undoes a cancellation at the period end.

A subscription set to cancel at its period end (`cancelAtPeriodEnd`) still counts its licenses until then;
resuming it before the period ends clears the flag, so the billing clock renews it as usual. A subscription
that is CANCELLED (at the period end already, or immediately), or past due, cannot be resumed
(`SUBSCRIPTION_NOT_ACTIVE`): buy licenses again instead. Resuming one that is not set to cancel changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from seatwise.models.core.clock import iso
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.tables import Organization, Subscription, SubscriptionStatus
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.seats import ledger


async def resume_subscription(org: Organization, subscription_id: str, *, actor: Actor, now: datetime) -> Subscription:
    """Undo a cancellation at the period end, before the period ends (NOT_FOUND, SUBSCRIPTION_NOT_ACTIVE);
    `subscription.resumed`."""
    sub = await get_subscription(org, subscription_id, "subscription_id")
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(sub.product_id)
        sub = await Subscription.get(id=sub.id)
        if sub.status is not SubscriptionStatus.ACTIVE or sub.current_period_end <= now:
            raise DomainError(
                ErrorCode.SUBSCRIPTION_NOT_ACTIVE,
                f"The subscription is {sub.status.value}{' (its period has ended)' if sub.status is SubscriptionStatus.ACTIVE else ''}: buy licenses again instead.",
                "subscription_id",
            )
        if not sub.cancel_at_period_end:
            return sub
        # Guarded by the version the clock claims with: a clock ending it right now wins, and this is refused.
        resumed = await Subscription.filter(id=sub.id, version=sub.version, cancel_at_period_end=True).update(
            cancel_at_period_end=False, version=F("version") + 1
        )
        if not resumed:
            raise DomainError(
                ErrorCode.SUBSCRIPTION_NOT_ACTIVE, "The subscription changed meanwhile; look again.", "subscription_id"
            )
        await change.audit(
            AuditAction.SUBSCRIPTION_RESUMED,
            AuditTarget.SUBSCRIPTION,
            sub.id,
            {"product": sub.product_id, "quantity": sub.quantity, "periodEnd": iso(sub.current_period_end)},
        )
    return await Subscription.get(id=sub.id)
