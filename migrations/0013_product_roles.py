"""Product security roles (docs/rules.md section 14): the roles shipped with the catalog (`catalog_role`, seeded
here: the three CRM products' roles, CRM_ESSENTIAL only the three an Essential license allows), an organization's
own roles (`product_role`), roles given to users directly (`role_grant`) and through groups (`group_role`)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# (key, name, description) in display order; frozen text, not the application's list.
ROLES = [
    ("SYSTEM_ADMINISTRATOR", "System Administrator", "Full access to every record and setting of the product."),
    ("SYSTEM_CUSTOMIZER", "System Customizer", "Customizes the product: entities, fields, forms and views."),
    ("SALES_MANAGER", "Sales Manager", "Manages the sales team's accounts, opportunities and forecasts."),
    ("SALESPERSON", "Salesperson", "Works the accounts, contacts, leads and opportunities they own."),
    ("CUSTOMER_SERVICE_REPRESENTATIVE", "Customer Service Representative", "Handles cases and the knowledge base."),
    ("MARKETING_PROFESSIONAL", "Marketing Professional", "Runs campaigns, lists and marketing leads."),
    ("DELEGATE", "Delegate", "Acts on behalf of another user."),
]
ESSENTIAL = ("SALESPERSON", "CUSTOMER_SERVICE_REPRESENTATIVE", "DELEGATE")
SHIPPED = [
    (sku, position, key, name, description)
    for sku in ("CRM_PROFESSIONAL", "CRM_BASIC", "CRM_ESSENTIAL")
    for position, (key, name, description) in enumerate(ROLES, 1)
    if sku != "CRM_ESSENTIAL" or key in ESSENTIAL
]
SEED = 'INSERT INTO "catalog_role" ("product_id", "position", "key", "name", "description") VALUES ' + ", ".join(
    "('{}', {}, '{}', '{}', '{}')".format(*(str(v).replace("'", "''") for v in row)) for row in SHIPPED
)
UNSEED = "DELETE FROM \"catalog_role\" WHERE \"product_id\" IN ('CRM_PROFESSIONAL', 'CRM_BASIC', 'CRM_ESSENTIAL')"


def _fk(model: str, column: str, to: str, related: str, on_delete: OnDelete) -> fields.ForeignKeyField:
    return fields.ForeignKeyField(
        model, source_field=column, db_constraint=True, to_field=to, related_name=related, on_delete=on_delete
    )


def _id() -> fields.BigIntField:
    return fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0012_backfill_conflict_line")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CatalogRole",
            fields=[
                ("id", _id()),
                ("product", _fk("seatwise.Product", "product_id", "sku", "catalog_roles", OnDelete.RESTRICT)),
                ("key", fields.CharField(max_length=64)),
                ("name", fields.CharField(max_length=128)),
                ("description", fields.CharField(default="", max_length=1024)),
                ("position", fields.IntField(default=0)),
            ],
            options={"table": "catalog_role", "app": "seatwise", "unique_together": (("product", "key"),), "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GroupRole",
            fields=[
                ("id", _id()),
                ("group", _fk("seatwise.Group", "group_id", "id", "roles", OnDelete.CASCADE)),
                ("product", _fk("seatwise.Product", "product_id", "sku", "group_roles", OnDelete.RESTRICT)),
                ("role_key", fields.CharField(max_length=64)),
            ],
            options={
                "table": "group_role",
                "app": "seatwise",
                "unique_together": (("group", "product", "role_key"),),
                "indexes": [Index(fields=["product_id", "role_key"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProductRole",
            fields=[
                ("id", _id()),
                ("organization", _fk("seatwise.Organization", "organization_id", "id", "product_roles", OnDelete.CASCADE)),
                ("product", _fk("seatwise.Product", "product_id", "sku", "product_roles", OnDelete.RESTRICT)),
                ("key", fields.CharField(max_length=64)),
                ("key_upper", fields.CharField(max_length=64)),
                ("name", fields.CharField(max_length=128)),
                ("description", fields.CharField(default="", max_length=1024)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "product_role",
                "app": "seatwise",
                "unique_together": (("organization", "product", "key_upper"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RoleGrant",
            fields=[
                ("id", _id()),
                ("organization", _fk("seatwise.Organization", "organization_id", "id", "role_grants", OnDelete.CASCADE)),
                ("user", _fk("seatwise.User", "user_id", "id", "role_grants", OnDelete.CASCADE)),
                ("product", _fk("seatwise.Product", "product_id", "sku", "role_grants", OnDelete.RESTRICT)),
                ("role_key", fields.CharField(max_length=64)),
                ("granted_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "role_grant",
                "app": "seatwise",
                "unique_together": (("user", "product", "role_key"),),
                "indexes": [Index(fields=["organization_id", "product_id", "role_key"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.RunSQL([SEED], reverse_sql=[UNSEED]),
    ]
