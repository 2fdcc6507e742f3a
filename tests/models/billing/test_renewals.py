import asyncio

from seatwise.models.billing.past_due import retry_past_due
from seatwise.models.clock.run import ClockReport, run_clock
from seatwise.models.core.clock import add_months
from seatwise.models.core.tables import AuditEvent, Charge, ChargeStatus, StatusReason, Subscription, SubscriptionStatus, User
from seatwise.models.events.audit import BILLING_CLOCK
from seatwise.models.seats import licenses as seats
from tests.clock_support import PERIOD_END, Events, add_card, charges_of, days, delete_user_at, reload, subscribe
from tests.support import NOW, make_org


async def audits(action: str) -> list[AuditEvent]:
    return await AuditEvent.filter(action=action).order_by("id")


# ---------------------------------------------------------------- renewals


async def test_renewal_charges_the_default_card_and_starts_the_next_period_at_the_previous_end():
    fx = await make_org()
    await add_card(fx)
    sub = await subscribe(fx, "CRM_BASIC", 3)
    late = PERIOD_END + days(2)  # the clock runs late: the next period still starts at the period end

    report = await run_clock(late)

    sub = await reload(sub)
    assert (report.renewed, report.charges, report.failed_charges) == (1, 1, 0)
    assert sub.status is SubscriptionStatus.ACTIVE
    assert (sub.period_index, sub.current_period_start, sub.current_period_end) == (2, PERIOD_END, add_months(NOW, 2))
    [charge] = await charges_of(sub)
    assert (charge.amount_cents, charge.status, charge.created_at) == (3 * 3000, ChargeStatus.SUCCEEDED, late)
    [event] = await audits("subscription.renewed")
    assert event.actor is None and event.target_id == str(sub.id) and event.details["amountCents"] == 9000


async def test_nothing_happens_before_the_period_end():
    fx = await make_org()
    await add_card(fx)
    sub = await subscribe(fx)
    report = await run_clock(PERIOD_END - days(0.01))
    assert report.to_dict() == {**{k: 0 for k in report.to_dict()}, "organizations": 1}
    assert (await reload(sub)).version == sub.version


async def test_a_clock_several_periods_late_renews_period_after_period_one_charge_each():
    fx = await make_org()
    await add_card(fx)
    start = NOW.replace(month=1, day=31)  # Jan 31: periods end Feb 28, Mar 31, Apr 30 (clamped to shorter months)
    sub = await subscribe(fx, "CRM_ESSENTIAL", 1, start=start)

    report = await run_clock(start.replace(month=4, day=30) + days(1))

    sub = await reload(sub)
    assert report.renewed == 3 and report.charges == 3
    assert sub.period_index == 4 and sub.current_period_end == start.replace(month=5, day=31)
    assert sub.current_period_start == start.replace(month=4, day=30)
    assert [c.amount_cents for c in await charges_of(sub)] == [1500, 1500, 1500]


async def test_subscription_set_to_cancel_is_cancelled_at_period_end_without_charge(monkeypatch):
    fx = await make_org()
    await add_card(fx)
    sub = await subscribe(fx, "CRM_BASIC", 2, holders=1, cancel_at_period_end=True)
    events = Events().install(monkeypatch)

    report = await run_clock(PERIOD_END + days(1))

    sub = await reload(sub)
    assert report.cancelled == 1 and report.charges == 0
    assert (sub.status, sub.status_reason, sub.cancelled_at) == (
        SubscriptionStatus.CANCELLED,
        StatusReason.CANCELLED_BY_REQUEST,
        PERIOD_END,
    )
    assert await Charge.all().count() == 0
    [event] = await audits("subscription.cancelled")
    assert event.details["reason"] == "CANCELLED_BY_REQUEST"
    pool = await seats.seat_pool(fx.org, "CRM_BASIC")
    assert (pool.purchased, pool.assigned) == (0, 1)
    assert events.kinds() == ["SUBSCRIPTION_STATUS_CHANGED", "CONFLICT_OPENED"]


