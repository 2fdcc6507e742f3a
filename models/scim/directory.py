"""The directory's changes to groups (SCIM): a DIRECTORY group created, renamed and its members replaced, added or
removed in one transaction through the seat ledger. The rules of membership (grants, the waitlist) are the groups
area's (`models/groups`); what is SCIM's is the whole-list and add/remove semantics of a provisioning request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Group, GroupMember, GroupSource, Organization, User
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as group_members
from seatwise.models.seats import ledger

KEEP: Any = object()  # an argument of `directory_change` left as it is
MAX_DIRECTORY_MEMBERS = 10_000  # members one SCIM request may list


async def _directory_users(org: Organization, raw_ids: list[str], subject: str) -> list[User]:
    """The listed users in order (once each); NOT_FOUND naming the index for an id that is not a user of the
    organization (a user removed by a SCIM DELETE included). Deleted (deactivated) users are members like others."""
    if len(raw_ids) > MAX_DIRECTORY_MEMBERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_DIRECTORY_MEMBERS} members per request.", subject)
    parsed = [parse_id(raw) for raw in raw_ids]
    known = [pk for pk in parsed if pk is not None]
    found = {u.id: u for u in await User.filter(organization_id=org.id, id__in=known, scim_deleted_at=None)} if known else {}
    ordered: dict[int, User] = {}
    for index, pk in enumerate(parsed):
        if pk is None or pk not in found:
            raise DomainError(ErrorCode.NOT_FOUND, "No user has this id.", f"{subject}[{index}]")
        ordered.setdefault(pk, found[pk])
    return list(ordered.values())


async def directory_change(
    org: Organization,
    group: Group | None,
    *,
    display_name: str | None = None,
    external_id: str | None = KEEP,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    members: list[str] | None = None,
    actor: Actor,
    now: datetime,
) -> tuple[Group, bool]:
    """Create (`group` None) or change a DIRECTORY group in one transaction: its name, externalId and members
    (`add` / `remove`, or `members` for the whole list). Members added are granted or queued in the order listed,
    before the removals free their licenses for the queue. A constant number of statements for any number of
    members. Returns the group and whether anything changed (nothing changed: nothing written, nothing audited)."""
    name, key = await _checked_name(org, group, display_name)
    listed_ids = list(dict.fromkeys([*(add or []), *(members or [])]))
    leaving_ids = list(dict.fromkeys(pk for pk in (parse_id(raw) for raw in remove or []) if pk is not None))
    if len(listed_ids) + len(leaving_ids) > MAX_DIRECTORY_MEMBERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_DIRECTORY_MEMBERS} members per request.", "members")
    listed = await _directory_users(org, listed_ids, "members")
    whole = members is not None
    async with ledger.change(org, actor=actor, now=now) as change:
        if group is None:
            group = await _create(change, org, cast(str, name), cast(str, key), external_id, now)
            changed, skus, current = True, [], set()
        else:
            await groups.hold_group(group)
            group = await Group.get(id=group.id)
            skus = await groups.products_of(group)
            await change.lock(*skus)
            changed = await _rename(change, group, name, key, external_id)
            current = await _current_members(group, None if whole else [u.id for u in listed] + leaving_ids)
        joining, leaving = _membership_diff(listed, leaving_ids, current, whole=whole)
        if joining:
            await _join(change, group, joining, skus, now)
        if leaving:
            await group_members.leave(change, group, leaving, skus)
        changed = changed or bool(joining or leaving)
        if changed:
            await Group.filter(id=group.id).update(last_modified=now)
            group.last_modified = now
    return group, changed


async def _checked_name(org: Organization, group: Group | None, display_name: str | None) -> tuple[str | None, str | None]:
    """The new name and its key (None, None: the name is kept); a new group needs one, no other group may have it."""
    if display_name is None:
        if group is None:
            raise DomainError(ErrorCode.INVALID_INPUT, "A group needs a display name.", "display_name")
        return None, None
    name, key = groups.check_name(display_name)
    same = Group.filter(organization_id=org.id, name_key=key)
    if await (same.exclude(id=group.id) if group else same).exists():
        raise groups.name_taken(name)
    return name, key


async def _create(
    change: ledger.SeatChange, org: Organization, name: str, key: str, external_id: str | None, now: datetime
) -> Group:
    """The new DIRECTORY group, without products or members yet; audited."""
    try:
        group = await Group.create(
            organization_id=org.id,
            display_name=name,
            name_key=key,
            source=GroupSource.DIRECTORY,
            external_id=None if external_id is KEEP else external_id,
            created_at=now,
            last_modified=now,
        )
    except IntegrityError:
        raise groups.name_taken(name) from None
    await change.audit(
        AuditAction.GROUP_CREATED,
        AuditTarget.GROUP,
        group.id,
        {"displayName": name, "products": [], "externalId": group.external_id, "source": GroupSource.DIRECTORY.value},
    )
    return group


async def _rename(change: ledger.SeatChange, group: Group, name: str | None, key: str | None, external_id: str | None) -> bool:
    """A held group's new name and externalId, written and audited when they differ; whether they did."""
    details: dict[str, Any] = {}
    if name is not None and name != group.display_name:
        details.update({"from": group.display_name, "to": name})
        group.display_name, group.name_key = name, cast(str, key)
    if external_id is not KEEP and external_id != group.external_id:
        details.update({"externalIdFrom": group.external_id, "externalIdTo": external_id})
        group.external_id = external_id
    if not details:
        return False
    try:
        await Group.filter(id=group.id).update(
            display_name=group.display_name, name_key=group.name_key, external_id=group.external_id
        )
    except IntegrityError:
        raise groups.name_taken(name) from None
    await change.audit(AuditAction.GROUP_UPDATED, AuditTarget.GROUP, group.id, details)
    return True


async def _current_members(group: Group, in_question: list[int] | None) -> set[int]:
    """The group's members among `in_question` (all of them for None): one query, none for an empty list."""
    if in_question == []:
        return set()
    query = GroupMember.filter(group_id=group.id)
    if in_question is not None:
        query = query.filter(user_id__in=in_question)
    return set(cast(list[int], await query.values_list("user_id", flat=True)))


def _membership_diff(
    listed: list[User], leaving_ids: list[int], current: set[int], *, whole: bool
) -> tuple[list[User], list[int]]:
    """Who joins (listed, not yet members: in the listed order) and who leaves: the members not listed when the
    request lists the `whole` membership, else the members it removes (a user both added and removed stays)."""
    joining = [u for u in listed if u.id not in current]
    if whole:
        kept = {u.id for u in listed}
        return joining, sorted(uid for uid in current if uid not in kept)
    joining_ids = {u.id for u in joining}
    return joining, [uid for uid in dict.fromkeys(leaving_ids) if uid in current and uid not in joining_ids]


async def _join(change: ledger.SeatChange, group: Group, joining: list[User], skus: list[str], now: datetime) -> None:
    """The users joining, their rows held (after the pools) and their deleted state read afresh, made members."""
    ids = [u.id for u in joining]
    await hold(User.filter(id__in=ids), "deleted_at")  # the user rows (after the pools)
    live = {pk for pk in await User.filter(id__in=ids, deleted_at=None).values_list("id", flat=True)}
    for user in joining:
        user.deleted_at = None if user.id in live else (user.deleted_at or now)
    await group_members.join(change, group, joining, skus)
