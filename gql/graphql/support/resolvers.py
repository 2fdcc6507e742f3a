"""Service requests and cancellation."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.billing.types import ProductSubscription
from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling, CanSubmitRequests
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, PAGE_AFTER, PAGE_FIRST, USER_ERRORS
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.gql.graphql.support.types import (
    ServiceRequest,
    ServiceRequestCategory,
    ServiceRequestConnection,
    ServiceRequestStatus,
)
from seatwise.models.core.pages import paginate
from seatwise.models.core.tables import ServiceRequestCategory as Category
from seatwise.models.people.auth import Viewer
from seatwise.models.seats.licenses import Previewed
from seatwise.models.support import cancellation
from seatwise.models.support import requests as support


@strawberry.input(description="The subscription to cancel and why.")
class CancelSubscriptionInput:
    subscription_id: strawberry.ID = strawberry.field(
        description="The subscription's id: a global id (a plain number is deprecated)."
    )
    reason: str = strawberry.field(
        description="Why, 1 to 2000 characters after trimming; becomes the service request's description."
    )
    immediately: bool | None = strawberry.field(
        default=False, description="Cancel now instead of at the end of the billing period."
    )
    acknowledge_data_loss: bool | None = strawberry.field(
        default=False, description="Cancel even though no data export was made in the last 7 days."
    )
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of cancelSubscription.")
class CancelSubscriptionPayload:
    subscription: ProductSubscription | None = strawberry.field(
        default=None, description="The subscription, set to cancel or CANCELLED."
    )
    service_request: ServiceRequest | None = strawberry.field(
        default=None, description="The RESOLVED CANCEL_SUBSCRIPTION request recording the cancellation."
    )
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A request to the support team.")
class SubmitServiceRequestInput:
    category: ServiceRequestCategory = strawberry.field(description="What it is about.")
    description: str = strawberry.field(description="The request, 1 to 2000 characters after trimming.")
    subscription_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for CANCEL_SUBSCRIPTION: a global id (a plain number is deprecated)."
    )
    acknowledge_data_loss: bool | None = strawberry.field(
        default=False, description="CANCEL_SUBSCRIPTION only: as in cancelSubscription."
    )


@strawberry.type(description="The result of submitServiceRequest.")
class SubmitServiceRequestPayload:
    service_request: ServiceRequest | None = strawberry.field(
        default=None, description="The request recorded (OPEN, or RESOLVED for a cancellation)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="Newest first.")
    async def service_requests(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
        status: Annotated[
            ServiceRequestStatus | None, strawberry.argument(description="Only requests in this status; null for all.")
        ] = None,
    ) -> ServiceRequestConnection:
        query = support.service_requests_query(info.context.viewer.org, status)
        return ServiceRequestConnection.from_page(await paginate(query, first, after, support.REQUEST_ORDER))


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageBilling,
        description="Cancel a subscription at period end (or now with immediately), recorded as a resolved service request. Errors: INVALID_INPUT, NOT_FOUND, ALREADY_CANCELLED, DATA_EXPORT_REQUIRED, PLAN_STALE.",
    )
    async def cancel_subscription(
        viewer: Viewer, input: Annotated[CancelSubscriptionInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> CancelSubscriptionPayload:
        try:
            sub, request = await cancellation.cancel_subscription(
                viewer.org,
                ids.local(input.subscription_id, "ProductSubscription"),
                input.reason,
                immediately=bool(input.immediately),
                acknowledge_data_loss=bool(input.acknowledge_data_loss),
                actor=viewer.actor,
                now=viewer.now,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except Previewed as done:
            return CancelSubscriptionPayload(preview=ChangePreview.from_view(done.preview))
        return CancelSubscriptionPayload(
            subscription=ProductSubscription.from_model(sub), service_request=ServiceRequest.from_model(request)
        )

    @domain_mutation(
        CanSubmitRequests,
        description="Ask the support team; CANCEL_SUBSCRIPTION cancels at period end with cancelSubscription's rules. Errors: INVALID_INPUT, NOT_FOUND, ALREADY_CANCELLED, DATA_EXPORT_REQUIRED.",
    )
    async def submit_service_request(
        viewer: Viewer, input: Annotated[SubmitServiceRequestInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SubmitServiceRequestPayload:
        request = await support.submit_service_request(
            viewer.org,
            Category(input.category.value),
            input.description,
            subscription_id=ids.optional(input.subscription_id, "ProductSubscription"),
            acknowledge_data_loss=bool(input.acknowledge_data_loss),
            actor=viewer.actor,
            now=viewer.now,
        )
        return SubmitServiceRequestPayload(service_request=ServiceRequest.from_model(request))
