"""The schema: every area's Query and Mutation merged, with limits and error shaping."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from seatwise.gql.graphql.billing import alerts, card_mutations
from seatwise.gql.graphql.billing import resolvers as billing
from seatwise.gql.graphql.clock import resolvers as clock
from seatwise.gql.graphql.core import rate_limit
from seatwise.gql.graphql.core.errors import ShapeErrors, is_expected, shape_errors
from seatwise.gql.graphql.core.guard import RequireCredential
from seatwise.gql.graphql.core.metrics import Metrics
from seatwise.gql.graphql.core.rate_limit import RateLimits
from seatwise.gql.graphql.core.scalars import DATETIME, DateTime
from seatwise.gql.graphql.core.text_boundary import RefuseForbiddenText
from seatwise.gql.graphql.events import audit
from seatwise.gql.graphql.events import live as events
from seatwise.gql.graphql.exports import resolvers as exports
from seatwise.gql.graphql.groups import resolvers as groups
from seatwise.gql.graphql.nodes import resolvers as nodes
from seatwise.gql.graphql.people import auth, everyday, notifications, users
from seatwise.gql.graphql.roles import resolvers as roles
from seatwise.gql.graphql.seats import bulk as seat_bulk
from seatwise.gql.graphql.seats import conflicts
from seatwise.gql.graphql.seats import resolvers as seats
from seatwise.gql.graphql.support import resolvers as support
from seatwise.gql.graphql.usage import resolvers as usage
from seatwise.gql.graphql.webhooks import resolvers as webhooks

log = logging.getLogger("seatwise.graphql")


@strawberry.type(description="Everything an admin of the organization may read; every query is open to every admin role.")
class Query(
    users.Query,
    rate_limit.Query,
    seats.Query,
    auth.Query,
    support.Query,
    exports.Query,
    audit.Query,
    billing.Query,
    conflicts.Query,
    alerts.Query,
    groups.Query,
    webhooks.Query,
    usage.Query,
    nodes.Query,
):
    pass


@strawberry.type(
    description="Changes. Each returns a payload whose userErrors list expected failures; a failed mutation changes nothing."
)
class Mutation(
    auth.Mutation,
    users.Mutation,
    everyday.Mutation,
    seats.Mutation,
    seat_bulk.Mutation,
    support.Mutation,
    exports.Mutation,
    billing.Mutation,
    card_mutations.Mutation,
    clock.Mutation,
    groups.Mutation,
    roles.Mutation,
    webhooks.Mutation,
    notifications.Mutation,
    usage.Mutation,
):
    pass


class SeatwiseSchema(strawberry.Schema):
    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Strawberry returns syntax and validation errors after its extensions ran: shape those here too,
        so that no error message quotes a value of the request (gql/graphql/core/errors.py)."""
        return _shaped(await super().execute(*args, **kwargs))

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """The same for the WebSocket (graphql-transport-ws streams every operation)."""
        source = await super().stream(*args, **kwargs)
        return _shaped_stream(source) if hasattr(source, "__aiter__") else _shaped(source)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log refusals by kind only (their messages can quote client input such as a card number sent
        as the wrong type); log unexpected errors with their stack trace (the log formatter redacts
        card-number-like digit runs and bearer tokens)."""
        for error in errors:
            if is_expected(error):
                log.info("request refused", extra={"path": ".".join(map(str, error.path or [])) or None})
            else:
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


def _shaped(result: Any) -> Any:
    errors = getattr(result, "errors", None)
    if errors and any(not (error.extensions or {}).get("code") for error in errors):
        result.errors = shape_errors(errors)
    return result


async def _shaped_stream(source: Any) -> AsyncIterator[Any]:
    try:
        async for result in source:
            yield _shaped(result)
    finally:
        if hasattr(source, "aclose"):
            await source.aclose()


MAX_LEVELS = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


def build_schema(max_levels: int = MAX_LEVELS) -> SeatwiseSchema:
    """The schema with the limits of docs/rules.md section 9 (introspection fields do not count towards depth;
    graphql-core's MaxIntrospectionDepthRule refuses cyclic introspection).

    The depth and alias rules are built once, not per request as QueryDepthLimiter and
    MaxAliasesLimiter do: the validation cache is keyed by the rule classes, so per-request
    classes would make every request validate its document again.
    """
    # The depth rule counts the top-level field as depth 0: refuse documents nested deeper than max_levels.
    limits: list[type[ASTValidationRule]] = [depth_rule(max_levels - 1, None), alias_rule(MAX_ALIASES)]
    return SeatwiseSchema(
        query=Query,
        mutation=Mutation,
        subscription=events.LiveUpdates,
        config=StrawberryConfig(auto_camel_case=True, scalar_map={DateTime: DATETIME}),
        extensions=[
            Metrics,
            RequireCredential,
            RateLimits,
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            RefuseForbiddenText,  # after the validation cache: it reads the document's validation errors
            ShapeErrors,
        ],
    )


schema = build_schema()
