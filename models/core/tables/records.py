"""The tables of what an organization keeps on record: service requests, data exports, the audit trail."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.billing import Subscription
from seatwise.models.core.tables.enums import ExportFormat, ServiceRequestCategory, ServiceRequestStatus
from seatwise.models.core.tables.people import Organization


class ServiceRequest(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="service_requests", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    category = fields.CharEnumField(ServiceRequestCategory, max_length=32)
    status = fields.CharEnumField(ServiceRequestStatus, max_length=16)
    description = fields.TextField()
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "seatwise.Subscription", related_name="service_requests", null=True, on_delete=fields.SET_NULL
    )
    subscription_id: int | None  # the column Tortoise adds for the foreign key
    resolution = fields.TextField(null=True)
    submitted_by = fields.CharField(max_length=254, null=True)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "service_request"
        indexes = (("organization_id", "created_at", "id"),)


class DataExport(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="exports", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    format = fields.CharEnumField(ExportFormat, max_length=8)
    size_bytes = fields.BigIntField(default=0)
    sha256 = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "data_export"


class DataExportChunk(Model):
    # The export file, stored as ordered chunks so that every server instance can serve it.

    id = fields.BigIntField(primary_key=True)
    export: fields.ForeignKeyRelation[DataExport] = fields.ForeignKeyField(
        "seatwise.DataExport", related_name="chunks", on_delete=fields.CASCADE
    )
    export_id: int  # the column Tortoise adds for the foreign key
    seq = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "data_export_chunk"
        unique_together = (("export", "seq"),)


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="audit_events", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    action = fields.CharField(max_length=64)
    actor = fields.CharField(max_length=254, null=True)
    target_type = fields.CharField(max_length=32)
    target_id = fields.CharField(max_length=64)
    details: dict[str, Any] = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    class Meta:
        table = "audit_event"
        # (organization_id, id): the keyset batches of data exports
        indexes = (
            ("organization_id", "at", "id"),
            ("organization_id", "action"),
            ("organization_id", "target_id"),
            ("organization_id", "id"),
        )
