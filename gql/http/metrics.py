"""Prometheus metrics: GraphQL requests by operation and outcome, latency, billing-clock runs.

Label values are bounded: `operation` is the root field of the request (a schema field name, or
"other"), never a client-chosen operation name, an organization or a user. With several worker
processes, PROMETHEUS_MULTIPROC_DIR makes /metrics aggregate every worker: `serve --workers N`
makes that directory for its run and removes it at shutdown, and removes the ones that runs killed
before their shutdown left behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from seatwise.models.core.settings import export_to_workers, settings

log = logging.getLogger("seatwise.metrics")

DIR_PREFIX = "seatwise-metrics-"
# `seatwise-metrics-<pid of serve>-<mkdtemp suffix>`; older runs made `seatwise-metrics-<suffix>`.
_RUN_DIR = re.compile(re.escape(DIR_PREFIX) + r"(?:(\d+)-)?[a-z0-9_]{8}")
# prometheus_client's files in the directory: `<type>_<pid of the worker>.db`.
_DB_FILE = re.compile(r"[a-z]+_(\d+)\.db")
LEGACY_EMPTY_AGE = 3600.0

REQUESTS = Counter("seatwise_graphql_requests_total", "GraphQL operations by root field and outcome.", ["operation", "outcome"])
LATENCY = Histogram(
    "seatwise_graphql_request_duration_seconds",
    "GraphQL operation latency by root field.",
    ["operation"],
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _stale(path: Path, match: re.Match) -> bool:
    if match.group(1) is not None:
        return not _alive(int(match.group(1)))
    # A directory of an older run: stale when every worker that wrote into it is gone.
    pids = [int(m.group(1)) for f in path.iterdir() if (m := _DB_FILE.fullmatch(f.name))]
    if pids:
        return not any(_alive(pid) for pid in pids)
    return time.time() - path.stat().st_mtime > LEGACY_EMPTY_AGE


def remove_stale_dirs(parent: str | None = None) -> list[Path]:
    """Remove this user's metrics directories of `serve` runs that are no longer running."""
    removed = []
    for path in Path(parent or tempfile.gettempdir()).glob(DIR_PREFIX + "*"):
        match = _RUN_DIR.fullmatch(path.name)
        try:
            if match and path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid() and _stale(path, match):
                shutil.rmtree(path)
                removed.append(path)
        except OSError:  # vanished meanwhile, or not ours to remove
            continue
    if removed:
        log.info("removed metrics directories of finished runs", extra={"count": len(removed)})
    return removed


@contextlib.contextmanager
def multiprocess_dir(workers: int) -> Iterator[str | None]:
    """For `serve --workers N>1` without PROMETHEUS_MULTIPROC_DIR: a directory for this run, removed at exit."""
    if settings().prometheus_multiproc_dir:
        yield settings().prometheus_multiproc_dir
        return
    remove_stale_dirs()
    if workers <= 1:
        yield None
        return
    path = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-")
    # Every worker process reads it (our settings and prometheus_client both) and writes its metrics there.
    export_to_workers("PROMETHEUS_MULTIPROC_DIR", path)
    try:
        yield path
    finally:
        export_to_workers("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(path, ignore_errors=True)


async def metrics_endpoint(request: Request) -> Response:
    if settings().prometheus_multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
