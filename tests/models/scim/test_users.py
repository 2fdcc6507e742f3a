"""SCIM Users onto Seatwise users: what is kept and read back, the Seatwise email, uniqueness, deactivation and
reactivation through deleteUser/restoreUser (licenses to the waitlist), DELETE, and audit."""

from datetime import timedelta

import pytest

from seatwise.models.core.tables import AdminRole, AuditEvent, Credential, CredentialKind, LicenseAssignment, LicenseWait, User
from seatwise.models.groups import lifecycle as groups
from seatwise.models.people import credentials, deletion
from seatwise.models.scim import directory, user_resource
from seatwise.models.scim import groups as scim_groups
from seatwise.models.scim import users as scim_users
from seatwise.models.scim.errors import ScimError
from tests.group_support import check_group_invariants
from tests.support import NOW, execute, give_licenses, make_org, make_user

FULL = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "userName": "Alice.Adams@Acme.test",
    "externalId": "00u1ABC",
    "name": {"givenName": "Alice", "familyName": "Adams", "formatted": "Ms Alice Adams", "middleName": "ignored"},
    "displayName": "Alice A.",
    "emails": [
        {"value": "home@alice.test", "type": "home"},
        {"value": "Alice@Acme.test", "type": "work", "primary": "True"},
    ],
    "active": True,
    "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
    "password": "never-stored-by-scim",
}


def scim_actor(fx):
    from dataclasses import replace

    return replace(fx.actor, via="scim")


async def create(fx, body):
    return await scim_users.create(fx.org, body, actor=scim_actor(fx), now=NOW, wall=NOW)


async def patch(fx, user, *operations, now=NOW):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}
    return await scim_users.patch(fx.org, str(user.id), body, actor=scim_actor(fx), now=now, wall=now)


async def test_every_kept_attribute_reads_back_as_written_and_the_rest_is_ignored():
    fx = await make_org()
    user = await create(fx, FULL)
    found = user_resource.resource(user, "https://seats.test/scim/v2")
    assert found["userName"] == "Alice.Adams@Acme.test" and found["externalId"] == "00u1ABC"
    assert found["name"] == {"givenName": "Alice", "familyName": "Adams", "formatted": "Ms Alice Adams"}
    assert found["displayName"] == "Alice A." and found["active"] is True
    assert found["emails"] == [
        {"value": "home@alice.test", "type": "home"},
        {"value": "Alice@Acme.test", "type": "work", "primary": True},
    ]
    assert set(found) == {"schemas", "id", "externalId", "userName", "name", "displayName", "emails", "active", "meta"}
    assert found["meta"]["location"] == f"https://seats.test/scim/v2/Users/{user.id}"
    assert user.email == "alice@acme.test"  # the primary email, section 4 rules
    assert user.password_hash is None and user.admin_role is None


@pytest.mark.parametrize(
    ("body", "email", "display_name"),
    [
        ({"userName": "u1", "emails": [{"value": "first@acme.test"}, {"value": "second@acme.test"}]}, "first@acme.test", "u1"),
        ({"userName": "Bob@Acme.test", "name": {"formatted": "Bob B"}}, "bob@acme.test", "Bob B"),
        (
            {"userName": "carol@acme.test", "name": {"givenName": "Carol", "familyName": "Clark"}},
            "carol@acme.test",
            "Carol Clark",
        ),
    ],
)
async def test_email_and_display_name_fall_back_as_the_rules_say(body, email, display_name):
    fx = await make_org()
    user = await create(fx, body)
    assert (user.email, user.display_name) == (email, display_name)


@pytest.mark.parametrize(
    "body",
    [
        {"userName": "no-email-anywhere"},
        {"userName": "u", "emails": [{"value": "not an email", "primary": True}]},
        {"userName": "tab\there@acme.test"},
        {"userName": "u@acme.test", "displayName": "line\nbreak"},
        {"userName": "u@acme.test", "externalId": "x" * 257},
        {"userName": "   "},
        {"userName": 12},
        {"userName": "u@acme.test", "active": "maybe"},
        {"userName": "u@acme.test", "name": "not an object"},
        ["not", "an", "object"],
    ],
)
async def test_invalid_values_are_400_invalid_value_and_create_nothing(body):
    fx = await make_org()
    with pytest.raises(ScimError) as refused:
        await create(fx, body)
    assert (refused.value.status, refused.value.scim_type) == (400, "invalidValue")
    assert await User.filter(organization_id=fx.org.id).count() == 1


