"""The product catalog of docs/rules.md section 3 (prices in USD cents per license per month)."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0001_initial")]

    operations = [
        ops.RunSQL(
            "INSERT INTO product (sku, name, unit_price_cents, currency, position) VALUES "
            "('CRM_PROFESSIONAL', 'CRM Online Professional', 6500, 'USD', 1), "
            "('CRM_BASIC', 'CRM Online Basic', 3000, 'USD', 2), "
            "('CRM_ESSENTIAL', 'CRM Online Essential', 1500, 'USD', 3)",
            reverse_sql="DELETE FROM product WHERE sku IN ('CRM_PROFESSIONAL', 'CRM_BASIC', 'CRM_ESSENTIAL')",
        )
    ]
