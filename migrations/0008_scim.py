from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0007_export_keyset_indexes")]

    initial = False

    operations = [
        ops.AddField(model_name="User", name="external_id", field=fields.CharField(null=True, max_length=256)),
        ops.AddField(model_name="User", name="user_name", field=fields.CharField(null=True, max_length=256)),
        ops.AddField(model_name="User", name="user_name_key", field=fields.CharField(null=True, max_length=256)),
        ops.AddField(model_name="User", name="given_name", field=fields.CharField(null=True, max_length=256)),
        ops.AddField(model_name="User", name="family_name", field=fields.CharField(null=True, max_length=256)),
        ops.AddField(model_name="User", name="formatted_name", field=fields.CharField(null=True, max_length=256)),
        ops.AddField(model_name="User", name="emails", field=fields.JSONField(null=True)),
        ops.AddField(model_name="User", name="scim_deleted_at", field=fields.DatetimeField(null=True)),
        ops.AddField(model_name="User", name="last_modified", field=fields.DatetimeField(null=True)),
        ops.AddField(model_name="User", name="display_name_set", field=fields.BooleanField(default=True)),
        ops.AddIndex(model_name="User", index=Index(fields=["organization_id", "external_id"])),
        ops.AddConstraint(model_name="User", constraint=UniqueConstraint(fields=("organization", "user_name_key"))),
        ops.AddField(model_name="Group", name="last_modified", field=fields.DatetimeField(null=True)),
        ops.AddIndex(model_name="Group", index=Index(fields=["organization_id", "external_id"])),
    ]
