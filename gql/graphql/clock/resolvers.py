"""The sandbox test clock: advanceTestClock."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanAdminister
from seatwise.gql.graphql.core.phrases import USER_ERRORS
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.people.types import Organization
from seatwise.models.clock import testclock
from seatwise.models.people.auth import Viewer


@strawberry.input(description="Where to move a sandbox's test clock.")
class AdvanceTestClockInput:
    to: DateTime = strawberry.field(description="The new time; later than the organization's current time.")


@strawberry.type(description="The result of advanceTestClock.")
class AdvanceTestClockPayload:
    organization: Organization | None = strawberry.field(default=None, description="The organization at its new time.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanAdminister, description="Sandbox organizations only: move the test clock forward and run billing up to it."
    )
    async def advance_test_clock(
        viewer: Viewer, input: Annotated[AdvanceTestClockInput, strawberry.argument(description="The time to move to.")]
    ) -> AdvanceTestClockPayload:
        org = await testclock.advance_test_clock(viewer.org, input.to, actor=viewer.actor, wall=viewer.wall)
        viewer.org.test_clock_now = org.test_clock_now  # the organization shown from now on is the advanced one
        return AdvanceTestClockPayload(organization=Organization.from_model(org))
