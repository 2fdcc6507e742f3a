"""The sandbox test clock: advanceTestClock."""

from __future__ import annotations

from typing import Optional

import strawberry

from gql.errors import UserError
from gql.mutations import domain_mutation
from gql.permissions import CanAdminister
from gql.scalars import DateTime
from gql.types import Organization
from models import testclock
from models.auth import Viewer


@strawberry.input
class AdvanceTestClockInput:
    to: DateTime = strawberry.field(description="The new time; later than the organization's current time.")


@strawberry.type
class AdvanceTestClockPayload:
    organization: Optional[Organization] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @domain_mutation(CanAdminister, description="Sandbox organizations only: move the test clock forward and run billing up to it.")
    async def advance_test_clock(viewer: Viewer, input: AdvanceTestClockInput) -> AdvanceTestClockPayload:
        org = await testclock.advance_test_clock(viewer.org, input.to, actor=viewer.actor, wall=viewer.wall)
        viewer.org.test_clock_now = org.test_clock_now  # the organization shown from now on is the advanced one
        return AdvanceTestClockPayload(organization=Organization.from_model(org))
