"""Helpers for the support, export and audit tests (cancellation, exports, many users)."""

from __future__ import annotations

from datetime import datetime, timedelta

from seatwise.models.core.tables import DataExport, ExportFormat, User
from seatwise.models.exports import files as exports
from tests.support import NOW, OrgFixture

CANCEL = """
mutation($input: CancelSubscriptionInput!) {
  cancelSubscription(input: $input) {
    subscription { id status statusReason cancelAtPeriodEnd cancelledAt currentPeriodEnd }
    serviceRequest { id category status description resolution resolvedAt subscription { id } }
    userErrors { code field message }
  }
}"""

SUBMIT = """
mutation($input: SubmitServiceRequestInput!) {
  submitServiceRequest(input: $input) {
    serviceRequest { id category status description resolution resolvedAt subscription { id cancelAtPeriodEnd status } }
    userErrors { code field message }
  }
}"""

EXPORT = """
mutation($format: ExportFormat!) {
  exportData(input: {format: $format}) {
    dataExport { id format sizeBytes sha256 downloadUrl createdAt }
    userErrors { code message }
  }
}"""


async def export_now(fx: OrgFixture, fmt: ExportFormat = ExportFormat.JSON, *, now: datetime = NOW) -> DataExport:
    return await exports.create_export(fx.org, fmt, actor=fx.actor, now=now)


async def old_export(fx: OrgFixture, *, age: timedelta = timedelta(days=8)) -> DataExport:
    """A finished export older than the 7 days that a cancellation accepts."""
    return await exports.create_export(fx.org, ExportFormat.CSV, actor=fx.actor, now=NOW - age)


async def read_export(export: DataExport) -> bytes:
    return b"".join([part async for part in exports.export_bytes(export)])


async def bulk_users(fx: OrgFixture, count: int, *, batch: int = 5000, deleted_every: int = 0, first: int = 0) -> None:
    """Insert `count` users directly (no audit, no licenses), numbered from `first`: fast fixtures for big exports."""
    for start in range(first, first + count, batch):
        rows = []
        for i in range(start, min(start + batch, first + count)):
            deleted = deleted_every and i % deleted_every == 0
            rows.append(
                User(
                    organization_id=fx.org.id,
                    email=f"bulk{i:06d}@big.test",
                    display_name=f'Bulk, User "{i}"',
                    created_at=NOW,
                    deleted_at=NOW if deleted else None,
                    licenses_at_deletion=[],
                )
            )
        await User.bulk_create(rows)
