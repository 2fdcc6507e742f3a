"""The outbox (docs/rules.md section 15): events with their per-organization sequence, the counter that hands the
sequence out, webhook endpoints (secrets encrypted) and their deliveries. Counter rows of existing organizations are
created here, so that writers only ever update them."""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

COUNTERS = 'INSERT INTO "event_counter" ("organization_id", "last_sequence") SELECT "id", 0 FROM "organization"'


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0014_card_tokens")]

    initial = False

    operations = [
        ops.CreateModel(
            name="EventCounter",
            fields=[
                ("organization_id", fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ("last_sequence", fields.BigIntField(default=0)),
            ],
            options={"table": "event_counter", "app": "seatwise", "pk_attr": "organization_id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Event",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("sequence", fields.BigIntField()),
                ("type", fields.CharField(max_length=64)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("data", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={
                "table": "event",
                "app": "seatwise",
                "unique_together": (("organization_id", "sequence"),),
                "indexes": [Index(fields=["at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookEndpoint",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_endpoints",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("url", fields.CharField(max_length=2048)),
                ("description", fields.CharField(default="", max_length=500)),
                ("event_types", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("enabled", fields.BooleanField(default=True)),
                ("disabled_reason", fields.CharField(null=True, max_length=200)),
                ("secret", fields.TextField(unique=False)),
                ("previous_secret", fields.TextField(null=True, unique=False)),
                ("previous_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_success_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("failing_since", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "webhook_endpoint", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "endpoint",
                    fields.ForeignKeyField(
                        "seatwise.WebhookEndpoint",
                        source_field="endpoint_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "event",
                    fields.ForeignKeyField(
                        "seatwise.Event",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("status", fields.CharField(default="PENDING", max_length=16)),
                ("attempts", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("next_attempt_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("lease_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "webhook_delivery",
                "app": "seatwise",
                "indexes": [Index(fields=["status", "next_attempt_at"]), Index(fields=["endpoint_id", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NotificationPreference",
            fields=[
                ("user_id", fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ("disabled", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={"table": "notification_preference", "app": "seatwise", "pk_attr": "user_id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MailDelivery",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "event",
                    fields.ForeignKeyField(
                        "seatwise.Event",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mails",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("user_id", fields.BigIntField()),
                ("recipient", fields.CharField(max_length=320)),
                ("status", fields.CharField(default="PENDING", max_length=16)),
                ("attempts", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("next_attempt_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("lease_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "mail_delivery",
                "app": "seatwise",
                "indexes": [Index(fields=["status", "next_attempt_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.RunSQL([COUNTERS], reverse_sql=ops.RunSQL.noop),
    ]
