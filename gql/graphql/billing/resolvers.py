"""Billing: payment cards, purchases and reductions, subscriptions, charges and quotes."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError, query_input_error
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling
from seatwise.gql.graphql.types import (
    Charge,
    ChargeConnection,
    Money,
    PaymentCard,
    Product,
    ProductSubscription,
    Quote,
    SeatPool,
    SubscriptionStatus,
)
from seatwise.models.billing import cards
from seatwise.models.billing import purchases as billing
from seatwise.models.catalog import prices
from seatwise.models.catalog.prices import QuoteView
from seatwise.models.core.errors import DomainError
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.pages import paginate
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import licenses as seats


def quote_of(view: QuoteView) -> Quote:
    return Quote(
        product=Product.from_model(view.product),
        quantity=view.quantity,
        amount_due=Money.usd(view.amount_cents, view.product.currency),
        prorated=view.prorated,
        period_end=view.period_end,
    )


@strawberry.input
class AddPaymentCardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    make_default: bool | None = True


@strawberry.type
class AddPaymentCardPayload:
    payment_card: PaymentCard | None = None
    renewed_subscriptions: list[ProductSubscription] = strawberry.field(
        default_factory=list, description="Subscriptions that were past due and are ACTIVE again after a successful retry."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdatePaymentCardInput:
    card_id: strawberry.ID
    exp_month: int
    exp_year: int


@strawberry.type
class UpdatePaymentCardPayload:
    payment_card: PaymentCard | None = None
    renewed_subscriptions: list[ProductSubscription] = strawberry.field(
        default_factory=list, description="Subscriptions that were past due and are ACTIVE again after a successful retry."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PurchaseLicensesInput:
    product_sku: str
    quantity: int = strawberry.field(description="Licenses to add, 1 to 10000.")
    idempotency_key: str = strawberry.field(description="Same key and same input: the first result again, no second charge.")


@strawberry.type
class PurchaseLicensesPayload:
    subscription: ProductSubscription | None = None
    charge: Charge | None = None
    seats: SeatPool | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ReduceLicensesInput:
    subscription_id: strawberry.ID
    quantity: int = strawberry.field(description="Licenses to remove (not the new total).")


@strawberry.type
class ReduceLicensesPayload:
    subscription: ProductSubscription | None = None
    seats: SeatPool | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field
    async def payment_cards(self, info: Info[Context, None]) -> list[PaymentCard]:
        viewer = info.context.viewer
        return [PaymentCard.from_model(card, viewer.now) for card in await cards.list_cards(viewer.org)]

    @strawberry.field
    async def subscriptions(
        self, info: Info[Context, None], status: list[SubscriptionStatus] | None = None
    ) -> list[ProductSubscription]:
        return [ProductSubscription.from_model(s) for s in await billing.subscriptions_query(info.context.viewer.org, status)]

    @strawberry.field
    async def subscription(self, info: Info[Context, None], id: strawberry.ID) -> ProductSubscription | None:
        try:
            return ProductSubscription.from_model(await get_subscription(info.context.viewer.org, id, "id"))
        except DomainError:
            return None

    @strawberry.field(description="Newest first.")
    async def charges(self, info: Info[Context, None], first: int | None = 50, after: str | None = None) -> ChargeConnection:
        return ChargeConnection.from_page(
            await paginate(billing.charges_query(info.context.viewer.org), first, after, billing.CHARGE_ORDER)
        )

    @strawberry.field(description="What purchaseLicenses would charge now, without charging.")
    async def purchase_quote(self, info: Info[Context, None], product_sku: str, quantity: int) -> Quote:
        viewer = info.context.viewer
        try:
            return quote_of(await prices.quote(viewer.org, product_sku, quantity, viewer.now))
        except DomainError as error:
            raise query_input_error(error) from None


@strawberry.type
class Mutation:
    @domain_mutation(CanManageBilling)
    async def add_payment_card(viewer: Viewer, input: AddPaymentCardInput) -> AddPaymentCardPayload:
        card, renewed = await cards.add_card(
            viewer.org,
            input.number,
            input.exp_month,
            input.exp_year,
            input.cvc,
            input.make_default is not False,
            actor=viewer.actor,
            now=viewer.now,
            wall=viewer.wall,
        )
        return AddPaymentCardPayload(
            payment_card=PaymentCard.from_model(card, viewer.now),
            renewed_subscriptions=[ProductSubscription.from_model(s) for s in renewed],
        )

    @domain_mutation(CanManageBilling)
    async def update_payment_card(viewer: Viewer, input: UpdatePaymentCardInput) -> UpdatePaymentCardPayload:
        card, renewed = await cards.update_card(
            viewer.org, input.card_id, input.exp_month, input.exp_year, actor=viewer.actor, now=viewer.now, wall=viewer.wall
        )
        return UpdatePaymentCardPayload(
            payment_card=PaymentCard.from_model(card, viewer.now),
            renewed_subscriptions=[ProductSubscription.from_model(s) for s in renewed],
        )

    @domain_mutation(CanManageBilling)
    async def purchase_licenses(viewer: Viewer, input: PurchaseLicensesInput) -> PurchaseLicensesPayload:
        sub, charge = await billing.purchase_licenses(
            viewer.org,
            input.product_sku,
            input.quantity,
            input.idempotency_key,
            actor=viewer.actor,
            now=viewer.now,
            wall=viewer.wall,
        )
        pool = await seats.seat_pool(viewer.org, input.product_sku)
        return PurchaseLicensesPayload(
            subscription=ProductSubscription.from_model(sub), charge=Charge.from_model(charge), seats=SeatPool.from_model(pool)
        )

    @domain_mutation(CanManageBilling)
    async def reduce_licenses(viewer: Viewer, input: ReduceLicensesInput) -> ReduceLicensesPayload:
        sub = await billing.reduce_licenses(viewer.org, input.subscription_id, input.quantity, actor=viewer.actor, now=viewer.now)
        pool = await seats.seat_pool(viewer.org, sub.product_id)
        return ReduceLicensesPayload(subscription=ProductSubscription.from_model(sub), seats=SeatPool.from_model(pool))
