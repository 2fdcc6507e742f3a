"""What a dry run shows (ChangePreview): who loses and who gains access, the pools before and after, the money,
and the plan token that applies exactly this change. Worked out by the change itself (models/seats/ledger.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from seatwise.gql.graphql.core.common import Money, Product, Quote, exposed
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.plans import previews

if TYPE_CHECKING:
    from seatwise.gql.graphql.people.types import User
    from seatwise.gql.graphql.seats.types import SeatPool
    from seatwise.models.seats.licenses import LicenseState

PREVIEW = "With dryRun: what the change would do (nothing was kept); null otherwise."
_SEATS = "seatwise.gql.graphql.seats.types"
_PEOPLE = "seatwise.gql.graphql.people.types"

AccessChangeReason = exposed(
    previews.AccessChangeReason,
    "AccessChangeReason",
    description="Why a user's access to a product changes.",
    values={
        "REVOKED": "The license is taken back (revokeLicense, revokeLicenses).",
        "USER_DELETED": "The user is deleted.",
        "GROUP_LEFT": "The user leaves the group that gave the license.",
        "GROUP_PRODUCT_REMOVED": "The group stops granting the product (or is deleted).",
        "SUBSCRIPTION_CANCELLED": "Licenses stop counting (a reduction or cancellation): the license goes into CONFLICT.",
        "RECLAIMED": "Taken back by a reclaim policy: idle too long.",
        "FROM_WAITLIST": "A waiting user gets a license freed by the change.",
        "CONFLICT_SETTLED": "A license in CONFLICT becomes ACTIVE.",
        "PURCHASED": "Licenses bought by the change.",
    },
)


@strawberry.type(description="One (user, product) whose access changes.")
class AccessChange:
    user: Annotated[User, strawberry.lazy(_PEOPLE)] = strawberry.field(description="The user.")
    product: Product = strawberry.field(description="The product.")
    before: Annotated[LicenseState, strawberry.lazy(_SEATS)] | None = strawberry.field(description="Null: no license.")
    after: Annotated[LicenseState, strawberry.lazy(_SEATS)] | None = strawberry.field(description="Null: no license.")
    reason: previews.AccessChangeReason = strawberry.field(description="Why.")


@strawberry.type(description="A product's seat pool before and after a change.")
class SeatPoolChange:
    before: Annotated[SeatPool, strawberry.lazy(_SEATS)] = strawberry.field(description="Before the change.")
    after: Annotated[SeatPool, strawberry.lazy(_SEATS)] = strawberry.field(description="After the change.")


@strawberry.type(description="What a change would do, worked out by the change itself and then rolled back.")
class ChangePreview:
    losing_access: list[AccessChange] = strawberry.field(description="At most 1000 entries; totalLosingAccess counts them all.")
    total_losing_access: int = strawberry.field(description="Every (user, product) losing access or going into CONFLICT.")
    gaining_access: list[AccessChange] = strawberry.field(description="At most 1000 entries; totalGainingAccess counts them all.")
    total_gaining_access: int = strawberry.field(description="Every (user, product) gaining access.")
    seats: list[SeatPoolChange] = strawberry.field(description="Every touched product's pool, before and after.")
    charge: Quote | None = strawberry.field(default=None, description="What would be charged now (purchases).")
    monthly_change: Money | None = strawberry.field(
        default=None, description="How the monthly bill would change (negative: it goes down)."
    )
    effective_at: DateTime = strawberry.field(
        description="When the change takes effect (a cancellation at period end: that date)."
    )
    plan_token: str = strawberry.field(
        description="Give it back with dryRun false to apply exactly this change, or get PLAN_STALE."
    )
    plan_expires_at: DateTime = strawberry.field(description="When the plan token expires (15 minutes after the preview).")

    @classmethod
    def from_view(cls, view: previews.Preview) -> ChangePreview:
        from seatwise.gql.graphql.people.types import User
        from seatwise.gql.graphql.seats.types import LicenseState, SeatPool

        def access(change: previews.AccessChange) -> AccessChange:
            return AccessChange(
                user=User.from_model(view.users[change.user_id]),
                product=Product.from_model(view.products[change.sku]),
                before=LicenseState(change.before) if change.before else None,
                after=LicenseState(change.after) if change.after else None,
                reason=change.reason,
            )

        assert view.effective_at is not None and view.plan_expires_at is not None
        return cls(
            losing_access=[access(c) for c in view.losing],
            total_losing_access=view.total_losing,
            gaining_access=[access(c) for c in view.gaining],
            total_gaining_access=view.total_gaining,
            seats=[SeatPoolChange(before=SeatPool.from_model(b), after=SeatPool.from_model(a)) for b, a in view.seats],
            charge=Quote.from_view(view.charge) if view.charge is not None else None,
            monthly_change=Money.usd(view.monthly_change_cents) if view.monthly_change_cents is not None else None,
            effective_at=view.effective_at,
            plan_token=view.plan_token,
            plan_expires_at=view.plan_expires_at,
        )
