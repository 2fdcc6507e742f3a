"""Users: the directory queries and the user lifecycle mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.common import AdminRole, Product, UserStatus
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.paging import asked_first
from seatwise.gql.graphql.core.permissions import CanAdminister, CanManageUsers
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, PAGE_AFTER, PAGE_BEFORE, PAGE_FIRST, PAGE_LAST, USER_ERRORS
from seatwise.gql.graphql.people.orders import UserOrder
from seatwise.gql.graphql.people.types import AccessDecision, Organization, User, UserConnection, Viewer
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.models.catalog.products import catalog
from seatwise.models.core.errors import DomainError
from seatwise.models.core.lookups import get_user
from seatwise.models.core.pages import paginate
from seatwise.models.people import deletion, listing, users
from seatwise.models.people.auth import Viewer as AuthViewer
from seatwise.models.roles.effective import sign_in_roles
from seatwise.models.seats import licenses as seat_rules
from seatwise.models.seats.licenses import Previewed
from seatwise.models.usage import access

# The User fields that read the page's prefetched licenses.
_PREFETCHED = frozenset({"status", "licenses"})


def _selects(selections: list, names: frozenset[str]) -> bool:
    """Whether any field below `selections` (fragments included) is one of `names`."""
    return any(getattr(field, "name", None) in names or _selects(getattr(field, "selections", []), names) for field in selections)


@strawberry.input(description="Narrows users; each field set must match.")
class UserFilter:
    status: UserStatus | None = strawberry.field(
        default=None, description="Only users in this status; DELETED lists deleted users."
    )
    product_sku: str | None = strawberry.field(default=None, description="Users holding a license of this product.")
    search: str | None = strawberry.field(default=None, description="Case-insensitive substring of email or display name.")
    license_state: seat_rules.LicenseState | None = strawberry.field(
        default=None, description="Users holding at least one license in this state."
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Members of this group (a global id; a plain number is deprecated); an unknown group: no user."
    )
    admin_role: AdminRole | None = strawberry.field(default=None, description="Admins with this role.")


@strawberry.input(description="A new user.")
class CreateUserInput:
    email: str = strawberry.field(description="Unique email (at most 254 characters), trimmed and lower-cased.")
    display_name: str = strawberry.field(description="Name shown, 1 to 256 characters after trimming.")
    product_skus: list[str] | None = strawberry.field(
        default_factory=list, description="Licenses to assign at once; all or none."
    )
    admin_role: AdminRole | None = strawberry.field(
        default=None, description="An admin role to grant (needs GLOBAL_ADMIN); null for a user who is not an admin."
    )
    password: str | None = strawberry.field(default=None, description="Only for admins who sign in; at least 12 characters.")


@strawberry.type(description="The result of createUser.")
class CreateUserPayload:
    user: User | None = strawberry.field(default=None, description="The user created.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A user and the admin role to give.")
class SetAdminRoleInput:
    user_id: strawberry.ID = strawberry.field(description="The user's id: a global id (a plain number is deprecated).")
    role: AdminRole | None = strawberry.field(default=None, description="null removes the admin role.")


@strawberry.type(description="The result of setAdminRole.")
class SetAdminRolePayload:
    user: User | None = strawberry.field(default=None, description="The user with the new role.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The user to delete.")
class DeleteUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user's id: a global id (a plain number is deprecated).")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of deleteUser.")
class DeleteUserPayload:
    user: User | None = strawberry.field(default=None, description="The deleted user (status DELETED, with restorableUntil).")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The deleted user to restore.")
class RestoreUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user's id: a global id (a plain number is deprecated).")


@strawberry.type(description="The result of restoreUser.")
class RestoreUserPayload:
    user: User | None = strawberry.field(default=None, description="The restored user.")
    licenses_not_restored: list[Product] = strawberry.field(
        default_factory=list, description="Products whose license could not be given back for want of free licenses."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in admin or the API token's owner.")
    def viewer(self, info: Info[Context, None]) -> Viewer:
        return Viewer.from_model(info.context.viewer)

    @strawberry.field(description="The viewer's organization.")
    def organization(self, info: Info[Context, None]) -> Organization:
        return Organization.from_model(info.context.viewer.org)

    @strawberry.field(description="The product catalog (SKUs that can be bought).")
    async def products(self, info: Info[Context, None]) -> list[Product]:
        return [Product.from_model(p) for p in await catalog()]

    @strawberry.field(
        description="Users in the order asked (by email unless orderBy says otherwise); deleted users only when filter.status is DELETED."
    )
    async def users(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=PAGE_LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=PAGE_BEFORE)] = None,
        filter: Annotated[
            UserFilter | None, strawberry.argument(description="Narrows the list; null lists every user who is not deleted.")
        ] = None,
        order_by: Annotated[UserOrder | None, strawberry.argument(description="The order; null: by email, ascending.")] = None,
    ) -> UserConnection:
        org, wanted = info.context.viewer.org, filter or UserFilter()
        query = users.users_query(org, status=wanted.status, sku=wanted.product_sku, search=wanted.search)
        query = listing.narrowed(
            query,
            org,
            license_state=wanted.license_state,
            group_id=ids.optional(wanted.group_id, "Group"),
            admin_role=wanted.admin_role,
        )
        order = listing.user_order(order_by.field if order_by else None, order_by.direction if order_by else None)
        first = asked_first(info, first, last, before)
        page = await paginate(query, first, after, order, last=last, before=before)
        if not _selects(info.selected_fields, _PREFETCHED):
            return UserConnection.from_page(page)
        return UserConnection.from_page(page, await info.context.page_licenses([u.id for u in page.items]))

    @strawberry.field(
        description="One user of the organization, deleted ones included until purged; null when there is none with this id."
    )
    async def user(
        self,
        info: Info[Context, None],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The user's id: a global id (a plain number is deprecated).")
        ],
    ) -> User | None:
        try:
            return User.from_model(await get_user(info.context.viewer.org, ids.local(id, "User"), "id"))
        except DomainError:
            return None

    @strawberry.field(description="May this person use this product right now? Asked by the online service at sign-in.")
    async def access_check(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="The person's email; case and surrounding spaces are ignored.")],
        product_sku: Annotated[str, strawberry.argument(description="The product asked for, e.g. CRM_BASIC.")],
    ) -> AccessDecision:
        from seatwise.gql.graphql.roles.types import RoleGrant

        viewer = info.context.viewer  # an allowed answer is a use; a dormant user's sign-in is a grant
        org = viewer.org
        reason, user = await access.sign_in_user(org, email, product_sku, actor=viewer.actor, now=viewer.now)
        if reason is not None or user is None:
            return AccessDecision(allowed=False, reason=reason)
        if not _asks_for_roles(info):
            return AccessDecision(allowed=True, reason=None)
        roles = await sign_in_roles(org, user, product_sku)  # one statement more than the license's answer
        return AccessDecision(allowed=True, reason=None, roles=[RoleGrant.from_entry(entry, user.id) for entry in roles])


def _asks_for_roles(info: Info) -> bool:
    """Whether the operation selects `roles` of the access decision (fragments included)."""

    def names(selections) -> set[str]:
        found = set()
        for selection in selections:
            if getattr(selection, "name", None) is not None:
                found.add(selection.name)
            else:  # an inline fragment or fragment spread
                found |= names(selection.selections)
        return found

    return any("roles" in names(field.selections) for field in info.selected_fields)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageUsers,
        description="Create a user, optionally with licenses (all or none) and an admin role. Errors: INVALID_INPUT, ALREADY_EXISTS, UNKNOWN_PRODUCT, NO_LICENSES_AVAILABLE.",
    )
    async def create_user(
        viewer: AuthViewer, input: Annotated[CreateUserInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> CreateUserPayload:
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

    @domain_mutation(
        CanAdminister,
        description="GLOBAL_ADMIN only: give, change or remove a user's admin role; a change ends the user's sessions and API tokens. Errors: NOT_FOUND, USER_DELETED, LAST_GLOBAL_ADMIN.",
    )
    async def set_admin_role(
        viewer: AuthViewer, input: Annotated[SetAdminRoleInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SetAdminRolePayload:
        user = await users.set_admin_role(
            viewer.org, ids.local(input.user_id, "User"), input.role, actor=viewer.actor, now=viewer.now, wall=viewer.wall
        )
        return SetAdminRolePayload(user=User.from_model(user))

    @domain_mutation(
        CanManageUsers,
        description="Delete a user: frees their licenses and ends their credentials; restorable for 30 days. Errors: NOT_FOUND, USER_DELETED, LAST_GLOBAL_ADMIN.",
    )
    async def delete_user(
        viewer: AuthViewer, input: Annotated[DeleteUserInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> DeleteUserPayload:
        try:
            user = await deletion.delete_user(
                viewer.org,
                ids.local(input.user_id, "User"),
                actor=viewer.actor,
                now=viewer.now,
                wall=viewer.wall,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except Previewed as done:
            return DeleteUserPayload(preview=ChangePreview.from_view(done.preview))
        return DeleteUserPayload(user=User.from_model(user))

    @domain_mutation(
        CanManageUsers,
        description="Restore a user deleted less than 30 days ago, giving back the licenses still available. Errors: NOT_FOUND, USER_NOT_DELETED, RESTORE_WINDOW_EXPIRED.",
    )
    async def restore_user(
        viewer: AuthViewer, input: Annotated[RestoreUserInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RestoreUserPayload:
        user, missing = await deletion.restore_user(
            viewer.org, ids.local(input.user_id, "User"), actor=viewer.actor, now=viewer.now
        )
        return RestoreUserPayload(user=User.from_model(user), licenses_not_restored=[Product.from_model(p) for p in missing])
