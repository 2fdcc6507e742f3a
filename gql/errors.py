"""userErrors, and the shaping of top-level errors: codes for the expected, a mask for the rest."""

from __future__ import annotations

import logging
import re
from typing import Optional

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from gql.logs import request_id
from models.errors import DomainError, ErrorCode as DomainErrorCode, Forbidden, Unauthenticated
from models.pages import BadUserInput

log = logging.getLogger("seatwise.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type(description="An expected failure of a mutation. Nothing was changed.")
class UserError:
    code: ErrorCode
    message: str
    field: Optional[list[str]] = strawberry.field(
        default=None, description='Path to the offending input field, e.g. ["input", "userIds", "3"].'
    )

    @classmethod
    def from_domain(cls, error: DomainError) -> "UserError":
        return cls(code=error.code, message=error.message, field=input_path(error.subject))


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.from_domain(error)]


# The one table from domain subjects to API input names, for the names that are not simply the
# camelCase of the domain's: empty while the API and the domain agree.
_RENAMED: dict[str, str] = {}


def input_path(subject: str | None) -> list[str] | None:
    """A domain subject as the path of the mutation input it came from: "user_ids[3]" -> ["input", "userIds", "3"],
    "card.exp_month" -> ["input", "card", "expMonth"]."""
    if subject is None:
        return None
    path = ["input"]
    for part in subject.split("."):
        name, _, index = part.partition("[")
        name = _RENAMED.get(name) or re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)
        path.append(name)
        if index:
            path.append(index.rstrip("]"))
    return path


def query_input_error(error: DomainError) -> GraphQLError:
    """A query that fails on its arguments (purchaseQuote): one top-level error whose `extensions.code`
    is the domain code (e.g. INVALID_QUANTITY) and `extensions.field` the argument."""
    argument = input_path(error.subject)
    return GraphQLError(error.message, extensions={"code": error.code.value, "field": argument[1:] if argument else None})


# "String cannot represent a non string value: 4242...", "Expected value of type 'X', found 4242...".
_QUOTED_VALUE = re.compile(r"(cannot represent [^:]*): .*$|(Expected value of type [^,]*), found .*$", re.S)

_CODES = {Unauthenticated: "UNAUTHENTICATED", Forbidden: "FORBIDDEN", BadUserInput: "BAD_USER_INPUT"}


def is_expected(error: GraphQLError) -> bool:
    """A refusal (validation, coercion, limits, credentials, roles, paging) rather than a failure of ours."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError) or isinstance(original, tuple(_CODES)):
        return True
    return (error.extensions or {}).get("code") in ("UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT")


class ShapeErrors(MaskErrors):
    """Known failures keep their message and get `extensions.code`; anything unexpected is masked
    as INTERNAL_SERVER_ERROR with the request id (the stack trace is logged by Schema.process_errors)."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._shape(error) for error in errors]

    def _shape(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError) and original.original_error is None:
            # Validation and coercion messages quote the offending value (a card number sent as a number,
            # say): keep what and where, drop the value.
            message = _QUOTED_VALUE.sub(lambda m: (m.group(1) or m.group(2)) + ".", error.message)
            code = (error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED"
            return GraphQLError(message, nodes=error.nodes, path=error.path, extensions={**(error.extensions or {}), "code": code})
        for kind, code in _CODES.items():
            if isinstance(original, kind):
                return GraphQLError(str(original), nodes=error.nodes, path=error.path, extensions={"code": code})
        if (error.extensions or {}).get("code"):
            return error
        return GraphQLError(
            "Internal server error.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id.get()},
        )
