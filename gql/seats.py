"""Seats: pools, and assigning and revoking licenses."""

from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.errors import UserError, user_errors
from gql.permissions import CanManageUsers
from gql.types import LicenseAssignment, SeatPool, User
from models import seats
from models.errors import DomainError


@strawberry.input
class AssignLicenseInput:
    user_id: strawberry.ID
    product_sku: str


@strawberry.type
class AssignLicensePayload:
    user: Optional[User] = None
    seats: Optional[SeatPool] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AssignLicensesInput:
    user_ids: list[strawberry.ID] = strawberry.field(description="At most 1000.")
    product_sku: str


@strawberry.type
class AssignLicensesPayload:
    assigned: list[LicenseAssignment] = strawberry.field(default_factory=list, description="All assigned, or none: on any error nothing changes.")
    seats: Optional[SeatPool] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeLicenseInput:
    user_id: strawberry.ID
    product_sku: str


@strawberry.type
class RevokeLicensePayload:
    user: Optional[User] = None
    seats: Optional[SeatPool] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field(description="One seat pool per catalog product (never-bought products show zeros); productSku narrows it to one.")
    async def seats(self, info: Info[Context, None], product_sku: Optional[str] = None) -> list[SeatPool]:
        return [SeatPool.from_model(p) for p in await seats.seat_pools(info.context.viewer.org, product_sku)]


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[CanManageUsers])
    async def assign_license(self, info: Info[Context, None], input: AssignLicenseInput) -> AssignLicensePayload:
        viewer = info.context.viewer
        try:
            user, _, pool = await seats.assign_license(viewer.org, input.user_id, input.product_sku, actor=viewer.actor, now=viewer.now)
        except DomainError as error:
            return AssignLicensePayload(user_errors=user_errors(error))
        info.context.forget()
        return AssignLicensePayload(user=User.from_model(user), seats=SeatPool.from_model(pool))

    @strawberry.mutation(permission_classes=[CanManageUsers])
    async def assign_licenses(self, info: Info[Context, None], input: AssignLicensesInput) -> AssignLicensesPayload:
        viewer = info.context.viewer
        try:
            rows = await seats.assign_licenses(viewer.org, list(input.user_ids), input.product_sku, actor=viewer.actor, now=viewer.now)
        except DomainError as error:
            return AssignLicensesPayload(user_errors=user_errors(error))
        info.context.forget()
        pool = await seats.seat_pool(viewer.org, input.product_sku)
        conflicts = await info.context.conflict_ids()
        return AssignLicensesPayload(
            assigned=[LicenseAssignment.from_model(row, pool.product, row.id in conflicts) for row in rows],
            seats=SeatPool.from_model(pool),
        )

    @strawberry.mutation(permission_classes=[CanManageUsers])
    async def revoke_license(self, info: Info[Context, None], input: RevokeLicenseInput) -> RevokeLicensePayload:
        viewer = info.context.viewer
        try:
            user, pool = await seats.revoke_license(viewer.org, input.user_id, input.product_sku, actor=viewer.actor, now=viewer.now)
        except DomainError as error:
            return RevokeLicensePayload(user_errors=user_errors(error))
        info.context.forget()
        return RevokeLicensePayload(user=User.from_model(user), seats=SeatPool.from_model(pool))
