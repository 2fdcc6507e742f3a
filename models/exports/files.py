"""Data exports: the organization's data as one JSON document or a CSV of users, written as a stream.

Rows are read in keyset batches and encoded piece by piece into a chunk buffer that is hashed
as it fills and stored as DataExportChunk rows, so an export of 100,000 users never holds the
organization in memory. Chunks are written outside one long transaction (on SQLite a long
transaction would stall every other request of the process); the export becomes visible only
when it is finished: size, SHA-256 and the `data.exported` audit event are written together.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import orjson
from tortoise import connections
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.events import audit
from seatwise.models.seats import licenses as seats
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.core.clock import iso
from seatwise.models.billing.gateway import is_expired
from seatwise.models.catalog.products import catalog
from seatwise.models.core.lookups import in_org
from seatwise.models.core.tables import (
    AuditEvent,
    Charge,
    DataExport,
    DataExportChunk,
    ExportFormat,
    LicenseAssignment,
    Organization,
    PaymentCard,
    ServiceRequest,
    Subscription,
    User,
)
from seatwise.models.people.users import restorable_until, status_of

log = logging.getLogger("seatwise.exports")

M = TypeVar("M", bound=Model)

# 512 KiB: half the commits of 256 KiB chunks (each a write transaction; 57 MB of chunks took 2.1 s on SQLite
# at 256 KiB, 1.3 s at 1 MiB), while the peak memory of an export (buffer, the chunk being stored, the next
# batch) stays below what it was with 256 KiB chunks and no overlap: 4.0 MiB for 100,000 users (1 MiB: 5.5).
CHUNK_SIZE = 512 * 1024
BATCH_SIZE = 1000
CSV_HEADER = ["email", "displayName", "status", "adminRole", "licenses", "createdAt", "deletedAt"]
# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An export still unfinished this long after it started was killed (a request of a few minutes at most).
UNFINISHED_AFTER = timedelta(hours=1)
# Finished exports are kept 30 days: longer than the 7 days within which cancelling needs an export,
# and no longer than needed for a file of personal data (GDPR storage limitation).
RETENTION = timedelta(days=30)


class ChunkWriter:
    """Buffers bytes, hashes them incrementally, stores each full buffer as the next chunk row. A chunk is
    stored while the export goes on encoding (one insert in flight at a time, awaited before the next)."""

    def __init__(self, export_id: int, chunk_size: int | None = None) -> None:
        self.export_id = export_id
        self.chunk_size = chunk_size or CHUNK_SIZE
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = 0
        self.seq = 0
        self.storing: asyncio.Task | None = None

    async def write(self, data: bytes) -> None:
        self.buffer += data
        self.digest.update(data)
        self.size += len(data)
        while len(self.buffer) >= self.chunk_size:
            with memoryview(self.buffer) as view:  # one copy of the chunk, not two
                chunk = bytes(view[: self.chunk_size])
            del self.buffer[: self.chunk_size]
            await self._store(chunk)

    async def close(self) -> None:
        """Store what is buffered and wait until every chunk is stored."""
        if self.buffer:
            await self._store(bytes(self.buffer))
            self.buffer.clear()
        await self._stored()

    async def abandon(self) -> None:
        """After a failure: wait for the insert in flight, whatever its outcome, so nothing lands afterwards."""
        if self.storing is not None:
            await asyncio.gather(self.storing, return_exceptions=True)
            self.storing = None

    async def _store(self, data: bytes) -> None:
        await self._stored()
        self.storing = asyncio.create_task(DataExportChunk.create(export_id=self.export_id, seq=self.seq, data=data))
        self.seq += 1

    async def _stored(self) -> None:
        if self.storing is not None:
            storing, self.storing = self.storing, None
            await storing

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


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


# ---------------------------------------------------------------- what goes into an export


def _ref(pk: int | None) -> dict | None:
    return {"id": str(pk)} if pk is not None else None


def organization_doc(org: Organization, now: datetime) -> dict:
    return {"id": str(org.id), "name": org.name, "sandbox": org.sandbox, "now": iso(now), "createdAt": iso(org.created_at)}


def product_doc(product) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "unitPrice": {"amountCents": product.unit_price_cents, "currency": product.currency},
    }


def subscription_doc(sub: Subscription) -> dict:
    return {
        "id": str(sub.id),
        "product": {"sku": sub.product_id},
        "quantity": sub.quantity,
        "status": sub.status.value,
        "statusReason": sub.status_reason.value if sub.status_reason else None,
        "currentPeriodStart": iso(sub.current_period_start),
        "currentPeriodEnd": iso(sub.current_period_end),
        "cancelAtPeriodEnd": sub.cancel_at_period_end,
        "graceEndsAt": iso(sub.grace_ends_at),
        "suspendedAt": iso(sub.suspended_at),
        "cancelledAt": iso(sub.cancelled_at),
        "createdAt": iso(sub.created_at),
    }


def card_doc(card: PaymentCard, now: datetime) -> dict:
    """Masked: never the gateway token."""
    return {
        "id": str(card.id),
        "brand": card.brand.value,
        "last4": card.last4,
        "expMonth": card.exp_month,
        "expYear": card.exp_year,
        "isDefault": card.is_default,
        "expired": is_expired(card.exp_month, card.exp_year, now),
        "createdAt": iso(card.created_at),
    }


def charge_doc(charge: Charge) -> dict:
    return {
        "id": str(charge.id),
        "subscription": _ref(charge.subscription_id),
        "amount": {"amountCents": charge.amount_cents, "currency": charge.currency},
        "status": charge.status.value,
        "failureCode": charge.failure_code,
        "description": charge.description,
        "createdAt": iso(charge.created_at),
    }


def service_request_doc(row: ServiceRequest) -> dict:
    return {
        "id": str(row.id),
        "category": row.category.value,
        "status": row.status.value,
        "description": row.description,
        "subscription": _ref(row.subscription_id),
        "resolution": row.resolution,
        "createdAt": iso(row.created_at),
        "resolvedAt": iso(row.resolved_at),
    }


# ---------------------------------------------------------------- the big sections, straight from the rows
#
# Users, their licenses and audit events are read as the driver returns them (tuples, no model instances:
# building 100,000 models costs more than the export itself), only the columns a format prints, and times
# are printed from the stored value without a round trip through the ORM's datetime parsing.

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
        self.numbered = self.db.capabilities.dialect == "postgres"  # asyncpg numbers its parameters: $1, $2, ...
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
        if self.numbered:
            head, *rest = sql.split("?")
            sql = head + "".join(f"${n}{part}" for n, part in enumerate(rest, 1))
        return list((await self.db.execute_query(sql, params))[1])

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


class _Gone(NamedTuple):
    deleted_at: Any


_ALIVE = _Gone(None)


JSON_USER_COLUMNS = "id, email, display_name, admin_role, created_at, deleted_at, licenses_at_deletion"
JSON_LICENSE_COLUMNS = "user_id, id, product_id, assigned_at"
CSV_USER_COLUMNS = "id, email, display_name, admin_role, created_at, deleted_at"
CSV_LICENSE_COLUMNS = "user_id, product_id"
AUDIT_COLUMNS = "id, action, actor, target_type, target_id, details, at"


# The two big sections are printed as JSON text directly, without a dict per user, license and event: the
# same text as json.dumps(ensure_ascii=False, separators=(",", ":")) of the objects named in each docstring.
_string = json.encoder.encode_basestring  # a JSON string literal, non-ASCII characters kept as they are


def _quoted(text: str | None) -> str:
    return "null" if text is None else _string(text)


def _json_time(value: Any) -> str:
    """A stored time as a JSON string (ISO text needs no escaping), or null."""
    text = row_time(value)
    return "null" if text is None else f'"{text}"'


def user_json(user: Any, licenses: list, conflicts: set[int]) -> str:
    """A user row (JSON_USER_COLUMNS) with its license rows (JSON_LICENSE_COLUMNS): `{id, email, displayName,
    status, adminRole, licenses: [{id, product: {sku}, assignedAt, state}], createdAt, deletedAt,
    restorableUntil}`, and `licensesAtDeletion` (sorted SKUs) for a deleted user."""
    user_id, email, display_name, admin_role, created_at, deleted_at, at_deletion = user
    gone = _ALIVE if deleted_at is None else _Gone(row_datetime(deleted_at))
    held = ",".join(
        f'{{"id":"{license_id}","product":{{"sku":{_string(sku)}}},"assignedAt":{_json_time(assigned_at)},'
        f'"state":"{"CONFLICT" if license_id in conflicts else "ACTIVE"}"}}'
        for _, license_id, sku, assigned_at in licenses
    )
    text = (
        f'{{"id":"{user_id}","email":{_string(email)},"displayName":{_string(display_name)},'
        f'"status":"{status_of(gone, len(licenses)).value}","adminRole":{_quoted(admin_role)},"licenses":[{held}],'
        f'"createdAt":{_json_time(created_at)},"deletedAt":{_json_time(deleted_at)},'
    )
    if deleted_at is None:
        return text + '"restorableUntil":null}'
    restorable = _quoted(iso(restorable_until(gone)))
    return f'{text}"restorableUntil":{restorable},"licensesAtDeletion":{_json(sorted(row_json(at_deletion) or []))}}}'


def audit_json(row: Any) -> str:
    """An audit event row (AUDIT_COLUMNS): `{id, action, actor, targetType, targetId, details, at}`."""
    event_id, action, actor, target_type, target_id, details, at = row
    return (
        f'{{"id":"{event_id}","action":{_quoted(action)},"actor":{_quoted(actor)},"targetType":{_quoted(target_type)},'
        f'"targetId":{_quoted(target_id)},"details":{_json(row_json(details))},"at":{_json_time(at)}}}'
    )


def _dump(doc: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) writes
    (floats aside: 1e-07 is 1e-7), several times faster; what it refuses (a non-string key, an integer beyond
    64 bits) goes to json."""
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _json(doc: Any) -> str:
    return _dump(doc).decode()


