"""Product security roles as the API shows them (docs/rules.md section 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import Product, ProductRole
from seatwise.models.roles.effective import EffectiveRole
from seatwise.models.roles.group_roles import ProductRoles

if TYPE_CHECKING:
    from seatwise.gql.graphql.groups.types import Group


async def _product(info: Info, sku: str) -> Product:
    return Product.from_model((await info.context.products())[sku])


@strawberry.type(description="A role a user holds, with its sources: direct, groups, the Seatwise admin role.")
class RoleGrant:
    role: ProductRole = strawberry.field(description="The role held.")
    direct: bool = strawberry.field(description="Granted to the user directly.")
    via_admin_role: bool = strawberry.field(
        description="Held because the user is a Seatwise GLOBAL_ADMIN (SYSTEM_ADMINISTRATOR)."
    )
    entry: strawberry.Private[EffectiveRole]
    user_id: strawberry.Private[int]

    @classmethod
    def from_entry(cls, entry: EffectiveRole, user_id: int) -> RoleGrant:
        return cls(
            role=ProductRole.from_view(entry.role),
            direct=entry.direct,
            via_admin_role=entry.via_admin_role,
            entry=entry,
            user_id=user_id,
        )

    @strawberry.field(description="The groups through which the user holds it.")
    async def groups(self, info: Info) -> list[Annotated[Group, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import Group

        if self.entry.groups is not None:
            return [Group.from_model(g) for g in self.entry.groups]
        if not self.entry.group_ids:
            return []
        wanted = set(self.entry.group_ids)
        return [Group.from_model(g) for g in await info.context.user_groups.load(self.user_id) if g.id in wanted]


@strawberry.type(description="The roles a group gives its members in one product.")
class GroupProductRoles:
    roles: list[ProductRole] = strawberry.field(description="The roles, in the product's order.")
    entry: strawberry.Private[ProductRoles]

    @classmethod
    def from_entry(cls, entry: ProductRoles) -> GroupProductRoles:
        return cls(roles=[ProductRole.from_view(r) for r in entry.roles], entry=entry)

    @strawberry.field(description="The product.")
    async def product(self, info: Info) -> Product:
        return await _product(info, self.entry.product_sku)


@strawberry.input(description="The roles of one product, by key.")
class ProductRolesInput:
    product_sku: str = strawberry.field(description="The product, e.g. CRM_PROFESSIONAL.")
    role_keys: list[str] = strawberry.field(description="0 to 20 role keys of that product (ignoring case); [] gives none.")
