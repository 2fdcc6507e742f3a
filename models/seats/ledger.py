"""The seat ledger: the one place where licenses, and the licenses that count, change.

Every change to seats (assigning, revoking, deleting or restoring a user, buying, reducing,
cancelling, the billing clock suspending or renewing) is one `SeatChange`:

    async with ledger.change(org, actor=actor, now=now) as change:
        await change.grant(user, "CRM_BASIC")

Inside it the change owns:

- the transaction;
- the pool lock (models/seats/counters.py): the first touch of a product locks its counter row and reads the
  counters, so the state before the change is read under the lock. Several products named up front are locked in
  SKU order. Lock order (models/core/locks.py): organization -> group -> pool rows (SKU order) -> user rows ->
  subscription rows;
- the counters, the one source of truth for counts: `seat_pool.assigned` moves only by a guarded
  UPDATE (`assigned <= purchased - n`), which the database serialises across connections and
  processes, so no assignment ever takes more licenses than were purchased; `seat_pool.purchased` is
  recomputed from the counting subscriptions whenever they change (`recount`);
- the licenses: direct ones and a deletion's (models/seats/grants.py), the group sources and the queue of waiting
  users, served before commit (models/seats/group_sources.py);
- the conflict line: before commit, where the conflict of every touched product starts
  (`seat_pool.line_assigned_at`, `line_id`; see models/seats/pools.py), null when it is not in conflict;
- the audit events, one per changed target, written in the same transaction;
- the notices a pool's new state starts (conflict.opened, seats.low, licenses.waiting: models/seats/notices.py),
  written to the outbox in the same transaction;
- the live events: one per change with the pool right after it, and CONFLICT_OPENED or
  CONFLICT_RESOLVED when a product's conflict state differs between before and after. They are
  published after commit, in one batch, and dropped when the transaction rolls back.

Nothing else writes the counters or the line: `open_pools` makes the rows of a new organization, and `store_lines`
stores the lines after counters were written in bulk (the benchmark's and the tests' seeding).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import cast

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import catalog
from seatwise.models.core.atomic import after_commit
from seatwise.models.core.tables import Organization, SeatPool, Subscription, SubscriptionStatus
from seatwise.models.events import outbox
from seatwise.models.events.audit import Actor
from seatwise.models.events.live import LicenseEventKind, SeatEvent, broker
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import previewing
from seatwise.models.seats.grants import Grants
from seatwise.models.seats.group_sources import GroupSources
from seatwise.models.seats.notices import pool_notices
from seatwise.models.seats.pools import PoolView, find_line

COUNTING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD)


class SeatChange(Grants, GroupSources):
    """One unit of work on the seats of one organization (see the module docstring)."""

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

    async def _store_lines(self) -> None:
        """Before commit: where the conflict of every touched product starts now (kept in its pool row, so that a
        license's state is one row read). A change that leaves a product outside conflict, and found it outside,
        writes nothing for it: its line is null already."""
        for sku in sorted(self._pools):
            before, after = self._before[sku], self._pools[sku]
            if after.in_conflict or before.in_conflict:
                await _store_line(self.org.id, sku, after.purchased, after.assigned)

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


def _moved(unit: SeatChange) -> bool:
    return unit.audited or bool(unit.events) or any(unit._before.get(sku) != pool for sku, pool in unit._pools.items())


class _DryRun(Exception):
    """Ends a dry run's transaction: everything it wrote is rolled back."""


@asynccontextmanager
async def change(org: Organization, *, actor: Actor, now: datetime, plan: Plan | None = None) -> AsyncIterator[SeatChange]:
    """One seat change: commit and publish its events, or roll back and publish nothing.

    With a `plan` (section 13): the plan token given back must match the seat state as this change finds it
    (PLAN_STALE otherwise, nothing changed); with `plan.dry_run` the change is made exactly as it would be, its
    preview worked out (`unit.preview`, with a plan token), then rolled back: no row, audit or live event is kept."""
    unit = SeatChange(org, actor, now)
    try:
        async with in_transaction():
            yield unit
            await unit.serve()
            await unit._store_lines()
            unit.events.extend(unit._conflict_flips())
            await outbox.append(org.id, pool_notices(unit._before, unit._pools, now))
            if plan is not None:
                version = await _seat_version(org)  # before this change moves it
                plan.check(org.id, version, now)
                await _move_versions(org, sorted(unit._pools))
                if plan.dry_run:
                    unit.preview = await previewing.work_out(unit)
                    unit.preview.plan_token, unit.preview.plan_expires_at = plan.sign(org.id, version, now)
                    raise _DryRun
            elif _moved(unit):
                await _move_versions(org, sorted(unit._pools))
    except _DryRun:
        unit.events = []
        return
    await after_commit(lambda: broker.publish_many(unit.events))


async def check_plan(org: Organization, plan: Plan, now: datetime) -> dict | None:
    """A plan token checked against the seat state as it is now, before a change that cannot be rolled back (a
    purchase's gateway call): PLAN_STALE, or the terms the preview signed into it."""
    return plan.check(org.id, await _seat_version(org), now)


async def _seat_version(org: Organization) -> int:
    rows = await SeatPool.filter(organization_id=org.id).values_list("version", flat=True)
    return sum(cast(list[int], rows))


async def _move_versions(org: Organization, skus: list[str]) -> None:
    """Every seat change moves the version of the pools it touched: a plan made before it is stale."""
    if skus:
        await SeatPool.filter(organization_id=org.id, product_id__in=skus).update(version=F("version") + 1)


async def _store_line(org_id: int, sku: str, purchased: int, assigned: int) -> None:
    line = await find_line(org_id, sku, purchased, assigned)
    await SeatPool.filter(organization_id=org_id, product_id=sku).update(
        line_assigned_at=line[0] if line else None, line_id=line[1] if line else None
    )


async def store_lines(org: Organization) -> None:
    """Store where the conflict starts in every pool of the organization (after counters were written in bulk, as
    the benchmark's seeding does); a change of the ledger does this for the pools it touched."""
    async with in_transaction():
        for sku, purchased, assigned in await SeatPool.filter(organization_id=org.id).values_list(
            "product_id", "purchased", "assigned"
        ):
            await _store_line(org.id, sku, purchased, assigned)


async def open_pools(org: Organization) -> None:
    """The counter rows of a new organization, one per catalog product (in one INSERT)."""
    await SeatPool.bulk_create([SeatPool(organization_id=org.id, product_id=p.sku) for p in await catalog()])
