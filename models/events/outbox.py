"""The outbox: every audit event and notice is an event row, written in the transaction of the change that causes it.

Each organization's events carry a gap-free `sequence` (1, 2, 3, ... in commit order). It is handed out by the
organization's row of `event_counter`, updated (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`) in the same
transaction as the events: on PostgreSQL the update locks the row until the transaction ends, so a second writer of
the same organization waits for the first to commit or roll back and then continues from the number it left (a
rolled-back transaction gives its numbers back: no hole); SQLite lets one writer in at a time, which serializes the
same way. A transaction that numbers events therefore commits before any transaction numbering after it, and a
reader never sees sequence n+1 before n. The counter is the last lock of the lock order (core/locks.py): writers
number their events after the rows they change.

Webhook deliveries of an event are written with it (same transaction), one per enabled endpoint that takes its type.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.core.db import placeholders
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.settings import settings
from seatwise.models.core.tables import Event, MailDelivery, WebhookEndpoint
from seatwise.models.events import notices

# Events are kept this long (then pruned by `prune`).
RETENTION = timedelta(days=30)
MAX_PAGE = 100

_NUMBER = (
    'INSERT INTO "event_counter" ("organization_id", "last_sequence") VALUES (?, ?) '
    'ON CONFLICT ("organization_id") DO UPDATE SET "last_sequence" = "event_counter"."last_sequence" + excluded."last_sequence" '
    'RETURNING "last_sequence"'
)


_DELIVER = (
    'INSERT INTO "webhook_delivery" ("endpoint_id", "event_id", "status", "attempts", "created_at") '
    """SELECT ?, "id", 'PENDING', '[]', "at" FROM "event" WHERE "organization_id" = ? AND "sequence" BETWEEN ? AND ?"""
)


@dataclass(frozen=True)
class Pending:
    """One event to append: its type (an audit action or a notice), when, and its payload."""

    type: str
    at: datetime
    data: dict[str, Any]


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """The caller's transaction, or a new one when there is none (a change and its events commit together)."""
    if isinstance(connections.get("default"), TransactionalDBClient):
        yield
    else:
        async with in_transaction():
            yield


async def _reserve(org_id: int, count: int) -> int:
    """Take `count` numbers from the organization's counter (held until the transaction ends); the first one."""
    client = connections.get("default")
    rows = await client.execute_query_dict(placeholders(_NUMBER, client.capabilities.dialect), [org_id, count])
    return int(rows[0]["last_sequence"]) - count + 1


async def append(org_id: int, items: list[Pending], *, deliver: bool = True) -> list[Event]:
    """Append events in the caller's transaction, numbered in order, with their webhook deliveries (unless not
    `deliver`: the caller addresses them itself)."""
    if not items:
        return []
    if not isinstance(connections.get("default"), TransactionalDBClient):
        async with in_transaction():
            return await append(org_id, items, deliver=deliver)
    first = await _reserve(org_id, len(items))
    rows = [Event(organization_id=org_id, sequence=first + n, type=p.type, at=p.at, data=p.data) for n, p in enumerate(items)]
    await Event.bulk_create(rows)
    if not deliver:
        return rows
    await _mails(org_id, rows)
    endpoints = await WebhookEndpoint.filter(organization_id=org_id, enabled=True).values("id", "event_types")
    client = connections.get("default")
    for endpoint in endpoints:
        types = sorted({row.type for row in rows} & set(endpoint["event_types"])) if endpoint["event_types"] else None
        if types == []:
            continue
        # One INSERT ... SELECT per endpoint: the deliveries of the events just written, without reading their ids back.
        only = f' AND "type" IN ({", ".join("?" for _ in types)})' if types else ""
        sql = _DELIVER + only
        await client.execute_query(
            placeholders(sql, client.capabilities.dialect), [endpoint["id"], org_id, first, first + len(rows) - 1, *(types or [])]
        )
    return rows


async def _mails(org_id: int, rows: list[Event]) -> None:
    """The emails of the notices among `rows` (only with SEATWISE_SMTP_URL): one per admin who gets that kind."""
    mailed = [row for row in rows if row.type in notices.MAILED]
    if not mailed or settings().smtp_url is None:
        return
    ids = dict(
        await Event.filter(organization_id=org_id, sequence__in=[r.sequence for r in mailed]).values_list("sequence", "id")
    )
    mails = [
        MailDelivery(event_id=ids[row.sequence], user_id=user_id, recipient=email)
        for row in mailed
        for user_id, email in await notices.recipients(org_id, row.type)
    ]
    if mails:
        await MailDelivery.bulk_create(mails)


async def append_one(org_id: int, type: str, at: datetime, data: dict[str, Any], *, deliver: bool = True) -> Event:
    """One event (a notice, a test event); the row read back with its id."""
    row = (await append(org_id, [Pending(type, at, data)], deliver=deliver))[0]
    return await Event.get(organization_id=org_id, sequence=row.sequence)


def events_query(org_id: int, *, after: int, types: list[str] | None) -> QuerySet[Event]:
    """The organization's events after sequence `after`, in sequence order (types: only these; None or empty: all)."""
    if after < 0:
        raise DomainError(ErrorCode.INVALID_INPUT, "after is a sequence number, 0 or more.", "after")
    query = Event.filter(organization_id=org_id, sequence__gt=after)
    if types:
        query = query.filter(type__in=types)
    return query.order_by("sequence")


async def page(org_id: int, *, after: int, first: int, types: list[str] | None) -> tuple[list[Event], bool]:
    """One page of events and whether more follow (first: 1 to 100)."""
    rows = await events_query(org_id, after=after, types=types).limit(first + 1)
    return rows[:first], len(rows) > first


async def prune(now: datetime) -> int:
    """Delete the events older than 30 days (their deliveries with them); how many."""
    return await Event.filter(at__lt=now - RETENTION).delete()
