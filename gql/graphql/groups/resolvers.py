"""Groups: group-based licensing with a waitlist (docs/rules.md section 11)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.groups.types import Group, GroupConnection, LicenseWait, LicenseWaitConnection
from seatwise.models.core.errors import DomainError
from seatwise.models.core.pages import paginate
from seatwise.models.groups import lifecycle as groups
from seatwise.models.people.auth import Viewer


@strawberry.input
class CreateGroupInput:
    display_name: str
    product_skus: list[str] | None = strawberry.field(
        default_factory=list, description="Products every member gets a license of."
    )


@strawberry.type
class CreateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateGroupInput:
    group_id: strawberry.ID
    display_name: str | None = None
    product_skus: list[str] | None = strawberry.field(
        default=None, description="When given, replaces the set of products the group grants."
    )


@strawberry.type
class UpdateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteGroupInput:
    group_id: strawberry.ID


@strawberry.type
class DeleteGroupPayload:
    deleted_group_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AddGroupMembersInput:
    group_id: strawberry.ID
    user_ids: list[strawberry.ID] = strawberry.field(description="1 to 1000 users; all are added, or none.")


@strawberry.type
class AddGroupMembersPayload:
    group: Group | None = None
    waiting: list[LicenseWait] = strawberry.field(
        default_factory=list, description="Of the users added, those now waiting for a license."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RemoveGroupMembersInput:
    group_id: strawberry.ID
    user_ids: list[strawberry.ID] = strawberry.field(description="1 to 1000 users; all are removed, or none.")


@strawberry.type
class RemoveGroupMembersPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field(description="Groups ordered by displayName; search is a case-insensitive substring of it.")
    async def groups(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None, search: str | None = None
    ) -> GroupConnection:
        return GroupConnection.from_page(
            await paginate(groups.groups_query(info.context.viewer.org, search), first, after, groups.GROUP_ORDER)
        )

    @strawberry.field
    async def group(self, info: Info[Context, None], id: strawberry.ID) -> Group | None:
        try:
            return Group.from_model(await groups.get_group(info.context.viewer.org, id, "id"))
        except DomainError:
            return None

    @strawberry.field(description="Users waiting for a license of this product, in the order they will get one.")
    async def license_waitlist(
        self, info: Info[Context, None], product_sku: str, first: int | None = 50, after: str | None = None
    ) -> LicenseWaitConnection:
        return LicenseWaitConnection.from_page(await groups.waitlist_page(info.context.viewer.org, product_sku, first, after))


@strawberry.type
class Mutation:
    @domain_mutation(CanManageUsers)
    async def create_group(viewer: Viewer, input: CreateGroupInput) -> CreateGroupPayload:
        group = await groups.create_group(viewer.org, input.display_name, input.product_skus, actor=viewer.actor, now=viewer.now)
        return CreateGroupPayload(group=Group.from_model(group))

    @domain_mutation(CanManageUsers, description="Rename a group, or replace the set of products it grants.")
    async def update_group(viewer: Viewer, input: UpdateGroupInput) -> UpdateGroupPayload:
        group = await groups.update_group(
            viewer.org,
            input.group_id,
            display_name=input.display_name,
            product_skus=input.product_skus,
            actor=viewer.actor,
            now=viewer.now,
        )
        return UpdateGroupPayload(group=Group.from_model(group))

    @domain_mutation(CanManageUsers)
    async def delete_group(viewer: Viewer, input: DeleteGroupInput) -> DeleteGroupPayload:
        deleted = await groups.delete_group(viewer.org, input.group_id, actor=viewer.actor, now=viewer.now)
        return DeleteGroupPayload(deleted_group_id=strawberry.ID(deleted))

    @domain_mutation(CanManageUsers, description="SEATWISE groups only: a DIRECTORY group's members change through SCIM.")
    async def add_group_members(viewer: Viewer, input: AddGroupMembersInput) -> AddGroupMembersPayload:
        group, waits = await groups.add_members(
            viewer.org, input.group_id, list(input.user_ids), actor=viewer.actor, now=viewer.now
        )
        places = await groups.positions(waits)
        return AddGroupMembersPayload(
            group=Group.from_model(group), waiting=[LicenseWait.from_model(w, p) for w, p in zip(waits, places, strict=True)]
        )

    @domain_mutation(CanManageUsers)
    async def remove_group_members(viewer: Viewer, input: RemoveGroupMembersInput) -> RemoveGroupMembersPayload:
        group = await groups.remove_members(viewer.org, input.group_id, list(input.user_ids), actor=viewer.actor, now=viewer.now)
        return RemoveGroupMembersPayload(group=Group.from_model(group))
