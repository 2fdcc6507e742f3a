from datetime import timedelta

from seatwise.models.billing import purchases as billing
from seatwise.models.catalog import prices
from seatwise.models.core.tables import StatusReason
from seatwise.models.people import deletion
from seatwise.models.seats import conflicts
from seatwise.models.seats import licenses as seats
from seatwise.models.seats.conflicts import ConflictCause, RemedyKind
from tests.events_support import cancel, card, suspend
from tests.support import NOW, give_licenses, make_org, make_user


async def _staffed(fx, sku: str, count: int, *, start=NOW):
    """`count` users, each given a license of `sku` one minute after the previous."""
    people = []
    for index in range(count):
        user = await make_user(fx)
        await seats.assign_license(fx.org, str(user.id), sku, actor=fx.actor, now=start + timedelta(minutes=index))
        people.append(user)
    return people


async def _affected(fx, sku: str):
    """The users whose licenses of `sku` are in CONFLICT, latest assignment first (one page holds them all here)."""
    page = await conflicts.affected_users_page(fx.org, await seats.seat_pool(fx.org, sku), 100, None)
    assert not page.has_next
    return page.items


async def test_no_conflict_while_every_assigned_license_is_purchased():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    await _staffed(fx, "CRM_BASIC", 3)
    assert await conflicts.license_conflicts(fx.org, now=NOW) == []
    assert await seats.conflict_assignment_ids(fx.org) == set()


async def test_a_suspended_subscription_opens_a_conflict_caused_by_the_failed_payment():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    await _staffed(fx, "CRM_BASIC", 5)

    await suspend(lapsing)

    [conflict] = await conflicts.license_conflicts(fx.org, now=NOW)
    assert conflict.product.sku == "CRM_BASIC"
    assert (conflict.purchased, conflict.assigned, conflict.overage) == (3, 5, 2)
    assert conflict.causes == [ConflictCause.PAYMENT_FAILED]
    assert [r.kind for r in conflict.remedies] == [
        RemedyKind.PURCHASE_LICENSES,
        RemedyKind.REVOKE_LICENSES,
        RemedyKind.DELETE_USERS,
        RemedyKind.UPDATE_PAYMENT_CARD,
    ]


async def test_the_purchase_remedy_quotes_exactly_the_overage_as_purchase_quote_would():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    await _staffed(fx, "CRM_BASIC", 5)
    await suspend(lapsing)
    later = NOW + timedelta(days=10)

    [conflict] = await conflicts.license_conflicts(fx.org, now=later)

    purchase = conflict.remedies[0]
    assert purchase.quote == await prices.quote(fx.org, "CRM_BASIC", 2, later)
    assert purchase.quote.quantity == 2 and purchase.quote.prorated
    assert "purchaseLicenses" in purchase.description and "2" in purchase.description
    assert all(r.description for r in conflict.remedies)
    assert all(r.quote is None for r in conflict.remedies[1:])


async def test_a_subscription_cancelled_on_request_is_the_cause_and_no_card_update_is_offered():
    fx = await make_org()
    await give_licenses(fx, "CRM_ESSENTIAL", 1)
    ending = await give_licenses(fx, "CRM_ESSENTIAL", 2)
    await _staffed(fx, "CRM_ESSENTIAL", 3)

    await cancel(ending)

    [conflict] = await conflicts.license_conflicts(fx.org, now=NOW)
    assert conflict.causes == [ConflictCause.SUBSCRIPTION_CANCELLED]
    assert RemedyKind.UPDATE_PAYMENT_CARD not in [r.kind for r in conflict.remedies]
    assert conflict.overage == 2


async def test_both_causes_are_listed_and_a_payment_cancellation_offers_no_card_update():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    unpaid = await give_licenses(fx, "CRM_BASIC", 1)
    ended = await give_licenses(fx, "CRM_BASIC", 1)
    await _staffed(fx, "CRM_BASIC", 3)

    await cancel(unpaid, StatusReason.PAYMENT_FAILED)
    await cancel(ended)

    [conflict] = await conflicts.license_conflicts(fx.org, now=NOW)
    assert conflict.causes == [ConflictCause.PAYMENT_FAILED, ConflictCause.SUBSCRIPTION_CANCELLED]
    assert [r.kind for r in conflict.remedies] == [
        RemedyKind.PURCHASE_LICENSES,
        RemedyKind.REVOKE_LICENSES,
        RemedyKind.DELETE_USERS,
    ]


