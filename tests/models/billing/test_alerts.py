from datetime import timedelta

from seatwise.models.billing import alerts
from seatwise.models.billing.alerts import AlertKind
from seatwise.models.billing.schedule import SUSPENDED_FOR
from seatwise.models.core.tables import StatusReason, Subscription, SubscriptionStatus
from seatwise.models.seats import licenses as seats
from tests.events_support import card, set_status, suspend
from tests.support import NOW, give_licenses, make_org, make_user

# NOW is 2026-11-29: a card expiring 11/2026 is valid until 2026-12-01, before the renewals of 2026-12-29.


async def _fill(fx, sku: str, count: int) -> None:
    for _ in range(count):
        await make_user(fx, skus=[sku])


async def test_an_organization_with_nothing_to_fix_has_no_alerts():
    fx = await make_org()
    await card(fx, 12, 2030)
    await give_licenses(fx, "CRM_BASIC", 10)
    await _fill(fx, "CRM_BASIC", 5)
    assert await alerts.alerts(fx.org, now=NOW) == []


async def test_alerts_come_in_kind_order_then_by_due_date():
    fx = await make_org()
    await card(fx, 11, 2026)
    # LICENSE_CONFLICT (and SEATS_LOW) on CRM_PROFESSIONAL: 2 assigned, 1 counting.
    kept = await give_licenses(fx, "CRM_PROFESSIONAL", 1)
    lapsing = await give_licenses(fx, "CRM_PROFESSIONAL", 1)
    await _fill(fx, "CRM_PROFESSIONAL", 2)
    await suspend(lapsing)
    # PAYMENT_FAILED twice (grace ends later for the later period), CARD_EXPIRING, SUBSCRIPTION_ENDING.
    late = await give_licenses(fx, "CRM_BASIC", 5, now=NOW + timedelta(days=3))
    early = await give_licenses(fx, "CRM_BASIC", 5)
    await set_status(late, SubscriptionStatus.GRACE_PERIOD, StatusReason.PAYMENT_FAILED)
    await set_status(early, SubscriptionStatus.GRACE_PERIOD, StatusReason.PAYMENT_FAILED)
    renewing = await give_licenses(fx, "CRM_ESSENTIAL", 2)
    ending = await give_licenses(fx, "CRM_ESSENTIAL", 2)
    await Subscription.filter(id=ending.id).update(cancel_at_period_end=True)

    found = await alerts.alerts(fx.org, now=NOW)

    assert [(a.kind, a.subscription.id if a.subscription else a.product.sku) for a in found] == [
        (AlertKind.LICENSE_CONFLICT, "CRM_PROFESSIONAL"),
        (AlertKind.PAYMENT_FAILED, early.id),
        (AlertKind.PAYMENT_FAILED, late.id),
        (AlertKind.PAYMENT_FAILED, lapsing.id),
        (AlertKind.CARD_EXPIRING, kept.id),  # same renewal day: catalog order
        (AlertKind.CARD_EXPIRING, renewing.id),
        (AlertKind.SUBSCRIPTION_ENDING, ending.id),
        (AlertKind.SEATS_LOW, "CRM_PROFESSIONAL"),
    ]
    assert all(a.message for a in found)


async def test_payment_failed_is_due_at_the_grace_end_or_at_the_cancellation_of_a_suspension():
    fx = await make_org()
    await card(fx, 12, 2030)
    grace = await set_status(
        await give_licenses(fx, "CRM_BASIC", 3), SubscriptionStatus.GRACE_PERIOD, StatusReason.PAYMENT_FAILED
    )
    suspended = await suspend(await give_licenses(fx, "CRM_ESSENTIAL", 3))

    found = {a.subscription.id: a for a in await alerts.alerts(fx.org, now=NOW) if a.kind is AlertKind.PAYMENT_FAILED}

    assert found[grace.id].due_at == grace.grace_ends_at
    assert grace.grace_ends_at.date().isoformat() in found[grace.id].message
    assert found[suspended.id].due_at == suspended.suspended_at + SUSPENDED_FOR
    assert "suspended" in found[suspended.id].message


async def test_card_expiring_before_the_next_renewal_is_due_at_that_renewal():
    fx = await make_org()
    expiring = await card(fx, 11, 2026, last4="1111")
    sub = await give_licenses(fx, "CRM_BASIC", 5)

    [alert] = await alerts.alerts(fx.org, now=NOW)

    assert alert.kind is AlertKind.CARD_EXPIRING
    assert (alert.card.id, alert.subscription.id, alert.due_at) == (expiring.id, sub.id, sub.current_period_end)
    assert "1111" in alert.message and "updatePaymentCard" in alert.message


