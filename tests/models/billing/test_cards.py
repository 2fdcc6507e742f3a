from datetime import timedelta

import pytest

from seatwise.models.billing import cards
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import (
    AuditEvent,
    CardBrand,
    Charge,
    ChargeStatus,
    PaymentCard,
    StatusReason,
    Subscription,
    SubscriptionStatus,
)
from tests.billing_support import (
    AMEX,
    BAD_CVC_ON_ADD,
    DECLINES_ON_ADD,
    DECLINES_ON_CHARGE,
    DISCOVER,
    EXPIRED_ON_ADD,
    MASTERCARD,
    VISA,
    add_card,
    changed,
    snapshot,
    subscription,
)
from tests.support import NOW, make_org


async def test_first_card_becomes_default_even_without_make_default():
    fx = await make_org()
    first = await add_card(fx, make_default=False)
    second = await add_card(fx, MASTERCARD, make_default=False)
    assert first.is_default and not second.is_default
    assert [c.id for c in await cards.list_cards(fx.org)] == [first.id, second.id]


async def test_making_a_card_default_undefaults_the_others():
    fx = await make_org()
    first = await add_card(fx)
    second = await add_card(fx, MASTERCARD, make_default=True)
    defaults = await PaymentCard.filter(organization_id=fx.org.id, is_default=True).values_list("id", flat=True)
    assert defaults == [second.id]
    assert [c.id for c in await cards.list_cards(fx.org)] == [second.id, first.id]


async def test_only_brand_last4_expiry_and_token_are_kept_and_audited_without_secrets():
    fx = await make_org()
    card = await add_card(fx, "4242 4242-4242 4242", exp_month=3, exp_year=2029)
    row = await PaymentCard.get(id=card.id).values()
    assert (row["brand"], row["last4"], row["exp_month"], row["exp_year"]) == (CardBrand.VISA, "4242", 3, 2029)
    assert set(row) == {
        "id",
        "organization_id",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "gateway_token",
        "is_default",
        "created_at",
        "expiry_noticed",  # the expiry the card.expiring notice was written for (docs/rules.md section 15)
    }
    assert "4242424242424242" not in str(row)
    event = await AuditEvent.get(action="card.added")
    assert (event.target_type, event.target_id, event.actor) == ("PAYMENT_CARD", str(card.id), fx.admin.email)
    assert event.details == {"brand": "VISA", "last4": "4242", "expiry": "2029-03", "default": True}


@pytest.mark.parametrize(
    ("number", "brand"),
    [(VISA, CardBrand.VISA), (MASTERCARD, CardBrand.MASTERCARD), (AMEX, CardBrand.AMEX), (DISCOVER, CardBrand.DISCOVER)],
)
async def test_sandbox_numbers_are_accepted_with_their_brand(number, brand):
    fx = await make_org()
    card = await add_card(fx, number)
    assert (card.brand, card.last4) == (brand, number[-4:])


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "code"),
    [
        ("4242424242424241", 12, 2030, "123", ErrorCode.INVALID_CARD_NUMBER),
        ("424242424242", 12, 2030, "123", ErrorCode.INVALID_CARD_NUMBER),
        ("4242abcd42424242", 12, 2030, "123", ErrorCode.INVALID_CARD_NUMBER),
        (VISA, 13, 2030, "123", ErrorCode.INVALID_EXPIRY),
        (VISA, 0, 2030, "123", ErrorCode.INVALID_EXPIRY),
        (VISA, 10, 2026, "123", ErrorCode.INVALID_EXPIRY),
        (VISA, 12, 2030, "12", ErrorCode.INVALID_CVC),
        (AMEX, 12, 2030, "123", ErrorCode.INVALID_CVC),
        (BAD_CVC_ON_ADD, 12, 2030, "123", ErrorCode.INVALID_CVC),
        (DECLINES_ON_ADD, 12, 2030, "123", ErrorCode.CARD_DECLINED),
        (EXPIRED_ON_ADD, 12, 2030, "123", ErrorCode.CARD_EXPIRED),
    ],
)
async def test_add_card_refuses_with_the_gateway_code_and_changes_nothing(number, month, year, cvc, code):
    fx = await make_org()
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await cards.add_card(fx.org, number, month, year, cvc, True, actor=fx.actor, now=NOW)
    assert failed.value.code is code
    assert number not in failed.value.message and cvc not in failed.value.message
    assert changed(before, await snapshot()) == set()


