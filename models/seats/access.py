"""The read behind `accessCheck`: the user by email, their license of the product, the product's pool counters and
conflict line, and whether they wait, in ONE statement (the unique email, then three unique keys), whatever the
organization's size.

The statement text is built once per dialect from the models' metadata; asyncpg prepares it once per connection
and reuses it (its statement cache), so a sign-in costs one round trip and no query building. Rows become models
with Tortoise's `_init_from_db` (its own conversions, no query builder), as authentication does
(models/people/auth.py). Nothing is cached across requests: every call reads the rows as they are now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise import connections

from seatwise.models.core.db import placeholders
from seatwise.models.core.tables import LicenseAssignment, LicenseWait, SeatPool, User

_TABLES = ((User, "u"), (LicenseAssignment, "a"), (SeatPool, "p"))
_sql: dict[str, str] = {}


@dataclass
class AccessRows:
    """What one sign-in reads: the user (None: unknown), their license (None: none), the product's pool row (None:
    never created) and whether the user waits for a license of the product."""

    user: User | None
    assignment: LicenseAssignment | None
    pool: SeatPool | None
    waiting: bool


def _access_sql(dialect: str) -> str:
    if dialect not in _sql:
        columns = ", ".join(
            f'{alias}."{column}" AS "{alias}__{column}"' for model, alias in _TABLES for column in model._meta.db_fields
        )
        wait = LicenseWait._meta.db_table
        _sql[dialect] = placeholders(
            f'SELECT {columns}, EXISTS (SELECT 1 FROM "{wait}" w WHERE w."user_id" = u."id" AND w."product_id" = ?) '
            f'AS "w__waiting" FROM "{User._meta.db_table}" u '
            f'LEFT JOIN "{LicenseAssignment._meta.db_table}" a ON a."user_id" = u."id" AND a."product_id" = ? '
            f'LEFT JOIN "{SeatPool._meta.db_table}" p ON p."organization_id" = u."organization_id" AND p."product_id" = ? '
            'WHERE u."organization_id" = ? AND u."email" = ?',
            dialect,
        )
    return _sql[dialect]


async def read_access(org_id: int, email: str, sku: str) -> AccessRows:
    """The rows of one sign-in of `email` (already normalised) into `sku`, read in one statement."""
    client = connections.get("default")
    rows = await client.execute_query_dict(_access_sql(client.capabilities.dialect), [sku, sku, sku, org_id, email])
    if not rows:
        return AccessRows(None, None, None, False)
    parts: dict[str, dict[str, Any]] = {"u": {}, "a": {}, "p": {}, "w": {}}
    for key, value in rows[0].items():
        alias, _, column = key.partition("__")
        parts[alias][column] = value
    assignment = LicenseAssignment._init_from_db(**parts["a"]) if parts["a"]["id"] is not None else None
    pool = SeatPool._init_from_db(**parts["p"]) if parts["p"]["id"] is not None else None
    return AccessRows(User._init_from_db(**parts["u"]), assignment, pool, bool(parts["w"]["waiting"]))
