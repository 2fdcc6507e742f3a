"""Seats: assigning and revoking licenses, seat pools from SQL aggregates, the derived conflict set.

The guarantee: assigning never takes more licenses than were purchased. Every assignment
first wins a guarded write on the pool's counter row (`assigned < purchased`), which the
database serialises across connections and processes; the counter row changes only in the
transaction that changes the assignments or the counting subscriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from models import audit
from models.audit import Actor
from models.errors import DomainError, ErrorCode
from models.inputs import column_length, query_text
from models.events import LicenseEventKind, SeatEvent, broker
from models.lookups import MAX_SKU, catalog, get_product, get_user, parse_id
from models.tables import LicenseAssignment, Organization, Product, SeatPool, Subscription, SubscriptionStatus, User

COUNTING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD)
MAX_BULK = 1000


@dataclass(frozen=True)
class PoolView:
    product: Product
    purchased: int
    assigned: int

    @property
    def available(self) -> int:
        return max(self.purchased - self.assigned, 0)

    @property
    def overage(self) -> int:
        return max(self.assigned - self.purchased, 0)

    @property
    def in_conflict(self) -> bool:
        return self.overage > 0


# ---------------------------------------------------------------- reading


async def seat_pools(org: Organization, sku: str | None = None) -> list[PoolView]:
    """One pool per catalog product (zeros when never bought): two GROUP BY queries and the catalog."""
    products = await catalog()
    if sku is not None:
        products = [p for p in products if p.sku == sku]
    purchased = dict(
        await Subscription.filter(organization_id=org.id, status__in=COUNTING)
        .annotate(total=Sum("quantity"))
        .group_by("product_id")
        .values_list("product_id", "total")
    )
    assigned = dict(
        await LicenseAssignment.filter(organization_id=org.id)
        .annotate(total=Count("id"))
        .group_by("product_id")
        .values_list("product_id", "total")
    )
    return [PoolView(p, int(purchased.get(p.sku) or 0), int(assigned.get(p.sku) or 0)) for p in products]


async def seat_pool(org: Organization, sku: str) -> PoolView:
    pools = await seat_pools(org, sku)
    if not pools:
        raise DomainError(ErrorCode.UNKNOWN_PRODUCT, "No such product in the catalog.")
    return pools[0]


async def conflict_assignment_ids(org: Organization, pools: list[PoolView] | None = None) -> set[int]:
    """The assignments in CONFLICT: per product in conflict, the `overage` latest by (assignedAt, id)."""
    pools = pools if pools is not None else await seat_pools(org)
    ids: set[int] = set()
    for pool in pools:
        if pool.in_conflict:
            ids.update(
                await LicenseAssignment.filter(organization_id=org.id, product_id=pool.product.sku)
                .order_by("-assigned_at", "-id")
                .limit(pool.overage)
                .values_list("id", flat=True)
            )
    return ids


async def assignments_of(user_ids: list[int]) -> dict[int, list[LicenseAssignment]]:
    """Assignments of many users in one query (the DataLoader behind User.licenses)."""
    found: dict[int, list[LicenseAssignment]] = {uid: [] for uid in user_ids}
    rows = await LicenseAssignment.filter(user_id__in=user_ids).order_by("product_id")
    for row in rows:
        found[row.user_id].append(row)
    return found


# ---------------------------------------------------------------- the guarded counters


async def ensure_pools(org: Organization) -> None:
    for product in await catalog():
        await SeatPool.get_or_create(organization_id=org.id, product_id=product.sku)


async def take(org_id: int, sku: str, count: int = 1) -> bool:
    """Take `count` free licenses in one conditional UPDATE; False (and nothing taken) if too few."""
    taken = await SeatPool.filter(
        organization_id=org_id, product_id=sku, assigned__lte=F("purchased") - count
    ).update(assigned=F("assigned") + count)
    return taken == 1


async def give_back(org_id: int, sku: str, count: int = 1) -> None:
    await SeatPool.filter(organization_id=org_id, product_id=sku).update(assigned=F("assigned") - count)


async def lock_pool(org_id: int, sku: str) -> None:
    """Serialise changes to a product's purchased count: a no-op UPDATE takes the pool's row lock
    (and on SQLite the write lock); call it first in the transaction."""
    await SeatPool.filter(organization_id=org_id, product_id=sku).update(purchased=F("purchased"))


async def sync_purchased(org_id: int, sku: str) -> None:
    """After subscriptions changed (under lock_pool): copy their SUM into the counter row."""
    rows = (
        await Subscription.filter(organization_id=org_id, product_id=sku, status__in=COUNTING)
        .annotate(total=Sum("quantity"))
        .group_by("product_id")
        .values_list("total", flat=True)
    )
    await SeatPool.filter(organization_id=org_id, product_id=sku).update(purchased=int(rows[0] or 0) if rows else 0)


async def _lock_live_users(user_ids: list[int]) -> int:
    """Row-lock users that are not deleted (a concurrent delete waits or wins); returns how many."""
    return await User.filter(id__in=user_ids, deleted_at=None).update(deleted_at=None)


async def notify(org: Organization, kind: LicenseEventKind, sku: str, *, user_id: int | None, before: PoolView, at: datetime) -> PoolView:
    """After commit: the seat event with the pool after it, and CONFLICT_OPENED/RESOLVED when that flipped.
    Returns the pool after the change."""
    after = await seat_pool(org, sku)
    kinds = [kind]
    if after.in_conflict and not before.in_conflict:
        kinds.append(LicenseEventKind.CONFLICT_OPENED)
    elif before.in_conflict and not after.in_conflict:
        kinds.append(LicenseEventKind.CONFLICT_RESOLVED)
    for each in kinds:
        await broker.publish(SeatEvent(org.id, each, sku, user_id, after.purchased, after.assigned, at))
    return after


# ---------------------------------------------------------------- changing


async def assign_license(
    org: Organization, user_id: str, sku: str, *, actor: Actor, now: datetime
) -> tuple[User, LicenseAssignment, PoolView]:
    """Give one license of `sku` to a user; never more licenses than purchased. Returns the pool after it."""
    user = await get_user(org, user_id, ["input", "userId"])
    await get_product(sku, ["input", "productSku"])
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is deleted.", ["input", "userId"])
    if await LicenseAssignment.exists(user_id=user.id, product_id=sku):
        raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"{user.email} already holds a {sku} license.", ["input", "productSku"])
    before = await seat_pool(org, sku)
    async with in_transaction():
        if not await take(org.id, sku):
            raise DomainError(ErrorCode.NO_LICENSES_AVAILABLE, f"All {sku} licenses are in use.", ["input", "productSku"])
        if not await _lock_live_users([user.id]):
            raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is deleted.", ["input", "userId"])
        try:
            assignment = await LicenseAssignment.create(organization_id=org.id, user=user, product_id=sku, assigned_at=now)
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"{user.email} already holds a {sku} license.", ["input", "productSku"]) from None
        await audit.record(org, actor, "license.assigned", target_type="USER", target_id=user.id, at=now, details={"product": sku})
    after = await notify(org, LicenseEventKind.ASSIGNED, sku, user_id=user.id, before=before, at=now)
    return user, assignment, after


async def assign_licenses(org: Organization, user_ids: list[str], sku: str, *, actor: Actor, now: datetime) -> list[LicenseAssignment]:
    """Assign `sku` to 1..1000 users, all or none; per-item errors name the item's index."""
    if not 1 <= len(user_ids) <= MAX_BULK:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_BULK} user ids.", ["input", "userIds"])
    # Ids are compared after parsing: "60577" and "060577" are one user listed twice.
    parsed = [parse_id(raw) for raw in user_ids]
    seen: set[int] = set()
    for index, pk in enumerate(parsed):
        if pk is not None and pk in seen:
            raise DomainError(ErrorCode.INVALID_INPUT, "This user is listed twice.", ["input", "userIds", str(index)])
        if pk is not None:
            seen.add(pk)
    users = {u.id: u for u in await User.filter(organization_id=org.id, id__in=list(seen))}
    for index, pk in enumerate(parsed):
        if pk not in users:
            raise DomainError(ErrorCode.NOT_FOUND, "No such user.", ["input", "userIds", str(index)])
    await get_product(sku, ["input", "productSku"])
    holders = set(await LicenseAssignment.filter(product_id=sku, user_id__in=list(users)).values_list("user_id", flat=True))
    for index, pk in enumerate(parsed):
        user = users[pk]
        if user.deleted_at is not None:
            raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is deleted.", ["input", "userIds", str(index)])
        if user.id in holders:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"{user.email} already holds a {sku} license.", ["input", "userIds", str(index)])
    ordered = [users[pk] for pk in parsed]
    before = await seat_pool(org, sku)
    async with in_transaction():
        if not await take(org.id, sku, len(ordered)):
            raise DomainError(
                ErrorCode.NO_LICENSES_AVAILABLE,
                f"{len(ordered)} {sku} licenses asked, {before.available} available.",
                ["input", "userIds"],
            )
        if await _lock_live_users([u.id for u in ordered]) != len(ordered):
            raise DomainError(ErrorCode.USER_DELETED, "A user was deleted meanwhile.", ["input", "userIds"])
        try:
            await LicenseAssignment.bulk_create(
                [LicenseAssignment(organization_id=org.id, user_id=u.id, product_id=sku, assigned_at=now) for u in ordered]
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, "A user was given this license meanwhile.", ["input", "userIds"]) from None
        for user in ordered:
            await audit.record(org, actor, "license.assigned", target_type="USER", target_id=user.id, at=now, details={"product": sku, "bulk": True})
        created = await LicenseAssignment.filter(product_id=sku, user_id__in=[u.id for u in ordered]).order_by("id")
    # One event per license, each with the pool right after it, from one read of the pool (no query per user;
    # an assignment never opens a conflict, so no CONFLICT_OPENED can follow).
    after = await seat_pool(org, sku)
    first = after.assigned - len(ordered)
    for index, user in enumerate(ordered, start=1):
        await broker.publish(SeatEvent(org.id, LicenseEventKind.ASSIGNED, sku, user.id, after.purchased, first + index, now))
    return created


