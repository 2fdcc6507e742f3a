"""Groups: group-based licensing with a waitlist (docs/rules.md section 11).

A group grants its members a license of each of its products. The rules of who holds what, who
waits and who is served live in the seat ledger (`models/ledger.py`); this module names the group
changes and their audit events, and answers the group queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from seatwise.models.catalog.products import catalog, get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.locks import hold
from seatwise.models.core.lookups import parse_id
from seatwise.models.core.pages import Keyset, Page, paginate
from seatwise.models.core.tables import (
    Group,
    GroupMember,
    GroupProduct,
    GroupSource,
    LicenseAssignment,
    LicenseWait,
    Organization,
    Product,
    User,
)
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.seats import ledger
from seatwise.models.seats.licenses import MAX_BULK

GROUP_ORDER = Keyset(("name_key", "id"))
MEMBER_ORDER = Keyset(("email",))
# A product's queue: who waits longest gets the next license.
WAIT_ORDER = Keyset(("since", "id"))


@dataclass(frozen=True)
class GroupLicense:
    product: Product
    licensed: int
    waiting: int


def check_name(raw: str, subject: str = "display_name") -> tuple[str, str]:
    name = raw.strip()
    if not 1 <= len(name) <= 256 or len(name.lower()) > 256:  # the key is lower-cased: "İ".lower() is two characters
        raise DomainError(ErrorCode.INVALID_INPUT, "A group's display name has 1 to 256 characters.", subject)
    return name, name.lower()


async def _skus(raw: list[str]) -> list[str]:
    skus = list(raw)
    for index, sku in enumerate(skus):
        if sku in skus[:index]:
            raise DomainError(ErrorCode.INVALID_INPUT, f"{sku} is listed twice.", f"product_skus[{index}]")
        await get_product(sku, f"product_skus[{index}]")
    return skus


async def get_group(org: Organization, group_id: str, subject: str = "group_id") -> Group:
    pk = parse_id(group_id)
    group = await Group.get_or_none(id=pk, organization_id=org.id) if pk is not None else None
    if group is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No group {group_id}.", subject)
    return group


async def hold_group(group: Group) -> None:
    """The first statement of every change to a group: its row held until the transaction ends (`core.locks`).
    Lock order of group changes: group row -> pool rows -> user rows."""
    if not await hold(Group.filter(id=group.id), "name_key"):
        raise DomainError(ErrorCode.NOT_FOUND, f"No group {group.id}.", "group_id")


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


# ---------------------------------------------------------------- changing


async def create_group(
    org: Organization, display_name: str, product_skus: list[str] | None, *, actor: Actor, now: datetime
) -> Group:
    name, key = check_name(display_name)
    skus = await _skus(product_skus or [])
    if await Group.exists(organization_id=org.id, name_key=key):
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name")
    async with ledger.change(org, actor=actor, now=now) as change:
        try:
            group = await Group.create(
                organization_id=org.id, display_name=name, name_key=key, source=GroupSource.SEATWISE, created_at=now
            )
        except IntegrityError:
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name") from None
        await GroupProduct.bulk_create([GroupProduct(group_id=group.id, product_id=sku) for sku in skus])
        await change.audit(AuditAction.GROUP_CREATED, AuditTarget.GROUP, group.id, {"displayName": name, "products": skus})
    return group


async def update_group(
    org: Organization,
    group_id: str,
    *,
    display_name: str | None = None,
    product_skus: list[str] | None = None,
    actor: Actor,
    now: datetime,
) -> Group:
    """Rename, and/or replace the products the group grants: members gain (license or wait) or lose them."""
    group = await get_group(org, group_id)
    name = key = None
    if display_name is not None:
        name, key = check_name(display_name)
        if await Group.filter(organization_id=org.id, name_key=key).exclude(id=group.id).exists():
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name")
    skus = await _skus(product_skus) if product_skus is not None else None
    async with ledger.change(org, actor=actor, now=now) as change:
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
                raise DomainError(ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name") from None
            details.update({"from": group.display_name, "to": name})
        if added or removed:
            members = await _live_members(group)
            if removed:
                await GroupProduct.filter(group_id=group.id, product_id__in=removed).delete()
            if added:
                await GroupProduct.bulk_create([GroupProduct(group_id=group.id, product_id=sku) for sku in added])
            for sku in removed:
                await change.release_from_group([u.id for u in members], sku, group.id)
            for sku in added:
                await change.grant_from_group(members, sku, group.id)
            details.update({"productsAdded": added, "productsRemoved": removed, "products": sorted(skus or [])})
        if details:
            await change.audit(AuditAction.GROUP_UPDATED, AuditTarget.GROUP, group.id, details)
    return await Group.get(id=group.id)


async def delete_group(org: Organization, group_id: str, *, actor: Actor, now: datetime) -> str:
    """Delete a group: its members lose the licenses (and waits) only it gave them."""
    group = await get_group(org, group_id)
    async with ledger.change(org, actor=actor, now=now) as change:
        await hold_group(group)
        skus = await products_of(group)
        await change.lock(*skus)
        member_ids = cast(list[int], list(await GroupMember.filter(group_id=group.id).values_list("user_id", flat=True)))
        if not await Group.filter(id=group.id).delete():
            raise DomainError(ErrorCode.NOT_FOUND, f"No group {group_id}.", "group_id")
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
    return str(group.id)


async def _users(org: Organization, user_ids: list[str], *, live: bool) -> list[User]:
    """The listed users in order (a user listed twice counts once), all or none; per-item errors name the index."""
    if not 1 <= len(user_ids) <= MAX_BULK:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_BULK} user ids.", "user_ids")
    parsed = [parse_id(raw) for raw in user_ids]
    found = {u.id: u for u in await User.filter(organization_id=org.id, id__in=[pk for pk in parsed if pk is not None])}
    ordered: dict[int, User] = {}
    for index, pk in enumerate(parsed):
        if pk is None or pk not in found:
            raise DomainError(ErrorCode.NOT_FOUND, f"No user {user_ids[index]}.", f"user_ids[{index}]")
        if live and found[pk].deleted_at is not None:
            raise DomainError(ErrorCode.USER_DELETED, f"User {found[pk].email} is deleted.", f"user_ids[{index}]")
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
        skus = await products_of(group)
        await change.lock(*skus)
        ids = [u.id for u in users]
        if await User.filter(id__in=ids, deleted_at=None).update(deleted_at=None) != len(ids):
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


async def remove_members(org: Organization, group_id: str, user_ids: list[str], *, actor: Actor, now: datetime) -> Group:
    """Remove 1..1000 users, all or none: licenses (and waits) that only this group gave end; freed licenses serve the queue."""
    group = await get_group(org, group_id)
    _directory(group)
    users = await _users(org, user_ids, live=False)
    async with ledger.change(org, actor=actor, now=now) as change:
        await hold_group(group)
        skus = await products_of(group)
        await change.lock(*skus)
        ids = [u.id for u in users]
        members = set(await GroupMember.filter(group_id=group.id, user_id__in=ids).values_list("user_id", flat=True))
        leaving = [uid for uid in ids if uid in members]
        if not leaving:
            return group
        await leave(change, group, leaving, skus)
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
    return queued


async def leave(change: ledger.SeatChange, group: Group, user_ids: list[int], skus: list[str]) -> None:
    """Inside a change holding the group's pools: end these memberships and what only this group gave; one audit event."""
    await GroupMember.filter(group_id=group.id, user_id__in=user_ids).delete()
    for sku in skus:
        await change.release_from_group(user_ids, sku, group.id)
    await change.audit(
        AuditAction.GROUP_MEMBERS_REMOVED, AuditTarget.GROUP, group.id, {"userIds": [str(u) for u in user_ids], "products": skus}
    )


