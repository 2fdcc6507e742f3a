from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0002_product_catalog")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Organization",
            name="test_clock_claimed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
