"""Reading groups (docs/rules.md section 11): the group list, a group's members, and what its products came to.

The pages of the API read per page, not per row: each batch read here takes the ids of a page's rows and answers
for all of them in one query (the DataLoaders of `gql/graphql/core/context.py` call them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from tortoise import connections
from tortoise.expressions import F, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from seatwise.models.catalog.products import catalog
from seatwise.models.core.db import placeholders
from seatwise.models.core.pages import Keyset, Page, check_first, decode_cursor
from seatwise.models.core.tables import (
    Group,
    GroupMember,
    GroupProduct,
    LicenseAssignment,
    LicenseWait,
    Organization,
    Product,
    User,
)

GROUP_ORDER = Keyset(("name_key", "id"))
MEMBER_ORDER = Keyset(("email",))  # unique: `_members_sql` pages by it


@dataclass(frozen=True)
class GroupLicense:
    product: Product
    licensed: int
    waiting: int


def groups_query(org: Organization, search: str | None = None) -> QuerySet[Group]:
    query = Group.filter(organization_id=org.id)
    if search and search.strip():
        query = query.filter(name_key__contains=search.strip().lower())
    return query.order_by(*GROUP_ORDER.fields)


def _members_of(group_id: int) -> QuerySet[User]:
    return User.filter(id__in=Subquery(GroupMember.filter(group_id=group_id).values("user_id")), deleted_at=None).order_by(
        *MEMBER_ORDER.fields
    )


def members_query(group: Group) -> QuerySet[User]:
    """A group's members that are not deleted, by email."""
    return _members_of(group.id)


async def member_counts(group_ids: list[int]) -> dict[int, int]:
    """Members (not deleted) of many groups, in one query."""
    counts = dict(
        await GroupMember.filter(group_id__in=group_ids, user__deleted_at=None)
        .annotate(n=Count("id"))
        .group_by("group_id")
        .values_list("group_id", "n")
    )
    return {gid: int(counts.get(gid, 0)) for gid in group_ids}


def _members_with(model: type[Model]) -> RawSQL:
    """For the group_product row read: its group's members (not deleted) with a `model` row (a license, a wait)
    of its product."""
    table, members, users = model._meta.db_table, GroupMember._meta.db_table, User._meta.db_table
    grants = GroupProduct._meta.db_table
    return RawSQL(
        f'(SELECT COUNT(*) FROM "{table}" x JOIN "{members}" m ON m."user_id" = x."user_id" '
        f'JOIN "{users}" u ON u."id" = m."user_id" WHERE m."group_id" = "{grants}"."group_id" '
        f'AND x."product_id" = "{grants}"."product_id" AND u."deleted_at" IS NULL)'
    )


async def licenses_of_groups(group_ids: list[int]) -> dict[int, list[GroupLicense]]:
    """Per group, per product it grants (by SKU): members holding its license, members waiting for one; one query."""
    rows = (
        await GroupProduct.filter(group_id__in=group_ids)
        .annotate(licensed=_members_with(LicenseAssignment), waiting=_members_with(LicenseWait))
        .order_by("group_id", "product_id")
        .values_list("group_id", "product_id", "licensed", "waiting")
    )
    products = {p.sku: p for p in await catalog()}
    found: dict[int, list[GroupLicense]] = {gid: [] for gid in group_ids}
    for gid, sku, licensed, waiting in rows:
        found[gid].append(GroupLicense(products[sku], int(licensed), int(waiting)))
    return found


# Groups whose member pages one statement reads: a page of groups is at most 100 (SQLite: at most 500 terms).
MAX_GROUPS_PER_STATEMENT = 100


def _members_sql(groups: int, after: bool, dialect: str) -> str:
    """One statement for the first members of `groups` groups (at most MAX_GROUPS_PER_STATEMENT): per group the
    query of `members_query` with its LIMIT (and after a cursor its keyset), all in one UNION ALL. Parameters per
    group: id, [email after,] limit."""
    columns = ", ".join(f'u."{column}"' for column in User._meta.db_fields)
    beyond = ' AND u."email" > ?' if after else ""
    branch = (
        f'SELECT * FROM (SELECT m."group_id" AS "member_of", {columns} FROM "{User._meta.db_table}" u '
        f'JOIN "{GroupMember._meta.db_table}" m ON m."user_id" = u."id" '
        f'WHERE m."group_id" = ? AND u."deleted_at" IS NULL{beyond} ORDER BY u."email" LIMIT ?) AS page'
    )
    # The compound is ordered as a whole, in the database's collation: the same order as the keyset's `email > ?`.
    sql = " UNION ALL ".join([branch] * groups) + ' ORDER BY "member_of", "email"'
    return placeholders(sql, dialect)


async def members_pages(group_ids: list[int], first: int | None, after: str | None) -> dict[int, Page[User]]:
    """The same page (`first` members after the cursor `after`) of the members of many groups, in one query; each
    page's total is its group's COUNT, run only when asked for. SQLite takes at most 500 terms in a compound SELECT:
    callers pass at most MAX_GROUPS_PER_STATEMENT groups (the DataLoader's batch size)."""
    if len(group_ids) > MAX_GROUPS_PER_STATEMENT:
        raise ValueError(f"at most {MAX_GROUPS_PER_STATEMENT} groups per statement")
    limit = check_first(first)
    start = decode_cursor(after, MEMBER_ORDER, User)
    group_ids = list(dict.fromkeys(group_ids))
    if not group_ids:
        return {}
    client = connections.get("default")
    params: list = []
    for gid in group_ids:
        params += [gid, *(start or ()), limit + 1]
    sql = _members_sql(len(group_ids), start is not None, client.capabilities.dialect)
    rows: dict[int, list[User]] = {gid: [] for gid in group_ids}
    for row in await client.execute_query_dict(sql, params):
        gid = row.pop("member_of")
        rows[gid].append(User._init_from_db(**row))
    pages = {}
    for gid, users in rows.items():
        pages[gid] = Page(
            items=users[:limit],
            keys=[MEMBER_ORDER.key(u) for u in users[:limit]],
            order=MEMBER_ORDER.tag,
            has_next=len(users) > limit,
            has_previous=start is not None,
            counter=_members_of(gid).count,
        )
    return pages


def _by_name(found: dict) -> dict:
    for value in found.values():
        value.sort(key=lambda g: (g.name_key, g.id))
    return found


async def groups_of_users(user_ids: list[int]) -> dict[int, list[Group]]:
    """The groups of many users, by name, in one query (DataLoader behind User.groups)."""
    found: dict[int, list[Group]] = {uid: [] for uid in user_ids}
    for member in await GroupMember.filter(user_id__in=user_ids).select_related("group"):
        found[member.user_id].append(member.group)
    return _by_name(found)


async def granting_groups_of(keys: list[tuple[int, str]]) -> dict[tuple[int, str], list[Group]]:
    """For (user id, SKU) pairs: the user's groups that grant the SKU, by name, in one query (LicenseAssignment.groups,
    LicenseWait.groups)."""
    found: dict[tuple[int, str], list[Group]] = {key: [] for key in keys}
    members = (
        GroupMember.filter(user_id__in=list({uid for uid, _ in keys}), group__grants__product_id__in=list({s for _, s in keys}))
        .select_related("group")
        .annotate(sku=F("group__grants__product_id"))
    )
    for member in await members:
        key = (member.user_id, cast(Any, member).sku)
        if key in found:
            found[key].append(member.group)
    return _by_name(found)
