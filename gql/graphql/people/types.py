"""People and credentials as the API shows them: users, the viewer, the organization, API tokens, access decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.common import (
    AccessDenialReason,
    AdminRole,
    ApiTokenScope,
    CredentialKind,
    PageInfo,
    Product,
    UserStatus,
    connection,
    total_count_field,
)
from seatwise.gql.graphql.core.phrases import CURSOR, EDGES, NODE, NODES, PAGE_INFO, TOTAL_COUNT
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.gql.graphql.people.notifications import NotificationPreferences, preferences_of
from seatwise.models.catalog.products import MAX_SKU
from seatwise.models.core import tables
from seatwise.models.core.inputs import query_text
from seatwise.models.core.pages import Page
from seatwise.models.people import users as user_rules
from seatwise.models.seats import licenses as seat_rules

if TYPE_CHECKING:
    from seatwise.gql.graphql.groups.types import Group, LicenseWait
    from seatwise.gql.graphql.roles.types import RoleGrant
    from seatwise.gql.graphql.seats.types import LicenseAssignment


@strawberry.type(description="A customer of Seatwise: its users, licenses and billing.")
class Organization(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The organization's name.")
    sandbox: bool = strawberry.field(description="A sandbox organization has a test clock that only advanceTestClock moves.")
    now: DateTime = strawberry.field(
        description="The organization's current time: the wall clock, or its test clock in a sandbox."
    )
    created_at: DateTime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, org: tables.Organization) -> Organization:
        from seatwise.models.core.clock import org_now

        return cls(id=org.id, name=org.name, sandbox=org.sandbox, now=org_now(org), created_at=org.created_at)


@strawberry.type(description="A person of the organization who may hold licenses, and may be an admin.")
class User(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="Unique, lower-case email.")
    display_name: str = strawberry.field(description="Name shown.")
    admin_role: AdminRole | None = strawberry.field(description="The admin role; null for a user who is not an admin.")
    created_at: DateTime = strawberry.field(description="When the user was created.")
    deleted_at: DateTime | None = strawberry.field(description="When the user was deleted; null if not deleted.")
    restorable_until: DateTime | None = strawberry.field(
        description="Until when restoreUser works (deletedAt + 30 days); null if not deleted."
    )
    model: strawberry.Private[tables.User]
    # The user's licenses as prefetched for a whole page (`with_licenses`); None: read them on demand.
    prefetched: strawberry.Private[list[Any] | None] = None

    @classmethod
    def with_licenses(cls, user: tables.User, licenses: list[Any] | None) -> User:
        """A user whose status and licenses resolve without awaiting: from rows read once for the page."""
        node = cls.from_model(user)
        node.prefetched = licenses
        return node

    @classmethod
    def from_model(cls, user: tables.User) -> User:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            admin_role=user.admin_role,
            created_at=user.created_at,
            deleted_at=user.deleted_at,
            restorable_until=user_rules.restorable_until(user),
            model=user,
        )

    @strawberry.field(description="DELETED, else ACTIVE with at least one license, else DISABLED.")
    def status(self, info: Info) -> UserStatus:
        if self.prefetched is not None:  # a page's user: no await (graphql-core awaits only what is awaitable)
            return user_rules.status_of(self.model, len(self.prefetched))
        return self._status(info)  # an awaitable, awaited by graphql-core

    async def _status(self, info: Info) -> UserStatus:
        return user_rules.status_of(self.model, len(await info.context.licenses.load(self.model.id)))

    @strawberry.field(description="The licenses the user holds (empty once deleted).")
    def licenses(self, info: Info) -> list[Annotated[LicenseAssignment, strawberry.lazy("seatwise.gql.graphql.seats.types")]]:
        if self.prefetched is not None:
            return self.prefetched
        return self._licenses(info)  # type: ignore[return-value]  # an awaitable, awaited by graphql-core

    async def _licenses(self, info: Info) -> list[LicenseAssignment]:
        from seatwise.gql.graphql.seats.types import LicenseAssignment

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

    @strawberry.field(description="The groups this user is a member of, by displayName.")
    async def groups(self, info: Info) -> list[Annotated[Group, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import Group

        return [Group.from_model(g) for g in await info.context.user_groups.load(self.model.id)]

    @strawberry.field(
        description="Products whose licenses were reclaimed while the user held them through groups: granted again at the next sign-in."
    )
    async def dormant_products(self, info: Info) -> list[Product]:
        skus = await info.context.dormant.load(self.model.id)
        products = await info.context.products() if skus else {}
        return [Product.from_model(products[sku]) for sku in skus]

    @strawberry.field(description="Licenses this user waits for.")
    async def license_waits(
        self, info: Info
    ) -> list[Annotated[LicenseWait, strawberry.lazy("seatwise.gql.graphql.groups.types")]]:
        from seatwise.gql.graphql.groups.types import LicenseWait

        return [LicenseWait.from_model(w, position) for w, position in await info.context.waits.load(self.model.id)]

    @strawberry.field(description="Effective security roles, with their sources; productSku narrows to one product.")
    async def product_roles(
        self,
        info: Info,
        product_sku: Annotated[
            str | None, strawberry.argument(description="Only this product's roles; null for every product.")
        ] = None,
    ) -> list[Annotated[RoleGrant, strawberry.lazy("seatwise.gql.graphql.roles.types")]]:
        from seatwise.gql.graphql.roles.types import RoleGrant

        query_text(product_sku, MAX_SKU, "The productSku")  # BAD_USER_INPUT for text that cannot be a SKU
        entries = await info.context.user_roles.load((self.model, product_sku))
        return [RoleGrant.from_entry(entry, self.model.id) for entry in entries]


@strawberry.type(description="One User of a page with its cursor.")
class UserEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: User = strawberry.field(description=NODE)


@strawberry.type(description="A page of User items, in the order asked.")
class UserConnection:
    edges: list[UserEdge] = strawberry.field(description=EDGES)
    nodes: list[User] = strawberry.field(description=NODES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = total_count_field(description=TOTAL_COUNT)
    page: strawberry.Private[Page]

    @classmethod
    def from_page(cls, page: Page[tables.User], licenses: dict[int, list[tuple]] | None = None) -> UserConnection:
        """With `licenses` (the page's (assignment, product, in conflict), read once: Context.page_licenses) each
        user's status and licenses resolve without awaiting."""
        from seatwise.gql.graphql.seats.types import LicenseAssignment

        if licenses is None:
            return connection(page, User.from_model, UserEdge, cls)
        shown = {uid: [LicenseAssignment.from_model(*entry) for entry in entries] for uid, entries in licenses.items()}
        return connection(page, lambda user: User.with_licenses(user, shown[user.id]), UserEdge, cls)


@strawberry.type(description="Who is asking: the signed-in admin, or an API token's owner.")
class Viewer:
    user: User = strawberry.field(description="The admin as a user.")
    role: AdminRole = strawberry.field(description="The credential's role (an API token's own role).")
    credential: CredentialKind = strawberry.field(description="Whether the request came with a session or an API token.")
    organization: Organization = strawberry.field(description="The organization everything is read in and changed.")
    user_id: strawberry.Private[int]
    credential_id: strawberry.Private[int]

    @strawberry.field(description="A stable id for caches (the credential's); Viewer is not a Node.")
    def id(self) -> strawberry.ID:
        return ids.gid("Viewer", self.credential_id)

    @strawberry.field(description="Which notices this admin gets by email.")
    async def notification_preferences(self) -> NotificationPreferences:
        return await preferences_of(self.user_id)

    @classmethod
    def from_model(cls, viewer) -> Viewer:
        return cls(
            user_id=viewer.user.id,
            user=User.from_model(viewer.user),
            role=viewer.role,
            credential=viewer.credential.kind,
            credential_id=viewer.credential.id,
            organization=Organization.from_model(viewer.org),
        )


@strawberry.type(description="A long-lived credential for integrations; its secret is shown once, at creation.")
class ApiToken(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The name given at creation.")
    role: AdminRole = strawberry.field(description="What the token may do; never more than its owner.")
    owner: str = strawberry.field(description="Email of the admin who created it and whom it acts as.")
    created_at: DateTime = strawberry.field(description="When it was issued.")
    last_used_at: DateTime | None = strawberry.field(
        description="When it last authenticated a request, to the minute; null if never."
    )
    expires_at: DateTime | None = strawberry.field(description="When it lapses; null for never.")
    revoked_at: DateTime | None = strawberry.field(description="When it was revoked; null while not revoked.")
    scope: ApiTokenScope = strawberry.field(description="Which API the token may call; a SCIM token gets FORBIDDEN on /graphql.")

    @classmethod
    def from_model(cls, row: tables.Credential) -> ApiToken:
        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            owner=row.user.email,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            scope=row.scope,
        )


@strawberry.type(description="The answer of accessCheck.")
class AccessDecision:
    allowed: bool = strawberry.field(description="True when the person may use the product now.")
    reason: AccessDenialReason | None = strawberry.field(description="Why access is denied; null when allowed.")
    roles: list[Annotated[RoleGrant, strawberry.lazy("seatwise.gql.graphql.roles.types")]] = strawberry.field(
        default_factory=list,
        description="When allowed: the user's effective roles in the product, with their sources. Empty otherwise.",
    )
