"""Plan tokens: a preview's promise that the same mutation with the same input applies exactly the change shown,
as long as the organization's seat state has not moved. Signed, not stored: HMAC-SHA256 over the organization, the
mutation, a digest of the input, the seat-state version and the expiry, with a key derived from the server secret
(`SEATWISE_SECRET_KEY`, the same on every instance). Anything else (forged, expired, another organization's,
another input, the state moved) is PLAN_STALE."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.settings import settings

PLAN_LIFETIME = timedelta(minutes=15)
_PROCESS_SECRET = secrets.token_bytes(32)  # without SEATWISE_SECRET_KEY: tokens work on the instance that made them
STALE = "The plan is stale (the seat state changed, or the token is expired or not for this change): preview again."


def _key() -> bytes:
    configured = settings().secret_key
    newest = configured.get_secret_value().split(",")[0].strip() if configured is not None else ""
    secret = newest.encode() if newest else _PROCESS_SECRET  # the newest of the comma-separated keys
    return hmac.new(secret, b"seatwise plan tokens v1", hashlib.sha256).digest()  # a key for this purpose only


def _digest(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _mac(body: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(_key(), body, hashlib.sha256).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class Plan:
    """A mutation's plan request: its name and input (what the token is bound to), the token given back (if any),
    and whether this is a dry run. `terms`: what a preview promised beyond the seat state (a purchase's price),
    signed into the token and given back by `check`."""

    mutation: str
    inputs: dict[str, Any]
    token: str | None = None
    dry_run: bool = False
    terms: dict[str, Any] | None = None

    def sign(self, org_id: int, version: int, now: datetime) -> tuple[str, datetime]:
        """The token of a preview made on seat state `version`, and when it expires."""
        expires = now + PLAN_LIFETIME
        claims = {"o": org_id, "m": self.mutation, "i": _digest(self.inputs), "v": version, "e": expires.isoformat()}
        if self.terms is not None:
            claims["t"] = self.terms
        body = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode()).decode().rstrip("=")
        return f"{body}.{_mac(body.encode())}", expires

    def check(self, org_id: int, version: int, now: datetime) -> dict[str, Any] | None:
        """PLAN_STALE unless the token given back was signed here for this organization, mutation, input and
        seat state, and has not expired; then the terms it carries. Nothing to check without a token."""
        if self.token is None:
            return None
        body, _, mac = self.token.partition(".")
        if not body or not hmac.compare_digest(mac, _mac(body.encode())):
            raise DomainError(ErrorCode.PLAN_STALE, STALE, "plan_token")
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            expires = datetime.fromisoformat(claims["e"]).astimezone(UTC)
        except (ValueError, KeyError, TypeError):
            raise DomainError(ErrorCode.PLAN_STALE, STALE, "plan_token") from None
        expected = {"o": org_id, "m": self.mutation, "i": _digest(self.inputs), "v": version}
        if any(claims.get(k) != v for k, v in expected.items()) or now > expires:
            raise DomainError(ErrorCode.PLAN_STALE, STALE, "plan_token")
        return claims.get("t")
