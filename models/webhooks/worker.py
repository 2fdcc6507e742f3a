"""The delivery worker: claims due deliveries under a lease and attempts them with bounded concurrency.

A claim sets `lease_until` on due PENDING deliveries of enabled endpoints in one statement (PostgreSQL: the rows are
picked with FOR UPDATE SKIP LOCKED, so two processes never claim the same one; SQLite lets one writer in at a time).
A process that dies mid-attempt leaves its lease to lapse; another process (or itself, restarted) attempts again:
at least once. At most PER_ENDPOINT attempts run per endpoint and `concurrency` overall: a receiver that hangs holds
only its own endpoint's slots, for at most 15 s each."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta

import httpx
from tortoise import connections

from seatwise.models.core.clock import utcnow
from seatwise.models.core.db import placeholders
from seatwise.models.core.settings import settings
from seatwise.models.core.tables import Event, WebhookDelivery, WebhookEndpoint
from seatwise.models.events import outbox
from seatwise.models.notices import mail
from seatwise.models.webhooks import attempts

log = logging.getLogger("seatwise.webhooks")
logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would flood the log; attempts are recorded
PER_ENDPOINT = 4
CONCURRENCY = 32

_CLAIM = """
UPDATE "webhook_delivery" SET "lease_until" = ?
WHERE "id" IN (
    SELECT d."id" FROM "webhook_delivery" d JOIN "webhook_endpoint" e ON e."id" = d."endpoint_id"
    WHERE d."status" = 'PENDING' AND e."enabled" AND (d."next_attempt_at" IS NULL OR d."next_attempt_at" <= ?)
      AND (d."lease_until" IS NULL OR d."lease_until" < ?) {busy}
    ORDER BY d."id" LIMIT ? {lock}
) RETURNING "id"
"""


async def claim(now: datetime, limit: int, busy: list[int] | None = None) -> list[WebhookDelivery]:
    """Lease up to `limit` due deliveries (not of the `busy` endpoints) until now + SEATWISE_WEBHOOK_LEASE (60 s:
    longer than an attempt, 15 s, with its bookkeeping)."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    exclude = f'AND d."endpoint_id" NOT IN ({", ".join("?" for _ in busy)})' if busy else ""
    lock = "FOR UPDATE OF d SKIP LOCKED" if dialect == "postgres" else ""
    sql = placeholders(_CLAIM.format(busy=exclude, lock=lock), dialect)
    rows = await client.execute_query_dict(
        sql, [now + timedelta(seconds=settings().webhook_lease), now, now, *(busy or []), limit]
    )
    ids = [row["id"] for row in rows]
    return await WebhookDelivery.filter(id__in=ids).order_by("id") if ids else []


def http_client() -> httpx.AsyncClient:
    """No redirects followed, 15 s, a small pool per host."""
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(attempts.TIMEOUT),
        limits=httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=8),
        trust_env=False,
    )


class Worker:
    """Attempts deliveries as they come due; `run_once(now)` drains what is due at `now` (tests drive the clock)."""

    def __init__(self, client: httpx.AsyncClient | None = None, concurrency: int = CONCURRENCY) -> None:
        self.client = client or http_client()
        self.concurrency = concurrency
        self.in_flight: Counter[int] = Counter()
        self.tasks: set[asyncio.Task] = set()

    def _busy(self) -> list[int]:
        return [endpoint for endpoint, n in self.in_flight.items() if n >= PER_ENDPOINT]

    async def tick(self, now: datetime) -> int:
        """Claim what fits in the free slots and start attempting it; how many were started."""
        free = self.concurrency - len(self.tasks)
        if free <= 0:
            return 0
        started = 0
        claimed = await claim(now, free, self._busy())
        if not claimed:
            return 0
        # The batch's endpoints and events in two queries (not two per delivery).
        endpoints = {e.id: e for e in await WebhookEndpoint.filter(id__in={d.endpoint_id for d in claimed})}
        events = {e.id: e for e in await Event.filter(id__in={d.event_id for d in claimed})}
        for delivery in claimed:
            if self.in_flight[delivery.endpoint_id] >= PER_ENDPOINT:
                await WebhookDelivery.filter(id=delivery.id).update(lease_until=None)  # over the endpoint's share: later
                continue
            self.in_flight[delivery.endpoint_id] += 1
            task = asyncio.create_task(self._attempt(delivery, endpoints[delivery.endpoint_id], events[delivery.event_id], now))
            self.tasks.add(task)
            started += 1
        return started

    async def _attempt(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, event: Event, now: datetime) -> None:
        try:
            await attempts.attempt(self.client, delivery, endpoint, event, now)
        except Exception:  # the lease lapses and another attempt follows
            log.exception("webhook delivery %s could not be attempted", delivery.id)
        finally:
            self.in_flight[delivery.endpoint_id] -= 1
            self.tasks.discard(asyncio.current_task())

    async def run_once(self, now: datetime) -> int:
        """Attempt every delivery due at `now` (once each) and wait for them; how many."""
        total = 0
        while True:
            started = await self.tick(now)
            total += started
            if not self.tasks:
                return total
            await asyncio.wait(set(self.tasks), return_when=asyncio.FIRST_COMPLETED)

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Until `stop`: look for due deliveries every `interval` seconds, prune events older than 30 days hourly."""
        pruned_at: datetime | None = None
        while not stop.is_set():
            now = utcnow()
            try:
                await self.tick(now)
                await mail.send_due(now)
                if pruned_at is None or now - pruned_at >= timedelta(hours=1):
                    await outbox.prune(now)
                    pruned_at = now
            except Exception:
                log.exception("the webhook delivery worker failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=attempts.TIMEOUT)

    async def close(self) -> None:
        await self.client.aclose()
