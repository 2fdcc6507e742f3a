"""Who may manage product roles (docs/rules.md sections 2 and 14): the users-and-licenses capability, as for licenses;
SYSTEM_ADMINISTRATOR only from a GLOBAL_ADMIN, whether granted directly or through a group. A refusal is a top-level
FORBIDDEN, no data, and nothing changes."""

import pytest

from seatwise.models.core.tables import AdminRole, AuditEvent, GroupMember, GroupRole, ProductRole, RoleGrant
from seatwise.models.groups import lifecycle as groups
from seatwise.models.roles import definitions, grants
from tests.support import NOW, error_codes, execute, make_org, make_user, token_for

CREATE = 'mutation { createProductRole(input: {productSku: "CRM_BASIC", key: "FRESH", name: "Fresh"}) { role { key } userErrors { code } } }'
UPDATE = 'mutation { updateProductRole(input: {productSku: "CRM_BASIC", key: "AUDITOR", name: "New"}) { role { key } userErrors { code } } }'
DELETE = 'mutation { deleteProductRole(input: {productSku: "CRM_BASIC", key: "AUDITOR"}) { deletedKey userErrors { code } } }'
GRANT = """mutation($u: ID!, $k: String!) { grantProductRoles(input: {userIds: [$u], productSku: "CRM_BASIC", roleKeys: [$k]}) {
  users { id } userErrors { code } } }"""
REVOKE = """mutation($u: ID!) { revokeProductRoles(input: {userIds: [$u], productSku: "CRM_BASIC", roleKeys: ["DELEGATE"]}) {
  users { id } userErrors { code } } }"""
GROUP_ROLES = """mutation($g: ID!, $k: String!) {
  updateGroup(input: {groupId: $g, productRoles: [{productSku: "CRM_BASIC", roleKeys: [$k]}]}) { group { id } userErrors { code } } }"""
ADD = "mutation($g: ID!, $u: ID!) { addGroupMembers(input: {groupId: $g, userIds: [$u]}) { group { id } userErrors { code } } }"

ALL_ROLES = list(AdminRole)
MAY_MANAGE_USERS = {AdminRole.GLOBAL_ADMIN, AdminRole.USER_ADMIN}


async def _setup():
    fx = await make_org()
    target = await make_user(fx)
    await definitions.create_role(fx.org, "CRM_BASIC", "AUDITOR", "Auditor", "", actor=fx.actor, now=NOW)
    await grants.grant_roles(fx.org, [str(target.id)], "CRM_BASIC", ["DELEGATE"], actor=fx.actor, now=NOW)
    group = await groups.create_group(fx.org, "Team", [], actor=fx.actor, now=NOW)
    return fx, target, group


async def _state(fx) -> tuple:
    return (
        sorted(await ProductRole.filter(organization_id=fx.org.id).values_list("key", "name")),
        sorted(await RoleGrant.filter(organization_id=fx.org.id).values_list("user_id", "role_key")),
        sorted(await GroupRole.filter(group__organization_id=fx.org.id).values_list("group_id", "role_key")),
        sorted(await GroupMember.filter(group__organization_id=fx.org.id).values_list("group_id", "user_id")),
        await AuditEvent.filter(organization_id=fx.org.id).count(),
    )


def _forbidden(result) -> None:
    assert result.data is None
    assert error_codes(result) == ["FORBIDDEN"]


def _ok(result, name: str) -> None:
    assert result.errors is None and result.data[name]["userErrors"] == [], result


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: r.value)
async def test_every_role_mutation_needs_the_users_and_licenses_capability(role):
    fx, target, group = await _setup()
    token = await token_for(fx, await make_user(fx, role=role), role)
    calls = [
        (CREATE, {}, "createProductRole"),
        (UPDATE, {}, "updateProductRole"),
        (GRANT, {"u": str(target.id), "k": "SALESPERSON"}, "grantProductRoles"),
        (REVOKE, {"u": str(target.id)}, "revokeProductRoles"),
        (GROUP_ROLES, {"g": str(group.id), "k": "SALESPERSON"}, "updateGroup"),
        (DELETE, {}, "deleteProductRole"),
    ]
    before = await _state(fx)
    for query, variables, name in calls:
        result = await execute(query, variables, token=token)
        if role in MAY_MANAGE_USERS:
            _ok(result, name)
        else:
            _forbidden(result)
    if role not in MAY_MANAGE_USERS:
        assert await _state(fx) == before


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: r.value)
async def test_only_a_global_admin_gives_system_administrator_directly_or_through_a_group(role):
    fx, target, group = await _setup()
    token = await token_for(fx, await make_user(fx, role=role), role)
    admin_group = await groups.create_group(fx.org, "Admins", [], actor=fx.actor, now=NOW)
    await groups.update_group(
        fx.org, str(admin_group.id), product_roles=[("CRM_BASIC", ["SYSTEM_ADMINISTRATOR"])], actor=fx.actor, now=NOW
    )
    calls = [
        (GRANT, {"u": str(target.id), "k": "SYSTEM_ADMINISTRATOR"}, "grantProductRoles"),
        (GROUP_ROLES, {"g": str(group.id), "k": "SYSTEM_ADMINISTRATOR"}, "updateGroup"),
        (ADD, {"g": str(admin_group.id), "u": str(target.id)}, "addGroupMembers"),
    ]
    before = await _state(fx)
    for query, variables, name in calls:
        result = await execute(query, variables, token=token)
        if role is AdminRole.GLOBAL_ADMIN:
            _ok(result, name)
        else:
            _forbidden(result)
    if role is not AdminRole.GLOBAL_ADMIN:
        assert await _state(fx) == before
