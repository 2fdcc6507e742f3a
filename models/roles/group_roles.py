"""The roles a group gives its members (docs/rules.md section 14), for SEATWISE and DIRECTORY groups alike: replaced
by `updateGroup(productRoles)` in the group change's transaction, read per page of groups. Only a GLOBAL_ADMIN may
make a group give SYSTEM_ADMINISTRATOR, or change or add members to a group that gives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from seatwise.models.core.errors import DomainError, ErrorCode, Forbidden
from seatwise.models.core.tables import AdminRole, Group, GroupMember, GroupRole, Organization
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.roles.catalog import SYSTEM_ADMINISTRATOR, RoleView, resolve, roles_of_products


@dataclass(frozen=True)
class ProductRoles:
    """The roles a group gives in one product."""

    product_sku: str
    roles: list[RoleView]


def require_may_give_system_administrator(actor: Actor) -> None:
    """FORBIDDEN unless the actor is a GLOBAL_ADMIN: SYSTEM_ADMINISTRATOR is the product's all-powerful role."""
    if actor.role is not AdminRole.GLOBAL_ADMIN:
        role = actor.role.value if actor.role else "billing clock"
        raise Forbidden(f"The {role} role may not give {SYSTEM_ADMINISTRATOR}: only a GLOBAL_ADMIN may.")


async def check_product_roles(org: Organization, entries: list[tuple[str, list[str]]]) -> list[ProductRoles]:
    """`updateGroup(productRoles)` checked: each product once (0 to 20 roles, an empty list gives none of it)."""
    checked: list[ProductRoles] = []
    for index, (sku, keys) in enumerate(entries):
        subject = f"product_roles[{index}]"
        if any(entry.product_sku == sku for entry in checked):
            raise DomainError(ErrorCode.INVALID_INPUT, f"{sku} is listed twice.", f"{subject}.product_sku")
        roles = await resolve(org, sku, keys, f"{subject}.role_keys", sku_subject=f"{subject}.product_sku", least=0)
        checked.append(ProductRoles(sku, roles))
    return checked


async def _pairs(group_id: int) -> set[tuple[str, str]]:
    return set(await GroupRole.filter(group_id=group_id).values_list("product_id", "role_key"))


async def replace_group_roles(
    org: Organization, group: Group, wanted: list[ProductRoles], *, actor: Actor, now: datetime
) -> dict:
    """Inside the group change's transaction (the group held): the group gives exactly `wanted`; its members gain and
    lose roles through it (one audit event per member and product, naming the group). Returns the audit details."""
    before = await _pairs(group.id)
    after = {(entry.product_sku, role.key) for entry in wanted for role in entry.roles}
    if any(key == SYSTEM_ADMINISTRATOR for _, key in before | after):
        require_may_give_system_administrator(actor)
    added, removed = sorted(after - before), sorted(before - after)
    if not added and not removed:
        return {}
    for sku in sorted({sku for sku, _ in removed}):
        await GroupRole.filter(group_id=group.id, product_id=sku, role_key__in=[k for s, k in removed if s == sku]).delete()
    await GroupRole.bulk_create([GroupRole(group_id=group.id, product_id=sku, role_key=key) for sku, key in added])
    members = sorted(cast(list[int], list(await GroupMember.filter(group_id=group.id).values_list("user_id", flat=True))))
    for action, pairs in ((AuditAction.ROLE_GRANTED, added), (AuditAction.ROLE_REVOKED, removed)):
        for sku in sorted({sku for sku, _ in pairs}):
            details = {"product": sku, "roles": [k for s, k in pairs if s == sku], "group": str(group.id)}
            await audit.record_many(org, actor, action, AuditTarget.USER, members, at=now, details=details)
    return {"rolesAdded": [f"{s}:{k}" for s, k in added], "rolesRemoved": [f"{s}:{k}" for s, k in removed]}


async def audit_membership(
    org: Organization, actor: Actor, group_id: int, user_ids: list[int], *, joined: bool, now: datetime
) -> None:
    """Members joining or leaving a group that gives roles: `role.granted` / `role.revoked` per member and product,
    naming the group (two statements at most, whatever the number of members)."""
    pairs = sorted(await GroupRole.filter(group_id=group_id).values_list("product_id", "role_key"))
    action = AuditAction.ROLE_GRANTED if joined else AuditAction.ROLE_REVOKED
    for sku in sorted({sku for sku, _ in pairs}):
        details = {"product": sku, "roles": [k for s, k in pairs if s == sku], "group": str(group_id)}
        await audit.record_many(org, actor, action, AuditTarget.USER, sorted(user_ids), at=now, details=details)


async def require_may_join(actor: Actor, group: Group) -> None:
    """FORBIDDEN for a member added by anyone but a GLOBAL_ADMIN to a group that gives SYSTEM_ADMINISTRATOR."""
    if actor.role is not AdminRole.GLOBAL_ADMIN and await GroupRole.exists(group_id=group.id, role_key=SYSTEM_ADMINISTRATOR):
        require_may_give_system_administrator(actor)


async def roles_of_groups(org: Organization, group_ids: list[int]) -> dict[int, list[ProductRoles]]:
    """The roles each group gives, per product in SKU order (roles in the product's display order): two statements
    for a page of groups (shipped roles are read once per process)."""
    rows = await GroupRole.filter(group_id__in=group_ids).values_list("group_id", "product_id", "role_key")
    skus = sorted({sku for _, sku, _ in rows})
    catalog = await roles_of_products(org, skus) if skus else {}
    found: dict[int, list[ProductRoles]] = {}
    for gid in group_ids:
        keys = {(sku, key) for g, sku, key in rows if g == gid}
        found[gid] = [
            ProductRoles(sku, [r for r in catalog[sku] if (sku, r.key) in keys]) for sku in skus if any(s == sku for s, _ in keys)
        ]
    return found
