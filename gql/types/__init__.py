"""Output types of the API, display only (`X.from_model`), one module per area; imported from here."""

from seatwise.gql.types.billing import Charge, ChargeConnection, ChargeEdge, PaymentCard, ProductSubscription, Quote
from seatwise.gql.types.common import (
    AccessDenialReason, AdminRole, AlertKind, AuditTargetType, CardBrand, ChargeFailureCode, ChargeStatus, ConflictCause,
    CredentialKind, ExportFormat, LicenseEventKind, LicenseState, Money, PageInfo, Product, RemedyKind, ServiceRequestCategory,
    ServiceRequestStatus, SubscriptionStatus, SubscriptionStatusReason, UserStatus, connection,
)
from seatwise.gql.types.people import AccessDecision, ApiToken, Organization, User, UserConnection, UserEdge, Viewer
from seatwise.gql.types.records import (
    AuditEvent, AuditEventConnection, AuditEventEdge, DataExport, ServiceRequest, ServiceRequestConnection, ServiceRequestEdge,
)
from seatwise.gql.types.seats import LicenseAssignment, SeatPool

__all__ = [
    "AccessDecision", "AccessDenialReason", "AdminRole", "AlertKind", "ApiToken", "AuditEvent", "AuditEventConnection",
    "AuditEventEdge", "AuditTargetType", "CardBrand", "Charge", "ChargeConnection", "ChargeEdge", "ChargeFailureCode",
    "ChargeStatus", "ConflictCause", "CredentialKind", "DataExport", "ExportFormat", "LicenseAssignment", "LicenseEventKind",
    "LicenseState", "Money", "Organization", "PageInfo", "PaymentCard", "Product", "ProductSubscription", "Quote", "RemedyKind",
    "SeatPool", "ServiceRequest", "ServiceRequestCategory", "ServiceRequestConnection", "ServiceRequestEdge",
    "ServiceRequestStatus", "SubscriptionStatus", "SubscriptionStatusReason", "User", "UserConnection", "UserEdge", "UserStatus",
    "Viewer", "connection",
]
