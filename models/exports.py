"""Data exports: the organization's data as one JSON document or a CSV of users, written as a stream.

Rows are read in keyset batches and encoded piece by piece into a chunk buffer that is hashed
as it fills and stored as DataExportChunk rows, so an export of 100,000 users never holds the
organization in memory. Chunks are written outside one long transaction (on SQLite a long
transaction would stall every other request of the process); the export becomes visible only
when it is finished: size, SHA-256 and the `data.exported` audit event are written together.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models import audit, seats
from seatwise.models.audit import Actor, AuditAction, AuditTarget
from seatwise.models.clock import iso
from seatwise.models.gateway import is_expired
from seatwise.models.lookups import catalog, in_org
from seatwise.models.tables import (
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
from seatwise.models.users import restorable_until, status_of

log = logging.getLogger("seatwise.exports")

M = TypeVar("M", bound=Model)

CHUNK_SIZE = 256 * 1024
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
    """Buffers bytes, hashes them incrementally, stores each full buffer as the next chunk row."""

    def __init__(self, export_id: int, chunk_size: int | None = None) -> None:
        self.export_id = export_id
        self.chunk_size = chunk_size or CHUNK_SIZE
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = 0
        self.seq = 0

    async def write(self, data: bytes) -> None:
        self.buffer += data
        self.digest.update(data)
        self.size += len(data)
        while len(self.buffer) >= self.chunk_size:
            await self._store(bytes(self.buffer[: self.chunk_size]))
            del self.buffer[: self.chunk_size]

    async def close(self) -> None:
        if self.buffer:
            await self._store(bytes(self.buffer))
            self.buffer.clear()

    async def _store(self, data: bytes) -> None:
        await DataExportChunk.create(export_id=self.export_id, seq=self.seq, data=data)
        self.seq += 1

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


def user_doc(user: UserRow, licenses: list[LicenseRow], conflicts: set[int]) -> dict:
    doc = {
        "id": str(user.id),
        "email": user.email,
        "displayName": user.display_name,
        "status": status_of(user, len(licenses)).value,
        "adminRole": _enum_value(user.admin_role),
        "licenses": [
            {
                "id": str(a.id),
                "product": {"sku": a.product_id},
                "assignedAt": iso(a.assigned_at),
                "state": "CONFLICT" if a.id in conflicts else "ACTIVE",
            }
            for a in licenses
        ],
        "createdAt": iso(user.created_at),
        "deletedAt": iso(user.deleted_at),
        "restorableUntil": iso(restorable_until(user)),
    }
    if user.deleted_at is not None:
        doc["licensesAtDeletion"] = sorted(user.licenses_at_deletion or [])
    return doc


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


def audit_doc(row: AuditEvent) -> dict:
    return {
        "id": str(row.id),
        "action": row.action,
        "actor": row.actor,
        "targetType": row.target_type,
        "targetId": row.target_id,
        "details": row.details,
        "at": iso(row.at),
    }


class UserRow(NamedTuple):
    id: int
    email: str
    display_name: str
    admin_role: Any
    created_at: datetime
    deleted_at: datetime | None
    licenses_at_deletion: Any


class LicenseRow(NamedTuple):
    id: int
    user_id: int
    product_id: str
    assigned_at: datetime


async def _user_batches(org: Organization) -> AsyncIterator[list[tuple[UserRow, list[LicenseRow]]]]:
    """Users (deleted too) in id order, 1000 at a time, each batch's licenses in one query.
    Plain tuples, not model instances: building 100,000 models costs more than the export itself."""
    query = User.filter(organization_id=org.id)
    async for rows in keyset(query, fields=UserRow._fields):
        users = [UserRow(*row) for row in rows]
        held: dict[int, list[LicenseRow]] = {u.id: [] for u in users}
        licenses = LicenseAssignment.filter(user_id__in=list(held)).order_by("product_id")
        for row in await licenses.values_list(*LicenseRow._fields):
            held[row[1]].append(LicenseRow(*row))
        yield [(u, held[u.id]) for u in users]


def _enum_value(value: Any) -> str | None:
    return getattr(value, "value", value)


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


async def _json_array(out: ChunkWriter, batches: AsyncIterator[Iterable[dict]]) -> None:
    await out.write(b"[")
    first = True
    async for docs in batches:
        parts = []
        for doc in docs:
            parts.append(b"\n" + _dump(doc) if first else b",\n" + _dump(doc))
            first = False
        await out.write(b"".join(parts))
    await out.write(b"\n]" if not first else b"]")


async def _mapped(query: QuerySet[M], convert: Callable[[M], dict]) -> AsyncIterator[list[dict]]:
    async for rows in keyset(query):
        yield [convert(row) for row in rows]


async def write_json(org: Organization, out: ChunkWriter, now: datetime) -> None:
    conflicts = await seats.conflict_assignment_ids(org)
    products = [product_doc(p) for p in await catalog()]
    await out.write(b'{"organization":' + _dump(organization_doc(org, now)) + b',\n"products":' + _dump(products))

    async def users() -> AsyncIterator[list[dict]]:
        async for batch in _user_batches(org):
            yield [user_doc(u, held, conflicts) for u, held in batch]

    sections: list[tuple[bytes, AsyncIterator[list[dict]]]] = [
        (b"subscriptions", _mapped(Subscription.filter(organization_id=org.id), subscription_doc)),
        (b"users", users()),
        (b"paymentCards", _mapped(PaymentCard.filter(organization_id=org.id), lambda c: card_doc(c, now))),
        (b"charges", _mapped(Charge.filter(organization_id=org.id), charge_doc)),
        (b"serviceRequests", _mapped(ServiceRequest.filter(organization_id=org.id), service_request_doc)),
        (b"auditEvents", _mapped(AuditEvent.filter(organization_id=org.id), audit_doc)),
    ]
    for name, batches in sections:
        await out.write(b',\n"' + name + b'":')
        await _json_array(out, batches)
    await out.write(b"}\n")


def csv_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text: one starting with a formula character gets a leading `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


async def write_csv(org: Organization, out: ChunkWriter, now: datetime) -> None:
    """RFC 4180, UTF-8 without BOM: one row per user, deleted users included; no cell runs as a formula."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    async for batch in _user_batches(org):
        for user, held in batch:
            writer.writerow(
                [
                    csv_cell(cell)
                    for cell in (
                        user.email,
                        user.display_name,
                        status_of(user, len(held)).value,
                        _enum_value(user.admin_role) or "",
                        ";".join(sorted(a.product_id for a in held)),
                        iso(user.created_at) or "",
                        iso(user.deleted_at) or "",
                    )
                ]
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
    try:
        out = ChunkWriter(export.id)
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
