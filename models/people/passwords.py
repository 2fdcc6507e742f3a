"""Admin passwords: the length rule, argon2 hashing and verifying (in a thread: argon2 is slow on purpose)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()
# Verifying against this keeps an unknown email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anybody")


async def hash_password(password: str) -> str:
    """argon2 is slow on purpose: it runs in a thread so that it never blocks the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


def check_password(password: str | None, subject: str) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A password has at least {MIN_PASSWORD_LENGTH} characters.", subject)
    checked_text(password, MAX_PASSWORD_LENGTH, "The password", subject)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; False without a hash, after as long as a wrong password takes."""
    return await asyncio.to_thread(_verify, password_hash, password)
