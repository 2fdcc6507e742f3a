"""The DateTime (ISO-8601, always UTC with Z) and JSON scalars of the contract."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON  # noqa: F401  (re-exported)

# The schema maps the DateTime NewType to this definition (StrawberryConfig.scalar_map).

from models.clock import iso


def _parse(value: str) -> datetime:
    # A GraphQLError (not a ValueError, which would be masked as INTERNAL_SERVER_ERROR) refuses the input as
    # any other badly typed value is, without quoting it.
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        raise GraphQLError("DateTime is not an ISO-8601 date-time.") from None
    if moment.tzinfo is None:
        raise GraphQLError("DateTime has no time zone; use e.g. 2026-11-29T09:00:00Z.")
    return moment.astimezone(timezone.utc)


DateTime = NewType("DateTime", datetime)

DATETIME = strawberry.scalar(
    name="DateTime",
    description="ISO-8601 date-time, always UTC, e.g. 2026-11-29T09:00:00Z.",
    serialize=iso,
    parse_value=_parse,
)
