"""Licenses that follow use (docs/rules.md section 12) and plans (section 13):

- license_assignment: `last_used_at` (the latest use since the license was given; null: never), `idle_since`
  (= last_used_at, else assigned_at: what idleness is measured from, filled here for every license), `reclaim_at`
  (scheduled by a reclaim policy), and the index (organization_id, product_id, idle_since, id) that serves
  idleLicenses, SeatPool.idle and the reclaim step in order, whatever the organization's size;
- seat_pool.version: moved by every seat change of the pool; a plan token is bound to the organization's sum;
- reclaim_policy: one per organization and product;
- license_dormancy: a user whose inherited license was reclaimed, granted again at the next sign-in.
Frozen text: literals only."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


def _fk(model: str, related: str, to_field: str = "id", on_delete: OnDelete = OnDelete.CASCADE) -> fields.ForeignKeyField:
    source = "product_id" if model == "seatwise.Product" else ("organization_id" if model.endswith("Organization") else "user_id")
    return fields.ForeignKeyField(
        model, source_field=source, db_constraint=True, to_field=to_field, related_name=related, on_delete=on_delete
    )


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0015_event_log")]

    initial = False

    operations = [
        ops.AddField(model_name="LicenseAssignment", name="last_used_at", field=fields.DatetimeField(null=True)),
        ops.AddField(model_name="LicenseAssignment", name="idle_since", field=fields.DatetimeField(null=True)),
        ops.AddField(model_name="LicenseAssignment", name="reclaim_at", field=fields.DatetimeField(null=True)),
        ops.RunSQL(
            ['UPDATE "license_assignment" SET "idle_since" = COALESCE("last_used_at", "assigned_at")'],
            reverse_sql=ops.RunSQL.noop,
        ),
        ops.AddIndex(model_name="LicenseAssignment", index=Index(fields=["organization_id", "product_id", "idle_since", "id"])),
        ops.AddField(model_name="SeatPool", name="version", field=fields.BigIntField(default=0)),
        ops.CreateModel(
            name="ReclaimPolicy",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("organization", _fk("seatwise.Organization", "reclaim_policies")),
                ("product", _fk("seatwise.Product", "reclaim_policies", "sku", OnDelete.RESTRICT)),
                ("enabled", fields.BooleanField(default=True)),
                ("idle_days", fields.IntField()),
                ("notice_days", fields.IntField()),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "reclaim_policy",
                "app": "seatwise",
                "unique_together": (("organization", "product"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LicenseDormancy",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("organization", _fk("seatwise.Organization", "dormancies")),
                ("user", _fk("seatwise.User", "dormancies")),
                ("product", _fk("seatwise.Product", "dormancies", "sku", OnDelete.RESTRICT)),
                ("since", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "license_dormancy",
                "app": "seatwise",
                "unique_together": (("user", "product"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
