"""The enumerations stored in the tables' columns (and imported by the migrations)."""

from __future__ import annotations

import enum


class AdminRole(str, enum.Enum):
    GLOBAL_ADMIN = "GLOBAL_ADMIN"
    BILLING_ADMIN = "BILLING_ADMIN"
    USER_ADMIN = "USER_ADMIN"
    READER = "READER"


class CredentialKind(str, enum.Enum):
    SESSION = "SESSION"
    API_TOKEN = "API_TOKEN"


class TokenScope(str, enum.Enum):
    GRAPHQL = "GRAPHQL"  # the GraphQL API at /graphql
    SCIM = "SCIM"  # directory provisioning at /scim/v2 only


class SubscriptionStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    GRACE_PERIOD = "GRACE_PERIOD"
    SUSPENDED = "SUSPENDED"
    CANCELLED = "CANCELLED"


class StatusReason(str, enum.Enum):
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED_BY_REQUEST = "CANCELLED_BY_REQUEST"


class CardBrand(str, enum.Enum):
    VISA = "VISA"
    MASTERCARD = "MASTERCARD"
    AMEX = "AMEX"
    DISCOVER = "DISCOVER"
    UNKNOWN = "UNKNOWN"


class ChargeStatus(str, enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ServiceRequestCategory(str, enum.Enum):
    CANCEL_SUBSCRIPTION = "CANCEL_SUBSCRIPTION"
    BILLING = "BILLING"
    LICENSING = "LICENSING"
    OTHER = "OTHER"


class ServiceRequestStatus(str, enum.Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class GroupSource(str, enum.Enum):
    SEATWISE = "SEATWISE"
    DIRECTORY = "DIRECTORY"


class ExportFormat(str, enum.Enum):
    JSON = "JSON"
    CSV = "CSV"
