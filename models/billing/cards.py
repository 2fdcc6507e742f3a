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

import logging
from datetime import datetime

from tortoise.transactions import in_transaction

from seatwise.models.billing.card_notices import notice_expiring_cards
from seatwise.models.billing.gateways import CardToken, GatewayUnavailable, check_expiry, gateway
from seatwise.models.billing.past_due import retry_past_due
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.lookups import in_org
from seatwise.models.core.tables import Organization, PaymentCard, Subscription, SubscriptionStatus
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget

log = logging.getLogger("seatwise.billing")


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


def _raw_card(number: str | None, exp_month: int | None, exp_year: int | None, cvc: str | None) -> bool:
    """Whether the input carries a raw card (the deprecated sandbox-only fields)."""
    return any(value is not None for value in (number, exp_month, exp_year, cvc))


async def _card_of(
    org: Organization,
    token: str | None,
    number: str | None,
    exp_month: int | None,
    exp_year: int | None,
    cvc: str | None,
    *,
    now: datetime,
    wall: datetime,
) -> CardToken:
    """The card at the gateway: a processor's token attached, or (sandbox test mode only) a raw card tokenized."""
    card_gateway = gateway()
    if token is not None:
        if _raw_card(number, exp_month, exp_year, cvc):
            raise DomainError(ErrorCode.INVALID_INPUT, "Send a token or a card number, not both.", "token")
        token = checked_text(token.strip(), 255, "The card token", "token")
        if not token:
            raise DomainError(ErrorCode.INVALID_INPUT, "The card token is empty.", "token")
        return await card_gateway.attach(org.id, token, now=now, wall=wall)
    if not card_gateway.accepts_card_numbers:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Send a token: card numbers go to the processor's browser library, never to Seatwise.",
            "token",
        )
    if number is None or exp_month is None or exp_year is None or cvc is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Send a token (or, in the sandbox, number, expMonth, expYear and cvc).", "token"
        )
    return await card_gateway.tokenize(number, exp_month, exp_year, cvc, now=now)


async def _undefault_others(org: Organization, actor: Actor, now: datetime) -> list[PaymentCard]:
    """Inside the caller's transaction: the organization's default card(s) made non-default (audited card.updated)."""
    previous_cards = await PaymentCard.filter(organization_id=org.id, is_default=True)
    for previous in previous_cards:
        previous.is_default = False
        await previous.save(update_fields=["is_default"])
        await _audit(org, actor, AuditAction.CARD_UPDATED, previous, now)
    return previous_cards


async def _audit(org: Organization, actor: Actor, action: AuditAction, card: PaymentCard, now: datetime, **extra) -> None:
    await audit.record(
        org, actor, action, target_type=AuditTarget.PAYMENT_CARD, target_id=card.id, at=now, details={**_details(card), **extra}
    )


async def add_card(
    org: Organization,
    number: str | None,
    exp_month: int | None,
    exp_year: int | None,
    cvc: str | None,
    make_default: bool,
    *,
    actor: Actor,
    now: datetime,
    wall: datetime | None = None,
    token: str | None = None,
) -> tuple[PaymentCard, list[Subscription]]:
    """Keep a card: a processor's token (INVALID_INPUT for an unknown, used or expired one), or in the sandbox a raw
    card (INVALID_CARD_NUMBER, INVALID_EXPIRY, INVALID_CVC); CARD_DECLINED, CARD_EXPIRED from the gateway. Returns it
    and the past-due subscriptions its retry renewed."""
    wall = wall or now
    card_token = await _card_of(org, token, number, exp_month, exp_year, cvc, now=now, wall=wall)
    async with in_transaction():
        await hold_organization(org)
        default = make_default or not await PaymentCard.exists(organization_id=org.id, is_default=True)
        if default:
            await _undefault_others(org, actor, now)
        card = await PaymentCard.create(
            organization_id=org.id,
            brand=card_token.brand,
            last4=card_token.last4,
            exp_month=card_token.exp_month,
            exp_year=card_token.exp_year,
            gateway_token=card_token.token,
            is_default=default,
            created_at=now,
        )
        await _audit(org, actor, AuditAction.CARD_ADDED, card, now)
        await notice_expiring_cards(now, org=org)  # a new default card may start CARD_EXPIRING
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
        await _audit(org, actor, AuditAction.CARD_UPDATED, card, now)
        await notice_expiring_cards(now, org=org)  # new expiry dates are a new period
    return card, await _retry(org, card, actor=actor, now=now, wall=wall)


