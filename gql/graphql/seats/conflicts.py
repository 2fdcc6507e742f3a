"""License conflicts and their remedies."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core.common import Product, Quote, exposed
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.phrases import PAGE_AFTER, PAGE_FIRST
from seatwise.gql.graphql.people.types import UserConnection
from seatwise.models.seats import conflicts as conflict_rules
from seatwise.models.seats.pools import PoolView

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
ConflictCause = exposed(
    conflict_rules.ConflictCause,
    "ConflictCause",
    description="Why a product's licenses stopped counting.",
    values={
        "PAYMENT_FAILED": "A subscription was suspended or cancelled after a failed payment.",
        "SUBSCRIPTION_CANCELLED": "A subscription was cancelled by request.",
    },
)
RemedyKind = exposed(
    conflict_rules.RemedyKind,
    "RemedyKind",
    description="Ways out of a license conflict.",
    values={
        "PURCHASE_LICENSES": "Buy as many licenses as the overage (see quote).",
        "REVOKE_LICENSES": "Revoke as many licenses as the overage.",
        "DELETE_USERS": "Delete as many license holders as the overage.",
        "UPDATE_PAYMENT_CARD": "Add or fix the default card, which renews a subscription suspended for a failed payment.",
        "RECLAIM_IDLE_LICENSES": "Take back the licenses idle longest (see idleUsers).",
    },
)


@strawberry.type(description="One way out of a license conflict.")
class Remedy:
    kind: conflict_rules.RemedyKind = strawberry.field(description="What to do.")
    description: str = strawberry.field(description="The remedy in words, for people.")
    quote: Quote | None = strawberry.field(description="For PURCHASE_LICENSES: the price of buying exactly the overage.")
    sku: strawberry.Private[str]

    @classmethod
    def from_model(cls, remedy: conflict_rules.Remedy, sku: str) -> Remedy:
        return cls(
            kind=remedy.kind,
            description=remedy.description,
            quote=Quote.from_view(remedy.quote) if remedy.quote else None,
            sku=sku,
        )

    @strawberry.field(
        description="For RECLAIM_IDLE_LICENSES: the users whose licenses of the product are idle 30 days or more, longest idle first."
    )
    async def idle_users(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 100,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> UserConnection | None:
        if self.kind is not conflict_rules.RemedyKind.RECLAIM_IDLE_LICENSES:
            return None
        viewer = info.context.viewer
        return UserConnection.from_page(await conflict_rules.idle_users_page(viewer.org, self.sku, first, after, viewer.now))


@strawberry.type(description="A product whose assigned licenses exceed its purchased licenses.")
class LicenseConflict(relay.Node):
    product: Product = strawberry.field(description="The product in conflict.")
    purchased: int = strawberry.field(description="Licenses of its ACTIVE and GRACE_PERIOD subscriptions.")
    assigned: int = strawberry.field(description="Licenses held by users who are not deleted.")
    overage: int = strawberry.field(description="assigned - purchased: the number of licenses in CONFLICT.")
    causes: list[conflict_rules.ConflictCause] = strawberry.field(description="Why licenses stopped counting.")
    remedies: list[Remedy] = strawberry.field(description="Ways out; each, applied to the whole overage, settles the conflict.")
    pool: strawberry.Private[PoolView]

    @classmethod
    def resolve_id(cls, root: LicenseConflict, *, info: Info) -> str:
        return root.product.sku  # one conflict per product of the organization (docs/api.md)

    @classmethod
    def from_model(cls, conflict: conflict_rules.Conflict) -> LicenseConflict:
        return cls(
            product=Product.from_model(conflict.product),
            purchased=conflict.purchased,
            assigned=conflict.assigned,
            overage=conflict.overage,
            causes=list(conflict.causes),
            remedies=[Remedy.from_model(r, conflict.product.sku) for r in conflict.remedies],
            pool=conflict.pool,
        )

    @strawberry.field(description="The users whose licenses are in conflict: the `overage` most recently assigned, latest first.")
    async def affected_users(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 100,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> UserConnection:
        return UserConnection.from_page(
            await conflict_rules.affected_users_page(info.context.viewer.org, self.pool, first, after)
        )


@strawberry.type
class Query:
    @strawberry.field(description="Every product whose assigned licenses exceed its purchased licenses.")
    async def license_conflicts(self, info: Info[Context, None]) -> list[LicenseConflict]:
        viewer = info.context.viewer
        return [LicenseConflict.from_model(c) for c in await conflict_rules.license_conflicts(viewer.org, now=viewer.now)]
