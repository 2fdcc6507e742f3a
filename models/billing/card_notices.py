"""The `card.expiring` notice (docs/rules.md section 15): written by the billing clock when CARD_EXPIRING starts for
an organization's default card, once per card and expiry period.

A run looks at the default cards in batches (one query for the cards, one for the renewals of their organizations);
for a card that expires at or before a renewal (models/billing/alerts.py) and whose current expiry was not noticed,
one transaction sets `payment_card.expiry_noticed` to that expiry (a conditional UPDATE: of two runs at once, one
wins) and appends the event. A new card, or new expiry dates on the same card (updatePaymentCard), is a new period."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from tortoise.expressions import Q

from seatwise.models.billing.alerts import card_expiring
from seatwise.models.billing.gateways import card_expires_at
from seatwise.models.core.clock import iso
from seatwise.models.core.tables import Organization, PaymentCard, Subscription, SubscriptionStatus
from seatwise.models.events import outbox

BATCH = 200
NOTICE = "card.expiring"


def period(card: PaymentCard) -> str:
    """A card's expiry period as noticed: "YYYY-MM"."""
    return f"{card.exp_year:04d}-{card.exp_month:02d}"


def _data(card: PaymentCard, renewals: list[Subscription]) -> dict:
    return {
        "paymentCard": {
            "id": str(card.id),
            "brand": card.brand.value,
            "last4": card.last4,
            "expMonth": card.exp_month,
            "expYear": card.exp_year,
            "expiresAt": iso(card_expires_at(card.exp_month, card.exp_year)),
        },
        "renewals": [
            {"subscriptionId": str(sub.id), "product": sub.product_id, "renewsAt": iso(sub.current_period_end)}
            for sub in renewals
        ],
    }


async def notice_expiring_cards(now: datetime, *, org: Organization | None = None) -> int:
    """Write the `card.expiring` notices due at `now` (of `org`, or of every organization that is not a sandbox);
    how many were written. Running it again finds nothing more to do."""
    cards = PaymentCard.filter(is_default=True)
    cards = cards.filter(organization_id=org.id) if org is not None else cards.filter(organization__sandbox=False)
    written, last_id = 0, 0
    while True:
        batch = await cards.filter(id__gt=last_id).order_by("id").limit(BATCH)
        if not batch:
            return written
        last_id = batch[-1].id
        fresh = [card for card in batch if card.expiry_noticed != period(card)]
        if not fresh:
            continue
        subs = Subscription.filter(
            organization_id__in=[c.organization_id for c in fresh], status=SubscriptionStatus.ACTIVE, cancel_at_period_end=False
        )
        renewing: dict[int, list[Subscription]] = defaultdict(list)
        for sub in await subs.order_by("current_period_end", "id"):
            renewing[sub.organization_id].append(sub)
        for card in fresh:
            expiring = [sub for sub in renewing[card.organization_id] if card_expiring(card, sub.current_period_end)]
            if expiring and await _notice(card, expiring, now):
                written += 1


async def _notice(card: PaymentCard, renewals: list[Subscription], now: datetime) -> bool:
    """Mark the card's expiry as noticed and append its event, together; False when another run already did."""
    async with outbox.atomic():
        won = await (
            PaymentCard.filter(id=card.id, is_default=True, exp_month=card.exp_month, exp_year=card.exp_year)
            .filter(Q(expiry_noticed__isnull=True) | ~Q(expiry_noticed=period(card)))
            .update(expiry_noticed=period(card))
        )
        if won:
            await outbox.append(card.organization_id, [outbox.Pending(NOTICE, now, _data(card, renewals))])
    return bool(won)
