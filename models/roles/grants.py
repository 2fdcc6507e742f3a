"""Roles given to users directly (docs/rules.md section 14): `grantProductRoles` and `revokeProductRoles`, 1 to 1,000
users and 1 to 20 roles of one product, all or none, in a constant number of statements. A role is kept whether or
not the user holds a license, and while the user is deleted (a restore finds it)."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Organization, ProductRole, RoleGrant, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.roles.catalog import SYSTEM_ADMINISTRATOR, RoleView, resolve
from seatwise.models.roles.effective import effective_roles
from seatwise.models.roles.group_roles import require_may_give_system_administrator

MAX_USERS = 1000


async def _users(org: Organization, user_ids: list[str], *, live: bool) -> list[User]:
    """The listed users in order (a user listed twice counts once), all or none; per-item errors name the index."""
    if not 1 <= len(user_ids) <= MAX_USERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_USERS} user ids.", "user_ids")
    parsed = [parse_id(raw) for raw in user_ids]
    found = {u.id: u for u in await User.filter(organization_id=org.id, id__in=[pk for pk in parsed if pk is not None])}
    ordered: dict[int, User] = {}
    for index, pk in enumerate(parsed):
        if pk is None or pk not in found:
            raise DomainError(ErrorCode.NOT_FOUND, "No user has this id.", f"user_ids[{index}]")
        if live and found[pk].deleted_at is not None:
            raise DomainError(ErrorCode.USER_DELETED, f"User {found[pk].email} is deleted.", f"user_ids[{index}]")
        ordered.setdefault(pk, found[pk])
    return list(ordered.values())


async def _hold_roles(org: Organization, sku: str, roles: list[RoleView]) -> None:
    """The organization's own roles among `roles` held until the transaction ends: a concurrent delete of one waits
    (and its grants end with it), or has committed and the role is unknown."""
    own = [r.key.upper() for r in roles if not r.built_in]
    if own and await hold(ProductRole.filter(organization_id=org.id, product_id=sku, key_upper__in=own), "key_upper") != len(own):
        raise DomainError(ErrorCode.UNKNOWN_ROLE, f"A role of {sku} was deleted meanwhile.", "role_keys")


async def grant_roles(
    org: Organization, user_ids: list[str], sku: str, role_keys: list[str], *, actor: Actor, now: datetime
) -> list[User]:
    """Give 1 to 20 roles of a product directly to 1 to 1,000 live users, all or none. A role already held directly
    stays as it is; one held through groups gains the direct source. Only a GLOBAL_ADMIN gives SYSTEM_ADMINISTRATOR."""
    roles = await resolve(org, sku, role_keys)
    if any(r.key == SYSTEM_ADMINISTRATOR for r in roles):
        require_may_give_system_administrator(actor)
    users = await _users(org, user_ids, live=True)
    ids = [u.id for u in users]
    keys = [r.key for r in roles]
    async with in_transaction():
        # Users first (lock order: users before roles), so that a concurrent delete or purge waits.
        if await hold(User.filter(id__in=ids, deleted_at=None), "deleted_at") != len(ids):
            raise DomainError(ErrorCode.USER_DELETED, "A user was deleted meanwhile.", "user_ids")
        await _hold_roles(org, sku, roles)
        have = set(await RoleGrant.filter(user_id__in=ids, product_id=sku, role_key__in=keys).values_list("user_id", "role_key"))
        new = [(u.id, key) for u in users for key in keys if (u.id, key) not in have]
        try:
            await RoleGrant.bulk_create(
                [RoleGrant(organization_id=org.id, user_id=uid, product_id=sku, role_key=key, granted_at=now) for uid, key in new]
            )
        except IntegrityError:  # a concurrent grant of the same role: nothing half-applied, try again
            raise DomainError(ErrorCode.ALREADY_EXISTS, "These roles were granted meanwhile; try again.", "user_ids") from None
        gained: dict[int, list[str]] = {}
        for uid, key in new:
            gained.setdefault(uid, []).append(key)
        items = [(uid, {"product": sku, "roles": gained[uid], "source": "direct"}) for uid in ids if uid in gained]
        await audit.record_each(org, actor, AuditAction.ROLE_GRANTED, AuditTarget.USER, items, at=now)
    return users


async def revoke_roles(
    org: Organization, user_ids: list[str], sku: str, role_keys: list[str], *, actor: Actor, now: datetime
) -> list[User]:
    """Remove the direct source of 1 to 20 roles from 1 to 1,000 users, all or none: ROLE_INHERITED for a role a
    user holds only through groups or the admin role; a role not held at all is no change."""
    roles = await resolve(org, sku, role_keys)
    users = await _users(org, user_ids, live=False)
    ids = [u.id for u in users]
    keys = [r.key for r in roles]
    async with in_transaction():
        await hold(User.filter(id__in=ids), "deleted_at")
        direct = set(
            await RoleGrant.filter(user_id__in=ids, product_id=sku, role_key__in=keys).values_list("user_id", "role_key")
        )
        held = await effective_roles(org, users, sku)
        for user in users:
            for entry in held[user.id]:
                if entry.role.key in keys and (user.id, entry.role.key) not in direct:
                    raise DomainError(
                        ErrorCode.ROLE_INHERITED,
                        f"{user.email} holds {entry.role.key} only through groups or the admin role.",
                        f"user_ids[{next(i for i, raw in enumerate(user_ids) if parse_id(raw) == user.id)}]",
                    )
        await RoleGrant.filter(user_id__in=ids, product_id=sku, role_key__in=keys).delete()
        lost: dict[int, list[str]] = {}
        for uid, key in sorted(direct):
            lost.setdefault(uid, []).append(key)
        items = [(uid, {"product": sku, "roles": sorted(lost[uid]), "source": "direct"}) for uid in ids if uid in lost]
        await audit.record_each(org, actor, AuditAction.ROLE_REVOKED, AuditTarget.USER, items, at=now)
    return users
