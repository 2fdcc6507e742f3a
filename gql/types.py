"""Output types of the contract: display only, built from models with `from_model`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from gql.scalars import JSON, DateTime
from models import alerts as alert_rules, conflicts as conflict_rules, tables, users as user_rules
from models.events import LicenseEventKind as DomainLicenseEventKind
from models.pages import Page
from models.seats import PoolView

AdminRole = strawberry.enum(tables.AdminRole, name="AdminRole")
CredentialKind = strawberry.enum(tables.CredentialKind, name="CredentialKind")
SubscriptionStatus = strawberry.enum(tables.SubscriptionStatus, name="SubscriptionStatus")
SubscriptionStatusReason = strawberry.enum(tables.StatusReason, name="SubscriptionStatusReason")
CardBrand = strawberry.enum(tables.CardBrand, name="CardBrand")
ChargeStatus = strawberry.enum(tables.ChargeStatus, name="ChargeStatus")
ServiceRequestCategory = strawberry.enum(tables.ServiceRequestCategory, name="ServiceRequestCategory")
ServiceRequestStatus = strawberry.enum(tables.ServiceRequestStatus, name="ServiceRequestStatus")
ExportFormat = strawberry.enum(tables.ExportFormat, name="ExportFormat")
UserStatus = strawberry.enum(user_rules.UserStatus, name="UserStatus")
LicenseEventKind = strawberry.enum(DomainLicenseEventKind, name="LicenseEventKind")
ConflictCause = strawberry.enum(conflict_rules.ConflictCause, name="ConflictCause")
RemedyKind = strawberry.enum(conflict_rules.RemedyKind, name="RemedyKind")
AlertKind = strawberry.enum(alert_rules.AlertKind, name="AlertKind")


@strawberry.enum
class LicenseState(enum.Enum):
    ACTIVE = "ACTIVE"
    CONFLICT = strawberry.enum_value("CONFLICT", description="Beyond the purchased licenses of a product in conflict: access is denied.")


@strawberry.enum
class ChargeFailureCode(enum.Enum):
    CARD_DECLINED = "CARD_DECLINED"
    CARD_EXPIRED = "CARD_EXPIRED"








@strawberry.enum
class AuditTargetType(enum.Enum):
    ORGANIZATION = "ORGANIZATION"
    USER = "USER"
    SUBSCRIPTION = "SUBSCRIPTION"
    PAYMENT_CARD = "PAYMENT_CARD"
    SERVICE_REQUEST = "SERVICE_REQUEST"
    DATA_EXPORT = "DATA_EXPORT"
    API_TOKEN = "API_TOKEN"
    SESSION = "SESSION"


@strawberry.enum
class AccessDenialReason(enum.Enum):
    UNKNOWN_USER = "UNKNOWN_USER"
    ACCOUNT_DELETED = "ACCOUNT_DELETED"
    NO_LICENSE = "NO_LICENSE"
    LICENSE_CONFLICT = "LICENSE_CONFLICT"


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    sandbox: bool = strawberry.field(description="A sandbox organization has a test clock that only advanceTestClock moves.")
    now: DateTime = strawberry.field(description="The organization's current time: the wall clock, or its test clock in a sandbox.")
    created_at: DateTime

    @classmethod
    def from_model(cls, org: tables.Organization) -> "Organization":
        from models.clock import org_now

        return cls(id=strawberry.ID(str(org.id)), name=org.name, sandbox=org.sandbox, now=org_now(org), created_at=org.created_at)


@strawberry.type
class Money:
    amount_cents: int
    currency: str = strawberry.field(description="ISO-4217 code, e.g. USD.")

    @classmethod
    def usd(cls, cents: int, currency: str = "USD") -> "Money":
        return cls(amount_cents=cents, currency=currency)


@strawberry.type
class Product:
    sku: str
    name: str
    unit_price: Money = strawberry.field(description="Price of one license for one billing period (one month).")

    @classmethod
    def from_model(cls, product: tables.Product) -> "Product":
        return cls(sku=product.sku, name=product.name, unit_price=Money.usd(product.unit_price_cents, product.currency))


@strawberry.type
class SeatPool:
    product: Product
    purchased: int = strawberry.field(description="Licenses of ACTIVE and GRACE_PERIOD subscriptions of this product.")
    assigned: int = strawberry.field(description="Licenses assigned to users who are not deleted.")
    available: int = strawberry.field(description="max(purchased - assigned, 0)")
    overage: int = strawberry.field(description="max(assigned - purchased, 0)")
    in_conflict: bool

    @classmethod
    def from_model(cls, pool: PoolView) -> "SeatPool":
        return cls(
            product=Product.from_model(pool.product), purchased=pool.purchased, assigned=pool.assigned,
            available=pool.available, overage=pool.overage, in_conflict=pool.in_conflict,
        )


@strawberry.type
class LicenseAssignment:
    id: strawberry.ID
    product: Product
    assigned_at: DateTime = strawberry.field(description="When this license was (last) given to the user; seniority in a conflict.")
    state: LicenseState

    @classmethod
    def from_model(cls, row: tables.LicenseAssignment, product: tables.Product, in_conflict: bool) -> "LicenseAssignment":
        return cls(
            id=strawberry.ID(str(row.id)), product=Product.from_model(product), assigned_at=row.assigned_at,
            state=LicenseState.CONFLICT if in_conflict else LicenseState.ACTIVE,
        )


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    display_name: str
    admin_role: Optional[AdminRole]
    created_at: DateTime
    deleted_at: Optional[DateTime]
    restorable_until: Optional[DateTime]
    model: strawberry.Private[tables.User]

    @classmethod
    def from_model(cls, user: tables.User) -> "User":
        return cls(
            id=strawberry.ID(str(user.id)), email=user.email, display_name=user.display_name,
            admin_role=user.admin_role, created_at=user.created_at, deleted_at=user.deleted_at,
            restorable_until=user_rules.restorable_until(user), model=user,
        )

    @strawberry.field
    async def status(self, info: Info) -> UserStatus:
        return user_rules.status_of(self.model, len(await info.context.licenses.load(self.model.id)))

    @strawberry.field
    async def licenses(self, info: Info) -> list[LicenseAssignment]:
        rows = await info.context.licenses.load(self.model.id)
        if not rows:
            return []
        conflicts = await info.context.conflict_ids()
        products = await info.context.products()
        return [LicenseAssignment.from_model(row, products[row.product_id], row.id in conflicts) for row in rows]


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: Optional[str]
    end_cursor: Optional[str]

    @classmethod
    def from_page(cls, page: Page) -> "PageInfo":
        return cls(
            has_next_page=page.has_next, has_previous_page=page.has_previous,
            start_cursor=page.cursor(0) if page.items else None,
            end_cursor=page.cursor(len(page.items) - 1) if page.items else None,
        )




def connection(page: Page, node, edge_cls, connection_cls):
    """Build a <X>Connection from a page, converting each row with `node`."""
    edges = [edge_cls(cursor=page.cursor(i), node=node(item)) for i, item in enumerate(page.items)]
    return connection_cls(edges=edges, page_info=PageInfo.from_page(page), total_count=page.total)


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[tables.User]) -> "UserConnection":
        return connection(page, User.from_model, UserEdge, cls)


@strawberry.type
class Viewer:
    user: User
    role: AdminRole
    credential: CredentialKind
    organization: Organization

    @classmethod
    def from_model(cls, viewer) -> "Viewer":
        return cls(
            user=User.from_model(viewer.user), role=viewer.role, credential=viewer.credential.kind,
            organization=Organization.from_model(viewer.org),
        )


@strawberry.type
class ApiToken:
    id: strawberry.ID
    name: str
    role: AdminRole
    owner: str = strawberry.field(description="Email of the admin who created it and whom it acts as.")
    created_at: DateTime
    last_used_at: Optional[DateTime]
    expires_at: Optional[DateTime]
    revoked_at: Optional[DateTime]

    @classmethod
    def from_model(cls, row: tables.Credential) -> "ApiToken":
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, role=row.role, owner=row.user.email, created_at=row.created_at,
            last_used_at=row.last_used_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
        )


@strawberry.type
class AccessDecision:
    allowed: bool
    reason: Optional[AccessDenialReason]


# ---------------------------------------------------------------- billing


@strawberry.type
class PaymentCard:
    id: strawberry.ID
    brand: CardBrand
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    expired: bool = strawberry.field(description="The card's expiry month has passed.")
    created_at: DateTime

    @classmethod
    def from_model(cls, card: tables.PaymentCard, now: datetime) -> "PaymentCard":
        from models.gateway import is_expired

        return cls(
            id=strawberry.ID(str(card.id)), brand=card.brand, last4=card.last4, exp_month=card.exp_month,
            exp_year=card.exp_year, is_default=card.is_default, expired=is_expired(card.exp_month, card.exp_year, now),
            created_at=card.created_at,
        )


@strawberry.type(description="A subscription to one product, carrying a number of licenses.")
class ProductSubscription:
    id: strawberry.ID
    quantity: int = strawberry.field(description="Licenses purchased in this subscription.")
    status: SubscriptionStatus
    status_reason: Optional[SubscriptionStatusReason]
    current_period_start: DateTime
    current_period_end: DateTime
    cancel_at_period_end: bool
    grace_ends_at: Optional[DateTime]
    suspended_at: Optional[DateTime]
    cancelled_at: Optional[DateTime]
    created_at: DateTime
    model: strawberry.Private[tables.Subscription]

    @classmethod
    def from_model(cls, sub: tables.Subscription) -> "ProductSubscription":
        return cls(
            id=strawberry.ID(str(sub.id)), quantity=sub.quantity, status=sub.status, status_reason=sub.status_reason,
            current_period_start=sub.current_period_start, current_period_end=sub.current_period_end,
            cancel_at_period_end=sub.cancel_at_period_end, grace_ends_at=sub.grace_ends_at,
            suspended_at=sub.suspended_at, cancelled_at=sub.cancelled_at, created_at=sub.created_at, model=sub,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_model((await info.context.products())[self.model.product_id])

    @strawberry.field(description="The card its next charge goes to (the organization's default card).")
    async def payment_card(self, info: Info) -> Optional[PaymentCard]:
        card = await info.context.default_card()
        return PaymentCard.from_model(card, info.context.viewer.now) if card else None


@strawberry.type
class Charge:
    id: strawberry.ID
    amount: Money
    status: ChargeStatus
    failure_code: Optional[ChargeFailureCode]
    description: str
    created_at: DateTime
    model: strawberry.Private[tables.Charge]

    @classmethod
    def from_model(cls, charge: tables.Charge) -> "Charge":
        return cls(
            id=strawberry.ID(str(charge.id)), amount=Money.usd(charge.amount_cents, charge.currency), status=charge.status,
            failure_code=ChargeFailureCode(charge.failure_code) if charge.failure_code else None,
            description=charge.description, created_at=charge.created_at, model=charge,
        )

    @strawberry.field
    async def subscription(self, info: Info) -> Optional[ProductSubscription]:
        if self.model.subscription_id is None:
            return None
        sub = await info.context.subscriptions.load(self.model.subscription_id)
        return ProductSubscription.from_model(sub) if sub else None


@strawberry.type
class ChargeEdge:
    cursor: str
    node: Charge


@strawberry.type
class ChargeConnection:
    edges: list[ChargeEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[tables.Charge]) -> "ChargeConnection":
        return connection(page, Charge.from_model, ChargeEdge, cls)


@strawberry.type
class Quote:
    product: Product
    quantity: int
    amount_due: Money
    prorated: bool = strawberry.field(description="True when the amount covers only the rest of the current billing period.")
    period_end: DateTime


# ---------------------------------------------------------------- support, exports, audit


@strawberry.type
class ServiceRequest:
    id: strawberry.ID
    category: ServiceRequestCategory
    status: ServiceRequestStatus
    description: str
    resolution: Optional[str] = strawberry.field(description="What was done, for RESOLVED requests.")
    created_at: DateTime
    resolved_at: Optional[DateTime]
    model: strawberry.Private[tables.ServiceRequest]

    @classmethod
    def from_model(cls, row: tables.ServiceRequest) -> "ServiceRequest":
        return cls(
            id=strawberry.ID(str(row.id)), category=row.category, status=row.status, description=row.description,
            resolution=row.resolution, created_at=row.created_at, resolved_at=row.resolved_at, model=row,
        )

    @strawberry.field
    async def subscription(self, info: Info) -> Optional[ProductSubscription]:
        if self.model.subscription_id is None:
            return None
        sub = await info.context.subscriptions.load(self.model.subscription_id)
        return ProductSubscription.from_model(sub) if sub else None


@strawberry.type
class ServiceRequestEdge:
    cursor: str
    node: ServiceRequest


@strawberry.type
class ServiceRequestConnection:
    edges: list[ServiceRequestEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[tables.ServiceRequest]) -> "ServiceRequestConnection":
        return connection(page, ServiceRequest.from_model, ServiceRequestEdge, cls)


@strawberry.type
class DataExport:
    id: strawberry.ID
    format: ExportFormat
    size_bytes: int
    sha256: str = strawberry.field(description="Lower-case hex SHA-256 of the file.")
    download_url: str = strawberry.field(description="Absolute URL of the file (a path when the request named no host); GET it with the same Authorization header.")
    created_at: DateTime

    @classmethod
    def from_model(cls, row: tables.DataExport) -> "DataExport":
        return cls(
            id=strawberry.ID(str(row.id)), format=row.format, size_bytes=row.size_bytes, sha256=row.sha256,
            download_url=f"/exports/{row.id}", created_at=row.created_at,
        )


@strawberry.type
class AuditEvent:
    id: strawberry.ID
    action: str = strawberry.field(description="e.g. license.assigned, user.deleted, subscription.cancel_requested")
    actor: Optional[str] = strawberry.field(description="Email of the admin who acted (an API token acts as its owner); null for the billing clock.")
    target_type: AuditTargetType
    target_id: strawberry.ID
    details: JSON
    at: DateTime

    @classmethod
    def from_model(cls, row: tables.AuditEvent) -> "AuditEvent":
        return cls(
            id=strawberry.ID(str(row.id)), action=row.action, actor=row.actor, target_type=AuditTargetType(row.target_type),
            target_id=strawberry.ID(row.target_id), details=row.details, at=row.at,
        )


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[tables.AuditEvent]) -> "AuditEventConnection":
        return connection(page, AuditEvent.from_model, AuditEventEdge, cls)
