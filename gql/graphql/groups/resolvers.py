"""Groups: group-based licensing with a waitlist (docs/rules.md section 11)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.core.phrases import PAGE_AFTER, PAGE_FIRST, USER_ERRORS
from seatwise.gql.graphql.groups.types import Group, GroupConnection, LicenseWait, LicenseWaitConnection
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.gql.graphql.roles.types import ProductRolesInput
from seatwise.models.core.errors import DomainError
from seatwise.models.core.pages import paginate
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.groups import reads, waitlist
from seatwise.models.people.auth import Viewer
from seatwise.models.seats.licenses import Previewed


@strawberry.input(description="A new group.")
class CreateGroupInput:
    display_name: str = strawberry.field(
        description="1 to 256 characters after trimming, unique in the organization ignoring case."
    )
    product_skus: list[str] | None = strawberry.field(
        default_factory=list, description="Products every member gets a license of."
    )


@strawberry.type(description="The result of createGroup.")
class CreateGroupPayload:
    group: Group | None = strawberry.field(default=None, description="The new group; null on error.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A change to a group: its name, and/or the products it grants.")
class UpdateGroupInput:
    group_id: strawberry.ID = strawberry.field(description="The group to change: a global id (a plain number is deprecated).")
    display_name: str | None = strawberry.field(default=None, description="The new name; null keeps it.")
    product_skus: list[str] | None = strawberry.field(
        default=None, description="When given, replaces the set of products the group grants."
    )
    product_roles: list[ProductRolesInput] | None = strawberry.field(
        default=None, description="When given, replaces the roles the group grants its members, per product."
    )
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of updateGroup.")
class UpdateGroupPayload:
    group: Group | None = strawberry.field(default=None, description="The group after the change; null on error.")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The group to delete.")
class DeleteGroupInput:
    group_id: strawberry.ID = strawberry.field(description="The group's id: a global id (a plain number is deprecated).")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of deleteGroup.")
class DeleteGroupPayload:
    deleted_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the group deleted; null on error."
    )
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="Users to add to a group.")
class AddGroupMembersInput:
    group_id: strawberry.ID = strawberry.field(description="The group's id: a global id (a plain number is deprecated).")
    user_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 1000 users; all are added, or none (global ids; plain numbers are deprecated)."
    )


@strawberry.type(description="The result of addGroupMembers.")
class AddGroupMembersPayload:
    group: Group | None = strawberry.field(default=None, description="The group after the change; null on error.")
    waiting: list[LicenseWait] = strawberry.field(
        default_factory=list, description="Of the users added, those now waiting for a license."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="Users to remove from a group.")
class RemoveGroupMembersInput:
    group_id: strawberry.ID = strawberry.field(description="The group's id: a global id (a plain number is deprecated).")
    user_ids: list[strawberry.ID] = strawberry.field(description="1 to 1000 users; all are removed, or none.")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of removeGroupMembers.")
class RemoveGroupMembersPayload:
    group: Group | None = strawberry.field(default=None, description="The group after the change; null on error.")
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="Groups ordered by displayName; search is a case-insensitive substring of it.")
    async def groups(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Case-insensitive substring of the group's displayName.")
        ] = None,
    ) -> GroupConnection:
        return GroupConnection.from_page(
            await paginate(reads.groups_query(info.context.viewer.org, search), first, after, reads.GROUP_ORDER)
        )

    @strawberry.field(
        description="One group of the viewer's organization by id; null when there is none (another organization's id included)."
    )
    async def group(
        self,
        info: Info[Context, None],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The group's id: a global id (a plain number is deprecated).")
        ],
    ) -> Group | None:
        try:
            return Group.from_model(await groups.get_group(info.context.viewer.org, ids.local(id, "Group"), "id"))
        except DomainError:
            return None

    @strawberry.field(description="Users waiting for a license of this product, in the order they will get one.")
    async def license_waitlist(
        self,
        info: Info[Context, None],
        product_sku: Annotated[str, strawberry.argument(description="The product whose queue to list.")],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> LicenseWaitConnection:
        return LicenseWaitConnection.from_page(await waitlist.waitlist_page(info.context.viewer.org, product_sku, first, after))


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageUsers,
        description="Create a SEATWISE group granting some products. Errors: INVALID_INPUT, ALREADY_EXISTS, UNKNOWN_PRODUCT.",
    )
    async def create_group(
        viewer: Viewer, input: Annotated[CreateGroupInput, strawberry.argument(description="The group's name and products.")]
    ) -> CreateGroupPayload:
        group = await groups.create_group(viewer.org, input.display_name, input.product_skus, actor=viewer.actor, now=viewer.now)
        return CreateGroupPayload(group=Group.from_model(group))

    @domain_mutation(
        CanManageUsers,
        description="Rename a group, or replace the set of products it grants. A DIRECTORY group's name is the directory's: Errors: NOT_FOUND, INVALID_INPUT, ALREADY_EXISTS, MANAGED_BY_DIRECTORY (displayName of a DIRECTORY group; its products may change).",
    )
    async def update_group(
        viewer: Viewer, input: Annotated[UpdateGroupInput, strawberry.argument(description="The group and what to change.")]
    ) -> UpdateGroupPayload:
        try:
            group = await groups.update_group(
                viewer.org,
                ids.local(input.group_id, "Group"),
                display_name=input.display_name,
                product_skus=input.product_skus,
                product_roles=[(e.product_sku, list(e.role_keys)) for e in input.product_roles]
                if input.product_roles is not None
                else None,
                actor=viewer.actor,
                now=viewer.now,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except Previewed as done:
            return UpdateGroupPayload(preview=ChangePreview.from_view(done.preview))
        return UpdateGroupPayload(group=Group.from_model(group))

    @domain_mutation(
        CanManageUsers,
        description="Delete a group: its members lose the licenses they held only through it (freed for the queue) and their waits through it end. A DIRECTORY group is deleted in the directory (SCIM). Errors: NOT_FOUND, MANAGED_BY_DIRECTORY.",
    )
    async def delete_group(
        viewer: Viewer, input: Annotated[DeleteGroupInput, strawberry.argument(description="The group to delete.")]
    ) -> DeleteGroupPayload:
        try:
            deleted = await groups.delete_group(
                viewer.org,
                ids.local(input.group_id, "Group"),
                actor=viewer.actor,
                now=viewer.now,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except Previewed as done:
            return DeleteGroupPayload(preview=ChangePreview.from_view(done.preview))
        return DeleteGroupPayload(deleted_group_id=ids.gid("Group", deleted))

    @domain_mutation(CanManageUsers, description="SEATWISE groups only: a DIRECTORY group's members change through SCIM.")
    async def add_group_members(
        viewer: Viewer,
        input: Annotated[
            AddGroupMembersInput,
            strawberry.argument(description="The group and the users to add, in the order they are granted or queued."),
        ],
    ) -> AddGroupMembersPayload:
        group, waits = await memberships.add_members(
            viewer.org,
            ids.local(input.group_id, "Group"),
            ids.locals_of(input.user_ids, "User"),
            actor=viewer.actor,
            now=viewer.now,
        )
        places = await waitlist.positions(waits)
        return AddGroupMembersPayload(
            group=Group.from_model(group), waiting=[LicenseWait.from_model(w, p) for w, p in zip(waits, places, strict=True)]
        )

    @domain_mutation(
        CanManageUsers,
        description="Remove 1 to 1000 users from a SEATWISE group, all or none: licenses held only through it are revoked and freed for the queue. Errors: NOT_FOUND, INVALID_INPUT, MANAGED_BY_DIRECTORY.",
    )
    async def remove_group_members(
        viewer: Viewer,
        input: Annotated[RemoveGroupMembersInput, strawberry.argument(description="The group and the users to remove.")],
    ) -> RemoveGroupMembersPayload:
        try:
            group = await memberships.remove_members(
                viewer.org,
                ids.local(input.group_id, "Group"),
                ids.locals_of(input.user_ids, "User"),
                actor=viewer.actor,
                now=viewer.now,
                dry_run=bool(input.dry_run),
                plan_token=input.plan_token,
            )
        except Previewed as done:
            return RemoveGroupMembersPayload(preview=ChangePreview.from_view(done.preview))
        return RemoveGroupMembersPayload(group=Group.from_model(group))
