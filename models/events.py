"""Live seat events: published after commit, fanned out to subscribers of the same organization.

In one process the broker is a set of asyncio queues. With REDIS_URL set, `models.fanout`
replaces the transport so that an event raised on one instance reaches every instance.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import AsyncIterator, Awaitable, Callable

log = logging.getLogger("seatwise.events")
QUEUE_LIMIT = 1000


class LicenseEventKind(str, enum.Enum):
    ASSIGNED = "ASSIGNED"
    REVOKED = "REVOKED"
    PURCHASED = "PURCHASED"
    REDUCED = "REDUCED"
    USER_DELETED = "USER_DELETED"
    USER_RESTORED = "USER_RESTORED"
    SUBSCRIPTION_STATUS_CHANGED = "SUBSCRIPTION_STATUS_CHANGED"
    CONFLICT_OPENED = "CONFLICT_OPENED"
    CONFLICT_RESOLVED = "CONFLICT_RESOLVED"
    WAITING = "WAITING"


@dataclass(frozen=True)
class SeatEvent:
    organization_id: int
    kind: LicenseEventKind
    product_sku: str
    user_id: int | None
    purchased: int
    assigned: int
    at: datetime

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SeatEvent":
        return cls(
            organization_id=int(data["organization_id"]),
            kind=LicenseEventKind(data["kind"]),
            product_sku=data["product_sku"],
            user_id=data["user_id"],
            purchased=int(data["purchased"]),
            assigned=int(data["assigned"]),
            at=datetime.fromisoformat(data["at"]),
        )


class Broker:
    """Local fan-out: every subscriber of an organization gets its own bounded queue."""

    def __init__(self) -> None:
        self._queues: dict[int, set[asyncio.Queue[SeatEvent]]] = {}
        # Where published events go; a Redis transport replaces this with a publish to Redis.
        self.transport: Callable[[SeatEvent], Awaitable[None]] = self.deliver

    async def deliver(self, event: SeatEvent) -> None:
        for queue in list(self._queues.get(event.organization_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("dropping a seat event for a slow subscriber", extra={"organization": event.organization_id})

    async def publish(self, event: SeatEvent) -> None:
        try:
            await self.transport(event)
        except Exception:  # a broken transport must never fail the mutation that already committed
            log.exception("could not publish a seat event")

    async def publish_many(self, events: list[SeatEvent]) -> None:
        """Publish the events of one change, in order."""
        for event in events:
            await self.publish(event)

    async def subscribe(self, organization_id: int) -> AsyncIterator[SeatEvent]:
        queue: asyncio.Queue[SeatEvent] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.setdefault(organization_id, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[organization_id].discard(queue)
            if not self._queues[organization_id]:
                del self._queues[organization_id]

    def subscriber_count(self, organization_id: int | None = None) -> int:
        if organization_id is not None:
            return len(self._queues.get(organization_id, ()))
        return sum(len(queues) for queues in self._queues.values())


broker = Broker()
