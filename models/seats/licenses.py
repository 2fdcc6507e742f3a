"""Seats: assigning and revoking licenses, seat pools, the derived conflict set, access checks.

Every change goes through the seat ledger (`models/seats/ledger.py`), which holds the guarantee that no
assignment takes more licenses than were purchased. Pools are read from the ledger's counters, and which licenses
of a product in conflict are in CONFLICT from the conflict line the ledger stores in the pool row
(models/seats/pools.py): every reader (accessCheck, the users' licenses, the affected users, the exports) decides it
with `ConflictLine`, one row read whatever the organization's size.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from seatwise.models.catalog.products import MAX_SKU, catalog, get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import column_length, parse_id, query_text
from seatwise.models.core.locks import hold
from seatwise.models.core.lookups import get_user
from seatwise.models.core.tables import Group, LicenseAssignment, Organization, Product, SeatPool, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.plans.previews import Preview
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.access import read_access
from seatwise.models.seats.pools import PoolView, read_pools

MAX_BULK = 1000


class Previewed(Exception):
    """A dry run of a single change ended: nothing was kept; `preview` says what it would have done."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("dry run")
        self.preview = preview


class LicenseState(str, enum.Enum):
    ACTIVE = "ACTIVE"
    CONFLICT = "CONFLICT"  # beyond the purchased licenses of a product in conflict: no access


class AccessDenialReason(str, enum.Enum):
    UNKNOWN_USER = "UNKNOWN_USER"
    ACCOUNT_DELETED = "ACCOUNT_DELETED"
    NO_LICENSE = "NO_LICENSE"
    LICENSE_CONFLICT = "LICENSE_CONFLICT"
    WAITING_FOR_LICENSE = "WAITING_FOR_LICENSE"


async def seat_pools(org: Organization, sku: str | None = None) -> list[PoolView]:
    """One pool per catalog product (zeros when never bought), from the ledger's counters: one query."""
    products = await catalog()
    if sku is not None:
        products = [p for p in products if p.sku == sku]
    return await read_pools(org, products)


async def seat_pool(org: Organization, sku: str) -> PoolView:
    pools = await seat_pools(org, sku)
    if not pools:
        raise DomainError(ErrorCode.UNKNOWN_PRODUCT, "No such product in the catalog.")
    return pools[0]


@dataclass(frozen=True)
class ConflictLine:
    """Where a product's conflict starts: its assignments at or after (assigned_at, id) are in CONFLICT."""

    assigned_at: datetime
    id: int

    def holds(self, row: LicenseAssignment) -> bool:
        return (row.assigned_at, row.id) >= (self.assigned_at, self.id)

    def assignments(self, org: Organization, sku: str) -> QuerySet[LicenseAssignment]:
        """The product's assignments that `holds` is true of, as a query: (assignedAt, id) >= the line, with
        `assigned_at >= ...` in front so that an index scan starts there."""
        return LicenseAssignment.filter(
            Q(assigned_at__gt=self.assigned_at) | Q(id__gte=self.id),
            organization_id=org.id,
            product_id=sku,
            assigned_at__gte=self.assigned_at,
        )


async def conflict_line(org: Organization, pool: PoolView) -> ConflictLine | None:
    """The first assignment in CONFLICT of a product (None when it is not in conflict): the line the seat ledger
    stored in the pool row, one read by its unique key whatever the organization's size. The row is read as it is now:
    when a change committed since `pool` was read, the answer is the line of that later moment."""
    if not pool.in_conflict:
        return None
    stored = await SeatPool.filter(organization_id=org.id, product_id=pool.product.sku).values_list("line_assigned_at", "line_id")
    return ConflictLine(*stored[0]) if stored and stored[0][1] is not None else None


async def conflict_assignment_ids(org: Organization, pools: list[PoolView] | None = None) -> set[int]:
    """The assignments in CONFLICT: per product in conflict, those at or after its conflict line."""
    pools = pools if pools is not None else await seat_pools(org)
    ids: set[int] = set()
    for pool in pools:
        if (line := await conflict_line(org, pool)) is not None:
            ids.update(cast(list[int], await line.assignments(org, pool.product.sku).values_list("id", flat=True)))
    return ids


