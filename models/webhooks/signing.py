"""Standard Webhooks 1.0: the body of a delivery and its headers, signed with every valid secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

import orjson

from seatwise.models.core.tables import Event
from seatwise.models.webhooks.secrets import secret_bytes

try:
    USER_AGENT = f"Seatwise-Webhooks/{version('seatwise')}"
except PackageNotFoundError:  # pragma: no cover  (running from a tree that is not installed)
    USER_AGENT = "Seatwise-Webhooks/0"


def webhook_id(event: Event) -> str:
    """The event's id as receivers deduplicate by it: stable across attempts and redeliveries."""
    return f"evt_{event.id}"


def body(event: Event) -> bytes:
    return orjson.dumps(
        {
            "id": webhook_id(event),
            "type": event.type,
            "timestamp": event.at.isoformat().replace("+00:00", "Z"),
            "sequence": event.sequence,
            "data": event.data,
        }
    )


def signature(secret: str, message_id: str, timestamp: int, payload: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + payload
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


def headers(event: Event, payload: bytes, signing_secrets: list[str], now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    message_id = webhook_id(event)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, payload) for s in signing_secrets),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
