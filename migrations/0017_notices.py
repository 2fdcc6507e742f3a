"""The card.expiring notice (docs/rules.md section 15): payment_card.expiry_noticed, the expiry ("YYYY-MM") the notice
was written for, so that it is written once per card and expiry period. Frozen text: literals only."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0016_usage")]

    initial = False

    operations = [
        ops.AddField(model_name="PaymentCard", name="expiry_noticed", field=fields.CharField(max_length=7, null=True)),
    ]
