"""The sandbox test clock: advanceTestClock."""

from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.errors import UserError, user_errors
from gql.permissions import CanAdminister
from gql.scalars import DateTime
from gql.types import Organization
from models import testclock
from models.errors import DomainError


@strawberry.input
class AdvanceTestClockInput:
    to: DateTime = strawberry.field(description="The new time; later than the organization's current time.")


@strawberry.type
class AdvanceTestClockPayload:
    organization: Optional[Organization] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        permission_classes=[CanAdminister],
        description="Sandbox organizations only: move the test clock forward and run billing up to it.",
    )
    async def advance_test_clock(self, info: Info[Context, None], input: AdvanceTestClockInput) -> AdvanceTestClockPayload:
        viewer = info.context.viewer
        try:
            org = await testclock.advance_test_clock(viewer.org, input.to, actor=viewer.actor)
        except DomainError as error:
            return AdvanceTestClockPayload(user_errors=user_errors(error))
        viewer.org.test_clock_now = org.test_clock_now  # the rest of this request sees the new time
        info.context.forget()
        return AdvanceTestClockPayload(organization=Organization.from_model(org))
