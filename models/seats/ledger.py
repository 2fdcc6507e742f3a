"""The seat ledger: the one place where licenses, and the licenses that count, change.

Every change to seats (assigning, revoking, deleting or restoring a user, buying, reducing,
cancelling, the billing clock suspending or renewing) is one `SeatChange`:

    async with ledger.change(org, actor=actor, now=now) as change:
        await change.grant(user, "CRM_BASIC")

Inside it the change owns:

- the transaction;
- the pool lock: the first touch of a product locks its counter row (a no-op UPDATE: the row lock on
  PostgreSQL, the write lock on SQLite) and reads the counters, so the state before the change is
  read under the lock. Several products named up front are locked in SKU order. Lock order of every
  seat change: organization row (admin-role rules) -> pool rows -> user rows -> subscription rows;
- the counters, the one source of truth for counts: `seat_pool.assigned` moves only by a guarded
  UPDATE (`assigned <= purchased - n`), which the database serialises across connections and
  processes, so no assignment ever takes more licenses than were purchased; `seat_pool.purchased` is
  recomputed from the counting subscriptions whenever they change (`recount`);
- the audit events, one per changed target, written in the same transaction;
- the live events: one per change with the pool right after it, and CONFLICT_OPENED or
  CONFLICT_RESOLVED when a product's conflict state differs between before and after. They are
  published after commit, in one batch, and dropped when the transaction rolls back.

Licenses have sources: direct (`direct` on the assignment) and the user's groups that grant the
product (group_member x group_product). A grant from a group on a held license adds nothing but the
source; when no license is free it becomes a wait (`license_wait`, counted in `seat_pool.waiting`).
When the change ends (before commit) every touched product with licenses free and users waiting
serves its queue in (since, id) order, in bulk: a constant number of statements however many are
served. A product in conflict has none free (`purchased > assigned` is false), so conflicts are
settled first.

Nothing else writes the counters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import catalog, product_of
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.locks import hold_returning
from seatwise.models.core.tables import (
    GroupMember,
    LicenseAssignment,
    LicenseWait,
    Organization,
    Product,
    SeatPool,
    Subscription,
    SubscriptionStatus,
    User,
)
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind, SeatEvent, broker

COUNTING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD)


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


async def _lock_pool(org_id: int, sku: str) -> tuple[int, int, int] | None:
    """Hold one pool row until the transaction ends and read its counters (None: the organization has no row)."""
    rows = await hold_returning(
        SeatPool, {"organization_id": org_id, "product_id": sku}, "purchased", ("purchased", "assigned", "waiting")
    )
    return (rows[0]["purchased"], rows[0]["assigned"], rows[0]["waiting"]) if rows else None


@dataclass
class SeatChange:
    """One unit of work on the seats of one organization (see the module docstring)."""

    org: Organization
    actor: Actor
    now: datetime
    events: list[SeatEvent] = field(default_factory=list)
    _before: dict[str, PoolView] = field(default_factory=dict)
    _pools: dict[str, PoolView] = field(default_factory=dict)

    # ------------------------------------------------------------ pools

    async def lock(self, *skus: str) -> None:
        """Lock the pools of these products (SKU order) and read their counters, once per change: one statement
        per pool (an UPDATE that changes nothing takes the row lock and returns the counters as locked)."""
        for sku in sorted(set(skus) - self._pools.keys()):
            product = await product_of(sku)
            counters = await _lock_pool(self.org.id, sku)
            if counters is None:
                try:  # an organization created before this product was in the catalog
                    async with in_transaction():  # a savepoint: a concurrent change may create the row first
                        await SeatPool.create(organization_id=self.org.id, product_id=sku)
                except IntegrityError:
                    pass
                counters = await _lock_pool(self.org.id, sku)
                assert counters is not None  # the row exists now
            self._pools[sku] = self._before[sku] = PoolView(product, *counters)

    async def pool(self, sku: str) -> PoolView:
        """The product's pool as of now in this change (locked)."""
        await self.lock(sku)
        return self._pools[sku]

    def _moved(self, sku: str, *, assigned: int = 0, purchased: int | None = None, waiting: int = 0) -> PoolView:
        pool = self._pools[sku]
        pool = PoolView(
            pool.product, pool.purchased if purchased is None else purchased, pool.assigned + assigned, pool.waiting + waiting
        )
        self._pools[sku] = pool
        return pool

    def _announce(self, kind: LicenseEventKind | None, sku: str, user_id: int | None) -> None:
        if kind is not None:
            pool = self._pools[sku]
            self.events.append(
                SeatEvent(self.org.id, kind, sku, user_id, pool.purchased, pool.assigned, self.now, waiting=pool.waiting)
            )

    async def _take(self, sku: str, count: int) -> bool:
        taken = await SeatPool.filter(organization_id=self.org.id, product_id=sku, assigned__lte=F("purchased") - count).update(
            assigned=F("assigned") + count
        )
        return taken == 1

    async def _give_back(self, sku: str, count: int) -> None:
        await SeatPool.filter(organization_id=self.org.id, product_id=sku).update(assigned=F("assigned") - count)

    async def _count_waits(self, sku: str, count: int) -> None:
        if count:
            await SeatPool.filter(organization_id=self.org.id, product_id=sku).update(waiting=F("waiting") + count)
            self._moved(sku, waiting=count)

    async def _end_waits(self, sku: str, user_ids: list[int]) -> int:
        """Take these users off the product's queue (a license given or no reason left): one DELETE."""
        if not user_ids or not self._pools[sku].waiting:
            return 0
        ended = await LicenseWait.filter(product_id=sku, user_id__in=user_ids).delete()
        await self._count_waits(sku, -ended)
        return ended

    # ------------------------------------------------------------ licenses

    async def grant(
        self,
        user: User,
        sku: str,
        *,
        event: LicenseEventKind | None = LicenseEventKind.ASSIGNED,
        action: AuditAction | None = AuditAction.LICENSE_ASSIGNED,
        details: dict[str, Any] | None = None,
        subject: str = "product_sku",
    ) -> LicenseAssignment:
        """Give `user` a license of `sku`: NO_LICENSES_AVAILABLE when none is free, ALREADY_ASSIGNED when held."""
        await self.lock(sku)
        if not await self._take(sku, 1):
            raise DomainError(ErrorCode.NO_LICENSES_AVAILABLE, f"All {sku} licenses are in use.", subject)
        try:
            row = await LicenseAssignment.create(
                organization_id=self.org.id, user_id=user.id, product_id=sku, assigned_at=self.now
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, f"{user.email} already holds a {sku} license.", subject) from None
        self._moved(sku, assigned=1)
        await self._end_waits(sku, [user.id])
        if action is not None:
            await self.audit(action, AuditTarget.USER, user.id, {"product": sku, **(details or {})})
        self._announce(event, sku, user.id)
        return row

    async def try_grant(self, user: User, sku: str, *, event: LicenseEventKind | None, action: AuditAction | None = None) -> bool:
        """Grant when a license is free; False (nothing changed) otherwise."""
        try:
            await self.grant(user, sku, event=event, action=action)
        except DomainError as error:
            if error.code is ErrorCode.NO_LICENSES_AVAILABLE:
                return False
            raise
        return True

    async def grant_many(
        self, users: list[User], sku: str, *, details: dict[str, Any] | None = None, subject: str = "user_ids"
    ) -> list[LicenseAssignment]:
        """Give each user (in order) a license of `sku`, all or none: one guarded UPDATE for all of them."""
        await self.lock(sku)
        if not await self._take(sku, len(users)):
            pool = self._pools[sku]
            raise DomainError(
                ErrorCode.NO_LICENSES_AVAILABLE, f"{len(users)} {sku} licenses asked, {pool.available} available.", subject
            )
        try:
            await LicenseAssignment.bulk_create(
                [
                    LicenseAssignment(organization_id=self.org.id, user_id=u.id, product_id=sku, assigned_at=self.now)
                    for u in users
                ]
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_ASSIGNED, "A user was given this license meanwhile.", subject) from None
        await self._end_waits(sku, [u.id for u in users])
        for user in users:
            self._moved(sku, assigned=1)
            self._announce(LicenseEventKind.ASSIGNED, sku, user.id)
        await audit.record_many(
            self.org,
            self.actor,
            AuditAction.LICENSE_ASSIGNED,
            AuditTarget.USER,
            [u.id for u in users],
            at=self.now,
            details={"product": sku, **(details or {})},
        )
        return await LicenseAssignment.filter(product_id=sku, user_id__in=[u.id for u in users]).order_by("id")

    async def release(
        self,
        user: User,
        sku: str,
        *,
        event: LicenseEventKind | None = LicenseEventKind.REVOKED,
        action: AuditAction | None = AuditAction.LICENSE_REVOKED,
    ) -> bool:
        """Remove the direct source of `user`'s license of `sku`; False (nothing changed) when the user holds none.

        The license is revoked when no group of the user grants the product; otherwise it stays (`direct`
        becomes false). LICENSE_INHERITED on a license held only through groups."""
        await self.lock(sku)
        held = await LicenseAssignment.get_or_none(user_id=user.id, product_id=sku)
        if held is None:
            return False
        if await granting_groups(user.id, sku):
            if not held.direct:
                raise DomainError(
                    ErrorCode.LICENSE_INHERITED,
                    f"{user.email} holds {sku} through groups only: remove them from the group.",
                    "product_sku",
                )
            await LicenseAssignment.filter(id=held.id).update(direct=False)
            if action is not None:
                await self.audit(action, AuditTarget.USER, user.id, {"product": sku, "source": "direct", "licenseKept": True})
            return True
        if not await LicenseAssignment.filter(id=held.id).delete():
            return False
        await self._give_back(sku, 1)
        self._moved(sku, assigned=-1)
        if action is not None:
            await self.audit(action, AuditTarget.USER, user.id, {"product": sku})
        self._announce(event, sku, user.id)
        return True

    async def release_all(self, user: User, *, event: LicenseEventKind = LicenseEventKind.USER_DELETED) -> list[str]:
        """Free every license of `user` (a deletion); returns the SKUs, sorted. The caller audits the deletion."""
        await self.lock(*cast(list[str], await LicenseAssignment.filter(user_id=user.id).values_list("product_id", flat=True)))
        # FOR UPDATE (PostgreSQL): a concurrent revoke commits first, and its license is not given back twice.
        skus = sorted(
            cast(
                list[str],
                await LicenseAssignment.filter(user_id=user.id).select_for_update().values_list("product_id", flat=True),
            )
        )
        await self.lock(*skus)  # a license assigned between the first read and the lock
        await LicenseAssignment.filter(user_id=user.id).delete()
        for sku in skus:
            await self._give_back(sku, 1)
            self._moved(sku, assigned=-1)
            self._announce(event, sku, user.id)
        waits = sorted(cast(list[str], await LicenseWait.filter(user_id=user.id).values_list("product_id", flat=True)))
        await self.lock(*waits)
        for sku in waits:
            await self._end_waits(sku, [user.id])
        return skus

    # ------------------------------------------------------------ group sources

    async def grant_from_group(self, users: list[User], sku: str, group_id: int | None) -> tuple[list[int], list[int]]:
        """Give each live user (in order) a reason to hold `sku`: a held license only gains the source, a free
        license is taken, and when none is free the user waits. Returns (user ids licensed, user ids now waiting).

        A constant number of statements for any number of users. The caller has locked the users (live)."""
        await self.lock(sku)
        ids = [u.id for u in users if u.deleted_at is None]
        if not ids:
            return [], []
        holders = set(await LicenseAssignment.filter(product_id=sku, user_id__in=ids).values_list("user_id", flat=True))
        waiting = set()
        if self._pools[sku].waiting:
            waiting = set(await LicenseWait.filter(product_id=sku, user_id__in=ids).values_list("user_id", flat=True))
        rest = [uid for uid in dict.fromkeys(ids) if uid not in holders and uid not in waiting]
        count = min(self._pools[sku].available, len(rest))
        lucky, queued = rest[:count], rest[count:]
        await self._assign_bulk(sku, lucky, {uid: group_id for uid in lucky})
        if queued:
            await LicenseWait.bulk_create(
                [LicenseWait(organization_id=self.org.id, user_id=uid, product_id=sku, since=self.now) for uid in queued]
            )
            await self._count_waits(sku, len(queued))
            for uid in queued:
                self._announce(LicenseEventKind.WAITING, sku, uid)
        return lucky, queued

    async def _assign_bulk(self, sku: str, user_ids: list[int], groups: dict[int, int | None]) -> None:
        """Licenses for users known to hold none, through groups (`direct` false): under this change's lock."""
        if not user_ids:
            return
        if not await self._take(sku, len(user_ids)):  # cannot happen under the lock; never oversell anyway
            raise DomainError(ErrorCode.NO_LICENSES_AVAILABLE, f"All {sku} licenses are in use.", "product_sku")
        await LicenseAssignment.bulk_create(
            [
                LicenseAssignment(organization_id=self.org.id, user_id=uid, product_id=sku, assigned_at=self.now, direct=False)
                for uid in user_ids
            ]
        )
        await audit.record_each(
            self.org,
            self.actor,
            AuditAction.LICENSE_ASSIGNED,
            AuditTarget.USER,
            [(uid, {"product": sku, **({"group": str(groups[uid])} if groups.get(uid) else {})}) for uid in user_ids],
            at=self.now,
        )
        for uid in user_ids:
            self._moved(sku, assigned=1)
            self._announce(LicenseEventKind.ASSIGNED, sku, uid)

    async def release_from_group(self, user_ids: list[int], sku: str, group_id: int) -> list[int]:
        """These users lost `group_id` as a reason to hold `sku` (memberships or grants already removed): a license
        with no source left is revoked, a wait with no group left ends. Returns the user ids revoked. Bulk."""
        await self.lock(sku)
        if not user_ids:
            return []
        still = set(
            await GroupMember.filter(user_id__in=user_ids, group__grants__product_id=sku).values_list("user_id", flat=True)
        )
        lost = [uid for uid in dict.fromkeys(user_ids) if uid not in still]
        if not lost:
            return []
        rows = await LicenseAssignment.filter(product_id=sku, user_id__in=lost, direct=False).values_list("id", "user_id")
        revoked = [uid for _, uid in rows]
        if rows:
            await LicenseAssignment.filter(id__in=[rid for rid, _ in rows]).delete()
            await self._give_back(sku, len(rows))
            await audit.record_many(
                self.org,
                self.actor,
                AuditAction.LICENSE_REVOKED,
                AuditTarget.USER,
                revoked,
                at=self.now,
                details={"product": sku, "group": str(group_id)},
            )
            for uid in revoked:
                self._moved(sku, assigned=-1)
                self._announce(LicenseEventKind.REVOKED, sku, uid)
        await self._end_waits(sku, lost)
        return revoked

    async def add_direct(self, assignment: LicenseAssignment) -> None:
        """`assignLicense` on a license held only through groups: the direct source, no license taken."""
        await LicenseAssignment.filter(id=assignment.id).update(direct=True)
        assignment.direct = True
        await self.audit(
            AuditAction.LICENSE_ASSIGNED,
            AuditTarget.USER,
            assignment.user_id,
            {"product": assignment.product_id, "source": "direct"},
        )

    # ------------------------------------------------------------ the queue

    async def serve(self) -> None:
        """Give free licenses of every touched product to its waiting users in (since, id) order, in bulk."""
        for sku in sorted(self._pools):
            pool = self._pools[sku]
            count = min(pool.available, pool.waiting)
            if count <= 0:
                continue
            rows = await (
                LicenseWait.filter(organization_id=self.org.id, product_id=sku)
                .order_by("since", "id")
                .limit(count)
                .values_list("id", "user_id")
            )
            user_ids = [uid for _, uid in rows]
            groups = dict(
                await GroupMember.filter(user_id__in=user_ids, group__grants__product_id=sku)
                .order_by("group_id")
                .values_list("user_id", "group_id")
            )
            await LicenseWait.filter(id__in=[wid for wid, _ in rows]).delete()
            await self._count_waits(sku, -len(rows))
            await self._assign_bulk(sku, user_ids, groups)

    # ------------------------------------------------------------ what counts as purchased

    async def recount(self, sku: str, *, event: LicenseEventKind | None) -> PoolView:
        """After subscriptions of `sku` changed (under this change's lock): `purchased` from their SUM."""
        await self.lock(sku)
        rows = cast(
            list[int | None],
            (
                await Subscription.filter(organization_id=self.org.id, product_id=sku, status__in=COUNTING)
                .annotate(total=Sum("quantity"))
                .group_by("product_id")
                .values_list("total", flat=True)
            ),
        )
        purchased = int(rows[0] or 0) if rows else 0
        await SeatPool.filter(organization_id=self.org.id, product_id=sku).update(purchased=purchased)
        pool = self._moved(sku, purchased=purchased)
        self._announce(event, sku, None)
        return pool

    def announce(self, kind: LicenseEventKind, sku: str, user_id: int | None = None) -> None:
        """A seat event for a change the ledger did not make itself (a locked pool is required)."""
        self._announce(kind, sku, user_id)

    # ------------------------------------------------------------ audit

    async def audit(self, action: AuditAction, target: AuditTarget, target_id: Any, details: dict[str, Any] | None = None):
        return await audit.record(
            self.org, self.actor, action, target_type=target, target_id=target_id, at=self.now, details=details
        )

    # ------------------------------------------------------------ the end

    async def _store_lines(self) -> None:
        """Before commit: where the conflict of every touched product starts now (kept in its pool row, so that a
        license's state is one row read). A change that leaves a product outside conflict writes nothing for it."""
        for sku in sorted(self._pools):
            before, after = self._before[sku], self._pools[sku]
            if not (after.in_conflict or before.in_conflict):
                continue
            line = await find_line(self.org.id, sku, after.purchased, after.assigned)
            await SeatPool.filter(organization_id=self.org.id, product_id=sku).update(
                line_assigned_at=line[0] if line else None, line_id=line[1] if line else None
            )

    def _conflict_flips(self) -> list[SeatEvent]:
        flips = []
        for sku, before in self._before.items():
            after = self._pools[sku]
            if after.in_conflict != before.in_conflict:
                kind = LicenseEventKind.CONFLICT_OPENED if after.in_conflict else LicenseEventKind.CONFLICT_RESOLVED
                flips.append(
                    SeatEvent(self.org.id, kind, sku, None, after.purchased, after.assigned, self.now, waiting=after.waiting)
                )
        return flips

    def after(self, sku: str) -> PoolView:
        """The pool of a product this change touched, as it is after the change."""
        return self._pools[sku]


