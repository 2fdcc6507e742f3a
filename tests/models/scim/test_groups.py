"""SCIM Groups onto DIRECTORY groups: members granted and queued in request order in one transaction, at a bounded
cost; PUT and PATCH members; Seatwise groups stay out of SCIM; deletion frees the group's licenses."""

from dataclasses import replace

import pytest

from seatwise.models.core.errors import DomainError
from seatwise.models.core.tables import AuditEvent, Group, GroupSource, LicenseAssignment, LicenseWait, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members as group_members
from seatwise.models.scim import groups as scim_groups
from seatwise.models.scim import users as scim_users
from seatwise.models.scim.errors import ScimError
from tests.group_support import check_group_invariants
from tests.support import NOW, count_round_trips, give_licenses, make_org


def ops(*operations):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


async def _group(fx, name="Sales", skus=("CRM_BASIC",), members=()):
    group = await scim_groups.create(
        fx.org, {"displayName": name, "members": [{"value": str(u.id)} for u in members]}, actor=fx.actor, now=NOW
    )
    if skus:
        await groups.update_group(fx.org, str(group.id), product_skus=list(skus), actor=fx.actor, now=NOW)
    return group


async def _people(fx, count: int, tag: str) -> list[User]:
    await User.bulk_create(
        [
            User(organization_id=fx.org.id, email=f"{tag}{i}@acme.example", display_name=f"{tag} {i}", created_at=NOW)
            for i in range(count)
        ]
    )
    return list(await User.filter(email__startswith=tag).order_by("id"))


async def _patch(fx, group, *operations):
    return await scim_groups.patch(fx.org, str(group.id), ops(*operations), actor=replace(fx.actor, via="scim"), now=NOW)


async def test_a_scim_group_is_a_directory_group_that_graphql_cannot_change_members_of():
    fx = await make_org()
    group = await _group(fx, skus=())
    assert group.source is GroupSource.DIRECTORY
    (someone,) = await _people(fx, 1, "p")
    with pytest.raises(DomainError) as refused:
        await group_members.add_members(fx.org, str(group.id), [str(someone.id)], actor=fx.actor, now=NOW)
    assert refused.value.code.value == "MANAGED_BY_DIRECTORY"


async def test_members_added_in_one_request_are_granted_and_queued_in_the_order_listed():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    group = await _group(fx)
    a, b, c = await _people(fx, 3, "m")
    await _patch(
        fx, group, {"op": "Add", "path": "members", "value": [{"value": str(c.id)}, {"value": str(a.id)}, {"value": str(b.id)}]}
    )
    holders = set(await LicenseAssignment.filter(product_id="CRM_BASIC").values_list("user_id", flat=True))
    assert holders == {c.id, a.id}
    assert list(await LicenseWait.filter(product_id="CRM_BASIC").values_list("user_id", flat=True)) == [b.id]
    await _patch(fx, group, {"op": "Remove", "path": f'members[value eq "{c.id}"]'})
    assert await LicenseAssignment.exists(user_id=b.id) and not await LicenseAssignment.exists(user_id=c.id)
    await check_group_invariants(fx.org.id)
    audit = await AuditEvent.filter(action="group.members_removed").first()
    assert audit is not None and audit.details["via"] == "scim" and audit.details["userIds"] == [str(c.id)]


async def test_put_replaces_members_and_a_repeated_patch_changes_nothing():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    a, b, c = await _people(fx, 3, "r")
    group = await _group(fx, members=[a, b])
    body = {"displayName": "Sales team", "externalId": "grp-1", "members": [{"value": str(b.id)}, {"value": str(c.id)}]}
    group = await scim_groups.replace(fx.org, str(group.id), body, actor=fx.actor, now=NOW)
    found = scim_groups.resource(group, (await scim_groups.members_of([group.id]))[group.id], "")
    assert found["displayName"] == "Sales team" and found["externalId"] == "grp-1"
    assert [m["value"] for m in found["members"]] == [str(b.id), str(c.id)]
    assert not await LicenseAssignment.exists(user_id=a.id)
    events = await AuditEvent.all().count()
    operation = {"op": "add", "path": "members", "value": [{"value": str(b.id)}]}
    await _patch(fx, group, operation, {"op": "replace", "path": "displayName", "value": "Sales team"})
    assert await AuditEvent.all().count() == events
    await check_group_invariants(fx.org.id)


