"""Taking a product's licenses back from many users at once (revokeLicenses)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.gql.graphql.people.types import User
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.gql.graphql.seats.types import SeatPool
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import bulk


@strawberry.input(description="Users and the product whose license to take back from each, all or none.")
class RevokeLicensesInput:
    user_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 1000 users; all or none (global ids; plain numbers are deprecated)."
    )
    product_sku: str = strawberry.field(description="The product's SKU, e.g. CRM_BASIC.")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of revokeLicenses.")
class RevokeLicensesPayload:
    users: list[User] = strawberry.field(default_factory=list, description="The users, in the order listed.")
    seats: SeatPool | None = strawberry.field(default=None, description="The product's seat pool after the change.")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageUsers,
        description="Take a product's license back from 1 to 1000 users, all or none; freed licenses settle the conflict, then serve the waitlist. Errors: INVALID_INPUT, NOT_FOUND, UNKNOWN_PRODUCT, USER_DELETED, NOT_ASSIGNED, LICENSE_INHERITED (per item in field).",
    )
    async def revoke_licenses(
        viewer: Viewer, input: Annotated[RevokeLicensesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RevokeLicensesPayload:
        users, pool, preview = await bulk.revoke_licenses(
            viewer.org,
            ids.locals_of(input.user_ids, "User"),
            input.product_sku,
            actor=viewer.actor,
            now=viewer.now,
            dry_run=bool(input.dry_run),
            plan_token=input.plan_token,
        )
        return RevokeLicensesPayload(
            users=[User.from_model(u) for u in users],
            seats=SeatPool.from_model(pool),
            preview=ChangePreview.from_view(preview) if preview is not None else None,
        )
