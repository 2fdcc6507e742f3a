"""Rate limits (GitHub's model, docs/rules.md section 17): each credential spends points per hour on what its
documents cost (gql/graphql/core/cost.py), and a separate budget per second on `accessCheck`/`recordLicenseUses`.

Counted with the `limits` library's sliding-window counter, in memory by default and in Redis when REDIS_URL is set
(every instance then spends one budget). Before any resolver runs: a document past MAX_NODES is MAX_COST_EXCEEDED;
a credential out of points gets RATE_LIMITED (HTTP 429 with Retry-After). Every charged HTTP response carries the
IETF draft's `RateLimit-Policy` and `RateLimit` headers.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import strawberry
from graphql import ExecutionResult, GraphQLError
from limits import RateLimitItemPerHour, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from seatwise.gql.graphql.core.cost import MAX_NODES, Cost, document_cost
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core.settings import settings

ACCESS_FIELDS = frozenset({"accessCheck", "recordLicenseUses"})
KEY_PREFIX = "seatwise-limits"
REDIS_TIMEOUT = 0.25  # seconds: a stalled Redis delays a request by at most this, once per cooldown
OUTAGE_COOLDOWN = 5.0  # seconds of counting in memory after the shared storage failed
log = logging.getLogger("seatwise.ratelimit")


@dataclass(frozen=True)
class Spent:
    """One request's charge against one budget, and the budget afterwards."""

    policy: str  # "hour" (points per hour) or "access" (sign-in checks per second)
    limit: int
    window: int  # seconds
    cost: int
    remaining: int
    reset_at: float  # epoch seconds
    allowed: bool

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    def reset_in(self, now: float) -> int:
        return max(1, math.ceil(self.reset_at - now))

    def headers(self, now: float) -> dict[str, str]:
        headers = {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset_in(now) if self.used else 0}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_in(now))
        return headers


class Budgets:
    """The two budgets of every credential, in one storage. When a shared storage (Redis) fails, this process
    counts alone in memory for OUTAGE_COOLDOWN seconds, then tries it again: an outage never fails a request."""

    def __init__(self, storage: Storage, points_per_hour: int, access_per_second: int) -> None:
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.local = self.limiter if isinstance(storage, MemoryStorage) else SlidingWindowCounterRateLimiter(MemoryStorage())
        self.shared_down_until = 0.0
        self.hour = RateLimitItemPerHour(points_per_hour, namespace="points")
        self.access = RateLimitItemPerSecond(access_per_second, namespace="access")

    async def spend(self, credential: str, cost: Cost) -> Spent:
        """Charge a document: access-only documents the access budget (1 per field), others their points."""
        access_only = bool(cost.root_fields) and set(cost.root_fields) <= ACCESS_FIELDS | {"__typename"}
        item, policy = (self.access, "access") if access_only else (self.hour, "hour")
        points = sum(1 for f in cost.root_fields if f in ACCESS_FIELDS) if access_only else cost.points
        if time.monotonic() >= self.shared_down_until:
            try:
                return await self._spend(self.limiter, item, policy, credential, points)
            except (StorageError, RedisError, OSError, TimeoutError):
                log.warning("rate limits: the shared storage failed; counting in this process for %s s", OUTAGE_COOLDOWN)
                self.shared_down_until = time.monotonic() + OUTAGE_COOLDOWN
        return await self._spend(self.local, item, policy, credential, points)

    @staticmethod
    async def _spend(limiter: SlidingWindowCounterRateLimiter, item, policy: str, credential: str, points: int) -> Spent:
        allowed = await limiter.hit(item, credential, cost=points) if points else True
        stats = await limiter.get_window_stats(item, credential)
        return Spent(policy, item.amount, item.get_expiry(), points, stats.remaining, stats.reset_time, allowed)


_budgets: Budgets | None = None


def budgets() -> Budgets:
    """This process's budgets (memory, or Redis with REDIS_URL), made on first use from the settings."""
    global _budgets
    if _budgets is None:
        config = settings()
        storage: Storage = (
            RedisStorage(
                f"async+{config.redis_url}",
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
            )
            if config.redis_url
            else MemoryStorage()
        )
        _budgets = Budgets(storage, config.rate_limit, config.access_rate)
    return _budgets


def reset_budgets() -> None:
    """Forget this process's budgets (the settings changed)."""
    global _budgets
    _budgets = None


def _refused(message: str, code: str, **extensions: object) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code, **extensions})])


class RateLimits(SchemaExtension):
    """Before execution: refuse a document past MAX_NODES, then charge the credential's budget."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if self.execution_context.result is not None or document is None:
            yield
            return
        schema = self.execution_context.schema._schema
        cost = document_cost(schema, document, self.execution_context.operation_name, self.execution_context.variables)
        if cost.nodes > MAX_NODES:
            self.execution_context.result = _refused(
                f"This document may return {cost.nodes:,} nodes; at most {MAX_NODES:,} are allowed: ask for smaller pages.",
                "MAX_COST_EXCEEDED",
                nodes=cost.nodes,
            )
        elif context.has_viewer:
            spent = await budgets().spend(context.viewer.credential.token_hash[:32], cost)
            context["rate_limit"] = spent
            _answer_headers(context, spent)
            if not spent.allowed:
                self.execution_context.result = _refused(
                    f"This credential has spent its rate limit; retry after {spent.reset_in(time.time())} seconds.",
                    "RATE_LIMITED",
                )
        yield


def _answer_headers(context, spent: Spent) -> None:
    """The rate-limit headers (and 429) on an HTTP response; a WebSocket has no headers per operation."""
    response = context.get("response")
    if response is None or context.is_websocket or not hasattr(response, "headers"):
        return
    for name, value in spent.headers(time.time()).items():
        response.headers[name] = value
    if not spent.allowed:
        response.status_code = 429


def reset_time(spent: Spent) -> datetime:
    return datetime.fromtimestamp(spent.reset_at, UTC)


# ---------------------------------------------------------------- the rateLimit field


@strawberry.type(name="RateLimit", description="What this credential may still spend (GitHub's model: points per hour).")
class RateLimitType:
    limit: int = strawberry.field(description="Points per hour (SEATWISE_RATE_LIMIT).")
    cost: int = strawberry.field(description="What this request costs.")
    remaining: int = strawberry.field(description="Points left in the sliding hour.")
    used: int = strawberry.field(description="Points spent in the sliding hour.")
    reset_at: DateTime = strawberry.field(description="When the next points come back (now when none are spent).")


@strawberry.type
class Query:
    @strawberry.field(description="What this credential may still spend this hour.")
    async def rate_limit(self, info: Info) -> RateLimitType:
        context = info.context
        spent = context.get("rate_limit")
        if spent is None or spent.policy != "hour":
            free = Cost(0, 0, ("rateLimit",))
            spent = await budgets().spend(context.viewer.credential.token_hash[:32], free)
        return RateLimitType(
            limit=spent.limit, cost=spent.cost, remaining=spent.remaining, used=spent.used, reset_at=reset_time(spent)
        )
