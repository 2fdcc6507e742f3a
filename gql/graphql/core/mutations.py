"""The one way a mutation meets the domain: `domain_mutation`.

A mutation is written as the call and the display only, with its descriptions:

    @domain_mutation(CanManageUsers, description="Give a user a license of a product. Errors: ...")
    async def assign_license(
        viewer: Viewer, input: Annotated[AssignLicenseInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> AssignLicensePayload:
        user, _, pool = await seats.assign_license(viewer.org, ids.local(input.user_id, "User"), input.product_sku, ...)
        return AssignLicensePayload(user=User.from_model(user), seats=SeatPool.from_model(pool))

and the decorator does, once for every mutation: the permission classes (top-level FORBIDDEN), the
viewer of the request (top-level UNAUTHENTICATED without one), a `DomainError` turned into the
payload's `userErrors` (nothing changed), and the per-request caches dropped after a change so the
payload shows the state after it. A public mutation (`signIn`) gets the request context instead of
a viewer.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import user_errors
from seatwise.models.core.errors import DomainError


def domain_mutation(
    *permissions: type[BasePermission], public: bool = False, context: bool = False, description: str | None = None
) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """`public`: the resolver gets the request context instead of a viewer (no token needed).
    `context`: the resolver also gets the request context as a third argument (e.g. for absolute URLs)."""

    def decorate(fn: Callable[..., Awaitable[Any]]) -> Any:
        hints = typing.get_type_hints(fn, include_extras=True)
        payload = hints["return"]
        input_type = hints["input"]  # Annotated with its strawberry.argument(description=...)
        input_class = typing.get_args(input_type)[0] if typing.get_origin(input_type) is Annotated else input_type

        async def resolver(self, info: Info, input) -> Any:
            request: Context = info.context
            first = request if public else request.viewer
            try:
                result = await (fn(first, input, request) if context else fn(first, input))
            except DomainError as error:
                return payload(user_errors=user_errors(error))
            request.forget()
            return result

        resolver.__name__ = fn.__name__
        resolver.__qualname__ = fn.__qualname__
        resolver.__module__ = fn.__module__
        resolver.__annotations__ = {"info": Info, "input": input_type, "return": payload}
        if typing.get_origin(input_class) in (typing.Union, types.UnionType):
            resolver.__defaults__ = (None,)  # an optional input (signOut) may be left out
        return strawberry.mutation(resolver, permission_classes=list(permissions), description=description)

    return decorate
