"""The card.expiring notice: written by the billing clock when CARD_EXPIRING starts, once per card and expiry period
(docs/rules.md section 15)."""

from datetime import timedelta

from seatwise.models.billing import alerts, cards
from seatwise.models.billing.alerts import AlertKind
from seatwise.models.billing.card_notices import notice_expiring_cards
from seatwise.models.clock.run import run_clock
from seatwise.models.core.clock import iso
from seatwise.models.core.tables import Event, PaymentCard, Subscription
from tests.events_support import card
from tests.support import NOW, give_licenses, make_org

# NOW is 2026-11-29: a card expiring 11/2026 is valid until 2026-12-01, before the renewals of 2026-12-29.


async def _notices(fx) -> list[Event]:
    return await Event.filter(organization_id=fx.org.id, type="card.expiring").order_by("sequence")


async def test_a_card_that_expires_before_a_renewal_is_noticed_once_with_the_card_and_the_renewals():
    fx = await make_org()
    expiring = await card(fx, 11, 2026, last4="1111")
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    assert [a.kind for a in await alerts.alerts(fx.org, now=NOW)] == [AlertKind.CARD_EXPIRING]

    assert await notice_expiring_cards(NOW, org=fx.org) == 1
    assert await notice_expiring_cards(NOW, org=fx.org) == 0  # the next run: nothing more

    [event] = await _notices(fx)
    assert event.data == {
        "paymentCard": {
            "id": str(expiring.id),
            "brand": "VISA",
            "last4": "1111",
            "expMonth": 11,
            "expYear": 2026,
            "expiresAt": "2026-12-01T00:00:00Z",
        },
        "renewals": [{"subscriptionId": str(sub.id), "product": "CRM_BASIC", "renewsAt": iso(sub.current_period_end)}],
    }
    assert (await PaymentCard.get(id=expiring.id)).expiry_noticed == "2026-11"


async def test_the_clock_run_writes_it_and_a_second_run_does_not_write_it_again():
    fx = await make_org()
    await card(fx, 11, 2026)
    await give_licenses(fx, "CRM_BASIC", 5)

    assert (await run_clock(NOW, org=fx.org)).cards_expiring == 1
    assert (await run_clock(NOW, org=fx.org)).cards_expiring == 0
    assert len(await _notices(fx)) == 1


async def test_new_expiry_dates_or_a_new_default_card_are_a_new_period():
    fx = await make_org()
    old = await card(fx, 11, 2026, last4="1111")
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    await Subscription.filter(id=sub.id).update(current_period_end=sub.current_period_end + timedelta(days=90))
    await notice_expiring_cards(NOW, org=fx.org)

    await PaymentCard.filter(id=old.id).update(exp_month=12)  # still before the renewal, 90 days later
    assert await notice_expiring_cards(NOW, org=fx.org) == 1
    await PaymentCard.filter(id=old.id).update(is_default=False)
    new = await card(fx, 12, 2026, last4="2222")
    assert await notice_expiring_cards(NOW, org=fx.org) == 1
    assert await notice_expiring_cards(NOW, org=fx.org) == 0

    found = [(e.data["paymentCard"]["id"], e.data["paymentCard"]["expMonth"]) for e in await _notices(fx)]
    assert found == [(str(old.id), 11), (str(old.id), 12), (str(new.id), 12)]


async def test_no_notice_without_the_alert():
    fx = await make_org()
    await card(fx, 12, 2030)  # valid past every renewal
    ending = await card(fx, 11, 2026, default=False)  # not the default card
    await give_licenses(fx, "CRM_BASIC", 5)
    cancelling = await make_org("Beta")
    await card(cancelling, 11, 2026)
    sub = await give_licenses(cancelling, "CRM_BASIC", 5)
    await Subscription.filter(id=sub.id).update(cancel_at_period_end=True)  # no renewal to fail

    assert await notice_expiring_cards(NOW) == 0
    assert await notice_expiring_cards(NOW, org=fx.org) == 0
    assert (await PaymentCard.get(id=ending.id)).expiry_noticed is None
    assert await Event.filter(type="card.expiring").count() == 0


async def test_a_card_change_that_starts_the_alert_writes_the_notice_in_its_own_transaction():
    fx = await make_org()
    mine = await card(fx, 12, 2030)
    await give_licenses(fx, "CRM_BASIC", 5)
    assert await Event.filter(organization_id=fx.org.id, type="card.expiring").count() == 0

    await cards.update_card(fx.org, str(mine.id), 11, 2026, actor=fx.actor, now=NOW)  # now before the renewal

    [notice] = await _notices(fx)
    [updated] = await Event.filter(organization_id=fx.org.id, type="card.updated")
    assert notice.sequence == updated.sequence + 1 and notice.data["paymentCard"]["expMonth"] == 11
    assert await notice_expiring_cards(NOW, org=fx.org) == 0  # the clock finds it noticed
