"""Credentials: signIn, signOut and API tokens."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.common import AdminRole, ApiTokenScope
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanAdminister
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.gql.graphql.people.types import ApiToken, Viewer
from seatwise.models.people import account, auth, tokens
from seatwise.models.people.auth import Viewer as AuthViewer


@strawberry.input(description="An admin's email and password.")
class SignInInput:
    email: str = strawberry.field(description="The admin's email; case and surrounding spaces are ignored.")
    password: str = strawberry.field(description="The admin's password (never logged or stored in clear).")


@strawberry.type(description="The result of signIn.")
class SignInPayload:
    token: str | None = strawberry.field(default=None, description="Bearer token of a new session; shown once.")
    viewer: Viewer | None = strawberry.field(default=None, description="The signed-in admin.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="What to sign out of.")
class SignOutInput:
    everywhere: bool | None = strawberry.field(default=False, description="End every session of this admin (API tokens stay).")


@strawberry.type(description="The result of signOut.")
class SignOutPayload:
    sessions_ended: int = strawberry.field(default=0, description="Number of sessions ended (0 for an API token).")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A new API token.")
class CreateApiTokenInput:
    name: str = strawberry.field(description="A name to recognize it by, 1 to 128 characters.")
    role: AdminRole = strawberry.field(description="The token's role; any role may be given by a GLOBAL_ADMIN.")
    expires_in_days: int | None = strawberry.field(
        default=None, description="Days until it lapses, 1 to 3650; null for no expiry."
    )
    scope: ApiTokenScope | None = strawberry.field(
        default=ApiTokenScope.GRAPHQL,
        description="GRAPHQL (default), or SCIM for a directory's provisioning token (role GLOBAL_ADMIN or USER_ADMIN, else INVALID_INPUT).",
    )


@strawberry.type(description="The result of createApiToken.")
class CreateApiTokenPayload:
    token: str | None = strawberry.field(default=None, description="The secret; shown once, only its hash is kept.")
    api_token: ApiToken | None = strawberry.field(default=None, description="The token's record.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The API token to revoke.")
class RevokeApiTokenInput:
    id: strawberry.ID = strawberry.field(description="The API token's id: a global id (a plain number is deprecated).")


@strawberry.type(description="The result of revokeApiToken.")
class RevokeApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(default=None, description="The revoked token.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="The signed-in admin's current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password the admin signs in with now.")
    new_password: str = strawberry.field(description="At least 12 characters, different from the current one.")


@strawberry.type(description="The result of changePassword.")
class ChangePasswordPayload:
    viewer: Viewer | None = strawberry.field(default=None, description="The admin, still signed in with this session.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The organization's API tokens, revoked and expired ones included, newest first.")
    async def api_tokens(self, info: Info[Context, None]) -> list[ApiToken]:
        return [ApiToken.from_model(row) for row in await tokens.api_tokens(info.context.viewer.org)]


@strawberry.type
class Mutation:
    @domain_mutation(
        public=True,
        description="Open a session for an admin with a password; the token lapses after 12 hours. Errors: INVALID_INPUT, INVALID_CREDENTIALS, TOO_MANY_ATTEMPTS.",
    )
    async def sign_in(
        context: Context, input: Annotated[SignInInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SignInPayload:
        token, viewer = await auth.sign_in(input.email, input.password, now=context.wall)
        return SignInPayload(token=token, viewer=Viewer.from_model(viewer))

    @domain_mutation(description="End the current session, or every session of the admin; an API token ends nothing.")
    async def sign_out(
        viewer: AuthViewer, input: Annotated[SignOutInput | None, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SignOutPayload:
        ended = await auth.sign_out(viewer, everywhere=bool(input and input.everywhere), now=viewer.wall)
        return SignOutPayload(sessions_ended=ended)

    @domain_mutation(
        CanAdminister,
        description="GLOBAL_ADMIN only: issue an API token acting as the viewer with the given role. Errors: INVALID_INPUT.",
    )
    async def create_api_token(
        viewer: AuthViewer, input: Annotated[CreateApiTokenInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> CreateApiTokenPayload:
        token, row = await tokens.create_api_token(
            viewer, input.name, input.role, input.expires_in_days, scope=input.scope or ApiTokenScope.GRAPHQL, now=viewer.wall
        )
        return CreateApiTokenPayload(token=token, api_token=ApiToken.from_model(row))

    @domain_mutation(
        CanAdminister,
        description="GLOBAL_ADMIN only: revoke an API token at once (revoking a revoked token succeeds). Errors: NOT_FOUND.",
    )
    async def revoke_api_token(
        viewer: AuthViewer, input: Annotated[RevokeApiTokenInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RevokeApiTokenPayload:
        row = await tokens.revoke_api_token(viewer, ids.local(input.id, "ApiToken"), now=viewer.wall)
        return RevokeApiTokenPayload(api_token=ApiToken.from_model(row))

    @domain_mutation(
        description="The signed-in admin's new password (a session only: an API token gets FORBIDDEN); every other session of the admin ends, API tokens stay. Errors: INVALID_INPUT, INVALID_CREDENTIALS (the current password is wrong; counts towards the sign-in lockout), TOO_MANY_ATTEMPTS.",
    )
    async def change_password(
        viewer: AuthViewer, input: Annotated[ChangePasswordInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> ChangePasswordPayload:
        await account.change_password(viewer, input.current_password, input.new_password, now=viewer.wall)
        return ChangePasswordPayload(viewer=Viewer.from_model(viewer))