async def test_affected_users_are_the_overage_latest_assigned_latest_first():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 3)
    people = await _staffed(fx, "CRM_BASIC", 5)

    await suspend(lapsing)

    [conflict] = await conflicts.license_conflicts(fx.org, now=NOW)
    first = await conflicts.affected_users_page(fx.org, conflict.pool, 2, None)
    rest = await conflicts.affected_users_page(fx.org, conflict.pool, 2, first.cursor(1))
    assert [u.id for u in first.items + rest.items] == [people[4].id, people[3].id, people[2].id]
    assert (await first.total(), first.has_next, rest.has_next) == (3, True, False)


async def test_license_states_and_access_follow_seniority_with_ties_broken_by_id():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    first, second, third = [await make_user(fx) for _ in range(3)]
    for person in (first, second, third):  # the same instant: the id decides
        await seats.assign_license(fx.org, str(person.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    await suspend(lapsing)

    in_conflict = await seats.conflict_assignment_ids(fx.org)
    rows = await seats.assignments_of([first.id, second.id, third.id])
    assert [rows[p.id][0].id in in_conflict for p in (first, second, third)] == [False, False, True]
    assert await seats.access_check(fx.org, first.email, "CRM_BASIC") is None
    assert await seats.access_check(fx.org, f"  {third.email.upper()} ", "CRM_BASIC") == "LICENSE_CONFLICT"


async def test_a_cancelled_subscription_shrinking_the_pool_puts_the_juniors_in_conflict():
    fx = await make_org()
    await give_licenses(fx, "CRM_PROFESSIONAL", 2)
    ending = await give_licenses(fx, "CRM_PROFESSIONAL", 2)
    people = await _staffed(fx, "CRM_PROFESSIONAL", 4)

    await cancel(ending)

    reasons = [await seats.access_check(fx.org, p.email, "CRM_PROFESSIONAL") for p in people]
    assert reasons == [None, None, "LICENSE_CONFLICT", "LICENSE_CONFLICT"]


async def test_a_restored_user_gets_a_new_assigned_at_and_loses_seniority():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    oldest, _middle, newest = await _staffed(fx, "CRM_BASIC", 3)
    await deletion.delete_user(fx.org, str(oldest.id), actor=fx.actor, now=NOW + timedelta(hours=1))
    await deletion.restore_user(fx.org, str(oldest.id), actor=fx.actor, now=NOW + timedelta(hours=2))

    await suspend(lapsing, at=NOW + timedelta(hours=3))

    affected = await _affected(fx, "CRM_BASIC")
    assert [u.id for u in affected] == [oldest.id]
    assert await seats.access_check(fx.org, oldest.email, "CRM_BASIC") == "LICENSE_CONFLICT"
    assert await seats.access_check(fx.org, newest.email, "CRM_BASIC") is None


async def test_revoking_the_overage_settles_the_conflict():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    await _staffed(fx, "CRM_BASIC", 3)
    await suspend(lapsing)

    for user in await _affected(fx, "CRM_BASIC"):
        await seats.revoke_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    assert await conflicts.license_conflicts(fx.org, now=NOW) == []
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).assigned == 1


async def test_deleting_the_overage_users_settles_the_conflict_and_the_senior_keeps_access():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    senior, *_ = await _staffed(fx, "CRM_BASIC", 3)
    await suspend(lapsing)
    assert await seats.access_check(fx.org, senior.email, "CRM_BASIC") is None

    for user in await _affected(fx, "CRM_BASIC"):
        await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW)

    assert await conflicts.license_conflicts(fx.org, now=NOW) == []
    assert await seats.access_check(fx.org, senior.email, "CRM_BASIC") is None


async def test_purchasing_the_overage_settles_the_conflict():
    fx = await make_org()
    await card(fx, 12, 2030)
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 2)
    await _staffed(fx, "CRM_BASIC", 3)
    await suspend(lapsing)
    [conflict] = await conflicts.license_conflicts(fx.org, now=NOW)

    _, charge = await billing.purchase_licenses(fx.org, "CRM_BASIC", conflict.overage, "settle-1", actor=fx.actor, now=NOW)

    assert charge.amount_cents == conflict.remedies[0].quote.amount_cents
    assert await conflicts.license_conflicts(fx.org, now=NOW) == []
