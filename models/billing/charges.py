"""Charging the organization's default card, without holding a database lock across the gateway call.

A charge is three steps:

1. `open_attempt`, inside the caller's first transaction: record a ChargeAttempt with a new gateway
   idempotency key (or take over the one a crashed process left behind, once its lease ran out);
2. `send`, outside any transaction: ask the gateway, with that key;
3. `settle`, inside the caller's second transaction (the one that applies the outcome): record the
   Charge, paid or not (a failure also writes `charge.failed`), and remove the attempt.

A crash between 2 and 3 leaves the attempt: the retry (a repeated purchase, the next clock run)
asks the gateway again with the same key and gets the same answer, so the payment is neither made
twice nor lost.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from seatwise.models.billing.gateways import ChargeFailureCode, ChargeResult, gateway
from seatwise.models.core.tables import Charge, ChargeAttempt, ChargeStatus, Organization, PaymentCard
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget

# How long a process may work on an attempt before another may take it over (a crash, not a slow gateway).
ATTEMPT_LEASE = timedelta(seconds=60)


async def default_card(org: Organization) -> PaymentCard | None:
    return await PaymentCard.filter(organization_id=org.id, is_default=True).first()


async def open_attempt(
    org: Organization,
    card: PaymentCard,
    amount_cents: int,
    description: str,
    *,
    key: str,
    subscription_id: int | None,
    details: dict[str, Any] | None = None,
    now: datetime,
    wall: datetime,
) -> ChargeAttempt | None:
    """The attempt for `key` (what is paid for): a new one, or the one left behind by a process whose lease ran out
    (with its original amount and details). None while another process works on it."""
    existing = await ChargeAttempt.get_or_none(key=key)
    if existing is None:
        try:
            async with in_transaction():  # a savepoint: a concurrent insert of the same key must not end the caller's transaction
                return await ChargeAttempt.create(
                    organization_id=org.id,
                    key=key,
                    gateway_key=f"{key}:{secrets.token_hex(8)}",
                    card_id=card.id,
                    subscription_id=subscription_id,
                    amount_cents=amount_cents,
                    description=description,
                    details=details or {},
                    claimed_at=wall,
                    created_at=now,
                )
        except IntegrityError:
            return None
    if await ChargeAttempt.filter(id=existing.id, claimed_at__lt=wall - ATTEMPT_LEASE).update(claimed_at=wall):
        return existing
    return None


async def send(attempt: ChargeAttempt, *, now: datetime) -> ChargeResult:
    """Ask the gateway for the attempt's charge (outside any transaction); expiry is judged at `now`."""
    card = await PaymentCard.get_or_none(id=attempt.card_id) if attempt.card_id else None
    if card is None:  # removed while the charge was on its way: nothing was sent
        return ChargeResult(False, ChargeFailureCode.CARD_DECLINED, None, "card_removed")
    return await gateway().charge(
        card.gateway_token,
        card.exp_month,
        card.exp_year,
        attempt.amount_cents,
        now=now,
        idempotency_key=attempt.gateway_key,
        organization_id=attempt.organization_id,
    )


async def settle(
    org: Organization,
    attempt: ChargeAttempt,
    result: ChargeResult,
    *,
    actor: Actor,
    now: datetime,
    subscription_id: int | None = None,
) -> Charge:
    """Inside the transaction that applies the outcome: the Charge, `charge.failed` when it failed, the attempt removed."""
    charge = await Charge.create(
        organization_id=org.id,
        subscription_id=subscription_id if subscription_id is not None else attempt.subscription_id,
        card_id=attempt.card_id,
        amount_cents=attempt.amount_cents,
        currency=attempt.currency,
        status=ChargeStatus.SUCCEEDED if result.succeeded else ChargeStatus.FAILED,
        failure_code=result.failure_code.value if result.failure_code else None,
        description=attempt.description,
        gateway_reference=result.reference,
        created_at=now,
    )
    if not result.succeeded:
        card = await PaymentCard.get_or_none(id=attempt.card_id) if attempt.card_id else None
        await audit_failure(org, charge, card.last4 if card else None, processor_code=result.processor_code, actor=actor, now=now)
    await ChargeAttempt.filter(id=attempt.id).delete()
    return charge


async def audit_failure(
    org: Organization, charge: Charge, last4: str | None, *, processor_code: str | None = None, actor: Actor, now: datetime
) -> None:
    """`charge.failed` (target: the card), with nothing of the card but its last 4 digits; `processorCode` is the
    processor's own decline code (e.g. Stripe's `insufficient_funds`)."""
    await audit.record(
        org,
        actor,
        AuditAction.CHARGE_FAILED,
        target_type=AuditTarget.PAYMENT_CARD,
        target_id=charge.card_id,
        at=now,
        details={
            "chargeId": str(charge.id),
            "amountCents": charge.amount_cents,
            "failureCode": charge.failure_code,
            "subscriptionId": str(charge.subscription_id) if charge.subscription_id else None,
            "last4": last4,
            "processorCode": processor_code,
        },
    )
