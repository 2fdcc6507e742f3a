import asyncio
from datetime import timedelta

import pytest

from seatwise.models.billing import purchases as billing
from seatwise.models.billing import reductions
from seatwise.models.catalog import prices
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.tables import (
    AuditEvent,
    Charge,
    ChargeStatus,
    IdempotencyKey,
    SeatPool,
    Subscription,
    SubscriptionStatus,
)
from seatwise.models.events.live import LicenseEventKind, broker
from seatwise.models.seats import licenses as seats
from tests.billing_support import DECLINES_ON_CHARGE, add_card, changed, snapshot, subscription
from tests.support import NOW, make_org, make_user

SECOND = timedelta(seconds=1)


async def buy(fx, sku="CRM_BASIC", quantity=1, key="k1", now=NOW):
    return await billing.purchase_licenses(fx.org, sku, quantity, key, actor=fx.actor, now=now)


async def refused(call) -> ErrorCode:
    with pytest.raises(DomainError) as failed:
        await call
    return failed.value.code


# ---------------------------------------------------------------- purchases


async def test_first_purchase_starts_a_subscription_charged_one_full_month():
    fx = await make_org()
    card = await add_card(fx)
    sub, charge = await buy(fx, "CRM_PROFESSIONAL", 3)
    assert (sub.status, sub.quantity, sub.product_id) == (SubscriptionStatus.ACTIVE, 3, "CRM_PROFESSIONAL")
    assert (sub.period_anchor, sub.period_index, sub.current_period_start) == (NOW, 1, NOW)
    assert sub.current_period_end == add_months(NOW, 1)
    assert (charge.status, charge.amount_cents, charge.subscription_id, charge.card_id) == (
        ChargeStatus.SUCCEEDED,
        19500,
        sub.id,
        card.id,
    )
    assert (await seats.seat_pool(fx.org, "CRM_PROFESSIONAL")).purchased == 3
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_PROFESSIONAL")).purchased == 3
    event = await AuditEvent.get(action="licenses.purchased")
    assert (event.target_type, event.target_id) == ("SUBSCRIPTION", str(sub.id))
    assert event.details == {
        "sku": "CRM_PROFESSIONAL",
        "quantity": 3,
        "amountCents": 19500,
        "chargeId": str(charge.id),
        "prorated": False,
    }


async def test_purchase_into_an_active_subscription_is_prorated_for_half_a_period():
    fx = await make_org()
    await add_card(fx)
    existing = await subscription(fx, "CRM_BASIC", 2)  # 30-day period from NOW
    sub, charge = await buy(fx, "CRM_BASIC", 3, now=NOW + timedelta(days=15))
    assert sub.id == existing.id and sub.quantity == 5
    assert charge.amount_cents == 4500  # 3 x 3000 x 1/2
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 5


async def test_proration_rounds_half_up_to_whole_cents():
    fx = await make_org()
    await add_card(fx)
    existing = await subscription(fx, "CRM_ESSENTIAL", 1)
    period = (existing.current_period_end - existing.current_period_start) // SECOND
    assert period == 30 * 86400
    # 1500 x 173664 / 2592000 = 100.5 cents exactly -> 101; one second less is 100.4994 -> 100
    exact_half = existing.current_period_end - 173664 * SECOND
    assert (await prices.quote(fx.org, "CRM_ESSENTIAL", 1, exact_half)).amount_cents == 101
    assert (await prices.quote(fx.org, "CRM_ESSENTIAL", 1, exact_half + SECOND)).amount_cents == 100
    _, charge = await buy(fx, "CRM_ESSENTIAL", 1, now=exact_half)
    assert charge.amount_cents == 101


async def test_quote_is_exactly_what_the_purchase_charges():
    fx = await make_org()
    await add_card(fx)
    await subscription(fx, "CRM_PROFESSIONAL", 1)
    moment = NOW + timedelta(days=7, hours=3, seconds=11)
    quote = await prices.quote(fx.org, "CRM_PROFESSIONAL", 7, moment)
    _, charge = await buy(fx, "CRM_PROFESSIONAL", 7, now=moment)
    assert quote.prorated and quote.period_end == add_months(NOW, 1)
    assert quote.amount_cents == charge.amount_cents == (2 * 6500 * 7 * (23 * 86400 - 3 * 3600 - 11) + 2592000) // (2 * 2592000)
    fresh = await prices.quote(fx.org, "CRM_BASIC", 2, moment)
    assert (fresh.amount_cents, fresh.prorated, fresh.period_end) == (6000, False, add_months(moment, 1))


async def test_a_subscription_set_to_cancel_takes_no_new_licenses():
    fx = await make_org()
    await add_card(fx)
    leaving = await subscription(fx, "CRM_BASIC", 2, cancel_at_period_end=True)
    sub, charge = await buy(fx, "CRM_BASIC", 1, now=NOW + timedelta(days=10))
    assert sub.id != leaving.id and charge.amount_cents == 3000
    assert (await Subscription.get(id=leaving.id)).quantity == 2