async def test_unknown_members_are_400_and_change_nothing():
    fx = await make_org()
    group = await _group(fx)
    with pytest.raises(ScimError) as refused:
        await _patch(fx, group, {"op": "add", "path": "members", "value": [{"value": "999999"}]})
    assert (refused.value.status, refused.value.scim_type) == (400, "invalidValue")
    other = await make_org("Other")
    (stranger,) = await _people(other, 1, "s")
    with pytest.raises(ScimError):
        await _patch(fx, group, {"op": "add", "path": "members", "value": [{"value": str(stranger.id)}]})


async def test_display_names_are_unique_ignoring_case_and_seatwise_groups_are_not_scim_resources():
    fx = await make_org()
    seatwise = await groups.create_group(fx.org, "Engineering", [], actor=fx.actor, now=NOW)
    with pytest.raises(ScimError) as refused:
        await scim_groups.create(fx.org, {"displayName": "ENGINEERING"}, actor=fx.actor, now=NOW)
    assert (refused.value.status, refused.value.scim_type) == (409, "uniqueness")
    with pytest.raises(ScimError) as missing:
        await scim_groups.get(fx.org, str(seatwise.id))
    assert missing.value.status == 404
    assert (await scim_groups.page(fx.org, None, 1, 100))[1] == 0


async def test_delete_frees_the_group_licenses_for_the_queue():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    a, b = await _people(fx, 2, "d")
    first = await _group(fx, "First", members=[a])
    await _group(fx, "Second", members=[b])
    assert await LicenseWait.exists(user_id=b.id)
    await scim_groups.delete(fx.org, str(first.id), actor=fx.actor, now=NOW)
    assert not await Group.exists(id=first.id) and await LicenseAssignment.exists(user_id=b.id)
    await check_group_invariants(fx.org.id)


async def test_a_deactivated_user_stays_a_member_and_is_granted_again_on_reactivation():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await scim_users.create(fx.org, {"userName": "m@acme.test"}, actor=fx.actor, now=NOW, wall=NOW)
    await scim_users.patch(
        fx.org, str(user.id), ops({"op": "replace", "path": "active", "value": False}), actor=fx.actor, now=NOW, wall=NOW
    )
    group = await _group(fx, members=[user])
    assert not await LicenseAssignment.exists(user_id=user.id)
    await scim_users.patch(
        fx.org, str(user.id), ops({"op": "replace", "path": "active", "value": True}), actor=fx.actor, now=NOW, wall=NOW
    )
    assert await LicenseAssignment.exists(user_id=user.id)
    assert (await scim_groups.members_of([group.id]))[group.id] == [user.id]


async def _add_cost(monkeypatch, fx, size: int, tag: str) -> int:
    people = await _people(fx, size, tag)
    group = await _group(fx, tag, skus=("CRM_BASIC",))
    body = ops({"op": "Add", "path": "members", "value": [{"value": str(p.id)} for p in people]})
    _, cost = await count_round_trips(monkeypatch, scim_groups.patch(fx.org, str(group.id), body, actor=fx.actor, now=NOW))
    return cost


async def test_a_patch_adding_1000_members_costs_as_many_statements_as_adding_10(monkeypatch):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 600)
    small = await _add_cost(monkeypatch, fx, 10, "small")
    large = await _add_cost(monkeypatch, fx, 1000, "large")  # 590 licensed, 410 waiting
    assert await LicenseAssignment.filter(product_id="CRM_BASIC").count() == 600
    assert await LicenseWait.filter(product_id="CRM_BASIC").count() == 410
    assert large == small and large <= 40
    await check_group_invariants(fx.org.id)


async def test_removals_count_toward_the_members_limit_of_a_request():
    fx = await make_org()
    group = await _group(fx)

    with pytest.raises(ScimError) as refused:
        await _patch(fx, group, {"op": "remove", "path": "members", "value": [{"value": str(i)} for i in range(1, 10_002)]})

    assert refused.value.status == 400


async def test_an_unknown_member_id_with_a_lone_surrogate_is_named_in_a_writable_error():
    fx = await make_org()

    with pytest.raises(ScimError) as refused:
        await scim_groups.create(fx.org, {"displayName": "g", "members": [{"value": "\ud800"}]}, actor=fx.actor, now=NOW)

    # A member named in the request that is no user is the request's fault (400 invalidValue), not a missing resource.
    assert (refused.value.status, refused.value.scim_type) == (400, "invalidValue")
    import orjson

    orjson.dumps(refused.value.body())  # encodes: the id is quoted, not copied raw
