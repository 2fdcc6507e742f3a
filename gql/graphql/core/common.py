"""Output types shared by every area: money, products, pages, and the enums of the domain as the API shows them."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry

from seatwise.models.billing import alerts as alert_rules
from seatwise.models.billing import gateway
from seatwise.models.core import tables
from seatwise.models.core.pages import Page
from seatwise.models.events import audit as audit_rules
from seatwise.models.events.live import LicenseEventKind as DomainLicenseEventKind
from seatwise.models.people import users as user_rules
from seatwise.models.seats import conflicts as conflict_rules
from seatwise.models.seats import licenses as seat_rules


def exposed(domain_enum, name: str, *, description: str | None = None, values: dict[str, str] | None = None):
    """A domain enum (models/) as a GraphQL enum, with descriptions for the type and its values."""
    exposed_enum = strawberry.enum(domain_enum, name=name, description=description)
    definition = exposed_enum.__strawberry_definition__
    if values:
        definition.values = [
            dataclasses.replace(value, description=values.get(value.name, value.description)) for value in definition.values
        ]
    return exposed_enum


AdminRole = exposed(tables.AdminRole, "AdminRole")
CredentialKind = exposed(tables.CredentialKind, "CredentialKind")
ApiTokenScope = exposed(
    tables.TokenScope,
    "ApiTokenScope",
    values={
        "GRAPHQL": "The GraphQL API at /graphql.",
        "SCIM": "Directory provisioning at /scim/v2 only (role GLOBAL_ADMIN or USER_ADMIN).",
    },
)
SubscriptionStatus = exposed(tables.SubscriptionStatus, "SubscriptionStatus")
SubscriptionStatusReason = exposed(tables.StatusReason, "SubscriptionStatusReason")
CardBrand = exposed(tables.CardBrand, "CardBrand")
ChargeStatus = exposed(tables.ChargeStatus, "ChargeStatus")
ServiceRequestCategory = exposed(tables.ServiceRequestCategory, "ServiceRequestCategory")
ServiceRequestStatus = exposed(tables.ServiceRequestStatus, "ServiceRequestStatus")
ExportFormat = exposed(tables.ExportFormat, "ExportFormat")
UserStatus = exposed(user_rules.UserStatus, "UserStatus")
LicenseEventKind = exposed(DomainLicenseEventKind, "LicenseEventKind")
ConflictCause = exposed(conflict_rules.ConflictCause, "ConflictCause")
RemedyKind = exposed(conflict_rules.RemedyKind, "RemedyKind")
AlertKind = exposed(alert_rules.AlertKind, "AlertKind")
LicenseState = exposed(
    seat_rules.LicenseState,
    "LicenseState",
    values={
        "CONFLICT": "Beyond the purchased licenses of a product in conflict: access is denied.",
    },
)
ChargeFailureCode = exposed(gateway.ChargeFailureCode, "ChargeFailureCode")
AuditTargetType = exposed(audit_rules.AuditTarget, "AuditTargetType")
AccessDenialReason = exposed(seat_rules.AccessDenialReason, "AccessDenialReason")


@strawberry.type
class Money:
    amount_cents: int
    currency: str = strawberry.field(description="ISO-4217 code, e.g. USD.")

    @classmethod
    def usd(cls, cents: int, currency: str = "USD") -> Money:
        return cls(amount_cents=cents, currency=currency)


@strawberry.type
class Product:
    sku: str
    name: str
    unit_price: Money = strawberry.field(description="Price of one license for one billing period (one month).")

    @classmethod
    def from_model(cls, product: tables.Product) -> Product:
        return cls(sku=product.sku, name=product.name, unit_price=Money.usd(product.unit_price_cents, product.currency))


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def from_page(cls, page: Page) -> PageInfo:
        return cls(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursor(0) if page.items else None,
            end_cursor=page.cursor(len(page.items) - 1) if page.items else None,
        )


def connection(page: Page, node, edge_cls, connection_cls):
    """Build a <X>Connection from a page, converting each row with `node`."""
    edges = [edge_cls(cursor=page.cursor(i), node=node(item)) for i, item in enumerate(page.items)]
    return connection_cls(edges=edges, page_info=PageInfo.from_page(page), page=page)


async def _total_count(root: Any) -> int:
    return await root.page.total()


def total_count_field() -> Any:
    """A connection's totalCount: a COUNT run only when the query selects it (models/pages.py)."""
    return strawberry.field(resolver=_total_count)