async def list_cards(org: Organization) -> list[PaymentCard]:
    """The organization's cards: the default first, then oldest first."""
    return await PaymentCard.filter(organization_id=org.id).order_by("-is_default", "created_at", "id")


async def _live_card(org: Organization, card_id: str) -> PaymentCard:
    """Inside the caller's transaction, with the organization held: the card (NOT_FOUND for an unknown, removed or
    foreign id)."""
    return await in_org(PaymentCard.filter(organization_id=org.id), card_id, "payment card", "card_id")


async def set_default_card(
    org: Organization, card_id: str, *, actor: Actor, now: datetime, wall: datetime | None = None
) -> tuple[PaymentCard, list[Subscription]]:
    """Make a card the one every subscription charges (NOT_FOUND); `card.default_changed`. A new default pays the
    past-due subscriptions at once, as a new card does. Already the default: nothing changes."""
    await _live_card(org, card_id)
    async with in_transaction():
        await hold_organization(org)
        card = await _live_card(org, card_id)
        if card.is_default:
            return card, []
        previous = await _undefault_others(org, actor, now)
        await PaymentCard.filter(id=card.id).update(is_default=True)
        card = await PaymentCard.get(id=card.id)
        await _audit(
            org, actor, AuditAction.CARD_DEFAULT_CHANGED, card, now, previousDefault=str(previous[0].id) if previous else None
        )
        await notice_expiring_cards(now, org=org)
    return card, await _retry(org, card, actor=actor, now=now, wall=wall)


# Subscriptions that will charge the default card again.
_PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD)


async def remove_card(org: Organization, card_id: str, *, actor: Actor, now: datetime) -> tuple[str, PaymentCard | None]:
    """Remove a card (NOT_FOUND). The default card passes the default to the oldest other card; with no other card,
    an organization whose subscriptions still charge keeps it (CARD_IN_USE). `card.removed` (and
    `card.default_changed` on the new default). Returns the removed id and the default card afterwards. The card is
    detached at the processor after the change has committed."""
    await _live_card(org, card_id)
    async with in_transaction():
        await hold_organization(org)
        card = await _live_card(org, card_id)
        successor = None
        if card.is_default:
            successor = await PaymentCard.filter(organization_id=org.id).exclude(id=card.id).order_by("created_at", "id").first()
            paying = Subscription.filter(organization_id=org.id, status__in=list(_PAYING), cancel_at_period_end=False)
            if successor is None and await paying.exists():
                raise DomainError(
                    ErrorCode.CARD_IN_USE,
                    "This card pays for active subscriptions: add another card (or cancel them) before removing it.",
                    "card_id",
                )
        await PaymentCard.filter(id=card.id).delete()
        await _audit(org, actor, AuditAction.CARD_REMOVED, card, now)
        if successor is not None:
            await PaymentCard.filter(id=successor.id).update(is_default=True)
            successor = await PaymentCard.get(id=successor.id)
            await _audit(org, actor, AuditAction.CARD_DEFAULT_CHANGED, successor, now, previousDefault=str(card.id))
            await notice_expiring_cards(now, org=org)
    try:
        await gateway().detach(org.id, card.gateway_token)
    except GatewayUnavailable:
        log.warning("payment card %s removed; the processor could not be reached to detach it", card.id)
    default = successor or await PaymentCard.filter(organization_id=org.id, is_default=True).first()
    return str(card.id), default