async def test_purchase_validation_codes_and_their_order():
    fx = await make_org()
    assert await refused(buy(fx, "NOPE", 0)) is ErrorCode.INVALID_QUANTITY
    assert await refused(buy(fx, "CRM_BASIC", 10001)) is ErrorCode.INVALID_QUANTITY
    assert await refused(buy(fx, "NOPE", 1, key="")) is ErrorCode.INVALID_INPUT
    assert await refused(buy(fx, "CRM_BASIC", 1, key="x" * 256)) is ErrorCode.INVALID_INPUT
    assert await refused(buy(fx, "NOPE", 1)) is ErrorCode.UNKNOWN_PRODUCT
    assert await refused(buy(fx, "CRM_BASIC", 1)) is ErrorCode.NO_PAYMENT_CARD
    assert not await Subscription.exists() and not await Charge.exists() and not await IdempotencyKey.exists()


async def test_purchase_accepts_the_extreme_quantities_and_key_lengths():
    fx = await make_org()
    await add_card(fx)
    assert (await buy(fx, "CRM_BASIC", 10000, key="x" * 255))[0].quantity == 10000
    assert (await buy(fx, "CRM_ESSENTIAL", 1, key="y"))[0].quantity == 1


async def test_declined_charge_changes_nothing_but_the_recorded_failed_charge():
    fx = await make_org()
    card = await add_card(fx, DECLINES_ON_CHARGE)
    existing = await subscription(fx, "CRM_BASIC", 2)
    before = await snapshot()
    assert await refused(buy(fx, "CRM_BASIC", 3, now=NOW + timedelta(days=15))) is ErrorCode.CARD_DECLINED
    assert await refused(buy(fx, "CRM_ESSENTIAL", 1, key="k2")) is ErrorCode.CARD_DECLINED
    assert changed(before, await snapshot()) == {"Charge", "AuditEvent"}
    failed = await Charge.all().order_by("id")
    assert [(c.status, c.failure_code, c.amount_cents, c.subscription_id, c.card_id) for c in failed] == [
        (ChargeStatus.FAILED, "CARD_DECLINED", 4500, existing.id, card.id),
        (ChargeStatus.FAILED, "CARD_DECLINED", 1500, None, card.id),
    ]
    audits = await AuditEvent.filter(action="charge.failed").order_by("id")
    assert [a.details["chargeId"] for a in audits] == [str(c.id) for c in failed]
    assert all(a.target_id == str(card.id) for a in audits)
    assert not await AuditEvent.filter(action="licenses.purchased").exists()


async def test_expired_card_fails_with_card_expired_and_the_key_can_be_retried():
    fx = await make_org()
    await add_card(fx, exp_month=12, exp_year=2026)
    later = NOW + timedelta(days=40)
    assert await refused(buy(fx, now=later)) is ErrorCode.CARD_EXPIRED
    assert await Charge.filter(status=ChargeStatus.FAILED, failure_code="CARD_EXPIRED").count() == 1
    assert not await Subscription.exists() and not await IdempotencyKey.exists()
    await add_card(fx, exp_month=1, exp_year=2030, now=later)
    sub, charge = await buy(fx, now=later)
    assert charge.status is ChargeStatus.SUCCEEDED and sub.quantity == 1


# ---------------------------------------------------------------- idempotency


async def test_same_key_and_input_returns_the_first_result_without_a_second_charge():
    fx = await make_org()
    await add_card(fx)
    first = await buy(fx, "CRM_BASIC", 2, key="order-1")
    again = await buy(fx, "CRM_BASIC", 2, key="order-1", now=NOW + timedelta(hours=1))
    assert (again[0].id, again[1].id) == (first[0].id, first[1].id)
    assert await Charge.all().count() == 1
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 2


async def test_same_key_with_other_input_is_refused_and_changes_nothing():
    fx = await make_org()
    await add_card(fx)
    await buy(fx, "CRM_BASIC", 2, key="order-1")
    before = await snapshot()
    assert await refused(buy(fx, "CRM_BASIC", 3, key="order-1")) is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert await refused(buy(fx, "CRM_ESSENTIAL", 2, key="order-1")) is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert changed(before, await snapshot()) == set()


async def test_idempotency_keys_are_scoped_to_the_organization():
    acme, other = await make_org("Acme"), await make_org("Other")
    await add_card(acme)
    await add_card(other)
    mine, theirs = await buy(acme, key="shared"), await buy(other, key="shared")
    assert mine[1].id != theirs[1].id and await Charge.filter(status=ChargeStatus.SUCCEEDED).count() == 2


