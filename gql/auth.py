"""Credentials: signIn, signOut and API tokens."""

from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.errors import UserError, user_errors
from gql.permissions import CanAdminister
from gql.types import AdminRole, ApiToken, Viewer
from models import auth
from models.clock import utcnow
from models.errors import DomainError


@strawberry.input
class SignInInput:
    email: str
    password: str


@strawberry.type
class SignInPayload:
    token: Optional[str] = strawberry.field(default=None, description="Bearer token of a new session; shown once.")
    viewer: Optional[Viewer] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SignOutInput:
    everywhere: Optional[bool] = strawberry.field(default=False, description="End every session of this admin (API tokens stay).")


@strawberry.type
class SignOutPayload:
    sessions_ended: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateApiTokenInput:
    name: str
    role: AdminRole
    expires_in_days: Optional[int] = None


@strawberry.type
class CreateApiTokenPayload:
    token: Optional[str] = strawberry.field(default=None, description="The secret; shown once, only its hash is kept.")
    api_token: Optional[ApiToken] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiTokenInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiTokenPayload:
    api_token: Optional[ApiToken] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field
    async def api_tokens(self, info: Info[Context, None]) -> list[ApiToken]:
        return [ApiToken.from_model(row) for row in await auth.api_tokens(info.context.viewer.org)]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_in(self, info: Info[Context, None], input: SignInInput) -> SignInPayload:
        try:
            token, viewer = await auth.sign_in(input.email, input.password, now=utcnow())
        except DomainError as error:
            return SignInPayload(user_errors=user_errors(error))
        return SignInPayload(token=token, viewer=Viewer.from_model(viewer))

    @strawberry.mutation
    async def sign_out(self, info: Info[Context, None], input: Optional[SignOutInput] = None) -> SignOutPayload:
        everywhere = bool(input and input.everywhere)
        ended = await auth.sign_out(info.context.viewer, everywhere=everywhere, now=utcnow())
        return SignOutPayload(sessions_ended=ended)

    @strawberry.mutation(permission_classes=[CanAdminister])
    async def create_api_token(self, info: Info[Context, None], input: CreateApiTokenInput) -> CreateApiTokenPayload:
        viewer = info.context.viewer
        try:
            token, row = await auth.create_api_token(viewer, input.name, input.role, input.expires_in_days, now=utcnow())
        except DomainError as error:
            return CreateApiTokenPayload(user_errors=user_errors(error))
        return CreateApiTokenPayload(token=token, api_token=ApiToken.from_model(row))

    @strawberry.mutation(permission_classes=[CanAdminister])
    async def revoke_api_token(self, info: Info[Context, None], input: RevokeApiTokenInput) -> RevokeApiTokenPayload:
        try:
            row = await auth.revoke_api_token(info.context.viewer, input.id, now=utcnow())
        except DomainError as error:
            return RevokeApiTokenPayload(user_errors=user_errors(error))
        return RevokeApiTokenPayload(api_token=ApiToken.from_model(row))
