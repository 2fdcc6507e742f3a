"""Payment cards: add and update through the gateway, one default card per organization.

Only the gateway's token, the brand, the last 4 digits and the expiry are kept; the number and
the CVC end at `gateway().tokenize`. Rules:

- The first card of an organization always becomes its default, whatever `makeDefault` says
  (subscriptions need a card to charge). Making a card default un-defaults the others in the
  same transaction.
- Once the change has committed, a default card (new, or whose expiry was updated) retries every
  past-due subscription at once (`models/billing/past_due.py`); the ones paid are returned.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from seatwise.models.billing.gateway import check_expiry, gateway
from seatwise.models.billing.past_due import retry_past_due
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.lookups import in_org
from seatwise.models.core.tables import Organization, PaymentCard, Subscription
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget


def _details(card: PaymentCard) -> dict:
    return {
        "brand": card.brand.value,
        "last4": card.last4,
        "expiry": f"{card.exp_year:04d}-{card.exp_month:02d}",
        "default": card.is_default,
    }


async def _retry(
    org: Organization, card: PaymentCard, *, actor: Actor, now: datetime, wall: datetime | None
) -> list[Subscription]:
    if not card.is_default:
        return []
    return await retry_past_due(org, actor=actor, now=now, wall=wall)


async def add_card(
    org: Organization,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    make_default: bool,
    *,
    actor: Actor,
    now: datetime,
    wall: datetime | None = None,
) -> tuple[PaymentCard, list[Subscription]]:
    """Tokenize and keep a card (INVALID_CARD_NUMBER, INVALID_EXPIRY, INVALID_CVC, CARD_DECLINED,
    CARD_EXPIRED from the gateway); returns it and the past-due subscriptions its retry renewed."""
    token = await gateway().tokenize(number, exp_month, exp_year, cvc, now=now)
    async with in_transaction():
        await hold_organization(org)
        default = make_default or not await PaymentCard.exists(organization_id=org.id, is_default=True)
        if default:
            for previous in await PaymentCard.filter(organization_id=org.id, is_default=True):
                previous.is_default = False
                await previous.save(update_fields=["is_default"])
                await audit.record(
                    org,
                    actor,
                    AuditAction.CARD_UPDATED,
                    target_type=AuditTarget.PAYMENT_CARD,
                    target_id=previous.id,
                    at=now,
                    details=_details(previous),
                )
        card = await PaymentCard.create(
            organization_id=org.id,
            brand=token.brand,
            last4=token.last4,
            exp_month=exp_month,
            exp_year=exp_year,
            gateway_token=token.token,
            is_default=default,
            created_at=now,
        )
        await audit.record(
            org,
            actor,
            AuditAction.CARD_ADDED,
            target_type=AuditTarget.PAYMENT_CARD,
            target_id=card.id,
            at=now,
            details=_details(card),
        )
    return card, await _retry(org, card, actor=actor, now=now, wall=wall)


async def update_card(
    org: Organization, card_id: str, exp_month: int, exp_year: int, *, actor: Actor, now: datetime, wall: datetime | None = None
) -> tuple[PaymentCard, list[Subscription]]:
    """Change a card's expiry (INVALID_EXPIRY, NOT_FOUND for an unknown or foreign id)."""
    check_expiry(exp_month, exp_year, now)
    card = await in_org(PaymentCard.filter(organization_id=org.id), card_id, "payment card", "card_id")
    async with in_transaction():
        await PaymentCard.filter(id=card.id).update(exp_month=exp_month, exp_year=exp_year)
        card = await PaymentCard.get(id=card.id)
        await audit.record(
            org,
            actor,
            AuditAction.CARD_UPDATED,
            target_type=AuditTarget.PAYMENT_CARD,
            target_id=card.id,
            at=now,
            details=_details(card),
        )
    return card, await _retry(org, card, actor=actor, now=now, wall=wall)


async def list_cards(org: Organization) -> list[PaymentCard]:
    """The organization's cards: the default first, then oldest first."""
    return await PaymentCard.filter(organization_id=org.id).order_by("-is_default", "created_at", "id")
