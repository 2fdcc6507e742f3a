import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0003_test_clock_claim")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ChargeAttempt",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="charge_attempts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(unique=True, max_length=255)),
                ("gateway_key", fields.CharField(max_length=255)),
                (
                    "card",
                    fields.ForeignKeyField(
                        "seatwise.PaymentCard",
                        source_field="card_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charge_attempts",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("subscription_id", fields.BigIntField(null=True)),
                ("amount_cents", fields.IntField()),
                ("currency", fields.CharField(default="USD", max_length=3)),
                ("description", fields.CharField(max_length=512)),
                (
                    "details",
                    fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                ("claimed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "charge_attempt", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
