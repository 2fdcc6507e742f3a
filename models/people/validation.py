"""What a user's email address and display name may be (docs/rules.md section 4)."""

from __future__ import annotations

import email_validator
from email_validator import EmailNotValidError, validate_email

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text

MAX_EMAIL = 254  # RFC 5321's limit of a path, as the column
# Reserved and special-use domains (.test, .example, .local, ...) are accepted: directories' test tenants use them
# (Okta's SPEC test provisions @okta.local). email-validator reads this list at each call (its documented switch).
email_validator.SPECIAL_USE_DOMAIN_NAMES = []


def normalize_email(raw: str, subject: str) -> str:
    """Trim, check the syntax with email-validator (no DNS look-up) and normalise: the ASCII form (an internationalised
    domain in IDNA, `xn--`), lower-cased (docs/rules.md sections 4 and 12); INVALID_INPUT otherwise. The local part is
    ASCII: Entra ID user principal names and Okta logins are, and one spelling per address keeps emails unique."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False)
    except EmailNotValidError:
        raise DomainError(ErrorCode.INVALID_INPUT, "This is not a valid email address.", subject) from None
    email = (checked.ascii_email or checked.normalized).lower()  # ascii_email is set: SMTPUTF8 is refused
    if len(email) > MAX_EMAIL:
        raise DomainError(ErrorCode.INVALID_INPUT, "This is not a valid email address.", subject)
    return email


def check_display_name(raw: str, subject: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A display name has 1 to 256 characters.", subject)
    return checked_text(name, 256, "A display name", subject)
