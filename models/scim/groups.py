"""SCIM Groups (docs/rules.md section 11.2): DIRECTORY groups as RFC 7643 Group resources.

Groups created over SCIM are DIRECTORY groups: the directory owns their name, externalId and members, Seatwise
which products they grant. Groups made in Seatwise are not SCIM resources. Membership changes go through
`directory.directory_change`: one transaction, licenses granted or queued in the order the request lists members,
a bounded number of statements for any number of members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from seatwise.models.core.atomic import atomic
from seatwise.models.core.errors import DomainError
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Group, GroupMember, GroupSource, Organization
from seatwise.models.events.audit import Actor
from seatwise.models.groups import lifecycle as groups
from seatwise.models.scim import directory
from seatwise.models.scim.errors import from_domain, invalid_value, not_found
from seatwise.models.scim.filter import group_filter
from seatwise.models.scim.members import Members, member_ids
from seatwise.models.scim.patch import MEMBERS, Attribute, apply, spec
from seatwise.models.scim.schema import GROUP_SCHEMA, timestamp
from seatwise.models.scim.values import attribute, has_attribute, text

GROUP_SPEC = spec(GROUP_SCHEMA, Attribute("displayName"), Attribute("externalId"), Attribute("members", MEMBERS))

Member = int  # a member's user id


def resource(group: Group, members: list[Member] | None, base: str) -> dict[str, Any]:
    found: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.id)}
    if group.external_id is not None:
        found["externalId"] = group.external_id
    found["displayName"] = group.display_name
    if members:
        found["members"] = [{"value": str(uid), "$ref": f"{base}/Users/{uid}"} for uid in members]
    found["meta"] = {
        "resourceType": "Group",
        "created": timestamp(group.created_at),
        "lastModified": timestamp(group.last_modified or group.created_at),
        "location": f"{base}/Groups/{group.id}",
    }
    return found


async def members_of(group_ids: list[int]) -> dict[int, list[Member]]:
    """The members of several groups in one query (users removed by a SCIM DELETE are not shown)."""
    found: dict[int, list[Member]] = {gid: [] for gid in group_ids}
    if group_ids:
        rows = (
            await GroupMember.filter(group_id__in=group_ids, user__scim_deleted_at=None)
            .order_by("id")
            .values_list("group_id", "user_id")
        )
        for gid, uid in rows:
            found[gid].append(uid)
    return found


async def get(org: Organization, raw_id: str) -> Group:
    pk = parse_id(raw_id)
    group = await Group.get_or_none(id=pk, organization_id=org.id, source=GroupSource.DIRECTORY) if pk is not None else None
    if group is None:
        raise not_found("group", raw_id)
    return group


async def _held(org: Organization, raw_id: str) -> Group:
    """The group of a SCIM write, held until the request's transaction ends (`core.locks`: the group first),
    then read: 404 as `get`."""
    pk = parse_id(raw_id)
    if pk is None or not await hold(Group.filter(id=pk, organization_id=org.id, source=GroupSource.DIRECTORY), "name_key"):
        raise not_found("group", raw_id)
    return await Group.get(id=pk)


async def page(org: Organization, filter_text: str | None, start_index: int, count: int) -> tuple[list[Group], int]:
    query = Group.filter(organization_id=org.id, source=GroupSource.DIRECTORY)
    if filter_text is not None and filter_text.strip():
        query = query.filter(group_filter(filter_text))
    total = await query.count()
    rows = await query.order_by("id").offset(start_index - 1).limit(count) if count > 0 else []
    return list(rows), total


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_value("A Group is a JSON object.")
    core = attribute(body, GROUP_SCHEMA)
    return {**body, **core} if isinstance(core, dict) else body


async def create(org: Organization, body: Any, *, actor: Actor, now: datetime) -> Group:
    body = _body(body)
    name = text(attribute(body, "displayName"), "displayName", required=True)
    external_id = text(attribute(body, "externalId"), "externalId")
    listed = member_ids(attribute(body, "members")) if attribute(body, "members") is not None else []
    try:
        async with atomic():
            group, _ = await directory.directory_change(
                org, None, display_name=name, external_id=external_id, add=listed, actor=actor, now=now
            )
    except DomainError as error:
        raise from_domain(error) from None
    return group


async def replace(org: Organization, raw_id: str, body: Any, *, actor: Actor, now: datetime) -> Group:
    """PUT: the name and externalId as given; members replaced when the body lists them (kept when it has none)."""
    async with atomic():
        return await _replace(org, await _held(org, raw_id), body, actor=actor, now=now)


async def _replace(org: Organization, group: Group, body: Any, *, actor: Actor, now: datetime) -> Group:
    body = _body(body)
    name = text(attribute(body, "displayName"), "displayName", required=True)
    external_id = text(attribute(body, "externalId"), "externalId")
    listed = member_ids(attribute(body, "members") or []) if has_attribute(body, "members") else None
    try:
        group, _ = await directory.directory_change(
            org, group, display_name=name, external_id=external_id, members=listed, actor=actor, now=now
        )
    except DomainError as error:
        raise from_domain(error) from None
    return group


async def patch(org: Organization, raw_id: str, body: Any, *, actor: Actor, now: datetime) -> Group:
    """PATCH: the operations applied to the group as it is under the request's lock."""
    async with atomic():
        return await _patch(org, await _held(org, raw_id), body, actor=actor, now=now)


async def _patch(org: Organization, group: Group, body: Any, *, actor: Actor, now: datetime) -> Group:
    before: dict[str, Any] = {"displayName": group.display_name}
    if group.external_id is not None:
        before["externalId"] = group.external_id
    members = Members()
    after = apply(before, body, GROUP_SPEC, members)
    name = text(after.get("displayName"), "displayName", required=True)
    external_id = text(after.get("externalId"), "externalId")
    if after == before and not members.touched:
        return group
    try:
        group, _ = await directory.directory_change(
            org,
            group,
            display_name=name,
            external_id=external_id if external_id != group.external_id else directory.KEEP,
            add=members.add,
            remove=members.remove,
            members=members.replace,
            actor=actor,
            now=now,
        )
    except DomainError as error:
        raise from_domain(error) from None
    return group


async def delete(org: Organization, raw_id: str, *, actor: Actor, now: datetime) -> None:
    try:
        async with atomic():
            group = await _held(org, raw_id)
            await groups.delete_group(org, str(group.id), actor=actor, now=now, directory=True)
    except DomainError as error:
        raise from_domain(error) from None
