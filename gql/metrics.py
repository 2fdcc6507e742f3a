"""Prometheus metrics: GraphQL requests by operation and outcome, latency, billing-clock runs.

Label values are bounded: `operation` is the root field of the request (a schema field name, or
"other"), never a client-chosen operation name, an organization or a user. With several worker
processes, PROMETHEUS_MULTIPROC_DIR makes /metrics aggregate every worker.
"""

from __future__ import annotations

import os
import time
from typing import Iterator

from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

REQUESTS = Counter("seatwise_graphql_requests_total", "GraphQL operations by root field and outcome.", ["operation", "outcome"])
LATENCY = Histogram(
    "seatwise_graphql_request_duration_seconds", "GraphQL operation latency by root field.", ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CLOCK_RUNS = Counter("seatwise_clock_runs_total", "Billing clock runs.")
CLOCK_FAILURES = Counter("seatwise_clock_failures_total", "Billing clock runs that failed.")
LIVE_EVENTS_DROPPED = Counter(
    "seatwise_live_events_dropped_total", "Live notices that could not be sent to Redis for other instances."
)


def _operation_label(execution_context) -> str:
    document = execution_context.graphql_document
    if document is None:
        return "invalid"
    schema = execution_context.schema._schema
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = {"query": schema.query_type, "mutation": schema.mutation_type, "subscription": schema.subscription_type}[
                definition.operation.value
            ]
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode):
                    name = selection.name.value
                    if name.startswith("__"):
                        return "introspection"
                    return name if root is not None and name in root.fields else "other"
    return "other"


def _outcome(result) -> str:
    if result is None:
        return "error"
    if result.errors:
        codes = {(e.extensions or {}).get("code") for e in result.errors}
        if "INTERNAL_SERVER_ERROR" in codes:
            return "error"
        return "refused"
    data = result.data or {}
    if any(isinstance(v, dict) and v.get("userErrors") for v in data.values()):
        return "user_error"
    return "ok"


class Metrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        operation = _operation_label(self.execution_context)
        LATENCY.labels(operation).observe(time.perf_counter() - started)
        REQUESTS.labels(operation, _outcome(self.execution_context.result)).inc()


async def metrics_endpoint(request: Request) -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