async def test_keys_are_kept_a_day_and_pruned_afterwards():
    fx = await make_org()
    await add_card(fx)
    await buy(fx, key="old")
    await buy(fx, key="newer", now=NOW + timedelta(hours=23))
    await buy(fx, key="later", now=NOW + timedelta(hours=24, seconds=1))
    keys = set(await IdempotencyKey.filter(organization_id=fx.org.id).values_list("key", flat=True))
    assert keys == {"newer", "later"}


async def test_concurrent_purchases_with_one_key_charge_once():
    fx = await make_org()
    await add_card(fx)
    results = await asyncio.gather(*(buy(fx, "CRM_BASIC", 4, key="same") for _ in range(8)))
    assert len({(s.id, c.id) for s, c in results}) == 1
    assert await Charge.filter(status=ChargeStatus.SUCCEEDED).count() == 1 and await Charge.all().count() == 1
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 4


async def test_purchase_publishes_a_purchased_event_after_commit():
    fx = await make_org()
    await add_card(fx)
    events = broker.subscribe(fx.org.id)
    buying = asyncio.ensure_future(buy(fx, "CRM_BASIC", 2))  # runs once this test waits for the event
    async with asyncio.timeout(5):
        event = await anext(events)  # subscribes first, in this task: then the purchase runs and publishes
    assert (event.kind, event.product_sku, event.purchased) == (LicenseEventKind.PURCHASED, "CRM_BASIC", 2)
    await buying
    await events.aclose()


# ---------------------------------------------------------------- reductions


async def reduce(fx, sub_id, quantity):
    return await reductions.reduce_licenses(fx.org, str(sub_id), quantity, actor=fx.actor, now=NOW + timedelta(days=3))


async def test_reduce_removes_licenses_now_without_refund():
    fx = await make_org()
    sub = await subscription(fx, "CRM_BASIC", 5)
    await make_user(fx, skus=["CRM_BASIC"])
    reduced = await reduce(fx, sub.id, 3)
    assert reduced.quantity == 2 and reduced.status is SubscriptionStatus.ACTIVE
    pool = await seats.seat_pool(fx.org, "CRM_BASIC")
    assert (pool.purchased, pool.assigned) == (2, 1)
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).purchased == 2
    assert not await Charge.exists()
    event = await AuditEvent.get(action="licenses.reduced")
    assert (event.target_id, event.details) == (str(sub.id), {"sku": "CRM_BASIC", "quantity": 3, "remaining": 2})


async def test_reduce_refusals_change_nothing():
    fx, other = await make_org("Acme"), await make_org("Other")
    sub = await subscription(fx, "CRM_BASIC", 3)
    suspended = await subscription(fx, "CRM_ESSENTIAL", 3, status=SubscriptionStatus.SUSPENDED)
    foreign = await subscription(other, "CRM_BASIC", 3)
    await make_user(fx, skus=["CRM_BASIC"])
    await make_user(fx, skus=["CRM_BASIC"])
    before = await snapshot()
    assert await refused(reduce(fx, sub.id, 0)) is ErrorCode.INVALID_QUANTITY
    assert await refused(reduce(fx, "abc", 1)) is ErrorCode.NOT_FOUND
    assert await refused(reduce(fx, foreign.id, 1)) is ErrorCode.NOT_FOUND
    assert await refused(reduce(fx, suspended.id, 1)) is ErrorCode.SUBSCRIPTION_NOT_ACTIVE
    assert await refused(reduce(fx, sub.id, 3)) is ErrorCode.INVALID_QUANTITY
    assert await refused(reduce(fx, sub.id, 2)) is ErrorCode.LICENSES_IN_USE
    assert changed(before, await snapshot()) == set()
    assert (await reduce(fx, sub.id, 1)).quantity == 2


# ---------------------------------------------------------------- listings


async def test_subscription_and_charge_listings():
    fx, other = await make_org("Acme"), await make_org("Other")
    await add_card(fx)
    await add_card(other)
    first, _ = await buy(fx, "CRM_BASIC", 1, key="a")
    second, _ = await buy(fx, "CRM_ESSENTIAL", 1, key="b", now=NOW + timedelta(minutes=1))
    await Subscription.filter(id=second.id).update(status=SubscriptionStatus.SUSPENDED)
    await buy(other, key="c")
    assert [s.id for s in await billing.subscriptions_query(fx.org)] == [first.id, second.id]
    assert [s.id for s in await billing.subscriptions_query(fx.org, [SubscriptionStatus.SUSPENDED])] == [second.id]
    charges = await billing.charges_query(fx.org)
    assert [c.subscription_id for c in charges] == [second.id, first.id]
    assert (await get_subscription(fx.org, str(first.id), ["id"])).id == first.id
    with pytest.raises(DomainError) as failed:
        await get_subscription(other.org, str(first.id), ["id"])
    assert failed.value.code is ErrorCode.NOT_FOUND
