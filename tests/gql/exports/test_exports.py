import hashlib

from seatwise.models.core.tables import AdminRole, AuditEvent, DataExport
from tests.support import error_codes, execute, key_of, make_org, make_user, token_for
from tests.support_helpers import EXPORT, read_export

LIST = "{ dataExports { id format sizeBytes sha256 downloadUrl createdAt } }"


async def test_export_data_reports_size_and_hash_of_the_stored_file():
    fx = await make_org()
    await make_user(fx)
    result = await execute(EXPORT, {"format": "JSON"}, token=fx.token)
    assert result.errors is None
    payload = result.data["exportData"]
    assert payload["userErrors"] == []
    exported = payload["dataExport"]
    assert exported["format"] == "JSON" and exported["downloadUrl"] == f"/exports/{key_of(exported['id'])}"
    body = await read_export(await DataExport.get(id=int(key_of(exported["id"]))))
    assert (len(body), hashlib.sha256(body).hexdigest()) == (exported["sizeBytes"], exported["sha256"])
    assert (await execute(LIST, token=fx.token)).data["dataExports"] == [exported]
    event = await AuditEvent.get(action="data.exported")
    assert (event.target_type, event.target_id, event.actor) == ("DATA_EXPORT", key_of(exported["id"]), fx.admin.email)


async def test_only_billing_roles_may_export_and_every_role_sees_the_list():
    fx = await make_org()
    user_admin = await make_user(fx, role=AdminRole.USER_ADMIN)
    token = await token_for(fx, user_admin, AdminRole.USER_ADMIN)
    assert error_codes(await execute(EXPORT, {"format": "CSV"}, token=token)) == ["FORBIDDEN"]
    assert await DataExport.all().count() == 0
    billing = await make_user(fx, role=AdminRole.BILLING_ADMIN)
    assert (await execute(EXPORT, {"format": "CSV"}, token=await token_for(fx, billing, AdminRole.BILLING_ADMIN))).errors is None
    assert len((await execute(LIST, token=token)).data["dataExports"]) == 1


async def test_data_exports_of_another_organization_are_not_listed():
    acme, other = await make_org("Acme"), await make_org("Other")
    await execute(EXPORT, {"format": "CSV"}, token=acme.token)
    assert (await execute(LIST, token=other.token)).data["dataExports"] == []
