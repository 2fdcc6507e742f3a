"""License conflicts and their remedies, and alerts."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.billing.resolvers import quote_of
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.types import (
    AlertKind,
    ConflictCause,
    PaymentCard,
    Product,
    ProductSubscription,
    Quote,
    RemedyKind,
    UserConnection,
)
from seatwise.models.billing import alerts as alert_rules
from seatwise.models.seats import conflicts as conflict_rules
from seatwise.models.seats.licenses import PoolView


@strawberry.type
class Remedy:
    kind: RemedyKind
    description: str
    quote: Quote | None = strawberry.field(description="For PURCHASE_LICENSES: the price of buying exactly the overage.")

    @classmethod
    def from_model(cls, remedy: conflict_rules.Remedy) -> Remedy:
        return cls(kind=remedy.kind, description=remedy.description, quote=quote_of(remedy.quote) if remedy.quote else None)


@strawberry.type
class LicenseConflict:
    product: Product
    purchased: int
    assigned: int
    overage: int
    causes: list[ConflictCause]
    remedies: list[Remedy]
    pool: strawberry.Private[PoolView]

    @classmethod
    def from_model(cls, conflict: conflict_rules.Conflict) -> LicenseConflict:
        return cls(
            product=Product.from_model(conflict.product),
            purchased=conflict.purchased,
            assigned=conflict.assigned,
            overage=conflict.overage,
            causes=list(conflict.causes),
            remedies=[Remedy.from_model(r) for r in conflict.remedies],
            pool=conflict.pool,
        )

    @strawberry.field(description="The users whose licenses are in conflict: the `overage` most recently assigned, latest first.")
    async def affected_users(
        self, info: Info[Context, None], first: int | None = 100, after: str | None = None
    ) -> UserConnection:
        return UserConnection.from_page(
            await conflict_rules.affected_users_page(info.context.viewer.org, self.pool, first, after)
        )


@strawberry.type
class Alert:
    kind: AlertKind
    message: str
    product: Product | None
    subscription: ProductSubscription | None
    payment_card: PaymentCard | None
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


@strawberry.type
class Query:
    @strawberry.field(description="Every product whose assigned licenses exceed its purchased licenses.")
    async def license_conflicts(self, info: Info[Context, None]) -> list[LicenseConflict]:
        viewer = info.context.viewer
        return [LicenseConflict.from_model(c) for c in await conflict_rules.license_conflicts(viewer.org, now=viewer.now)]

    @strawberry.field(description="What needs an admin's attention now, most urgent first.")
    async def alerts(self, info: Info[Context, None]) -> list[Alert]:
        viewer = info.context.viewer
        now = viewer.now
        return [Alert.from_model(a, now) for a in await alert_rules.alerts(viewer.org, now=now)]
