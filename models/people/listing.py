"""The users page's orders and the filters of section 17 (docs/rules.md): users by email, display name, creation
or latest use, either way, each read by keyset from an index of its own ((organization_id, key, id)); narrowed by
the state of a license they hold, a group they belong to, their admin role."""

from __future__ import annotations

import enum

from tortoise.expressions import RawSQL, Subquery
from tortoise.queryset import QuerySet

from seatwise.models.core.inputs import parse_id
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import AdminRole, GroupMember, Organization, User
from seatwise.models.seats.licenses import LicenseState


class UserOrderField(str, enum.Enum):
    EMAIL = "EMAIL"
    DISPLAY_NAME = "DISPLAY_NAME"
    CREATED_AT = "CREATED_AT"
    LAST_USED_AT = "LAST_USED_AT"  # app_user.latest_use: never used sorts last ascending


class OrderDirection(str, enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


# The sort key of each order, ending in a unique column (the email is unique; the others end in the id).
_KEYS = {
    UserOrderField.EMAIL: ("email",),
    UserOrderField.DISPLAY_NAME: ("display_name", "id"),
    UserOrderField.CREATED_AT: ("created_at", "id"),
    UserOrderField.LAST_USED_AT: ("latest_use", "id"),
}
ORDERS = {
    (field, direction): Keyset(tuple(f"-{name}" for name in names) if direction is OrderDirection.DESC else names)
    for field, names in _KEYS.items()
    for direction in OrderDirection
}


# A license at or after its product's conflict line (the pool stores it while in conflict) is in CONFLICT; every other
# license is ACTIVE. Correlated to the user row (the unique index (user_id, product_id), then the pool's unique key):
# a page costs the users it walks, not the organization's licenses.
_BEYOND_LINE = (
    '"sp"."line_id" IS NOT NULL AND ("la"."assigned_at" > "sp"."line_assigned_at"'
    ' OR ("la"."assigned_at" = "sp"."line_assigned_at" AND "la"."id" >= "sp"."line_id"))'
)
_HOLDING = (
    'EXISTS (SELECT 1 FROM "license_assignment" "la" LEFT JOIN "seat_pool" "sp" ON "sp"."organization_id" = '
    '"la"."organization_id" AND "sp"."product_id" = "la"."product_id" WHERE "la"."user_id" = "app_user"."id" AND {})'
)
_HOLDS = {
    LicenseState.CONFLICT: _HOLDING.format(f"({_BEYOND_LINE})"),
    LicenseState.ACTIVE: _HOLDING.format(f"NOT ({_BEYOND_LINE})"),
}


def user_order(field: UserOrderField | None, direction: OrderDirection | None) -> Keyset:
    """The keyset of an order (no order: by email, ascending; no direction: ascending)."""
    return ORDERS[field or UserOrderField.EMAIL, direction or OrderDirection.ASC]


def narrowed(
    query: QuerySet[User],
    org: Organization,
    *,
    license_state: LicenseState | None = None,
    group_id: str | None = None,
    admin_role: AdminRole | None = None,
) -> QuerySet[User]:
    """`query` (the organization's users) with the filters of section 17, each set one a condition (AND): users
    holding at least one license in `license_state` (a correlated EXISTS: no statement more), members of the group
    `group_id` (an unknown id or another organization's group: no user), users with `admin_role`."""
    if admin_role is not None:
        query = query.filter(admin_role=admin_role)
    if group_id is not None:
        pk = parse_id(group_id)
        members = GroupMember.filter(group_id=pk if pk is not None else -1, group__organization_id=org.id)
        query = query.filter(id__in=Subquery(members.values("user_id")))
    if license_state is not None:
        query = query.annotate(holds_in_state=RawSQL(_HOLDS[license_state])).filter(holds_in_state=True)
    return query
