"""The target's current state an audit event's event carries (docs/rules.md section 15): the user, group or
subscription it names, and the seat pool of the product it concerns, read in the transaction of the change.

Bounded: one query per kind of target in the change (users, groups, subscriptions; per 10,000 of them) and one for the pools, however
many events it writes. Only what the API shows: never a password hash, token or gateway token."""

from __future__ import annotations

from typing import Any

from seatwise.models.core.clock import iso
from seatwise.models.core.tables import AuditEvent, Group, SeatPool, Subscription, User

CHUNK = 10_000  # ids per query (PostgreSQL takes at most 32,767 parameters in a statement)
# Target type -> (the table, its columns, how the API names them).
_USER = ("id", "email", "display_name", "admin_role", "deleted_at", "external_id")
_GROUP = ("id", "display_name", "source", "external_id")
_SUBSCRIPTION = ("id", "product_id", "quantity", "status", "current_period_end", "cancel_at_period_end", "grace_ends_at")
_NAMES = {
    "display_name": "displayName",
    "admin_role": "adminRole",
    "deleted_at": "deletedAt",
    "external_id": "externalId",
    "product_id": "product",
    "current_period_end": "currentPeriodEnd",
    "cancel_at_period_end": "cancelAtPeriodEnd",
    "grace_ends_at": "graceEndsAt",
}
_TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "USER": (User, _USER),
    "GROUP": (Group, _GROUP),
    "SUBSCRIPTION": (Subscription, _SUBSCRIPTION),
}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    shown = {}
    for column, value in row.items():
        if hasattr(value, "isoformat"):
            value = iso(value)
        elif hasattr(value, "value"):  # an enum
            value = value.value
        shown[_NAMES.get(column, column)] = str(value) if column == "id" else value
    return shown


def _id(target_id: str) -> int | None:
    return int(target_id) if target_id.isdigit() else None


async def _targets(org_id: int, rows: list[AuditEvent]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, (table, columns) in _TABLES.items():
        ids = {pk for row in rows if row.target_type == kind and (pk := _id(row.target_id)) is not None}
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            for state in await table.filter(organization_id=org_id, id__in=chunk).values(*columns):
                found[(kind, str(state["id"]))] = _shown(state)
    return found


def _product(row: AuditEvent, target: dict[str, Any] | None) -> str | None:
    product = (row.details or {}).get("product")
    if isinstance(product, str):
        return product
    return target["product"] if row.target_type == "SUBSCRIPTION" and target else None


async def current(org_id: int, rows: list[AuditEvent]) -> list[dict[str, Any]]:
    """For each audit event (in order): `target` (the state, null when it is gone; absent for targets without one)
    and `pool` (the seat pool of the product it concerns, when it concerns one)."""
    targets = await _targets(org_id, rows)
    products = [_product(row, targets.get((row.target_type, row.target_id))) for row in rows]
    wanted = sorted({p for p in products if p})
    pools = {}
    if wanted:
        for sku, purchased, assigned, waiting in await SeatPool.filter(organization_id=org_id, product_id__in=wanted).values_list(
            "product_id", "purchased", "assigned", "waiting"
        ):
            pools[sku] = {
                "product": sku,
                "purchased": purchased,
                "assigned": assigned,
                "available": max(purchased - assigned, 0),
                "waiting": waiting,
                "inConflict": assigned > purchased,
            }
    states = []
    for row, product in zip(rows, products, strict=True):
        state: dict[str, Any] = {}
        if row.target_type in _TABLES:
            state["target"] = targets.get((row.target_type, row.target_id))
        if product:
            state["pool"] = pools.get(product)
        states.append(state)
    return states
