"""Service requests and cancellation."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling, CanSubmitRequests
from seatwise.gql.graphql.types import (
    ProductSubscription,
    ServiceRequest,
    ServiceRequestCategory,
    ServiceRequestConnection,
    ServiceRequestStatus,
)
from seatwise.models.core.pages import paginate
from seatwise.models.core.tables import ServiceRequestCategory as Category
from seatwise.models.people.auth import Viewer
from seatwise.models.support import requests as support


@strawberry.input
class CancelSubscriptionInput:
    subscription_id: strawberry.ID
    reason: str
    immediately: bool | None = strawberry.field(
        default=False, description="Cancel now instead of at the end of the billing period."
    )
    acknowledge_data_loss: bool | None = strawberry.field(
        default=False, description="Cancel even though no data export was made in the last 7 days."
    )


@strawberry.type
class CancelSubscriptionPayload:
    subscription: ProductSubscription | None = None
    service_request: ServiceRequest | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SubmitServiceRequestInput:
    category: ServiceRequestCategory
    description: str
    subscription_id: strawberry.ID | None = strawberry.field(default=None, description="Required for CANCEL_SUBSCRIPTION.")
    acknowledge_data_loss: bool | None = strawberry.field(
        default=False, description="CANCEL_SUBSCRIPTION only: as in cancelSubscription."
    )


@strawberry.type
class SubmitServiceRequestPayload:
    service_request: ServiceRequest | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field(description="Newest first.")
    async def service_requests(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        status: ServiceRequestStatus | None = None,
    ) -> ServiceRequestConnection:
        query = support.service_requests_query(info.context.viewer.org, status)
        return ServiceRequestConnection.from_page(await paginate(query, first, after, support.REQUEST_ORDER))


@strawberry.type
class Mutation:
    @domain_mutation(CanManageBilling)
    async def cancel_subscription(viewer: Viewer, input: CancelSubscriptionInput) -> CancelSubscriptionPayload:
        sub, request = await support.cancel_subscription(
            viewer.org,
            input.subscription_id,
            input.reason,
            immediately=bool(input.immediately),
            acknowledge_data_loss=bool(input.acknowledge_data_loss),
            actor=viewer.actor,
            now=viewer.now,
        )
        return CancelSubscriptionPayload(
            subscription=ProductSubscription.from_model(sub), service_request=ServiceRequest.from_model(request)
        )

    @domain_mutation(CanSubmitRequests)
    async def submit_service_request(viewer: Viewer, input: SubmitServiceRequestInput) -> SubmitServiceRequestPayload:
        request = await support.submit_service_request(
            viewer.org,
            Category(input.category.value),
            input.description,
            subscription_id=input.subscription_id,
            acknowledge_data_loss=bool(input.acknowledge_data_loss),
            actor=viewer.actor,
            now=viewer.now,
        )
        return SubmitServiceRequestPayload(service_request=ServiceRequest.from_model(request))
