"""Idle licenses, reported uses and reclaim policies."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import Product
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError, query_input_error
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageUsers
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, PAGE_AFTER, PAGE_FIRST, USER_ERRORS
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.plans.types import ChangePreview
from seatwise.gql.graphql.seats.types import LicenseAssignmentConnection, ReclaimPolicy
from seatwise.models.catalog.products import product_of
from seatwise.models.core.errors import DomainError
from seatwise.models.core.pages import paginate
from seatwise.models.people.auth import Viewer
from seatwise.models.seats import licenses as seats
from seatwise.models.usage import idle, policies, uses


@strawberry.input(description="One use of a license, reported by the product.")
class LicenseUseInput:
    email: str = strawberry.field(description="The user's email; case and surrounding spaces are ignored.")
    product_sku: str = strawberry.field(description="The product used.")
    at: DateTime = strawberry.field(description="When it was used; at most 5 minutes ahead of the server's clock.")


@strawberry.input(description="Uses reported by a product that keeps sessions open.")
class RecordLicenseUsesInput:
    uses: list[LicenseUseInput] = strawberry.field(description="1 to 1000 uses.")


@strawberry.type(description="The result of recordLicenseUses.")
class RecordLicenseUsesPayload:
    recorded: int = strawberry.field(
        default=0, description="Uses that changed a license's lastUsedAt or kept it from being reclaimed."
    )
    ignored: int = strawberry.field(default=0, description="Uses of unknown users or of licenses the user does not hold.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.input(description="A product's reclaim policy.")
class SetReclaimPolicyInput:
    product_sku: str = strawberry.field(description="The product.")
    enabled: bool = strawberry.field(description="False: nothing is scheduled or reclaimed.")
    idle_days: int = strawberry.field(description="14 to 365.")
    notice_days: int = strawberry.field(description="0 to 30.")
    dry_run: bool | None = strawberry.field(default=False, description="Work the change out and keep nothing.")
    plan_token: str | None = strawberry.field(default=None, description="A preview's planToken: apply exactly that plan.")


@strawberry.type(description="The result of setReclaimPolicy.")
class SetReclaimPolicyPayload:
    policy: ReclaimPolicy | None = strawberry.field(default=None, description="The policy as set.")
    preview: ChangePreview | None = strawberry.field(
        default=None, description="With dryRun, or always: what the next billing-clock run would schedule and reclaim."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="Licenses of the product idle at least idleDays days (1 to 3650), longest idle first.")
    async def idle_licenses(
        self,
        info: Info[Context, None],
        product_sku: Annotated[str, strawberry.argument(description="The product.")],
        idle_days: Annotated[int | None, strawberry.argument(description="1 to 3650.")] = 30,
        first: Annotated[int | None, strawberry.argument(description=PAGE_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=PAGE_AFTER)] = None,
    ) -> LicenseAssignmentConnection:
        viewer = info.context.viewer
        try:
            query = await idle.idle_licenses(viewer.org, product_sku, 30 if idle_days is None else idle_days, viewer.now)
        except DomainError as error:
            raise query_input_error(error) from None
        page = await paginate(query, first, after, idle.IDLE_ORDER)
        pool = await seats.seat_pool(viewer.org, product_sku)
        line = await seats.conflict_line(viewer.org, pool)
        conflict = {row.id for row in page.items if line is not None and line.holds(row)}
        return LicenseAssignmentConnection.from_page(page, await product_of(product_sku), conflict)


@strawberry.type
class Mutation:
    @domain_mutation(
        description="Report uses of licenses (products that keep sessions open), 1 to 1000, all or none; any role. Errors: INVALID_INPUT (a use more than 5 minutes in the future, per item).",
    )
    async def record_license_uses(
        viewer: Viewer, input: Annotated[RecordLicenseUsesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> RecordLicenseUsesPayload:
        items = [uses.Use(u.email, u.product_sku, u.at) for u in input.uses]
        recorded, ignored = await uses.record_uses(viewer.org, items, now=viewer.now)
        return RecordLicenseUsesPayload(recorded=recorded, ignored=ignored)

    @domain_mutation(
        CanManageUsers,
        description="Set a product's reclaim policy. Errors: UNKNOWN_PRODUCT, INVALID_INPUT (idleDays 14 to 365, noticeDays 0 to 30), PLAN_STALE.",
    )
    async def set_reclaim_policy(
        viewer: Viewer, input: Annotated[SetReclaimPolicyInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> SetReclaimPolicyPayload:
        policy, change = await policies.set_reclaim_policy(
            viewer.org,
            input.product_sku,
            enabled=input.enabled,
            idle_days=input.idle_days,
            notice_days=input.notice_days,
            actor=viewer.actor,
            now=viewer.now,
            dry_run=bool(input.dry_run),
            plan_token=input.plan_token,
        )
        product = Product.from_model(await product_of(input.product_sku))
        preview = ChangePreview.from_view(change.preview) if change.preview is not None else None
        return SetReclaimPolicyPayload(policy=ReclaimPolicy.from_model(policy, product), preview=preview)
