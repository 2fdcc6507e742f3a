"""The license state from one cut-off per product: the same CONFLICT set as ranking every assignment."""

from datetime import timedelta

import pytest

from seatwise.models.core.tables import LicenseAssignment, SeatPool
from seatwise.models.seats import ledger
from seatwise.models.seats import licenses as seats
from tests.events_support import suspend
from tests.support import NOW, give_licenses, make_org, make_user


@pytest.mark.parametrize("kept, lapsed", [(4, 1), (1, 4), (3, 3)])  # overage below, above and equal to purchased
async def test_the_conflict_line_splits_assignments_exactly_as_the_seniority_rule(kept, lapsed):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", kept)
    lapsing = await give_licenses(fx, "CRM_BASIC", lapsed)
    for index in range(kept + lapsed):
        user = await make_user(fx)
        # Two licenses share each moment: the id breaks the tie.
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=index // 2))
    await suspend(lapsing)

    pool = await seats.seat_pool(fx.org, "CRM_BASIC")
    line = await seats.conflict_line(fx.org, pool)
    rows = await LicenseAssignment.filter(organization_id=fx.org.id).order_by("assigned_at", "id")
    assert {r.id for r in rows if line.holds(r)} == await seats.conflict_assignment_ids(fx.org) == {r.id for r in rows[kept:]}
    assert await seats.conflict_lines(fx.org) == {"CRM_BASIC": line}


async def test_no_line_while_a_product_is_not_in_conflict():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    assert await seats.conflict_line(fx.org, await seats.seat_pool(fx.org, "CRM_BASIC")) is None
    assert await seats.conflict_lines(fx.org) == {}


async def test_the_ledger_stores_the_line_so_that_reading_it_walks_no_assignment(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 3)
    for index in range(5):
        user = await make_user(fx)
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=index))
    await suspend(lapsing)  # 5 assigned, 2 purchased: the line is the third assignment
    rows = await LicenseAssignment.filter(organization_id=fx.org.id).order_by("assigned_at", "id")

    async def no_walk(*args, **kwargs):
        raise AssertionError("the stored line was not used")

    monkeypatch.setattr(ledger, "find_line", no_walk)
    line = await seats.conflict_line(fx.org, await seats.seat_pool(fx.org, "CRM_BASIC"))

    assert (line.assigned_at, line.id) == (rows[2].assigned_at, rows[2].id)


async def test_a_revoke_before_the_line_moves_it_and_the_end_of_the_conflict_clears_it():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    users = []
    for index in range(4):
        users.append(user := await make_user(fx))
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=index))
    await suspend(lapsing)
    rows = await LicenseAssignment.filter(organization_id=fx.org.id).order_by("assigned_at", "id")

    await seats.revoke_license(fx.org, str(users[0].id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await SeatPool.filter(organization_id=fx.org.id, product_id="CRM_BASIC").values_list("line_id", flat=True) == [
        rows[3].id
    ]
    await seats.revoke_license(fx.org, str(users[1].id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await SeatPool.filter(organization_id=fx.org.id, product_id="CRM_BASIC").values_list(
        "line_assigned_at", "line_id"
    ) == [(None, None)]
