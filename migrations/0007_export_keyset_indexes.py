from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Indexes on (organization_id, id) for the keyset batches of data exports (`id > last ORDER BY id`):
    without them both databases read and sort every row of the organization at each batch."""

    dependencies = [("seatwise", "0006_token_scope")]

    initial = False

    operations = [
        ops.AddIndex(model_name="User", index=Index(fields=["organization_id", "id"])),
        ops.AddIndex(model_name="AuditEvent", index=Index(fields=["organization_id", "id"])),
    ]
