"""Every pool's conflict line, stored: 0010 added `seat_pool.line_assigned_at`/`line_id` and left them null until a
pool's next change, and readers walked the index meanwhile. This stores the line of every pool in conflict
(`assigned > purchased`): the (assigned_at, id) of its assignment number `purchased + 1` in (assigned_at, id) order,
as the seat ledger finds it (models/seats/pools.py, `find_line`), and clears it in every other pool. From here on the
line is null exactly when a pool is not in conflict, and readers only read it.

The result is the invariant the ledger keeps, so running it on a database where the ledger kept it changes nothing,
and running it twice is harmless. Plain SQL that SQLite (3.35, the oldest Seatwise runs on) and PostgreSQL share: a
window function numbers the assignments of the pools in conflict (the index on (organization_id, product_id,
assigned_at, id) gives them in order) and `UPDATE ... FROM` takes each pool's one row."""

from tortoise import migrations
from tortoise.migrations import operations as ops

CLEAR = (
    'UPDATE "seat_pool" SET "line_assigned_at" = NULL, "line_id" = NULL '
    'WHERE "line_assigned_at" IS NOT NULL OR "line_id" IS NOT NULL'
)

STORE = """
UPDATE "seat_pool" SET "line_assigned_at" = "ranked"."assigned_at", "line_id" = "ranked"."id"
FROM (
    SELECT la."organization_id", la."product_id", la."assigned_at", la."id",
           ROW_NUMBER() OVER (PARTITION BY la."organization_id", la."product_id" ORDER BY la."assigned_at", la."id") AS "n"
    FROM "license_assignment" la
    JOIN "seat_pool" sp ON sp."organization_id" = la."organization_id" AND sp."product_id" = la."product_id"
    WHERE sp."assigned" > sp."purchased"
) AS "ranked"
WHERE "ranked"."organization_id" = "seat_pool"."organization_id"
  AND "ranked"."product_id" = "seat_pool"."product_id"
  AND "ranked"."n" = "seat_pool"."purchased" + 1
  AND "seat_pool"."assigned" > "seat_pool"."purchased"
"""


class Migration(migrations.Migration):
    dependencies = [("seatwise", "0011_live_users_index")]

    initial = False

    # Backwards: nothing to undo (0010's columns stay, and a stored line is what the ledger would store).
    operations = [ops.RunSQL([CLEAR, STORE], reverse_sql=ops.RunSQL.noop)]
