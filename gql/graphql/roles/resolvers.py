"""Product security roles: the organization's own roles, and roles granted to users (docs/rules.md section 14)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.gql.graphql.people.types import User
from seatwise.gql.graphql.roles.types import ProductRole
from seatwise.models.people.auth import Viewer
from seatwise.models.roles import definitions, grants


@strawberry.input(description="A new role of the organization in one product.")
class CreateProductRoleInput:
    product_sku: str = strawberry.field(description="The product, e.g. CRM_PROFESSIONAL.")
    key: str = strawberry.field(description="[A-Z][A-Z0-9_]{1,63}, unique in the product ignoring case, e.g. REGIONAL_MANAGER.")
    name: str = strawberry.field(description="1 to 128 characters.")
    description: str | None = strawberry.field(default="", description="What the role may do; at most 1024 characters.")


@strawberry.type(description="The result of createProductRole.")
class CreateProductRolePayload:
    role: ProductRole | None = strawberry.field(default=None, description="The new role; null on error.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A change to one of the organization's roles; null keeps a value.")
class UpdateProductRoleInput:
    product_sku: str = strawberry.field(description="The role's product.")
    key: str = strawberry.field(description="The role's key.")
    name: str | None = strawberry.field(default=None, description="The new name; null keeps it.")
    description: str | None = strawberry.field(default=None, description="The new description; null keeps it.")


@strawberry.type(description="The result of updateProductRole.")
class UpdateProductRolePayload:
    role: ProductRole | None = strawberry.field(default=None, description="The role after the change; null on error.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="One of the organization's roles to delete.")
class DeleteProductRoleInput:
    product_sku: str = strawberry.field(description="The role's product.")
    key: str = strawberry.field(description="The role's key.")


@strawberry.type(description="The result of deleteProductRole.")
class DeleteProductRolePayload:
    deleted_key: str | None = strawberry.field(default=None, description="The key of the role deleted; null on error.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="Roles of one product to give users directly.")
class GrantProductRolesInput:
    user_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 1000 users; all or none (global ids; plain numbers are deprecated)."
    )
    product_sku: str = strawberry.field(description="The product, e.g. CRM_PROFESSIONAL.")
    role_keys: list[str] = strawberry.field(description="1 to 20 role keys.")


@strawberry.type(description="The result of grantProductRoles.")
class GrantProductRolesPayload:
    users: list[User] = strawberry.field(default_factory=list, description="The users, in the order given; empty on error.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="Roles of one product to take back from users (their direct source).")
class RevokeProductRolesInput:
    user_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 1000 users; all or none (global ids; plain numbers are deprecated)."
    )
    product_sku: str = strawberry.field(description="The product.")
    role_keys: list[str] = strawberry.field(description="1 to 20 role keys.")


@strawberry.type(description="The result of revokeProductRoles.")
class RevokeProductRolesPayload:
    users: list[User] = strawberry.field(default_factory=list, description="The users, in the order given; empty on error.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageUsers,
        description="Add a role of the organization's own to a product. Errors: INVALID_INPUT, ALREADY_EXISTS, UNKNOWN_PRODUCT.",
    )
    async def create_product_role(
        viewer: Viewer, input: Annotated[CreateProductRoleInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> CreateProductRolePayload:
        role = await definitions.create_role(
            viewer.org, input.product_sku, input.key, input.name, input.description, actor=viewer.actor, now=viewer.now
        )
        return CreateProductRolePayload(role=ProductRole.from_view(role))

    @domain_mutation(
        CanManageUsers,
        description="Rename or describe one of the organization's roles; shipped roles cannot change. Errors: INVALID_INPUT, UNKNOWN_ROLE, UNKNOWN_PRODUCT.",
    )
    async def update_product_role(
        viewer: Viewer, input: Annotated[UpdateProductRoleInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> UpdateProductRolePayload:
        role = await definitions.update_role(
            viewer.org,
            input.product_sku,
            input.key,
            name=input.name,
            description=input.description,
            actor=viewer.actor,
            now=viewer.now,
        )
        return UpdateProductRolePayload(role=ProductRole.from_view(role))

    @domain_mutation(
        CanManageUsers,
        description="Delete one of the organization's roles: every grant of it (direct or through groups) ends. Errors: INVALID_INPUT, UNKNOWN_ROLE, UNKNOWN_PRODUCT.",
    )
    async def delete_product_role(
        viewer: Viewer, input: Annotated[DeleteProductRoleInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> DeleteProductRolePayload:
        key = await definitions.delete_role(viewer.org, input.product_sku, input.key, actor=viewer.actor, now=viewer.now)
        return DeleteProductRolePayload(deleted_key=key)

    @domain_mutation(
        CanManageUsers,
        description="Give 1 to 20 roles of a product to 1 to 1000 users directly, all or none; SYSTEM_ADMINISTRATOR only by a GLOBAL_ADMIN (FORBIDDEN). Errors: INVALID_INPUT, NOT_FOUND, USER_DELETED, UNKNOWN_PRODUCT, UNKNOWN_ROLE.",
    )
    async def grant_product_roles(
        viewer: Viewer, input: Annotated[GrantProductRolesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> GrantProductRolesPayload:
        users = await grants.grant_roles(
            viewer.org,
            ids.locals_of(input.user_ids, "User"),
            input.product_sku,
            list(input.role_keys),
            actor=viewer.actor,
            now=viewer.now,
        )
        return GrantProductRolesPayload(users=[User.from_model(u) for u in users])

    @domain_mutation(
        CanManageUsers,
        description="Take back the direct source of 1 to 20 roles of a product from 1 to 1000 users, all or none. Errors: INVALID_INPUT, NOT_FOUND, UNKNOWN_PRODUCT, UNKNOWN_ROLE, ROLE_INHERITED.",
    )
    async def revoke_product_roles(
        viewer: Viewer, input: Annotated[RevokeProductRolesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RevokeProductRolesPayload:
        users = await grants.revoke_roles(
            viewer.org,
            ids.locals_of(input.user_ids, "User"),
            input.product_sku,
            list(input.role_keys),
            actor=viewer.actor,
            now=viewer.now,
        )
        return RevokeProductRolesPayload(users=[User.from_model(u) for u in users])
