"""userErrors, and the shaping of top-level errors: codes for the expected, a mask for the rest."""

from __future__ import annotations

import logging
import re

import strawberry
from graphql.error import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from seatwise.gql.graphql.core.common import exposed
from seatwise.gql.graphql.core.request_id import request_id
from seatwise.models.core.errors import DomainError, Forbidden, Unauthenticated
from seatwise.models.core.errors import ErrorCode as DomainErrorCode
from seatwise.models.core.pages import BadUserInput

log = logging.getLogger("seatwise.graphql")

ErrorCode = exposed(
    DomainErrorCode,
    "ErrorCode",
    description="Machine-readable codes of userErrors (and of purchaseQuote's top-level errors).",
    values={
        "INVALID_INPUT": "An input is malformed or out of range: text empty or too long, a bad email, a password under 12 characters, an id listed twice, a test clock moved backwards or already being advanced.",
        "NOT_FOUND": "No such object in the viewer's organization (also for a malformed id or another organization's id).",
        "ALREADY_EXISTS": "A user with this email already exists (createUser; deleted users count until they are purged), or a group with this displayName, ignoring case (createGroup, updateGroup).",
        "UNKNOWN_PRODUCT": "The SKU names no product of the catalog.",
        "NO_LICENSES_AVAILABLE": "The product has no available licenses (purchased minus assigned) for the assignment asked; buy more first.",
        "ALREADY_ASSIGNED": "The user already holds a license of this product.",
        "NOT_ASSIGNED": "The user holds no license of this product, so there is none to revoke.",
        "USER_DELETED": "The user is deleted, so its licenses and role cannot change and it cannot be deleted again.",
        "USER_NOT_DELETED": "restoreUser on a user who is not deleted.",
        "RESTORE_WINDOW_EXPIRED": "restoreUser more than 30 days after the user was deleted.",
        "LAST_GLOBAL_ADMIN": "The change would delete or demote the organization's last GLOBAL_ADMIN.",
        "INVALID_QUANTITY": "A license quantity out of range: a purchase is 1 to 10000; a reduction must leave at least 1 license in the subscription.",
        "LICENSES_IN_USE": "reduceLicenses would leave the product with fewer purchased than assigned licenses; revoke licenses first.",
        "NO_PAYMENT_CARD": "purchaseLicenses while the organization has no default payment card.",
        "INVALID_CARD_NUMBER": "The card number fails the Luhn check or is not 13 to 19 digits.",
        "INVALID_EXPIRY": "The expiry month is not 1 to 12, or the expiry is before the current month or more than 50 years ahead.",
        "INVALID_CVC": "The security code is not 3 digits (4 for AMEX), or the gateway refused it.",
        "CARD_DECLINED": "The payment gateway declined the card, when adding it or charging it; a failed charge is still recorded.",
        "CARD_EXPIRED": "The card has expired (or its issuer says so), when adding it or charging it.",
        "SUBSCRIPTION_NOT_ACTIVE": "reduceLicenses on a subscription that is not ACTIVE.",
        "ALREADY_CANCELLED": "The subscription is CANCELLED or already set to cancel at period end.",
        "DATA_EXPORT_REQUIRED": "Cancelling without a data export in the last 7 days; export first, or pass acknowledgeDataLoss: true.",
        "IDEMPOTENCY_KEY_REUSED": "purchaseLicenses with an idempotency key already used for a purchase with other input.",
        "LICENSE_INHERITED": "revokeLicense on a license the user holds only through groups: remove the user from the group instead.",
        "MANAGED_BY_DIRECTORY": "addGroupMembers, removeGroupMembers or deleteGroup on a DIRECTORY group, or updateGroup with its displayName: its name, members and existence change in the directory (SCIM).",
        "UNKNOWN_ROLE": "No such role in this product (a shipped role the product does not allow, e.g. SALES_MANAGER in CRM_ESSENTIAL, included).",
        "ROLE_INHERITED": "revokeProductRoles on a role the user holds only through groups (or the admin role): change the group instead.",
        "CARD_IN_USE": "The default card pays for active subscriptions and no other card can take over.",
        "GATEWAY_UNAVAILABLE": "The payment processor could not be reached after several tries; nothing was charged twice. Retry with the same idempotency key.",
        "INVALID_CREDENTIALS": "signIn with a wrong email or password (the two are not told apart); changePassword with a wrong current password.",
        "TOO_MANY_ATTEMPTS": "signIn (or changePassword) for an email locked for 15 minutes after 5 failures within 15 minutes; the right password is refused too.",
        "PLAN_STALE": "The plan's state changed since the preview (or the token is expired, forged, or for another input): preview again.",
        "NOT_A_SANDBOX": "advanceTestClock in an organization that is not a sandbox (it has no test clock).",
    },
)


