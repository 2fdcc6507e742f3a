"""Typed domain errors: a machine-readable code, a message for humans, and the subject it is about.

The subject is a domain name (`quantity`, `user_ids[3]`, `card.exp_month`), never an API path:
`gql/graphql/core/errors.py` maps subjects to GraphQL input paths in one table, so renaming an API input never
touches the domain.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"
    NO_LICENSES_AVAILABLE = "NO_LICENSES_AVAILABLE"
    ALREADY_ASSIGNED = "ALREADY_ASSIGNED"
    NOT_ASSIGNED = "NOT_ASSIGNED"
    USER_DELETED = "USER_DELETED"
    USER_NOT_DELETED = "USER_NOT_DELETED"
    RESTORE_WINDOW_EXPIRED = "RESTORE_WINDOW_EXPIRED"
    LAST_GLOBAL_ADMIN = "LAST_GLOBAL_ADMIN"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    LICENSES_IN_USE = "LICENSES_IN_USE"
    NO_PAYMENT_CARD = "NO_PAYMENT_CARD"
    INVALID_CARD_NUMBER = "INVALID_CARD_NUMBER"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    INVALID_CVC = "INVALID_CVC"
    CARD_DECLINED = "CARD_DECLINED"
    CARD_EXPIRED = "CARD_EXPIRED"
    SUBSCRIPTION_NOT_ACTIVE = "SUBSCRIPTION_NOT_ACTIVE"
    ALREADY_CANCELLED = "ALREADY_CANCELLED"
    DATA_EXPORT_REQUIRED = "DATA_EXPORT_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    NOT_A_SANDBOX = "NOT_A_SANDBOX"
    LICENSE_INHERITED = "LICENSE_INHERITED"
    MANAGED_BY_DIRECTORY = "MANAGED_BY_DIRECTORY"
    UNKNOWN_ROLE = "UNKNOWN_ROLE"
    ROLE_INHERITED = "ROLE_INHERITED"
    CARD_IN_USE = "CARD_IN_USE"
    GATEWAY_UNAVAILABLE = "GATEWAY_UNAVAILABLE"
    PLAN_STALE = "PLAN_STALE"


class DomainError(Exception):
    """An expected failure of a domain operation; nothing was changed."""

    def __init__(self, code: ErrorCode, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subject = subject

    def about(self, subject: str | None) -> DomainError:
        """The same error about another subject (a caller that knows better, e.g. an item of a list)."""
        return DomainError(self.code, self.message, subject)

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, subject={self.subject!r})"


class Unauthenticated(Exception):
    """No valid credential: the request gets a top-level UNAUTHENTICATED error."""


class Forbidden(Exception):
    """The credential's role may not do this: a top-level FORBIDDEN error."""
