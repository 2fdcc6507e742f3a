"""Seats: pools, and assigning and revoking licenses."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.gql.graphql.groups.types import Group
from seatwise.gql.graphql.people.types import User
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.gql.graphql.seats.types import LicenseAssignment, SeatPool
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import licenses as seats


@strawberry.input(description="A user and the product whose license to give.")
class AssignLicenseInput:
    user_id: strawberry.ID = strawberry.field(description="The user's id: a global id (a plain number is deprecated).")
    product_sku: str = strawberry.field(description="The product's SKU, e.g. CRM_BASIC.")


@strawberry.type(description="The result of assignLicense.")
class AssignLicensePayload:
    user: User | None = strawberry.field(default=None, description="The user with the new license.")
    seats: SeatPool | None = strawberry.field(default=None, description="The product's seat pool after the assignment.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="Users and the product whose license to give each.")
class AssignLicensesInput:
    user_ids: list[strawberry.ID] = strawberry.field(description="At most 1000 (global ids; plain numbers are deprecated).")
    product_sku: str = strawberry.field(description="The product's SKU, e.g. CRM_BASIC.")


@strawberry.type(description="The result of assignLicenses.")
class AssignLicensesPayload:
    assigned: list[LicenseAssignment] = strawberry.field(
        default_factory=list, description="All assigned, or none: on any error nothing changes."
    )
    seats: SeatPool | None = strawberry.field(default=None, description="The product's seat pool after the assignment.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A user and the product whose license to take back.")
class RevokeLicenseInput:
    user_id: strawberry.ID = strawberry.field(description="The user's id: a global id (a plain number is deprecated).")
    product_sku: str = strawberry.field(description="The product's SKU, e.g. CRM_BASIC.")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of revokeLicense.")
class RevokeLicensePayload:
    user: User | None = strawberry.field(default=None, description="The user without the license.")
    seats: SeatPool | None = strawberry.field(default=None, description="The product's seat pool after the revocation.")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)
    kept_through_groups: list[Group] = strawberry.field(
        default_factory=list,
        description="The groups through which the user still holds the license (empty: it was taken back).",
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="One seat pool per catalog product (never-bought products show zeros); productSku narrows it to one."
    )
    async def seats(
        self,
        info: Info[Context, None],
        product_sku: Annotated[
            str | None, strawberry.argument(description="Only this product's pool; null for every product of the catalog.")
        ] = None,
    ) -> list[SeatPool]:
        return [SeatPool.from_model(p) for p in await seats.seat_pools(info.context.viewer.org, product_sku)]


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageUsers,
        description="Give a user a license of a product. Errors: NOT_FOUND, UNKNOWN_PRODUCT, USER_DELETED, ALREADY_ASSIGNED, NO_LICENSES_AVAILABLE.",
    )
    async def assign_license(
        viewer: Viewer, input: Annotated[AssignLicenseInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> AssignLicensePayload:
        user, _, pool = await seats.assign_license(
            viewer.org, ids.local(input.user_id, "User"), input.product_sku, actor=viewer.actor, now=viewer.now
        )
        return AssignLicensePayload(user=User.from_model(user), seats=SeatPool.from_model(pool))

    @domain_mutation(
        CanManageUsers,
        description="Give 1 to 1000 users a license of a product, all or none; a per-user error names the item in field. Errors: INVALID_INPUT, NOT_FOUND, UNKNOWN_PRODUCT, USER_DELETED, ALREADY_ASSIGNED, NO_LICENSES_AVAILABLE.",
    )
    async def assign_licenses(
        viewer: Viewer, input: Annotated[AssignLicensesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> AssignLicensesPayload:
        rows = await seats.assign_licenses(
            viewer.org, ids.locals_of(input.user_ids, "User"), input.product_sku, actor=viewer.actor, now=viewer.now
        )
        pool = await seats.seat_pool(viewer.org, input.product_sku)
        # Assignments never open a conflict: a product in conflict has no free license to assign.
        return AssignLicensesPayload(
            assigned=[LicenseAssignment.from_model(row, pool.product, False) for row in rows], seats=SeatPool.from_model(pool)
        )

    @domain_mutation(
        CanManageUsers,
        description="Take a license back; a user left without licenses becomes DISABLED; a license the user also holds through groups stays (keptThroughGroups names them). Errors: NOT_FOUND, UNKNOWN_PRODUCT, USER_DELETED, NOT_ASSIGNED.",
    )
    async def revoke_license(
        viewer: Viewer, input: Annotated[RevokeLicenseInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RevokeLicensePayload:
        try:
            user, pool, kept = await seats.revoke_license(
                viewer.org,
                ids.local(input.user_id, "User"),
                input.product_sku,
                actor=viewer.actor,
                now=viewer.now,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except seats.Previewed as done:
            return RevokeLicensePayload(preview=ChangePreview.from_view(done.preview))
        return RevokeLicensePayload(
            user=User.from_model(user), seats=SeatPool.from_model(pool), kept_through_groups=[Group.from_model(g) for g in kept]
        )
