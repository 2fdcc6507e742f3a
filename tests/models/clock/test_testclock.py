from datetime import timedelta

import pytest

from seatwise.models.clock.run import run_clock
from seatwise.models.clock.testclock import advance_test_clock
from seatwise.models.core.clock import add_months, org_now, utcnow
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AuditEvent, ChargeStatus, Organization, StatusReason, SubscriptionStatus, User
from seatwise.models.seats import licenses as seats
from tests.clock_support import PERIOD_END, add_card, charges_of, days, delete_user_at, reload, subscribe
from tests.support import NOW, make_org


async def test_advance_refuses_an_organization_that_is_not_a_sandbox():
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await advance_test_clock(fx.org, NOW + days(40), actor=fx.actor, wall=utcnow())
    assert failed.value.code is ErrorCode.NOT_A_SANDBOX
    assert (await Organization.get(id=fx.org.id)).test_clock_now is None
    assert not await AuditEvent.exists(action="test_clock.advanced")


@pytest.mark.parametrize("offset", [days(0), -days(1)])
async def test_advance_must_move_the_clock_later(offset):
    fx = await make_org(sandbox=True)
    with pytest.raises(DomainError) as failed:
        await advance_test_clock(fx.org, NOW + offset, actor=fx.actor, wall=utcnow())
    assert failed.value.code is ErrorCode.INVALID_INPUT and failed.value.subject == "to"
    assert org_now(await Organization.get(id=fx.org.id)) == NOW


async def test_advance_moves_the_clock_and_renews_at_the_period_end():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    to = PERIOD_END + days(5)

    org = await advance_test_clock(fx.org, to, actor=fx.actor, wall=utcnow())

    assert org_now(org) == to
    sub = await reload(sub)
    assert sub.period_index == 2 and sub.current_period_start == PERIOD_END
    [charge] = await charges_of(sub)
    assert charge.created_at == PERIOD_END and charge.status is ChargeStatus.SUCCEEDED
    [event] = await AuditEvent.filter(action="test_clock.advanced")
    assert event.actor == fx.admin.email and event.at == to
    assert event.details["from"] == "2026-11-29T09:00:00Z" and event.details["renewed"] == 1


async def test_advance_over_months_renews_each_period_at_its_own_end():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    sub = await subscribe(fx, "CRM_ESSENTIAL", 1)
    await advance_test_clock(fx.org, add_months(NOW, 3) + days(1), actor=fx.actor, wall=utcnow())
    assert [c.created_at for c in await charges_of(sub)] == [add_months(NOW, k) for k in (1, 2, 3)]
    assert (await reload(sub)).period_index == 4


async def test_advance_through_a_failed_renewal_retries_daily_then_suspends_at_the_grace_end():
    fx = await make_org(sandbox=True)
    await add_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_PROFESSIONAL", 1, holders=1)

    await advance_test_clock(fx.org, PERIOD_END + days(45), actor=fx.actor, wall=utcnow())

    sub = await reload(sub)
    charges = await charges_of(sub)
    # The failed renewal at the period end, then one retry a day until the grace period ends on day 30.
    assert [c.created_at for c in charges] == [PERIOD_END + days(k) for k in range(30)]
    assert all(c.status is ChargeStatus.FAILED for c in charges)
    assert (sub.status, sub.status_reason) == (SubscriptionStatus.SUSPENDED, StatusReason.PAYMENT_FAILED)
    assert sub.suspended_at == PERIOD_END + days(30) == sub.grace_ends_at
    assert (await seats.seat_pool(fx.org, "CRM_PROFESSIONAL")).in_conflict


async def test_advance_cancels_after_90_days_suspended_at_that_moment():
    fx = await make_org(sandbox=True)
    sub = await subscribe(fx)
    await advance_test_clock(fx.org, PERIOD_END + days(200), actor=fx.actor, wall=utcnow())
    sub = await reload(sub)
    assert (sub.status, sub.status_reason) == (SubscriptionStatus.CANCELLED, StatusReason.PAYMENT_FAILED)
    assert sub.cancelled_at == PERIOD_END + days(120)