# ---------------------------------------------------------------- reading


def groups_query(org: Organization, search: str | None = None) -> QuerySet[Group]:
    query = Group.filter(organization_id=org.id)
    if search and search.strip():
        query = query.filter(name_key__contains=search.strip().lower())
    return query.order_by(*GROUP_ORDER.fields)


def members_query(group: Group) -> QuerySet[User]:
    return User.filter(id__in=Subquery(GroupMember.filter(group_id=group.id).values("user_id")), deleted_at=None).order_by(
        *MEMBER_ORDER.fields
    )


async def member_count(group: Group) -> int:
    return await members_query(group).count()


async def group_licenses(group: Group) -> list[GroupLicense]:
    """Per product the group grants: members holding its license, members waiting for one (three queries)."""
    skus = await products_of(group)
    if not skus:
        return []
    members = Subquery(GroupMember.filter(group_id=group.id, user__deleted_at=None).values("user_id"))
    licensed = dict(
        await LicenseAssignment.filter(product_id__in=skus, user_id__in=members)
        .annotate(n=Count("id"))
        .group_by("product_id")
        .values_list("product_id", "n")
    )
    waiting = dict(
        await LicenseWait.filter(product_id__in=skus, user_id__in=members)
        .annotate(n=Count("id"))
        .group_by("product_id")
        .values_list("product_id", "n")
    )
    products = {p.sku: p for p in await catalog()}
    return [GroupLicense(products[sku], licensed.get(sku, 0), waiting.get(sku, 0)) for sku in skus]


