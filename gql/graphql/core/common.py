"""Output types shared by every area: money, products and their quotes, pages; the enums of people and credentials."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.catalog.prices import QuoteView
from seatwise.models.core import tables
from seatwise.models.core.pages import Page
from seatwise.models.people import users as user_rules
from seatwise.models.roles.catalog import RoleView
from seatwise.models.seats import licenses as seat_rules


def exposed(domain_enum, name: str, *, description: str | None = None, values: dict[str, str] | None = None):
    """A domain enum (models/) as a GraphQL enum, with descriptions for the type and its values (by value name;
    a name the enum does not have is an error, so that a renamed value cannot leave its description behind)."""
    exposed_enum = strawberry.enum(domain_enum, name=name, description=description)
    definition = exposed_enum.__strawberry_definition__
    unknown = sorted(set(values or {}) - {value.name for value in definition.values})
    if unknown:
        raise ValueError(f"{name} has no values {', '.join(unknown)}")
    if values:
        definition.values = [
            dataclasses.replace(value, description=values.get(value.name, value.description)) for value in definition.values
        ]
    return exposed_enum


AdminRole = exposed(
    tables.AdminRole,
    "AdminRole",
    description="What an admin (or API token) may do.",
    values={
        "GLOBAL_ADMIN": "Everything, including roles, API tokens and the test clock.",
        "BILLING_ADMIN": "Billing: cards, purchases, reductions, cancellations and data exports.",
        "USER_ADMIN": "Users and licenses: create, delete, restore, assign, revoke.",
        "READER": "Read-only: every query, no change.",
    },
)
CredentialKind = exposed(
    tables.CredentialKind,
    "CredentialKind",
    description="How a request authenticated.",
    values={
        "SESSION": "A session token from signIn (lapses after 12 hours).",
        "API_TOKEN": "An API token from createApiToken or the CLI.",
    },
)
ApiTokenScope = exposed(
    tables.TokenScope,
    "ApiTokenScope",
    description="Which API a token may call: GraphQL, or directory provisioning over SCIM.",
    values={
        "GRAPHQL": "The GraphQL API at /graphql.",
        "SCIM": "Directory provisioning at /scim/v2 only (role GLOBAL_ADMIN or USER_ADMIN).",
    },
)
UserStatus = exposed(
    user_rules.UserStatus,
    "UserStatus",
    description="A user's status, derived from deletion and licenses.",
    values={
        "ACTIVE": "Not deleted and holding at least one license.",
        "DISABLED": "Not deleted and holding no license.",
        "DELETED": "Deleted; restorable for 30 days, then purged.",
    },
)
AccessDenialReason = exposed(
    seat_rules.AccessDenialReason,
    "AccessDenialReason",
    description="Why accessCheck denies access.",
    values={
        "UNKNOWN_USER": "No user of the organization has this email.",
        "ACCOUNT_DELETED": "The user is deleted.",
        "NO_LICENSE": "The user holds no license of the product.",
        "LICENSE_CONFLICT": "The user's license of the product is in CONFLICT.",
        "WAITING_FOR_LICENSE": "The user has no license yet and waits in the product's queue (group-based licensing).",
    },
)


@strawberry.type(description="An amount of money.")
class Money:
    amount_cents: int = strawberry.field(description="The amount in cents (hundredths of the currency unit).")
    currency: str = strawberry.field(description="ISO-4217 code, e.g. USD.")

    @classmethod
    def usd(cls, cents: int, currency: str = "USD") -> Money:
        return cls(amount_cents=cents, currency=currency)


@strawberry.type(description="A product of the catalog, licensed per user.")
class Product(relay.Node):
    sku: str = strawberry.field(description="Stable identifier, e.g. CRM_PROFESSIONAL.")
    name: str = strawberry.field(description="Name shown, e.g. CRM Online Professional.")
    unit_price: Money = strawberry.field(description="Price of one license for one billing period (one month).")

    @classmethod
    def from_model(cls, product: tables.Product) -> Product:
        return cls(sku=product.sku, name=product.name, unit_price=Money.usd(product.unit_price_cents, product.currency))

    @classmethod
    def resolve_id(cls, root: Product, *, info: Info) -> str:
        return root.sku  # the natural key: the catalog's sku (docs/api.md)

    @strawberry.field(
        description="The security roles of this product in the viewer's organization: the shipped ones and its own."
    )
    async def roles(self, info: Info) -> list[ProductRole]:
        return [ProductRole.from_view(role) for role in (await info.context.product_roles()).get(self.sku, [])]


@strawberry.type(description="A security role of a product: what a user may do in it once signed in (docs/rules.md section 14).")
class ProductRole(relay.Node):
    # Beside Product (its field `roles` lists them); the rest of the roles area is gql/graphql/roles/.
    key: str = strawberry.field(description="e.g. SALESPERSON.")
    name: str = strawberry.field(description="The name shown, e.g. Salesperson.")
    description: str = strawberry.field(description="What the role may do.")
    built_in: bool = strawberry.field(description="Shipped with the catalog (cannot be changed), or the organization's own.")
    view: strawberry.Private[RoleView]

    @classmethod
    def from_view(cls, view: RoleView) -> ProductRole:
        return cls(key=view.key, name=view.name, description=view.description, built_in=view.built_in, view=view)

    @classmethod
    def resolve_id(cls, root: ProductRole, *, info: Info) -> str:
        return f"{root.view.product_sku}:{root.key}"  # product and key (docs/api.md)

    @strawberry.field(description="The product the role belongs to.")
    async def product(self, info: Info) -> Product:
        return Product.from_model((await info.context.products())[self.view.product_sku])


@strawberry.type(description="The price of a purchase of licenses at this moment.")
class Quote:
    product: Product = strawberry.field(description="The product to buy.")
    quantity: int = strawberry.field(description="Licenses to buy.")
    amount_due: Money = strawberry.field(description="What would be charged now, in whole cents.")
    prorated: bool = strawberry.field(description="True when the amount covers only the rest of the current billing period.")
    period_end: DateTime = strawberry.field(description="End of the billing period the amount pays for.")

    @classmethod
    def from_view(cls, view: QuoteView) -> Quote:
        return cls(
            product=Product.from_model(view.product),
            quantity=view.quantity,
            amount_due=Money.usd(view.amount_cents, view.product.currency),
            prorated=view.prorated,
            period_end=view.period_end,
        )


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item; null for an empty page.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item, to pass as after for the next page; null for an empty page."
    )

    @classmethod
    def from_page(cls, page: Page) -> PageInfo:
        return cls(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursor(0) if page.items else None,
            end_cursor=page.cursor(len(page.items) - 1) if page.items else None,
        )


def connection(page: Page, node, edge_cls, connection_cls):
    """Build a <X>Connection from a page, converting each row with `node`: its edges and its `nodes` (the same
    objects, in the same order)."""
    edges = [edge_cls(cursor=page.cursor(i), node=node(item)) for i, item in enumerate(page.items)]
    return connection_cls(edges=edges, nodes=[edge.node for edge in edges], page_info=PageInfo.from_page(page), page=page)


async def _total_count(root: Any) -> int:
    return await root.page.total()


def total_count_field(description: str) -> Any:
    """A connection's totalCount: a COUNT run only when the query selects it (models/core/pages.py)."""
    return strawberry.field(resolver=_total_count, description=description)
