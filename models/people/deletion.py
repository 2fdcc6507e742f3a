"""Deleting a user (its licenses freed and remembered), restoring it within the 30-day window, purging it after."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import catalog
from seatwise.models.core.atomic import after_commit
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.lookups import get_user
from seatwise.models.core.tables import GroupMember, GroupProduct, LicenseAssignment, LicenseWait, Organization, Product, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.people import credentials, roles
from seatwise.models.people.roles import Capability
from seatwise.models.people.users import RESTORE_WINDOW, is_last_global_admin
from seatwise.models.plans.previews import AccessChangeReason
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.licenses import Previewed


async def delete_user(
    org: Organization,
    user_id: str,
    *,
    actor: Actor,
    now: datetime,
    wall: datetime | None = None,
    columns: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> User:
    """Delete a user: free its licenses (remembered for a restore), end its sessions and tokens. `columns`: more
    columns of the row set with the deletion, by the area that owns them (a SCIM DELETE: models/scim/provisioning.py).
    A dry run raises `Previewed` with the preview once the change was worked out and rolled back."""
    user = await get_user(org, user_id, "user_id")
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, "This user is already deleted.", "user_id")
    plan = Plan("deleteUser", {"user": user.id}, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        change.loss_reason = AccessChangeReason.USER_DELETED
        await hold_organization(org)
        if await is_last_global_admin(org, await User.get(id=user.id)):
            raise DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be deleted.", "user_id")
        # Pools first (the products held, waited for or granted by the user's groups), then the user row.
        direct = dict(await LicenseAssignment.filter(user_id=user.id).values_list("product_id", "direct"))
        await change.lock(
            *direct,
            *await _group_products(user),
            *cast(list[str], await LicenseWait.filter(user_id=user.id).values_list("product_id", flat=True)),
        )
        if not await User.filter(id=user.id, deleted_at=None).update(deleted_at=now, last_modified=now, **(columns or {})):
            raise DomainError(ErrorCode.USER_DELETED, "This user is already deleted.", "user_id")
        skus = await change.release_all(user)  # also ends the user's waits; memberships are kept
        # A restore gives back the direct licenses; the groups grant theirs again.
        await User.filter(id=user.id).update(licenses_at_deletion=[sku for sku in skus if direct.get(sku, True)])
        await credentials.end_all_credentials(user, AuditAction.USER_DELETED.value, actor=actor, now=wall or now, at=now)
        await change.audit(AuditAction.USER_DELETED, AuditTarget.USER, user.id, {"email": user.email, "licenses": skus})
    if change.preview is not None:
        raise Previewed(change.preview)
    await after_commit(
        lambda: credentials.credentials_ended(user)
    )  # after commit: open live-event subscriptions of the user end everywhere
    return await User.get(id=user.id)


async def restore_user(
    org: Organization, user_id: str, *, actor: Actor, now: datetime, without_admin_role: bool = False
) -> tuple[User, list[Product]]:
    """Undelete inside the window; licenses come back where free, the rest are listed.

    Restoring a user who holds an admin role gives that role back: it needs the capability to grant
    roles (GLOBAL_ADMIN), as creating an admin does; otherwise Forbidden and nothing changes.
    `without_admin_role` (SCIM's `active: true`): the person comes back without their admin role and password,
    audited as `user.admin_role_changed`."""
    user = await get_user(org, user_id, "user_id")
    if user.deleted_at is None:
        raise DomainError(ErrorCode.USER_NOT_DELETED, "This user is not deleted.", "user_id")
    if now > user.deleted_at + RESTORE_WINDOW:
        raise DomainError(
            ErrorCode.RESTORE_WINDOW_EXPIRED,
            f"This user could be restored until {(user.deleted_at + RESTORE_WINDOW).isoformat()}.",
            "user_id",
        )
    if user.admin_role is not None and not without_admin_role:
        roles.require(actor, Capability.ADMINISTER)
    wanted = list(user.licenses_at_deletion or [])
    restored: list[str] = []
    from_groups = await _group_products(user)  # read before the change: its first statement is a lock (a write)
    async with ledger.change(org, actor=actor, now=now) as change:
        await hold_organization(org)  # as a deletion does: a restore and a deletion of one user wait for each other
        await change.lock(*wanted, *from_groups)
        # Undone whichever way it was deleted: a SCIM DELETE's mark goes too (the SCIM resource is back).
        if not await User.filter(id=user.id, deleted_at__isnull=False).update(
            deleted_at=None, licenses_at_deletion=[], scim_deleted_at=None, last_modified=now
        ):
            raise DomainError(ErrorCode.USER_NOT_DELETED, "This user is not deleted.", "user_id")
        if without_admin_role:
            previous = (await User.get(id=user.id)).admin_role
            if previous is not None:
                await User.filter(id=user.id).update(admin_role=None, password_hash=None)
                await change.audit(
                    AuditAction.USER_ADMIN_ROLE_CHANGED,
                    AuditTarget.USER,
                    user.id,
                    {"from": previous.value, "to": None, "reason": "restored without its admin role"},
                )
        user.deleted_at = None
        from_groups = await _group_products(user)  # again under the user's row lock: a group changed meanwhile
        await change.lock(*from_groups)
        for sku in wanted:
            if await change.try_grant(user, sku, event=LicenseEventKind.USER_RESTORED):
                restored.append(sku)
        for sku in sorted(from_groups):  # the groups grant their products again: a license if free, else a wait
            await change.grant_from_group([user], sku, None)
        missing = [sku for sku in wanted if sku not in restored]
        await change.audit(
            AuditAction.USER_RESTORED, AuditTarget.USER, user.id, {"licensesRestored": restored, "licensesNotRestored": missing}
        )
    products = {p.sku: p for p in await catalog()}
    return await User.get(id=user.id), [products[sku] for sku in missing if sku in products]


async def _group_products(user: User) -> set[str]:
    """The products the user's groups grant."""
    groups = GroupMember.filter(user_id=user.id).values("group_id")
    return set(cast(list[str], await GroupProduct.filter(group_id__in=Subquery(groups)).values_list("product_id", flat=True)))


async def purge_deleted(org: Organization, *, actor: Actor, now: datetime) -> int:
    """Remove users deleted more than 30 days ago (the billing clock calls this). Returns how many."""
    purged = 0
    for user in await User.filter(organization_id=org.id, deleted_at__lt=now - RESTORE_WINDOW):
        async with in_transaction():
            if await User.filter(id=user.id, deleted_at__lt=now - RESTORE_WINDOW).delete():
                await GroupMember.filter(user_id=user.id).delete()  # purged users leave their groups (also by CASCADE)
                await audit.record(
                    org,
                    actor,
                    AuditAction.USER_PURGED,
                    target_type=AuditTarget.USER,
                    target_id=user.id,
                    at=now,
                    details={"email": user.email},
                )
                purged += 1
    return purged
