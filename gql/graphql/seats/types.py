"""Seat pools and licenses as the API shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import Product, exposed
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core import tables
from seatwise.models.seats import licenses as seat_rules
from seatwise.models.seats.pools import PoolView

if TYPE_CHECKING:
    from seatwise.gql.graphql.groups.types import Group

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
LicenseState = exposed(
    seat_rules.LicenseState,
    "LicenseState",
    description="Whether a license grants access.",
    values={
        "ACTIVE": "Within the purchased licenses: access is granted.",
        "CONFLICT": "Beyond the purchased licenses of a product in conflict: access is denied.",
    },
)


@strawberry.type(description="The licenses of one product: purchased, assigned and free.")
class SeatPool:
    product: Product = strawberry.field(description="The product.")
    purchased: int = strawberry.field(description="Licenses of ACTIVE and GRACE_PERIOD subscriptions of this product.")
    assigned: int = strawberry.field(description="Licenses assigned to users who are not deleted.")
    available: int = strawberry.field(description="max(purchased - assigned, 0)")
    overage: int = strawberry.field(description="max(assigned - purchased, 0)")
    in_conflict: bool = strawberry.field(description="overage > 0: some licenses are in CONFLICT.")
    waiting: int = strawberry.field(description="Users waiting for one of this product's licenses (group-based licensing).")

    @classmethod
    def from_model(cls, pool: PoolView) -> SeatPool:
        return cls(
            product=Product.from_model(pool.product),
            purchased=pool.purchased,
            assigned=pool.assigned,
            available=pool.available,
            overage=pool.overage,
            in_conflict=pool.in_conflict,
            waiting=pool.waiting,
        )


@strawberry.type(description="A license of one product held by a user.")
class LicenseAssignment:
    id: strawberry.ID = strawberry.field(description="The assignment's id.")
    product: Product = strawberry.field(description="The licensed product.")
    assigned_at: DateTime = strawberry.field(
        description="When this license was (last) given to the user; seniority in a conflict."
    )
    state: seat_rules.LicenseState = strawberry.field(description="ACTIVE grants access; CONFLICT does not.")
    direct: bool = strawberry.field(
        description="Assigned to the user directly (assignLicense and friends), not only through groups."
    )
    model: strawberry.Private[tables.LicenseAssignment]

    @classmethod
    def from_model(cls, row: tables.LicenseAssignment, product: tables.Product, in_conflict: bool) -> LicenseAssignment:
        return cls(
            id=strawberry.ID(str(row.id)),
            product=Product.from_model(product),
            assigned_at=row.assigned_at,
            state=LicenseState.CONFLICT if in_conflict else LicenseState.ACTIVE,
            direct=row.direct,
            model=row,
        )

    @strawberry.field(description="The groups through which the user holds this license.")
    async def groups(self, info: Info) -> list[Annotated[Group, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import Group

        return [Group.from_model(g) for g in await info.context.license_groups.load((self.model.user_id, self.model.product_id))]
