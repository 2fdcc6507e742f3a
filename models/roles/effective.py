"""Effective roles (docs/rules.md section 14): what a user holds in a product, and from which sources: direct
grants, the groups they are a member of, and SYSTEM_ADMINISTRATOR for a Seatwise GLOBAL_ADMIN who holds the
product's license. Read per page of users (a constant number of statements), and for one sign-in in one statement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tortoise import connections

from seatwise.models.core.db import placeholders
from seatwise.models.core.tables import (
    AdminRole,
    Group,
    GroupMember,
    GroupRole,
    LicenseAssignment,
    Organization,
    ProductRole,
    RoleGrant,
    User,
)
from seatwise.models.roles.catalog import SYSTEM_ADMINISTRATOR, RoleView, own_view, roles_of_products, shipped, shipped_keys


@dataclass
class EffectiveRole:
    role: RoleView
    direct: bool = False
    group_ids: list[int] = field(default_factory=list)
    via_admin_role: bool = False
    # The groups themselves when the read brought them (the sign-in answer); else readers load them by id.
    groups: list[Group] | None = None


def _sql(sql: str) -> tuple[object, str]:
    client = connections.get("default")
    return client, placeholders(sql, client.capabilities.dialect)


async def group_role_rows(user_ids: list[int], sku: str | None) -> list[tuple[int, int, str, str]]:
    """(user id, group id, product, key) of every role the users' groups give them, in one statement."""
    if not user_ids:
        return []
    narrow = ' AND gr."product_id" = ?' if sku is not None else ""
    client, sql = _sql(
        f'SELECT gm."user_id", gr."group_id", gr."product_id", gr."role_key" FROM "{GroupRole._meta.db_table}" gr '
        f'JOIN "{GroupMember._meta.db_table}" gm ON gm."group_id" = gr."group_id" '
        f'WHERE gm."user_id" IN ({", ".join("?" * len(user_ids))}){narrow} ORDER BY gr."group_id"'
    )
    rows = await client.execute_query_dict(sql, [*user_ids, *([sku] if sku is not None else [])])  # type: ignore[attr-defined]
    return [(r["user_id"], r["group_id"], r["product_id"], r["role_key"]) for r in rows]


def _assemble(catalog: dict[str, list[RoleView]], held: dict[tuple[str, str], EffectiveRole]) -> list[EffectiveRole]:
    """The held roles in the products' display order (shipped ones first); a grant whose role no longer exists is
    not a role."""
    ordered = []
    for sku in sorted({sku for sku, _ in held}):
        for role in catalog.get(sku, []):
            if (entry := held.get((sku, role.key))) is not None:
                entry.role = role
                ordered.append(entry)
    return ordered


def _held(held: dict, sku: str, key: str) -> EffectiveRole:
    placeholder = RoleView(sku, key, key, "", False, "")
    return held.setdefault((sku, key), EffectiveRole(placeholder))


async def effective_roles(
    org: Organization, users: Iterable[User], sku: str | None = None, *, licensed: dict[int, set[str]] | None = None
) -> dict[int, list[EffectiveRole]]:
    """The effective roles of these users (in one product, or all), by user id: direct grants, groups, admin role.
    `licensed` (user id -> SKUs held) saves the licenses' read when the caller has them."""
    users = list(users)
    admins = {u.id for u in users if u.admin_role is AdminRole.GLOBAL_ADMIN}
    return await _effective(org, [u.id for u in users], admins, sku, licensed)


async def roles_for_export(org: Organization, rows: list[tuple[int, str | None, set[str]]]) -> dict[int, list[EffectiveRole]]:
    """Every product's effective roles of a batch of users given as (id, admin role, SKUs held), as an export reads
    them: three statements per batch."""
    admins = {uid for uid, role, _ in rows if role == AdminRole.GLOBAL_ADMIN.value}
    return await _effective(org, [uid for uid, _, _ in rows], admins, None, {uid: skus for uid, _, skus in rows})


