"""Helpers for the billing clock and test clock tests: cards and subscriptions written directly."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from seatwise.models.core.tables import CardBrand, Charge, PaymentCard, Subscription, User
from seatwise.models.events.live import SeatEvent, broker
from tests.support import NOW, OrgFixture, give_licenses, make_user, recount

PERIOD_END = datetime(2026, 12, 29, 9, 0, tzinfo=NOW.tzinfo)  # a subscription started at NOW


async def add_card(
    fx: OrgFixture, *, declines: bool = False, exp_month: int = 12, exp_year: int = 2030, default: bool = True
) -> PaymentCard:
    """A card as the sandbox gateway would have tokenized it: 'ok' cards pay while not expired, 'decline' never."""
    if default:
        await PaymentCard.filter(organization_id=fx.org.id, is_default=True).update(is_default=False)
    behaviour = "decline" if declines else "ok"
    return await PaymentCard.create(
        organization_id=fx.org.id,
        brand=CardBrand.VISA,
        last4="0341" if declines else "4242",
        exp_month=exp_month,
        exp_year=exp_year,
        gateway_token=f"tok_sandbox_{behaviour}_{uuid.uuid4().hex[:12]}",
        is_default=default,
        created_at=NOW,
    )


async def subscribe(
    fx: OrgFixture, sku: str = "CRM_BASIC", quantity: int = 2, *, start: datetime = NOW, holders: int = 0, **changes: Any
) -> Subscription:
    """A paid subscription started at `start` (its first period ends a month later), `holders` users holding its licenses."""
    sub = await give_licenses(fx, sku, quantity, now=start)
    for _ in range(holders):
        await make_user(fx, skus=[sku], now=start)
    if changes:
        await Subscription.filter(id=sub.id).update(**changes)
        await recount(fx.org.id, sku)
    return await Subscription.get(id=sub.id)


async def reload(sub: Subscription) -> Subscription:
    return await Subscription.get(id=sub.id)


async def charges_of(sub: Subscription) -> list[Charge]:
    return await Charge.filter(subscription_id=sub.id).order_by("id")


async def delete_user_at(fx: OrgFixture, when: datetime) -> User:
    from seatwise.models.people import deletion

    user = await make_user(fx, now=when)
    return await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=when)


class Events:
    """Collects the seat events published while installed (replaces the broker's transport)."""

    def __init__(self) -> None:
        self.seen: list[SeatEvent] = []

    async def _collect(self, event: SeatEvent) -> None:
        self.seen.append(event)

    def install(self, monkeypatch) -> Events:
        monkeypatch.setattr(broker, "transport", self._collect)
        return self

    def kinds(self) -> list[str]:
        return [e.kind.value for e in self.seen]


def days(n: float) -> timedelta:
    return timedelta(days=n)
