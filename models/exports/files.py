"""Data exports: making one (the organization's data as one JSON document or a CSV of users, written as a stream),
listing, reading and removing them.

Rows are read in keyset batches (models/exports/rows.py) and encoded piece by piece (models/exports/formats.py)
into a chunk buffer that is hashed as it fills and stored as DataExportChunk rows (models/exports/writer.py), so
an export of 100,000 users never holds the organization in memory. Chunks are written outside one long
transaction (on SQLite a long transaction would stall every other request of the process); the export becomes
visible only when it is finished: size, SHA-256 and the `data.exported` audit event are written together.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.core.lookups import in_org
from seatwise.models.core.tables import DataExport, DataExportChunk, ExportFormat, Organization
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.exports.formats import WRITERS
from seatwise.models.exports.rows import BATCH_SIZE
from seatwise.models.exports.writer import ChunkWriter

log = logging.getLogger("seatwise.exports")

# An export still unfinished this long after it started was killed (a request of a few minutes at most).
UNFINISHED_AFTER = timedelta(hours=1)
# Finished exports are kept 30 days: longer than the 7 days within which cancelling needs an export,
# and no longer than needed for a file of personal data (GDPR storage limitation).
RETENTION = timedelta(days=30)


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
    at its test clock's `now` (as `clock.run.run_clock`). Returns how many were removed."""
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