async def test_a_card_valid_to_the_end_of_this_month_is_accepted():
    fx = await make_org()
    card = await add_card(fx, exp_month=NOW.month, exp_year=NOW.year)
    assert (card.exp_month, card.exp_year) == (11, 2026)


async def test_update_card_changes_expiry_and_audits():
    fx = await make_org()
    card = await add_card(fx)
    updated, renewed = await cards.update_card(fx.org, str(card.id), 7, 2031, actor=fx.actor, now=NOW)
    assert (updated.exp_month, updated.exp_year, renewed) == (7, 2031, [])
    event = await AuditEvent.get(action="card.updated")
    assert event.target_id == str(card.id) and event.details["expiry"] == "2031-07"


async def test_update_card_of_another_org_or_malformed_id_is_not_found():
    fx, other = await make_org("Acme"), await make_org("Other")
    foreign = await add_card(other)
    before = await snapshot()
    for card_id in (str(foreign.id), "abc", "999999"):
        with pytest.raises(DomainError) as failed:
            await cards.update_card(fx.org, card_id, 7, 2031, actor=fx.actor, now=NOW)
        assert failed.value.code is ErrorCode.NOT_FOUND
    assert changed(before, await snapshot()) == set()


async def test_update_card_checks_expiry_before_existence():
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await cards.update_card(fx.org, "999999", 13, 2031, actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.INVALID_EXPIRY


async def _past_due(fx):
    """A subscription in its grace period after the expired card failed to renew it."""
    start = NOW - timedelta(days=40)
    return await subscription(
        fx,
        "CRM_BASIC",
        2,
        start=start,
        status=SubscriptionStatus.GRACE_PERIOD,
        reason=StatusReason.PAYMENT_FAILED,
        grace_ends_at=NOW + timedelta(days=20),
    )


async def test_adding_a_default_card_renews_past_due_subscriptions():
    fx = await make_org()
    await add_card(fx, exp_month=10, exp_year=2026, now=NOW - timedelta(days=60))  # expired since November
    sub = await _past_due(fx)
    card, renewed = await cards.add_card(fx.org, MASTERCARD, 1, 2030, "123", True, actor=fx.actor, now=NOW)
    assert [s.id for s in renewed] == [sub.id]
    fresh = await Subscription.get(id=sub.id)
    assert fresh.status is SubscriptionStatus.ACTIVE and fresh.current_period_start == NOW
    paid = await Charge.get(subscription_id=sub.id)
    assert (paid.status, paid.card_id, paid.amount_cents) == (ChargeStatus.SUCCEEDED, card.id, 6000)


async def test_adding_a_card_that_is_not_default_retries_nothing():
    fx = await make_org()
    await add_card(fx, DECLINES_ON_CHARGE)
    sub = await _past_due(fx)
    _, renewed = await cards.add_card(fx.org, MASTERCARD, 1, 2030, "123", False, actor=fx.actor, now=NOW)
    assert renewed == []
    assert (await Subscription.get(id=sub.id)).status is SubscriptionStatus.GRACE_PERIOD
    assert not await Charge.exists()


async def test_updating_the_default_cards_expiry_renews_past_due_subscriptions():
    fx = await make_org()
    card = await add_card(fx, exp_month=10, exp_year=2026, now=NOW - timedelta(days=60))
    sub = await _past_due(fx)
    _, renewed = await cards.update_card(fx.org, str(card.id), 10, 2029, actor=fx.actor, now=NOW)
    assert [s.id for s in renewed] == [sub.id]
    assert renewed[0].status is SubscriptionStatus.ACTIVE


async def test_a_new_default_card_records_the_change_of_the_old_default():
    fx = await make_org()
    first, _ = await cards.add_card(fx.org, "4242424242424242", 12, 2030, "123", True, actor=fx.actor, now=NOW)
    await cards.add_card(fx.org, "5555555555554444", 12, 2031, "123", True, actor=fx.actor, now=NOW)
    event = await AuditEvent.get(action="card.updated", target_id=str(first.id))
    assert event.details["default"] is False and event.details["last4"] == "4242"