def waitlist_query(org: Organization, sku: str) -> QuerySet[LicenseWait]:
    return LicenseWait.filter(organization_id=org.id, product_id=sku).order_by(*WAIT_ORDER.fields)


async def waitlist_page(org: Organization, sku: str, first: int | None, after: str | None) -> Page[tuple[LicenseWait, int]]:
    """One page of a product's queue, each wait with its position: the page's query, and after a cursor one
    COUNT of the waits ahead of the page's first."""
    page = await paginate(waitlist_query(org, sku), first, after, WAIT_ORDER)
    start = await position_of(page.items[0]) if page.items and page.has_previous else 1
    return Page(
        items=[(wait, start + i) for i, wait in enumerate(page.items)],
        keys=page.keys,
        order=page.order,
        has_next=page.has_next,
        has_previous=page.has_previous,
        counter=page.counter,
    )


async def position_of(wait: LicenseWait) -> int:
    """1 = the next to get a license."""
    ahead = await LicenseWait.filter(
        Q(since__lt=wait.since) | Q(since=wait.since, id__lt=wait.id),
        organization_id=wait.organization_id,
        product_id=wait.product_id,
    ).count()
    return ahead + 1


async def waits_of(user_ids: list[int]) -> dict[int, list[LicenseWait]]:
    found: dict[int, list[LicenseWait]] = {uid: [] for uid in user_ids}
    for wait in await LicenseWait.filter(user_id__in=user_ids).order_by("product_id"):
        found[wait.user_id].append(wait)
    return found


async def groups_of_users(user_ids: list[int]) -> dict[int, list[Group]]:
    """The groups of many users in two queries (DataLoader behind User.groups)."""
    found: dict[int, list[Group]] = {uid: [] for uid in user_ids}
    pairs = await GroupMember.filter(user_id__in=user_ids).values_list("user_id", "group_id")
    groups = {g.id: g for g in await Group.filter(id__in={gid for _, gid in pairs}).order_by("name_key")} if pairs else {}
    for uid, gid in pairs:
        found[uid].append(groups[gid])
    for value in found.values():
        value.sort(key=lambda g: (g.name_key, g.id))
    return found


async def granting_groups_of(keys: list[tuple[int, str]]) -> dict[tuple[int, str], list[Group]]:
    """For (user id, SKU) pairs: the user's groups that grant the SKU, in three queries (LicenseAssignment.groups)."""
    user_ids = list({uid for uid, _ in keys})
    pairs = await GroupMember.filter(user_id__in=user_ids).values_list("user_id", "group_id")
    group_ids = {gid for _, gid in pairs}
    grants: dict[int, set[str]] = {}
    for gid, sku in await GroupProduct.filter(group_id__in=group_ids).values_list("group_id", "product_id") if group_ids else []:
        grants.setdefault(gid, set()).add(sku)
    groups = {g.id: g for g in await Group.filter(id__in=group_ids)} if group_ids else {}
    found: dict[tuple[int, str], list[Group]] = {key: [] for key in keys}
    for uid, gid in pairs:
        for sku in grants.get(gid, ()):
            if (uid, sku) in found:
                found[(uid, sku)].append(groups[gid])
    for value in found.values():
        value.sort(key=lambda g: (g.name_key, g.id))
    return found


async def positions(waits: list[LicenseWait]) -> list[int]:
    """Queue positions of waits, one COUNT per product: waits of one product listed in queue order are consecutive
    when they joined in one change (under its pool lock)."""
    first: dict[str, int] = {}
    seen: dict[str, int] = {}
    found = []
    for wait in waits:
        if wait.product_id not in first:
            first[wait.product_id] = await position_of(wait)
            seen[wait.product_id] = 0
        found.append(first[wait.product_id] + seen[wait.product_id])
        seen[wait.product_id] += 1
    return found
