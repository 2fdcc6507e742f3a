"""Groups: group-based licensing with a waitlist (docs/rules.md section 11): a group's life, created, renamed or
given other products, deleted.

A group grants its members a license of each of its products. The rules of who holds what, who waits and who is
served live in the seat ledger (`models/seats/ledger.py`); this module names the group changes and their audit
events. Members join and leave in `models/groups/members.py`; the reads are in `models/groups/reads.py` and
`models/groups/waitlist.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery

from seatwise.models.catalog.products import get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Group, GroupMember, GroupProduct, GroupSource, Organization, User
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.plans.previews import AccessChangeReason
from seatwise.models.plans.tokens import Plan
from seatwise.models.roles import group_roles
from seatwise.models.seats import ledger
from seatwise.models.seats.licenses import Previewed


def check_name(raw: str, subject: str = "display_name") -> tuple[str, str]:
    name = raw.strip()
    if not 1 <= len(name) <= 256 or len(name.lower()) > 256:  # the key is lower-cased: "İ".lower() is two characters
        raise DomainError(ErrorCode.INVALID_INPUT, "A group's display name has 1 to 256 characters.", subject)
    return name, name.lower()


def name_taken(name: str | None) -> DomainError:
    """ALREADY_EXISTS for a group display name another group of the organization has (ignoring case)."""
    return DomainError(ErrorCode.ALREADY_EXISTS, "A group with this display name already exists.", "display_name")


async def _skus(raw: list[str]) -> list[str]:
    skus = list(raw)
    for index, sku in enumerate(skus):
        if sku in skus[:index]:
            raise DomainError(ErrorCode.INVALID_INPUT, "This product is listed twice.", f"product_skus[{index}]")
        await get_product(sku, f"product_skus[{index}]")
    return skus


async def get_group(org: Organization, group_id: str, subject: str = "group_id") -> Group:
    pk = parse_id(group_id)
    group = await Group.get_or_none(id=pk, organization_id=org.id) if pk is not None else None
    if group is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No group has this id.", subject)
    return group


async def hold_group(group: Group) -> None:
    """The first statement of every change to a group: its row held until the transaction ends (`core.locks`).
    Lock order of group changes: group row -> pool rows -> user rows."""
    if not await hold(Group.filter(id=group.id), "name_key"):
        raise DomainError(ErrorCode.NOT_FOUND, "No group has this id.", "group_id")


async def products_of(group: Group) -> list[str]:
    return sorted(cast(list[str], await GroupProduct.filter(group_id=group.id).values_list("product_id", flat=True)))


async def _live_members(group: Group) -> list[User]:
    """The group's members that are not deleted. Every member row is locked first (after the pools), deleted or
    not: a concurrent delete or restore waits, or has committed and is seen."""
    ids = GroupMember.filter(group_id=group.id).values("user_id")
    await hold(User.filter(id__in=Subquery(ids)), "deleted_at")
    return list(
        await User.filter(id__in=Subquery(GroupMember.filter(group_id=group.id).values("user_id")), deleted_at=None).order_by(
            "id"
        )
    )


async def create_group(
    org: Organization, display_name: str, product_skus: list[str] | None, *, actor: Actor, now: datetime
) -> Group:
    name, key = check_name(display_name)
    skus = await _skus(product_skus or [])
    if await Group.exists(organization_id=org.id, name_key=key):
        raise name_taken(name)
    async with ledger.change(org, actor=actor, now=now) as change:
        try:
            group = await Group.create(
                organization_id=org.id, display_name=name, name_key=key, source=GroupSource.SEATWISE, created_at=now
            )
        except IntegrityError:
            raise name_taken(name) from None
        await GroupProduct.bulk_create([GroupProduct(group_id=group.id, product_id=sku) for sku in skus])
        await change.audit(AuditAction.GROUP_CREATED, AuditTarget.GROUP, group.id, {"displayName": name, "products": skus})
    return group


async def _regrant(change: ledger.SeatChange, group: Group, added: list[str], removed: list[str]) -> None:
    """Inside a change holding the group and the pools of `added` and `removed`: the group grants `added` and no
    longer `removed`; its live members gain (license or wait) or lose them."""
    members = await _live_members(group)
    if removed:
        await GroupProduct.filter(group_id=group.id, product_id__in=removed).delete()
    if added:
        await GroupProduct.bulk_create([GroupProduct(group_id=group.id, product_id=sku) for sku in added])
    for sku in removed:
        await change.release_from_group([u.id for u in members], sku, group.id)
    for sku in added:
        await change.grant_from_group(members, sku, group.id)


async def update_group(
    org: Organization,
    group_id: str,
    *,
    display_name: str | None = None,
    product_skus: list[str] | None = None,
    product_roles: list[tuple[str, list[str]]] | None = None,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> Group:
    """Rename, and/or replace the products the group grants: members gain (license or wait) or lose them; and/or
    replace the roles it gives (`models/roles/group_roles.py`), DIRECTORY groups too. A dry run raises `Previewed`
    once the change was worked out and rolled back."""
    group = await get_group(org, group_id)
    roles = await group_roles.check_product_roles(org, product_roles) if product_roles is not None else None
    name = key = None
    if display_name is not None and group.source is GroupSource.DIRECTORY:  # its products stay Seatwise's
        raise DomainError(ErrorCode.MANAGED_BY_DIRECTORY, "The directory names this group; rename it there.", "display_name")
    if display_name is not None:
        name, key = check_name(display_name)
        if await Group.filter(organization_id=org.id, name_key=key).exclude(id=group.id).exists():
            raise name_taken(name)
    skus = await _skus(product_skus) if product_skus is not None else None
    inputs = {"group": group.id, "name": name, "skus": skus, "roles": product_roles}
    plan = Plan("updateGroup", inputs, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        change.loss_reason = AccessChangeReason.GROUP_PRODUCT_REMOVED
        await hold_group(group)
        before = await products_of(group)
        added = sorted(set(skus) - set(before)) if skus is not None else []
        removed = sorted(set(before) - set(skus)) if skus is not None else []
        await change.lock(*added, *removed)
        details: dict = {}
        if name is not None and name != group.display_name:
            try:
                await Group.filter(id=group.id).update(display_name=name, name_key=key)
            except IntegrityError:
                raise name_taken(name) from None
            details.update({"from": group.display_name, "to": name})
        if added or removed:
            await _regrant(change, group, added, removed)
            details.update({"productsAdded": added, "productsRemoved": removed, "products": sorted(skus or [])})
        if roles is not None:
            details.update(await group_roles.replace_group_roles(org, group, roles, actor=actor, now=now))
        else:
            await group_roles.require_may_join(actor, group)  # a group that gives SYSTEM_ADMINISTRATOR: GLOBAL_ADMIN only
        if details:
            await change.audit(AuditAction.GROUP_UPDATED, AuditTarget.GROUP, group.id, details)
    if change.preview is not None:
        raise Previewed(change.preview)
    return await Group.get(id=group.id)


async def delete_group(
    org: Organization,
    group_id: str,
    *,
    actor: Actor,
    now: datetime,
    directory: bool = False,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> str:
    """Delete a group: its members lose the licenses (and waits) only it gave them. A DIRECTORY group is the
    directory's to delete (`directory`: a SCIM DELETE): MANAGED_BY_DIRECTORY otherwise (docs/rules.md 11.2).
    A dry run raises `Previewed`."""
    group = await get_group(org, group_id)
    if group.source is GroupSource.DIRECTORY and not directory:
        raise DomainError(ErrorCode.MANAGED_BY_DIRECTORY, "The directory manages this group; delete it there.", "group_id")
    plan = Plan("deleteGroup", {"group": group.id}, plan_token, dry_run) if dry_run or plan_token else None
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        change.loss_reason = AccessChangeReason.GROUP_PRODUCT_REMOVED
        await hold_group(group)
        skus = await products_of(group)
        await change.lock(*skus)
        member_ids = cast(list[int], list(await GroupMember.filter(group_id=group.id).values_list("user_id", flat=True)))
        # The roles it gave end with it (its group_role rows go by CASCADE): role.revoked per member, naming it.
        await group_roles.audit_membership(org, actor, group.id, member_ids, joined=False, now=now)
        if not await Group.filter(id=group.id).delete():
            raise DomainError(ErrorCode.NOT_FOUND, "No group has this id.", "group_id")
        await GroupMember.filter(group_id=group.id).delete()  # also by CASCADE
        await GroupProduct.filter(group_id=group.id).delete()
        for sku in skus:
            await change.release_from_group(member_ids, sku, group.id)
        await change.audit(
            AuditAction.GROUP_DELETED,
            AuditTarget.GROUP,
            group.id,
            {"displayName": group.display_name, "products": skus, "userIds": [str(u) for u in member_ids]},
        )
    if change.preview is not None:
        raise Previewed(change.preview)
    return str(group.id)
