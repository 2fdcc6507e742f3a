"""Signing secrets: `whsec_` + base64 of 32 random bytes, stored encrypted with the server's key (Fernet).

SEATWISE_SECRET_KEY holds one or more Fernet keys, comma-separated, newest first: secrets are encrypted with the first
and decrypted with any (rotation: put the new key first, keep the old one until `reseal` ran). Unset, a development key
is derived from DATABASE_URL, so that `make run` works; production sets the variable."""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import secrets

from cryptography.fernet import Fernet, MultiFernet

from seatwise.models.core.settings import settings

log = logging.getLogger("seatwise.webhooks")
PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key an HMAC signs with: the base64 after the prefix, decoded (as Standard Webhooks defines it)."""
    return base64.b64decode(secret.removeprefix(PREFIX))


@functools.lru_cache(maxsize=4)
def _keys(configured: str | None, database_url: str) -> MultiFernet:
    if configured:
        return MultiFernet([Fernet(key.strip().encode()) for key in configured.split(",") if key.strip()])
    log.warning("SEATWISE_SECRET_KEY is unset: webhook secrets are encrypted with a development key")
    derived = hashlib.sha256(b"seatwise-development-key:" + database_url.encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def _fernet() -> MultiFernet:
    current = settings()
    key = current.secret_key.get_secret_value() if current.secret_key else None
    return _keys(key, current.database_url)


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def reseal(token: str) -> str:
    """The same secret encrypted with the newest key (after a key rotation)."""
    return _fernet().rotate(token.encode()).decode()
