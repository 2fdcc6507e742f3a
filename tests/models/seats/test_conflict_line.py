"""The license state from one cut-off per product: the same CONFLICT set as ranking every assignment."""

from datetime import timedelta

import pytest

from seatwise.models.core.tables import LicenseAssignment, SeatPool
from seatwise.models.seats import conflicts
from seatwise.models.seats import licenses as seats
from tests.events_support import suspend
from tests.support import NOW, count_statements, give_licenses, make_org, make_user


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


async def test_no_line_while_a_product_is_not_in_conflict():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    assert await seats.conflict_line(fx.org, await seats.seat_pool(fx.org, "CRM_BASIC")) is None
    assert await seats.conflict_assignment_ids(fx.org) == set()


async def test_the_ledger_stores_the_line_so_that_reading_it_walks_no_assignment():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 3)
    for index in range(5):
        user = await make_user(fx)
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=index))
    await suspend(lapsing)  # 5 assigned, 2 purchased: the line is the third assignment
    rows = await LicenseAssignment.filter(organization_id=fx.org.id).order_by("assigned_at", "id")
    pool = await seats.seat_pool(fx.org, "CRM_BASIC")

    line, sql = await count_statements(seats.conflict_line(fx.org, pool))

    assert (line.assigned_at, line.id) == (rows[2].assigned_at, rows[2].id)
    assert len(sql) == 1 and '"seat_pool"' in sql[0] and "license_assignment" not in sql[0], sql


async def test_the_stored_line_is_the_one_answer():
    """Readers take the line from the pool row and nowhere else: a pool in conflict with no line stored (which the
    ledger and migration 0012 never leave) shows no license in CONFLICT, and a line moved shows the new split."""
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    people = []
    for index in range(3):
        people.append(user := await make_user(fx))
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=index))
    await suspend(lapsing)
    rows = await LicenseAssignment.filter(organization_id=fx.org.id).order_by("assigned_at", "id")
    pool = await seats.seat_pool(fx.org, "CRM_BASIC")
    stored = SeatPool.filter(organization_id=fx.org.id, product_id="CRM_BASIC")

    await stored.update(line_assigned_at=rows[2].assigned_at, line_id=rows[2].id)
    assert await seats.conflict_assignment_ids(fx.org) == {rows[2].id}
    assert [await seats.access_check(fx.org, p.email, "CRM_BASIC") for p in people] == [None, None, "LICENSE_CONFLICT"]
    page = await conflicts.affected_users_page(fx.org, pool, 10, None)
    assert [u.id for u in page.items] == [people[2].id]

    await stored.update(line_assigned_at=None, line_id=None)
    assert await seats.conflict_line(fx.org, pool) is None
    assert await seats.conflict_assignment_ids(fx.org) == set()
    assert [await seats.access_check(fx.org, p.email, "CRM_BASIC") for p in people] == [None, None, None]


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
