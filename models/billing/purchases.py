"""Buying and reducing licenses, quotes, and the subscription and charge listings.

A purchase adds licenses to the product's ACTIVE subscription that is not set to cancel, charged
pro rata for the rest of its period; otherwise it starts a new subscription, charged one full
month. The charge and every change commit together, or nothing changes but the recorded failed
Charge. An idempotency key (per organization) makes a retried purchase return the first result.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.billing import charges, priced
from seatwise.models.billing.charges import default_card
from seatwise.models.billing.gateways import ChargeFailureCode, ChargeResult, GatewayUnavailable
from seatwise.models.catalog import prices
from seatwise.models.catalog.products import get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text
from seatwise.models.core.locks import hold
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import (
    Charge,
    ChargeAttempt,
    IdempotencyKey,
    Organization,
    PaymentCard,
    Product,
    Subscription,
    SubscriptionStatus,
)
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.licenses import Previewed

MAX_KEY_LENGTH = 255
KEY_RETENTION = timedelta(hours=24)
# Charges newest first.
CHARGE_ORDER = Keyset(("-created_at", "-id"))
# A duplicate purchase waits this long (polling) for the first to be charged.
DUPLICATE_WAIT, DUPLICATE_POLL = 30.0, 0.05


def request_hash(sku: str, quantity: int) -> str:
    return hashlib.sha256(f"{sku}\n{quantity}".encode()).hexdigest()


async def _replay(org: Organization, key: str, digest: str) -> tuple[Subscription, Charge] | None:
    """The first result for a key already used with the same input; IDEMPOTENCY_KEY_REUSED for other input."""
    row = await IdempotencyKey.get_or_none(organization_id=org.id, key=key)
    if row is None:
        return None
    if row.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was already used for another purchase.", "idempotency_key"
        )
    if row.charge_id is None:
        return None  # in flight
    return await Subscription.get(id=row.subscription_id), await Charge.get(id=row.charge_id)


class _Busy(Exception):
    """Another request with the same idempotency key is being charged right now."""


async def _start(
    org: Organization,
    product: Product,
    quantity: int,
    key: str,
    digest: str,
    card: PaymentCard,
    *,
    now: datetime,
    wall: datetime,
    plan: Plan | None = None,
) -> ChargeAttempt | tuple[Subscription, Charge]:
    """Claim the idempotency key and record the charge attempt (one short transaction, no pool lock):
    the attempt, or the first result when the key was used already. With a plan token: the plan is checked here,
    before the gateway is asked (PLAN_STALE frees the key), and the previewed amount is what is charged."""
    async with in_transaction():
        try:
            async with in_transaction():  # a savepoint: the concurrent twin of this request may have the key
                await IdempotencyKey.create(organization_id=org.id, key=key, request_hash=digest, created_at=now)
        except IntegrityError:
            # The key's first request is in flight or done. Hold its row: if that request is applying its result
            # now, this waits for it and then sees it, instead of starting a second charge.
            if not await _hold_key(org, key):
                raise _Busy() from None  # it failed and freed the key meanwhile: start again
            if (first := await _replay(org, key, digest)) is not None:
                return first
        await IdempotencyKey.filter(organization_id=org.id, created_at__lt=now - KEY_RETENTION).exclude(key=key).delete()
        price, details, open_sub, terms = await priced.price_purchase(org, product, quantity, now)
        if plan is not None and plan.token is not None:
            await priced.check_terms(org, plan, terms, now)
        description = (
            f"{quantity} {product.name} license(s), prorated to {price.period_end.date().isoformat()}"
            if price.prorated
            else f"{quantity} {product.name} license(s), first month"
        )
        attempt = await charges.open_attempt(
            org,
            card,
            terms["amount"],
            description,
            key=f"purchase:{org.id}:{hashlib.sha256(key.encode()).hexdigest()}",
            subscription_id=open_sub.id if open_sub else None,
            details=details,
            now=now,
            wall=wall,
        )
        if attempt is None:
            raise _Busy()
        return attempt


async def _hold_key(org: Organization, key: str) -> bool:
    """Hold the key's row until the transaction ends (`models/core/locks.py`); False when there is none. Held
    before the attempt: the lock order of a purchase and its duplicates."""
    return await hold(IdempotencyKey.filter(organization_id=org.id, key=key), "request_hash") > 0


def _refusal(result: ChargeResult) -> DomainError:
    """The error of a failed purchase charge."""
    if result.failure_code is ChargeFailureCode.CARD_EXPIRED:
        return DomainError(ErrorCode.CARD_EXPIRED, "The payment card has expired.")
    if result.failure_code is ChargeFailureCode.AUTHENTICATION_REQUIRED:
        return DomainError(
            ErrorCode.CARD_DECLINED, "The card's bank wants the cardholder to confirm each payment; use another card."
        )
    return DomainError(ErrorCode.CARD_DECLINED, "The payment card was declined.")


async def _apply_purchase(
    org: Organization, attempt: ChargeAttempt, result: ChargeResult, key: str, *, actor: Actor, now: datetime
):
    """Apply the gateway's answer: the licenses and the paid Charge, or only the failed Charge (the key is freed)."""
    details = attempt.details
    sku, quantity = details["sku"], details["quantity"]
    if not result.succeeded:
        async with in_transaction():
            await _hold_key(org, key)
            await charges.settle(org, attempt, result, actor=actor, now=now)
            await IdempotencyKey.filter(organization_id=org.id, key=key).delete()  # a failed charge does not use up the key
        raise _refusal(result)
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(sku)
        await _hold_key(org, key)
        subscription = await priced.add_licenses(change, details, attempt.subscription_id, attempt.created_at)
        charge = await charges.settle(org, attempt, result, actor=actor, now=now, subscription_id=subscription.id)
        await IdempotencyKey.filter(organization_id=org.id, key=key).update(subscription_id=subscription.id, charge_id=charge.id)
        await change.audit(
            AuditAction.LICENSES_PURCHASED,
            AuditTarget.SUBSCRIPTION,
            subscription.id,
            {
                "sku": sku,
                "quantity": quantity,
                "amountCents": attempt.amount_cents,
                "chargeId": str(charge.id),
                "prorated": details["prorated"],
            },
        )
    return subscription, charge


