"""The users page in every order of section 17 (docs/rules.md): app_user.latest_use (the latest use of any of the
user's licenses, 9999-12-31 when never: last in ascending order), filled here from the licenses' last_used_at, and
one index per order ((organization_id, key, id); email has its own), so that each order pages by keyset from the
index whatever the organization's size. Frozen text: literals only."""

from datetime import UTC, datetime

from tortoise import fields, migrations
from tortoise.fields.db_defaults import SqlDefault
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

NEVER = datetime(9999, 12, 31, tzinfo=UTC)
# As the ORM writes it on SQLite (text that sorts and compares with the values it writes); PostgreSQL casts it.
NEVER_TEXT = SqlDefault("'9999-12-31 00:00:00+00:00'")


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0018_reclaim")]

    initial = False

    operations = [
        ops.AddField(model_name="User", name="latest_use", field=fields.DatetimeField(default=NEVER, db_default=NEVER_TEXT)),
        ops.RunSQL(
            [
                'UPDATE "app_user" SET "latest_use" = (SELECT MAX("la"."last_used_at") FROM "license_assignment" "la" '
                'WHERE "la"."user_id" = "app_user"."id") WHERE EXISTS (SELECT 1 FROM "license_assignment" "la" '
                'WHERE "la"."user_id" = "app_user"."id" AND "la"."last_used_at" IS NOT NULL)'
            ],
            reverse_sql=ops.RunSQL.noop,
        ),
        ops.AddIndex(model_name="User", index=Index(fields=["organization_id", "display_name", "id"])),
        ops.AddIndex(model_name="User", index=Index(fields=["organization_id", "created_at", "id"])),
        ops.AddIndex(model_name="User", index=Index(fields=["organization_id", "latest_use", "id"])),
    ]
