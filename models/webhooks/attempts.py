"""One delivery attempt: the checked address called over HTTP, and what its outcome does (retry schedule, disabling)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import Event, WebhookDelivery, WebhookEndpoint
from seatwise.models.events import outbox
from seatwise.models.webhooks import endpoints, signing
from seatwise.models.webhooks.addresses import Refused, Target, resolve

TIMEOUT = 15.0
RESPONSE_KEPT = 1024
# The waits before the 2nd, 3rd, ... attempt; after the last one the delivery FAILED.
SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
]
MAX_RETRY_AFTER = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=5)


@dataclass
class Outcome:
    status: int | None = None
    response: str | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    duration_ms: int = 0

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    try:
        wait = timedelta(seconds=max(0, int(value.strip())))
    except ValueError:
        try:
            wait = max(timedelta(0), parsedate_to_datetime(value) - now)
        except (TypeError, ValueError):
            return None
    return min(wait, MAX_RETRY_AFTER)


def _request(client: httpx.AsyncClient, target: Target, payload: bytes, headers: dict[str, str]) -> httpx.Request:
    """A request to the checked address (no second lookup), with the host name in Host and in TLS (SNI, certificate)."""
    host = f"[{target.address}]" if ":" in target.address else target.address
    url = httpx.URL(target.url.geturl()).copy_with(host=host.strip("[]"), port=target.port)
    default = 443 if target.url.scheme == "https" else 80
    headers = {**headers, "host": target.host if target.port == default else f"{target.host}:{target.port}"}
    return client.build_request("POST", url, content=payload, headers=headers, extensions={"sni_hostname": target.host})


async def call(client: httpx.AsyncClient, url: str, payload: bytes, headers: dict[str, str], now: datetime) -> Outcome:
    """POST once; every failure is an Outcome with an error, never an exception."""
    started = time.monotonic()
    outcome = Outcome()
    try:
        async with asyncio.timeout(TIMEOUT):
            target = await resolve(url)
            response = await client.send(_request(client, target, payload, headers), stream=True)
            try:
                kept = b""
                async for chunk in response.aiter_raw():
                    kept += chunk
                    if len(kept) >= RESPONSE_KEPT:
                        break
            finally:
                await response.aclose()
            outcome.status, outcome.response = response.status_code, kept[:RESPONSE_KEPT].decode("utf-8", "replace")
            if response.status_code in (429, 503):
                outcome.retry_after = _retry_after(response.headers.get("retry-after"), now)
    except Refused as refused:
        outcome.error = str(refused)
    except TimeoutError:
        outcome.error = f"No response within {TIMEOUT:.0f} s."
    except httpx.HTTPError as error:
        outcome.error = f"{type(error).__name__}: {str(error)[:200] or 'the connection failed'}"
    except OSError as error:
        outcome.error = f"{type(error).__name__}: {str(error)[:200]}"
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    if outcome.status is not None and not outcome.delivered and outcome.error is None:
        outcome.error = f"HTTP {outcome.status}" + (" (redirects are not followed)" if 300 <= outcome.status < 400 else "")
    return outcome


def record(outcome: Outcome, now: datetime) -> dict[str, Any]:
    return {
        "at": now.isoformat(),
        "httpStatus": outcome.status,
        "durationMs": outcome.duration_ms,
        "response": outcome.response,
        "error": outcome.error,
    }


async def attempt(
    client: httpx.AsyncClient, delivery: WebhookDelivery, endpoint: WebhookEndpoint, event: Event, now: datetime
) -> Outcome:
    """Attempt a claimed delivery and store its outcome (the lease ends)."""
    payload = signing.body(event)
    headers = signing.headers(
        event, payload, endpoints.signing_secrets(endpoint, now), utcnow()
    )  # receivers check it against their clock
    outcome = await call(client, endpoint.url, payload, headers, now)
    await settle(delivery, endpoint, outcome, now)
    return outcome


async def settle(delivery: WebhookDelivery, endpoint: WebhookEndpoint, outcome: Outcome, now: datetime) -> None:
    attempts = [*delivery.attempts, record(outcome, now)]
    values: dict[str, Any] = {"attempts": attempts, "lease_until": None}
    disable: str | None = None
    failing_since = endpoint.failing_since
    if outcome.delivered:
        values.update(status="DELIVERED", next_attempt_at=None)
        endpoint.failing_since = None
    else:
        endpoint.failing_since = endpoint.failing_since or now
        retries = len(attempts) - 1
        if outcome.status == 410:
            disable = "The receiver answered 410 Gone."
            values.update(status="FAILED", next_attempt_at=None)
        elif retries < len(SCHEDULE):
            wait = outcome.retry_after if outcome.retry_after is not None else SCHEDULE[retries]
            values.update(next_attempt_at=now + wait)
        else:
            values.update(status="FAILED", next_attempt_at=None)
        if disable is None and now - endpoint.failing_since >= DISABLE_AFTER:
            disable = "No successful delivery for 5 days."
    async with outbox.atomic():
        await WebhookDelivery.filter(id=delivery.id).update(**values)
        newly_disabled = bool(disable and endpoint.enabled)
        if newly_disabled:
            endpoint.enabled, endpoint.disabled_reason = False, disable
        if newly_disabled or endpoint.failing_since != failing_since:  # a success after a success writes nothing more
            await WebhookEndpoint.filter(id=endpoint.id).update(
                enabled=endpoint.enabled, disabled_reason=endpoint.disabled_reason, failing_since=endpoint.failing_since
            )
        if newly_disabled:
            await outbox.append_one(
                endpoint.organization_id,
                "webhook.disabled",
                now,
                {"endpointId": str(endpoint.id), "url": endpoint.url, "reason": disable},
            )
