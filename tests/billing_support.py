"""Billing test helpers: a card on file, subscriptions written directly, table snapshots."""

from __future__ import annotations

from datetime import datetime

from seatwise.models.billing import cards
from seatwise.models.core.clock import add_months
from seatwise.models.core.tables import (
    AuditEvent,
    Charge,
    IdempotencyKey,
    LicenseAssignment,
    PaymentCard,
    SeatPool,
    StatusReason,
    Subscription,
    SubscriptionStatus,
)
from tests.support import NOW, OrgFixture, recount

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
DISCOVER = "6011111111111117"
DECLINES_ON_ADD = "4000000000000002"
EXPIRED_ON_ADD = "4000000000000069"
BAD_CVC_ON_ADD = "4000000000000127"
DECLINES_ON_CHARGE = "4000000000000341"
SANDBOX_NUMBERS = (VISA, MASTERCARD, AMEX, DISCOVER, DECLINES_ON_CHARGE)


def cvc_for(number: str) -> str:
    return "1234" if number.startswith(("34", "37")) else "123"


async def add_card(
    fx: OrgFixture,
    number: str = VISA,
    *,
    exp_month: int = 12,
    exp_year: int = 2030,
    make_default: bool = True,
    now: datetime = NOW,
) -> PaymentCard:
    card, _ = await cards.add_card(fx.org, number, exp_month, exp_year, cvc_for(number), make_default, actor=fx.actor, now=now)
    return card


async def subscription(
    fx: OrgFixture,
    sku: str,
    quantity: int,
    *,
    start: datetime = NOW,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    reason: StatusReason | None = None,
    cancel_at_period_end: bool = False,
    grace_ends_at: datetime | None = None,
) -> Subscription:
    """A subscription written directly (as if bought at `start`), with the pool counter in step."""
    sub = await Subscription.create(
        organization_id=fx.org.id,
        product_id=sku,
        quantity=quantity,
        status=status,
        status_reason=reason,
        period_anchor=start,
        period_index=1,
        current_period_start=start,
        current_period_end=add_months(start, 1),
        cancel_at_period_end=cancel_at_period_end,
        grace_ends_at=grace_ends_at,
        created_at=start,
    )
    await recount(fx.org.id, sku)
    return sub


TABLES = (Subscription, Charge, PaymentCard, IdempotencyKey, SeatPool, LicenseAssignment, AuditEvent)


async def snapshot() -> dict[str, list[dict]]:
    """Every row of the billing-related tables, to check that a failure changed nothing."""
    return {model.__name__: await model.all().order_by("id").values() for model in TABLES}


def changed(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> set[str]:
    return {name for name in before if before[name] != after[name]}
