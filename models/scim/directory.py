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
            raise DomainError(ErrorCode.NOT_FOUND, f"No user {str(raw_ids[index])[:64]!a}.", f"{subject}[{index}]")
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
    name = key = None
    if display_name is not None:
        name, key = groups.check_name(display_name)
    elif group is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "A group needs a display name.", "display_name")
    if key is not None:
        same = Group.filter(organization_id=org.id, name_key=key)
        if await (same.exclude(id=group.id) if group else same).exists():
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name")
    listed_ids = list(dict.fromkeys([*(add or []), *(members or [])]))
    leaving_ids = list(dict.fromkeys(pk for pk in (parse_id(raw) for raw in remove or []) if pk is not None))
    if len(listed_ids) + len(leaving_ids) > MAX_DIRECTORY_MEMBERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_DIRECTORY_MEMBERS} members per request.", "members")
    listed = await _directory_users(org, listed_ids, "members")
    changed = False
    async with ledger.change(org, actor=actor, now=now) as change:
        if group is None:
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
                raise DomainError(ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name") from None
            await change.audit(
                AuditAction.GROUP_CREATED,
                AuditTarget.GROUP,
                group.id,
                {"displayName": name, "products": [], "externalId": group.external_id, "source": GroupSource.DIRECTORY.value},
            )
            changed = True
            skus: list[str] = []
            current: set[int] = set()
        else:
            await groups.hold_group(group)
            group = await Group.get(id=group.id)
            skus = await groups.products_of(group)
            await change.lock(*skus)
            details: dict[str, Any] = {}
            if name is not None and name != group.display_name:
                details.update({"from": group.display_name, "to": name})
                group.display_name, group.name_key = name, cast(str, key)
            if external_id is not KEEP and external_id != group.external_id:
                details.update({"externalIdFrom": group.external_id, "externalIdTo": external_id})
                group.external_id = external_id
            if details:
                try:
                    await Group.filter(id=group.id).update(
                        display_name=group.display_name, name_key=group.name_key, external_id=group.external_id
                    )
                except IntegrityError:
                    raise DomainError(
                        ErrorCode.ALREADY_EXISTS, f"A group named {name!r} already exists.", "display_name"
                    ) from None
                await change.audit(AuditAction.GROUP_UPDATED, AuditTarget.GROUP, group.id, details)
                changed = True
            in_question = None if members is not None else [u.id for u in listed] + leaving_ids
            query = GroupMember.filter(group_id=group.id)
            if in_question is not None:
                query = query.filter(user_id__in=in_question)
            current = set(cast(list[int], await query.values_list("user_id", flat=True))) if in_question != [] else set()
        joining = [u for u in listed if u.id not in current]
        if members is not None:
            kept = {u.id for u in listed}
            leaving = sorted(uid for uid in current if uid not in kept)
        else:
            leaving = [uid for uid in dict.fromkeys(leaving_ids) if uid in current and uid not in {u.id for u in joining}]
        if joining:
            ids = [u.id for u in joining]
            await hold(User.filter(id__in=ids), "deleted_at")  # the user rows (after the pools)
            live = {pk for pk in await User.filter(id__in=ids, deleted_at=None).values_list("id", flat=True)}
            for user in joining:
                user.deleted_at = None if user.id in live else (user.deleted_at or now)
            await groups.join(change, group, joining, skus)
            changed = True
        if leaving:
            await groups.leave(change, group, leaving, skus)
            changed = True
        if changed:
            await Group.filter(id=group.id).update(last_modified=now)
            group.last_modified = now
    return group, changed
