"""Product security roles through the schema (docs/rules.md section 14): the mutations with their userErrors, the
sign-in answer's roles, a user's and a group's roles, a product's roles."""

from seatwise.models.core.tables import AdminRole
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from tests.support import NOW, execute, give_licenses, make_org, make_user

CREATE = """mutation($key: String!, $sku: String!) {
  createProductRole(input: {productSku: $sku, key: $key, name: "Auditor", description: "Reads"}) {
    role { key name description builtIn product { sku } } userErrors { code field } } }"""
UPDATE = """mutation($key: String!) { updateProductRole(input: {productSku: "CRM_BASIC", key: $key, name: "Chief auditor"}) {
  role { key name description } userErrors { code field } } }"""
DELETE = """mutation($key: String!) { deleteProductRole(input: {productSku: "CRM_BASIC", key: $key}) { deletedKey userErrors { code field } } }"""
GRANT = """mutation($u: [ID!]!, $k: [String!]!, $sku: String = "CRM_BASIC") {
  grantProductRoles(input: {userIds: $u, productSku: $sku, roleKeys: $k}) {
    users { email productRoles(productSku: $sku) { role { key } direct viaAdminRole groups { displayName } } }
    userErrors { code field } } }"""
REVOKE = """mutation($u: [ID!]!, $k: [String!]!) { revokeProductRoles(input: {userIds: $u, productSku: "CRM_BASIC", roleKeys: $k}) {
  users { productRoles { role { key } } } userErrors { code field } } }"""
SET_GROUP = """mutation($g: ID!, $roles: [ProductRolesInput!]) { updateGroup(input: {groupId: $g, productRoles: $roles}) {
  group { productRoles { product { sku } roles { key builtIn } } } userErrors { code field } } }"""
SIGN_IN = """query($e: String!, $sku: String!) { accessCheck(email: $e, productSku: $sku) {
  allowed reason roles { role { key name } direct viaAdminRole groups { displayName } } } }"""


