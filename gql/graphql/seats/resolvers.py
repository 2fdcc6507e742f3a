"""Seats: pools, and assigning and revoking licenses."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.types import LicenseAssignment, SeatPool, User
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import licenses as seats


@strawberry.input
class AssignLicenseInput:
    user_id: strawberry.ID
    product_sku: str


@strawberry.type
class AssignLicensePayload:
    user: User | None = None
    seats: SeatPool | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AssignLicensesInput:
    user_ids: list[strawberry.ID] = strawberry.field(description="At most 1000.")
    product_sku: str


@strawberry.type
class AssignLicensesPayload:
    assigned: list[LicenseAssignment] = strawberry.field(
        default_factory=list, description="All assigned, or none: on any error nothing changes."
    )
    seats: SeatPool | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeLicenseInput:
    user_id: strawberry.ID
    product_sku: str


@strawberry.type
class RevokeLicensePayload:
    user: User | None = None
    seats: SeatPool | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field(
        description="One seat pool per catalog product (never-bought products show zeros); productSku narrows it to one."
    )
    async def seats(self, info: Info[Context, None], product_sku: str | None = None) -> list[SeatPool]:
        return [SeatPool.from_model(p) for p in await seats.seat_pools(info.context.viewer.org, product_sku)]


@strawberry.type
class Mutation:
    @domain_mutation(CanManageUsers)
    async def assign_license(viewer: Viewer, input: AssignLicenseInput) -> AssignLicensePayload:
        user, _, pool = await seats.assign_license(
            viewer.org, input.user_id, input.product_sku, actor=viewer.actor, now=viewer.now
        )
        return AssignLicensePayload(user=User.from_model(user), seats=SeatPool.from_model(pool))

    @domain_mutation(CanManageUsers)
    async def assign_licenses(viewer: Viewer, input: AssignLicensesInput) -> AssignLicensesPayload:
        rows = await seats.assign_licenses(
            viewer.org, list(input.user_ids), input.product_sku, actor=viewer.actor, now=viewer.now
        )
        pool = await seats.seat_pool(viewer.org, input.product_sku)
        # Assignments never open a conflict: a product in conflict has no free license to assign.
        return AssignLicensesPayload(
            assigned=[LicenseAssignment.from_model(row, pool.product, False) for row in rows], seats=SeatPool.from_model(pool)
        )

    @domain_mutation(CanManageUsers)
    async def revoke_license(viewer: Viewer, input: RevokeLicenseInput) -> RevokeLicensePayload:
        user, pool = await seats.revoke_license(viewer.org, input.user_id, input.product_sku, actor=viewer.actor, now=viewer.now)
        return RevokeLicensePayload(user=User.from_model(user), seats=SeatPool.from_model(pool))
