"""The tables of the outbox: events in commit order, their per-organization counter, webhook endpoints and deliveries."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.people import Organization


class EventCounter(Model):
    # The last sequence given to an event of the organization; updated in the transaction that writes the events, so
    # the row stays locked until that transaction ends (docs/rules.md section 15).
    organization_id = fields.BigIntField(primary_key=True, generated=False)
    last_sequence = fields.BigIntField(default=0)

    class Meta:
        table = "event_counter"


class Event(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="events", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    sequence = fields.BigIntField()
    type = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    data: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "event"
        unique_together = (("organization_id", "sequence"),)
        indexes = (("at",),)


class WebhookEndpoint(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    url = fields.CharField(max_length=2048)
    description = fields.CharField(max_length=500, default="")
    event_types: list[str] = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.CharField(max_length=200, null=True)
    # The signing secrets, encrypted with the server's key (models/webhooks/secrets.py); the previous one signs too
    # until previous_until.
    secret = fields.TextField()
    previous_secret = fields.TextField(null=True)
    previous_until = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    failing_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_endpoint"


class WebhookDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "seatwise.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int  # the column Tortoise adds for the foreign key
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "seatwise.Event", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: int  # the column Tortoise adds for the foreign key
    status = fields.CharField(max_length=16, default="PENDING")
    attempts: list[dict[str, Any]] = fields.JSONField(default=list)
    next_attempt_at = fields.DatetimeField(null=True)
    # The lease: a worker owns the attempt until lease_until (another process never attempts it meanwhile).
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_delivery"
        indexes = (("status", "next_attempt_at"), ("endpoint_id", "id"))


class NotificationPreference(Model):
    # The kinds of notice an admin gets no email for (models/notices/mail.py); no row: every kind.
    user_id = fields.BigIntField(primary_key=True, generated=False)
    disabled: list[str] = fields.JSONField(default=list)

    class Meta:
        table = "notification_preference"


class MailDelivery(Model):
    # One notice's email to one admin, sent by the delivery worker with the webhooks' retry schedule.
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "seatwise.Event", related_name="mails", on_delete=fields.CASCADE
    )
    event_id: int  # the column Tortoise adds for the foreign key
    user_id = fields.BigIntField()
    recipient = fields.CharField(max_length=320)
    status = fields.CharField(max_length=16, default="PENDING")
    attempts: list[dict[str, Any]] = fields.JSONField(default=list)
    next_attempt_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)

    class Meta:
        table = "mail_delivery"
        indexes = (("status", "next_attempt_at"),)
