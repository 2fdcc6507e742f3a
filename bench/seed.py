"""Seeding the benchmark's organizations in seconds: bulk inserts (COPY on PostgreSQL, executemany on SQLite).

`seed_org(size, tag, now=...)` runs inside an open Tortoise connection (`db.connected(url)`) and makes:

- the organization, its GLOBAL_ADMIN and an API token (`organizations.create_organization`, then
  `tokens.create_api_token` as that admin: the token the requests carry);
- `size` users (`userNNNNNN@<tag>.bench.test`);
- licenses of the three catalog products, assigned one second apart in user order:
  CRM_BASIC to 80% of the users (10% of its licenses free, for assign/revoke), CRM_ESSENTIAL to 50% (all of
  its licenses used: a SEATS_LOW alert), CRM_PROFESSIONAL to 60% with 50% counting (an ACTIVE subscription) and
  10% SUSPENDED for a failed payment: a conflict whose `overage` (10% of the users) licenseConflicts and
  affectedUsers page through;
- the subscriptions, then the seat ledger's counters: `purchased` by `ledger.recount` (SUM of the counting
  subscriptions) and `assigned`/`waiting` set to the real counts in SQL, checked against them at the end.

Rows are built from the Tortoise models' metadata (a column added later with a default is filled with that
default), so the seed follows the schema instead of repeating it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.models import Model

from bench import shapes
from seatwise.models.core.clock import add_months, utcnow
from seatwise.models.core.tables import (
    AdminRole,
    Group,
    GroupMember,
    GroupRole,
    LicenseAssignment,
    RoleGrant,
    StatusReason,
    Subscription,
    SubscriptionStatus,
    User,
)
from seatwise.models.core.tables.people import NEVER_USED
from seatwise.models.events.audit import BILLING_CLOCK
from seatwise.models.people import auth, organizations, tokens
from seatwise.models.seats import ledger

# Which users (by index) hold which product, and what was bought: shares of the organization's size.
BASIC, ESSENTIAL, PROFESSIONAL = "CRM_BASIC", "CRM_ESSENTIAL", "CRM_PROFESSIONAL"


IDLE_USERS = 200  # per product: licenses never used (the rest were used a day before the benchmark's now)


def holds(sku: str, index: int) -> bool:
    if sku == BASIC:
        return index % 10 < 8
    if sku == ESSENTIAL:
        return index % 2 == 0
    return index % 5 < 3  # PROFESSIONAL


def _holds_any(index: int) -> bool:
    return any(holds(sku, index) for sku in (BASIC, ESSENTIAL, PROFESSIONAL))


def purchases(size: int, shape: str = "default") -> list[tuple[str, int, SubscriptionStatus]]:
    """(sku, quantity, status) of the organization's subscriptions: CRM_PROFESSIONAL 10% of the users short."""

    def held(sku: str) -> int:
        return sum(holds(sku, i) and not shapes.deleted(shape, i) for i in range(size))

    professional = size // 2 if shape == "default" else held(PROFESSIONAL) - size // 10
    return [
        (BASIC, held(BASIC) + max(size // 10, 50), SubscriptionStatus.ACTIVE),
        (ESSENTIAL, held(ESSENTIAL), SubscriptionStatus.ACTIVE),
        (PROFESSIONAL, professional, SubscriptionStatus.ACTIVE),
        (PROFESSIONAL, max(size // 10, 1), SubscriptionStatus.SUSPENDED),
    ]


@dataclass
class SeededOrg:
    """What the load needs of one seeded organization."""

    tag: str
    size: int
    org_id: int
    token: str
    # Users without a CRM_BASIC license (assign/revoke cycles through them) and users holding CRM_PROFESSIONAL
    # (accessCheck asks about them: some of them in conflict).
    free_user_ids: list[int]
    professional_emails: list[str]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.tag, "size": self.size, "orgId": self.org_id, "seedSeconds": round(self.seconds, 2)}


def _is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def _db_value(model: type[Model], name: str, value: Any, postgres: bool) -> Any:
    field = model._meta.fields_map[name]
    if isinstance(value, datetime):
        return value if postgres else str(value)
    value = field.to_db_value(value, None)
    if hasattr(value, "value") and not isinstance(value, str | int):  # an enum the field did not convert
        value = value.value
    return value


def _columns(model: type[Model]) -> list[tuple[str, str, Any]]:
    """(field name, column, default) of every column Seatwise writes, the generated primary key left out."""
    meta = model._meta
    columns = []
    for name in meta.db_fields:
        field = meta.fields_map[name]
        if field.pk and getattr(field, "generated", False):
            continue
        default = field.default
        columns.append((name, field.source_field or name, default))
    return columns


async def bulk_insert(model: type[Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert many rows of `model`: COPY on PostgreSQL, one executemany on SQLite. Missing fields get their default."""
    postgres = _is_postgres()
    columns = _columns(model)
    records = []
    for row in rows:
        record = []
        for name, _, default in columns:
            if name in row:
                value = row[name]
            elif name.endswith("_id") and name[:-3] in row:
                value = row[name[:-3]]
            else:
                value = default() if callable(default) else default
            record.append(_db_value(model, name, value, postgres))
        records.append(tuple(record))
    if not records:
        return 0
    table = model._meta.db_table
    names = [column for _, column, _ in columns]
    conn = connections.get("default")
    if postgres:
        async with conn.acquire_connection() as raw:
            await raw.copy_records_to_table(table, records=records, columns=names)
    else:
        marks = ", ".join("?" for _ in names)
        quoted = ", ".join(f'"{n}"' for n in names)
        await conn.execute_many(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', records)
    return len(records)


async def seed_org(size: int, tag: str, *, now: datetime | None = None, shape: str = "default") -> SeededOrg:
    """One organization of `size` users with licenses, subscriptions and consistent counters (see the module doc), in
    one of the data shapes of bench/shapes.py."""
    started = time.perf_counter()
    now = (now or utcnow()).replace(microsecond=0)
    domain = f"{tag}.bench.test"
    made = await organizations.create_organization(f"Bench {tag}", f"admin@{domain}", now=now)
    org = made.organization
    viewer = await auth.authenticate(f"Bearer {made.token}", now=now)
    token, _ = await tokens.create_api_token(viewer, "bench", AdminRole.GLOBAL_ADMIN, None, now=now)

    first_day = now - timedelta(days=400)
    await bulk_insert(
        User,
        (
            {
                "organization_id": org.id,
                "email": f"user{i:06d}@{domain}",
                "display_name": f"User {i:06d}",
                "created_at": first_day + timedelta(seconds=i),
                # as the licenses' last use below: a holder past IDLE_USERS used them a day ago (users by LAST_USED_AT)
                "latest_use": now - timedelta(days=1) if i >= IDLE_USERS and _holds_any(i) else NEVER_USED,
            }
            for i in range(size)
        ),
    )
    conn = connections.get("default")
    mark = "$1" if _is_postgres() else "?"
    rows = (
        await conn.execute_query(
            f"SELECT id FROM app_user WHERE organization_id = {mark} AND admin_role IS NULL ORDER BY email", [org.id]
        )
    )[1]
    ids = [row["id"] for row in rows]
    assert len(ids) == size, (len(ids), size)

    # Assigned one second apart, in user order, product by product: the latest CRM_PROFESSIONAL ones are in conflict.
    assigned_from = now - timedelta(days=300)
    assignments = []
    order = shapes.assignment_order(shape, size)
    for offset, sku in enumerate((BASIC, ESSENTIAL, PROFESSIONAL)):
        for i, uid in enumerate(ids):
            if holds(sku, i) and not shapes.deleted(shape, i):
                at = assigned_from + timedelta(seconds=offset * size + (order[i] if sku == PROFESSIONAL else i))
                # The first IDLE_USERS holders of each product never used it; the others signed in yesterday: the
                # idle set is the same size at every organization size (idleLicenses, SeatPool.idle).
                used = None if i < IDLE_USERS else now - timedelta(days=1)
                assignments.append(
                    {"organization_id": org.id, "user_id": uid, "product_id": sku, "assigned_at": at, "direct": True}
                    | {"last_used_at": used, "idle_since": used or at}
                )
    await bulk_insert(LicenseAssignment, assignments)

    period_start = now - timedelta(days=10)
    subscriptions = []
    for sku, quantity, status in purchases(size, shape):
        row: dict[str, Any] = {
            "organization_id": org.id,
            "product_id": sku,
            "quantity": quantity,
            "status": status,
            "period_anchor": period_start,
            "current_period_start": period_start,
            "current_period_end": add_months(period_start, 1),
            "created_at": period_start,
        }
        if status is SubscriptionStatus.SUSPENDED:
            row |= {"status_reason": StatusReason.PAYMENT_FAILED, "suspended_at": now - timedelta(days=3)}
        subscriptions.append(row)
    await bulk_insert(Subscription, subscriptions)

    # The seat ledger's counters: purchased from the counting subscriptions (recount), assigned and waiting counted.
    async with ledger.change(org, actor=BILLING_CLOCK, now=now) as change:
        for sku in (BASIC, ESSENTIAL, PROFESSIONAL):
            await change.recount(sku, event=None)
    await conn.execute_query(
        "UPDATE seat_pool SET "
        "assigned = (SELECT COUNT(*) FROM license_assignment a"
        " WHERE a.organization_id = seat_pool.organization_id AND a.product_id = seat_pool.product_id), "
        "waiting = (SELECT COUNT(*) FROM license_wait w"
        " WHERE w.organization_id = seat_pool.organization_id AND w.product_id = seat_pool.product_id) "
        f"WHERE organization_id = {mark}",
        [org.id],
    )
    await shapes.finish(shape, org.id, ids, now, bulk_insert)
    await ledger.store_lines(org)  # where each product's conflict starts, kept by the ledger from its next change on
    await check_counters(org.id)

    live = [not shapes.deleted(shape, i) for i in range(size)]
    await _seed_roles(org.id, [uid for i, uid in enumerate(ids) if holds(PROFESSIONAL, i) and live[i]], now)

    free = [uid for i, uid in enumerate(ids) if not holds(BASIC, i) and live[i]]
    professional = [f"user{i:06d}@{domain}" for i in range(size) if holds(PROFESSIONAL, i) and live[i]]
    return SeededOrg(tag, size, org.id, token, free, professional, time.perf_counter() - started)


async def _seed_roles(org_id: int, professional: list[int], now: datetime) -> None:
    """Security roles (docs/rules.md section 14): every CRM_PROFESSIONAL holder is a SALESPERSON directly, every tenth
    also a SALES_MANAGER through the "Sales managers" group."""
    await bulk_insert(
        RoleGrant,
        (
            {"organization_id": org_id, "user_id": uid, "product_id": PROFESSIONAL, "role_key": "SALESPERSON", "granted_at": now}
            for uid in professional
        ),
    )
    group = await Group.create(organization_id=org_id, display_name="Sales managers", name_key="sales managers", created_at=now)
    await GroupRole.create(group_id=group.id, product_id=PROFESSIONAL, role_key="SALES_MANAGER")
    await bulk_insert(GroupMember, ({"group_id": group.id, "user_id": uid} for uid in professional[::10]))


async def check_counters(org_id: int) -> None:
    """The counters equal the real counts (the seat ledger's invariant); AssertionError otherwise."""
    conn = connections.get("default")
    mark = "$1" if _is_postgres() else "?"
    counting = "', '".join(s.value for s in ledger.COUNTING)
    rows = (
        await conn.execute_query(
            "SELECT p.product_id, p.purchased, p.assigned, p.waiting,"
            " (SELECT COUNT(*) FROM license_assignment a WHERE a.organization_id = p.organization_id"
            "  AND a.product_id = p.product_id) AS real_assigned,"
            " (SELECT COALESCE(SUM(s.quantity), 0) FROM subscription s WHERE s.organization_id = p.organization_id"
            f"  AND s.product_id = p.product_id AND s.status IN ('{counting}')) AS real_purchased"
            f" FROM seat_pool p WHERE p.organization_id = {mark}",
            [org_id],
        )
    )[1]
    for row in rows:
        assert row["assigned"] == row["real_assigned"], dict(row)
        assert row["purchased"] == row["real_purchased"], dict(row)


async def analyze() -> None:
    """Planner statistics and the visibility map on PostgreSQL, as autovacuum leaves them within a minute of bulk
    inserts (PostgreSQL 13+ vacuums after inserts too): without the map, the users' COUNT reads the table, not its
    index alone (a sequential scan at 100k, an index scan at 1k)."""
    if _is_postgres():
        await connections.get("default").execute_script("VACUUM ANALYZE")


__all__ = ["SeededOrg", "analyze", "bulk_insert", "check_counters", "seed_org"]