async def test_own_roles_are_created_changed_and_deleted_and_shipped_ones_refused():
    fx = await make_org()
    created = (await execute(CREATE, {"key": "AUDITOR", "sku": "CRM_BASIC"}, token=fx.token)).data["createProductRole"]
    assert created == {
        "role": {"key": "AUDITOR", "name": "Auditor", "description": "Reads", "builtIn": False, "product": {"sku": "CRM_BASIC"}},
        "userErrors": [],
    }
    again = (await execute(CREATE, {"key": "AUDITOR", "sku": "CRM_BASIC"}, token=fx.token)).data["createProductRole"]
    assert again == {"role": None, "userErrors": [{"code": "ALREADY_EXISTS", "field": ["input", "key"]}]}
    updated = (await execute(UPDATE, {"key": "AUDITOR"}, token=fx.token)).data["updateProductRole"]
    assert updated["role"] == {"key": "AUDITOR", "name": "Chief auditor", "description": "Reads"}
    shipped = (await execute(DELETE, {"key": "SALESPERSON"}, token=fx.token)).data["deleteProductRole"]
    assert shipped == {"deletedKey": None, "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "key"]}]}
    deleted = (await execute(DELETE, {"key": "AUDITOR"}, token=fx.token)).data["deleteProductRole"]
    assert deleted == {"deletedKey": "AUDITOR", "userErrors": []}
    products = (await execute("{ products { sku roles { key } } }", token=fx.token)).data["products"]
    assert {p["sku"]: len(p["roles"]) for p in products} == {"CRM_PROFESSIONAL": 7, "CRM_BASIC": 7, "CRM_ESSENTIAL": 3}


async def test_grants_answer_the_users_roles_and_name_the_unknown_role():
    fx = await make_org()
    a = await make_user(fx, email="a@acme.example")
    granted = (await execute(GRANT, {"u": [str(a.id)], "k": ["SALESPERSON"]}, token=fx.token)).data["grantProductRoles"]
    assert granted == {
        "users": [
            {
                "email": "a@acme.example",
                "productRoles": [{"role": {"key": "SALESPERSON"}, "direct": True, "viaAdminRole": False, "groups": []}],
            }
        ],
        "userErrors": [],
    }
    unknown = await execute(GRANT, {"u": [str(a.id)], "k": ["DELEGATE", "SALES_MANAGER"], "sku": "CRM_ESSENTIAL"}, token=fx.token)
    assert unknown.data["grantProductRoles"] == {
        "users": [],
        "userErrors": [{"code": "UNKNOWN_ROLE", "field": ["input", "roleKeys", "1"]}],
    }
    revoked = (await execute(REVOKE, {"u": [str(a.id)], "k": ["SALESPERSON"]}, token=fx.token)).data["revokeProductRoles"]
    assert revoked == {"users": [{"productRoles": []}], "userErrors": []}


async def test_a_group_gives_roles_and_a_role_held_only_through_it_is_inherited():
    fx = await make_org()
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
    roles = [{"productSku": "CRM_BASIC", "roleKeys": ["delegate", "SALESPERSON"]}]
    updated = (await execute(SET_GROUP, {"g": str(group.id), "roles": roles}, token=fx.token)).data["updateGroup"]
    assert updated["group"]["productRoles"] == [
        {
            "product": {"sku": "CRM_BASIC"},
            "roles": [{"key": "SALESPERSON", "builtIn": True}, {"key": "DELEGATE", "builtIn": True}],
        }
    ]
    bad = [{"productSku": "CRM_ESSENTIAL", "roleKeys": ["SYSTEM_CUSTOMIZER"]}]
    refused = (await execute(SET_GROUP, {"g": str(group.id), "roles": bad}, token=fx.token)).data["updateGroup"]
    assert refused["userErrors"] == [{"code": "UNKNOWN_ROLE", "field": ["input", "productRoles", "0", "roleKeys", "0"]}]
    inherited = (await execute(REVOKE, {"u": [str(user.id)], "k": ["DELEGATE"]}, token=fx.token)).data["revokeProductRoles"]
    assert inherited["userErrors"] == [{"code": "ROLE_INHERITED", "field": ["input", "userIds", "0"]}]


async def test_the_sign_in_answer_carries_the_roles_only_when_allowed():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    licensed = await make_user(fx, email="in@acme.example", skus=["CRM_BASIC"])
    unlicensed = await make_user(fx, email="out@acme.example")
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(licensed.id)], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    await execute(GRANT, {"u": [str(licensed.id), str(unlicensed.id)], "k": ["SALESPERSON", "DELEGATE"]}, token=fx.token)

    allowed = (await execute(SIGN_IN, {"e": "in@acme.example", "sku": "CRM_BASIC"}, token=fx.token)).data["accessCheck"]
    assert allowed == {
        "allowed": True,
        "reason": None,
        "roles": [
            {
                "role": {"key": "SALESPERSON", "name": "Salesperson"},
                "direct": True,
                "viaAdminRole": False,
                "groups": [{"displayName": "Sales"}],
            },
            {"role": {"key": "DELEGATE", "name": "Delegate"}, "direct": True, "viaAdminRole": False, "groups": []},
        ],
    }
    denied = (await execute(SIGN_IN, {"e": "out@acme.example", "sku": "CRM_BASIC"}, token=fx.token)).data["accessCheck"]
    assert denied == {"allowed": False, "reason": "NO_LICENSE", "roles": []}


async def test_a_global_admin_signs_in_as_system_administrator_and_the_user_shows_it():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    admin = await make_user(fx, email="boss@acme.example", role=AdminRole.GLOBAL_ADMIN, skus=["CRM_BASIC"])
    answer = (await execute(SIGN_IN, {"e": "boss@acme.example", "sku": "CRM_BASIC"}, token=fx.token)).data["accessCheck"]
    assert answer["roles"] == [
        {
            "role": {"key": "SYSTEM_ADMINISTRATOR", "name": "System Administrator"},
            "direct": False,
            "viaAdminRole": True,
            "groups": [],
        }
    ]
    shown = await execute(
        "query($id: ID!) { user(id: $id) { productRoles { role { key product { sku } } viaAdminRole } } }",
        {"id": str(admin.id)},
        token=fx.token,
    )
    assert shown.data["user"]["productRoles"] == [
        {"role": {"key": "SYSTEM_ADMINISTRATOR", "product": {"sku": "CRM_BASIC"}}, "viaAdminRole": True}
    ]
