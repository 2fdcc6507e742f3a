"""The price of rate limiting, measured in this process: computing a users page's cost (gql/graphql/core/cost.py)
and charging it to an in-memory budget (gql/graphql/core/rate_limit.py), in microseconds per request. The report
sets them against the users page's p50 latency (target: the cost computation under 5% of it)."""

from __future__ import annotations

import time
from typing import Any

from graphql import parse

from bench.workloads import USERS_PAGE


async def measure(repeat: int = 5000) -> dict[str, Any]:
    from limits.aio.storage import MemoryStorage

    from seatwise.gql.graphql.core.cost import document_cost
    from seatwise.gql.graphql.core.rate_limit import Budgets
    from seatwise.gql.graphql.schema import schema

    graphql_schema, document = schema._schema, parse(USERS_PAGE)  # requests reuse the parsed document (ParserCache)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            cost = document_cost(graphql_schema, document, None, None)
        best = min(best, (time.perf_counter() - started) / repeat)

    budgets = Budgets(MemoryStorage(), 10**9, 10**9)
    started = time.perf_counter()
    for _ in range(repeat):
        await budgets.spend("bench", cost)
    charged = (time.perf_counter() - started) / repeat
    return {
        "document": "usersPage",
        "points": cost.points,
        "costMicroseconds": round(best * 1e6, 1),
        "chargeMicroseconds": round(charged * 1e6, 1),
    }
