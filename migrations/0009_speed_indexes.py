"""Indexes that serve each often-called query with a range scan in its order (keyset pages, COUNT, conflict lines).

- license_assignment (organization_id, product_id, assigned_at, id) replaces (…, assigned_at): a product's conflict
  line and its affected users walk (assignedAt, id) without sorting ties.
- audit_event (organization_id, at, id) replaces (organization_id, at); charge and service_request
  (organization_id, created_at, id): newest-first pages from a cursor (these two had no index on the organization).

The users page needs none: (organization_id, email) serves it in order.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0008_scim")]

    initial = False

    operations = [
        ops.AddIndex(model_name="LicenseAssignment", index=Index(fields=["organization_id", "product_id", "assigned_at", "id"])),
        ops.RemoveIndex(model_name="LicenseAssignment", fields=["organization_id", "product_id", "assigned_at"]),
        ops.AddIndex(model_name="AuditEvent", index=Index(fields=["organization_id", "at", "id"])),
        ops.RemoveIndex(model_name="AuditEvent", fields=["organization_id", "at"]),
        ops.AddIndex(model_name="Charge", index=Index(fields=["organization_id", "created_at", "id"])),
        ops.AddIndex(model_name="ServiceRequest", index=Index(fields=["organization_id", "created_at", "id"])),
    ]
