"""The sign-in read (models/seats/access.py): one statement for the user, their license, the pool and its conflict
line, read as the rows are now: every change that commits between two sign-ins decides the very next answer."""

from datetime import timedelta

from seatwise.models.seats import licenses as seats
from seatwise.models.seats.access import read_access
from tests.events_support import suspend
from tests.support import NOW, count_statements, give_licenses, make_org, make_user


async def test_the_next_sign_in_follows_every_change_committed_before_it():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    first = await make_user(fx, skus=["CRM_BASIC"], email="first@acme.test")
    await make_user(fx, skus=["CRM_BASIC"], email="second@acme.test", now=NOW + timedelta(minutes=1))
    assert await seats.access_check(fx.org, "second@acme.test", "CRM_BASIC") is None
    await suspend(lapsing)  # 1 purchased, 2 assigned: the later license is beyond the line
    assert await seats.access_check(fx.org, "second@acme.test", "CRM_BASIC") == "LICENSE_CONFLICT"
    await seats.revoke_license(fx.org, str(first.id), "CRM_BASIC", actor=fx.actor, now=NOW + timedelta(minutes=2))
    assert await seats.access_check(fx.org, "second@acme.test", "CRM_BASIC") is None  # back within the purchased
    assert await seats.access_check(fx.org, "first@acme.test", "CRM_BASIC") == "NO_LICENSE"


async def test_a_sign_in_reads_only_the_product_asked_for_in_the_callers_organization():
    fx, other = await make_org(), await make_org("Other")
    await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, skus=["CRM_BASIC"], email="holder@acme.test")
    assert await seats.access_check(fx.org, "holder@acme.test", "CRM_ESSENTIAL") == "NO_LICENSE"
    assert await seats.access_check(fx.org, "holder@acme.test", "NO_SUCH_SKU") == "NO_LICENSE"
    assert await seats.access_check(other.org, "holder@acme.test", "CRM_BASIC") == "UNKNOWN_USER"


async def test_the_read_is_one_statement_and_returns_the_rows_it_decided_on():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    user = await make_user(fx, skus=["CRM_BASIC"], email="holder@acme.test")
    rows, sql = await count_statements(read_access(fx.org.id, "holder@acme.test", "CRM_BASIC"))
    assert len(sql) == 1
    assert rows.user is not None and rows.user.id == user.id and rows.user.email == "holder@acme.test"
    assert rows.assignment is not None and rows.assignment.user_id == user.id and rows.assignment.assigned_at == NOW
    assert rows.pool is not None and (rows.pool.purchased, rows.pool.assigned) == (3, 1)
    assert rows.waiting is False
