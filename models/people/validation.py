"""What a user's email address and display name may be (docs/rules.md section 4)."""

from __future__ import annotations

import re

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")


def normalize_email(raw: str, subject: str) -> str:
    """Trim, lower-case and check the syntax of docs/rules.md section 4; INVALID_INPUT otherwise."""
    email = raw.strip()
    ascii_only = email.isascii()  # checked before lower-casing, which maps some non-ASCII letters to ASCII
    email = email.lower()
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    valid = (
        ascii_only
        and len(email) <= 254
        and at == "@"
        and "@" not in local
        and _LOCAL.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
    )
    if not valid:
        raise DomainError(ErrorCode.INVALID_INPUT, "This is not a valid email address.", subject)
    return email


def check_display_name(raw: str, subject: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A display name has 1 to 256 characters.", subject)
    return checked_text(name, 256, "A display name", subject)
