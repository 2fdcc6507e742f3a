"""The payment gateway is a remote service: no database lock is held while it answers, and a crash between
its answer and applying it neither charges twice nor loses the payment on retry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from seatwise.models.billing import gateways as gateway_module
from seatwise.models.billing import purchases as billing
from seatwise.models.billing.gateways import SandboxGateway
from seatwise.models.clock.run import run_clock
from seatwise.models.core.clock import add_months
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Charge, ChargeAttempt, ChargeStatus, IdempotencyKey, SeatPool, Subscription
from seatwise.models.seats import licenses as seats
from tests.billing_support import add_card
from tests.clock_support import PERIOD_END, subscribe
from tests.support import NOW, give_licenses, make_org, make_user

LATER = NOW + timedelta(minutes=5)  # a retry after the crashed attempt's lease ran out


class SlowGateway(SandboxGateway):
    """Answers a charge only when the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.called = asyncio.Event()
        self.answer = asyncio.Event()

    async def charge(self, *args, **kwargs):
        self.called.set()
        await self.answer.wait()
        return await super().charge(*args, **kwargs)


class Crash(Exception):
    """The process died right after the gateway answered."""


class CrashingOnceGateway(SandboxGateway):
    def __init__(self) -> None:
        super().__init__()
        self.crashes = 1

    async def charge(self, *args, **kwargs):
        result = await super().charge(*args, **kwargs)
        if self.crashes:
            self.crashes -= 1
            raise Crash()
        return result


@pytest.fixture
def use_gateway(monkeypatch):
    def install(replacement):
        monkeypatch.setattr(gateway_module, "_gateway", replacement)
        return replacement

    return install


async def test_assignments_of_other_products_and_organizations_go_on_while_the_gateway_answers(use_gateway):
    slow = use_gateway(SlowGateway())
    fx, other = await make_org(), await make_org("Other")
    await add_card(fx)
    await give_licenses(fx, "CRM_PROFESSIONAL", 2)
    await give_licenses(fx, "CRM_BASIC", 2)
    await give_licenses(other, "CRM_BASIC", 2)
    people = [await make_user(fx), await make_user(fx), await make_user(other)]

    purchase = asyncio.ensure_future(billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "k1", actor=fx.actor, now=NOW))
    await asyncio.wait_for(slow.called.wait(), 10)
    # While the charge is out: the same organization's other product, the same product, another organization.
    await asyncio.wait_for(seats.assign_license(fx.org, str(people[0].id), "CRM_PROFESSIONAL", actor=fx.actor, now=NOW), 5)
    await asyncio.wait_for(seats.assign_license(fx.org, str(people[1].id), "CRM_BASIC", actor=fx.actor, now=NOW), 5)
    await asyncio.wait_for(seats.assign_license(other.org, str(people[2].id), "CRM_BASIC", actor=other.actor, now=NOW), 5)
    assert not purchase.done()

    slow.answer.set()
    _sub, charge = await asyncio.wait_for(purchase, 10)
    assert charge.status is ChargeStatus.SUCCEEDED
    pool = await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")
    assert (pool.purchased, pool.assigned) == (5, 1)
    assert not await ChargeAttempt.exists()


async def test_a_purchase_that_crashed_after_the_charge_is_applied_once_on_retry(use_gateway):
    crashing = use_gateway(CrashingOnceGateway())
    fx = await make_org()
    await add_card(fx)
    with pytest.raises(Crash):
        await billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "k1", actor=fx.actor, now=NOW, wall=NOW)
    assert crashing.charges_made == 1 and not await Subscription.exists() and not await Charge.exists()
    assert await ChargeAttempt.all().count() == 1  # the payment is not lost: its attempt waits for the retry

    sub, charge = await billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "k1", actor=fx.actor, now=NOW, wall=LATER)
    assert crashing.charges_made == 1  # the gateway was asked again with the same key: no second charge
    assert (sub.quantity, charge.status, charge.amount_cents) == (3, ChargeStatus.SUCCEEDED, 3 * 3000)
    assert await Charge.all().count() == 1 and not await ChargeAttempt.exists()
    assert (await IdempotencyKey.get(key="k1")).charge_id == charge.id
    again = await billing.purchase_licenses(fx.org, "CRM_BASIC", 3, "k1", actor=fx.actor, now=NOW, wall=LATER)
    assert (again[0].id, again[1].id) == (sub.id, charge.id)


async def test_a_retry_inside_the_lease_of_an_attempt_in_flight_waits_instead_of_charging(use_gateway, monkeypatch):
    crashing = use_gateway(CrashingOnceGateway())
    monkeypatch.setattr(billing, "DUPLICATE_WAIT", 0.2)
    fx = await make_org()
    await add_card(fx)
    with pytest.raises(Crash):
        await billing.purchase_licenses(fx.org, "CRM_BASIC", 1, "k1", actor=fx.actor, now=NOW, wall=NOW)
    with pytest.raises(DomainError) as failed:  # the attempt may still be answered by its own process
        await billing.purchase_licenses(fx.org, "CRM_BASIC", 1, "k1", actor=fx.actor, now=NOW, wall=NOW + timedelta(seconds=5))
    assert failed.value.code is ErrorCode.INVALID_INPUT and failed.value.subject == "idempotency_key"
    assert crashing.charges_made == 1 and not await Charge.exists()


async def test_a_renewal_that_crashed_after_the_charge_is_applied_once_by_the_next_run(use_gateway):
    crashing = use_gateway(CrashingOnceGateway())
    fx = await make_org()
    await add_card(fx)
    sub = await subscribe(fx, "CRM_BASIC", 2)
    report = await run_clock(PERIOD_END, wall=NOW)  # the crash is logged; the subscription is left as it was
    assert report.renewed == 0 and crashing.charges_made == 1
    assert (await Subscription.get(id=sub.id)).current_period_end == PERIOD_END

    report = await run_clock(PERIOD_END, wall=LATER)
    assert report.renewed == 1 and crashing.charges_made == 1
    assert (await Subscription.get(id=sub.id)).current_period_end == add_months(NOW, 2)
    assert await Charge.filter(subscription_id=sub.id, status=ChargeStatus.SUCCEEDED).count() == 1
    assert not await ChargeAttempt.exists()