@asynccontextmanager
async def change(org: Organization, *, actor: Actor, now: datetime) -> AsyncIterator[SeatChange]:
    """One seat change: commit and publish its events, or roll back and publish nothing."""
    unit = SeatChange(org, actor, now)
    async with in_transaction():
        yield unit
        await unit.serve()
        await unit._store_lines()
        unit.events.extend(unit._conflict_flips())
    await broker.publish_many(unit.events)


async def find_line(org_id: int, sku: str, purchased: int, assigned: int) -> tuple[datetime, int] | None:
    """Where the conflict of a product starts, found in the index: the (assigned_at, id) of its first assignment
    beyond `purchased`, walking the shorter end (`min(overage, purchased)` entries); None when not in conflict."""
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


async def store_lines(org: Organization) -> None:
    """Store where the conflict starts in every pool of the organization (after counters were written in bulk, as
    the benchmark's seeding does); a change of the ledger does this for the pools it touched."""
    async with in_transaction():
        for sku, purchased, assigned in await SeatPool.filter(organization_id=org.id).values_list(
            "product_id", "purchased", "assigned"
        ):
            line = await find_line(org.id, sku, purchased, assigned)
            await SeatPool.filter(organization_id=org.id, product_id=sku).update(
                line_assigned_at=line[0] if line else None, line_id=line[1] if line else None
            )


async def open_pools(org: Organization) -> None:
    """The counter rows of a new organization, one per catalog product (in one INSERT)."""
    await SeatPool.bulk_create([SeatPool(organization_id=org.id, product_id=p.sku) for p in await catalog()])


async def pools(org: Organization, products: list[Product]) -> list[PoolView]:
    """The counters of these products, read as they are (zeros for a product never bought): one query."""
    rows = dict(
        (sku, (purchased, assigned, waiting))
        for sku, purchased, assigned, waiting in await SeatPool.filter(
            organization_id=org.id, product_id__in=[p.sku for p in products]
        ).values_list("product_id", "purchased", "assigned", "waiting")
    )
    return [PoolView(p, *rows.get(p.sku, (0, 0, 0))) for p in products]


async def granting_groups(user_id: int, sku: str) -> list[int]:
    """The ids of the user's groups that grant `sku` (the group sources of its license or wait)."""
    return cast(
        list[int],
        list(
            await GroupMember.filter(user_id=user_id, group__grants__product_id=sku)
            .order_by("group_id")
            .values_list("group_id", flat=True)
        ),
    )
