"""Alerts: what needs an admin's attention (conflicts, failed payments, expiring cards, low seats)."""

from __future__ import annotations

import hashlib

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.billing.types import PaymentCard, ProductSubscription
from seatwise.gql.graphql.core.common import Product, exposed
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.billing import alerts as alert_rules

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
AlertKind = exposed(
    alert_rules.AlertKind,
    "AlertKind",
    description="The kinds of alert, in the order alerts lists them.",
    values={
        "LICENSE_CONFLICT": "A product has more assigned than purchased licenses.",
        "PAYMENT_FAILED": "A subscription is in GRACE_PERIOD or SUSPENDED after a failed payment.",
        "CARD_EXPIRING": "The default card expires before (or there is none for) an ACTIVE subscription's next renewal.",
        "SUBSCRIPTION_ENDING": "A subscription is set to cancel at its period end.",
        "SEATS_LOW": "A bought product has 10% or less of its licenses available.",
        "LICENSES_WAITING": "Users wait for licenses of a product that has none available; buy more to serve them.",
        "RECLAIM_SCHEDULED": "Idle licenses of a product are scheduled to be reclaimed.",
        "WEBHOOK_DISABLED": "A webhook endpoint was disabled after failing deliveries.",
    },
)


def alert_key(alert: Alert) -> str:
    """An alert's natural key: its kind and what it is about (product sku, subscription id, card id; for an alert about
    none of those, e.g. WEBHOOK_DISABLED, a digest of its message)."""
    parts = [
        alert.product.sku if alert.product else "",
        str(alert.subscription.id) if alert.subscription else "",
        str(alert.payment_card.id) if alert.payment_card else "",
    ]
    if not any(parts):
        parts.append(hashlib.sha256(alert.message.encode()).hexdigest()[:16])
    return ":".join([alert.kind.value, *parts])


@strawberry.type(description="Something that needs an admin's attention.")
class Alert(relay.Node):
    kind: alert_rules.AlertKind = strawberry.field(description="What kind of problem it is.")
    message: str = strawberry.field(description="The problem in words, for people.")
    product: Product | None = strawberry.field(description="The product concerned, if any.")
    subscription: ProductSubscription | None = strawberry.field(description="The subscription concerned, if any.")
    payment_card: PaymentCard | None = strawberry.field(description="The payment card concerned, if any.")
    due_at: DateTime | None = strawberry.field(
        description="When it bites: the renewal date, the end of the grace period, the period end."
    )

    @classmethod
    def from_model(cls, alert: alert_rules.Alert, now) -> Alert:
        return cls(
            kind=alert.kind,
            message=alert.message,
            product=Product.from_model(alert.product) if alert.product else None,
            subscription=ProductSubscription.from_model(alert.subscription) if alert.subscription else None,
            payment_card=PaymentCard.from_model(alert.card, now) if alert.card else None,
            due_at=alert.due_at,
        )

    @classmethod
    def resolve_id(cls, root: Alert, *, info: Info) -> str:
        return alert_key(root)


@strawberry.type
class Query:
    @strawberry.field(description="What needs an admin's attention now, most urgent first.")
    async def alerts(self, info: Info[Context, None]) -> list[Alert]:
        viewer = info.context.viewer
        now = viewer.now
        return [Alert.from_model(a, now) for a in await alert_rules.alerts(viewer.org, now=now)]
