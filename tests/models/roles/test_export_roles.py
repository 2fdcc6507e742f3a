"""The exports list each user's effective roles with their sources (docs/rules.md section 14): JSON `roles`, the CSV
`roles` column."""

import csv
import io
import json

from seatwise.models.core.tables import AdminRole, ExportFormat
from seatwise.models.groups import lifecycle as groups
from seatwise.models.groups import members
from seatwise.models.roles import grants
from tests.support import NOW, give_licenses, make_org, make_user
from tests.support_helpers import export_now, read_export


async def _org_with_roles():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    seller = await make_user(fx, email="seller@acme.test")
    boss = await make_user(fx, email="boss@acme.test", role=AdminRole.GLOBAL_ADMIN, skus=["CRM_BASIC"])
    group = await groups.create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    await members.add_members(fx.org, str(group.id), [str(seller.id)], actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_roles=[("CRM_BASIC", ["SALESPERSON"])], actor=fx.actor, now=NOW)
    await grants.grant_roles(fx.org, [str(seller.id)], "CRM_BASIC", ["SALESPERSON", "DELEGATE"], actor=fx.actor, now=NOW)
    return fx, seller, boss, group


async def test_the_json_export_lists_each_users_roles_with_their_sources():
    fx, _, _, group = await _org_with_roles()
    document = json.loads(await read_export(await export_now(fx, ExportFormat.JSON)))
    by_email = {u["email"]: u for u in document["users"]}
    assert by_email["seller@acme.test"]["roles"] == [
        {"product": {"sku": "CRM_BASIC"}, "key": "SALESPERSON", "direct": True, "groups": [str(group.id)], "viaAdminRole": False},
        {"product": {"sku": "CRM_BASIC"}, "key": "DELEGATE", "direct": True, "groups": [], "viaAdminRole": False},
    ]
    assert by_email["boss@acme.test"]["roles"] == [
        {"product": {"sku": "CRM_BASIC"}, "key": "SYSTEM_ADMINISTRATOR", "direct": False, "groups": [], "viaAdminRole": True}
    ]
    assert by_email[fx.admin.email]["roles"] == []


async def test_the_csv_export_has_a_roles_column():
    fx, _, _, group = await _org_with_roles()
    rows = list(csv.reader(io.StringIO((await read_export(await export_now(fx, ExportFormat.CSV))).decode(), newline="")))
    assert rows[0][-1] == "roles"
    table = {row[0]: row[-1] for row in rows[1:]}
    assert table["seller@acme.test"] == f"CRM_BASIC:SALESPERSON(direct+group {group.id});CRM_BASIC:DELEGATE(direct)"
    assert table["boss@acme.test"] == "CRM_BASIC:SYSTEM_ADMINISTRATOR(admin)"
