"""PostgreSQL: a reclaim run and 50 concurrent sign-ins of the users it is about to reclaim (docs/rules.md section
12). A sign-in whose use commits before the reclaim holds the license keeps it; one after finds it gone (and, held
through a group, gets it back or waits); nobody ends with both a license and a place in line, nothing is lost
unaudited, and the counters are the rows."""

import asyncio
from datetime import timedelta

import pytest

from seatwise.models.clock.run import run_clock
from seatwise.models.core.tables import AuditEvent, LicenseAssignment, LicenseDormancy, LicenseWait, SeatPool, Subscription
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.usage import access, policies
from tests.support import NOW, give_licenses, is_postgres, make_org, make_user


async def test_fifty_sign_ins_racing_a_reclaim_run_keep_or_lose_their_license_never_both():
    if not is_postgres():
        pytest.skip("PostgreSQL only: SQLite serialises every statement of a process")
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 50)
    await Subscription.filter(id=sub.id).update(current_period_end=NOW + timedelta(days=3650))
    people = [await make_user(fx, skus=["CRM_BASIC"] if i % 2 == 0 else None) for i in range(50)]
    group = await groups.create_group(fx.org, "Team", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(p.id) for p in people[1::2]], actor=fx.actor, now=NOW)
    await policies.set_reclaim_policy(fx.org, "CRM_BASIC", enabled=True, idle_days=14, notice_days=0, actor=fx.actor, now=NOW)
    now = NOW + timedelta(days=20)

    answers = await asyncio.gather(
        run_clock(now), *[access.sign_in(fx.org, p.email, "CRM_BASIC", actor=fx.actor, now=now) for p in people]
    )

    reclaimed = {
        int(e.target_id): e.details for e in await AuditEvent.filter(organization_id=fx.org.id, action="license.reclaimed")
    }
    holders = set(await LicenseAssignment.filter(organization_id=fx.org.id).values_list("user_id", flat=True))
    waiting = set(await LicenseWait.filter(organization_id=fx.org.id).values_list("user_id", flat=True))
    dormant = set(await LicenseDormancy.filter(organization_id=fx.org.id).values_list("user_id", flat=True))
    assert not holders & waiting and not holders & dormant
    assert all(details["lastUsedAt"] != now.isoformat() for details in reclaimed.values())  # a recorded use keeps it
    for person in people:  # every license is still held, or its reclaim is audited
        assert person.id in holders or person.id in reclaimed
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    assert pool.assigned == len(holders) <= pool.purchased and pool.waiting == len(waiting)
    assert answers[0].reclaimed == len(reclaimed)
