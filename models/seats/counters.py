"""What one seat change holds: the pool rows it locked, their counters as it moves them, and its records.

The base of `ledger.SeatChange` (models/seats/ledger.py); the licenses it gives and takes are in
models/seats/grants.py and models/seats/group_sources.py.

- The first touch of a product locks its counter row (a no-op UPDATE: the row lock on PostgreSQL, the write lock on
  SQLite) and reads the counters, so the state before the change is read under the lock; several products named up
  front are locked in SKU order.
- `seat_pool.assigned` moves only by a guarded UPDATE (`assigned <= purchased - n`), which the database serialises
  across connections and processes: no assignment ever takes more licenses than were purchased.
- The change keeps each pool as it was before (`_before`) and as it is now (`_pools`), and collects the audit events
  (written at once, in the transaction) and the live seat events (published after commit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import product_of
from seatwise.models.core.locks import hold_returning
from seatwise.models.core.tables import LicenseWait, Organization, SeatPool
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind, SeatEvent
from seatwise.models.plans.previews import AccessChangeReason, Preview
from seatwise.models.seats.pools import PoolView


async def _lock_pool(org_id: int, sku: str) -> tuple[tuple[int, int, int], tuple[Any, Any]] | None:
    """Hold one pool row until the transaction ends and read its counters and conflict line (None: the organization
    has no row)."""
    rows = await hold_returning(
        SeatPool,
        {"organization_id": org_id, "product_id": sku},
        "purchased",
        ("purchased", "assigned", "waiting", "line_assigned_at", "line_id"),
    )
    if not rows:
        return None
    row = rows[0]
    return (row["purchased"], row["assigned"], row["waiting"]), (row["line_assigned_at"], row["line_id"])


@dataclass
class PoolCounters:
    """The locked pools of one unit of work on the seats of one organization, and what it records."""

    org: Organization
    actor: Actor
    now: datetime
    events: list[SeatEvent] = field(default_factory=list)
    _before: dict[str, PoolView] = field(default_factory=dict)
    _pools: dict[str, PoolView] = field(default_factory=dict)
    # (user id, sku) -> ids of the groups through which a released license was kept (no silent no-op: the API says so)
    kept: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    audited: bool = False  # whether the change recorded anything (a no-op moves no plan version)
    # For previews (models/seats/previewing.py): each pool's conflict line as locked (raw column values), and the
    # licenses this change took away: (user id, sku, (assigned_at, id)).
    _lines_before: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    _lost: list[tuple[int, str, tuple[Any, int]]] = field(default_factory=list)
    loss_reason: AccessChangeReason = AccessChangeReason.REVOKED  # why the licenses taken away end (a preview says)
    preview: Preview | None = None  # a dry run's outcome (models/seats/previewing.py)
    # What the change does to the bill, for its preview: (monthly change in cents, the charge now (a QuoteView),
    # when it takes effect (None: now)). Set by the billing changes; None: nothing billed changes.
    billed: tuple[int, Any, datetime | None] | None = None

    async def lock(self, *skus: str) -> None:
        """Lock the pools of these products (SKU order) and read their counters, once per change: one statement
        per pool (an UPDATE that changes nothing takes the row lock and returns the counters as locked)."""
        for sku in sorted(set(skus) - self._pools.keys()):
            product = await product_of(sku)
            locked = await _lock_pool(self.org.id, sku)
            if locked is None:
                try:  # an organization created before this product was in the catalog
                    async with in_transaction():  # a savepoint: a concurrent change may create the row first
                        await SeatPool.create(organization_id=self.org.id, product_id=sku)
                except IntegrityError:
                    pass
                locked = await _lock_pool(self.org.id, sku)
                assert locked is not None  # the row exists now
            counters, self._lines_before[sku] = locked
            self._pools[sku] = self._before[sku] = PoolView(product, *counters)

    @contextmanager
    def as_of(self, when: datetime) -> Iterator[None]:
        """Work part of this change out as of another moment (a dry run of what the billing clock does then)."""
        now, self.now = self.now, when
        try:
            yield
        finally:
            self.now = now

    def after(self, sku: str) -> PoolView:
        """The pool of a product this change touched, as it is after the change."""
        return self._pools[sku]

    def _moved(self, sku: str, *, assigned: int = 0, purchased: int | None = None, waiting: int = 0) -> PoolView:
        pool = self._pools[sku]
        pool = PoolView(
            pool.product, pool.purchased if purchased is None else purchased, pool.assigned + assigned, pool.waiting + waiting
        )
        self._pools[sku] = pool
        return pool

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

    # ------------------------------------------------------------ records

    def _announce(self, kind: LicenseEventKind | None, sku: str, user_id: int | None) -> None:
        if kind is not None:
            pool = self._pools[sku]
            self.events.append(
                SeatEvent(self.org.id, kind, sku, user_id, pool.purchased, pool.assigned, self.now, waiting=pool.waiting)
            )

    async def audit(self, action: AuditAction, target: AuditTarget, target_id: Any, details: dict[str, Any] | None = None):
        self.audited = True
        return await audit.record(
            self.org, self.actor, action, target_type=target, target_id=target_id, at=self.now, details=details
        )
