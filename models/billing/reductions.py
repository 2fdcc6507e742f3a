"""Reducing licenses: `quantity` licenses removed now, without refund, from an ACTIVE subscription; never below 1
nor the product's `purchased` below its `assigned` (docs/rules.md section 6). A dry run (section 13) works the
reduction out and keeps nothing; its preview says how the monthly bill goes down."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from seatwise.models.catalog import prices
from seatwise.models.catalog.products import product_of
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.tables import Organization, Subscription, SubscriptionStatus
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.licenses import Previewed


async def reduce_licenses(
    org: Organization,
    subscription_id: str,
    quantity: int,
    *,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> Subscription:
    """Remove `quantity` licenses now, without refund, from an ACTIVE subscription. A dry run raises `Previewed`."""
    prices.check_quantity(quantity, "quantity")
    sub = await get_subscription(org, subscription_id, "subscription_id")
    sku = sub.product_id
    plan = Plan("reduceLicenses", {"sub": sub.id, "quantity": quantity}, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        await change.lock(sku)
        sub = await Subscription.get(id=sub.id)
        if sub.status is not SubscriptionStatus.ACTIVE:
            raise DomainError(ErrorCode.SUBSCRIPTION_NOT_ACTIVE, f"The subscription is {sub.status.value}.", "subscription_id")
        if quantity >= sub.quantity:
            raise DomainError(
                ErrorCode.INVALID_QUANTITY, f"The subscription has {sub.quantity} licenses and keeps at least 1.", "quantity"
            )
        await Subscription.filter(id=sub.id).update(quantity=F("quantity") - quantity, version=F("version") + 1)
        pool = await change.recount(sku, event=LicenseEventKind.REDUCED)
        if pool.purchased < pool.assigned:
            raise DomainError(
                ErrorCode.LICENSES_IN_USE,
                f"{pool.assigned} {sku} licenses are assigned; revoke some before keeping only {pool.purchased}.",
                "quantity",
            )
        change.billed = (-(await product_of(sku)).unit_price_cents * quantity, None, None)  # no refund: nothing charged
        sub = await Subscription.get(id=sub.id)
        await change.audit(
            AuditAction.LICENSES_REDUCED,
            AuditTarget.SUBSCRIPTION,
            sub.id,
            {"sku": sku, "quantity": quantity, "remaining": sub.quantity},
        )
    if change.preview is not None:
        raise Previewed(change.preview)
    return sub
