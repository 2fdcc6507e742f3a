"""Seat pools and licenses as the API shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core.common import PageInfo, Product, connection, exposed, total_count_field
from seatwise.gql.graphql.core.phrases import CURSOR, EDGES, NODE, NODES, PAGE_INFO, TOTAL_COUNT
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.people.types import User
from seatwise.models.core import tables
from seatwise.models.core.errors import DomainError
from seatwise.models.core.pages import Page
from seatwise.models.seats import licenses as seat_rules
from seatwise.models.seats.pools import PoolView
from seatwise.models.usage import idle, policies

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


@strawberry.type(description="A product's reclaim policy: idle licenses are scheduled, then taken back unless used.")
class ReclaimPolicy:
    product: Product = strawberry.field(description="The product.")
    enabled: bool = strawberry.field(description="False: the billing clock schedules and reclaims nothing.")
    idle_days: int = strawberry.field(description="A license idle this many days is scheduled for reclaim.")
    notice_days: int = strawberry.field(description="Days between scheduling and reclaiming; a use in between keeps the license.")
    updated_at: DateTime = strawberry.field(description="When the policy was last set.")

    @classmethod
    def from_model(cls, row: tables.ReclaimPolicy, product: Product) -> ReclaimPolicy:
        return cls(
            product=product, enabled=row.enabled, idle_days=row.idle_days, notice_days=row.notice_days, updated_at=row.updated_at
        )


@strawberry.type(description="The licenses of one product: purchased, assigned and free.")
class SeatPool(relay.Node):
    product: Product = strawberry.field(description="The product.")
    purchased: int = strawberry.field(description="Licenses of ACTIVE and GRACE_PERIOD subscriptions of this product.")
    assigned: int = strawberry.field(description="Licenses assigned to users who are not deleted.")
    available: int = strawberry.field(description="max(purchased - assigned, 0)")
    overage: int = strawberry.field(description="max(assigned - purchased, 0)")
    in_conflict: bool = strawberry.field(description="overage > 0: some licenses are in CONFLICT.")
    waiting: int = strawberry.field(description="Users waiting for one of this product's licenses (group-based licensing).")

    @strawberry.field(description="Licenses of users who are not deleted, idle at least `days` days.")
    async def idle(self, info: Info, days: Annotated[int | None, strawberry.argument(description="1 to 3650.")] = 30) -> int:
        from seatwise.gql.graphql.core.errors import query_input_error

        viewer = info.context.viewer
        try:
            return await idle.idle_count(viewer.org, self.product.sku, 30 if days is None else days, viewer.now)
        except DomainError as error:
            raise query_input_error(error) from None

    @strawberry.field(description="The product's reclaim policy; null: none (the default).")
    async def reclaim_policy(self, info: Info) -> ReclaimPolicy | None:
        cache = info.context.__dict__.setdefault("_reclaim_policies", {})
        if "all" not in cache:  # one query for every pool of the request
            cache["all"] = await policies.policies_of(info.context.viewer.org)
        row = cache["all"].get(self.product.sku)
        return ReclaimPolicy.from_model(row, self.product) if row is not None else None

    @classmethod
    def resolve_id(cls, root: SeatPool, *, info: Info) -> str:
        return root.product.sku  # the viewer's organization and the product (docs/api.md)

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
class LicenseAssignment(relay.Node):
    id: relay.NodeID[int]
    product: Product = strawberry.field(description="The licensed product.")
    assigned_at: DateTime = strawberry.field(
        description="When this license was (last) given to the user; seniority in a conflict."
    )
    state: seat_rules.LicenseState = strawberry.field(description="ACTIVE grants access; CONFLICT does not.")
    direct: bool = strawberry.field(
        description="Assigned to the user directly (assignLicense and friends), not only through groups."
    )
    last_used_at: DateTime | None = strawberry.field(
        default=None,
        description="The latest use since the license was (last) given: a sign-in (accessCheck) or a reported use. Null: never used.",
    )
    reclaim_at: DateTime | None = strawberry.field(
        default=None,
        description="When the billing clock takes it back unless it is used first (a reclaim policy); null when not scheduled.",
    )
    model: strawberry.Private[tables.LicenseAssignment]

    @strawberry.field(description="The holder.")
    async def user(self, info: Info) -> User:
        return User.from_model(await info.context.users.load(self.model.user_id))

    @classmethod
    def from_model(cls, row: tables.LicenseAssignment, product: tables.Product, in_conflict: bool) -> LicenseAssignment:
        return cls(
            id=row.id,
            product=Product.from_model(product),
            assigned_at=row.assigned_at,
            state=LicenseState.CONFLICT if in_conflict else LicenseState.ACTIVE,
            direct=row.direct,
            last_used_at=row.last_used_at,
            reclaim_at=row.reclaim_at,
            model=row,
        )

    @strawberry.field(description="The groups through which the user holds this license.")
    async def groups(self, info: Info) -> list[Annotated[Group, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import Group

        return [Group.from_model(g) for g in await info.context.license_groups.load((self.model.user_id, self.model.product_id))]


@strawberry.type(description="A license in a list of licenses.")
class LicenseAssignmentEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: LicenseAssignment = strawberry.field(description=NODE)


@strawberry.type(description="A page of licenses.")
class LicenseAssignmentConnection:
    edges: list[LicenseAssignmentEdge] = strawberry.field(description=EDGES)
    nodes: list[LicenseAssignment] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = total_count_field(description=TOTAL_COUNT)
    page: strawberry.Private[Page]

    @classmethod
    def from_page(
        cls, page: Page[tables.LicenseAssignment], product: tables.Product, conflict: set[int]
    ) -> LicenseAssignmentConnection:
        return connection(
            page, lambda row: LicenseAssignment.from_model(row, product, row.id in conflict), LicenseAssignmentEdge, cls
        )
