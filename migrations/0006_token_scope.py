from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from seatwise.models.core.tables import TokenScope


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0005_groups")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Credential",
            name="scope",
            field=fields.CharEnumField(
                description="GRAPHQL: GRAPHQL\nSCIM: SCIM", enum_type=TokenScope, default=TokenScope.GRAPHQL, max_length=16
            ),
        ),
    ]