def _pool_counter(column: str) -> RawSQL:
    return RawSQL(
        f'(SELECT COALESCE(MAX(sp."{column}"), 0) FROM "seat_pool" sp WHERE sp."organization_id" = '
        '"license_assignment"."organization_id" AND sp."product_id" = "license_assignment"."product_id")'
    )


async def assignments_of(user_ids: list[int]) -> dict[int, list[LicenseAssignment]]:
    """Assignments of many users in one query (the DataLoader behind User.licenses), each with its product's
    pool counters as read in the same statement (`pool_of`): a license's state needs no other query unless its
    product is in conflict."""
    found: dict[int, list[LicenseAssignment]] = {uid: [] for uid in user_ids}
    rows = (
        await LicenseAssignment.filter(user_id__in=user_ids)
        .annotate(pool_purchased=_pool_counter("purchased"), pool_assigned=_pool_counter("assigned"))
        .order_by("product_id")
    )
    for row in rows:
        found[row.user_id].append(row)
    return found


def pool_of(row: LicenseAssignment, product: Product) -> PoolView:
    """The pool of an assignment read by `assignments_of` (counters only: no waiting count)."""
    return PoolView(product, int(getattr(row, "pool_purchased", 0)), int(getattr(row, "pool_assigned", 0)))


async def _live_user(org: Organization, user_id: str, sku: str, subject: str = "user_id") -> User:
    """The user and the product exist (NOT_FOUND, UNKNOWN_PRODUCT) before the user's state is checked (USER_DELETED)."""
    user = await get_user(org, user_id, subject)
    await get_product(sku, "product_sku")
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", subject)
    return user


async def _lock_live_users(users: list[User], subject: str) -> None:
    """Hold users that are not deleted, after the pool (a concurrent delete waits or wins)."""
    if await hold(User.filter(id__in=[u.id for u in users], deleted_at=None), "deleted_at") != len(users):
        message = f"User {users[0].email} is deleted." if len(users) == 1 else "A user was deleted meanwhile."
        raise DomainError(ErrorCode.USER_DELETED, message, subject)


# ---------------------------------------------------------------- changing


async def assign_license(
    org: Organization, user_id: str, sku: str, *, actor: Actor, now: datetime
) -> tuple[User, LicenseAssignment, PoolView]:
    """Give one license of `sku` to a user; never more licenses than purchased. Returns the pool after it.

    On a license held only through groups this adds the direct source and takes no license."""
    user = await _live_user(org, user_id, sku)
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(sku)
        await _lock_live_users([user], "user_id")
        held = await LicenseAssignment.get_or_none(user_id=user.id, product_id=sku)
        if held is not None and held.direct:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"This user already holds a {sku} license.", "product_sku")
        if held is not None:
            await change.add_direct(held)
            assignment = held
        else:
            assignment = await change.grant(user, sku)
    return user, assignment, change.after(sku)


