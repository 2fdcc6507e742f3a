"""Roles granted to users, directly and through groups (docs/rules.md section 14): all or none, per-item errors,
the sources of each role, and what happens to roles when licenses, users, groups and roles come and go."""

from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode, Forbidden
from seatwise.models.core.tables import AdminRole, AuditEvent, GroupSource, RoleGrant
from seatwise.models.events.audit import Actor
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.people import deletion
from seatwise.models.roles import definitions, grants
from seatwise.models.seats import licenses as seats
from tests.roles_support import held
from tests.support import NOW, give_licenses, make_org, make_user


async def test_grant_gives_every_listed_user_every_listed_role_directly():
    fx = await make_org()
    a, b = await make_user(fx), await make_user(fx)
    await grants.grant_roles(fx.org, [str(a.id), str(b.id)], "CRM_BASIC", ["salesperson", "DELEGATE"], actor=fx.actor, now=NOW)
    for user in (a, b):
        assert await held(fx.org, user, "CRM_BASIC") == {"SALESPERSON": (True, (), False), "DELEGATE": (True, (), False)}
    events = await AuditEvent.filter(organization_id=fx.org.id, action="role.granted").order_by("id")
    assert [(e.target_id, e.details["roles"]) for e in events] == [
        (str(a.id), ["SALESPERSON", "DELEGATE"]),
        (str(b.id), ["SALESPERSON", "DELEGATE"]),
    ]


@pytest.mark.parametrize(
    ("keys", "subject"),
    [(["SALESPERSON", "NOPE"], "role_keys[1]"), (["SALES_MANAGER"], "role_keys[0]")],  # Essential has no SALES_MANAGER
)
async def test_an_unknown_role_names_its_item_and_nothing_is_granted(keys, subject):
    fx = await make_org()
    user = await make_user(fx)
    with pytest.raises(DomainError) as failed:
        await grants.grant_roles(fx.org, [str(user.id)], "CRM_ESSENTIAL", keys, actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.UNKNOWN_ROLE, subject)
    assert not await RoleGrant.exists(user_id=user.id)


async def test_one_bad_user_grants_nothing_to_anyone():
    fx = await make_org()
    good = await make_user(fx)
    with pytest.raises(DomainError) as failed:
        await grants.grant_roles(fx.org, [str(good.id), "999999"], "CRM_BASIC", ["SALESPERSON"], actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.NOT_FOUND, "user_ids[1]")
    assert not await RoleGrant.exists(user_id=good.id)


