"""Seatwise's own guarantee against double charges on Stripe, proven against localstripe, which ignores
`Idempotency-Key`: every charge is claimed (its attempt and key recorded) before the call, and a retry looks for the
PaymentIntent made with that key (metadata `seatwise_key`) before making one. Also: declines that need the cardholder,
and card numbers refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seatwise.models.billing import cards, gateways
from seatwise.models.billing.gateways import GatewayUnavailable
from seatwise.models.clock.run import run_clock
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Charge, ChargeAttempt, ChargeStatus, StatusReason, Subscription, SubscriptionStatus
from tests.clock_support import PERIOD_END, subscribe
from tests.gateway_support import FlakyHTTPClient, close, stripe_gateway
from tests.support import NOW, make_org

LATER = NOW + timedelta(minutes=5)  # after a crashed attempt's lease


@pytest.fixture
async def flaky(localstripe, monkeypatch):
    http = FlakyHTTPClient()
    chosen = await stripe_gateway(localstripe, http)
    monkeypatch.setattr(gateways, "_gateway", chosen.gateway)
    yield chosen, http
    await close(chosen)


async def _card(fx, chosen, number: str = "4242424242424242"):
    token = await chosen.token(number)
    card, _ = await cards.add_card(fx.org, None, None, None, None, True, actor=fx.actor, now=NOW, wall=NOW, token=token)
    return card


async def test_localstripe_ignores_idempotency_keys_so_the_guarantee_is_seatwises(flaky):
    """The control: the same key sent twice straight to localstripe makes two PaymentIntents."""
    chosen, _ = flaky
    fx = await make_org()
    card = await _card(fx, chosen)
    customer = await chosen.gateway._customer(fx.org.id, now=NOW)
    params = {
        "amount": 100,
        "currency": "usd",
        "customer": customer,
        "payment_method": card.gateway_token,
        "off_session": True,
        "confirm": True,
    }
    for _ in range(2):
        await chosen.admin.v1.payment_intents.create_async(params=params, options={"idempotency_key": "same-key"})
    assert len(await chosen.intents(customer)) == 2


async def test_a_network_failure_in_the_middle_of_a_renewal_is_retried_without_a_double_charge(flaky):
    chosen, http = flaky
    fx = await make_org()
    await _card(fx, chosen)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    http.drop = 1  # Stripe makes the PaymentIntent, and its answer is lost on the way back

    report = await run_clock(PERIOD_END, wall=NOW)

    assert (report.renewed, report.charges) == (1, 1)
    intents = await chosen.intents(await chosen.gateway._customer(fx.org.id, now=NOW))
    assert [(i.amount, i.status) for i in intents] == [(6000, "succeeded")]  # one charge of 2 x 30.00
    assert http.intent_creations == 1  # the retry found the intent by its metadata instead of making another
    charge = await Charge.get(subscription_id=sub.id)
    assert (charge.status, charge.gateway_reference) == (ChargeStatus.SUCCEEDED, intents[0].id)
    assert (await Subscription.get(id=sub.id)).current_period_end == add_months(NOW, 2)


async def test_a_renewal_cut_off_after_the_charge_is_applied_once_by_the_next_run(flaky):
    chosen, http = flaky
    fx = await make_org()
    await _card(fx, chosen)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    http.drop, http.down_after_drop = 1, True  # the charge is made, its answer lost, and Stripe unreachable for the run
    report = await run_clock(PERIOD_END, wall=NOW)
    assert report.renewed == 0 and await ChargeAttempt.all().count() == 1  # claimed before the call, left for the retry
    customer = await chosen.gateway._customer(fx.org.id, now=NOW)
    assert len(await chosen.intents(customer)) == 1  # the first try did reach Stripe
    made = http.intent_creations

    http.down = False
    report = await run_clock(PERIOD_END, wall=LATER)  # the next run takes the attempt over, with the same key

    assert report.renewed == 1
    assert http.intent_creations == made  # nothing more was created: the intent was found by its metadata
    assert [(i.amount, i.status) for i in await chosen.intents(customer)] == [(6000, "succeeded")]
    assert await Charge.filter(subscription_id=sub.id, status=ChargeStatus.SUCCEEDED).count() == 1
    assert not await ChargeAttempt.exists()


async def test_an_unreachable_processor_fails_a_purchase_with_gateway_unavailable_and_its_retry_charges_once(flaky):
    from seatwise.models.billing import purchases as billing

    chosen, http = flaky
    fx = await make_org()
    await _card(fx, chosen)
    http.drop, http.down_after_drop = 1, True
    with pytest.raises(DomainError) as failed:
        await billing.purchase_licenses(fx.org, "CRM_BASIC", 1, "k1", actor=fx.actor, now=NOW, wall=NOW)
    assert failed.value.code is ErrorCode.GATEWAY_UNAVAILABLE and not await Subscription.exists()

    http.down = False
    _sub, charge = await billing.purchase_licenses(fx.org, "CRM_BASIC", 1, "k1", actor=fx.actor, now=NOW, wall=LATER)
    customer = await chosen.gateway._customer(fx.org.id, now=NOW)
    assert [(i.id, i.amount) for i in await chosen.intents(customer)] == [(charge.gateway_reference, 3000)]


async def test_a_renewal_that_needs_the_cardholder_fails_with_authentication_required_and_grace(flaky):
    chosen, _ = flaky
    fx = await make_org()
    await _card(fx, chosen, "4000002500003155")  # 3-D Secure on every payment
    sub = await subscribe(fx, "CRM_BASIC", 2)
    await run_clock(PERIOD_END, wall=NOW)
    sub = await Subscription.get(id=sub.id)
    assert (sub.status, sub.status_reason) == (SubscriptionStatus.GRACE_PERIOD, StatusReason.PAYMENT_FAILED)
    charge = await Charge.get(subscription_id=sub.id)
    assert (charge.status, charge.failure_code) == (ChargeStatus.FAILED, "AUTHENTICATION_REQUIRED")


async def test_the_stripe_gateway_refuses_card_numbers(flaky):
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await cards.add_card(fx.org, "4242424242424242", 12, 2030, "123", True, actor=fx.actor, now=NOW, wall=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "token")


async def test_an_unreachable_processor_is_tried_with_back_off_then_reported(flaky):
    chosen, http = flaky
    fx = await make_org()
    card = await _card(fx, chosen)
    http.down, http.tries = True, 0
    with pytest.raises(GatewayUnavailable):
        await chosen.gateway.charge(
            card.gateway_token, 12, 2030, 500, now=NOW, idempotency_key="k-unreachable", organization_id=fx.org.id
        )
    assert http.tries == 1 + len(chosen.gateway.backoff)
