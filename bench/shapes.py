"""The benchmark's data shapes (`python -m bench --shape ...`, `seed.seed_org(..., shape=...)`).

- `default`: the organization of bench/seed.py, its conflicting CRM_PROFESSIONAL licenses the latest ones given (the
  last users in email order), no deleted user, one group.
- `mixed`: the shape a held-out run found slower at 100k than at 1k. 10% of the users in conflict as in `default`, but
  the CRM_PROFESSIONAL licenses given in a shuffled order (seeded: the same at every run), so the licenses in conflict
  are spread over every page of users; 5% of the users deleted (no license, no group, no role: what deleting does);
  20 groups, every live user a member of one.
"""

from __future__ import annotations

import random
from datetime import datetime

from tortoise import connections

from seatwise.models.core.tables import Group, GroupMember

SHAPES = ("default", "mixed")
GROUPS = 20


def deleted(shape: str, index: int) -> bool:
    """Is the user of this index deleted (1 in 20 with `mixed`)?"""
    return shape == "mixed" and index % 20 == 7


def assignment_order(shape: str, size: int) -> list[int]:
    """The second (after the product's first) at which user `index` got CRM_PROFESSIONAL: in user order, or shuffled."""
    order = list(range(size))
    if shape == "mixed":
        random.Random(size).shuffle(order)
    return order


async def finish(shape: str, org_id: int, ids: list[int], now: datetime, bulk_insert) -> None:
    """What `mixed` adds once the users and their licenses exist: deleted users, 20 groups with every live user in one."""
    if shape != "mixed":
        return
    gone = [uid for i, uid in enumerate(ids) if deleted(shape, i)]
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        marks = ", ".join(f"${n}" if postgres else "?" for n in range(2, len(chunk) + 2))
        first = "$1" if postgres else "?"
        await conn.execute_query(f"UPDATE app_user SET deleted_at = {first} WHERE id IN ({marks})", [now, *chunk])
    groups = [
        await Group.create(organization_id=org_id, display_name=f"Team {n:02d}", name_key=f"team {n:02d}", created_at=now)
        for n in range(GROUPS)
    ]
    await bulk_insert(
        GroupMember,
        ({"group_id": groups[i % GROUPS].id, "user_id": uid} for i, uid in enumerate(ids) if not deleted(shape, i)),
    )
