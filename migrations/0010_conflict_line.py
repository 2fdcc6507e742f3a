from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The seat ledger keeps where each product's conflict starts (`seat_pool.line_assigned_at`, `line_id`), so that
    the state of a license (accessCheck, the users page, licenseConflicts) is one row read instead of a walk of the
    index over `min(overage, purchased)` assignments. Pools are filled at their next change (0012 stored the rest; readers no longer walk)."""

    dependencies = [("seatwise", "0009_speed_indexes")]

    initial = False

    operations = [
        ops.AddField(model_name="SeatPool", name="line_assigned_at", field=fields.DatetimeField(null=True)),
        ops.AddField(model_name="SeatPool", name="line_id", field=fields.BigIntField(null=True)),
    ]