async def _json_array(out: ChunkWriter, batches: AsyncIterator[list[str]]) -> None:
    """A JSON array of compact JSON texts, one per line after the `[` (`[]` when empty), encoded once per batch."""
    await out.write(b"[")
    empty = True
    async for texts in batches:
        if texts:
            await out.write((("\n" if empty else ",\n") + ",\n".join(texts)).encode())
            empty = False
    await out.write(b"]" if empty else b"\n]")


async def _mapped(query: QuerySet[M], convert: Callable[[M], dict]) -> AsyncIterator[list[str]]:
    async for rows in keyset(query):
        yield [_json(convert(row)) for row in rows]


async def write_json(org: Organization, out: ChunkWriter, now: datetime) -> None:
    conflicts = await seats.conflict_assignment_ids(org)
    products = [product_doc(p) for p in await catalog()]
    await out.write(b'{"organization":' + _dump(organization_doc(org, now)) + b',\n"products":' + _dump(products))
    async with Rows(org) as rows:

        async def users() -> AsyncIterator[list[str]]:
            async for batch in rows.users(JSON_USER_COLUMNS, JSON_LICENSE_COLUMNS):
                yield [user_json(user, held, conflicts) for user, held in batch]

        async def audit_events() -> AsyncIterator[list[str]]:
            async for batch in rows.batches(AuditEvent, AUDIT_COLUMNS):
                yield [audit_json(row) for row in batch]

        sections: list[tuple[bytes, AsyncIterator[list[str]]]] = [
            (b"subscriptions", _mapped(Subscription.filter(organization_id=org.id), subscription_doc)),
            (b"users", users()),
            (b"paymentCards", _mapped(PaymentCard.filter(organization_id=org.id), lambda c: card_doc(c, now))),
            (b"charges", _mapped(Charge.filter(organization_id=org.id), charge_doc)),
            (b"serviceRequests", _mapped(ServiceRequest.filter(organization_id=org.id), service_request_doc)),
            (b"auditEvents", audit_events()),
        ]
        for name, batches in sections:
            await out.write(b',\n"' + name + b'":')
            await _json_array(out, batches)
    await out.write(b"}\n")


