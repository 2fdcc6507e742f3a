"""Cards and subscriptions an admin manages (docs/rules.md section 18): remove a card, make a card the default,
change one's mind about cancelling. The card tests run on both gateways (`card_gateway`)."""

from __future__ import annotations

import pytest

from seatwise.models.billing import cards
from seatwise.models.billing.resume import resume_subscription
from seatwise.models.clock.run import run_clock
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AuditEvent, Charge, ChargeStatus, PaymentCard, Subscription, SubscriptionStatus
from seatwise.models.support import cancellation
from tests.billing_support import changed, snapshot
from tests.clock_support import PERIOD_END, subscribe
from tests.support import NOW, make_org

VISA, MASTERCARD, DECLINES_ON_CHARGE = "4242424242424242", "5555555555554444", "4000000000000341"


async def add(fx, card_gateway, number: str = VISA, *, make_default: bool = True) -> PaymentCard:
    token = await card_gateway.token(number)
    card, _ = await cards.add_card(fx.org, None, None, None, None, make_default, actor=fx.actor, now=NOW, wall=NOW, token=token)
    return card


async def _actions(fx) -> list[tuple[str, str]]:
    rows = AuditEvent.filter(organization_id=fx.org.id, action__in=["card.removed", "card.default_changed"]).order_by("id")
    return list(await rows.values_list("action", "target_id"))


async def test_removing_a_card_that_is_not_the_default_leaves_the_default(card_gateway):
    fx = await make_org()
    default = await add(fx, card_gateway)
    other = await add(fx, card_gateway, MASTERCARD, make_default=False)
    removed, after = await cards.remove_card(fx.org, str(other.id), actor=fx.actor, now=NOW)
    assert removed == str(other.id) and after is not None and after.id == default.id
    assert await _actions(fx) == [("card.removed", str(other.id))]


async def test_removing_the_default_card_makes_the_oldest_other_card_the_default(card_gateway):
    fx = await make_org()
    await subscribe(fx, "CRM_BASIC", 2)
    oldest = await add(fx, card_gateway, make_default=False)
    default = await add(fx, card_gateway, MASTERCARD)
    _, after = await cards.remove_card(fx.org, str(default.id), actor=fx.actor, now=NOW)
    assert after is not None and after.id == oldest.id and after.is_default
    assert await _actions(fx) == [("card.removed", str(default.id)), ("card.default_changed", str(oldest.id))]


async def test_the_only_card_of_an_organization_with_active_subscriptions_is_in_use(card_gateway):
    fx = await make_org()
    card = await add(fx, card_gateway)
    await subscribe(fx, "CRM_BASIC", 2)
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await cards.remove_card(fx.org, str(card.id), actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.CARD_IN_USE, "card_id")
    assert changed(before, await snapshot()) == set()


async def test_the_only_card_may_go_when_no_subscription_will_charge_it(card_gateway):
    fx = await make_org()
    card = await add(fx, card_gateway)
    await subscribe(fx, "CRM_BASIC", 2, cancel_at_period_end=True)
    removed, after = await cards.remove_card(fx.org, str(card.id), actor=fx.actor, now=NOW)
    assert removed == str(card.id) and after is None and not await PaymentCard.exists()


async def test_another_organizations_card_is_not_found_and_nothing_changes(card_gateway):
    fx, other = await make_org(), await make_org("Other")
    theirs = await add(other, card_gateway)
    before = await snapshot()
    for change in (cards.remove_card, cards.set_default_card):
        with pytest.raises(DomainError) as failed:
            await change(fx.org, str(theirs.id), actor=fx.actor, now=NOW)
        assert (failed.value.code, failed.value.subject) == (ErrorCode.NOT_FOUND, "card_id")
    assert changed(before, await snapshot()) == set()


