"""Seat pools and licenses as the API shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import LicenseState, Product
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core import tables
from seatwise.models.seats.ledger import PoolView

if TYPE_CHECKING:
    from seatwise.gql.graphql.groups.types import Group


@strawberry.type
class SeatPool:
    product: Product
    purchased: int = strawberry.field(description="Licenses of ACTIVE and GRACE_PERIOD subscriptions of this product.")
    assigned: int = strawberry.field(description="Licenses assigned to users who are not deleted.")
    available: int = strawberry.field(description="max(purchased - assigned, 0)")
    overage: int = strawberry.field(description="max(assigned - purchased, 0)")
    in_conflict: bool
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


@strawberry.type
class LicenseAssignment:
    id: strawberry.ID
    product: Product
    assigned_at: DateTime = strawberry.field(
        description="When this license was (last) given to the user; seniority in a conflict."
    )
    state: LicenseState
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
