"""Credentials: signIn, signOut and API tokens."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanAdminister
from seatwise.gql.graphql.types import AdminRole, ApiToken, ApiTokenScope, Viewer
from seatwise.models.people import auth
from seatwise.models.people.auth import Viewer as AuthViewer


@strawberry.input
class SignInInput:
    email: str
    password: str


@strawberry.type
class SignInPayload:
    token: str | None = strawberry.field(default=None, description="Bearer token of a new session; shown once.")
    viewer: Viewer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SignOutInput:
    everywhere: bool | None = strawberry.field(default=False, description="End every session of this admin (API tokens stay).")


@strawberry.type
class SignOutPayload:
    sessions_ended: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateApiTokenInput:
    name: str
    role: AdminRole
    expires_in_days: int | None = None
    scope: ApiTokenScope | None = ApiTokenScope.GRAPHQL


@strawberry.type
class CreateApiTokenPayload:
    token: str | None = strawberry.field(default=None, description="The secret; shown once, only its hash is kept.")
    api_token: ApiToken | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiTokenInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiTokenPayload:
    api_token: ApiToken | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field
    async def api_tokens(self, info: Info[Context, None]) -> list[ApiToken]:
        return [ApiToken.from_model(row) for row in await auth.api_tokens(info.context.viewer.org)]


@strawberry.type
class Mutation:
    @domain_mutation(public=True)
    async def sign_in(context: Context, input: SignInInput) -> SignInPayload:
        token, viewer = await auth.sign_in(input.email, input.password, now=context.wall)
        return SignInPayload(token=token, viewer=Viewer.from_model(viewer))

    @domain_mutation()
    async def sign_out(viewer: AuthViewer, input: SignOutInput | None) -> SignOutPayload:
        ended = await auth.sign_out(viewer, everywhere=bool(input and input.everywhere), now=viewer.wall)
        return SignOutPayload(sessions_ended=ended)

    @domain_mutation(CanAdminister)
    async def create_api_token(viewer: AuthViewer, input: CreateApiTokenInput) -> CreateApiTokenPayload:
        token, row = await auth.create_api_token(
            viewer, input.name, input.role, input.expires_in_days, scope=input.scope or ApiTokenScope.GRAPHQL, now=viewer.wall
        )
        return CreateApiTokenPayload(token=token, api_token=ApiToken.from_model(row))

    @domain_mutation(CanAdminister)
    async def revoke_api_token(viewer: AuthViewer, input: RevokeApiTokenInput) -> RevokeApiTokenPayload:
        row = await auth.revoke_api_token(viewer, input.id, now=viewer.wall)
        return RevokeApiTokenPayload(api_token=ApiToken.from_model(row))
