"""Groups and license waits as the API shows them (docs/rules.md section 11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import PageInfo, Product, connection, exposed, total_count_field
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core import tables
from seatwise.models.core.pages import Page, paginate
from seatwise.models.groups import lifecycle as group_rules

if TYPE_CHECKING:
    from seatwise.gql.graphql.people.types import User, UserConnection

GroupSource = exposed(
    tables.GroupSource,
    "GroupSource",
    values={
        "SEATWISE": "Created and managed in Seatwise.",
        "DIRECTORY": "Provisioned by the organization's directory over SCIM; its members change only there.",
    },
)


@strawberry.type
class GroupLicense:
    product: Product
    licensed: int = strawberry.field(description="Members who hold this product's license (through this group or otherwise).")
    waiting: int = strawberry.field(description="Members waiting for one of this product's licenses.")


@strawberry.type
class Group:
    id: strawberry.ID
    display_name: str
    source: tables.GroupSource  # exposed as the GraphQL enum GroupSource above
    external_id: str | None = strawberry.field(description="The directory's id for it (SCIM externalId), if any.")
    created_at: DateTime
    model: strawberry.Private[tables.Group]

    @classmethod
    def from_model(cls, group: tables.Group) -> Group:
        return cls(
            id=strawberry.ID(str(group.id)),
            display_name=group.display_name,
            source=group.source,
            external_id=group.external_id,
            created_at=group.created_at,
            model=group,
        )

    @strawberry.field(description="The products every member gets a license of, with how far that got.")
    async def licenses(self) -> list[GroupLicense]:
        return [
            GroupLicense(product=Product.from_model(row.product), licensed=row.licensed, waiting=row.waiting)
            for row in await group_rules.group_licenses(self.model)
        ]

    @strawberry.field(description="Members ordered by email; deleted users are not listed.")
    async def members(
        self, first: int | None = 50, after: str | None = None
    ) -> Annotated[UserConnection, strawberry.lazy("seatwise.gql.graphql.people.types")]:
        from seatwise.gql.graphql.people.types import UserConnection

        return UserConnection.from_page(
            await paginate(group_rules.members_query(self.model), first, after, group_rules.MEMBER_ORDER)
        )

    @strawberry.field
    async def member_count(self) -> int:
        return await group_rules.member_count(self.model)


@strawberry.type
class GroupEdge:
    cursor: str
    node: Group


@strawberry.type
class GroupConnection:
    edges: list[GroupEdge]
    page_info: PageInfo
    total_count: int = total_count_field()
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.Group]) -> GroupConnection:
        return connection(page, Group.from_model, GroupEdge, cls)


@strawberry.type
class LicenseWait:
    since: DateTime = strawberry.field(description="When the user started waiting; the queue is ordered by (since, id).")
    position: int = strawberry.field(description="1 = the next to get a license.")
    model: strawberry.Private[tables.LicenseWait]

    @classmethod
    def from_model(cls, wait: tables.LicenseWait, position: int) -> LicenseWait:
        return cls(since=wait.since, position=position, model=wait)

    @strawberry.field
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy("seatwise.gql.graphql.people.types")]:
        from seatwise.gql.graphql.people.types import User

        return User.from_model(await info.context.users.load(self.model.user_id))

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_model((await info.context.products())[self.model.product_id])

    @strawberry.field(description="The groups that ask for this license.")
    async def groups(self, info: Info) -> list[Group]:
        return [Group.from_model(g) for g in await info.context.license_groups.load((self.model.user_id, self.model.product_id))]


@strawberry.type
class LicenseWaitEdge:
    cursor: str
    node: LicenseWait


@strawberry.type
class LicenseWaitConnection:
    edges: list[LicenseWaitEdge]
    page_info: PageInfo
    total_count: int = total_count_field()
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tuple[tables.LicenseWait, int]]) -> LicenseWaitConnection:
        edges = [
            LicenseWaitEdge(cursor=page.cursor(i), node=LicenseWait.from_model(wait, position))
            for i, (wait, position) in enumerate(page.items)
        ]
        return cls(edges=edges, page_info=PageInfo.from_page(page), page=page)