async def test_making_a_card_the_default_moves_every_charge_to_it(card_gateway):
    fx = await make_org()
    first = await add(fx, card_gateway)
    second = await add(fx, card_gateway, MASTERCARD, make_default=False)
    card, renewed = await cards.set_default_card(fx.org, str(second.id), actor=fx.actor, now=NOW)
    assert card.is_default and renewed == []
    assert not (await PaymentCard.get(id=first.id)).is_default
    event = await AuditEvent.get(action="card.default_changed")
    assert (event.target_id, event.details["previousDefault"]) == (str(second.id), str(first.id))

    sub = await subscribe(fx, "CRM_BASIC", 1)
    await run_clock(PERIOD_END, wall=NOW)
    assert (await Charge.get(subscription_id=sub.id)).card_id == second.id


async def test_making_the_default_card_the_default_changes_nothing(card_gateway):
    fx = await make_org()
    card = await add(fx, card_gateway)
    before = await snapshot()
    await cards.set_default_card(fx.org, str(card.id), actor=fx.actor, now=NOW)
    assert changed(before, await snapshot()) == set()


async def test_a_new_default_card_pays_the_past_due_subscriptions_at_once(card_gateway):
    fx = await make_org()
    await add(fx, card_gateway, DECLINES_ON_CHARGE)
    good = await add(fx, card_gateway, make_default=False)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await run_clock(PERIOD_END, wall=NOW)
    assert (await Subscription.get(id=sub.id)).status is SubscriptionStatus.GRACE_PERIOD

    _, renewed = await cards.set_default_card(fx.org, str(good.id), actor=fx.actor, now=PERIOD_END)
    assert [(s.id, s.status) for s in renewed] == [(sub.id, SubscriptionStatus.ACTIVE)]


async def test_resuming_before_the_period_ends_undoes_the_cancellation_and_the_clock_renews(card_gateway):
    fx = await make_org()
    await add(fx, card_gateway)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await cancellation.cancel_subscription(
        fx.org, str(sub.id), "Too expensive", acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )

    resumed = await resume_subscription(fx.org, str(sub.id), actor=fx.actor, now=NOW)

    assert resumed.status is SubscriptionStatus.ACTIVE and not resumed.cancel_at_period_end
    event = await AuditEvent.get(action="subscription.resumed")
    assert (event.target_id, event.actor) == (str(sub.id), fx.admin.email)
    report = await run_clock(PERIOD_END, wall=NOW)
    assert (report.renewed, report.cancelled) == (1, 0)
    assert (await Subscription.get(id=sub.id)).current_period_end == add_months(NOW, 2)
    assert await Charge.filter(subscription_id=sub.id, status=ChargeStatus.SUCCEEDED).count() == 1


@pytest.mark.parametrize("immediately", [True, False], ids=["cancelled immediately", "cancelled at its period end"])
async def test_a_cancelled_subscription_cannot_be_resumed(immediately):
    fx = await make_org()
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await cancellation.cancel_subscription(
        fx.org, str(sub.id), "Done", immediately=immediately, acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )
    if not immediately:
        await run_clock(PERIOD_END, wall=NOW)  # the period ended: CANCELLED
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await resume_subscription(fx.org, str(sub.id), actor=fx.actor, now=PERIOD_END)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.SUBSCRIPTION_NOT_ACTIVE, "subscription_id")
    assert changed(before, await snapshot()) == set()


async def test_resuming_a_subscription_not_set_to_cancel_changes_nothing():
    fx = await make_org()
    sub = await subscribe(fx, "CRM_BASIC", 2)
    before = await snapshot()
    assert not (await resume_subscription(fx.org, str(sub.id), actor=fx.actor, now=NOW)).cancel_at_period_end
    assert changed(before, await snapshot()) == set()


async def test_another_organizations_subscription_cannot_be_resumed():
    fx, other = await make_org(), await make_org("Other")
    sub = await subscribe(other, "CRM_BASIC", 2, cancel_at_period_end=True)
    with pytest.raises(DomainError) as failed:
        await resume_subscription(fx.org, str(sub.id), actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.NOT_FOUND
    assert (await Subscription.get(id=sub.id)).cancel_at_period_end
