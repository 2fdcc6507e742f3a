"""The sandbox test clock: advanceTestClock."""

from __future__ import annotations

import strawberry

from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanAdminister
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.types import Organization
from seatwise.models.clock import testclock
from seatwise.models.people.auth import Viewer


@strawberry.input
class AdvanceTestClockInput:
    to: DateTime = strawberry.field(description="The new time; later than the organization's current time.")


@strawberry.type
class AdvanceTestClockPayload:
    organization: Organization | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanAdminister, description="Sandbox organizations only: move the test clock forward and run billing up to it."
    )
    async def advance_test_clock(viewer: Viewer, input: AdvanceTestClockInput) -> AdvanceTestClockPayload:
        org = await testclock.advance_test_clock(viewer.org, input.to, actor=viewer.actor, wall=viewer.wall)
        viewer.org.test_clock_now = org.test_clock_now  # the organization shown from now on is the advanced one
        return AdvanceTestClockPayload(organization=Organization.from_model(org))
