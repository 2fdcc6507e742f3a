"""Alerts: what needs an admin's attention now, most urgent first (docs/rules.md section 8).

Order: LICENSE_CONFLICT, PAYMENT_FAILED, CARD_EXPIRING, SUBSCRIPTION_ENDING, SEATS_LOW, LICENSES_WAITING, RECLAIM_SCHEDULED,
WEBHOOK_DISABLED; inside a
kind by `due_at` (alerts without one last), then catalog order and subscription id.

Rules of our own (documented in docs/rules.md):
- PAYMENT_FAILED for a SUSPENDED subscription is due when the clock cancels it (suspendedAt + 90 days).
- CARD_EXPIRING is one alert per ACTIVE subscription not set to cancel whose renewal
  (currentPeriodEnd) falls at or after the default card's expiry, due at that renewal. With no
  default card at all, the same renewal would fail too: it is raised as well, with no paymentCard.
- SEATS_LOW follows its definition literally: also for a product in conflict (available is then 0).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.functions import Count, Min

from seatwise.models.billing.charges import default_card
from seatwise.models.billing.gateways import card_expires_at
from seatwise.models.billing.schedule import SUSPENDED_FOR
from seatwise.models.core.tables import (
    LicenseAssignment,
    Organization,
    PaymentCard,
    Product,
    Subscription,
    SubscriptionStatus,
    WebhookEndpoint,
)
from seatwise.models.seats.licenses import seat_pools
from seatwise.models.seats.pools import PoolView

LOW_SHARE = 10  # percent


class AlertKind(str, enum.Enum):
    LICENSE_CONFLICT = "LICENSE_CONFLICT"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CARD_EXPIRING = "CARD_EXPIRING"
    SUBSCRIPTION_ENDING = "SUBSCRIPTION_ENDING"
    SEATS_LOW = "SEATS_LOW"
    LICENSES_WAITING = "LICENSES_WAITING"
    RECLAIM_SCHEDULED = "RECLAIM_SCHEDULED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


ORDER = list(AlertKind)


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    message: str
    product: Product | None = None
    subscription: Subscription | None = None
    card: PaymentCard | None = None
    due_at: datetime | None = None


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _licenses(count: int) -> str:
    return f"{count} license" if count == 1 else f"{count} licenses"


async def alerts(org: Organization, *, now: datetime) -> list[Alert]:
    """Every alert of the organization at `now` (its own clock): six queries, the catalog from memory."""
    pools = await seat_pools(org)
    products = {p.product.sku: p.product for p in pools}
    subs = await Subscription.filter(organization_id=org.id).exclude(status=SubscriptionStatus.CANCELLED).order_by("id")
    card = await default_card(org)
    found = [
        *_conflicts(pools),
        *_payments_failed(subs, products, card),
        *_cards_expiring(subs, products, card),
        *_subscriptions_ending(subs, products),
        *_seats_low(pools),
        *_licenses_waiting(pools),
        *await _reclaims_scheduled(org, products),
        *[
            Alert(AlertKind.WEBHOOK_DISABLED, f"The webhook endpoint {url} was disabled: {reason} Fix it, then enable it again.")
            for url, reason in await WebhookEndpoint.filter(
                organization_id=org.id, enabled=False, disabled_reason__isnull=False
            ).values_list("url", "disabled_reason")
        ],
    ]
    position = {sku: index for index, sku in enumerate(products)}

    def key(alert: Alert):
        return (
            ORDER.index(alert.kind),
            alert.due_at is None,
            alert.due_at or now,
            position.get(alert.product.sku, 0) if alert.product else 0,
            alert.subscription.id if alert.subscription else 0,
        )

    return sorted(found, key=key)


def _conflicts(pools: list[PoolView]) -> list[Alert]:
    return [
        Alert(
            AlertKind.LICENSE_CONFLICT,
            f"{pool.product.name}: {pool.assigned} licenses are assigned but only {pool.purchased} purchased; "
            f"the {_licenses(pool.overage)} assigned last grant no access. See licenseConflicts for the remedies.",
            product=pool.product,
        )
        for pool in pools
        if pool.in_conflict
    ]


def _payments_failed(subs: list[Subscription], products: dict[str, Product], card: PaymentCard | None) -> list[Alert]:
    found = []
    for sub in subs:
        product = products[sub.product_id]
        if sub.status is SubscriptionStatus.GRACE_PERIOD:
            assert sub.grace_ends_at is not None  # set whenever a subscription enters its grace period
            found.append(
                Alert(
                    AlertKind.PAYMENT_FAILED,
                    f"The renewal payment of {product.name} ({_licenses(sub.quantity)}) failed. Its licenses count until "
                    f"{_day(sub.grace_ends_at)}; update the payment card before then to keep them.",
                    product=product,
                    subscription=sub,
                    card=card,
                    due_at=sub.grace_ends_at,
                )
            )
        elif sub.status is SubscriptionStatus.SUSPENDED:
            ends = sub.suspended_at + SUSPENDED_FOR if sub.suspended_at else None
            found.append(
                Alert(
                    AlertKind.PAYMENT_FAILED,
                    f"{product.name} ({_licenses(sub.quantity)}) is suspended after a failed payment: its licenses no longer "
                    f"count. Update the payment card to renew it"
                    + (f" before it is cancelled on {_day(ends)}." if ends else "."),
                    product=product,
                    subscription=sub,
                    card=card,
                    due_at=ends,
                )
            )
    return found


def renews(sub: Subscription) -> bool:
    """Whether the subscription's next renewal will be charged (ACTIVE, not set to cancel): CARD_EXPIRING looks at it."""
    return sub.status is SubscriptionStatus.ACTIVE and not sub.cancel_at_period_end