# ---------------------------------------------------------------- failed renewals, grace, suspension


async def test_declined_renewal_starts_the_grace_period_and_licenses_still_count(monkeypatch):
    fx = await make_org()
    await add_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_BASIC", 2, holders=2)
    events = Events().install(monkeypatch)

    report = await run_clock(PERIOD_END)

    sub = await reload(sub)
    assert (report.grace_started, report.charges, report.failed_charges) == (1, 1, 1)
    assert (sub.status, sub.status_reason) == (SubscriptionStatus.GRACE_PERIOD, StatusReason.PAYMENT_FAILED)
    assert sub.grace_ends_at == PERIOD_END + days(30) and sub.current_period_end == PERIOD_END
    [charge] = await charges_of(sub)
    assert (charge.status, charge.failure_code) == (ChargeStatus.FAILED, "CARD_DECLINED")
    [event] = await audits("subscription.grace_started")
    assert event.details["failure"] == "CARD_DECLINED" and event.details["graceEndsAt"] == "2027-01-28T09:00:00Z"
    assert len(await audits("charge.failed")) == 1
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 2
    assert events.kinds() == ["SUBSCRIPTION_STATUS_CHANGED"]


async def test_renewal_without_a_default_card_is_a_failed_renewal_recorded_in_the_audit():
    fx = await make_org()
    sub = await subscribe(fx)
    report = await run_clock(PERIOD_END)
    assert (await reload(sub)).status is SubscriptionStatus.GRACE_PERIOD
    assert report.charges == 0 and await Charge.all().count() == 0
    [event] = await audits("subscription.grace_started")
    assert event.details["failure"] == "NO_PAYMENT_CARD"


async def test_expired_card_fails_the_renewal_as_card_expired():
    fx = await make_org()
    await add_card(fx, exp_month=12, exp_year=2026)  # valid to Dec 31 2026: the Jan 29 2027 renewal fails
    sub = await subscribe(fx, start=PERIOD_END)
    await run_clock(add_months(PERIOD_END, 1))
    [charge] = await charges_of(sub)
    assert charge.failure_code == "CARD_EXPIRED"
    assert (await reload(sub)).status is SubscriptionStatus.GRACE_PERIOD


async def test_grace_retries_at_most_once_a_day():
    fx = await make_org()
    await add_card(fx, declines=True)
    sub = await subscribe(fx)
    await run_clock(PERIOD_END)
    assert (await run_clock(PERIOD_END + days(0.5))).retried == 0
    report = await run_clock(PERIOD_END + days(1))
    assert (report.retried, report.failed_charges) == (1, 1)
    assert (await run_clock(PERIOD_END + days(1.9))).retried == 0
    assert (await run_clock(PERIOD_END + days(2))).retried == 1
    sub = await reload(sub)
    assert sub.status is SubscriptionStatus.GRACE_PERIOD and sub.last_retry_at == PERIOD_END + days(2)
    assert len(await charges_of(sub)) == 3


async def test_a_paid_retry_reactivates_with_a_period_starting_at_the_payment():
    fx = await make_org()
    await add_card(fx, declines=True)
    sub = await subscribe(fx)
    await run_clock(PERIOD_END)
    await add_card(fx)  # a working default card, written directly (no immediate retry)
    paid_at = PERIOD_END + days(3)

    report = await run_clock(paid_at)

    sub = await reload(sub)
    assert (report.retried, report.renewed) == (1, 1)
    assert (sub.status, sub.status_reason, sub.grace_ends_at, sub.last_retry_at) == (SubscriptionStatus.ACTIVE, None, None, None)
    assert (sub.period_anchor, sub.period_index, sub.current_period_start, sub.current_period_end) == (
        paid_at,
        1,
        paid_at,
        add_months(paid_at, 1),
    )
    assert (await audits("subscription.renewed"))[-1].details["retry"] is True


