"""The DateTime (ISO-8601, always UTC with Z) and JSON scalars of the contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, NewType, TypeAlias

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON  # noqa: F401  (re-exported)

# The schema maps the DateTime NewType to this definition (StrawberryConfig.scalar_map).
from seatwise.models.core.clock import iso

MAX_DATETIME_LENGTH = 64


def _parse(value: object) -> datetime:
    """A client's DateTime. Refusals are GraphQLErrors whose message never repeats the value: graphql-core
    passes them on as they are (a top-level input error), where any other exception would read as ours."""
    if not isinstance(value, str) or len(value) > MAX_DATETIME_LENGTH:
        raise GraphQLError("A DateTime is an ISO-8601 string with a time zone, e.g. 2026-11-29T09:00:00Z.")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError("This DateTime is not ISO-8601; write e.g. 2026-11-29T09:00:00Z.") from None
    if moment.tzinfo is None:
        raise GraphQLError("This DateTime has no time zone; add one, e.g. 2026-11-29T09:00:00Z.")
    try:
        utc = moment.astimezone(UTC)
        iso(utc)
    except (OverflowError, ValueError):
        raise GraphQLError("This DateTime is out of range once converted to UTC.") from None
    return utc


if TYPE_CHECKING:
    # To the type checker a DateTime field holds the plain datetime every resolver passes; the NewType only
    # marks the field for the schema's scalar_map.
    DateTime: TypeAlias = datetime
else:
    DateTime = NewType("DateTime", datetime)

DATETIME = strawberry.scalar(
    name="DateTime",
    description="ISO-8601 date-time, always UTC, e.g. 2026-11-29T09:00:00Z.",
    serialize=lambda moment: iso(moment.replace(microsecond=0)),  # whole seconds, one format for every DateTime
    parse_value=_parse,
)
