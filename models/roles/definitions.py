"""An organization's own roles (docs/rules.md section 14): created, renamed or described, deleted with every grant
of them in the same transaction. Shipped roles cannot be changed (INVALID_INPUT)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Group, GroupRole, Organization, ProductRole, RoleGrant
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.roles.catalog import KEY_PATTERN, RoleView, is_shipped_anywhere, own_view, shipped_keys


def _name(raw: str) -> str:
    name = checked_text(raw, 128, "A role's name", "name").strip()
    if not name:
        raise DomainError(ErrorCode.INVALID_INPUT, "A role's name has 1 to 128 characters.", "name")
    return name


def _description(raw: str | None) -> str:
    return checked_text(raw or "", 1024, "A role's description", "description").strip()


async def _own(org: Organization, sku: str, key: str) -> ProductRole:
    """The organization's own role of the product with this key (ignoring case); INVALID_INPUT for a shipped role,
    UNKNOWN_ROLE for none."""
    await get_product(sku, "product_sku")
    upper = checked_text(key, 64, "A role key", "key").strip().upper()
    if upper in await shipped_keys(sku):
        raise DomainError(ErrorCode.INVALID_INPUT, "Shipped roles cannot be changed or deleted.", "key")
    row = await ProductRole.get_or_none(organization_id=org.id, product_id=sku, key_upper=upper)
    if row is None:
        raise DomainError(ErrorCode.UNKNOWN_ROLE, f"No such role in {sku}.", "key")
    return row


async def create_role(
    org: Organization, sku: str, key: str, name: str, description: str | None, *, actor: Actor, now: datetime
) -> RoleView:
    """A new role of the organization in one product: key [A-Z][A-Z0-9_]{1,63}, unique in the product ignoring case."""
    await get_product(sku, "product_sku")
    if not KEY_PATTERN.fullmatch(key):
        raise DomainError(ErrorCode.INVALID_INPUT, "A role key is [A-Z][A-Z0-9_]{1,63}, e.g. REGIONAL_MANAGER.", "key")
    if key in await shipped_keys(sku):
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"{sku} already has this role.", "key")
    if await is_shipped_anywhere(key):
        raise DomainError(ErrorCode.INVALID_INPUT, "This key is a shipped role's: the product does not allow it.", "key")
    clean_name, clean_description = _name(name), _description(description)
    async with in_transaction():
        try:
            row = await ProductRole.create(
                organization_id=org.id,
                product_id=sku,
                key=key,
                key_upper=key.upper(),
                name=clean_name,
                description=clean_description,
                created_at=now,
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"{sku} already has this role.", "key") from None
        await audit.record(
            org,
            actor,
            AuditAction.PRODUCT_ROLE_CREATED,
            target_type=AuditTarget.ORGANIZATION,
            target_id=org.id,
            at=now,
            details={"product": sku, "role": key, "name": clean_name},
        )
    return own_view(row)


async def update_role(
    org: Organization, sku: str, key: str, *, name: str | None, description: str | None, actor: Actor, now: datetime
) -> RoleView:
    """A new name and/or description for one of the organization's roles (null keeps it)."""
    row = await _own(org, sku, key)
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = _name(name)
    if description is not None:
        changes["description"] = _description(description)
    async with in_transaction():
        if changes:
            await ProductRole.filter(id=row.id).update(**changes)
            await audit.record(
                org,
                actor,
                AuditAction.PRODUCT_ROLE_UPDATED,
                target_type=AuditTarget.ORGANIZATION,
                target_id=org.id,
                at=now,
                details={"product": sku, "role": row.key, **changes},
            )
    return own_view(await ProductRole.get(id=row.id))


async def delete_role(org: Organization, sku: str, key: str, *, actor: Actor, now: datetime) -> str:
    """Delete one of the organization's roles; every grant of it, direct or through groups, ends with it."""
    row = await _own(org, sku, key)
    async with in_transaction():
        if not await hold(ProductRole.filter(id=row.id), "key_upper"):
            raise DomainError(ErrorCode.UNKNOWN_ROLE, f"No such role in {sku}.", "key")
        direct = RoleGrant.filter(organization_id=org.id, product_id=sku, role_key=row.key)
        holders = cast(list[int], list(await direct.values_list("user_id", flat=True)))
        groups = GroupRole.filter(
            group_id__in=Subquery(Group.filter(organization_id=org.id).values("id")), product_id=sku, role_key=row.key
        )
        group_ids = cast(list[int], list(await groups.values_list("group_id", flat=True)))
        await direct.delete()
        await groups.delete()
        await ProductRole.filter(id=row.id).delete()
        details = {"product": sku, "roles": [row.key], "reason": "product_role.deleted"}
        await audit.record_many(org, actor, AuditAction.ROLE_REVOKED, AuditTarget.USER, sorted(holders), at=now, details=details)
        await audit.record(
            org,
            actor,
            AuditAction.PRODUCT_ROLE_DELETED,
            target_type=AuditTarget.ORGANIZATION,
            target_id=org.id,
            at=now,
            details={
                "product": sku,
                "role": row.key,
                "usersRevoked": len(holders),
                "groups": [str(g) for g in sorted(group_ids)],
            },
        )
    return row.key