async def test_advance_purges_users_when_their_restore_window_ends():
    fx = await make_org(sandbox=True)
    gone = await delete_user_at(fx, NOW + days(1))
    await advance_test_clock(fx.org, NOW + days(60), actor=fx.actor, wall=utcnow())
    assert not await User.exists(id=gone.id)
    [event] = await AuditEvent.filter(action="user.purged")
    assert event.at == NOW + days(31) + timedelta(microseconds=1)  # the first instant after the 30-day restore window


async def test_a_sandbox_is_left_alone_by_the_global_clock_until_advanced():
    fx = await make_org(sandbox=True)
    await add_card(fx)
    sub = await subscribe(fx)
    await run_clock(PERIOD_END + days(3))
    assert (await reload(sub)).period_index == 1
    await advance_test_clock(fx.org, PERIOD_END + days(3), actor=fx.actor, wall=utcnow())
    assert (await reload(sub)).period_index == 2


async def test_advance_is_bounded_to_five_years_at_once():
    fx = await make_org(sandbox=True)
    with pytest.raises(DomainError) as failed:
        await advance_test_clock(fx.org, NOW + days(6 * 366), actor=fx.actor, wall=utcnow())
    assert failed.value.code is ErrorCode.INVALID_INPUT
    assert org_now(await Organization.get(id=fx.org.id)) == NOW


async def test_a_past_due_subscription_set_to_cancel_is_cancelled_at_the_start_of_the_next_advance():
    from seatwise.models.support import cancellation

    fx = await make_org(sandbox=True)
    await add_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_BASIC", 2, holders=2)
    org = await advance_test_clock(fx.org, PERIOD_END + days(2), actor=fx.actor, wall=utcnow())
    assert (await reload(sub)).status is SubscriptionStatus.GRACE_PERIOD
    start = org_now(org)
    await cancellation.cancel_subscription(org, str(sub.id), "bye", acknowledge_data_loss=True, actor=fx.actor, now=start)
    await advance_test_clock(org, start + days(300), actor=fx.actor, wall=utcnow())
    ended = await reload(sub)
    assert ended.status is SubscriptionStatus.CANCELLED and ended.status_reason is StatusReason.CANCELLED_BY_REQUEST
    assert ended.cancelled_at == start  # at once, not 300 days later with its licenses counting meanwhile


async def test_a_refused_concurrent_advance_changes_nothing():
    import asyncio

    fx = await make_org(sandbox=True)
    await add_card(fx)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    first, second = await Organization.get(id=fx.org.id), await Organization.get(id=fx.org.id)
    targets = [NOW + days(10), NOW + days(100)]
    results = await asyncio.gather(
        advance_test_clock(first, targets[0], actor=fx.actor, wall=utcnow()),
        advance_test_clock(second, targets[1], actor=fx.actor, wall=utcnow()),
        return_exceptions=True,
    )
    # Whichever advance claims the clock first moves it; the other is refused before it bills anything.
    [refused] = [r for r in results if isinstance(r, BaseException)]
    [(advanced, to)] = [(r, to) for r, to in zip(results, targets, strict=True) if not isinstance(r, BaseException)]
    assert isinstance(refused, DomainError) and refused.code is ErrorCode.INVALID_INPUT
    assert org_now(await Organization.get(id=fx.org.id)) == org_now(advanced) == to
    renewals = [moment for moment in (add_months(NOW, k) for k in (1, 2, 3)) if moment <= to]  # the winner's, no more
    assert [charge.created_at for charge in await charges_of(sub)] == renewals
    assert (await reload(sub)).current_period_start == (renewals[-1] if renewals else NOW)
    assert (await Organization.get(id=fx.org.id)).test_clock_claimed_at is None
