"""Cards and charges through either gateway (docs/rules.md section 18): each lifecycle test runs on the sandbox
and on the Stripe gateway against localstripe (`card_gateway`); a card reaches Seatwise only as a token."""

from __future__ import annotations

import pytest

from seatwise.models.billing import cards
from seatwise.models.billing import purchases as billing
from seatwise.models.clock.run import run_clock
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import (
    AuditEvent,
    CardBrand,
    Charge,
    ChargeStatus,
    GatewayCustomer,
    PaymentCard,
    SandboxCardToken,
    Subscription,
    SubscriptionStatus,
)
from tests.billing_support import changed, snapshot
from tests.clock_support import PERIOD_END, subscribe
from tests.support import NOW, make_org

VISA, MASTERCARD = "4242424242424242", "5555555555554444"
DECLINES_ON_ADD, DECLINES_ON_CHARGE = "4000000000000002", "4000000000000341"


async def add(fx, card_gateway, number: str = VISA, *, make_default: bool = True) -> PaymentCard:
    token = await card_gateway.token(number)
    card, _ = await cards.add_card(fx.org, None, None, None, None, make_default, actor=fx.actor, now=NOW, wall=NOW, token=token)
    return card


async def test_a_card_added_by_token_keeps_only_brand_last4_expiry_and_the_processors_reference(card_gateway):
    fx = await make_org()
    card = await add(fx, card_gateway, VISA)  # (localstripe calls every card a Visa)
    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.is_default) == (CardBrand.VISA, "4242", 12, 2030, True)
    assert card.gateway_token.startswith("pm_" if card_gateway.name == "stripe" else "tok_sandbox_ok_")
    event = await AuditEvent.get(action="card.added")
    assert VISA not in str(event.details) and "123" not in str(event.details)


async def test_a_purchase_charges_the_card_added_by_token(card_gateway):
    fx = await make_org()
    await add(fx, card_gateway)
    sub, charge = await billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "k1", actor=fx.actor, now=NOW)
    assert (sub.quantity, charge.status, charge.amount_cents) == (3, ChargeStatus.SUCCEEDED, 9000)
    if card_gateway.admin is not None:
        customer = await card_gateway.gateway._customer(fx.org.id, now=NOW)
        intents = await card_gateway.intents(customer)
        assert [(i.id, i.amount, i.status) for i in intents] == [(charge.gateway_reference, 9000, "succeeded")]


async def test_a_card_the_processor_declines_is_not_added_and_nothing_changes(card_gateway):
    fx = await make_org()
    token = await card_gateway.token(DECLINES_ON_ADD)
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await cards.add_card(fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW, token=token)
    assert failed.value.code is ErrorCode.CARD_DECLINED
    assert changed(before, await snapshot()) == set()


async def test_a_declined_charge_is_recorded_with_the_processors_code_and_buys_nothing(card_gateway):
    fx = await make_org()
    card = await add(fx, card_gateway, DECLINES_ON_CHARGE)
    with pytest.raises(DomainError) as failed:
        await billing.purchase_licenses(fx.org, "CRM_BASIC", 1, "k1", actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.CARD_DECLINED
    charge = await Charge.get()
    assert (charge.status, charge.failure_code, charge.card_id) == (ChargeStatus.FAILED, "CARD_DECLINED", card.id)
    assert not await Subscription.exists()
    assert (await AuditEvent.get(action="charge.failed")).details["processorCode"] == "card_declined"


async def test_the_clock_renews_through_the_gateway(card_gateway):
    fx = await make_org()
    await add(fx, card_gateway)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    report = await run_clock(PERIOD_END, wall=NOW)
    assert (report.renewed, report.charges) == (1, 1)
    assert (await Subscription.get(id=sub.id)).current_period_end == add_months(NOW, 2)
    charge = await Charge.get(subscription_id=sub.id)
    assert (charge.status, charge.amount_cents) == (ChargeStatus.SUCCEEDED, 6000)


async def test_a_failed_renewal_starts_the_grace_period(card_gateway):
    fx = await make_org()
    await add(fx, card_gateway, DECLINES_ON_CHARGE)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await run_clock(PERIOD_END, wall=NOW)
    sub = await Subscription.get(id=sub.id)
    assert sub.status is SubscriptionStatus.GRACE_PERIOD
    assert (await Charge.get(subscription_id=sub.id)).failure_code == "CARD_DECLINED"


async def test_a_retried_charge_with_the_same_key_charges_once(card_gateway):
    fx = await make_org()
    card = await add(fx, card_gateway)
    ask = dict(now=NOW, idempotency_key="renewal:1:2026-12-29T09:00:00+00:00:abc", organization_id=fx.org.id)
    first = await card_gateway.gateway.charge(card.gateway_token, 12, 2030, 6000, **ask)
    again = await card_gateway.gateway.charge(card.gateway_token, 12, 2030, 6000, **ask)
    assert first.succeeded and again == first
    if card_gateway.admin is not None:
        intents = await card_gateway.intents(await card_gateway.gateway._customer(fx.org.id, now=NOW))
        assert [i.id for i in intents] == [first.reference]
    else:
        assert card_gateway.gateway.charges_made == 1


async def test_a_removed_card_is_detached_from_the_processor(card_gateway):
    fx = await make_org()
    first = await add(fx, card_gateway)
    await add(fx, card_gateway, MASTERCARD)
    removed, default = await cards.remove_card(fx.org, str(first.id), actor=fx.actor, now=NOW)
    assert removed == str(first.id) and default is not None and default.last4 == "4444"
    assert not await PaymentCard.exists(id=first.id)
    if card_gateway.admin is not None:
        method = await card_gateway.admin.v1.payment_methods.retrieve_async(first.gateway_token)
        assert method.customer is None


async def test_a_token_is_used_once(card_gateway):
    fx = await make_org()
    token = await card_gateway.token(VISA)
    await cards.add_card(fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW, token=token)
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await cards.add_card(fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW, token=token)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "token")
    assert changed(before, await snapshot()) == set()


@pytest.mark.parametrize("token", ["tok_unknown", "pm_unknown", "not a token"])
async def test_an_unknown_token_is_refused_and_nothing_changes(card_gateway, token):
    fx = await make_org()
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await cards.add_card(fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW, token=token)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "token")
    assert changed(before, await snapshot()) == set() and not await GatewayCustomer.exists()


async def test_a_sandbox_token_lapses_after_10_minutes(card_gateway):
    if card_gateway.name != "sandbox":
        pytest.skip("Stripe's PaymentMethods do not lapse")
    from datetime import timedelta

    fx = await make_org()
    token = await card_gateway.token(VISA, wall=NOW)
    with pytest.raises(DomainError) as failed:
        await cards.add_card(
            fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW + timedelta(minutes=10), token=token
        )
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "token")
    assert not await PaymentCard.exists() and (await SandboxCardToken.get(token=token)).used_at is None


async def test_a_token_another_organization_added_is_used_and_nothing_changes(card_gateway):
    fx, other = await make_org(), await make_org("Other")
    token = await card_gateway.token(VISA)
    await cards.add_card(other.org, None, None, None, None, True, actor=other.actor, now=NOW, wall=NOW, token=token)
    before = await snapshot()
    with pytest.raises(DomainError) as failed:
        await cards.add_card(fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW, token=token)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "token")
    assert changed(before, await snapshot()) == set()
    assert not await GatewayCustomer.exists(organization_id=fx.org.id)
