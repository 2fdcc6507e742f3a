"""One batch loader per Node type: the keys of one request's global ids of that type in, the objects found out.

Each loader reads its rows in one query for all its keys, scoped to the viewer's organization (another
organization's key is simply not found); types with a natural key (Product, SeatPool, ...) are read as their own
query reads them, once, and matched by key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.models import Model

from seatwise.gql.graphql.billing.alerts import Alert, alert_key
from seatwise.gql.graphql.billing.types import Charge, PaymentCard, ProductSubscription
from seatwise.gql.graphql.core.common import Product, ProductRole
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.events.types import AuditEvent
from seatwise.gql.graphql.exports.types import DataExport
from seatwise.gql.graphql.groups.types import Group, LicenseWait
from seatwise.gql.graphql.people.types import ApiToken, Organization, User
from seatwise.gql.graphql.seats.conflicts import LicenseConflict
from seatwise.gql.graphql.seats.types import LicenseAssignment, SeatPool
from seatwise.gql.graphql.support.types import ServiceRequest
from seatwise.gql.graphql.webhooks.types import Event, WebhookDelivery, WebhookEndpoint
from seatwise.models.billing import alerts as alert_rules
from seatwise.models.core import tables
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.lookups import rows_by_keys
from seatwise.models.seats import conflicts as conflict_rules
from seatwise.models.seats import licenses as seat_rules

Loader = Callable[[Context, list[str]], Awaitable[dict[str, Any]]]


def _rows(model: type[Model], convert: Callable[[Context, Any], Any], **options: Any) -> Loader:
    async def load(context: Context, keys: list[str]) -> dict[str, Any]:
        rows: dict[str, Any] = await rows_by_keys(model, context.viewer.org, keys, **options)
        return {key: convert(context, row) for key, row in rows.items()}

    return load


async def _organizations(context: Context, keys: list[str]) -> dict[str, Any]:
    org = context.viewer.org
    return {key: Organization.from_model(org) for key in keys if parse_id(key) == org.id}


async def _assignments(context: Context, keys: list[str]) -> dict[str, Any]:
    rows = await rows_by_keys(tables.LicenseAssignment, context.viewer.org, keys)
    products = await context.products() if rows else {}
    found = {}
    for key, row in rows.items():
        line = await context.conflict_line(seat_rules.pool_of(row, products[row.product_id]))
        found[key] = LicenseAssignment.from_model(row, products[row.product_id], line is not None and line.holds(row))
    return found


async def _products(context: Context, keys: list[str]) -> dict[str, Any]:
    products = await context.products()
    return {key: Product.from_model(products[key]) for key in keys if key in products}


async def _roles(context: Context, keys: list[str]) -> dict[str, Any]:
    roles = {f"{view.product_sku}:{view.key}": view for views in (await context.product_roles()).values() for view in views}
    return {key: ProductRole.from_view(roles[key]) for key in keys if key in roles}


async def _pools(context: Context, keys: list[str]) -> dict[str, Any]:
    pools = {pool.product.sku: pool for pool in await seat_rules.seat_pools(context.viewer.org, None)}
    return {key: SeatPool.from_model(pools[key]) for key in keys if key in pools}


async def _conflicts(context: Context, keys: list[str]) -> dict[str, Any]:
    viewer = context.viewer
    found = [LicenseConflict.from_model(c) for c in await conflict_rules.license_conflicts(viewer.org, now=viewer.now)]
    by_key = {conflict.product.sku: conflict for conflict in found}
    return {key: by_key[key] for key in keys if key in by_key}


async def _alerts(context: Context, keys: list[str]) -> dict[str, Any]:
    now = context.viewer.now
    by_key = {
        alert_key(alert): alert
        for alert in (Alert.from_model(a, now) for a in await alert_rules.alerts(context.viewer.org, now=now))
    }
    return {key: by_key[key] for key in keys if key in by_key}


async def _waits(context: Context, keys: list[str]) -> dict[str, Any]:
    wanted = {key: (parse_id(key.partition(":")[0]), key.partition(":")[2]) for key in keys}
    users = sorted({user_id for user_id, _ in wanted.values() if user_id is not None})
    waits = {(w.user_id, w.product_id): (w, position) for rows in await context.waits.load_many(users) for w, position in rows}
    org_id = context.viewer.org.id  # the waits are read by user id: another organization's user answers null
    return {
        key: LicenseWait.from_model(*waits[pair])
        for key, pair in wanted.items()
        if pair in waits and waits[pair][0].organization_id == org_id
    }


async def _none(context: Context, keys: list[str]) -> dict[str, Any]:
    return {}  # a live LicenseEvent is not kept: its id only lets a cache merge it


async def _deliveries(context: Context, keys: list[str]) -> dict[str, Any]:
    rows = await rows_by_keys(
        tables.WebhookDelivery, context.viewer.org, keys, org_field="endpoint__organization_id", related=("endpoint", "event")
    )
    return {key: WebhookDelivery.from_model(row, row.endpoint, row.event) for key, row in rows.items()}


LOADERS: dict[str, Loader] = {
    "Organization": _organizations,
    "User": _rows(tables.User, lambda c, row: User.from_model(row), deleted_at__isnull=True),
    "ApiToken": _rows(
        tables.Credential, lambda c, row: ApiToken.from_model(row), related=("user",), kind=tables.CredentialKind.API_TOKEN
    ),
    "PaymentCard": _rows(tables.PaymentCard, lambda c, row: PaymentCard.from_model(row, c.viewer.now)),
    "ProductSubscription": _rows(tables.Subscription, lambda c, row: ProductSubscription.from_model(row)),
    "Charge": _rows(tables.Charge, lambda c, row: Charge.from_model(row)),
    "ServiceRequest": _rows(tables.ServiceRequest, lambda c, row: ServiceRequest.from_model(row)),
    "DataExport": _rows(tables.DataExport, lambda c, row: DataExport.from_model(row)),
    "AuditEvent": _rows(tables.AuditEvent, lambda c, row: AuditEvent.from_model(row)),
    "Group": _rows(tables.Group, lambda c, row: Group.from_model(row)),
    "Event": _rows(tables.Event, lambda c, row: Event.from_model(row)),
    "WebhookEndpoint": _rows(tables.WebhookEndpoint, lambda c, row: WebhookEndpoint.from_model(row)),
    "WebhookDelivery": _deliveries,
    "LicenseAssignment": _assignments,
    "Product": _products,
    "ProductRole": _roles,
    "SeatPool": _pools,
    "LicenseConflict": _conflicts,
    "Alert": _alerts,
    "LicenseWait": _waits,
    "LicenseEvent": _none,
}
