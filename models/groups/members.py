"""A group's members (docs/rules.md section 11): users added and removed, all or none, and what joining and leaving
means for their licenses. The directory's membership changes (`models/scim/directory.py`) go through `join` and
`leave` too."""

from __future__ import annotations

from datetime import datetime

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Group, GroupMember, GroupSource, LicenseWait, Organization, User
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.groups.lifecycle import get_group, hold_group, products_of
from seatwise.models.plans.previews import AccessChangeReason
from seatwise.models.plans.tokens import Plan
from seatwise.models.roles.group_roles import audit_membership, require_may_join
from seatwise.models.seats import ledger
from seatwise.models.seats.licenses import MAX_BULK, Previewed


async def _users(org: Organization, user_ids: list[str], *, live: bool) -> list[User]:
    """The listed users in order (a user listed twice counts once), all or none; per-item errors name the index."""
    if not 1 <= len(user_ids) <= MAX_BULK:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_BULK} user ids.", "user_ids")
    parsed = [parse_id(raw) for raw in user_ids]
    found = {u.id: u for u in await User.filter(organization_id=org.id, id__in=[pk for pk in parsed if pk is not None])}
    ordered: dict[int, User] = {}
    for index, pk in enumerate(parsed):
        if pk is None or pk not in found:
            raise DomainError(ErrorCode.NOT_FOUND, "No user has this id.", f"user_ids[{index}]")
        if live and found[pk].deleted_at is not None:
            raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", f"user_ids[{index}]")
        ordered.setdefault(pk, found[pk])
    return list(ordered.values())


def _directory(group: Group) -> None:
    if group.source is GroupSource.DIRECTORY:
        raise DomainError(ErrorCode.MANAGED_BY_DIRECTORY, "The directory manages this group's members (SCIM).", "group_id")


async def add_members(
    org: Organization, group_id: str, user_ids: list[str], *, actor: Actor, now: datetime
) -> tuple[Group, list[LicenseWait]]:
    """Add 1..1000 users, all or none, granting (or queueing) the group's products in the order listed.
    Returns the group and, of the users added, the waits they are now in. Constant statements per product."""
    group = await get_group(org, group_id)
    _directory(group)
    users = await _users(org, user_ids, live=True)
    async with ledger.change(org, actor=actor, now=now) as change:
        await hold_group(group)
        await require_may_join(actor, group)  # a group that gives SYSTEM_ADMINISTRATOR: GLOBAL_ADMIN only
        skus = await products_of(group)
        await change.lock(*skus)
        ids = [u.id for u in users]
        if await hold(User.filter(id__in=ids, deleted_at=None), "deleted_at") != len(ids):
            raise DomainError(ErrorCode.USER_DELETED, "A user was deleted meanwhile.", "user_ids")
        existing = set(await GroupMember.filter(group_id=group.id, user_id__in=ids).values_list("user_id", flat=True))
        new = [u for u in users if u.id not in existing]
        if not new:
            return group, []
        queued = await join(change, group, new, skus)
    waits = [
        w
        for w in await LicenseWait.filter(
            user_id__in=[uid for q in queued.values() for uid in q], product_id__in=list(queued)
        ).order_by("since", "id")
        if w.user_id in queued.get(w.product_id, ())
    ]
    return group, waits


async def remove_members(
    org: Organization,
    group_id: str,
    user_ids: list[str],
    *,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> Group:
    """Remove 1..1000 users, all or none: licenses (and waits) that only this group gave end; freed licenses serve the
    queue. A dry run raises `Previewed` once the change was worked out and rolled back."""
    group = await get_group(org, group_id)
    _directory(group)
    users = await _users(org, user_ids, live=False)
    inputs = {"group": group.id, "users": [u.id for u in users]}
    plan = Plan("removeGroupMembers", inputs, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        change.loss_reason = AccessChangeReason.GROUP_LEFT
        await hold_group(group)
        skus = await products_of(group)
        await change.lock(*skus)
        ids = [u.id for u in users]
        members = set(await GroupMember.filter(group_id=group.id, user_id__in=ids).values_list("user_id", flat=True))
        leaving = [uid for uid in ids if uid in members]
        if leaving:
            await leave(change, group, leaving, skus)
    if change.preview is not None:
        raise Previewed(change.preview)
    return group


async def join(change: ledger.SeatChange, group: Group, users: list[User], skus: list[str]) -> dict[str, list[int]]:
    """Inside a change holding the group's pools: make `users` members and grant (or queue) each product of the group
    in their order; one audit event. Returns, per product, the user ids now waiting."""
    await GroupMember.bulk_create([GroupMember(group_id=group.id, user_id=u.id) for u in users], ignore_conflicts=True)
    queued: dict[str, list[int]] = {}
    for sku in skus:
        _, queued[sku] = await change.grant_from_group(users, sku, group.id)
    await change.audit(
        AuditAction.GROUP_MEMBERS_ADDED, AuditTarget.GROUP, group.id, {"userIds": [str(u.id) for u in users], "products": skus}
    )
    await audit_membership(change.org, change.actor, group.id, [u.id for u in users], joined=True, now=change.now)
    return queued


async def leave(change: ledger.SeatChange, group: Group, user_ids: list[int], skus: list[str]) -> None:
    """Inside a change holding the group's pools: end these memberships and what only this group gave; one audit event."""
    await GroupMember.filter(group_id=group.id, user_id__in=user_ids).delete()
    for sku in skus:
        await change.release_from_group(user_ids, sku, group.id)
    await change.audit(
        AuditAction.GROUP_MEMBERS_REMOVED, AuditTarget.GROUP, group.id, {"userIds": [str(u) for u in user_ids], "products": skus}
    )
    await audit_membership(change.org, change.actor, group.id, user_ids, joined=False, now=change.now)
