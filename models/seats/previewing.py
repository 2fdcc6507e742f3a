"""A dry run's preview, worked out from the seat change itself just before it is rolled back: the licenses it took
away (and whether they were ACTIVE or in CONFLICT), the waiting users it served, the licenses that left CONFLICT,
and every touched pool before and after. The same code made the change, so the preview cannot drift from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from tortoise.expressions import Q

from seatwise.models.catalog.products import catalog
from seatwise.models.core.tables import LicenseAssignment, SeatPool, User
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.plans.previews import MAX_LISTED, AccessChange, AccessChangeReason, Preview

if TYPE_CHECKING:
    from seatwise.models.seats.counters import PoolCounters

Key = tuple[datetime, int]


def _when(value: Any) -> datetime:
    """A datetime as Tortoise gives it, or as a raw RETURNING gives it (text on SQLite)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else cast(datetime, value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _line(raw: tuple[Any, Any] | None) -> Key | None:
    return (_when(raw[0]), int(raw[1])) if raw and raw[1] is not None else None


def _at_or_after(line: Key) -> Q:
    return Q(assigned_at__gt=line[0]) | Q(assigned_at=line[0], id__gte=line[1])


def _before(line: Key) -> Q:
    return Q(assigned_at__lt=line[0]) | Q(assigned_at=line[0], id__lt=line[1])


async def work_out(change: PoolCounters) -> Preview:
    """The preview of `change` (inside its transaction, after its last write)."""
    preview = Preview(effective_at=change.now)
    if change.billed is not None:
        preview.monthly_change_cents, preview.charge, effective = change.billed
        preview.effective_at = effective or change.now
    for uid, sku, (at, pk) in change._lost:
        line = _line(change._lines_before.get(sku))
        before = "CONFLICT" if line is not None and (_when(at), int(pk)) >= line else "ACTIVE"
        preview.lose(AccessChange(uid, sku, before, None, change.loss_reason))
    for event in change.events:
        if event.kind is LicenseEventKind.ASSIGNED and event.user_id is not None:
            preview.gain(AccessChange(event.user_id, event.product_sku, None, "ACTIVE", AccessChangeReason.FROM_WAITLIST))
    for sku in sorted(change._pools):
        await _conflicted(change, sku, preview)
        await _settled(change, sku, preview)
        preview.seats.append((change._before[sku], change._pools[sku]))
    ids = {c.user_id for c in preview.losing + preview.gaining}
    preview.users = {u.id: u for u in await User.filter(id__in=list(ids))} if ids else {}
    preview.products = {p.sku: p for p in await catalog()}
    return preview


async def _conflicted(change: PoolCounters, sku: str, preview: Preview) -> None:
    """The licenses of `sku` that were ACTIVE before the change and are in CONFLICT after it (licenses stopped
    counting: a cancellation)."""
    stored = await SeatPool.filter(organization_id=change.org.id, product_id=sku).values_list("line_assigned_at", "line_id")
    after = _line(stored[0] if stored else None)
    if after is None:
        return
    before = _line(change._lines_before.get(sku))
    query = LicenseAssignment.filter(_at_or_after(after), organization_id=change.org.id, product_id=sku)
    if before is not None:
        query = query.filter(_before(before))
    total = await query.count()
    rows = await query.order_by("assigned_at", "id").limit(MAX_LISTED).values_list("user_id", flat=True)
    for uid in rows:
        preview.lose(AccessChange(cast(int, uid), sku, "ACTIVE", "CONFLICT", AccessChangeReason.SUBSCRIPTION_CANCELLED))
    preview.total_losing += total - len(rows)


async def _settled(change: PoolCounters, sku: str, preview: Preview) -> None:
    """The licenses of `sku` that were in CONFLICT before the change and are ACTIVE after it."""
    before = _line(change._lines_before.get(sku))
    if before is None:
        return
    stored = await SeatPool.filter(organization_id=change.org.id, product_id=sku).values_list("line_assigned_at", "line_id")
    after = _line(stored[0] if stored else None)
    served = [c.user_id for c in preview.gaining if c.sku == sku and c.reason is AccessChangeReason.FROM_WAITLIST]
    query = LicenseAssignment.filter(_at_or_after(before), organization_id=change.org.id, product_id=sku)
    if served:  # licenses this change gave are not licenses that left CONFLICT
        query = query.exclude(user_id__in=served)
    if after is not None:
        query = query.filter(_before(after))
    total = await query.count()
    rows = await query.order_by("assigned_at", "id").limit(MAX_LISTED).values_list("user_id", flat=True)
    for uid in rows:
        preview.gain(AccessChange(cast(int, uid), sku, "CONFLICT", "ACTIVE", AccessChangeReason.CONFLICT_SETTLED))
    preview.total_gaining += total - len(rows)