async def test_username_is_unique_in_the_organization_ignoring_case_and_email_across_seatwise():
    fx = await make_org()
    await create(fx, {"userName": "dup", "emails": [{"value": "one@acme.test"}]})
    for body in (
        {"userName": "DUP", "emails": [{"value": "two@acme.test"}]},
        {"userName": "other", "emails": [{"value": "ONE@acme.test"}]},
        {"userName": fx.admin.email.upper()},  # a Seatwise user's userName is its email
    ):
        with pytest.raises(ScimError) as refused:
            await create(fx, body)
        assert (refused.value.status, refused.value.scim_type) == (409, "uniqueness")
    elsewhere = await make_org("Other")
    await scim_users.create(
        elsewhere.org, {"userName": "dup", "emails": [{"value": "three@other.test"}]}, actor=elsewhere.actor, now=NOW, wall=NOW
    )


async def test_deactivation_frees_licenses_to_the_waitlist_and_reactivation_restores():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    group, _ = await directory.directory_change(fx.org, None, display_name="Sales", actor=fx.actor, now=NOW)
    await groups.update_group(fx.org, str(group.id), product_skus=["CRM_BASIC"], actor=fx.actor, now=NOW)
    leaver = await create(fx, {"userName": "leaver@acme.test"})
    waiter = await create(fx, {"userName": "waiter@acme.test"})
    await credentials.issue_credential(leaver, CredentialKind.SESSION, AdminRole.READER, now=NOW)
    await scim_groups.patch(
        fx.org,
        str(group.id),
        {"Operations": [{"op": "add", "path": "members", "value": [{"value": str(leaver.id)}, {"value": str(waiter.id)}]}]},
        actor=scim_actor(fx),
        now=NOW,
    )
    assert await LicenseAssignment.exists(user_id=leaver.id) and await LicenseWait.exists(user_id=waiter.id)

    leaver = await patch(fx, leaver, {"op": "Replace", "path": "active", "value": "False"})
    assert user_resource.resource(leaver, "")["active"] is False and leaver.deleted_at is not None
    assert await LicenseAssignment.exists(user_id=waiter.id) and not await LicenseWait.exists(user_id=waiter.id)
    assert not await Credential.filter(user_id=leaver.id, revoked_at=None).exists()
    check = await execute(
        '{ accessCheck(email: "leaver@acme.test", productSku: "CRM_BASIC") { allowed reason } }', token=fx.token
    )
    assert check.data["accessCheck"] == {"allowed": False, "reason": "ACCOUNT_DELETED"}
    deleted = await AuditEvent.get(action="user.deleted", target_id=str(leaver.id))
    assert deleted.actor == fx.admin.email and deleted.details["via"] == "scim"
    await check_group_invariants(fx.org.id)

    leaver = await patch(fx, leaver, {"op": "replace", "value": {"active": True}}, now=NOW + timedelta(days=1))
    assert leaver.deleted_at is None
    assert await LicenseWait.exists(user_id=leaver.id)  # the group asks again; the license went to the waiter
    await check_group_invariants(fx.org.id)


async def test_reactivating_a_former_admin_brings_the_person_back_without_role_or_password():
    fx = await make_org()
    admin = await make_user(fx, role=AdminRole.USER_ADMIN, password="a long enough password")
    await patch(fx, admin, {"op": "replace", "path": "active", "value": False})
    admin = await patch(fx, admin, {"op": "replace", "path": "active", "value": True})
    assert admin.deleted_at is None and admin.admin_role is None and admin.password_hash is None
    changed = await AuditEvent.get(action="user.admin_role_changed", target_id=str(admin.id))
    assert changed.details["from"] == "USER_ADMIN" and changed.details["to"] is None and changed.details["via"] == "scim"


async def test_okta_put_with_active_false_deactivates():
    fx = await make_org()
    user = await create(fx, {"userName": "okta@acme.test", "name": {"givenName": "O", "familyName": "K"}})
    body = {"userName": "okta@acme.test", "name": {"givenName": "O", "familyName": "K"}, "active": False}
    user = await scim_users.replace(fx.org, str(user.id), body, actor=scim_actor(fx), now=NOW, wall=NOW)
    assert user.deleted_at is not None and (await scim_users.get(fx.org, str(user.id))).id == user.id


async def test_a_put_without_active_keeps_a_deactivated_user_deactivated():
    fx = await make_org()
    user = await create(fx, {"userName": "off@acme.test", "active": False})
    user = await scim_users.replace(
        fx.org, str(user.id), {"userName": "off@acme.test", "externalId": "x"}, actor=fx.actor, now=NOW, wall=NOW
    )
    assert user.deleted_at is not None and user.external_id == "x"