async def test_past_grace_end_the_subscription_is_suspended_and_its_licenses_stop_counting(monkeypatch):
    fx = await make_org()
    await add_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_PROFESSIONAL", 2, holders=2)
    await run_clock(PERIOD_END)
    events = Events().install(monkeypatch)
    moment = PERIOD_END + days(30)

    report = await run_clock(moment)

    sub = await reload(sub)
    assert report.suspended == 1 and report.charges == 0
    assert (sub.status, sub.status_reason, sub.suspended_at) == (
        SubscriptionStatus.SUSPENDED,
        StatusReason.PAYMENT_FAILED,
        moment,
    )
    pool = await seats.seat_pool(fx.org, "CRM_PROFESSIONAL")
    assert (pool.purchased, pool.assigned, pool.in_conflict) == (0, 2, True)
    assert len(await audits("subscription.suspended")) == 1
    assert events.kinds() == ["SUBSCRIPTION_STATUS_CHANGED", "CONFLICT_OPENED"]
    assert all(e.user_id is None and e.at == moment for e in events.seen)


async def test_ninety_days_suspended_cancels_for_payment_failed():
    fx = await make_org()
    sub = await subscribe(fx)
    await run_clock(PERIOD_END)
    await run_clock(PERIOD_END + days(30))
    suspended_at = PERIOD_END + days(30)
    assert (await run_clock(suspended_at + days(89))).cancelled == 0

    report = await run_clock(suspended_at + days(90))

    sub = await reload(sub)
    assert report.cancelled == 1
    assert (sub.status, sub.status_reason, sub.cancelled_at) == (
        SubscriptionStatus.CANCELLED,
        StatusReason.PAYMENT_FAILED,
        suspended_at + days(90),
    )
    [event] = await audits("subscription.cancelled")
    assert event.details["reason"] == "PAYMENT_FAILED" and event.actor is None


async def test_users_deleted_over_30_days_ago_are_purged():
    fx = await make_org()
    old = await delete_user_at(fx, NOW)
    recent = await delete_user_at(fx, NOW + days(10))
    report = await run_clock(NOW + days(30))
    assert report.purged == 0  # exactly 30 days: still restorable
    report = await run_clock(NOW + days(31))
    assert report.purged == 1
    assert not await User.exists(id=old.id) and await User.exists(id=recent.id)
    [event] = await audits("user.purged")
    assert event.actor is None and event.target_id == str(old.id)


# ---------------------------------------------------------------- idempotency and scope


async def test_running_the_clock_twice_for_the_same_time_changes_nothing_more():
    fx = await make_org()
    await add_card(fx, declines=True)
    declined = await subscribe(fx, "CRM_BASIC", 1)
    await add_card(fx, default=False)
    first = await run_clock(PERIOD_END)
    audit_count = await AuditEvent.all().count()
    versions = {s.id: s.version for s in await Subscription.all()}

    again = await run_clock(PERIOD_END)

    assert first.grace_started == 1 and first.charges == 1
    assert again.to_dict() == {**{k: 0 for k in again.to_dict()}, "organizations": 1}
    assert await AuditEvent.all().count() == audit_count
    assert {s.id: s.version for s in await Subscription.all()} == versions
    assert len(await charges_of(declined)) == 1


async def test_two_clocks_at_once_charge_each_renewal_once():
    fx = await make_org()
    await add_card(fx)
    subs = [await subscribe(fx, sku, 2) for sku in ("CRM_BASIC", "CRM_ESSENTIAL", "CRM_PROFESSIONAL")]
    late = add_months(NOW, 3) + days(1)  # three periods owed each

    reports = await asyncio.gather(run_clock(late), run_clock(late))

    assert sum(r.renewed for r in reports) == 9 and sum(r.charges for r in reports) == 9
    for sub in subs:
        assert len(await charges_of(sub)) == 3
        assert (await reload(sub)).period_index == 4
    assert len(await audits("subscription.renewed")) == 9


