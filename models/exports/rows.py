"""Reading an organization's rows for an export: in keyset batches (`id > last`, no OFFSET, never a whole table).

Users, their licenses and audit events are read as the driver returns them (tuples, no model instances:
building 100,000 models costs more than the export itself), only the columns a format prints, and times
are printed from the stored value without a round trip through the ORM's datetime parsing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from tortoise import connections
from tortoise.models import Model
from tortoise.queryset import QuerySet

from seatwise.models.core.clock import iso
from seatwise.models.core.db import placeholders
from seatwise.models.core.tables import LicenseAssignment, Organization, User

BATCH_SIZE = 1000


async def keyset(query: QuerySet, batch_size: int | None = None, fields: Iterable[str] | None = None) -> AsyncIterator[list]:
    """Batches of a query in id order, each fetched by `id > last` (no OFFSET, no full list).
    With `fields` (id first), rows are tuples of those fields instead of model instances."""
    batch_size = batch_size or BATCH_SIZE
    last = 0
    while True:
        page = query.filter(id__gt=last).order_by("id").limit(batch_size)
        rows: list[Any] = await (page.values_list(*fields) if fields else page)  # tuples with `fields`, else models
        if not rows:
            return
        yield rows
        last = rows[-1][0] if fields else rows[-1].id


# The ORM's own conversion, for a stored time that the fast path of `row_time` does not recognize.
_DATETIME = User._meta.fields_map["created_at"]


def row_datetime(value: Any) -> datetime | None:
    """A stored time as an aware datetime (asyncpg returns one; SQLite holds Tortoise's `isoformat(" ")` text)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed
    return _DATETIME.to_python_value(value)


def row_time(value: Any) -> str | None:
    """A stored time printed exactly as `clock.iso` prints it: `2026-11-29 09:00:00.042000+00:00` (SQLite's
    text) becomes `2026-11-29T09:00:00.042000Z` by slicing; anything else goes through a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        if (
            value.endswith("+00:00")
            and value[10:11] in (" ", "T")
            and (len(value) == 25 or (len(value) == 32 and value[19] == "."))
        ):
            return f"{value[:10]}T{value[11:-6]}Z"
        return iso(row_datetime(value))
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else iso(value)


def row_json(value: Any) -> Any:
    """A JSON column: both drivers return its text (PostgreSQL's jsonb with its own spacing and key order)."""
    if not isinstance(value, str | bytes):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # what json reads and orjson does not: NaN, integers beyond 64 bits
        return json.loads(value)


class Rows:
    """One organization's rows, read with plain SQL through the ORM's connection. Used as `async with`: on the
    way out, a batch still being read ahead (the writer failed) is cancelled and waited for."""

    def __init__(self, org: Organization) -> None:
        self.org_id = org.id
        self.db = connections.get("default")
        self.dialect = self.db.capabilities.dialect
        self.reading: set[asyncio.Task] = set()

    async def __aenter__(self) -> Rows:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self.reading:
            task.cancel()
        await asyncio.gather(*self.reading, return_exceptions=True)

    def _read_ahead(self, read: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(read)
        self.reading.add(task)
        task.add_done_callback(self.reading.discard)
        return task

    async def fetch(self, sql: str, params: list) -> list:
        return list((await self.db.execute_query(placeholders(sql, self.dialect), params))[1])

    async def batches(
        self, model: type[Model], columns: str, attach: Callable[[list], Awaitable[Any]] | None = None
    ) -> AsyncIterator[Any]:
        """The organization's rows of `model` (`columns` start with id) in id order, BATCH_SIZE at a time, each
        batch fetched by `id > last` (no OFFSET, never the whole table), then passed through `attach` if given.
        The next batch is read while the caller encodes this one (the database works meanwhile)."""
        sql = f'SELECT {columns} FROM "{model._meta.db_table}" WHERE organization_id = ? AND id > ? ORDER BY id LIMIT ?'
        size = BATCH_SIZE

        async def read(last: int) -> tuple[list, Any]:
            rows = await self.fetch(sql, [self.org_id, last, size])
            return rows, (await attach(rows) if attach and rows else rows)

        reading: asyncio.Task | None = self._read_ahead(read(0))
        while reading is not None:
            rows, batch = await reading
            reading = self._read_ahead(read(rows[-1][0])) if len(rows) == size else None
            if rows:
                yield batch

    async def users(self, columns: str, license_columns: str) -> AsyncIterator[list[tuple[Any, list]]]:
        """Users (deleted too) in id order, each with its licenses by SKU (`license_columns` start with
        user_id): per batch, one query on the (user_id, product_id) key over the batch's id range."""
        sql = (
            f'SELECT {license_columns} FROM "{LicenseAssignment._meta.db_table}"'
            " WHERE user_id >= ? AND user_id <= ? ORDER BY user_id, product_id"
        )

        async def with_licenses(users: list) -> list[tuple[Any, list]]:
            held: dict[int, list] = {user[0]: [] for user in users}
            for row in await self.fetch(sql, [users[0][0], users[-1][0]]):
                mine = held.get(row[0])  # the range may hold another organization's users
                if mine is not None:
                    mine.append(row)
            return [(user, held[user[0]]) for user in users]

        async for batch in self.batches(User, columns, with_licenses):
            yield batch


class Deletion(NamedTuple):
    """A user row's `deleted_at`, as models/people/users.py's `status_of` and `restorable_until` read it."""

    deleted_at: Any


NOT_DELETED = Deletion(None)
