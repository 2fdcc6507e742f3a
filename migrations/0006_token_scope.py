from enum import Enum

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# Frozen (docs/rules.md section 19): the enums as they were when this migration was written, in literal text;
# a migration never imports application code, so that changing an enum later cannot change what it creates.


class TokenScope(str, Enum):
    GRAPHQL = "GRAPHQL"
    SCIM = "SCIM"


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
