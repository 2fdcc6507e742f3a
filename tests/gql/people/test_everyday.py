"""updateUser corrects a user's display name or email (docs/rules.md section 16); deleteUsers deletes 1 to 1000
users at once, all or none, with per-item errors."""

from datetime import timedelta

import pytest

from seatwise.models.core.tables import AdminRole, AuditEvent, Credential, LicenseAssignment, SeatPool, User
from tests.support import NOW, execute, gid, give_licenses, make_org, make_user, token_for

UPDATE = """
mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { user { email displayName } userErrors { code field } }
}"""
DELETE = """
mutation($ids: [ID!]!) {
  deleteUsers(input: {userIds: $ids}) { deletedUsers { id status } preview { totalLosingAccess } userErrors { code field } }
}"""
LATER = NOW + timedelta(hours=1)


async def test_update_user_changes_name_and_email_and_audits_old_and_new():
    fx = await make_org()
    user = await make_user(fx, email="ann@acme.test")
    result = await execute(
        UPDATE, {"input": {"userId": str(user.id), "displayName": "  Ann Lee ", "email": " Ann.Lee@ACME.test "}}, token=fx.token
    )
    assert result.data["updateUser"] == {
        "user": {"email": "ann.lee@acme.test", "displayName": "Ann Lee"},
        "userErrors": [],
    }
    event = await AuditEvent.get(organization_id=fx.org.id, action="user.updated")
    assert event.target_id == str(user.id)
    assert event.details == {
        "email": {"from": "ann@acme.test", "to": "ann.lee@acme.test"},
        "displayName": {"from": "ann", "to": "Ann Lee"},
        "apiToken": "cli",
    }


async def test_update_user_refuses_an_email_taken_in_another_organization():
    fx, other = await make_org(), await make_org("Other")
    await make_user(other, email="taken@other.test")
    user = await make_user(fx, email="ann@acme.test")
    result = await execute(UPDATE, {"input": {"userId": str(user.id), "email": "TAKEN@other.test"}}, token=fx.token)
    assert result.data["updateUser"] == {"user": None, "userErrors": [{"code": "ALREADY_EXISTS", "field": ["input", "email"]}]}
    assert (await User.get(id=user.id)).email == "ann@acme.test"
    assert not await AuditEvent.exists(action="user.updated")


@pytest.mark.parametrize(
    ("field", "value", "code", "path"),
    [
        ("email", "not an email", "INVALID_INPUT", "email"),
        ("displayName", "   ", "INVALID_INPUT", "displayName"),
        ("displayName", "x" * 257, "INVALID_INPUT", "displayName"),
    ],
)
async def test_update_user_refuses_bad_input_naming_the_field(field, value, code, path):
    fx = await make_org()
    user = await make_user(fx, email="ann@acme.test")
    result = await execute(UPDATE, {"input": {"userId": str(user.id), field: value}}, token=fx.token)
    assert result.data["updateUser"]["userErrors"] == [{"code": code, "field": ["input", path]}]
    assert (await User.get(id=user.id)).display_name == "ann"


async def test_update_user_refuses_directory_attributes_of_a_scim_user():
    fx = await make_org()
    user = await make_user(fx, email="ann@acme.test")
    await User.filter(id=user.id).update(user_name="ann@acme.test", user_name_key="ann@acme.test")
    result = await execute(UPDATE, {"input": {"userId": str(user.id), "displayName": "Ann"}}, token=fx.token)
    assert result.data["updateUser"]["userErrors"] == [{"code": "MANAGED_BY_DIRECTORY", "field": ["input", "displayName"]}]
    unchanged = await execute(UPDATE, {"input": {"userId": str(user.id), "displayName": "ann"}}, token=fx.token)
    assert unchanged.data["updateUser"]["userErrors"] == []  # the same value is no change


async def test_update_user_of_a_deleted_or_unknown_user_is_refused():
    fx = await make_org()
    user = await make_user(fx)
    await User.filter(id=user.id).update(deleted_at=NOW)
    deleted = await execute(UPDATE, {"input": {"userId": str(user.id), "displayName": "X"}}, token=fx.token)
    unknown = await execute(UPDATE, {"input": {"userId": "999999999", "displayName": "X"}}, token=fx.token)
    assert deleted.data["updateUser"]["userErrors"] == [{"code": "USER_DELETED", "field": ["input", "userId"]}]
    assert unknown.data["updateUser"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "userId"]}]


@pytest.mark.parametrize("role", [AdminRole.BILLING_ADMIN, AdminRole.READER])
async def test_everyday_mutations_need_the_users_and_licenses_capability(role):
    fx = await make_org()
    user = await make_user(fx, role=role)
    token = await token_for(fx, user, role)
    target = await make_user(fx)
    for document, variables in (
        (UPDATE, {"input": {"userId": str(target.id), "displayName": "X"}}),
        (DELETE, {"ids": [str(target.id)]}),
    ):
        result = await execute(document, variables, token=token)
        assert [e.extensions["code"] for e in result.errors] == ["FORBIDDEN"]
    assert (await User.get(id=target.id)).deleted_at is None


async def test_delete_users_deletes_all_and_frees_their_licenses_in_one_change():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    users = [await make_user(fx, skus=["CRM_BASIC"]) for _ in range(3)]
    await token_for(fx, users[0], AdminRole.READER)
    result = await execute(DELETE, {"ids": [str(u.id) for u in users]}, token=fx.token)
    payload = result.data["deleteUsers"]
    assert payload["userErrors"] == []
    assert payload["deletedUsers"] == [{"id": gid("User", u.id), "status": "DELETED"} for u in users]
    assert (await SeatPool.get(organization_id=fx.org.id, product_id="CRM_BASIC")).assigned == 0
    assert [r.licenses_at_deletion for r in await User.filter(id__in=[u.id for u in users])] == [["CRM_BASIC"]] * 3
    assert not await Credential.exists(user_id=users[0].id, revoked_at=None)
    assert await AuditEvent.filter(organization_id=fx.org.id, action="user.deleted").count() == 3


async def test_delete_users_is_all_or_none_naming_the_item():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 5)
    alive = await make_user(fx, skus=["CRM_BASIC"])
    gone = await make_user(fx)
    await User.filter(id=gone.id).update(deleted_at=NOW)
    cases = [
        ([str(alive.id), str(gone.id)], "USER_DELETED", ["input", "userIds", "1"]),
        ([str(alive.id), "12345678901"], "NOT_FOUND", ["input", "userIds", "1"]),
        ([str(alive.id), "0" + str(alive.id)], "INVALID_INPUT", ["input", "userIds", "1"]),
        ([], "INVALID_INPUT", ["input", "userIds"]),
        ([str(alive.id)] * 1001, "INVALID_INPUT", ["input", "userIds"]),
        ([str(alive.id), str(fx.admin.id)], "LAST_GLOBAL_ADMIN", ["input", "userIds", "1"]),
    ]
    for ids, code, field in cases:
        result = await execute(DELETE, {"ids": ids}, token=fx.token)
        assert result.data["deleteUsers"] == {"deletedUsers": [], "preview": None, "userErrors": [{"code": code, "field": field}]}
    assert (await User.get(id=alive.id)).deleted_at is None
    assert await LicenseAssignment.filter(user_id=alive.id).count() == 1
    assert not await AuditEvent.exists(organization_id=fx.org.id, action="user.deleted")
