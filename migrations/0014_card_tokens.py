"""Cards through a processor (docs/rules.md section 18): the sandbox tokenizer's single-use tokens, and the
organization's customer at a processor (Stripe: a Customer cus_...). Frozen text: literals only."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0013_product_roles")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SandboxCardToken",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("token", fields.CharField(unique=True, max_length=64)),
                ("brand", fields.CharField(max_length=16)),
                ("last4", fields.CharField(max_length=4)),
                ("exp_month", fields.IntField()),
                ("exp_year", fields.IntField()),
                ("outcome", fields.CharField(max_length=24)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "sandbox_card_token", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GatewayCustomer",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="gateway_customers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("gateway", fields.CharField(max_length=16)),
                ("reference", fields.CharField(max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "gateway_customer",
                "app": "seatwise",
                "unique_together": (("organization", "gateway"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
