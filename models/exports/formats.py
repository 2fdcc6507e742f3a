"""The two formats of an export, each written as a stream into a ChunkWriter: the organization's data as one JSON
document (its sections in order), or a CSV of its users."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from seatwise.models.catalog.products import catalog
from seatwise.models.core.tables import AuditEvent, Charge, ExportFormat, Organization, PaymentCard, ServiceRequest, Subscription
from seatwise.models.exports.documents import (
    AUDIT_COLUMNS,
    JSON_LICENSE_COLUMNS,
    JSON_USER_COLUMNS,
    audit_json,
    card_doc,
    charge_doc,
    json_bytes,
    json_text,
    organization_doc,
    product_doc,
    roles_cell,
    service_request_doc,
    subscription_doc,
    user_json,
)
from seatwise.models.exports.rows import NOT_DELETED, Deletion, Rows, keyset, row_time
from seatwise.models.exports.writer import ChunkWriter
from seatwise.models.people.users import status_of
from seatwise.models.roles.effective import roles_for_export
from seatwise.models.seats import licenses as seats

M = TypeVar("M", bound=Model)

CSV_HEADER = ["email", "displayName", "status", "adminRole", "licenses", "createdAt", "deletedAt", "roles"]
CSV_USER_COLUMNS = "id, email, display_name, admin_role, created_at, deleted_at"
CSV_LICENSE_COLUMNS = "user_id, product_id"
# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
        yield [json_text(convert(row)) for row in rows]


async def write_json(org: Organization, out: ChunkWriter, now: datetime) -> None:
    conflicts = await seats.conflict_assignment_ids(org)
    products = [product_doc(p) for p in await catalog()]
    await out.write(b'{"organization":' + json_bytes(organization_doc(org, now)) + b',\n"products":' + json_bytes(products))
    async with Rows(org) as rows:

        async def users() -> AsyncIterator[list[str]]:
            async for batch in rows.users(JSON_USER_COLUMNS, JSON_LICENSE_COLUMNS):
                roles = await roles_for_export(org, [(user[0], user[3], {row[2] for row in held}) for user, held in batch])
                yield [user_json(user, held, conflicts, roles[user[0]]) for user, held in batch]

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
            roles = await roles_for_export(org, [(user[0], user[3], {sku for _, sku in held}) for user, held in batch])
            for (user_id, email, display_name, admin_role, created_at, deleted_at), held in batch:
                writer.writerow(
                    (
                        csv_cell(email),
                        csv_cell(display_name),
                        status_of(NOT_DELETED if deleted_at is None else Deletion(deleted_at), len(held)).value,
                        admin_role or "",
                        csv_cell(";".join(sorted(sku for _, sku in held))),
                        row_time(created_at) or "",
                        row_time(deleted_at) or "",
                        csv_cell(roles_cell(roles[user_id])),
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
