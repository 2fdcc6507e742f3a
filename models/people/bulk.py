"""Deleting many users at once (deleteUsers): 1 to 1000, all or none, per-item errors, a bounded number of
statements (one per product touched and per distinct set of licenses held, not one per user)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tortoise.expressions import Subquery

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.tables import (
    AdminRole,
    Credential,
    GroupMember,
    GroupProduct,
    LicenseAssignment,
    LicenseWait,
    Organization,
    User,
)
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people import credentials
from seatwise.models.plans.previews import AccessChangeReason, Preview
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.bulk import listed_users


async def delete_users(
    org: Organization,
    user_ids: list[str],
    *,
    actor: Actor,
    now: datetime,
    wall: datetime | None = None,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> tuple[list[User], Preview | None]:
    """Delete 1 to 1000 users as `deleteUser` does each (licenses freed and remembered, waits ended, sessions and
    tokens ended, memberships kept), all or none: NOT_FOUND, USER_DELETED, LAST_GLOBAL_ADMIN per item. Freed
    licenses settle conflicts first, then serve the queues, in the same transaction. Returns the users deleted (none
    for a dry run) and a dry run's preview."""
    users = await listed_users(org, user_ids)
    ids = [u.id for u in users]
    plan = Plan("deleteUsers", {"users": ids}, plan_token, dry_run)
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        change.loss_reason = AccessChangeReason.USER_DELETED
        await hold_organization(org)
        await _keep_a_global_admin(org, ids)
        direct = await _lock_pools(change, ids)
        if await User.filter(id__in=ids, deleted_at=None).update(deleted_at=now, last_modified=now) != len(ids):
            raise DomainError(ErrorCode.USER_DELETED, "A user was deleted meanwhile.", "user_ids")
        held = await change.release_all_many(ids)
        # A restore gives back the direct licenses; the groups grant theirs again. One UPDATE per distinct set.
        kept = {uid: tuple(sku for sku in skus if direct.get((uid, sku), True)) for uid, skus in held.items()}
        for skus in set(kept.values()) - {()}:
            await User.filter(id__in=[uid for uid, s in kept.items() if s == skus]).update(licenses_at_deletion=list(skus))
        await credentials.revoke_credentials(
            Credential.filter(user_id__in=ids),
            org,
            actor,
            now=wall or now,
            at=now,
            details={"reason": AuditAction.USER_DELETED.value},
        )
        await audit.record_each(
            org,
            actor,
            AuditAction.USER_DELETED,
            AuditTarget.USER,
            [(u.id, {"email": u.email, "licenses": held[u.id], "bulk": True}) for u in users],
            at=now,
        )
    if dry_run:
        return [], change.preview
    await credentials.credentials_ended_many(org.id, ids)
    rows = {u.id: u for u in await User.filter(id__in=ids)}
    return [rows[uid] for uid in ids], None


async def _keep_a_global_admin(org: Organization, ids: list[int]) -> None:
    """LAST_GLOBAL_ADMIN on the first listed global admin when the deletion would leave none (under the
    organization's hold)."""
    admins = cast(
        list[int],
        await User.filter(organization_id=org.id, admin_role=AdminRole.GLOBAL_ADMIN, deleted_at=None).values_list(
            "id", flat=True
        ),
    )
    if admins and set(admins) <= set(ids):
        index = min(ids.index(uid) for uid in admins)
        raise DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be deleted.", f"user_ids[{index}]")


async def _lock_pools(change: ledger.SeatChange, ids: list[int]) -> dict[tuple[int, str], bool]:
    """Lock the pools of the products the users hold, wait for, or are granted by their groups (before the user
    rows, in the lock order). Returns whether each (user, product) license is held directly."""
    direct = {
        (uid, sku): is_direct
        for uid, sku, is_direct in await LicenseAssignment.filter(user_id__in=ids).values_list("user_id", "product_id", "direct")
    }
    granted = GroupProduct.filter(group_id__in=Subquery(GroupMember.filter(user_id__in=ids).values("group_id")))
    await change.lock(
        *{sku for _, sku in direct},
        *cast(list[str], await granted.distinct().values_list("product_id", flat=True)),
        *cast(list[str], await LicenseWait.filter(user_id__in=ids).distinct().values_list("product_id", flat=True)),
    )
    return direct
