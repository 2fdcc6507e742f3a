"""Billing: payment cards, purchases and reductions, subscriptions, charges and quotes."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.billing.types import (
    Charge,
    ChargeConnection,
    PaymentCard,
    ProductSubscription,
    SubscriptionStatus,
)
from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.common import Quote
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError, query_input_error
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, PAGE_AFTER, PAGE_FIRST, USER_ERRORS
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.gql.graphql.seats.types import SeatPool
from seatwise.models.billing import cards, reductions
from seatwise.models.billing import purchases as billing
from seatwise.models.catalog import prices
from seatwise.models.core.errors import DomainError
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.pages import paginate
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import licenses as seats

SANDBOX_ONLY = "Sandbox gateway only (test mode): send a token from the processor's browser library instead."


@strawberry.input(
    description="A payment card, as a token from the processor's browser library; only brand, last 4 digits, expiry and the processor's reference are kept."
)
class AddPaymentCardInput:
    number: str | None = strawberry.field(
        default=None,
        description="Card number, 13 to 19 digits; spaces and dashes are ignored. Sandbox only.",
        deprecation_reason=SANDBOX_ONLY,
    )
    exp_month: int | None = strawberry.field(
        default=None, description="Expiry month, 1 to 12. Sandbox only, with number.", deprecation_reason=SANDBOX_ONLY
    )
    exp_year: int | None = strawberry.field(
        default=None,
        description="Expiry year, four digits, at most 50 years ahead. Sandbox only.",
        deprecation_reason=SANDBOX_ONLY,
    )
    cvc: str | None = strawberry.field(
        default=None, description="Security code, 3 digits (4 for AMEX). Sandbox only.", deprecation_reason=SANDBOX_ONLY
    )
    make_default: bool | None = strawberry.field(
        default=True, description="Make it the default card; an organization's first card is always the default."
    )
    token: str | None = strawberry.field(
        default=None,
        description="A token from the processor's browser library (Stripe: a PaymentMethod pm_...; the sandbox: tok_... from /sandbox-gateway/tokens).",
    )


@strawberry.type(description="The result of addPaymentCard.")
class AddPaymentCardPayload:
    payment_card: PaymentCard | None = strawberry.field(default=None, description="The card added.")
    renewed_subscriptions: list[ProductSubscription] = strawberry.field(
        default_factory=list, description="Subscriptions that were past due and are ACTIVE again after a successful retry."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A card and its new expiry.")
class UpdatePaymentCardInput:
    card_id: strawberry.ID = strawberry.field(description="The payment card's id: a global id (a plain number is deprecated).")
    exp_month: int = strawberry.field(description="New expiry month, 1 to 12.")
    exp_year: int = strawberry.field(description="New expiry year, four digits, at most 50 years ahead.")


@strawberry.type(description="The result of updatePaymentCard.")
class UpdatePaymentCardPayload:
    payment_card: PaymentCard | None = strawberry.field(default=None, description="The updated card.")
    renewed_subscriptions: list[ProductSubscription] = strawberry.field(
        default_factory=list, description="Subscriptions that were past due and are ACTIVE again after a successful retry."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A purchase of licenses of one product.")
class PurchaseLicensesInput:
    product_sku: str = strawberry.field(description="The product's SKU, e.g. CRM_BASIC.")
    quantity: int = strawberry.field(description="Licenses to add, 1 to 10000.")
    idempotency_key: str = strawberry.field(description="Same key and same input: the first result again, no second charge.")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of purchaseLicenses.")
class PurchaseLicensesPayload:
    subscription: ProductSubscription | None = strawberry.field(
        default=None, description="The subscription the licenses were added to, or the new one."
    )
    charge: Charge | None = strawberry.field(default=None, description="The successful charge.")
    seats: SeatPool | None = strawberry.field(default=None, description="The product's seat pool after the purchase.")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A subscription and how many licenses to remove.")
class ReduceLicensesInput:
    subscription_id: strawberry.ID = strawberry.field(
        description="The subscription's id: a global id (a plain number is deprecated)."
    )
    quantity: int = strawberry.field(description="Licenses to remove (not the new total).")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of reduceLicenses.")
class ReduceLicensesPayload:
    subscription: ProductSubscription | None = strawberry.field(
        default=None, description="The subscription with its new quantity."
    )
    seats: SeatPool | None = strawberry.field(default=None, description="The product's seat pool after the reduction.")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The organization's payment cards: the default card first, then the others oldest first.")
    async def payment_cards(self, info: Info[Context, None]) -> list[PaymentCard]:
        viewer = info.context.viewer
        return [PaymentCard.from_model(card, viewer.now) for card in await cards.list_cards(viewer.org)]

    @strawberry.field(description="The organization's subscriptions, oldest first.")
    async def subscriptions(
        self,
        info: Info[Context, None],
        status: Annotated[
            list[SubscriptionStatus] | None,
            strawberry.argument(description="Only subscriptions in one of these statuses; null for all."),
        ] = None,
    ) -> list[ProductSubscription]:
        return [ProductSubscription.from_model(s) for s in await billing.subscriptions_query(info.context.viewer.org, status)]

    @strawberry.field(description="One subscription of the organization; null when there is none with this id.")
    async def subscription(
        self,
        info: Info[Context, None],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The subscription's id: a global id (a plain number is deprecated).")
        ],
    ) -> ProductSubscription | None:
        try:
            return ProductSubscription.from_model(
                await get_subscription(info.context.viewer.org, ids.local(id, "ProductSubscription"), "id")
            )
        except DomainError:
            return None

    @strawberry.field(description="Newest first.")
    async def charges(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> ChargeConnection:
        return ChargeConnection.from_page(
            await paginate(billing.charges_query(info.context.viewer.org), first, after, billing.CHARGE_ORDER)
        )

    @strawberry.field(description="What purchaseLicenses would charge now, without charging.")
    async def purchase_quote(
        self,
        info: Info[Context, None],
        product_sku: Annotated[
            str, strawberry.argument(description="The product to buy; an unknown SKU is a top-level UNKNOWN_PRODUCT error.")
        ],
        quantity: Annotated[
            int,
            strawberry.argument(description="Licenses to add, 1 to 10000; out of range is a top-level INVALID_QUANTITY error."),
        ],
    ) -> Quote:
        viewer = info.context.viewer
        try:
            return Quote.from_view(await prices.quote(viewer.org, product_sku, quantity, viewer.now))
        except DomainError as error:
            raise query_input_error(error) from None


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageBilling,
        description="Add a payment card by its token; a new default card pays past-due subscriptions at once. Errors: INVALID_INPUT (an unknown, used or expired token; a card number sent to a processor other than the sandbox), INVALID_CARD_NUMBER, INVALID_EXPIRY, INVALID_CVC, CARD_DECLINED, CARD_EXPIRED.",
    )
    async def add_payment_card(
        viewer: Viewer, input: Annotated[AddPaymentCardInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> AddPaymentCardPayload:
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
            token=input.token,
        )
        return AddPaymentCardPayload(
            payment_card=PaymentCard.from_model(card, viewer.now),
            renewed_subscriptions=[ProductSubscription.from_model(s) for s in renewed],
        )

    @domain_mutation(
        CanManageBilling,
        description="Change a card's expiry; on the default card, past-due subscriptions are retried at once. Errors: NOT_FOUND, INVALID_EXPIRY.",
    )
    async def update_payment_card(
        viewer: Viewer, input: Annotated[UpdatePaymentCardInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> UpdatePaymentCardPayload:
        card, renewed = await cards.update_card(
            viewer.org,
            ids.local(input.card_id, "PaymentCard"),
            input.exp_month,
            input.exp_year,
            actor=viewer.actor,
            now=viewer.now,
            wall=viewer.wall,
        )
        return UpdatePaymentCardPayload(
            payment_card=PaymentCard.from_model(card, viewer.now),
            renewed_subscriptions=[ProductSubscription.from_model(s) for s in renewed],
        )

    @domain_mutation(
        CanManageBilling,
        description="Buy licenses of a product, charged to the default card (prorated when added to an ACTIVE subscription). Errors: INVALID_QUANTITY, INVALID_INPUT, UNKNOWN_PRODUCT, IDEMPOTENCY_KEY_REUSED, NO_PAYMENT_CARD, CARD_DECLINED, CARD_EXPIRED, PLAN_STALE (with dryRun: the price and the change, no charge).",
    )
    async def purchase_licenses(
        viewer: Viewer, input: Annotated[PurchaseLicensesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> PurchaseLicensesPayload:
        try:
            sub, charge = await billing.purchase_licenses(
                viewer.org,
                input.product_sku,
                input.quantity,
                input.idempotency_key,
                actor=viewer.actor,
                now=viewer.now,
                wall=viewer.wall,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except seats.Previewed as done:
            return PurchaseLicensesPayload(preview=ChangePreview.from_view(done.preview))
        pool = await seats.seat_pool(viewer.org, input.product_sku)
        return PurchaseLicensesPayload(
            subscription=ProductSubscription.from_model(sub), charge=Charge.from_model(charge), seats=SeatPool.from_model(pool)
        )

    @domain_mutation(
        CanManageBilling,
        description="Remove licenses from an ACTIVE subscription now, without refund. Errors: NOT_FOUND, SUBSCRIPTION_NOT_ACTIVE, INVALID_QUANTITY, LICENSES_IN_USE, PLAN_STALE.",
    )
    async def reduce_licenses(
        viewer: Viewer, input: Annotated[ReduceLicensesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> ReduceLicensesPayload:
        try:
            sub = await reductions.reduce_licenses(
                viewer.org,
                ids.local(input.subscription_id, "ProductSubscription"),
                input.quantity,
                actor=viewer.actor,
                now=viewer.now,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except seats.Previewed as done:
            return ReduceLicensesPayload(preview=ChangePreview.from_view(done.preview))
        pool = await seats.seat_pool(viewer.org, sub.product_id)
        return ReduceLicensesPayload(subscription=ProductSubscription.from_model(sub), seats=SeatPool.from_model(pool))
