"""The payment of a charging step (RENEW, RETRY): the default card charged for a subscription's period.

A charging step runs in two transactions with the gateway asked between them, with no transaction
open (`models/billing/charges.py`):

1. `prepare_payment`: claim the subscription (`models/billing/schedule.py`, `claim`) and record the
   charge attempt, in one short transaction with no pool lock. The gateway key is one per period
   renewed or retry moment, so a crashed run's retry gets the same answer, never a second charge;
2. `charges.send`: ask the gateway;
3. `settle_payment`, inside the seat change that applies the outcome: record the Charge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from seatwise.models.billing import charges
from seatwise.models.billing.charges import default_card
from seatwise.models.billing.gateways import ChargeResult
from seatwise.models.billing.schedule import NotDue, Step, claim, due_step
from seatwise.models.catalog.products import product_of
from seatwise.models.core.tables import Charge, ChargeAttempt, ChargeStatus, Organization, PaymentCard, Subscription
from seatwise.models.events.audit import BILLING_CLOCK


@dataclass
class Payment:
    """What a charging step learnt from the gateway (outside any transaction), applied in its second transaction."""

    attempt: ChargeAttempt | None  # None: no default card, nothing was sent
    result: ChargeResult | None
    amount: int


def charge_key(sub: Subscription, step: Step, now: datetime) -> str:
    """The gateway idempotency key of the charge a step makes: one per period renewed, one per retry moment."""
    if step is Step.RENEW:
        return f"renewal:{sub.id}:{sub.current_period_end.isoformat()}"
    return f"retry:{sub.id}:{now.isoformat()}"


async def prepare_payment(
    org: Organization,
    sub: Subscription,
    step: Step,
    *,
    now: datetime,
    wall: datetime,
    owed: Callable[[Subscription], bool] | None = None,
) -> Payment | None:
    """Phase 1 of a charging step, in a short transaction with no pool lock: claim the subscription and record
    the charge attempt. None when another clock took the step or works on its charge; `NotDue` when the claimed
    subscription no longer owes it (`owed`, by default: `step` is the clock's step due at `now`)."""
    async with in_transaction():
        if not await claim(sub):
            return None
        fresh = await Subscription.get(id=sub.id)
        if not (owed(fresh) if owed else due_step(fresh, now) is step):
            raise NotDue  # leaving the transaction by it rolls the claim back
        product = await product_of(fresh.product_id)
        amount = fresh.quantity * product.unit_price_cents
        card = await default_card(org)
        if card is None:
            return Payment(None, None, amount)
        attempt = await charges.open_attempt(
            org,
            card,
            amount,
            f"{product.name}: {fresh.quantity} licenses, renewal",
            key=charge_key(fresh, step, now),
            subscription_id=fresh.id,
            now=now,
            wall=wall,
        )
        if attempt is None:
            return None
    return Payment(attempt, None, attempt.amount_cents)


async def settle_payment(org: Organization, payment: Payment, *, now: datetime) -> tuple[Charge | None, dict[str, Any]]:
    """Inside the applying transaction: the Charge of the payment (None when nothing was charged), and the
    details of the payment for the audit."""
    if payment.attempt is None or payment.result is None:
        return None, {"amountCents": payment.amount, "failure": "NO_PAYMENT_CARD"}
    card = await PaymentCard.get_or_none(id=payment.attempt.card_id) if payment.attempt.card_id else None
    charge = await charges.settle(org, payment.attempt, payment.result, actor=BILLING_CLOCK, now=now)
    details: dict[str, Any] = {"amountCents": payment.amount, "chargeId": str(charge.id), "card": card.last4 if card else None}
    if charge.status is ChargeStatus.FAILED:
        details["failure"] = charge.failure_code
    return charge, details
