"""Users: the directory queries and the user lifecycle mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanAdminister, CanManageUsers
from seatwise.gql.graphql.types import (
    AccessDecision,
    AdminRole,
    Organization,
    Product,
    User,
    UserConnection,
    UserStatus,
    Viewer,
)
from seatwise.models.catalog.products import catalog
from seatwise.models.core.errors import DomainError
from seatwise.models.core.lookups import get_user
from seatwise.models.core.pages import paginate
from seatwise.models.people import users
from seatwise.models.people.auth import Viewer as AuthViewer
from seatwise.models.seats import licenses as seats


@strawberry.input
class UserFilter:
    status: UserStatus | None = None
    product_sku: str | None = strawberry.field(default=None, description="Users holding a license of this product.")
    search: str | None = strawberry.field(default=None, description="Case-insensitive substring of email or display name.")


@strawberry.input
class CreateUserInput:
    email: str
    display_name: str
    product_skus: list[str] | None = strawberry.field(
        default_factory=list, description="Licenses to assign at once; all or none."
    )
    admin_role: AdminRole | None = None
    password: str | None = strawberry.field(default=None, description="Only for admins who sign in; at least 12 characters.")


@strawberry.type
class CreateUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetAdminRoleInput:
    user_id: strawberry.ID
    role: AdminRole | None = strawberry.field(default=None, description="null removes the admin role.")


@strawberry.type
class SetAdminRolePayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteUserInput:
    user_id: strawberry.ID


@strawberry.type
class DeleteUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RestoreUserInput:
    user_id: strawberry.ID


@strawberry.type
class RestoreUserPayload:
    user: User | None = None
    licenses_not_restored: list[Product] = strawberry.field(
        default_factory=list, description="Products whose license could not be given back for want of free licenses."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in admin or the API token's owner.")
    def viewer(self, info: Info[Context, None]) -> Viewer:
        return Viewer.from_model(info.context.viewer)

    @strawberry.field
    def organization(self, info: Info[Context, None]) -> Organization:
        return Organization.from_model(info.context.viewer.org)

    @strawberry.field(description="The product catalog (SKUs that can be bought).")
    async def products(self, info: Info[Context, None]) -> list[Product]:
        return [Product.from_model(p) for p in await catalog()]

    @strawberry.field(description="Users ordered by email; deleted users only when filter.status is DELETED.")
    async def users(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None, filter: UserFilter | None = None
    ) -> UserConnection:
        query = users.users_query(
            info.context.viewer.org,
            status=filter.status if filter else None,
            sku=filter.product_sku if filter else None,
            search=filter.search if filter else None,
        )
        return UserConnection.from_page(await paginate(query, first, after, users.USER_ORDER))

    @strawberry.field
    async def user(self, info: Info[Context, None], id: strawberry.ID) -> User | None:
        try:
            return User.from_model(await get_user(info.context.viewer.org, id, "id"))
        except DomainError:
            return None

    @strawberry.field(description="May this person use this product right now? Asked by the online service at sign-in.")
    async def access_check(self, info: Info[Context, None], email: str, product_sku: str) -> AccessDecision:
        reason = await seats.access_check(info.context.viewer.org, email, product_sku)
        return AccessDecision(allowed=reason is None, reason=reason)


@strawberry.type
class Mutation:
    @domain_mutation(CanManageUsers)
    async def create_user(viewer: AuthViewer, input: CreateUserInput) -> CreateUserPayload:
        user = await users.create_user(
            viewer.org,
            input.email,
            input.display_name,
            product_skus=input.product_skus,
            admin_role=input.admin_role,
            password=input.password,
            actor=viewer.actor,
            now=viewer.now,
        )
        return CreateUserPayload(user=User.from_model(user))

    @domain_mutation(CanAdminister)
    async def set_admin_role(viewer: AuthViewer, input: SetAdminRoleInput) -> SetAdminRolePayload:
        user = await users.set_admin_role(
            viewer.org, input.user_id, input.role, actor=viewer.actor, now=viewer.now, wall=viewer.wall
        )
        return SetAdminRolePayload(user=User.from_model(user))

    @domain_mutation(CanManageUsers)
    async def delete_user(viewer: AuthViewer, input: DeleteUserInput) -> DeleteUserPayload:
        user = await users.delete_user(viewer.org, input.user_id, actor=viewer.actor, now=viewer.now, wall=viewer.wall)
        return DeleteUserPayload(user=User.from_model(user))

    @domain_mutation(CanManageUsers)
    async def restore_user(viewer: AuthViewer, input: RestoreUserInput) -> RestoreUserPayload:
        user, missing = await users.restore_user(viewer.org, input.user_id, actor=viewer.actor, now=viewer.now)
        return RestoreUserPayload(user=User.from_model(user), licenses_not_restored=[Product.from_model(p) for p in missing])
