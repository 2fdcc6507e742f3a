"""People and credentials as the API shows them: users, the viewer, the organization, API tokens, access decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.common import (
    AccessDenialReason,
    AdminRole,
    ApiTokenScope,
    CredentialKind,
    PageInfo,
    UserStatus,
    connection,
    total_count_field,
)
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.seats.types import LicenseAssignment
from seatwise.models.core import tables
from seatwise.models.core.pages import Page
from seatwise.models.people import users as user_rules
from seatwise.models.seats import licenses as seat_rules

if TYPE_CHECKING:
    from seatwise.gql.graphql.groups.types import Group, LicenseWait


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    sandbox: bool = strawberry.field(description="A sandbox organization has a test clock that only advanceTestClock moves.")
    now: DateTime = strawberry.field(
        description="The organization's current time: the wall clock, or its test clock in a sandbox."
    )
    created_at: DateTime

    @classmethod
    def from_model(cls, org: tables.Organization) -> Organization:
        from seatwise.models.core.clock import org_now

        return cls(id=strawberry.ID(str(org.id)), name=org.name, sandbox=org.sandbox, now=org_now(org), created_at=org.created_at)


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    display_name: str
    admin_role: AdminRole | None
    created_at: DateTime
    deleted_at: DateTime | None
    restorable_until: DateTime | None
    model: strawberry.Private[tables.User]

    @classmethod
    def from_model(cls, user: tables.User) -> User:
        return cls(
            id=strawberry.ID(str(user.id)),
            email=user.email,
            display_name=user.display_name,
            admin_role=user.admin_role,
            created_at=user.created_at,
            deleted_at=user.deleted_at,
            restorable_until=user_rules.restorable_until(user),
            model=user,
        )

    @strawberry.field
    async def status(self, info: Info) -> UserStatus:
        return user_rules.status_of(self.model, len(await info.context.licenses.load(self.model.id)))

    @strawberry.field
    async def licenses(self, info: Info) -> list[LicenseAssignment]:
        rows = await info.context.licenses.load(self.model.id)
        products = await info.context.products() if rows else {}
        licenses = []
        for row in rows:
            line = await info.context.conflict_line(seat_rules.pool_of(row, products[row.product_id]))
            licenses.append(LicenseAssignment.from_model(row, products[row.product_id], line is not None and line.holds(row)))
        return licenses

    @strawberry.field(description="The directory's id for this person (SCIM externalId), if provisioned.")
    def external_id(self) -> str | None:
        return self.model.external_id

    @strawberry.field
    async def groups(self, info: Info) -> list[Annotated[Group, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import Group

        return [Group.from_model(g) for g in await info.context.user_groups.load(self.model.id)]

    @strawberry.field(description="Licenses this user waits for.")
    async def license_waits(
        self, info: Info
    ) -> list[Annotated[LicenseWait, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import LicenseWait
        from seatwise.models.groups import lifecycle as group_rules

        return [LicenseWait.from_model(w, await group_rules.position_of(w)) for w in await info.context.waits.load(self.model.id)]


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int = total_count_field()
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.User]) -> UserConnection:
        return connection(page, User.from_model, UserEdge, cls)


@strawberry.type
class Viewer:
    user: User
    role: AdminRole
    credential: CredentialKind
    organization: Organization

    @classmethod
    def from_model(cls, viewer) -> Viewer:
        return cls(
            user=User.from_model(viewer.user),
            role=viewer.role,
            credential=viewer.credential.kind,
            organization=Organization.from_model(viewer.org),
        )


@strawberry.type
class ApiToken:
    id: strawberry.ID
    name: str
    role: AdminRole
    owner: str = strawberry.field(description="Email of the admin who created it and whom it acts as.")
    created_at: DateTime
    last_used_at: DateTime | None
    expires_at: DateTime | None
    revoked_at: DateTime | None
    scope: ApiTokenScope

    @classmethod
    def from_model(cls, row: tables.Credential) -> ApiToken:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            role=row.role,
            owner=row.user.email,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            scope=row.scope,
        )


@strawberry.type
class AccessDecision:
    allowed: bool
    reason: AccessDenialReason | None


# ---------------------------------------------------------------- billing