async def test_the_global_clock_skips_sandboxes_and_counts_organizations():
    sandbox = await make_org("Play", sandbox=True)
    await add_card(sandbox)
    sub = await subscribe(sandbox)
    await make_org("Real")
    report = await run_clock(PERIOD_END + days(1))
    assert report.organizations == 1 and report.renewed == 0
    assert (await reload(sub)).period_index == 1
    assert (await run_clock(PERIOD_END + days(1), org=sandbox.org)).renewed == 1


async def test_report_to_dict_names_every_count():
    assert list(ClockReport().to_dict()) == [
        "renewed",
        "graceStarted",
        "retried",
        "suspended",
        "cancelled",
        "purged",
        "charges",
        "failedCharges",
        "organizations",
    ]


# ---------------------------------------------------------------- retry_past_due (a new or fixed card)


async def test_retry_past_due_reactivates_grace_and_suspended_subscriptions_at_once(monkeypatch):
    fx = await make_org()
    await add_card(fx, declines=True)
    in_grace = await subscribe(fx, "CRM_BASIC", 1)
    suspended = await subscribe(fx, "CRM_PROFESSIONAL", 2, holders=2)
    await run_clock(PERIOD_END)
    await Subscription.filter(id=suspended.id).update(grace_ends_at=PERIOD_END + days(1))
    await run_clock(PERIOD_END + days(1))
    assert (await reload(suspended)).status is SubscriptionStatus.SUSPENDED
    await add_card(fx)
    events = Events().install(monkeypatch)
    now = PERIOD_END + days(2)

    renewed = await retry_past_due(fx.org, actor=fx.actor, now=now)

    assert sorted(s.id for s in renewed) == sorted([in_grace.id, suspended.id])
    for sub in renewed:
        assert (sub.status, sub.status_reason, sub.suspended_at, sub.grace_ends_at) == (
            SubscriptionStatus.ACTIVE,
            None,
            None,
            None,
        )
        assert (sub.period_anchor, sub.period_index, sub.current_period_end) == (now, 1, add_months(now, 1))
    pool = await seats.seat_pool(fx.org, "CRM_PROFESSIONAL")
    assert (pool.purchased, pool.in_conflict) == (2, False)
    assert "CONFLICT_RESOLVED" in events.kinds()
    renewed_events = await audits("subscription.renewed")
    assert len(renewed_events) == 2 and {e.actor for e in renewed_events} == {fx.admin.email}


async def test_retry_past_due_with_a_declining_card_changes_nothing_but_the_failed_charges():
    fx = await make_org()
    await add_card(fx, declines=True)
    sub = await subscribe(fx)
    await run_clock(PERIOD_END)
    assert await retry_past_due(fx.org, actor=BILLING_CLOCK, now=PERIOD_END + days(0.5)) == []
    sub = await reload(sub)
    assert sub.status is SubscriptionStatus.GRACE_PERIOD and sub.grace_ends_at == PERIOD_END + days(30)
    assert [c.status for c in await charges_of(sub)] == [ChargeStatus.FAILED, ChargeStatus.FAILED]


async def test_a_new_card_does_not_charge_a_past_due_subscription_set_to_cancel():
    from seatwise.models.billing import cards
    from seatwise.models.support import cancellation

    fx = await make_org()
    await add_card(fx, declines=True)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await run_clock(PERIOD_END, org=fx.org)
    assert (await reload(sub)).status is SubscriptionStatus.GRACE_PERIOD
    await cancellation.cancel_subscription(
        fx.org, str(sub.id), "bye", acknowledge_data_loss=True, actor=fx.actor, now=PERIOD_END + days(1)
    )
    _, renewed = await cards.add_card(fx.org, "4242424242424242", 12, 2030, "123", True, actor=fx.actor, now=PERIOD_END + days(1))
    assert renewed == []
    assert not [c for c in await charges_of(sub) if c.status is ChargeStatus.SUCCEEDED]
    await run_clock(PERIOD_END + days(1), org=fx.org)
    assert (await reload(sub)).status is SubscriptionStatus.CANCELLED
