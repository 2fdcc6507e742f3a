"""Cards and subscriptions an admin manages (docs/rules.md section 18): remove a card, make a card the default,
change one's mind about cancelling."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seatwise.gql.graphql.billing.types import PaymentCard, ProductSubscription
from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.models.billing import cards
from seatwise.models.billing.resume import resume_subscription
from seatwise.models.people.auth import Viewer


@strawberry.input(description="The card to remove.")
class RemovePaymentCardInput:
    card_id: strawberry.ID = strawberry.field(description="The payment card's id: a global id (a plain number is deprecated).")


@strawberry.type(description="The result of removePaymentCard.")
class RemovePaymentCardPayload:
    removed_card_id: strawberry.ID | None = strawberry.field(default=None, description="The id of the card removed.")
    default_card: PaymentCard | None = strawberry.field(default=None, description="The organization's default card afterwards.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The card every subscription should charge.")
class SetDefaultPaymentCardInput:
    card_id: strawberry.ID = strawberry.field(description="The payment card's id: a global id (a plain number is deprecated).")


@strawberry.type(description="The result of setDefaultPaymentCard.")
class SetDefaultPaymentCardPayload:
    payment_card: PaymentCard | None = strawberry.field(default=None, description="The new default card.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The subscription set to cancel at its period end.")
class ResumeSubscriptionInput:
    subscription_id: strawberry.ID = strawberry.field(
        description="The subscription's id: a global id (a plain number is deprecated)."
    )


@strawberry.type(description="The result of resumeSubscription.")
class ResumeSubscriptionPayload:
    subscription: ProductSubscription | None = strawberry.field(default=None, description="The subscription, renewing again.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageBilling,
        description="Remove a payment card; removing the default card makes the oldest other card the default. Errors: NOT_FOUND, CARD_IN_USE (the only card, while subscriptions still charge it).",
    )
    async def remove_payment_card(
        viewer: Viewer, input: Annotated[RemovePaymentCardInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RemovePaymentCardPayload:
        removed, default = await cards.remove_card(
            viewer.org, ids.local(input.card_id, "PaymentCard"), actor=viewer.actor, now=viewer.now
        )
        return RemovePaymentCardPayload(
            removed_card_id=ids.gid("PaymentCard", removed),
            default_card=PaymentCard.from_model(default, viewer.now) if default else None,
        )

    @domain_mutation(
        CanManageBilling,
        description="Make a card the one every subscription charges; past-due subscriptions are retried on it at once. Errors: NOT_FOUND.",
    )
    async def set_default_payment_card(
        viewer: Viewer, input: Annotated[SetDefaultPaymentCardInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SetDefaultPaymentCardPayload:
        card, _ = await cards.set_default_card(
            viewer.org, ids.local(input.card_id, "PaymentCard"), actor=viewer.actor, now=viewer.now, wall=viewer.wall
        )
        return SetDefaultPaymentCardPayload(payment_card=PaymentCard.from_model(card, viewer.now))

    @domain_mutation(
        CanManageBilling,
        description="Undo a cancellation at the period end, before the period ends: the subscription renews as usual. Errors: NOT_FOUND, SUBSCRIPTION_NOT_ACTIVE (cancelled, immediately or at its period end, or past due).",
    )
    async def resume_subscription(
        viewer: Viewer, input: Annotated[ResumeSubscriptionInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> ResumeSubscriptionPayload:
        sub = await resume_subscription(
            viewer.org, ids.local(input.subscription_id, "ProductSubscription"), actor=viewer.actor, now=viewer.now
        )
        return ResumeSubscriptionPayload(subscription=ProductSubscription.from_model(sub))