@pytest.mark.parametrize(("users", "keys"), [(0, 1), (1001, 1), (1, 0), (1, 21)])
async def test_grants_take_1_to_1000_users_and_1_to_20_roles(users, keys):
    fx = await make_org()
    user = await make_user(fx)
    with pytest.raises(DomainError) as failed:
        await grants.grant_roles(fx.org, [str(user.id)] * users, "CRM_BASIC", ["SALESPERSON"] * keys, actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.INVALID_INPUT


async def test_a_group_gives_its_members_roles_and_revoking_the_direct_source_leaves_the_group_source():
    fx = await make_org()
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {"SALESPERSON": (False, (group.id,), False)}

    with pytest.raises(DomainError) as failed:
        await grants.revoke_roles(fx.org, [str(user.id)], "CRM_BASIC", ["SALESPERSON"], actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.ROLE_INHERITED, "user_ids[0]")

    await grants.grant_roles(fx.org, [str(user.id)], "CRM_BASIC", ["SALESPERSON"], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {"SALESPERSON": (True, (group.id,), False)}
    await grants.revoke_roles(fx.org, [str(user.id)], "CRM_BASIC", ["SALESPERSON"], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {"SALESPERSON": (False, (group.id,), False)}

    await members.remove_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {}


async def test_a_directory_group_gives_roles_too_and_its_change_is_audited_naming_the_group():
    fx = await make_org()
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Directory team", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await type(group).filter(id=group.id).update(source=GroupSource.DIRECTORY)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["DELEGATE"])], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {"DELEGATE": (False, (group.id,), False)}
    await groups.update_group(fx.org, str(group.id), product_roles=[], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {}
    revoked = await AuditEvent.get(organization_id=fx.org.id, action="role.revoked")
    assert (revoked.target_id, revoked.details) == (
        str(user.id),
        {"product": "CRM_BASIC", "roles": ["DELEGATE"], "group": str(group.id)},
    )


async def test_a_group_role_the_product_does_not_have_is_an_unknown_role_naming_its_place():
    fx = await make_org()
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    with pytest.raises(DomainError) as failed:
        await groups.update_group(
            fx.org,
            str(group.id),
            display_name="Renamed",
            product_roles=[("CRM_BASIC", ["SALESPERSON"]), ("CRM_ESSENTIAL", ["DELEGATE", "SALES_MANAGER"])],
            actor=fx.actor,
            now=NOW,
        )
    assert (failed.value.code, failed.value.subject) == (ErrorCode.UNKNOWN_ROLE, "product_roles[1].role_keys[1]")
    assert (await groups.get_group(fx.org, str(group.id))).display_name == "Sales"


async def test_a_global_admin_holds_system_administrator_where_they_hold_the_license_and_never_in_essential():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    await give_licenses(fx, "CRM_ESSENTIAL", 1)
    admin = await make_user(fx, role=AdminRole.GLOBAL_ADMIN, skus=["CRM_BASIC", "CRM_ESSENTIAL"])
    assert await held(fx.org, admin, "CRM_BASIC") == {"SYSTEM_ADMINISTRATOR": (False, (), True)}
    assert await held(fx.org, admin, "CRM_ESSENTIAL") == {}
    assert await held(fx.org, admin, "CRM_PROFESSIONAL") == {}  # no license: no admin role there
    with pytest.raises(DomainError) as failed:
        await grants.revoke_roles(fx.org, [str(admin.id)], "CRM_BASIC", ["SYSTEM_ADMINISTRATOR"], actor=fx.actor, now=NOW)
    assert failed.value.code is ErrorCode.ROLE_INHERITED


async def test_roles_outlive_a_revoked_license_and_a_deleted_user_keeps_them_for_restore():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx, skus=["CRM_BASIC"])
    await grants.grant_roles(fx.org, [str(user.id)], "CRM_BASIC", ["SALESPERSON"], actor=fx.actor, now=NOW)
    await seats.revoke_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {"SALESPERSON": (True, (), False)}
    await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    await deletion.delete_user(fx.org, str(user.id), actor=fx.actor, now=NOW, wall=NOW)
    assert await RoleGrant.filter(user_id=user.id).count() == 1
    await deletion.restore_user(fx.org, str(user.id), actor=fx.actor, now=NOW + timedelta(days=29))
    assert await held(fx.org, user, "CRM_BASIC") == {"SALESPERSON": (True, (), False)}


async def test_deleting_an_own_role_ends_its_grants_direct_and_through_groups():
    fx = await make_org()
    user = await make_user(fx)
    await definitions.create_role(fx.org, "CRM_BASIC", "AUDITOR", "Auditor", "", actor=fx.actor, now=NOW)
    group = await groups.create_group(fx.org, "Audit", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["AUDITOR"])], actor=fx.actor, now=NOW)
    await grants.grant_roles(fx.org, [str(user.id)], "CRM_BASIC", ["AUDITOR"], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {"AUDITOR": (True, (group.id,), False)}
    await definitions.delete_role(fx.org, "CRM_BASIC", "AUDITOR", actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {}
    assert not await RoleGrant.exists(user_id=user.id)
    # A new role with the same key starts without the old grants.
    await definitions.create_role(fx.org, "CRM_BASIC", "AUDITOR", "Auditor", "", actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {}


async def test_a_user_admin_may_not_give_system_administrator_directly_or_through_a_group():
    fx = await make_org()
    user_admin = await make_user(fx, role=AdminRole.USER_ADMIN)
    actor = Actor(email=user_admin.email, role=AdminRole.USER_ADMIN, user_id=user_admin.id)
    user = await make_user(fx)
    with pytest.raises(Forbidden):
        await grants.grant_roles(fx.org, [str(user.id)], "CRM_BASIC", ["SYSTEM_ADMINISTRATOR"], actor=actor, now=NOW)
    group = await groups.create_group(fx.org, "Admins", [], actor=fx.actor, now=NOW)
    with pytest.raises(Forbidden):
        await groups.update_group(
            fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SYSTEM_ADMINISTRATOR"])], actor=actor, now=NOW
        )
    await groups.update_group(
        fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SYSTEM_ADMINISTRATOR"])], actor=fx.actor, now=NOW
    )
    with pytest.raises(Forbidden):
        await members.add_members(fx.org, str(group.id), [str(user.id)], actor=actor, now=NOW)
    with pytest.raises(Forbidden):
        await groups.update_group(fx.org, str(group.id), display_name="Renamed", actor=actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {}
    # Other roles, and the group's members added by a GLOBAL_ADMIN, are fine.
    await grants.grant_roles(fx.org, [str(user.id)], "CRM_BASIC", ["SALESPERSON"], actor=actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {
        "SYSTEM_ADMINISTRATOR": (False, (group.id,), False),
        "SALESPERSON": (True, (), False),
    }


async def test_joining_and_leaving_a_group_that_gives_roles_is_audited_naming_the_group():
    fx = await make_org()
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await members.remove_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    events = await AuditEvent.filter(organization_id=fx.org.id, action__in=["role.granted", "role.revoked"]).order_by("id")
    details = {"product": "CRM_BASIC", "roles": ["SALESPERSON"], "group": str(group.id)}
    assert [(e.action, e.target_id, e.details) for e in events] == [
        ("role.granted", str(user.id), details),
        ("role.revoked", str(user.id), details),
    ]


async def test_deleting_a_group_ends_the_roles_it_gave():
    fx = await make_org()
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    await groups.delete_group(fx.org, str(group.id), actor=fx.actor, now=NOW)
    assert await held(fx.org, user, "CRM_BASIC") == {}
    revoked = await AuditEvent.filter(organization_id=fx.org.id, action="role.revoked").values_list("target_id", "details")
    assert revoked == [(str(user.id), {"product": "CRM_BASIC", "roles": ["SALESPERSON"], "group": str(group.id)})]
