"""Everyday user tasks: correcting a user's attributes (updateUser) and deleting many users at once (deleteUsers)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.gql.graphql.people.types import User
from seatwise.gql.graphql.plans.types import PREVIEW, ChangePreview
from seatwise.models.people import bulk, profile
from seatwise.models.people.auth import Viewer as AuthViewer


@strawberry.input(description="A user and the attributes to correct; each left out (null) stays as it is.")
class UpdateUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user's id: a global id (a plain number is deprecated).")
    display_name: str | None = strawberry.field(default=None, description="Name shown, 1 to 256 characters after trimming.")
    email: str | None = strawberry.field(
        default=None, description="Unique email across the system (at most 254 characters), trimmed and lower-cased."
    )


@strawberry.type(description="The result of updateUser.")
class UpdateUserPayload:
    user: User | None = strawberry.field(default=None, description="The user as it is now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The users to delete, all or none.")
class DeleteUsersInput:
    user_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 1000 users; all or none (global ids; plain numbers are deprecated)."
    )
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing (see preview).")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of deleteUsers.")
class DeleteUsersPayload:
    deleted_users: list[User] = strawberry.field(
        default_factory=list, description="The users deleted (status DELETED, with restorableUntil), in the order listed."
    )
    preview: ChangePreview | None = strawberry.field(default=None, description=PREVIEW)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageUsers,
        description="Correct a user's display name or email (section 4 rules). Errors: NOT_FOUND, INVALID_INPUT, ALREADY_EXISTS, USER_DELETED, MANAGED_BY_DIRECTORY (a user provisioned by SCIM).",
    )
    async def update_user(
        viewer: AuthViewer, input: Annotated[UpdateUserInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> UpdateUserPayload:
        user = await profile.update_user(
            viewer.org,
            ids.local(input.user_id, "User"),
            display_name=input.display_name,
            email=input.email,
            actor=viewer.actor,
            now=viewer.now,
        )
        return UpdateUserPayload(user=User.from_model(user))

    @domain_mutation(
        CanManageUsers,
        description="Delete 1 to 1000 users as deleteUser does, all or none; freed licenses settle conflicts, then serve the waitlist. Errors: INVALID_INPUT, NOT_FOUND, USER_DELETED, LAST_GLOBAL_ADMIN (per item in field).",
    )
    async def delete_users(
        viewer: AuthViewer, input: Annotated[DeleteUsersInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> DeleteUsersPayload:
        users, preview = await bulk.delete_users(
            viewer.org,
            ids.locals_of(input.user_ids, "User"),
            actor=viewer.actor,
            now=viewer.now,
            wall=viewer.wall,
            dry_run=bool(input.dry_run),
            plan_token=input.plan_token,
        )
        return DeleteUsersPayload(
            deleted_users=[User.from_model(u) for u in users],
            preview=ChangePreview.from_view(preview) if preview is not None else None,
        )
