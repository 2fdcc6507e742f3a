"""Charging the organization's default card: every attempt, paid or not, is a recorded Charge."""

from __future__ import annotations

from datetime import datetime

from models import audit
from models.audit import Actor
from models.gateway import gateway
from models.tables import Charge, ChargeStatus, Organization, PaymentCard


async def default_card(org: Organization) -> PaymentCard | None:
    return await PaymentCard.filter(organization_id=org.id, is_default=True).first()


async def charge_card(
    org: Organization,
    card: PaymentCard,
    amount_cents: int,
    description: str,
    *,
    subscription_id: int | None,
    actor: Actor,
    now: datetime,
    idempotency_key: str,
) -> Charge:
    """Charge `card` through the gateway and record the Charge (inside the caller's transaction).

    A failure also writes `charge.failed` (target: the card). The caller decides what else a
    failure undoes; the purchase path records failed charges in a transaction of their own.
    """
    result = gateway().charge(
        card.gateway_token, card.exp_month, card.exp_year, amount_cents, now=now, idempotency_key=idempotency_key
    )
    charge = await Charge.create(
        organization_id=org.id,
        subscription_id=subscription_id,
        card_id=card.id,
        amount_cents=amount_cents,
        status=ChargeStatus.SUCCEEDED if result.succeeded else ChargeStatus.FAILED,
        failure_code=result.failure_code,
        description=description,
        gateway_reference=result.reference,
        created_at=now,
    )
    if not result.succeeded:
        await audit_failure(org, charge, card.last4, actor=actor, now=now)
    return charge


async def audit_failure(org: Organization, charge: Charge, last4: str, *, actor: Actor, now: datetime) -> None:
    """`charge.failed` (target: the card), with nothing of the card but its last 4 digits."""
    await audit.record(
        org, actor, "charge.failed", target_type="PAYMENT_CARD", target_id=charge.card_id, at=now,
        details={"chargeId": str(charge.id), "amountCents": charge.amount_cents, "failureCode": charge.failure_code,
                 "subscriptionId": str(charge.subscription_id) if charge.subscription_id else None, "last4": last4},
    )
