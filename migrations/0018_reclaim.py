"""The alert RECLAIM_SCHEDULED (docs/rules.md section 12) groups the scheduled licenses of an organization: the index
(organization_id, reclaim_at) serves it, whatever the organization's size. Frozen text: literals only."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0017_notices")]

    initial = False

    operations = [
        ops.AddIndex(model_name="LicenseAssignment", index=Index(fields=["organization_id", "reclaim_at"])),
    ]
