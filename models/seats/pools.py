"""Seat pools: one counter row per organization and product (`seat_pool`), as read, and where its conflict starts.

A pool counts the licenses `purchased` (from the counting subscriptions) and `assigned`, and the users `waiting`.
While `assigned > purchased` the product is in conflict, and the row also keeps the conflict line
(`line_assigned_at`, `line_id`): the (assignedAt, id) of the first assignment beyond the purchased licenses, in
(assignedAt, id) order. The seat ledger (models/seats/ledger.py) is the only writer of these rows; it stores the line
of every pool a change touched before commit, and migration 0012 stored it for the pools that existed before. The
line is null exactly when the pool is not in conflict, and every reader of a license's state takes it from the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tortoise import connections

from seatwise.models.core.db import placeholders
from seatwise.models.core.tables import LicenseAssignment, Organization, Product, SeatPool


@dataclass(frozen=True)
class PoolView:
    """A product's seat pool of one organization at one moment."""

    product: Product
    purchased: int
    assigned: int
    waiting: int = 0

    @property
    def available(self) -> int:
        return max(self.purchased - self.assigned, 0)

    @property
    def overage(self) -> int:
        return max(self.assigned - self.purchased, 0)

    @property
    def in_conflict(self) -> bool:
        return self.overage > 0


_POOLS_SQL = (
    f'SELECT "product_id", "purchased", "assigned", "waiting" FROM "{SeatPool._meta.db_table}" WHERE "organization_id" = ?'
)


async def read_pools(org: Organization, products: list[Product]) -> list[PoolView]:
    """The counters of these products, read as they are (zeros for a product never bought): one statement, the same
    text for every organization (built once, prepared once per asyncpg connection), read as tuples."""
    client = connections.get("default")
    rows = await client.execute_query_dict(placeholders(_POOLS_SQL, client.capabilities.dialect), [org.id])
    found = {row["product_id"]: (row["purchased"], row["assigned"], row["waiting"]) for row in rows}
    return [PoolView(p, *found.get(p.sku, (0, 0, 0))) for p in products]


async def find_line(org_id: int, sku: str, purchased: int, assigned: int) -> tuple[datetime, int] | None:
    """Where the conflict of a product with these counters starts, found in the index: the (assigned_at, id) of its
    first assignment beyond `purchased`, walking the shorter end (`min(overage, purchased)` entries); None when not
    in conflict. What the ledger stores in the pool row (readers never walk: they read the row)."""
    overage = assigned - purchased
    if overage <= 0:
        return None
    mine = LicenseAssignment.filter(organization_id=org_id, product_id=sku)
    if overage <= purchased:
        mine = mine.order_by("-assigned_at", "-id").offset(overage - 1)
    else:
        mine = mine.order_by("assigned_at", "id").offset(purchased)
    rows = await mine.limit(1).values_list("assigned_at", "id")
    return cast(tuple[datetime, int], tuple(rows[0])) if rows else None