async def _effective(
    org: Organization, ids: list[int], admins: set[int], sku: str | None, licensed: dict[int, set[str]] | None
) -> dict[int, list[EffectiveRole]]:
    held: dict[int, dict[tuple[str, str], EffectiveRole]] = {uid: {} for uid in ids}
    if not ids:
        return {}
    direct = RoleGrant.filter(user_id__in=ids)
    for uid, product, key in await (direct.filter(product_id=sku) if sku else direct).values_list(
        "user_id", "product_id", "role_key"
    ):
        _held(held[uid], product, key).direct = True
    for uid, gid, product, key in await group_role_rows(ids, sku):
        entry = _held(held[uid], product, key)
        if gid not in entry.group_ids:
            entry.group_ids.append(gid)
    if admins:
        if licensed is None:
            query = LicenseAssignment.filter(user_id__in=sorted(admins))
            licensed = {}
            for uid, product in await (query.filter(product_id=sku) if sku else query).values_list("user_id", "product_id"):
                licensed.setdefault(uid, set()).add(product)
        table = await shipped()
        for uid in sorted(admins):
            for product in licensed.get(uid, set()):
                if (sku is None or product == sku) and any(r.key == SYSTEM_ADMINISTRATOR for r in table.get(product, [])):
                    _held(held[uid], product, SYSTEM_ADMINISTRATOR).via_admin_role = True
    skus = sorted({product for per_user in held.values() for product, _ in per_user})
    catalog = await roles_of_products(org, skus) if skus else {}
    return {uid: _assemble(catalog, held[uid]) for uid in ids}


def _sign_in_sql() -> tuple[object, str]:
    group_columns = ", ".join(f'g."{c}" AS "g_{c}"' for c in Group._meta.db_fields)
    return _sql(
        f'SELECT x."role_key", x."group_id", pr."id" AS "pr_id", pr."name" AS "pr_name", pr."description" AS "pr_description", '
        f"{group_columns} FROM ("
        f'SELECT rg."role_key", NULL AS "group_id" FROM "{RoleGrant._meta.db_table}" rg '
        f'WHERE rg."user_id" = ? AND rg."product_id" = ? UNION ALL '
        f'SELECT gr."role_key", gr."group_id" FROM "{GroupRole._meta.db_table}" gr '
        f'JOIN "{GroupMember._meta.db_table}" gm ON gm."group_id" = gr."group_id" WHERE gm."user_id" = ? AND gr."product_id" = ?'
        f') x LEFT JOIN "{Group._meta.db_table}" g ON g."id" = x."group_id" '
        f'LEFT JOIN "{ProductRole._meta.db_table}" pr ON pr."organization_id" = ? AND pr."product_id" = ? AND pr."key" = x."role_key" '
        f'ORDER BY x."group_id"'
    )


async def sign_in_roles(org: Organization, user: User, sku: str) -> list[EffectiveRole]:
    """The effective roles of a user allowed into a product (their license is held), with the groups that give
    them: one statement (shipped roles are read once per process)."""
    client, sql = _sign_in_sql()
    rows = await client.execute_query_dict(sql, [user.id, sku, user.id, sku, org.id, sku])  # type: ignore[attr-defined]
    table = await shipped_keys(sku)
    held: dict[tuple[str, str], EffectiveRole] = {}
    own: dict[str, RoleView] = {}
    for row in rows:
        key = row["role_key"]
        if key not in table and row["pr_id"] is None:
            continue  # a grant of a role deleted meanwhile
        if row["pr_id"] is not None:
            own[key] = own_view(
                ProductRole(id=row["pr_id"], product_id=sku, key=key, name=row["pr_name"], description=row["pr_description"])
            )
        entry = _held(held, sku, key)
        entry.groups = entry.groups or []
        if row["group_id"] is None:
            entry.direct = True
        elif row["group_id"] not in entry.group_ids:
            entry.group_ids.append(row["group_id"])
            entry.groups.append(Group._init_from_db(**{c: row[f"g_{c}"] for c in Group._meta.db_fields}))
    if user.admin_role is AdminRole.GLOBAL_ADMIN and SYSTEM_ADMINISTRATOR in table:
        _held(held, sku, SYSTEM_ADMINISTRATOR).via_admin_role = True
    catalog = {sku: [*table.values(), *sorted(own.values(), key=lambda r: r.key)]}
    for entry in held.values():
        entry.groups = entry.groups or []
    return _assemble(catalog, held)