def card_expiring(card: PaymentCard, renewal: datetime) -> bool:
    """Whether the card expires at or before a renewal (CARD_EXPIRING's condition)."""
    return card_expires_at(card.exp_month, card.exp_year) <= renewal


def _cards_expiring(subs: list[Subscription], products: dict[str, Product], card: PaymentCard | None) -> list[Alert]:
    found = []
    for sub in subs:
        if not renews(sub):
            continue
        product, renewal = products[sub.product_id], sub.current_period_end
        if card is None:
            found.append(
                Alert(
                    AlertKind.CARD_EXPIRING,
                    f"There is no default payment card: the renewal of {product.name} ({_licenses(sub.quantity)}) on "
                    f"{_day(renewal)} will fail. Add one with addPaymentCard.",
                    product=product,
                    subscription=sub,
                    due_at=renewal,
                )
            )
        elif card_expiring(card, renewal):
            found.append(
                Alert(
                    AlertKind.CARD_EXPIRING,
                    f"The default card ending in {card.last4} expires at the end of {card.exp_month:02d}/{card.exp_year}, "
                    f"before the renewal of {product.name} ({_licenses(sub.quantity)}) on {_day(renewal)}. "
                    f"Update its expiry (updatePaymentCard) or add a new card.",
                    product=product,
                    subscription=sub,
                    card=card,
                    due_at=renewal,
                )
            )
    return found


def _subscriptions_ending(subs: list[Subscription], products: dict[str, Product]) -> list[Alert]:
    return [
        Alert(
            AlertKind.SUBSCRIPTION_ENDING,
            f"{products[sub.product_id].name} ({_licenses(sub.quantity)}) is set to cancel on {_day(sub.current_period_end)}; "
            f"its licenses stop counting then.",
            product=products[sub.product_id],
            subscription=sub,
            due_at=sub.current_period_end,
        )
        for sub in subs
        if sub.cancel_at_period_end
    ]


def _seats_low(pools: list[PoolView]) -> list[Alert]:
    return [
        Alert(
            AlertKind.SEATS_LOW,
            f"{pool.product.name}: {pool.available} of {pool.purchased} purchased licenses available. "
            f"Buy more with purchaseLicenses before assigning again.",
            product=pool.product,
        )
        for pool in pools
        if pool.purchased > 0 and pool.available * 100 <= pool.purchased * LOW_SHARE
    ]


def _licenses_waiting(pools: list[PoolView]) -> list[Alert]:
    return [
        Alert(
            AlertKind.LICENSES_WAITING,
            f"{pool.product.name}: {pool.waiting} {'user waits' if pool.waiting == 1 else 'users wait'} for a license "
            f"(see licenseWaitlist). Buy more with purchaseLicenses; they get them in queue order.",
            product=pool.product,
        )
        for pool in pools
        if pool.waiting > 0
    ]


async def _reclaims_scheduled(org: Organization, products: dict[str, Product]) -> list[Alert]:
    """One alert per product with licenses scheduled for reclaim: how many, due at the earliest `reclaim_at`.
    One grouped query over the index (organization_id, reclaim_at)."""
    rows = (
        await LicenseAssignment.filter(organization_id=org.id, reclaim_at__isnull=False)
        .annotate(scheduled=Count("id"), first=Min("reclaim_at"))
        .group_by("product_id")
        .values("product_id", "scheduled", "first")
    )
    found = []
    for row in rows:
        product, count = products[row["product_id"]], row["scheduled"]
        first = _moment(row["first"])
        found.append(
            Alert(
                AlertKind.RECLAIM_SCHEDULED,
                f"{product.name}: {_licenses(count)} idle {'is' if count == 1 else 'are'} scheduled to be reclaimed, "
                f"the first on {_day(first)}. A use keeps a license; see idleLicenses.",
                product=product,
                due_at=first,
            )
        )
    return found


def _moment(value) -> datetime:
    """MIN() of a datetime column: a datetime on PostgreSQL, text on SQLite."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