async def test_a_patch_that_changes_nothing_writes_nothing():
    fx = await make_org()
    user = await create(fx, FULL)
    before = await AuditEvent.filter(organization_id=fx.org.id).count()
    for _ in range(2):
        same = await patch(
            fx,
            user,
            {"op": "Replace", "path": "displayName", "value": "Alice A."},
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "Alice@Acme.test"},
        )
    assert await AuditEvent.filter(organization_id=fx.org.id).count() == before
    assert same.last_modified == user.last_modified


async def test_renaming_changes_the_seatwise_email_and_is_audited():
    fx = await make_org()
    user = await create(fx, {"userName": "old@acme.test", "externalId": "e"})
    user = await patch(fx, user, {"op": "replace", "path": "userName", "value": "new@acme.test"})
    assert user.email == "new@acme.test" and user.user_name == "new@acme.test"
    event = await AuditEvent.get(action="user.updated", target_id=str(user.id))
    assert event.details["changed"] == ["userName"] and event.details["via"] == "scim"


async def test_delete_hides_the_resource_and_a_graphql_restore_brings_it_back():
    fx = await make_org()
    user = await create(fx, {"userName": "gone@acme.test"})
    await scim_users.delete(fx.org, str(user.id), actor=scim_actor(fx), now=NOW, wall=NOW)
    with pytest.raises(ScimError) as missing:
        await scim_users.get(fx.org, str(user.id))
    assert missing.value.status == 404
    assert (await scim_users.page(fx.org, 'userName eq "gone@acme.test"', 1, 10))[1] == 0
    await deletion.restore_user(fx.org, str(user.id), actor=fx.actor, now=NOW + timedelta(days=2))
    assert (await scim_users.get(fx.org, str(user.id))).deleted_at is None


async def test_delete_of_a_deactivated_user_hides_it():
    fx = await make_org()
    user = await create(fx, {"userName": "off@acme.test", "active": False})
    assert user.deleted_at is not None
    await scim_users.delete(fx.org, str(user.id), actor=scim_actor(fx), now=NOW, wall=NOW)
    with pytest.raises(ScimError):
        await scim_users.get(fx.org, str(user.id))


async def test_graphql_user_external_id_is_the_stored_value():
    fx = await make_org()
    user = await create(fx, {"userName": "ext@acme.test", "externalId": "abc-123"})
    result = await execute("query($id: ID!) { user(id: $id) { externalId } }", {"id": str(user.id)}, token=fx.token)
    assert result.errors is None and result.data["user"]["externalId"] == "abc-123"


async def test_deactivating_the_last_global_admin_with_other_changes_is_refused_and_changes_nothing():
    fx = await make_org()
    before = await User.get(id=fx.admin.id)
    events = await AuditEvent.filter(organization_id=fx.org.id).count()

    with pytest.raises(ScimError) as refused:
        await patch(
            fx,
            fx.admin,
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "replace", "path": "active", "value": False},
        )

    assert refused.value.status == 400
    after = await User.get(id=fx.admin.id)
    assert (after.display_name, after.deleted_at) == (before.display_name, None)
    assert await AuditEvent.filter(organization_id=fx.org.id).count() == events


async def test_removing_active_keeps_a_deactivated_user_deactivated():
    fx = await make_org()
    user = await create(fx, {"userName": "gone@acme.test", "active": False})

    await patch(fx, user, {"op": "remove", "path": "active"})

    assert (await User.get(id=user.id)).deleted_at is not None


async def test_too_many_emails_and_names_that_grow_when_lower_cased_are_invalid_values():
    fx = await make_org()
    for body in (
        {"userName": "many@acme.test", "emails": [{"value": f"a{i}@acme.test"} for i in range(101)]},
        {"userName": "\u0130" * 256, "emails": [{"value": "dotted@acme.test"}]},
    ):
        with pytest.raises(ScimError) as refused:
            await create(fx, body)
        assert refused.value.scim_type == "invalidValue"
    assert await User.filter(organization_id=fx.org.id).count() == 1


async def test_adding_many_emails_in_many_operations_takes_linear_time():
    fx = await make_org()
    user = await create(fx, {"userName": "lin@acme.test"})
    emails = [{"value": f"e{i}@acme.test"} for i in range(20_000)]

    with pytest.raises(ScimError) as refused:  # deduplicated in one pass, then refused for the count
        await patch(
            fx, user, {"op": "replace", "path": "emails", "value": emails}, {"op": "add", "path": "emails", "value": emails}
        )

    assert refused.value.scim_type == "invalidValue"