async def assign_licenses(
    org: Organization, user_ids: list[str], sku: str, *, actor: Actor, now: datetime
) -> list[LicenseAssignment]:
    """Assign `sku` to 1..1000 users, all or none; per-item errors name the item's index."""
    if not 1 <= len(user_ids) <= MAX_BULK:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_BULK} user ids.", "user_ids")
    # Ids are compared after parsing: "60577" and "060577" are one user listed twice.
    parsed = [parse_id(raw) for raw in user_ids]
    seen: set[int] = set()
    for index, pk in enumerate(parsed):
        if pk is not None and pk in seen:
            raise DomainError(ErrorCode.INVALID_INPUT, "This user is listed twice.", f"user_ids[{index}]")
        if pk is not None:
            seen.add(pk)
    users = {u.id: u for u in await User.filter(organization_id=org.id, id__in=list(seen))}
    for index, pk in enumerate(parsed):
        if pk not in users:
            raise DomainError(ErrorCode.NOT_FOUND, "No such user.", f"user_ids[{index}]")
    await get_product(sku, "product_sku")
    held = dict(await LicenseAssignment.filter(product_id=sku, user_id__in=list(users)).values_list("user_id", "direct"))
    holders = {uid for uid, direct in held.items() if direct}
    inherited = [uid for uid, direct in held.items() if not direct]
    ordered = [users[pk] for pk in parsed if pk is not None]
    for index, user in enumerate(ordered):
        if user.deleted_at is not None:
            raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", f"user_ids[{index}]")
        if user.id in holders:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"This user already holds a {sku} license.", f"user_ids[{index}]")
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(sku)
        await _lock_live_users(ordered, "user_ids")
        if inherited:  # held through groups: the direct source only, no license taken
            await LicenseAssignment.filter(product_id=sku, user_id__in=inherited, direct=False).update(direct=True)
            await audit.record_many(
                org,
                actor,
                AuditAction.LICENSE_ASSIGNED,
                AuditTarget.USER,
                inherited,
                at=now,
                details={"product": sku, "bulk": True, "source": "direct"},
            )
        created = (
            await change.grant_many([u for u in ordered if u.id not in inherited], sku, details={"bulk": True})
            if len(inherited) < len(ordered)
            else []
        )
    if inherited:
        created = await LicenseAssignment.filter(product_id=sku, user_id__in=[u.id for u in ordered]).order_by("id")
    return created


async def revoke_license(
    org: Organization,
    user_id: str,
    sku: str,
    *,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> tuple[User, PoolView, list[Group]]:
    """Take a license back; the user is DISABLED when it was the last. Returns the pool after it and the groups
    through which the user still holds the license (empty: it was taken back). A dry run raises `Previewed`."""
    user = await _live_user(org, user_id, sku)
    plan = Plan("revokeLicense", {"user": user.id, "sku": sku}, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        await change.lock(sku)
        # The user is locked after the pool, as assign and delete do: a concurrent delete cannot give this license back twice.
        await _lock_live_users([user], "user_id")
        if not await change.release(user, sku):
            raise DomainError(ErrorCode.NOT_ASSIGNED, f"This user holds no {sku} license.", "product_sku")
    if change.preview is not None:
        raise Previewed(change.preview)
    kept = change.kept.get((user.id, sku), [])
    groups = await Group.filter(id__in=kept).order_by("id") if kept else []
    return user, change.after(sku), groups


# ---------------------------------------------------------------- access


async def access_check(org: Organization, email: str, sku: str) -> AccessDenialReason | None:
    """None when the person may use the product now, else why not."""
    reason, _, _ = await access_decision(org, email, sku)
    return reason


async def access_decision(
    org: Organization, email: str, sku: str
) -> tuple[AccessDenialReason | None, User | None, LicenseAssignment | None]:
    """`access_check` with the user and the license it decided on (models/usage records the use)."""
    key = email.strip().lower()
    query_text(key, column_length(User, "email"), "The email")
    query_text(sku, MAX_SKU, "The productSku")
    rows = await read_access(org.id, key, sku)  # one statement (models/seats/access.py)
    user, assignment, pool = rows.user, rows.assignment, rows.pool
    if user is None:
        return AccessDenialReason.UNKNOWN_USER, None, None
    if user.deleted_at is not None:
        return AccessDenialReason.ACCOUNT_DELETED, user, None
    if assignment is None:
        if rows.waiting:
            return AccessDenialReason.WAITING_FOR_LICENSE, user, None
        return AccessDenialReason.NO_LICENSE, user, None
    # The line as stored with the counters read in the same statement (the ledger moves them together).
    if pool is not None and pool.assigned > pool.purchased and pool.line_assigned_at is not None and pool.line_id is not None:
        if ConflictLine(pool.line_assigned_at, pool.line_id).holds(assignment):
            return AccessDenialReason.LICENSE_CONFLICT, user, assignment
    return None, user, assignment
