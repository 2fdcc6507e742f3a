"""Holding rows until the transaction ends: the one way Seatwise serializes changes of the same rows.

`hold(query, column)` rewrites `column` of every row of `query` with its own value, in one UPDATE. It guarantees
that no other transaction changes those rows (or holds them) until the caller's transaction ends, and that what
the caller reads afterwards is what the rows are while it holds them: on PostgreSQL the UPDATE takes the rows'
locks (a concurrent holder waits, then sees the committed rows); SQLite lets one writer in at a time, so the first
hold of a transaction takes the database's write lock before anything is read, and a transaction never has to
upgrade from reading to writing. `hold_returning` is the same in one statement with the held rows' values read
back (`UPDATE ... RETURNING`, SQLite 3.35 and PostgreSQL).

Lock order of every change (so that two changes never wait for each other): organization -> group -> pools (in
SKU order) -> users -> subscriptions. `core.db.lock_name` serializes on a name that no row stands for (a sign-in email).
"""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.queryset import QuerySet

from seatwise.models.core.db import placeholders
from seatwise.models.core.tables import Organization


async def hold(query: QuerySet[Any], column: str) -> int:
    """Hold every row of `query` until the transaction ends; returns how many rows are held."""
    return await query.update(**{column: F(column)})


async def hold_returning(model: type[Model], where: dict[str, Any], column: str, read: tuple[str, ...]) -> list[dict]:
    """Hold the rows of `model` whose columns equal `where` and read `read` of them, in one statement."""
    client = connections.get("default")  # the transaction's connection inside in_transaction()
    condition = " AND ".join(f'"{name}" = ?' for name in where)
    returning = ", ".join(f'"{name}"' for name in read)
    sql = f'UPDATE "{model._meta.db_table}" SET "{column}" = "{column}" WHERE {condition} RETURNING {returning}'
    return await client.execute_query_dict(placeholders(sql, client.capabilities.dialect), list(where.values()))


async def hold_organization(org: Organization) -> None:
    """Serialize the changes that need a rule over the whole organization (the last GLOBAL_ADMIN, the default card):
    its row, first in the lock order."""
    await hold(Organization.filter(id=org.id), "name")
