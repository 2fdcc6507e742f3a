"""Live seat events: published after commit, fanned out to subscribers of the same organization.

In one process the broker is a set of asyncio queues. With REDIS_URL set, models/events/fanout.py
sets a `relay` that also hands every notice to a background Redis publisher, so that an event
raised on one instance reaches every instance. Publishing never waits: a write that raises events
returns as soon as they sit in this process's queues.

Besides seat events, the broker carries `CredentialEnded` notices (sign-out, revoked token, role
change, deleted user): every open subscription of those credentials, on every instance, ends at
once with `SubscriptionEnded` (an Unauthenticated). A subscription also ends by itself when its credential lapses.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from seatwise.models.core.errors import Unauthenticated

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
    RECLAIMED = "RECLAIMED"


@dataclass(frozen=True)
class SeatEvent:
    organization_id: int
    kind: LicenseEventKind
    product_sku: str
    user_id: int | None
    purchased: int
    assigned: int
    at: datetime
    waiting: int = 0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SeatEvent:
        return cls(
            organization_id=int(data["organization_id"]),
            kind=LicenseEventKind(data["kind"]),
            product_sku=data["product_sku"],
            user_id=data["user_id"],
            purchased=int(data["purchased"]),
            assigned=int(data["assigned"]),
            at=datetime.fromisoformat(data["at"]),
            waiting=int(data.get("waiting", 0)),  # absent from events of an instance older than this field
        )


@dataclass(frozen=True)
class CredentialEnded:
    """Notice: these credentials of an organization (or every credential of `user_id`) were revoked;
    their subscriptions end."""

    organization_id: int
    credential_ids: tuple[int, ...] = ()
    user_id: int | None = None

    def ends(self, credential_id: int | None, user_id: int | None) -> bool:
        return credential_id in self.credential_ids or (self.user_id is not None and user_id == self.user_id)

    def to_dict(self) -> dict:
        return {
            "type": "credential_ended",
            "organization_id": self.organization_id,
            "credential_ids": list(self.credential_ids),
            "user_id": self.user_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CredentialEnded:
        user_id = data.get("user_id")
        return cls(
            int(data["organization_id"]), tuple(int(i) for i in data["credential_ids"]), None if user_id is None else int(user_id)
        )


Notice = SeatEvent | CredentialEnded


def notice_from_dict(data: dict) -> Notice:
    """Raises ValueError, KeyError or TypeError on a malformed notice."""
    if data.get("type") == "credential_ended":
        return CredentialEnded.from_dict(data)
    return SeatEvent.from_dict(data)


class SubscriptionEnded(Unauthenticated):
    """Raised into a subscriber's stream when its credential was revoked or lapsed."""


_ENDED = object()  # the queue item that ends a stream


class _Listener:
    __slots__ = ("credential_id", "ended", "queue", "user_id")

    def __init__(self, credential_id: int | None, user_id: int | None) -> None:
        self.queue: asyncio.Queue = asyncio.Queue(QUEUE_LIMIT)
        self.credential_id, self.user_id = credential_id, user_id
        self.ended = False

    def put(self, event: SeatEvent) -> None:
        if self.ended:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("dropping a seat event for a slow subscriber")

    def end(self) -> None:
        if self.ended:
            return
        self.ended = True
        while not self.queue.empty():  # a full queue of a slow subscriber must not keep the end out
            self.queue.get_nowait()
        self.queue.put_nowait(_ENDED)


class Broker:
    """Local fan-out: every subscriber of an organization gets its own bounded queue."""

    def __init__(self) -> None:
        self._listeners: dict[int, set[_Listener]] = {}
        # Where each seat event raised here is delivered in this process (tests replace it to capture events).
        self.transport: Callable[[SeatEvent], Awaitable[None]] = self._deliver_event
        # Set by a cross-instance transport (models/events/fanout.py): called with every notice raised here, must not block.
        self.relay: Callable[[list[Notice]], None] | None = None

    def deliver(self, notice: Notice) -> None:
        """Hand a notice to this process's subscribers (never blocks)."""
        listeners = self._listeners.get(notice.organization_id, ())
        if isinstance(notice, CredentialEnded):
            for listener in list(listeners):
                if listener.credential_id is not None and notice.ends(listener.credential_id, listener.user_id):
                    listener.end()
        else:
            for listener in list(listeners):
                listener.put(notice)

    async def _deliver_event(self, event: SeatEvent) -> None:
        self.deliver(event)

    async def publish_many(self, notices: Iterable[Notice]) -> None:
        """Deliver to this process's subscribers, and hand the batch to the relay (if any) in one piece.
        Never waits on the network, never raises: the change that raised the notices has committed."""
        batch = list(notices)
        try:
            for notice in batch:
                if isinstance(notice, SeatEvent):
                    await self.transport(notice)
                else:
                    self.deliver(notice)
            if self.relay is not None and batch:
                self.relay(batch)
        except Exception:  # a broken transport must never fail the mutation that already committed
            log.exception("could not publish live events")

    async def end_credentials(
        self, organization_id: int, credential_ids: Iterable[int] = (), *, user_id: int | None = None
    ) -> None:
        """After commit: end every open subscription of these credentials (or of every credential of
        `user_id`), on every instance."""
        ids = tuple(credential_ids)
        if ids or user_id is not None:
            await self.publish_many([CredentialEnded(organization_id, ids, user_id)])

    async def subscribe(
        self,
        organization_id: int,
        *,
        credential_id: int | None = None,
        user_id: int | None = None,
        expires_at: datetime | None = None,
    ) -> AsyncGenerator[SeatEvent, None]:
        """The organization's seat events as they happen. With `credential_id` (of `user_id`), the stream
        raises SubscriptionEnded when that credential ends, or at `expires_at` (its lapse), whichever comes first."""
        listener = _Listener(credential_id, user_id)
        self._listeners.setdefault(organization_id, set()).add(listener)
        timer = None
        if expires_at is not None:
            delay = (expires_at - datetime.now(UTC)).total_seconds()
            timer = asyncio.get_running_loop().call_later(max(delay, 0), listener.end)
        try:
            while True:
                item = await listener.queue.get()
                if item is _ENDED:
                    raise SubscriptionEnded("The token has been revoked or has expired.")
                yield item
        finally:
            if timer is not None:
                timer.cancel()
            self._listeners[organization_id].discard(listener)
            if not self._listeners[organization_id]:
                del self._listeners[organization_id]

    def subscriber_count(self, organization_id: int | None = None) -> int:
        if organization_id is not None:
            return len(self._listeners.get(organization_id, ()))
        return sum(len(listeners) for listeners in self._listeners.values())


broker = Broker()