async def revoke_license(org: Organization, user_id: str, sku: str, *, actor: Actor, now: datetime) -> tuple[User, PoolView]:
    """Take a license back; the user is DISABLED when it was the last. Returns the pool after it."""
    user = await get_user(org, user_id, ["input", "userId"])
    await get_product(sku, ["input", "productSku"])
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is deleted.", ["input", "userId"])
    before = await seat_pool(org, sku)
    async with in_transaction():
        # Lock the user first, as assign and delete do: a concurrent delete cannot give this license back twice.
        if not await _lock_live_users([user.id]):
            raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is deleted.", ["input", "userId"])
        removed = await LicenseAssignment.filter(user_id=user.id, product_id=sku).delete()
        if not removed:
            raise DomainError(ErrorCode.NOT_ASSIGNED, f"{user.email} holds no {sku} license.", ["input", "productSku"])
        await give_back(org.id, sku)
        await audit.record(org, actor, "license.revoked", target_type="USER", target_id=user.id, at=now, details={"product": sku})
    after = await notify(org, LicenseEventKind.REVOKED, sku, user_id=user.id, before=before, at=now)
    return user, after


# ---------------------------------------------------------------- access


async def access_check(org: Organization, email: str, sku: str) -> str | None:
    """None when allowed, else the denial reason (UNKNOWN_USER, ACCOUNT_DELETED, NO_LICENSE, LICENSE_CONFLICT)."""
    key = query_text(email.strip().lower(), column_length(User, "email"), "The email")
    query_text(sku, MAX_SKU, "The productSku")
    user = await User.get_or_none(organization_id=org.id, email=key)
    if user is None:
        return "UNKNOWN_USER"
    if user.deleted_at is not None:
        return "ACCOUNT_DELETED"
    assignment = await LicenseAssignment.get_or_none(user_id=user.id, product_id=sku)
    if assignment is None:
        return "NO_LICENSE"
    pool = (await seat_pools(org, sku))[0]
    if pool.in_conflict and assignment.id in await conflict_assignment_ids(org, [pool]):
        return "LICENSE_CONFLICT"
    return None
