"""Redis fan-out of live seat events, so that an event raised on one instance reaches every instance.

With REDIS_URL set, the app's lifespan calls `start(url)`: the broker's transport becomes a
PUBLISH to one Redis channel, and a listener task SUBSCRIBEs to it and hands every message to the
local broker (`broker.deliver`). Each instance therefore delivers its own events too, once, via Redis.

Redis pub/sub channels are not scoped by database number, so the channel name carries it
(`seatwise:<db>:license-events`); SEATWISE_REDIS_CHANNEL overrides it.

During a Redis outage, mutations still succeed: a failed PUBLISH is logged and the event is
delivered to this instance's subscribers only; the listener reconnects with a back-off. Events
raised during the outage do not reach other instances. `redis_status()` feeds /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import urlparse

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from models.events import SeatEvent, broker
from models.settings import settings

log = logging.getLogger("seatwise.fanout")

PING_TIMEOUT = 1.0
MAX_BACKOFF = 5.0


def channel_for(url: str) -> str:
    if settings().redis_channel:
        return settings().redis_channel
    db = (urlparse(url).path or "/").strip("/") or "0"
    return f"seatwise:{db}:license-events"


class RedisFanout:
    def __init__(self, url: str) -> None:
        self.url = url
        self.channel = channel_for(url)
        # No retries and short timeouts: a mutation waits at most a moment for an unreachable Redis.
        self.redis = aioredis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0), health_check_interval=30
        )
        self._listener: asyncio.Task | None = None
        self._previous_transport = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._previous_transport = broker.transport
        broker.transport = self.publish
        self._listener = asyncio.create_task(self._listen(), name="seatwise-redis-listener")

    async def stop(self) -> None:
        if self._previous_transport is not None:
            broker.transport = self._previous_transport
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self.redis.aclose()

    async def publish(self, event: SeatEvent) -> None:
        try:
            await self.redis.publish(self.channel, json.dumps(event.to_dict()))
        except Exception as error:  # Redis down: this instance's subscribers still get the event
            log.warning("could not publish a seat event to Redis (%s); delivering it locally only", type(error).__name__)
            await broker.deliver(event)

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
                        event = SeatEvent.from_dict(json.loads(message["data"]))
                    except (ValueError, KeyError, TypeError):
                        log.warning("ignoring a malformed seat event from Redis")
                        continue
                    await broker.deliver(event)
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
                    await pubsub.aclose()

    async def status(self) -> str:
        try:
            await asyncio.wait_for(self.redis.ping(), PING_TIMEOUT)
            return "ok"
        except Exception as error:  # the probe reports, it does not raise
            log.warning("Redis not reachable: %s", type(error).__name__)
            return "unreachable"


_current: RedisFanout | None = None


async def start(url: str) -> RedisFanout:
    """Route this process's seat events through Redis (idempotent per process)."""
    global _current
    if _current is None:
        _current = RedisFanout(url)
        await _current.start()
    return _current


async def stop() -> None:
    global _current
    if _current is not None:
        current, _current = _current, None
        await current.stop()


def active() -> bool:
    return _current is not None


async def redis_status() -> str | None:
    """"ok" or "unreachable" with the fan-out running; None without REDIS_URL."""
    return await _current.status() if _current is not None else None
