"""A DIRECTORY group belongs to the directory (docs/rules.md section 19): GraphQL may change the products it grants,
not its name, and may not delete it; the refusal names no request value and changes nothing."""

from seatwise.models.core.tables import AuditEvent, Group
from seatwise.models.scim import groups as scim_groups
from tests.support import NOW, execute, make_org

UPDATE = """mutation($g: ID!, $name: String, $skus: [String!]) {
  updateGroup(input: {groupId: $g, displayName: $name, productSkus: $skus}) {
    group { displayName licenses { product { sku } } } userErrors { code field message } } }"""
DELETE = """mutation($g: ID!) { deleteGroup(input: {groupId: $g}) { deletedGroupId userErrors { code field message } } }"""


async def test_a_directory_group_keeps_its_name_and_existence_but_takes_products():
    fx = await make_org()
    group = await scim_groups.create(fx.org, {"displayName": "Engineering"}, actor=fx.actor, now=NOW)
    renamed = (await execute(UPDATE, {"g": str(group.id), "name": "<script>"}, token=fx.token)).data["updateGroup"]
    assert renamed["group"] is None
    assert [(e["code"], e["field"]) for e in renamed["userErrors"]] == [("MANAGED_BY_DIRECTORY", ["input", "displayName"])]
    assert "<script>" not in renamed["userErrors"][0]["message"]
    deleted = (await execute(DELETE, {"g": str(group.id)}, token=fx.token)).data["deleteGroup"]
    assert deleted["deletedGroupId"] is None
    assert [(e["code"], e["field"]) for e in deleted["userErrors"]] == [("MANAGED_BY_DIRECTORY", ["input", "groupId"])]
    assert (await Group.get(id=group.id)).display_name == "Engineering"
    assert await AuditEvent.filter(organization_id=fx.org.id, action__in=["group.updated", "group.deleted"]).count() == 0
    products = (await execute(UPDATE, {"g": str(group.id), "skus": ["CRM_BASIC"]}, token=fx.token)).data["updateGroup"]
    assert products["userErrors"] == [] and products["group"]["licenses"][0]["product"] == {"sku": "CRM_BASIC"}


async def test_group_errors_quote_no_request_value():
    fx = await make_org()
    missing = (await execute(DELETE, {"g": "999999"}, token=fx.token)).data["deleteGroup"]["userErrors"]
    assert missing[0]["code"] == "NOT_FOUND" and "999999" not in missing[0]["message"]
    create = "mutation($n: String!) { createGroup(input: {displayName: $n}) { userErrors { code message } } }"
    await execute(create, {"n": "<b>Sales</b>"}, token=fx.token)
    taken = (await execute(create, {"n": "<b>sales</b>"}, token=fx.token)).data["createGroup"]["userErrors"]
    assert taken[0]["code"] == "ALREADY_EXISTS" and "sales" not in taken[0]["message"].lower()
