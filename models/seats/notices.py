"""Notices of a seat change (docs/rules.md section 15): the events a pool's new state starts, written with the change.

`conflict.opened` when the product goes into conflict, `seats.low` when the SEATS_LOW alert starts (purchased > 0 and
at most 10% available), `licenses.waiting` when the LICENSES_WAITING alert starts (the first user waits)."""

from __future__ import annotations

from datetime import datetime

from seatwise.models.events.outbox import Pending
from seatwise.models.seats.pools import PoolView

LOW_SHARE = 10  # percent, as the SEATS_LOW alert


def _low(pool: PoolView) -> bool:
    return pool.purchased > 0 and pool.available * 100 <= pool.purchased * LOW_SHARE


def _state(pool: PoolView) -> dict:
    return {
        "product": pool.product.sku,
        "purchased": pool.purchased,
        "assigned": pool.assigned,
        "available": pool.available,
        "waiting": pool.waiting,
    }


def pool_notices(before: dict[str, PoolView], after: dict[str, PoolView], now: datetime) -> list[Pending]:
    """The notices whose alert starts between `before` and `after` (product by product, in SKU order)."""
    found = []
    for sku in sorted(after):
        old, new = before[sku], after[sku]
        if new.in_conflict and not old.in_conflict:
            found.append(Pending("conflict.opened", now, _state(new)))
        if _low(new) and not _low(old):
            found.append(Pending("seats.low", now, _state(new)))
        if new.waiting > 0 and old.waiting == 0:
            found.append(Pending("licenses.waiting", now, _state(new)))
    return found
