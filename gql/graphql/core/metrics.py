"""Prometheus metrics of the schema: GraphQL operations by root field and outcome, and their latency.

Label values are bounded: `operation` is the root field of the request (a schema field name, or
"other"), never a client-chosen operation name, an organization or a user. /metrics serves them with
the app's other metrics (gql/http/metrics.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

REQUESTS = Counter("seatwise_graphql_requests_total", "GraphQL operations by root field and outcome.", ["operation", "outcome"])
LATENCY = Histogram(
    "seatwise_graphql_request_duration_seconds",
    "GraphQL operation latency by root field.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
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
