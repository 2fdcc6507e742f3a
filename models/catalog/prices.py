"""Prices: what a number of licenses of a product costs at a moment, pro rata for the rest of an open period.

A purchase adds licenses to the product's ACTIVE subscription that is not set to cancel, charged pro rata for the
rest of its period; otherwise it starts a new subscription, charged one full month. `quote` says exactly what
`billing.purchases.purchase_licenses` would charge; a conflict's remedy quotes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from seatwise.models.catalog.products import get_product
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Organization, Product, Subscription, SubscriptionStatus

MIN_QUANTITY, MAX_QUANTITY = 1, 10000
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


def check_quantity(quantity: int, subject: str) -> None:
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise DomainError(ErrorCode.INVALID_QUANTITY, f"The quantity is {MIN_QUANTITY} to {MAX_QUANTITY}.", subject)


async def open_subscription(org: Organization, sku: str) -> Subscription | None:
    """The subscription a purchase adds to: ACTIVE, of this product, not set to cancel (oldest first)."""
    return (
        await Subscription.filter(
            organization_id=org.id, product_id=sku, status=SubscriptionStatus.ACTIVE, cancel_at_period_end=False
        )
        .order_by("created_at", "id")
        .first()
    )


def price(product: Product, quantity: int, open_sub: Subscription | None, now: datetime) -> QuoteView:
    full = product.unit_price_cents * quantity
    if open_sub is None:
        return QuoteView(product, quantity, full, False, add_months(now, 1))
    period = max((open_sub.current_period_end - open_sub.current_period_start) // SECOND, 1)
    left = min(max((open_sub.current_period_end - now) // SECOND, 0), period)
    return QuoteView(product, quantity, round_half_up(full * left, period), True, open_sub.current_period_end)


async def quote(org: Organization, sku: str, quantity: int, now: datetime) -> QuoteView:
    """Exactly what purchase_licenses would charge at `now` (INVALID_QUANTITY, UNKNOWN_PRODUCT)."""
    check_quantity(quantity, "quantity")
    product = await get_product(sku, "product_sku")
    return price(product, quantity, await open_subscription(org, sku), now)
