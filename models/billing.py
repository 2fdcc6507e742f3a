"""Buying and reducing licenses, quotes, and the subscription and charge listings.

A purchase adds licenses to the product's ACTIVE subscription that is not set to cancel, charged
pro rata for the rest of its period; otherwise it starts a new subscription, charged one full
month. The charge and every change commit together, or nothing changes but the recorded failed
Charge. An idempotency key (per organization) makes a retried purchase return the first result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models import audit, seats
from models.audit import Actor
from models.charges import audit_failure, charge_card, default_card
from models.clock import add_months
from models.errors import DomainError, ErrorCode
from models.inputs import checked_text
from models.events import LicenseEventKind
from models.lookups import get_product, get_subscription
from models.tables import (
    Charge, ChargeStatus, IdempotencyKey, Organization, Product, SeatPool, Subscription, SubscriptionStatus,
)

MIN_QUANTITY, MAX_QUANTITY = 1, 10000
MAX_KEY_LENGTH = 255
KEY_RETENTION = timedelta(hours=24)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class QuoteView:
    product: Product
    quantity: int
    amount_cents: int
    prorated: bool
    period_end: datetime


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, in integers (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def check_quantity(quantity: int, field: list[str]) -> None:
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise DomainError(ErrorCode.INVALID_QUANTITY, f"The quantity is {MIN_QUANTITY} to {MAX_QUANTITY}.", field)


async def _open_subscription(org: Organization, sku: str) -> Subscription | None:
    """The subscription a purchase adds to: ACTIVE, of this product, not set to cancel (oldest first)."""
    return (
        await Subscription.filter(
            organization_id=org.id, product_id=sku, status=SubscriptionStatus.ACTIVE, cancel_at_period_end=False
        )
        .order_by("created_at", "id")
        .first()
    )


async def _claim_open_subscription(org: Organization, sku: str) -> Subscription | None:
    """The subscription a purchase adds to, claimed by a version bump (its row lock on PostgreSQL):
    a billing-clock renewal of it commits first and is seen, so the proration is for the current period."""
    for _ in range(5):
        sub = await _open_subscription(org, sku)
        if sub is None or await Subscription.filter(id=sub.id, version=sub.version).update(version=F("version") + 1):
            return sub
    raise RuntimeError(f"could not claim the {sku} subscription of organization {org.id}")


def _price(product: Product, quantity: int, open_sub: Subscription | None, now: datetime) -> QuoteView:
    full = product.unit_price_cents * quantity
    if open_sub is None:
        return QuoteView(product, quantity, full, False, add_months(now, 1))
    period = max((open_sub.current_period_end - open_sub.current_period_start) // SECOND, 1)
    left = min(max((open_sub.current_period_end - now) // SECOND, 0), period)
    return QuoteView(product, quantity, round_half_up(full * left, period), True, open_sub.current_period_end)


async def quote(org: Organization, sku: str, quantity: int, now: datetime) -> QuoteView:
    """Exactly what purchase_licenses would charge at `now` (INVALID_QUANTITY, UNKNOWN_PRODUCT)."""
    check_quantity(quantity, ["quantity"])
    product = await get_product(sku, ["productSku"])
    return _price(product, quantity, await _open_subscription(org, sku), now)


def request_hash(sku: str, quantity: int) -> str:
    return hashlib.sha256(f"{sku}\n{quantity}".encode()).hexdigest()


class _KeyTaken(Exception):
    """Another request committed the same idempotency key first."""


class _ChargeFailed(Exception):
    def __init__(self, charge: Charge) -> None:
        super().__init__(charge.failure_code)
        self.charge = charge


async def _replay(org: Organization, key: str, digest: str) -> tuple[Subscription, Charge] | None:
    """The first result for a key already used with the same input; IDEMPOTENCY_KEY_REUSED for other input."""
    row = await IdempotencyKey.get_or_none(organization_id=org.id, key=key)
    if row is None:
        return None
    if row.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was already used for another purchase.", ["input", "idempotencyKey"]
        )
    return await Subscription.get(id=row.subscription_id), await Charge.get(id=row.charge_id)


async def _record_failed_charge(org: Organization, failed: Charge, last4: str, *, actor: Actor, now: datetime) -> Charge:
    """After the purchase rolled back: keep the failed attempt (and its charge.failed audit) on its own."""
    async with in_transaction():
        charge = await Charge.create(
            organization_id=org.id, subscription_id=failed.subscription_id, card_id=failed.card_id,
            amount_cents=failed.amount_cents, currency=failed.currency, status=ChargeStatus.FAILED,
            failure_code=failed.failure_code, description=failed.description, gateway_reference=failed.gateway_reference,
            created_at=failed.created_at,
        )
        await audit_failure(org, charge, last4, actor=actor, now=now)
    return charge


async def purchase_licenses(
    org: Organization, sku: str, quantity: int, idempotency_key: str, *, actor: Actor, now: datetime
) -> tuple[Subscription, Charge]:
    """Buy `quantity` licenses of `sku` on the default card; the same key and input return the first result."""
    check_quantity(quantity, ["input", "quantity"])
    if not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.INVALID_INPUT, f"The idempotency key has 1 to {MAX_KEY_LENGTH} characters.", ["input", "idempotencyKey"])
    checked_text(idempotency_key, MAX_KEY_LENGTH, "The idempotency key", ["input", "idempotencyKey"])
    product = await get_product(sku, ["input", "productSku"])
    digest = request_hash(sku, quantity)
    if (first := await _replay(org, idempotency_key, digest)) is not None:
        return first
    card = await default_card(org)
    if card is None:
        raise DomainError(ErrorCode.NO_PAYMENT_CARD, "Add a payment card before buying licenses.")
    before = await seats.seat_pool(org, sku)
    try:
        async with in_transaction():
            # First statement: a concurrent duplicate waits here for this transaction, then fails.
            try:
                key_row = await IdempotencyKey.create(organization_id=org.id, key=idempotency_key, request_hash=digest, created_at=now)
            except IntegrityError:
                raise _KeyTaken() from None
            await IdempotencyKey.filter(organization_id=org.id, created_at__lt=now - KEY_RETENTION).delete()
            await seats.lock_pool(org.id, sku)
            open_sub = await _claim_open_subscription(org, sku)
            price = _price(product, quantity, open_sub, now)
            description = (
                f"{quantity} {product.name} license(s), prorated to {price.period_end.date().isoformat()}"
                if price.prorated else f"{quantity} {product.name} license(s), first month"
            )
            charge = await charge_card(
                org, card, price.amount_cents, description, subscription_id=open_sub.id if open_sub else None,
                actor=actor, now=now, idempotency_key=f"purchase:{org.id}:{idempotency_key}",
            )
            if charge.status is not ChargeStatus.SUCCEEDED:
                raise _ChargeFailed(charge)
            if open_sub is not None:
                await Subscription.filter(id=open_sub.id).update(quantity=F("quantity") + quantity, version=F("version") + 1)
                subscription = await Subscription.get(id=open_sub.id)
            else:
                subscription = await Subscription.create(
                    organization_id=org.id, product_id=sku, quantity=quantity, status=SubscriptionStatus.ACTIVE,
                    period_anchor=now, period_index=1, current_period_start=now, current_period_end=price.period_end,
                    created_at=now,
                )
                await Charge.filter(id=charge.id).update(subscription_id=subscription.id)
                charge.subscription_id = subscription.id
            await seats.sync_purchased(org.id, sku)
            await IdempotencyKey.filter(id=key_row.id).update(subscription_id=subscription.id, charge_id=charge.id)
            await audit.record(
                org, actor, "licenses.purchased", target_type="SUBSCRIPTION", target_id=subscription.id, at=now,
                details={"sku": sku, "quantity": quantity, "amountCents": price.amount_cents, "chargeId": str(charge.id),
                         "prorated": price.prorated},
            )
    except _KeyTaken:
        first = await _replay(org, idempotency_key, digest)
        if first is None:  # the key's first holder rolled back after our insert failed: cannot happen
            raise RuntimeError("idempotency key vanished") from None
        return first
    except _ChargeFailed as failed:
        await _record_failed_charge(org, failed.charge, card.last4, actor=actor, now=now)
        code = ErrorCode.CARD_EXPIRED if failed.charge.failure_code == "CARD_EXPIRED" else ErrorCode.CARD_DECLINED
        message = "The payment card has expired." if code is ErrorCode.CARD_EXPIRED else "The payment card was declined."
        raise DomainError(code, message) from None
    await seats.notify(org, LicenseEventKind.PURCHASED, sku, user_id=None, before=before, at=now)
    return subscription, charge


async def reduce_licenses(org: Organization, subscription_id: str, quantity: int, *, actor: Actor, now: datetime) -> Subscription:
    """Remove `quantity` licenses now, without refund, from an ACTIVE subscription."""
    check_quantity(quantity, ["input", "quantity"])
    sub = await get_subscription(org, subscription_id, ["input", "subscriptionId"])
    sku = sub.product_id
    before = await seats.seat_pool(org, sku)
    async with in_transaction():
        await seats.lock_pool(org.id, sku)
        sub = await Subscription.get(id=sub.id)
        if sub.status is not SubscriptionStatus.ACTIVE:
            raise DomainError(ErrorCode.SUBSCRIPTION_NOT_ACTIVE, f"The subscription is {sub.status.value}.", ["input", "subscriptionId"])
        if quantity >= sub.quantity:
            raise DomainError(
                ErrorCode.INVALID_QUANTITY, f"The subscription has {sub.quantity} licenses and keeps at least 1.", ["input", "quantity"]
            )
        await Subscription.filter(id=sub.id).update(quantity=F("quantity") - quantity, version=F("version") + 1)
        await seats.sync_purchased(org.id, sku)
        pool = await SeatPool.get(organization_id=org.id, product_id=sku)
        if pool.purchased < pool.assigned:
            raise DomainError(
                ErrorCode.LICENSES_IN_USE,
                f"{pool.assigned} {sku} licenses are assigned; revoke some before keeping only {pool.purchased}.",
                ["input", "quantity"],
            )
        sub = await Subscription.get(id=sub.id)
        await audit.record(
            org, actor, "licenses.reduced", target_type="SUBSCRIPTION", target_id=sub.id, at=now,
            details={"sku": sku, "quantity": quantity, "remaining": sub.quantity},
        )
    await seats.notify(org, LicenseEventKind.REDUCED, sku, user_id=None, before=before, at=now)
    return sub


def subscriptions_query(org: Organization, statuses: list[SubscriptionStatus] | None = None) -> QuerySet[Subscription]:
    """The organization's subscriptions, oldest first, optionally of some statuses."""
    query = Subscription.filter(organization_id=org.id)
    if statuses:
        query = query.filter(status__in=list(statuses))
    return query.order_by("created_at", "id")


def charges_query(org: Organization) -> QuerySet[Charge]:
    """The organization's charges, newest first by (createdAt, id)."""
    return Charge.filter(organization_id=org.id).order_by("-created_at", "-id")
