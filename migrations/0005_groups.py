from enum import Enum

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# Frozen (docs/rules.md section 19): the enums as they were when this migration was written, in literal text;
# a migration never imports application code, so that changing an enum later cannot change what it creates.


class GroupSource(str, Enum):
    SEATWISE = "SEATWISE"
    DIRECTORY = "DIRECTORY"


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0004_charge_attempt")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Group",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="groups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("display_name", fields.CharField(max_length=256)),
                ("name_key", fields.CharField(max_length=256)),
                (
                    "source",
                    fields.CharEnumField(
                        default=GroupSource.SEATWISE,
                        description="SEATWISE: SEATWISE\nDIRECTORY: DIRECTORY",
                        enum_type=GroupSource,
                        max_length=16,
                    ),
                ),
                ("external_id", fields.CharField(null=True, max_length=256)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "user_group",
                "app": "seatwise",
                "unique_together": (("organization", "name_key"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GroupMember",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "seatwise.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "seatwise.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "group_member",
                "app": "seatwise",
                "unique_together": (("group", "user"),),
                "indexes": [Index(fields=["user_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GroupProduct",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "seatwise.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grants",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "product",
                    fields.ForeignKeyField(
                        "seatwise.Product",
                        source_field="product_id",
                        db_constraint=True,
                        to_field="sku",
                        related_name="group_grants",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={"table": "group_product", "app": "seatwise", "unique_together": (("group", "product"),), "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LicenseWait",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="license_waits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "seatwise.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="license_waits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "product",
                    fields.ForeignKeyField(
                        "seatwise.Product",
                        source_field="product_id",
                        db_constraint=True,
                        to_field="sku",
                        related_name="license_waits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("since", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "license_wait",
                "app": "seatwise",
                "unique_together": (("user", "product"),),
                "indexes": [Index(fields=["organization_id", "product_id", "since", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="LicenseAssignment",
            name="direct",
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name="SeatPool",
            name="waiting",
            field=fields.IntField(default=0),
        ),
    ]