async def test_no_card_expiring_alert_when_the_card_outlives_the_renewal_or_the_subscription_ends():
    fx = await make_org()
    await card(fx, 12, 2026)  # valid until 2027-01-01, after the renewal of 2026-12-29
    await give_licenses(fx, "CRM_BASIC", 5)
    assert await alerts.alerts(fx.org, now=NOW) == []

    other = await make_org("Other")
    await card(other, 11, 2026)
    ending = await give_licenses(other, "CRM_BASIC", 5)
    await Subscription.filter(id=ending.id).update(cancel_at_period_end=True)
    assert [a.kind for a in await alerts.alerts(other.org, now=NOW)] == [AlertKind.SUBSCRIPTION_ENDING]


async def test_a_card_expiring_exactly_at_the_renewal_counts_as_expiring():
    fx = await make_org()
    await card(fx, 12, 2026)
    sub = await give_licenses(fx, "CRM_BASIC", 5, now=NOW.replace(month=12, day=1, hour=0))  # renews 2027-01-01 00:00
    [alert] = await alerts.alerts(fx.org, now=NOW)
    assert (alert.kind, alert.subscription.id) == (AlertKind.CARD_EXPIRING, sub.id)


async def test_an_active_subscription_without_any_default_card_raises_card_expiring_without_a_card():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    [alert] = await alerts.alerts(fx.org, now=NOW)
    assert (alert.kind, alert.card, alert.due_at) == (AlertKind.CARD_EXPIRING, None, sub.current_period_end)
    assert "addPaymentCard" in alert.message


async def test_subscription_ending_is_due_at_the_period_end():
    fx = await make_org()
    await card(fx, 12, 2030)
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    await Subscription.filter(id=sub.id).update(cancel_at_period_end=True)
    [alert] = await alerts.alerts(fx.org, now=NOW)
    assert (alert.kind, alert.due_at) == (AlertKind.SUBSCRIPTION_ENDING, sub.current_period_end)


async def test_seats_low_at_or_below_ten_percent_available():
    fx = await make_org()
    await card(fx, 12, 2030)
    await give_licenses(fx, "CRM_BASIC", 10)
    await _fill(fx, "CRM_BASIC", 8)
    assert await alerts.alerts(fx.org, now=NOW) == []  # 2 of 10 available

    await _fill(fx, "CRM_BASIC", 1)

    [alert] = await alerts.alerts(fx.org, now=NOW)  # 1 of 10
    assert (alert.kind, alert.product.sku, alert.due_at) == (AlertKind.SEATS_LOW, "CRM_BASIC", None)
    assert "1 of 10" in alert.message
    assert (await seats.seat_pool(fx.org, "CRM_ESSENTIAL")).purchased == 0  # never bought: no alert for it


async def test_idle_licenses_scheduled_for_reclaim_raise_one_alert_per_product_due_at_the_first_reclaim():
    from seatwise.models.clock.run import run_clock
    from seatwise.models.core.tables import LicenseAssignment
    from seatwise.models.usage import access, policies

    # given 3 idle CRM_BASIC licenses and a policy: 14 idle days, 7 days of notice
    fx = await make_org()
    await card(fx, 12, 2030)
    sub = await give_licenses(fx, "CRM_BASIC", 3)
    await Subscription.filter(id=sub.id).update(current_period_end=NOW + timedelta(days=3650))
    people = [await make_user(fx, skus=["CRM_BASIC"]) for _ in range(3)]
    await policies.set_reclaim_policy(fx.org, "CRM_BASIC", enabled=True, idle_days=14, notice_days=7, actor=fx.actor, now=NOW)
    later = NOW + timedelta(days=20)

    async def scheduled(at):
        return [a for a in await alerts.alerts(fx.org, now=at) if a.kind is AlertKind.RECLAIM_SCHEDULED]

    assert await scheduled(later) == []
    # when the clock schedules them, and one holder signs in (a use keeps the license)
    await run_clock(later)
    await access.sign_in(fx.org, people[0].email, "CRM_BASIC", actor=fx.actor, now=later + timedelta(hours=1))
    # then one alert names the product, the 2 still scheduled, due at the first reclaim
    [alert] = await scheduled(later + timedelta(hours=1))
    assert alert.product.sku == "CRM_BASIC"
    assert alert.due_at == later + timedelta(days=7)
    assert "2 licenses idle are scheduled to be reclaimed" in alert.message
    assert await LicenseAssignment.filter(organization_id=fx.org.id, reclaim_at__isnull=False).count() == 2
