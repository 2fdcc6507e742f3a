"""A new or fixed default card pays the past-due subscriptions at once (docs/rules.md section 6).

`models/billing/cards.py` calls `retry_past_due` once a default card (new, or whose expiry was
updated) has committed: every GRACE_PERIOD or SUSPENDED subscription not set to cancel is retried
then, without waiting for the billing clock's next daily retry (which suspended ones never get).
"""

from __future__ import annotations

from datetime import datetime

from seatwise.models.billing import charges
from seatwise.models.billing.charges import default_card
from seatwise.models.billing.gateways import GatewayUnavailable
from seatwise.models.billing.payments import prepare_payment
from seatwise.models.billing.schedule import NotDue, Step
from seatwise.models.billing.steps import StepReport, retry
from seatwise.models.core.tables import Organization, Subscription, SubscriptionStatus
from seatwise.models.events.audit import Actor
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.seats import ledger

_PAST_DUE = (SubscriptionStatus.GRACE_PERIOD, SubscriptionStatus.SUSPENDED)


def _owed(sub: Subscription) -> bool:
    """Owed a retry after a card fix: in grace or suspended, and not asked to cancel (the clock ends those)."""
    return sub.status in _PAST_DUE and not sub.cancel_at_period_end


async def retry_past_due(org: Organization, *, actor: Actor, now: datetime, wall: datetime | None = None) -> list[Subscription]:
    """Charge every GRACE_PERIOD or SUSPENDED subscription of `org` to the default card at once.

    Each that is paid becomes ACTIVE with a new period starting at `now`, and is returned. A
    failed charge is recorded (Charge and charge.failed) and leaves the subscription as it was.
    Each charge is asked of the gateway between two transactions, as the clock's are.
    """
    wall = wall or now
    renewed: list[Subscription] = []
    if await default_card(org) is None:
        return renewed
    # A past-due subscription the customer asked to cancel is not charged again: the clock ends it.
    past_due = await Subscription.filter(organization_id=org.id, status__in=list(_PAST_DUE), cancel_at_period_end=False).order_by(
        "id"
    )
    for sub in past_due:
        try:
            payment = await prepare_payment(org, sub, Step.RETRY, now=now, wall=wall, owed=_owed)
        except NotDue:
            continue
        if payment is None or payment.attempt is None:
            continue  # another request or clock charges it, or the default card was removed meanwhile
        try:
            payment.result = await charges.send(payment.attempt, now=now)
        except GatewayUnavailable:
            continue  # its attempt stays: the clock asks again with the same key
        async with ledger.change(org, actor=actor, now=now) as change:
            await change.lock(sub.product_id)
            paid = await retry(change, await Subscription.get(id=sub.id), payment, StepReport())
            if paid:
                await change.recount(sub.product_id, event=LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED)
        if paid:
            renewed.append(await Subscription.get(id=sub.id))
    return renewed
