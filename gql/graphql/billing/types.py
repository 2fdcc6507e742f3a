"""Cards, subscriptions, charges and quotes as the API shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import (
    CardBrand,
    ChargeFailureCode,
    ChargeStatus,
    Money,
    PageInfo,
    Product,
    SubscriptionStatus,
    SubscriptionStatusReason,
    connection,
    total_count_field,
)
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core import tables
from seatwise.models.core.pages import Page


@strawberry.type
class PaymentCard:
    id: strawberry.ID
    brand: CardBrand
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    expired: bool = strawberry.field(description="The card's expiry month has passed.")
    created_at: DateTime

    @classmethod
    def from_model(cls, card: tables.PaymentCard, now: datetime) -> PaymentCard:
        from seatwise.models.billing.gateway import is_expired

        return cls(
            id=strawberry.ID(str(card.id)),
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            is_default=card.is_default,
            expired=is_expired(card.exp_month, card.exp_year, now),
            created_at=card.created_at,
        )


@strawberry.type(description="A subscription to one product, carrying a number of licenses.")
class ProductSubscription:
    id: strawberry.ID
    quantity: int = strawberry.field(description="Licenses purchased in this subscription.")
    status: SubscriptionStatus
    status_reason: SubscriptionStatusReason | None
    current_period_start: DateTime
    current_period_end: DateTime
    cancel_at_period_end: bool
    grace_ends_at: DateTime | None
    suspended_at: DateTime | None
    cancelled_at: DateTime | None
    created_at: DateTime
    model: strawberry.Private[tables.Subscription]

    @classmethod
    def from_model(cls, sub: tables.Subscription) -> ProductSubscription:
        return cls(
            id=strawberry.ID(str(sub.id)),
            quantity=sub.quantity,
            status=sub.status,
            status_reason=sub.status_reason,
            current_period_start=sub.current_period_start,
            current_period_end=sub.current_period_end,
            cancel_at_period_end=sub.cancel_at_period_end,
            grace_ends_at=sub.grace_ends_at,
            suspended_at=sub.suspended_at,
            cancelled_at=sub.cancelled_at,
            created_at=sub.created_at,
            model=sub,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_model((await info.context.products())[self.model.product_id])

    @strawberry.field(description="The card its next charge goes to (the organization's default card).")
    async def payment_card(self, info: Info) -> PaymentCard | None:
        card = await info.context.default_card()
        return PaymentCard.from_model(card, info.context.viewer.now) if card else None


@strawberry.type
class Charge:
    id: strawberry.ID
    amount: Money
    status: ChargeStatus
    failure_code: ChargeFailureCode | None
    description: str
    created_at: DateTime
    model: strawberry.Private[tables.Charge]

    @classmethod
    def from_model(cls, charge: tables.Charge) -> Charge:
        return cls(
            id=strawberry.ID(str(charge.id)),
            amount=Money.usd(charge.amount_cents, charge.currency),
            status=charge.status,
            failure_code=ChargeFailureCode(charge.failure_code) if charge.failure_code else None,
            description=charge.description,
            created_at=charge.created_at,
            model=charge,
        )

    @strawberry.field
    async def subscription(self, info: Info) -> ProductSubscription | None:
        if self.model.subscription_id is None:
            return None
        sub = await info.context.subscriptions.load(self.model.subscription_id)
        return ProductSubscription.from_model(sub) if sub else None


@strawberry.type
class ChargeEdge:
    cursor: str
    node: Charge


@strawberry.type
class ChargeConnection:
    edges: list[ChargeEdge]
    page_info: PageInfo
    total_count: int = total_count_field()
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.Charge]) -> ChargeConnection:
        return connection(page, Charge.from_model, ChargeEdge, cls)


@strawberry.type
class Quote:
    product: Product
    quantity: int
    amount_due: Money
    prorated: bool = strawberry.field(description="True when the amount covers only the rest of the current billing period.")
    period_end: DateTime


# ---------------------------------------------------------------- support, exports, audit
