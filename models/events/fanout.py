"""Redis fan-out of live notices (seat events, ended credentials), so that what is raised on one
instance reaches every instance.

With REDIS_URL set, the app's lifespan calls `start(url)`. The broker still delivers every notice to
this instance's subscribers at once; its `relay` also hands the notices to a `Publisher`, which
PUBLISHes them from a bounded queue in the background, many notices per Redis message
(`{"origin": <instance>, "notices": [...]}`). A listener task SUBSCRIBEs to the channel and hands
other instances' notices to the local broker (its own are skipped: they were delivered already).

Writes never wait on Redis. Each PUBLISH has a short timeout; after BREAKER_FAILURES failures in a
row the publisher's circuit opens for BREAKER_COOLDOWN seconds, during which batches are dropped at
once. What cannot be sent (queue full, failed, circuit open) is dropped and counted:
`publisher_status()` feeds /readyz, `on_drop` a Prometheus counter. Dropped notices still reached
this instance's subscribers, not other instances'. The listener reconnects with a back-off.

Redis pub/sub channels are not scoped by database number, so the channel name carries it
(`seatwise:<db>:license-events`); SEATWISE_REDIS_CHANNEL overrides it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from seatwise.models.core.settings import settings
from seatwise.models.events.live import Notice, broker, notice_from_dict

log = logging.getLogger("seatwise.fanout")

PING_TIMEOUT = 1.0
MAX_BACKOFF = 5.0
PUBLISH_QUEUE_LIMIT = 10_000  # notices waiting for Redis
BATCH_LIMIT = 500  # notices per Redis message
PUBLISH_TIMEOUT = 0.5
BREAKER_FAILURES = 3  # failed PUBLISHes in a row that open the circuit
BREAKER_COOLDOWN = 5.0  # seconds the circuit stays open
STOP_TIMEOUT = 2.0


def channel_for(url: str) -> str:
    if channel := settings().redis_channel:
        return channel
    db = (urlparse(url).path or "/").strip("/") or "0"
    return f"seatwise:{db}:license-events"


class Publisher:
    """Sends the notices queued by `offer` to Redis in the background, in batches; drops and counts
    what cannot be sent."""

    def __init__(self, redis: aioredis.Redis, channel: str, origin: str, on_drop: Callable[[int], None] | None = None) -> None:
        self.redis, self.channel, self.origin, self.on_drop = redis, channel, origin, on_drop
        self.queue: asyncio.Queue[Notice] = asyncio.Queue(PUBLISH_QUEUE_LIMIT)
        self.dropped = 0
        self.sent_messages = 0
        self.failures = 0  # in a row
        self.open_until = 0.0  # monotonic time until which the circuit stays open

    def offer(self, notices: list[Notice]) -> None:
        """The broker's relay: queue the notices, never wait; what does not fit is dropped."""
        for index, notice in enumerate(notices):
            try:
                self.queue.put_nowait(notice)
            except asyncio.QueueFull:
                self._drop(len(notices) - index, "the publish queue is full")
                return

    @property
    def circuit_open(self) -> bool:
        return time.monotonic() < self.open_until

    def status(self) -> dict:
        return {"circuit": "open" if self.circuit_open else "closed", "queued": self.queue.qsize(), "dropped": self.dropped}

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        if self.on_drop is not None:
            self.on_drop(count)
        log.debug("dropped %d live notices for other instances: %s", count, why)

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < BATCH_LIMIT and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            if self.circuit_open:
                self._drop(len(batch), "the circuit is open")
                continue
            payload = json.dumps({"origin": self.origin, "notices": [n.to_dict() for n in batch]})
            try:
                await asyncio.wait_for(self.redis.publish(self.channel, payload), PUBLISH_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis down or stalled: this instance's subscribers had them already
                self.failures += 1
                if self.failures == 1:  # once per outage
                    log.warning(
                        "could not publish live events to Redis (%s); other instances miss them until it answers",
                        type(error).__name__,
                    )
                if self.failures >= BREAKER_FAILURES:
                    self.open_until = time.monotonic() + BREAKER_COOLDOWN
                self._drop(len(batch), type(error).__name__)
            else:
                self.sent_messages += 1
                if self.failures:
                    log.info("Redis takes live events again")
                self.failures, self.open_until = 0, 0.0


class RedisFanout:
    def __init__(self, url: str, on_drop: Callable[[int], None] | None = None) -> None:
        self.url = url
        self.channel = channel_for(url)
        self.origin = uuid.uuid4().hex
        # No retries and short timeouts: nothing waits long for an unreachable Redis.
        self.redis = aioredis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0), health_check_interval=30
        )
        self.publisher = Publisher(self.redis, self.channel, self.origin, on_drop)
        self._tasks: list[asyncio.Task] = []
        self.listening = asyncio.Event()

    async def start(self) -> None:
        broker.relay = self.publisher.offer
        self._tasks = [
            asyncio.create_task(self._listen(), name="seatwise-redis-listener"),
            asyncio.create_task(self.publisher.run(), name="seatwise-redis-publisher"),
        ]

    async def stop(self) -> None:
        if broker.relay == self.publisher.offer:
            broker.relay = None
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # bounded: a stuck Redis connection must not hold up shutdown
            await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.redis.aclose(), STOP_TIMEOUT)

    def _notices(self, raw: bytes | str) -> list[Notice]:
        """The notices of a Redis message from another instance (none of this one's own)."""
        data = json.loads(raw)
        if isinstance(data, dict) and "notices" in data:
            if data.get("origin") == self.origin:
                return []
            return [notice_from_dict(item) for item in data["notices"]]
        return [notice_from_dict(data)]  # one bare event, as instances before batching sent them

    async def _listen(self) -> None:
        backoff = 0.2
        outage_logged = False
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.listening.set()
                if outage_logged:
                    log.info("Redis reachable again; listening for seat events")
                outage_logged, backoff = False, 0.2
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        notices = self._notices(message["data"])
                    except (ValueError, KeyError, TypeError, AttributeError):
                        log.warning("ignoring a malformed live event from Redis")
                        continue
                    for notice in notices:
                        broker.deliver(notice)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.listening.clear()
                if not outage_logged:
                    log.warning("Redis listener lost its connection (%s); retrying", type(error).__name__)
                    outage_logged = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), STOP_TIMEOUT)

    async def status(self) -> str:
        try:
            await asyncio.wait_for(self.redis.ping(), PING_TIMEOUT)
            return "ok"
        except Exception as error:  # the probe reports, it does not raise
            log.warning("Redis not reachable: %s", type(error).__name__)
            return "unreachable"


_current: RedisFanout | None = None


async def start(url: str, on_drop: Callable[[int], None] | None = None) -> RedisFanout:
    """Relay this process's live notices through Redis (idempotent per process); `on_drop(n)` counts drops."""
    global _current
    if _current is None:
        _current = RedisFanout(url, on_drop)
        await _current.start()
    return _current


async def stop() -> None:
    global _current
    if _current is not None:
        current, _current = _current, None
        await current.stop()


async def redis_status() -> str | None:
    """ "ok" or "unreachable" with the fan-out running; None without REDIS_URL."""
    return await _current.status() if _current is not None else None


def publisher_status() -> dict | None:
    """The Redis publisher's circuit, backlog and dropped notices; None without REDIS_URL."""
    return _current.publisher.status() if _current is not None else None