def csv_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text: one starting with a formula character gets a leading `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


async def write_csv(org: Organization, out: ChunkWriter, now: datetime) -> None:
    """RFC 4180, UTF-8 without BOM: one row per user, deleted users included; no cell runs as a formula
    (status, role and times are fixed words and digits: only the free text and the SKUs need `csv_cell`)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    async with Rows(org) as rows:
        async for batch in rows.users(CSV_USER_COLUMNS, CSV_LICENSE_COLUMNS):
            for (_, email, display_name, admin_role, created_at, deleted_at), held in batch:
                writer.writerow(
                    (
                        csv_cell(email),
                        csv_cell(display_name),
                        status_of(_ALIVE if deleted_at is None else _Gone(deleted_at), len(held)).value,
                        admin_role or "",
                        csv_cell(";".join(sorted(sku for _, sku in held))),
                        row_time(created_at) or "",
                        row_time(deleted_at) or "",
                    )
                )
            await out.write(text.getvalue().encode())
            text.seek(0)
            text.truncate()
    await out.write(text.getvalue().encode())


WRITERS: dict[ExportFormat, Callable[[Organization, ChunkWriter, datetime], Awaitable[None]]] = {
    ExportFormat.JSON: write_json,
    ExportFormat.CSV: write_csv,
}


# ---------------------------------------------------------------- making, listing, reading


async def create_export(org: Organization, fmt: ExportFormat, *, actor: Actor, now: datetime) -> DataExport:
    """Write an export of the organization and record `data.exported`; returns the finished export."""
    export = await DataExport.create(organization_id=org.id, format=fmt, created_at=now)
    out = ChunkWriter(export.id)
    try:
        await WRITERS[fmt](org, out, now)
        await out.close()
        async with in_transaction():
            await DataExport.filter(id=export.id).update(size_bytes=out.size, sha256=out.sha256)
            await audit.record(
                org,
                actor,
                AuditAction.DATA_EXPORTED,
                target_type=AuditTarget.DATA_EXPORT,
                target_id=export.id,
                at=now,
                details={"format": fmt.value, "sizeBytes": out.size, "sha256": out.sha256},
            )
    except BaseException:
        await out.abandon()
        await DataExport.filter(id=export.id).delete()
        raise
    export.size_bytes, export.sha256 = out.size, out.sha256
    return export


async def remove_stale_exports(now: datetime, *, org: Organization | None = None) -> int:
    """Remove exports (with their chunks) that were killed while being written (unfinished for an hour) or
    finished more than RETENTION ago: of every organization that is not a sandbox, or of the sandbox `org`
    at its test clock's `now` (as `renewals.run_clock`). Returns how many were removed."""
    query = DataExport.filter(organization_id=org.id) if org is not None else DataExport.filter(organization__sandbox=False)
    stale = Q(sha256="", created_at__lt=now - UNFINISHED_AFTER) | (~Q(sha256="") & Q(created_at__lt=now - RETENTION))
    ids = await query.filter(stale).values_list("id", flat=True)
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        async with in_transaction():
            await DataExportChunk.filter(export_id__in=batch).delete()
            await DataExport.filter(id__in=batch).delete()
    if ids:
        log.info("removed stale data exports", extra={"count": len(ids)})
    return len(ids)


def finished(org: Organization) -> QuerySet[DataExport]:
    """Exports that are complete (an export being written has no hash yet)."""
    return DataExport.filter(organization_id=org.id).exclude(sha256="")


async def list_exports(org: Organization) -> list[DataExport]:
    return await finished(org).order_by("-created_at", "-id")


async def get_export(org: Organization, export_id: str | int) -> DataExport:
    return await in_org(finished(org), export_id, "data export", "id")


async def export_bytes(export: DataExport) -> AsyncIterator[bytes]:
    """The export's bytes, one stored chunk at a time, in order."""
    seq = -1
    while True:
        chunk = await DataExportChunk.filter(export_id=export.id, seq__gt=seq).order_by("seq").first()
        if chunk is None:
            return
        seq = chunk.seq
        yield bytes(chunk.data)


def media_type(fmt: ExportFormat) -> str:
    return "application/json" if fmt is ExportFormat.JSON else "text/csv; charset=utf-8"


def file_name(export: DataExport) -> str:
    return f"seatwise-export-{export.id}.{export.format.value.lower()}"
