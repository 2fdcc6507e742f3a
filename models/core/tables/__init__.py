"""Tortoise models: the tables of Seatwise, one module per area. Rules live in the domain packages of models/.

Every table and enumeration is imported from here (`from seatwise.models.core.tables import User`): Tortoise is
configured with this module (models/core/db.py) and finds the models among its attributes, and the migrations
import their enumerations from it."""

from seatwise.models.core.tables.billing import (
    Charge,
    ChargeAttempt,
    GatewayCustomer,
    IdempotencyKey,
    PaymentCard,
    SandboxCardToken,
    Subscription,
)
from seatwise.models.core.tables.enums import (
    AdminRole,
    CardBrand,
    ChargeStatus,
    CredentialKind,
    ExportFormat,
    GroupSource,
    ServiceRequestCategory,
    ServiceRequestStatus,
    StatusReason,
    SubscriptionStatus,
    TokenScope,
)
from seatwise.models.core.tables.groups import Group, GroupMember, GroupProduct
from seatwise.models.core.tables.outbox import (
    Event,
    EventCounter,
    MailDelivery,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from seatwise.models.core.tables.people import Credential, Organization, SignInFailure, User
from seatwise.models.core.tables.records import AuditEvent, DataExport, DataExportChunk, ServiceRequest
from seatwise.models.core.tables.roles import CatalogRole, GroupRole, ProductRole, RoleGrant
from seatwise.models.core.tables.seats import LicenseAssignment, LicenseWait, Product, SeatPool
from seatwise.models.core.tables.usage import LicenseDormancy, ReclaimPolicy

__all__ = [
    "AdminRole",
    "AuditEvent",
    "CardBrand",
    "CatalogRole",
    "Charge",
    "ChargeAttempt",
    "ChargeStatus",
    "Credential",
    "CredentialKind",
    "DataExport",
    "DataExportChunk",
    "Event",
    "EventCounter",
    "ExportFormat",
    "GatewayCustomer",
    "Group",
    "GroupMember",
    "GroupProduct",
    "GroupRole",
    "GroupSource",
    "IdempotencyKey",
    "LicenseAssignment",
    "LicenseDormancy",
    "LicenseWait",
    "MailDelivery",
    "NotificationPreference",
    "Organization",
    "PaymentCard",
    "Product",
    "ProductRole",
    "ReclaimPolicy",
    "RoleGrant",
    "SandboxCardToken",
    "SeatPool",
    "ServiceRequest",
    "ServiceRequestCategory",
    "ServiceRequestStatus",
    "SignInFailure",
    "StatusReason",
    "Subscription",
    "SubscriptionStatus",
    "TokenScope",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
