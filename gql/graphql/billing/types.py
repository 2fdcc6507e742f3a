"""Cards, subscriptions and charges as the API shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core.common import Money, PageInfo, Product, connection, exposed, total_count_field
from seatwise.gql.graphql.core.phrases import CURSOR, EDGES, NODE, NODES, PAGE_INFO, TOTAL_COUNT
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.billing import gateways
from seatwise.models.core import tables
from seatwise.models.core.pages import Page

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
SubscriptionStatus = exposed(
    tables.SubscriptionStatus,
    "SubscriptionStatus",
    description="Where a subscription stands in billing.",
    values={
        "ACTIVE": "Paid up; its licenses count.",
        "GRACE_PERIOD": "A renewal failed; licenses still count, retried daily until graceEndsAt.",
        "SUSPENDED": "Unpaid after the grace period; its licenses no longer count.",
        "CANCELLED": "Ended; its licenses no longer count.",
    },
)
SubscriptionStatusReason = exposed(
    tables.StatusReason,
    "SubscriptionStatusReason",
    description="Why a subscription is past due or cancelled.",
    values={
        "PAYMENT_FAILED": "A renewal charge failed.",
        "CANCELLED_BY_REQUEST": "An admin cancelled it.",
    },
)
CardBrand = exposed(
    tables.CardBrand,
    "CardBrand",
    description="The card network, told from the number.",
    values={
        "VISA": "Visa.",
        "MASTERCARD": "Mastercard.",
        "AMEX": "American Express (4-digit CVC).",
        "DISCOVER": "Discover.",
        "UNKNOWN": "Any other network.",
    },
)
ChargeStatus = exposed(
    tables.ChargeStatus,
    "ChargeStatus",
    description="The outcome of a charge.",
    values={
        "SUCCEEDED": "The money was taken.",
        "FAILED": "Nothing was taken; see failureCode.",
    },
)
ChargeFailureCode = exposed(
    gateways.ChargeFailureCode,
    "ChargeFailureCode",
    description="Why a charge failed.",
    values={
        "CARD_DECLINED": "The gateway declined the card.",
        "CARD_EXPIRED": "The card had expired at the time of the charge.",
        "AUTHENTICATION_REQUIRED": "The bank wants the cardholder to confirm the payment (3-D Secure); an off-session charge cannot, so it failed.",
    },
)


@strawberry.type(description="A payment card of the organization; only brand, last 4 digits and expiry are kept.")
class PaymentCard(relay.Node):
    id: relay.NodeID[int]
    brand: tables.CardBrand = strawberry.field(description="The card network, from the number.")
    last4: str = strawberry.field(description="The last four digits of the number.")
    exp_month: int = strawberry.field(description="Expiry month, 1 to 12; the card is valid to the end of it (UTC).")
    exp_year: int = strawberry.field(description="Expiry year, four digits.")
    is_default: bool = strawberry.field(description="Whether every subscription charges this card.")
    expired: bool = strawberry.field(description="The card's expiry month has passed.")
    created_at: DateTime = strawberry.field(description="When it was added.")

    @classmethod
    def from_model(cls, card: tables.PaymentCard, now: datetime) -> PaymentCard:
        return cls(
            id=card.id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            is_default=card.is_default,
            expired=gateways.is_expired(card.exp_month, card.exp_year, now),
            created_at=card.created_at,
        )


@strawberry.type(description="A subscription to one product, carrying a number of licenses.")
class ProductSubscription(relay.Node):
    id: relay.NodeID[int]
    quantity: int = strawberry.field(description="Licenses purchased in this subscription.")
    status: tables.SubscriptionStatus = strawberry.field(
        description="Where it stands in billing; only ACTIVE and GRACE_PERIOD licenses count."
    )
    status_reason: tables.StatusReason | None = strawberry.field(
        description="Why it is past due or cancelled; null while ACTIVE."
    )
    current_period_start: DateTime = strawberry.field(description="Start of the current billing period (a calendar month).")
    current_period_end: DateTime = strawberry.field(description="End of the current billing period, when it renews or ends.")
    cancel_at_period_end: bool = strawberry.field(description="Set to cancel at currentPeriodEnd; it takes no new licenses.")
    grace_ends_at: DateTime | None = strawberry.field(
        description="In GRACE_PERIOD: when it is suspended unless paid (period end + 30 days)."
    )
    suspended_at: DateTime | None = strawberry.field(description="When it was SUSPENDED; cancelled 90 days later unless paid.")
    cancelled_at: DateTime | None = strawberry.field(description="When it was CANCELLED; null otherwise.")
    created_at: DateTime = strawberry.field(description="When it started.")
    model: strawberry.Private[tables.Subscription]

    @classmethod
    def from_model(cls, sub: tables.Subscription) -> ProductSubscription:
        return cls(
            id=sub.id,
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

    @strawberry.field(description="The product licensed.")
    async def product(self, info: Info) -> Product:
        return Product.from_model((await info.context.products())[self.model.product_id])

    @strawberry.field(description="The card its next charge goes to (the organization's default card).")
    async def payment_card(self, info: Info) -> PaymentCard | None:
        card = await info.context.default_card()
        return PaymentCard.from_model(card, info.context.viewer.now) if card else None


@strawberry.type(description="One attempt to charge the default card, successful or not.")
class Charge(relay.Node):
    id: relay.NodeID[int]
    amount: Money = strawberry.field(description="The amount charged (or attempted).")
    status: tables.ChargeStatus = strawberry.field(description="Whether the payment went through.")
    failure_code: gateways.ChargeFailureCode | None = strawberry.field(description="Why it failed; null when it succeeded.")
    description: str = strawberry.field(description="What it was for, e.g. a purchase or a renewal.")
    created_at: DateTime = strawberry.field(description="When it was attempted.")
    model: strawberry.Private[tables.Charge]

    @classmethod
    def from_model(cls, charge: tables.Charge) -> Charge:
        return cls(
            id=charge.id,
            amount=Money.usd(charge.amount_cents, charge.currency),
            status=charge.status,
            failure_code=ChargeFailureCode(charge.failure_code) if charge.failure_code else None,
            description=charge.description,
            created_at=charge.created_at,
            model=charge,
        )

    @strawberry.field(description="The subscription it paid for, if any.")
    async def subscription(self, info: Info) -> ProductSubscription | None:
        if self.model.subscription_id is None:
            return None
        sub = await info.context.subscriptions.load(self.model.subscription_id)
        return ProductSubscription.from_model(sub) if sub else None


@strawberry.type(description="One Charge of a page with its cursor.")
class ChargeEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: Charge = strawberry.field(description=NODE)


@strawberry.type(description="A page of Charge items, newest first.")
class ChargeConnection:
    edges: list[ChargeEdge] = strawberry.field(description=EDGES)
    nodes: list[Charge] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = total_count_field(description=TOTAL_COUNT)
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.Charge]) -> ChargeConnection:
        return connection(page, Charge.from_model, ChargeEdge, cls)
