"""A purchase's priced change, apart from its gateway call: the price now, where the licenses go, and the change
that adds them. The real purchase (models/billing/purchases.py) charges the card in between; a dry run (section 13)
makes the same change without a charge or a gateway call and rolls it back, its preview saying what would be
charged now and how the monthly bill grows; its plan token carries the price, which the real run charges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tortoise.expressions import F

from seatwise.models.catalog import prices
from seatwise.models.core.clock import iso
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Organization, Product, Subscription, SubscriptionStatus
from seatwise.models.events.audit import Actor
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.plans.previews import Preview
from seatwise.models.plans.tokens import STALE, Plan
from seatwise.models.seats import ledger


def purchase_details(
    product: Product, quantity: int, open_sub: Subscription | None, price: prices.QuoteView, now: datetime
) -> dict:
    """Where a purchase's licenses go and what was priced: kept with its charge attempt, applied by `add_licenses`."""
    return {
        "sku": product.sku,
        "quantity": quantity,
        "prorated": price.prorated,
        "periodEnd": iso(price.period_end),
        "anchor": iso(open_sub.period_anchor if open_sub else now),
        "periodIndex": open_sub.period_index if open_sub else 1,
    }


async def price_purchase(org: Organization, product: Product, quantity: int, now: datetime):
    """The price of the purchase now, where its licenses go, and the plan terms a preview of it signs."""
    open_sub = await prices.open_subscription(org, product.sku)
    price = prices.price(product, quantity, open_sub, now)
    terms = {"amount": price.amount_cents, "periodEnd": iso(price.period_end), "sub": open_sub.id if open_sub else None}
    return price, purchase_details(product, quantity, open_sub, price, now), open_sub, terms


async def check_terms(org: Organization, plan: Plan, terms: dict, now: datetime) -> None:
    """PLAN_STALE unless the seat state is the preview's and the licenses would go where the preview put them (the
    same subscription and period); then `terms` take the previewed amount (a prorated price falls by the second)."""
    planned = await ledger.check_plan(org, plan, now)
    if planned is None or any(planned.get(k) != terms[k] for k in ("periodEnd", "sub")):
        raise DomainError(ErrorCode.PLAN_STALE, STALE, "plan_token")
    terms["amount"] = int(planned["amount"])


async def add_licenses(change: ledger.SeatChange, details: dict, subscription_id: int | None, start: datetime) -> Subscription:
    """The priced change (under the pool lock): the licenses added to the subscription priced, or to one of their
    own for exactly the period priced, and `purchased` recounted. A dry run and the real purchase both make it."""
    sku, quantity = details["sku"], details["quantity"]
    period_end = datetime.fromisoformat(details["periodEnd"])
    sub = await Subscription.get_or_none(id=subscription_id) if subscription_id else None
    if (
        sub is not None
        and sub.status is SubscriptionStatus.ACTIVE
        and not sub.cancel_at_period_end
        and sub.current_period_end == period_end
    ):
        await Subscription.filter(id=sub.id).update(quantity=F("quantity") + quantity, version=F("version") + 1)
        subscription = await Subscription.get(id=sub.id)
    else:
        # A new subscription, or the one priced stopped taking licenses (renewed, cancelled) while the gateway
        # answered: the licenses get a subscription of their own for exactly the period that was paid.
        subscription = await Subscription.create(
            organization_id=change.org.id,
            product_id=sku,
            quantity=quantity,
            status=SubscriptionStatus.ACTIVE,
            period_anchor=datetime.fromisoformat(details["anchor"]),
            period_index=details["periodIndex"],
            current_period_start=start,
            current_period_end=period_end,
            created_at=start,
        )
    await change.recount(sku, event=LicenseEventKind.PURCHASED)
    return subscription


async def preview(org: Organization, product: Product, quantity: int, plan: Plan, *, actor: Actor, now: datetime) -> Preview:
    """A dry run: the price worked out and the priced change made, then rolled back; no key, attempt, charge or
    gateway call. The plan token carries the price, which the real run charges (`check_terms`)."""
    price, details, open_sub, terms = await price_purchase(org, product, quantity, now)
    plan = replace(plan, terms=terms)
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        await change.lock(product.sku)
        await add_licenses(change, details, open_sub.id if open_sub else None, now)
        change.billed = (product.unit_price_cents * quantity, price, None)
    assert change.preview is not None
    return change.preview