@strawberry.type(description="An expected failure of a mutation. Nothing was changed.")
class UserError:
    code: DomainErrorCode = strawberry.field(description="What went wrong, for programs.")  # the GraphQL enum ErrorCode
    message: str = strawberry.field(description="What went wrong, for people; never quotes the input.")
    field: list[str] | None = strawberry.field(
        default=None, description='Path to the offending input field, e.g. ["input", "userIds", "3"].'
    )

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
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


# graphql-core's request errors (parse, validation, variable coercion) quote the offending value: a card
# number sent as a number, a password under a misspelled field name. `without_values` rewrites every
# template that can carry a value so that only the names of fields, types, variables and enum values
# stay (tests/gql/core/test_input_hygiene.py walks them all). A quoted value is the rest of the message after
# "found:" (graphql-core prints it last), so cutting from there is safe whatever the value contains.
_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_SUGGESTION = rf" Did you mean (?:the enum value )?'{_NAME}'(?:(?:, |,? or )'{_NAME}')*\?"
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    # "Expected value of type 'T' not to include unknown field 'f'. Did you mean 'g'? Found: {...}."
    (
        re.compile(rf"(not to include unknown field )'({_NAME})'((?:\.{_SUGGESTION})?)(?:[.,]? ?[Ff]ound): .*\Z", re.S),
        r"\1'\2'\3",
    ),
    # ... the same for a key that is not a GraphQL name (a JSON key can be anything, a secret too)
    (
        re.compile(rf"(not to include )unknown field '.*?'((?:\.{_SUGGESTION})?)(?:[.,]? ?[Ff]ound): .*\Z", re.S),
        r"\1an unknown field\2",
    ),
    # "..., but encountered error 'E'; found: V." (E is any exception's text, which may repeat V)
    (re.compile(r", but encountered error .*\Z", re.S), ""),
    # "..., found: V." / "... to be an object, found: V." / "... required field 'f', found: V."
    (re.compile(r",? found: .*\Z", re.S), ""),
    # "Enum 'E' cannot represent non-enum value: V. Did you mean the enum value 'A'?"
    (re.compile(rf"( cannot represent [^:'\n]*?value): .*?((?:\.{_SUGGESTION})?)\Z", re.S), r"\1\2"),
    # "Value 'V' does not exist in 'E' enum. Did you mean the enum value 'A'?"
    (re.compile(rf"\bValue '.*' (does not exist in '{_NAME}' enum)", re.S), r"The value \1"),
    # Older graphql-core: "Variable '$x' got invalid value V; Expected type ..." / "... at 'path'; ..."
    (re.compile(r"(Variable '\$\w+' got invalid value).*?((?: at '[\w.\[\]]*')?;)", re.S), r"\1\2"),
    # Syntax errors: "Unexpected String 'v'", "Expected Name, found Int '4242'"
    (re.compile(r"\b(String|BlockString|Int|Float) '.*'(\.?)\Z", re.S), r"\1\2"),
    # Lexer errors quoting part of a literal: "Invalid Unicode escape sequence: '\u12'."
    (re.compile(r"((?:escape sequence|within String|got|character)): .*\Z", re.S), r"\1."),
]


def without_values(message: str) -> str:
    """A graphql-core message with every quoted input value removed; names and types are kept."""
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    message = message.rstrip()
    return message if message.endswith((".", "?")) else message + "."


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
        return shape_errors(errors)


def shape_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Every error as the client may see it (ShapeErrors, and SeatwiseSchema for the syntax and validation
    errors that Strawberry returns before its extensions see the result)."""
    return [_shape(error) for error in errors]


def _shape(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if (
        error.path is None
        and (original is None or isinstance(original, GraphQLError))
        and not (error.extensions or {}).get("code")
    ):
        # A request error (syntax, validation, variable coercion): no resolver ran. Keep what and where,
        # drop the value. A bad variable value is the client's input (BAD_USER_INPUT); the rest is the document.
        code = (
            "GRAPHQL_PARSE_FAILED"
            if isinstance(error, GraphQLSyntaxError)
            else "BAD_USER_INPUT"
            if _is_variable_error(error)
            else "GRAPHQL_VALIDATION_FAILED"
        )
        return GraphQLError(without_values(error.message), nodes=error.nodes, path=error.path, extensions={"code": code})
    if original is None or (isinstance(original, GraphQLError) and original.original_error is None):
        code = (error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED"
        return GraphQLError(
            without_values(error.message),
            nodes=error.nodes,
            path=error.path,
            extensions={**(error.extensions or {}), "code": code},
        )
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


def _is_variable_error(error: GraphQLError) -> bool:
    """graphql-core's variable coercion errors: "Variable '$x' has invalid value ...", "... must not be null.",
    "... was not provided." (validation errors about variables say "Variable '$x' is never used" and the like)."""
    message = error.message
    return message.startswith("Variable '$") and any(
        part in message for part in (" has invalid value", " got invalid value", " must not be null", " was not provided")
    )
