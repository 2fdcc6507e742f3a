"""Product roles at scale (docs/rules.md section 14): granting roles to 1,000 users, or through a group of 10,000
members, is one request and the same statements as for 10; the sign-in answer with roles costs one statement more
than without; a page of users with their roles costs the same for 40 users as for 5 (BEGIN and COMMIT not counted)."""

import uuid

from tortoise.transactions import in_transaction

from seatwise.models.core.tables import AuditEvent, Group, GroupMember, RoleGrant, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.roles import grants
from tests.support import NOW, count_statements, execute, give_licenses, make_org, make_user

GRANT = """mutation($u: [ID!]!) { grantProductRoles(input: {userIds: $u, productSku: "CRM_BASIC", roleKeys: ["SALESPERSON", "DELEGATE"]}) {
  userErrors { code } } }"""
GROUP_ROLES = """mutation($g: ID!) {
  updateGroup(input: {groupId: $g, productRoles: [{productSku: "CRM_BASIC", roleKeys: ["SALESPERSON", "DELEGATE"]}]}) {
    group { productRoles { roles { key } } } userErrors { code } } }"""
SIGN_IN_LICENSE = 'query($e: String!) { accessCheck(email: $e, productSku: "CRM_BASIC") { allowed reason } }'
SIGN_IN_ROLES = """query($e: String!) { accessCheck(email: $e, productSku: "CRM_BASIC") {
  allowed reason roles { role { key name description builtIn } direct viaAdminRole groups { displayName } } } }"""
USERS_PAGE = """query($n: Int!) { users(first: $n) { edges { node { email
  productRoles { role { key product { sku } } direct viaAdminRole groups { displayName } } } } } }"""


async def _people(fx, count: int) -> list[int]:
    tag = uuid.uuid4().hex[:6]
    async with in_transaction():
        await User.bulk_create(
            [
                User(organization_id=fx.org.id, email=f"p{i}-{tag}@bulk.test", display_name=f"P {i}", created_at=NOW)
                for i in range(count)
            ],
            batch_size=5000,
        )
    return list(
        await User.filter(organization_id=fx.org.id, email__endswith=f"-{tag}@bulk.test")
        .order_by("id")
        .values_list("id", flat=True)
    )


async def _grant_statements(count: int) -> int:
    fx = await make_org()
    ids = await _people(fx, count)
    await execute("{ viewer { role } products { roles { key } } }", token=fx.token)  # the token's first use, the shipped roles
    result, sql = await count_statements(execute(GRANT, {"u": [str(i) for i in ids]}, token=fx.token))
    assert result.data["grantProductRoles"]["userErrors"] == []
    assert await RoleGrant.filter(organization_id=fx.org.id).count() == 2 * count
    return len(sql)


async def test_granting_roles_to_1000_users_costs_the_statements_of_10():
    ten, thousand = await _grant_statements(10), await _grant_statements(1000)
    # 4 of them the event log: the counter, the rows, and the event data's user and pool states (rules.md section 15)
    assert ten == thousand <= 12, (ten, thousand)


async def _group_statements(count: int) -> int:
    fx = await make_org()
    ids = await _people(fx, count)
    group = await groups.create_group(fx.org, "Everyone", [], actor=fx.actor, now=NOW)
    await GroupMember.bulk_create([GroupMember(group_id=group.id, user_id=uid) for uid in ids], batch_size=5000)
    await execute("{ viewer { role } products { roles { key } } }", token=fx.token)
    result, sql = await count_statements(execute(GROUP_ROLES, {"g": str(group.id)}, token=fx.token))
    assert result.data["updateGroup"]["userErrors"] == []
    assert await AuditEvent.filter(organization_id=fx.org.id, action="role.granted").count() == count
    return len(sql)


async def test_a_group_of_10000_members_gains_roles_in_the_statements_of_a_group_of_10():
    ten, ten_thousand = await _group_statements(10), await _group_statements(10_000)
    assert ten == ten_thousand <= 22, (ten, ten_thousand)  # 6 of them the event data's states (rules.md section 15)


async def test_the_sign_in_answer_with_roles_costs_one_statement_more_than_without():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx, email="in@acme.example", skus=["CRM_BASIC"])
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await GroupMember.create(group_id=group.id, user_id=user.id)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    await grants.grant_roles(fx.org, [str(user.id)], "CRM_BASIC", ["DELEGATE", "SALESPERSON"], actor=fx.actor, now=NOW)
    await execute(SIGN_IN_ROLES, {"e": "in@acme.example"}, token=fx.token)  # the token's first use and the shipped roles, once
    plain, plain_sql = await count_statements(execute(SIGN_IN_LICENSE, {"e": "in@acme.example"}, token=fx.token))
    with_roles, roles_sql = await count_statements(execute(SIGN_IN_ROLES, {"e": "in@acme.example"}, token=fx.token))
    assert plain.data["accessCheck"]["allowed"] is with_roles.data["accessCheck"]["allowed"] is True
    assert [r["role"]["key"] for r in with_roles.data["accessCheck"]["roles"]] == ["SALESPERSON", "DELEGATE"]
    assert len(roles_sql) == len(plain_sql) + 1, (len(plain_sql), len(roles_sql))


async def _page_statements(fx, size: int) -> int:
    result, sql = await count_statements(execute(USERS_PAGE, {"n": size}, token=fx.token))
    assert result.errors is None and len(result.data["users"]["edges"]) == size
    return len(sql)


async def test_a_page_of_40_users_with_their_roles_costs_the_statements_of_a_page_of_5():
    fx = await make_org()
    ids = await _people(fx, 45)
    group = await Group.create(organization_id=fx.org.id, display_name="Team", name_key="team", created_at=NOW)
    await GroupMember.bulk_create([GroupMember(group_id=group.id, user_id=uid) for uid in ids])
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["DELEGATE"])], actor=fx.actor, now=NOW)
    await grants.grant_roles(fx.org, [str(i) for i in ids], "CRM_BASIC", ["SALESPERSON"], actor=fx.actor, now=NOW)
    await execute("{ viewer { role } }", token=fx.token)
    assert await _page_statements(fx, 5) == await _page_statements(fx, 40)
