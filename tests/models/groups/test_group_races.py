"""Races: many concurrent addGroupMembers, removals and purchases on one product never oversell, and leave
every member licensed or waiting, exactly once (SQLite, and PostgreSQL with TEST_DATABASE_URL)."""

import asyncio

from seatwise.models.billing import purchases as billing
from seatwise.models.core.tables import LicenseAssignment, LicenseWait, SeatPool
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as memberships
from seatwise.models.groups import reads
from tests.billing_support import add_card
from tests.group_support import check_group_invariants
from tests.support import NOW, give_licenses, make_org, make_user


async def test_concurrent_member_additions_and_purchases_never_oversell_and_leave_everyone_licensed_or_waiting():
    fx = await make_org()
    await add_card(fx)
    await give_licenses(fx, "CRM_BASIC", 3)
    people = [await make_user(fx) for _ in range(24)]
    teams = [
        await groups.create_group(fx.org, name, ["CRM_BASIC"], actor=fx.actor, now=NOW) for name in ("Sales", "Support", "Ops")
    ]

    async def add(index: int):
        team = teams[index % 3]
        chunk = people[(index * 3) % 24 : (index * 3) % 24 + 6]  # overlapping chunks, also across groups
        return await memberships.add_members(fx.org, str(team.id), [str(p.id) for p in chunk], actor=fx.actor, now=NOW)

    async def buy(index: int):
        return await billing.purchase_licenses(fx.org, "CRM_BASIC", 2, f"race-{index}", actor=fx.actor, now=NOW)

    async def leave(index: int):
        return await memberships.remove_members(
            fx.org, str(teams[index % 3].id), [str(people[index].id)], actor=fx.actor, now=NOW
        )

    results = await asyncio.gather(
        *(add(i) for i in range(12)), *(buy(i) for i in range(4)), *(leave(i) for i in range(3)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    assert pool.purchased == 3 + 4 * 2
    assigned = await LicenseAssignment.filter(organization_id=fx.org.id).count()
    waiting = await LicenseWait.filter(organization_id=fx.org.id).count()
    members = set()
    for team in teams:
        members |= set(await reads.members_query(team).values_list("id", flat=True))
    # Never oversold, and nobody waits while a license is free: the members take the licenses there are.
    assert pool.assigned == assigned == min(pool.purchased, len(members))
    assert pool.waiting == waiting == len(members) - assigned
    await check_group_invariants(fx.org.id)
