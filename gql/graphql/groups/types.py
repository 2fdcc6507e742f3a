"""Groups and license waits as the API shows them (docs/rules.md section 11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core.common import PageInfo, Product, connection, exposed, total_count_field
from seatwise.gql.graphql.core.phrases import NODES, PAGE_AFTER, PAGE_FIRST
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.roles.types import GroupProductRoles
from seatwise.models.core import tables
from seatwise.models.core.pages import Page

if TYPE_CHECKING:
    from seatwise.gql.graphql.people.types import User, UserConnection

GroupSource = exposed(
    tables.GroupSource,
    "GroupSource",
    description="Who manages a group's name and members.",
    values={
        "SEATWISE": "Created and managed in Seatwise.",
        "DIRECTORY": "Provisioned by the organization's directory over SCIM; its members change only there.",
    },
)


@strawberry.type(description="One product a group grants, with how many of its members hold it and how many wait.")
class GroupLicense:
    product: Product = strawberry.field(description="The product granted.")
    licensed: int = strawberry.field(description="Members who hold this product's license (through this group or otherwise).")
    waiting: int = strawberry.field(description="Members waiting for one of this product's licenses.")


@strawberry.type(
    description="A team of users that grants its members licenses of its products; members beyond the free licenses wait in the product's queue."
)
class Group(relay.Node):
    id: relay.NodeID[int]
    display_name: str = strawberry.field(description="1 to 256 characters, unique in the organization ignoring case.")
    # The domain enum, exposed above as the GraphQL enum GroupSource.
    source: tables.GroupSource = strawberry.field(
        description="Where the group is managed: in Seatwise, or by the directory over SCIM."
    )
    external_id: str | None = strawberry.field(description="The directory's id for it (SCIM externalId), if any.")
    created_at: DateTime = strawberry.field(description="When the group was created (organization time).")
    model: strawberry.Private[tables.Group]

    @classmethod
    def from_model(cls, group: tables.Group) -> Group:
        return cls(
            id=group.id,
            display_name=group.display_name,
            source=group.source,
            external_id=group.external_id,
            created_at=group.created_at,
            model=group,
        )

    @strawberry.field(description="The products every member gets a license of, with how far that got.")
    async def licenses(self, info: Info) -> list[GroupLicense]:
        return [
            GroupLicense(product=Product.from_model(row.product), licensed=row.licensed, waiting=row.waiting)
            for row in await info.context.group_licenses.load(self.model.id)
        ]

    @strawberry.field(description="Members ordered by email; deleted users are not listed.")
    async def members(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> Annotated[UserConnection, strawberry.lazy("seatwise.gql.graphql.people.types")]:
        from seatwise.gql.graphql.people.types import UserConnection

        return UserConnection.from_page(await info.context.group_members.load((self.model.id, first, after)))

    @strawberry.field(description="Members who are not deleted.")
    async def member_count(self, info: Info) -> int:
        return await info.context.member_counts.load(self.model.id)

    @strawberry.field(description="The roles every member holds through this group, per product.")
    async def product_roles(self, info: Info) -> list[GroupProductRoles]:
        return [GroupProductRoles.from_entry(entry) for entry in await info.context.group_roles.load(self.model.id)]


@strawberry.type(description="One group of a page and its cursor.")
class GroupEdge:
    cursor: str = strawberry.field(description="Pass as `after` to start the next page after this group.")
    node: Group = strawberry.field(description="The group.")


@strawberry.type(description="A page of groups, ordered by displayName.")
class GroupConnection:
    edges: list[GroupEdge] = strawberry.field(description="The groups of this page, each with its cursor.")
    nodes: list[Group] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages follow.")
    total_count: int = total_count_field(description="Groups matching the search, over all pages.")
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.Group]) -> GroupConnection:
        return connection(page, Group.from_model, GroupEdge, cls)


@strawberry.type(
    description="A user waiting in a product's queue for a license; served in (since, id) order as licenses free up."
)
class LicenseWait(relay.Node):
    since: DateTime = strawberry.field(description="When the user started waiting; the queue is ordered by (since, id).")
    position: int = strawberry.field(description="1 = the next to get a license.")
    model: strawberry.Private[tables.LicenseWait]

    @classmethod
    def from_model(cls, wait: tables.LicenseWait, position: int) -> LicenseWait:
        return cls(since=wait.since, position=position, model=wait)

    @classmethod
    def resolve_id(cls, root: LicenseWait, *, info: Info) -> str:
        return f"{root.model.user_id}:{root.model.product_id}"  # user and product (docs/api.md)

    @strawberry.field(description="The user waiting.")
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy("seatwise.gql.graphql.people.types")]:
        from seatwise.gql.graphql.people.types import User

        return User.from_model(await info.context.users.load(self.model.user_id))

    @strawberry.field(description="The product waited for.")
    async def product(self, info: Info) -> Product:
        return Product.from_model((await info.context.products())[self.model.product_id])

    @strawberry.field(description="The groups that ask for this license.")
    async def groups(self, info: Info) -> list[Group]:
        return [Group.from_model(g) for g in await info.context.license_groups.load((self.model.user_id, self.model.product_id))]


@strawberry.type(description="One wait of a page and its cursor.")
class LicenseWaitEdge:
    cursor: str = strawberry.field(description="Pass as `after` to start the next page after this wait.")
    node: LicenseWait = strawberry.field(description="The wait.")


@strawberry.type(description="A page of a product's waitlist, in queue order.")
class LicenseWaitConnection:
    edges: list[LicenseWaitEdge] = strawberry.field(description="The waits of this page, each with its cursor.")
    nodes: list[LicenseWait] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages follow.")
    total_count: int = total_count_field(description="Users waiting for the product.")
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tuple[tables.LicenseWait, int]]) -> LicenseWaitConnection:
        return connection(page, lambda item: LicenseWait.from_model(*item), LicenseWaitEdge, cls)
