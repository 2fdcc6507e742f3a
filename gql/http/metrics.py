"""Prometheus metrics of the app: billing-clock runs, dropped live notices, open live subscriptions, and /metrics, which serves them with
the schema's (GraphQL operations and latency, gql/graphql/core/metrics.py).

With several worker processes, PROMETHEUS_MULTIPROC_DIR makes /metrics aggregate every worker: `serve --workers N`
makes that directory for its run and removes it at shutdown, and removes the ones that runs killed before their
shutdown left behind.
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

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from seatwise.models.core.settings import export_to_workers, settings
from seatwise.models.events.live import broker

log = logging.getLogger("seatwise.metrics")

DIR_PREFIX = "seatwise-metrics-"
# `seatwise-metrics-<pid of serve>-<mkdtemp suffix>`; older runs made `seatwise-metrics-<suffix>`.
_RUN_DIR = re.compile(re.escape(DIR_PREFIX) + r"(?:(\d+)-)?[a-z0-9_]{8}")
# prometheus_client's files in the directory: `<type>_<pid of the worker>.db`.
_DB_FILE = re.compile(r"[a-z]+_(\d+)\.db")
LEGACY_EMPTY_AGE = 3600.0

CLOCK_RUNS = Counter("seatwise_clock_runs_total", "Billing clock runs.")
CLOCK_FAILURES = Counter("seatwise_clock_failures_total", "Billing clock runs that failed.")
LIVE_EVENTS_DROPPED = Counter(
    "seatwise_live_events_dropped_total", "Live notices that could not be sent to Redis for other instances."
)


class _LiveSubscribers(Collector):
    """Open licenseEvents subscriptions of this process, read from the broker at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "seatwise_live_subscribers", "Open licenseEvents subscriptions of this process.", value=broker.subscriber_count()
        )


REGISTRY.register(_LiveSubscribers())


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
        registry.register(_LiveSubscribers())  # the answering worker's own
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