async def purchase_licenses(
    org: Organization,
    sku: str,
    quantity: int,
    idempotency_key: str,
    *,
    actor: Actor,
    now: datetime,
    wall: datetime | None = None,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> tuple[Subscription, Charge]:
    """Buy `quantity` licenses of `sku` on the default card; the same key and input return the first result.

    The gateway is called with no transaction open (see models/billing/charges.py); a duplicate arriving
    while the first is being charged waits for its result. `wall` is the wall-clock time of the
    request (the attempt's lease), `now` the organization's. A dry run raises `Previewed` (a key already used
    with this input returns its first result, as the real run would)."""
    wall = wall or now
    prices.check_quantity(quantity, "quantity")
    if not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"The idempotency key has 1 to {MAX_KEY_LENGTH} characters.", "idempotency_key"
        )
    checked_text(idempotency_key, MAX_KEY_LENGTH, "The idempotency key", "idempotency_key")
    product = await get_product(sku, "product_sku")
    digest = request_hash(sku, quantity)
    plan = Plan("purchaseLicenses", {"sku": sku, "quantity": quantity, "key": idempotency_key}, plan_token, dry_run)
    for _ in range(int(DUPLICATE_WAIT / DUPLICATE_POLL)):
        if (first := await _replay(org, idempotency_key, digest)) is not None:
            return first
        card = await default_card(org)
        if card is None:
            raise DomainError(ErrorCode.NO_PAYMENT_CARD, "Add a payment card before buying licenses.")
        if dry_run:
            raise Previewed(await priced.preview(org, product, quantity, plan, actor=actor, now=now))
        try:
            started = await _start(org, product, quantity, idempotency_key, digest, card, now=now, wall=wall, plan=plan)
        except _Busy:
            await asyncio.sleep(DUPLICATE_POLL)
            continue
        if isinstance(started, tuple):
            return started
        try:
            result = await charges.send(started, now=now)
        except GatewayUnavailable:
            raise DomainError(
                ErrorCode.GATEWAY_UNAVAILABLE,
                "The payment processor could not be reached; retry with the same idempotency key (nothing is charged twice).",
            ) from None
        return await _apply_purchase(org, started, result, idempotency_key, actor=actor, now=now)
    raise DomainError(
        ErrorCode.INVALID_INPUT, "A purchase with this idempotency key is still being charged; retry shortly.", "idempotency_key"
    )


def subscriptions_query(org: Organization, statuses: list[SubscriptionStatus] | None = None) -> QuerySet[Subscription]:
    """The organization's subscriptions, oldest first, optionally of some statuses."""
    query = Subscription.filter(organization_id=org.id)
    if statuses:
        query = query.filter(status__in=list(statuses))
    return query.order_by("created_at", "id")


def charges_query(org: Organization) -> QuerySet[Charge]:
    """The organization's charges, newest first by (createdAt, id)."""
    return Charge.filter(organization_id=org.id).order_by(*CHARGE_ORDER.fields)
