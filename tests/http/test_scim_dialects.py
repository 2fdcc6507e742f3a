"""What real directories send to `/scim/v2`, request by request, over real HTTP.

The bodies are those Microsoft Entra ID's provisioning service and Okta send, as their published guides show
them: Entra's "Develop and plan provisioning for a SCIM endpoint" request samples and its "Known issues and
resolutions with SCIM 2.0 protocol compliance" list (PascalCase `op`, booleans as "True"/"False" strings, a
PATCH without `path` whose value object is keyed by attribute paths, member removal by a value array or by a
`members[value eq "..."]` path), and Okta's "SCIM 2.0" guide (existence check with startIndex and count,
create with a password and `groups`, deactivation by PATCH value object or by PUT of the whole resource, group
push with `id` in the value object). Each test asserts the answer and the state it leaves (read back over
SCIM, and in the database where SCIM cannot show it: licenses, deletion, the audit trail).
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from seatwise.models.core.tables import AdminRole, AuditEvent, Group, GroupSource, LicenseAssignment, LicenseWait, User
from seatwise.models.events.audit import AuditAction
from seatwise.models.groups import lifecycle as groups
from seatwise.models.seats import licenses as seats
from tests.scim_http_support import (
    ENTERPRISE_SCHEMA,
    ERROR_SCHEMA,
    GROUP_SCHEMA,
    LIST_SCHEMA,
    SCIM_JSON,
    USER_SCHEMA,
    Scim,
    member_ids,
    ok,
    scim_events,
    scim_org,
    work_email,
)
from tests.support import NOW, Server, give_licenses, make_user

ADSCIM_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


@pytest.fixture
async def org():
    return await scim_org()


@pytest.fixture
async def scim(server, org):
    async with httpx.AsyncClient(timeout=30) as client:
        yield Scim(client, server.url, org.scim_token)


def entra_user(user_name: str, email: str, *, given: str = "Ellen", family: str = "Reckert") -> dict:
    """The create body of Entra's request samples, with the enterprise extension Entra maps by default."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId": str(uuid.uuid4()),
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "roles": [],
        ENTERPRISE_SCHEMA: {"employeeNumber": "100009", "department": "Human Resources US"},
    }


def okta_user(user_name: str, *, given: str = "Test", family: str = "User", active: bool = True) -> dict:
    """The create body of Okta's SCIM 2.0 guide (with "Sync password" on, Okta sends a password)."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq-not-kept",
        "active": active,
    }


async def db_user(scim_id: str) -> User:
    return await User.get(id=int(scim_id))


async def licensed(org, user_id: str, sku: str = "CRM_BASIC") -> None:
    await give_licenses(org.fx, sku, 5)
    await seats.assign_license(org.fx.org, user_id, sku, actor=org.fx.actor, now=NOW)


async def licenses_of(scim_id: str) -> list[str]:
    return sorted(await LicenseAssignment.filter(user_id=int(scim_id)).values_list("product_id", flat=True))


# ---------------------------------------------------------------- Microsoft Entra ID: users


async def test_entra_test_connection_looks_up_a_random_user_name_and_gets_an_empty_list(scim):
    response = await scim.get("/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'})
    body = ok(response)
    assert response.headers["content-type"].startswith(SCIM_JSON)
    assert body["schemas"] == [LIST_SCHEMA]
    assert body["totalResults"] == 0 and body.get("Resources", []) == []


async def test_entra_create_is_a_user_name_lookup_then_a_post_with_the_enterprise_extension(scim, org):
    assert await scim.find_user("ellen.reckert@contoso.test") == []
    response = await scim.post("/Users", entra_user("ellen.reckert@contoso.test", "Ellen.Reckert@contoso.test"))
    created = ok(response, 201)
    assert response.headers["location"].endswith(f"/scim/v2/Users/{created['id']}")
    assert created["userName"] == "ellen.reckert@contoso.test" and created["active"] is True
    assert created["meta"]["resourceType"] == "User" and created["meta"]["location"] == response.headers["location"]
    found = await scim.find_user("ellen.reckert@contoso.test")
    assert [user["id"] for user in found] == [created["id"]]
    user = await db_user(created["id"])
    assert user.organization_id == org.fx.org.id and user.deleted_at is None
    assert user.email == "ellen.reckert@contoso.test" and user.display_name == "Ellen Reckert"
    assert user.password_hash is None and user.admin_role is None
    [event] = await scim_events(org.fx.org.id, AuditAction.USER_CREATED)
    assert event.actor == org.owner and event.target_id == created["id"]


async def test_entra_lookup_with_plus_encoded_spaces_in_the_filter(scim):
    # What Entra's provisioning logs show on the wire: GET /Users?filter=userName+eq+"dale.mohr%40contoso.test"
    created = await scim.create_user("dale.mohr@contoso.test")
    response = await scim.client.get(f'{scim.base}/Users?filter=userName+eq+"dale.mohr%40contoso.test"', headers=scim.headers)
    body = ok(response)
    assert [user["id"] for user in body["Resources"]] == [created["id"]]


async def test_entra_matches_on_external_id(scim):
    object_id = str(uuid.uuid4())
    created = await scim.create_user("matched@contoso.test", externalId=object_id)
    body = ok(await scim.get("/Users", params={"filter": f'externalId eq "{object_id}"'}))
    assert [user["id"] for user in body["Resources"]] == [created["id"]] and body["Resources"][0]["externalId"] == object_id


async def test_entra_patch_replaces_the_work_email_and_the_family_name_by_path(scim):
    created = ok(await scim.post("/Users", entra_user("jdoe@contoso.test", "jdoe@contoso.test", given="Jane", family="Doe")), 201)
    operations = [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "jane.smith@contoso.test"},
        {"op": "Replace", "path": "name.familyName", "value": "Smith"},
    ]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert work_email(patched) == "jane.smith@contoso.test" and patched["name"]["familyName"] == "Smith"
    assert patched["name"]["givenName"] == "Jane" and patched["userName"] == "jdoe@contoso.test"
    read = ok(await scim.get(f"/Users/{created['id']}"))
    assert work_email(read) == "jane.smith@contoso.test" and read["name"]["familyName"] == "Smith"
    assert (await db_user(created["id"])).email == "jane.smith@contoso.test"


async def test_entra_patch_add_on_a_filtered_email_path_changes_the_work_email(scim):
    # Entra sends "Add" (not "Replace") when the mapped mail attribute changes.
    created = ok(await scim.post("/Users", entra_user("joe@contoso.test", "joe@contoso.test")), 201)
    operations = [
        {"op": "Replace", "path": "title", "value": "tester"},
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "joe.new@contoso.test"},
    ]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert [e["value"] for e in patched["emails"]] == ["joe.new@contoso.test"]
    assert (await db_user(created["id"])).email == "joe.new@contoso.test"


async def test_entra_patch_replaces_the_user_name(scim):
    created = ok(await scim.post("/Users", entra_user("old.name@contoso.test", "old.name@contoso.test")), 201)
    operations = [{"op": "Replace", "path": "userName", "value": "new.name@contoso.test"}]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert patched["userName"] == "new.name@contoso.test"
    assert [u["id"] for u in await scim.find_user("new.name@contoso.test")] == [created["id"]]
    assert await scim.find_user("old.name@contoso.test") == []


async def test_entra_patch_without_path_takes_a_value_object_keyed_by_attribute_paths(scim):
    # Entra's multi-attribute update once the SCIM compliance flag (aadOptscim062020) is on.
    created = ok(await scim.post("/Users", entra_user("pvlo@contoso.test", "pvlo@contoso.test")), 201)
    operations = [
        {
            "op": "replace",
            "value": {
                "displayName": "Pvlo Gtfd",
                'emails[type eq "work"].value': "pvlo.gtfd@contoso.test",
                "name.givenName": "Gtfd",
                "name.familyName": "Pkqf",
                "externalId": "Eqpj",
                f"{ENTERPRISE_SCHEMA}:employeeNumber": "Eqpj",
            },
        }
    ]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert patched["displayName"] == "Pvlo Gtfd" and patched["externalId"] == "Eqpj"
    assert patched["name"]["givenName"] == "Gtfd" and patched["name"]["familyName"] == "Pkqf"
    assert work_email(patched) == "pvlo.gtfd@contoso.test"
    user = await db_user(created["id"])
    assert user.display_name == "Pvlo Gtfd" and user.email == "pvlo.gtfd@contoso.test"


async def test_entra_patch_of_multiple_attributes_by_path_before_the_compliance_flag(scim):
    created = ok(await scim.post("/Users", entra_user("multi@contoso.test", "multi@contoso.test")), 201)
    operations = [
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "TestBcwqnm@contoso.test"},
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {"op": "Replace", "path": f"{ENTERPRISE_SCHEMA}:employeeNumber", "value": "Eqpj"},
    ]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert patched["displayName"] == "Pvlo" and patched["externalId"] == "Eqpj"
    assert patched["name"] == {**patched["name"], "givenName": "Gtfd", "familyName": "Pkqf"}
    assert (work_email(patched) or "").lower() == "testbcwqnm@contoso.test"
    assert (await db_user(created["id"])).email == "testbcwqnm@contoso.test"


async def test_entra_add_of_a_single_string_attribute_as_a_value_array_before_the_compliance_flag(scim):
    created = ok(await scim.post("/Users", entra_user("babs@contoso.test", "babs@contoso.test")), 201)
    operations = [{"op": "Add", "path": "displayName", "value": [{"value": "Babs"}]}]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert patched["displayName"] == "Babs"
    assert (await db_user(created["id"])).display_name == "Babs"


async def test_entra_manager_of_the_enterprise_extension_is_accepted_and_ignored(scim):
    manager = ok(await scim.post("/Users", entra_user("boss@contoso.test", "boss@contoso.test")), 201)
    report = ok(await scim.post("/Users", entra_user("report@contoso.test", "report@contoso.test")), 201)
    added = await scim.patch(
        f"/Users/{report['id']}",
        [{"op": "Add", "path": f"{ENTERPRISE_SCHEMA}:manager", "value": manager["id"]}],
    )
    ok(added)
    removed = await scim.patch(f"/Users/{report['id']}", [{"op": "Remove", "path": f"{ENTERPRISE_SCHEMA}:manager"}])
    ok(removed)
    read = ok(await scim.get(f"/Users/{report['id']}"))
    assert read["userName"] == "report@contoso.test" and read["active"] is True


async def test_entra_default_mappings_seatwise_does_not_keep_are_accepted_and_ignored(scim):
    # Entra's default user mappings also send phone numbers, addresses, a title and app roles (with "True" strings).
    created = ok(await scim.post("/Users", entra_user("mapped@contoso.test", "mapped@contoso.test")), 201)
    operations = [
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 425 555 0100"},
        {"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "1 Microsoft Way"},
        {"op": "Replace", "path": "title", "value": "Sales Lead"},
        {
            "op": "Add",
            "path": "roles",
            "value": [{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "User"}],
        },
        {"op": "Replace", "path": "preferredLanguage", "value": "en-US"},
    ]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert not {"phoneNumbers", "addresses", "title", "roles", "preferredLanguage"} & set(patched)
    assert patched["userName"] == "mapped@contoso.test" and patched["active"] is True


async def test_entra_reactivating_a_former_admin_brings_the_person_back_without_the_role(scim, org):
    admin = await make_user(org.fx, role=AdminRole.USER_ADMIN, email="former.admin@acme.test")
    ok(await scim.patch(f"/Users/{admin.id}", [{"op": "Replace", "path": "active", "value": "False"}]))
    patched = ok(await scim.patch(f"/Users/{admin.id}", [{"op": "Replace", "path": "active", "value": "True"}]))
    assert patched["active"] is True
    user = await User.get(id=admin.id)
    assert user.deleted_at is None and user.admin_role is None
    assert [e.actor for e in await scim_events(org.fx.org.id, AuditAction.USER_RESTORED)] == [org.owner]


async def test_entra_disables_with_the_string_false_and_the_licenses_are_freed(scim, org):
    created = ok(await scim.post("/Users", entra_user("leaver@contoso.test", "leaver@contoso.test")), 201)
    await licensed(org, created["id"])
    operations = [{"op": "Replace", "path": "active", "value": "False"}]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert patched["active"] is False
    user = await db_user(created["id"])
    assert user.deleted_at is not None and await licenses_of(created["id"]) == []
    read = ok(await scim.get(f"/Users/{created['id']}"))
    assert read["active"] is False
    [event] = await scim_events(org.fx.org.id, AuditAction.USER_DELETED)
    assert event.actor == org.owner and event.target_id == created["id"]


async def test_entra_disables_with_a_boolean_and_lowercase_op_after_the_compliance_flag(scim):
    created = ok(await scim.post("/Users", entra_user("flagged@contoso.test", "flagged@contoso.test")), 201)
    patched = ok(await scim.patch(f"/Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}]))
    assert patched["active"] is False and (await db_user(created["id"])).deleted_at is not None


async def test_entra_enables_a_disabled_user_with_the_string_true_and_gets_the_licenses_back(scim, org):
    created = ok(await scim.post("/Users", entra_user("returner@contoso.test", "returner@contoso.test")), 201)
    await licensed(org, created["id"])
    ok(await scim.patch(f"/Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "False"}]))
    patched = ok(await scim.patch(f"/Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "True"}]))
    assert patched["active"] is True
    assert (await db_user(created["id"])).deleted_at is None and await licenses_of(created["id"]) == ["CRM_BASIC"]
    [event] = await scim_events(org.fx.org.id, AuditAction.USER_RESTORED)
    assert event.actor == org.owner


async def test_entra_repeated_patch_that_changes_nothing_answers_200_and_writes_no_audit_event(scim, org):
    created = ok(await scim.post("/Users", entra_user("same@contoso.test", "same@contoso.test")), 201)
    operations = [
        {"op": "Replace", "path": "displayName", "value": "Same Person"},
        {"op": "Replace", "path": "active", "value": "True"},
    ]
    first = ok(await scim.patch(f"/Users/{created['id']}", operations))
    events = await AuditEvent.filter(organization_id=org.fx.org.id).count()
    again = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert again["displayName"] == first["displayName"] == "Same Person"
    assert await AuditEvent.filter(organization_id=org.fx.org.id).count() == events


async def test_entra_delete_answers_204_and_the_user_is_gone_from_scim(scim, org):
    created = ok(await scim.post("/Users", entra_user("gone@contoso.test", "gone@contoso.test")), 201)
    await licensed(org, created["id"])
    deleted = await scim.delete(f"/Users/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = await scim.get(f"/Users/{created['id']}")
    assert missing.status_code == 404
    assert missing.json()["schemas"] == [ERROR_SCHEMA] and missing.json()["status"] == "404"
    assert await scim.find_user("gone@contoso.test") == []
    user = await db_user(created["id"])
    assert user.deleted_at is not None and await licenses_of(created["id"]) == []


async def test_entra_disable_then_delete_of_a_soft_deleted_user(scim):
    # Unassigning from the app disables; deleting in Entra 30 days later sends DELETE to the disabled user.
    created = ok(await scim.post("/Users", entra_user("twostep@contoso.test", "twostep@contoso.test")), 201)
    ok(await scim.patch(f"/Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "False"}]))
    assert (await scim.delete(f"/Users/{created['id']}")).status_code == 204
    assert (await scim.get(f"/Users/{created['id']}")).status_code == 404


async def test_entra_create_of_an_existing_user_name_is_a_409_uniqueness_error(scim):
    ok(await scim.post("/Users", entra_user("dup@contoso.test", "dup@contoso.test")), 201)
    again = await scim.post("/Users", entra_user("DUP@contoso.test", "dup.other@contoso.test"))
    assert again.status_code == 409
    assert again.json()["schemas"] == [ERROR_SCHEMA] and again.json()["scimType"] == "uniqueness"


# ---------------------------------------------------------------- Microsoft Entra ID: groups


def entra_group(display_name: str) -> dict:
    """Entra's group create sample: its own (non-standard) schema URI beside the core one, no members."""
    return {
        "schemas": [GROUP_SCHEMA, ADSCIM_GROUP_SCHEMA],
        "externalId": str(uuid.uuid4()),
        "displayName": display_name,
        "meta": {"resourceType": "Group"},
    }


async def test_entra_creates_a_group_with_its_microsoft_schema_uri_as_a_directory_group(scim, org):
    body = entra_group("Sales")
    response = await scim.post("/Groups", body)
    created = ok(response, 201)
    assert created["displayName"] == "Sales" and created["externalId"] == body["externalId"]
    assert created.get("members", []) == [] and response.headers["location"].endswith(f"/Groups/{created['id']}")
    group = await Group.get(id=int(created["id"]))
    assert group.organization_id == org.fx.org.id and group.source == GroupSource.DIRECTORY


async def test_entra_looks_up_a_group_by_display_name_excluding_members(scim):
    group = await scim.create_group("Marketing", [(await scim.create_user("m1@contoso.test"))["id"]])
    response = await scim.get("/Groups", params={"excludedAttributes": "members", "filter": 'displayName eq "Marketing"'})
    body = ok(response)
    assert body["totalResults"] == 1
    [found] = body["Resources"]
    assert found["id"] == group["id"] and found["displayName"] == "Marketing" and "members" not in found


async def test_entra_reads_a_group_by_id_excluding_members(scim):
    group = await scim.create_group("Finance", [(await scim.create_user("f1@contoso.test"))["id"]])
    read = ok(await scim.get(f"/Groups/{group['id']}", params={"excludedAttributes": "members"}))
    assert read["id"] == group["id"] and "members" not in read
    full = ok(await scim.get(f"/Groups/{group['id']}"))
    assert len(full["members"]) == 1


async def test_entra_validator_group_lookups_and_a_duplicate_group_is_409(scim):
    # Microsoft's SCIM Validator: filter for a missing group, create it, filter for it, create it again.
    missing = ok(await scim.get("/Groups", params={"excludedAttributes": "members", "filter": 'displayName eq "Validators"'}))
    assert missing["totalResults"] == 0 and missing.get("Resources", []) == []
    created = ok(await scim.post("/Groups", entra_group("Validators")), 201)
    found = ok(await scim.get("/Groups", params={"excludedAttributes": "members", "filter": 'displayName eq "Validators"'}))
    assert [g["id"] for g in found["Resources"]] == [created["id"]]
    again = await scim.post("/Groups", entra_group("validators"))
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"


async def test_entra_renames_a_group_with_replace_of_display_name(scim, org):
    group = ok(await scim.post("/Groups", entra_group("Old Name")), 201)
    patched = await scim.patch(f"/Groups/{group['id']}", [{"op": "Replace", "path": "displayName", "value": "New Name"}])
    # RFC 7644 section 3.5.2: 200 with the entire resource (a server MAY answer 204 instead; Seatwise always
    # answers the resource, so the directory reads the result without another GET).
    renamed = ok(patched)
    assert renamed["id"] == group["id"] and renamed["displayName"] == "New Name"
    assert ok(await scim.get(f"/Groups/{group['id']}"))["displayName"] == "New Name"
    assert (await Group.get(id=int(group["id"]))).display_name == "New Name"


async def test_entra_adds_members_with_a_value_array_and_null_refs(scim, org):
    group = ok(await scim.post("/Groups", entra_group("Engineering")), 201)
    first = await scim.create_user("e1@contoso.test")
    second = await scim.create_user("e2@contoso.test")
    operations = [
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": first["id"]}, {"$ref": None, "value": second["id"]}]}
    ]
    patched = await scim.patch(f"/Groups/{group['id']}", operations)
    assert member_ids(ok(patched)) == sorted([first["id"], second["id"]])  # 200 with the resource (RFC 7644 3.5.2)
    read = ok(await scim.get(f"/Groups/{group['id']}"))
    assert member_ids(read) == sorted([first["id"], second["id"]])
    [event] = await scim_events(org.fx.org.id, AuditAction.GROUP_MEMBERS_ADDED)
    assert event.actor == org.owner and event.target_id == group["id"]


async def test_entra_removes_members_with_a_value_array_before_the_compliance_flag(scim):
    stay = await scim.create_user("stay@contoso.test")
    leave = await scim.create_user("leave@contoso.test")
    group = await scim.create_group("Support", [stay["id"], leave["id"]])
    operations = [{"op": "Remove", "path": "members", "value": [{"value": leave["id"]}]}]
    patched = await scim.patch(f"/Groups/{group['id']}", operations)
    assert member_ids(ok(patched)) == [stay["id"]]  # 200 with the resource (RFC 7644 3.5.2)
    assert member_ids(ok(await scim.get(f"/Groups/{group['id']}"))) == [stay["id"]]


async def test_entra_removes_a_member_by_a_filtered_path_after_the_compliance_flag(scim):
    stay = await scim.create_user("stay2@contoso.test")
    leave = await scim.create_user("leave2@contoso.test")
    group = await scim.create_group("Legal", [stay["id"], leave["id"]])
    operations = [{"op": "remove", "path": f'members[value eq "{leave["id"]}"]'}]
    patched = await scim.patch(f"/Groups/{group['id']}", operations)
    assert member_ids(ok(patched)) == [stay["id"]]  # 200 with the resource (RFC 7644 3.5.2)
    assert member_ids(ok(await scim.get(f"/Groups/{group['id']}"))) == [stay["id"]]


async def test_entra_members_added_in_one_request_are_licensed_then_queued_in_the_listed_order(scim, org):
    await give_licenses(org.fx, "CRM_PROFESSIONAL", 1)
    group = ok(await scim.post("/Groups", entra_group("Licensed")), 201)
    await groups.update_group(org.fx.org, group["id"], product_skus=["CRM_PROFESSIONAL"], actor=org.fx.actor, now=NOW)
    second = await scim.create_user("z.second@contoso.test")
    first = await scim.create_user("a.first@contoso.test")
    operations = [{"op": "Add", "path": "members", "value": [{"value": second["id"]}, {"value": first["id"]}]}]
    ok(await scim.patch(f"/Groups/{group['id']}", operations))
    assert await licenses_of(second["id"]) == ["CRM_PROFESSIONAL"]
    assert await licenses_of(first["id"]) == []
    assert await LicenseWait.filter(user_id=int(first["id"]), product_id="CRM_PROFESSIONAL").exists()


async def test_entra_deletes_a_group_with_204_and_it_answers_404_afterwards(scim):
    group = ok(await scim.post("/Groups", entra_group("Temporary")), 201)
    deleted = await scim.delete(f"/Groups/{group['id']}")
    assert deleted.status_code == 204
    assert (await scim.get(f"/Groups/{group['id']}")).status_code == 404
    assert not await Group.exists(id=int(group["id"]))


# ---------------------------------------------------------------- Okta: users


async def test_okta_create_checks_existence_with_paging_then_posts_and_keeps_no_password(scim, org):
    lookup = ok(await scim.get("/Users", params={"filter": 'userName eq "test.user@okta.local"', "startIndex": 1, "count": 100}))
    assert lookup["totalResults"] == 0 and lookup.get("Resources", []) == []
    created = ok(await scim.post("/Users", okta_user("test.user@okta.local")), 201)
    assert created["userName"] == "test.user@okta.local" and created["displayName"] == "Test User"
    assert "password" not in created
    user = await db_user(created["id"])
    assert user.email == "test.user@okta.local" and user.password_hash is None


async def test_okta_user_name_lookup_ignores_case(scim):
    created = await scim.create_user("Case.User@okta.local")
    found = await scim.find_user("case.user@OKTA.local")
    assert [user["id"] for user in found] == [created["id"]]


async def test_okta_imports_users_page_by_page_with_start_index_and_count(scim):
    made = [await scim.create_user(f"import{i}@okta.local") for i in range(5)]
    total = ok(await scim.get("/Users", params={"count": 0}))["totalResults"]  # with the organization's admin
    pages, start = [], 1
    while start <= total:
        page = ok(await scim.get("/Users", params={"startIndex": start, "count": 2}))
        assert page["totalResults"] == total and page["startIndex"] == start
        assert page["itemsPerPage"] == len(page["Resources"]) == min(2, total - start + 1)
        pages.append(page)
        start += 2
    seen = [u["id"] for page in pages for u in page["Resources"]]
    assert len(seen) == len(set(seen)) == total and {u["id"] for u in made} <= set(seen)


async def test_okta_updates_a_profile_with_a_put_of_the_whole_resource(scim):
    created = ok(await scim.post("/Users", okta_user("put.user@okta.local")), 201)
    body = {
        "schemas": [USER_SCHEMA],
        "id": created["id"],
        "userName": "put.user@okta.local",
        "name": {"givenName": "Another", "middleName": "Test", "familyName": "User"},
        "active": True,
        "emails": [{"primary": True, "value": "put.user@okta.local", "type": "work", "display": "put.user@okta.local"}],
        "groups": [],
        "meta": {"resourceType": "User"},
    }
    replaced = ok(await scim.put(f"/Users/{created['id']}", body))
    assert replaced["name"]["givenName"] == "Another" and replaced["active"] is True
    assert replaced["id"] == created["id"] and replaced["userName"] == "put.user@okta.local"


async def test_okta_deactivates_with_a_patch_whose_value_object_has_active_false(scim, org):
    created = ok(await scim.post("/Users", okta_user("patch.leaver@okta.local")), 201)
    await licensed(org, created["id"])
    operations = [{"op": "replace", "value": {"active": False}}]
    patched = ok(await scim.patch(f"/Users/{created['id']}", operations))
    assert patched["active"] is False
    assert (await db_user(created["id"])).deleted_at is not None and await licenses_of(created["id"]) == []


async def test_okta_deactivates_with_a_put_of_the_whole_resource_with_active_false(scim, org):
    created = ok(await scim.post("/Users", okta_user("put.leaver@okta.local")), 201)
    await licensed(org, created["id"])
    body = {**okta_user("put.leaver@okta.local", active=False), "id": created["id"]}
    del body["password"]
    replaced = ok(await scim.put(f"/Users/{created['id']}", body))
    assert replaced["active"] is False
    assert (await db_user(created["id"])).deleted_at is not None and await licenses_of(created["id"]) == []
    [event] = await scim_events(org.fx.org.id, AuditAction.USER_DELETED)
    assert event.actor == org.owner


async def test_okta_reactivates_with_a_patch_whose_value_object_has_active_true(scim):
    created = ok(await scim.post("/Users", okta_user("back@okta.local")), 201)
    ok(await scim.patch(f"/Users/{created['id']}", [{"op": "replace", "value": {"active": False}}]))
    patched = ok(await scim.patch(f"/Users/{created['id']}", [{"op": "replace", "value": {"active": True}}]))
    assert patched["active"] is True and (await db_user(created["id"])).deleted_at is None


async def test_okta_password_sync_patch_is_accepted_and_sets_no_password(scim):
    created = ok(await scim.post("/Users", okta_user("sync@okta.local")), 201)
    patched = await scim.patch(f"/Users/{created['id']}", [{"op": "replace", "value": {"password": "t1meMachine-x"}}])
    assert patched.status_code == 200, patched.text
    assert "password" not in patched.json() and (await db_user(created["id"])).password_hash is None


async def test_okta_sends_scim_json_with_a_charset(scim):
    created = await scim.post("/Users", okta_user("charset@okta.local"), content_type=f"{SCIM_JSON}; charset=utf-8")
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith(SCIM_JSON)


async def test_okta_with_plain_application_json_is_accepted(scim):
    created = await scim.post("/Users", okta_user("plain@okta.local"), content_type="application/json")
    assert created.status_code == 201, created.text


async def test_okta_reads_a_deactivated_user_back_as_inactive(scim):
    created = ok(await scim.post("/Users", okta_user("inactive@okta.local")), 201)
    ok(await scim.patch(f"/Users/{created['id']}", [{"op": "replace", "value": {"active": False}}]))
    read = ok(await scim.get(f"/Users/{created['id']}"))
    assert read["active"] is False and read["userName"] == "inactive@okta.local"
    [found] = await scim.find_user("inactive@okta.local")
    assert found["id"] == created["id"] and found["active"] is False


async def test_okta_imports_groups_with_their_members(scim):
    user = await scim.create_user("imported.member@okta.local")
    group = await scim.create_group("Okta Import", [user["id"]])
    body = ok(await scim.get("/Groups", params={"startIndex": 1, "count": 100}))
    assert body["totalResults"] == 1
    [found] = body["Resources"]
    assert found["id"] == group["id"] and member_ids(found) == [user["id"]]


# ---------------------------------------------------------------- Okta: group push


async def test_okta_group_push_looks_up_the_name_then_creates_the_group_with_its_members(scim, org):
    user = await scim.create_user("pushed@okta.local")
    lookup = ok(await scim.get("/Groups", params={"filter": 'displayName eq "Test SCIMv2"', "startIndex": 1, "count": 100}))
    assert lookup["totalResults"] == 0
    body = {
        "schemas": [GROUP_SCHEMA],
        "displayName": "Test SCIMv2",
        "members": [{"value": user["id"], "display": "pushed@okta.local"}],
    }
    created = ok(await scim.post("/Groups", body), 201)
    assert member_ids(created) == [user["id"]]
    assert [g["id"] for g in ok(await scim.get("/Groups", params={"filter": 'displayName eq "Test SCIMv2"'}))["Resources"]] == [
        created["id"]
    ]
    [event] = await scim_events(org.fx.org.id, AuditAction.GROUP_CREATED)
    assert event.actor == org.owner


async def test_okta_renames_a_group_with_a_value_object_that_repeats_its_id(scim):
    group = await scim.create_group("Okta Old")
    operations = [{"op": "replace", "value": {"id": group["id"], "displayName": "Okta New"}}]
    patched = ok(await scim.patch(f"/Groups/{group['id']}", operations))
    assert patched["displayName"] == "Okta New" and patched["id"] == group["id"]


async def test_okta_adds_members_with_a_lowercase_add(scim):
    group = await scim.create_group("Okta Adds")
    user = await scim.create_user("added@okta.local")
    operations = [{"op": "add", "path": "members", "value": [{"value": user["id"], "display": "added@okta.local"}]}]
    patched = ok(await scim.patch(f"/Groups/{group['id']}", operations))
    assert member_ids(patched) == [user["id"]]


async def test_okta_removes_a_member_by_a_filtered_path(scim):
    stay = await scim.create_user("ostay@okta.local")
    leave = await scim.create_user("oleave@okta.local")
    group = await scim.create_group("Okta Removes", [stay["id"], leave["id"]])
    operations = [{"op": "remove", "path": f'members[value eq "{leave["id"]}"]'}]
    patched = ok(await scim.patch(f"/Groups/{group['id']}", operations))
    assert member_ids(patched) == [stay["id"]]


async def test_okta_replaces_all_members_with_a_replace_of_members(scim):
    old = await scim.create_user("old.member@okta.local")
    new = await scim.create_user("new.member@okta.local")
    group = await scim.create_group("Okta Replaces", [old["id"]])
    operations = [{"op": "replace", "path": "members", "value": [{"value": new["id"], "display": "new.member@okta.local"}]}]
    patched = ok(await scim.patch(f"/Groups/{group['id']}", operations))
    assert member_ids(patched) == [new["id"]]


async def test_okta_replaces_a_group_with_a_put_of_name_and_members(scim):
    old = await scim.create_user("put.old@okta.local")
    new = await scim.create_user("put.new@okta.local")
    group = await scim.create_group("Okta Put", [old["id"]])
    body = {"schemas": [GROUP_SCHEMA], "id": group["id"], "displayName": "Okta Put Renamed", "members": [{"value": new["id"]}]}
    replaced = ok(await scim.put(f"/Groups/{group['id']}", body))
    assert replaced["displayName"] == "Okta Put Renamed" and member_ids(replaced) == [new["id"]]


async def test_okta_deletes_a_pushed_group(scim):
    group = await scim.create_group("Okta Unpushed")
    assert (await scim.delete(f"/Groups/{group['id']}")).status_code == 204
    assert (await scim.get(f"/Groups/{group['id']}")).status_code == 404


# ---------------------------------------------------------------- Okta's "SCIM 2.0 SPEC Test" (Runscope), step by step

OKTA_HEADERS = {
    "Accept": SCIM_JSON,
    "Accept-Charset": "utf-8",
    "Content-Type": f"{SCIM_JSON}; charset=utf-8",
    "User-Agent": "OKTA SCIM Integration",
}


def okta_spec_user(user_name: str, email: str) -> dict:
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Rand", "familyName": "Omname"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "Rand Omname",
        "active": True,
    }


@pytest.mark.xfail(
    strict=True,
    reason="gap: users made in Seatwise (the organization's first admin, listed first) have no name.givenName or "
    "name.familyName over SCIM (attributes never written are left out), and Okta's SPEC test reads them on the "
    "first user of GET /Users?count=1&startIndex=1",
)
async def test_okta_spec_test_reads_name_and_email_of_the_first_user_listed(scim, org):
    # Its first required step lists one user and expects name, userName, active and an email on it.
    await scim.create_user("first.listed@okta.local", name={"givenName": "First", "familyName": "Listed"})
    headers = {**OKTA_HEADERS, "Authorization": f"Bearer {org.scim_token}"}
    listed = ok(await scim.client.get(f"{scim.base}/Users?count=1&startIndex=1", headers=headers))
    assert listed["schemas"] == [LIST_SCHEMA] and listed["itemsPerPage"] == 1 and listed["startIndex"] == 1
    [first] = listed["Resources"]
    assert first["id"] and first["userName"] and first["active"] is not None and first["emails"][0]["value"]
    assert first["name"]["familyName"] and first["name"]["givenName"]
    read = ok(await scim.client.get(f"{scim.base}/Users/{first['id']}", headers=headers))
    assert read["id"] == first["id"] and read["name"]["givenName"]


async def test_okta_spec_test_required_steps_from_lookup_to_401_and_404(scim, org):
    headers = {**OKTA_HEADERS, "Authorization": f"Bearer {org.scim_token}"}
    base = scim.base
    async with httpx.AsyncClient(timeout=30, headers=headers) as okta:
        # Test invalid User by username; make sure a random user does not exist.
        for name in ("invalid-user@okta.local", f"{uuid.uuid4().hex}@okta.local"):
            body = ok(await okta.get(f'{base}/Users?filter=userName eq "{name}"'))
            assert body["schemas"] == [LIST_SCHEMA] and body["totalResults"] == 0
        # Test invalid User by ID: 404 with a detail and the error schema.
        for missing in (str(uuid.uuid4()), "00919288221112222"):
            response = await okta.get(f"{base}/Users/{missing}")
            assert response.status_code == 404, (missing, response.text)
            error = response.json()
            assert error["schemas"] == [ERROR_SCHEMA] and error["status"] == "404" and error["detail"]
        # Create Okta user with realistic values (Content-Type application/json here), then read it back.
        user_name = f"rand.omname.{uuid.uuid4().hex[:8]}@okta.local"
        created = await okta.post(
            f"{base}/Users",
            json=okta_spec_user(user_name, user_name),
            headers={"Content-Type": "application/json", "Accept": f"{SCIM_JSON}; charset=utf-8"},
        )
        user = ok(created, 201)
        assert user["active"] is True and USER_SCHEMA in user["schemas"] and user["userName"] == user_name
        assert user["name"] == {**user["name"], "givenName": "Rand", "familyName": "Omname"}
        read = ok(await okta.get(f"{base}/Users/{user['id']}"))
        assert read["userName"] == user_name and read["name"]["familyName"] == "Omname"
        # Expect failure when recreating the user with the same values.
        again = await okta.post(f"{base}/Users", json=okta_spec_user(user_name, user_name))
        assert again.status_code == 409, again.text
        # Username case sensitivity check.
        found = ok(await okta.get(f'{base}/Users?filter=userName eq "{user_name.upper()}"'))
        assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user["id"]
        # Optional: the Groups endpoint answers a list.
        groups = ok(await okta.get(f"{base}/Groups"))
        assert isinstance(groups.get("Resources", []), list) and groups["totalResults"] == 0
        # Check status 401: a bad Authorization header.
        refused = await okta.get(f'{base}/Users?filter=userName eq "{user_name}"', headers={"Authorization": "non-token"})
        assert refused.status_code == 401
        assert refused.json()["schemas"] == [ERROR_SCHEMA] and refused.json()["status"] == "401" and refused.json()["detail"]


# ---------------------------------------------------------------- paging quirks (RFC 7644 3.4.2.4)


async def total_users(scim) -> int:
    """The organization's users over SCIM: its admin as well as the people the directory made."""
    return len(ok(await scim.get("/Users", params={"count": 200}))["Resources"])


async def test_count_zero_answers_the_total_without_resources(scim):
    for i in range(3):
        await scim.create_user(f"counted{i}@contoso.test")
    total = await total_users(scim)
    body = ok(await scim.get("/Users", params={"count": 0}))
    assert body["totalResults"] == total == 4 and body.get("Resources", []) == [] and body.get("itemsPerPage", 0) == 0


async def test_count_below_zero_reads_as_zero_and_start_index_below_one_as_one(scim):
    for i in range(2):
        await scim.create_user(f"quirk{i}@contoso.test")
    total = await total_users(scim)
    negative = ok(await scim.get("/Users", params={"count": -5}))
    assert negative["totalResults"] == total and negative.get("Resources", []) == []
    zero = ok(await scim.get("/Users", params={"startIndex": 0, "count": 1}))
    assert zero["startIndex"] == 1 and len(zero["Resources"]) == 1
    negative_start = ok(await scim.get("/Users", params={"startIndex": -3, "count": 1}))
    assert negative_start["startIndex"] == 1 and negative_start["Resources"] == zero["Resources"]


async def test_start_index_past_the_end_answers_an_empty_page(scim):
    await scim.create_user("only@contoso.test")
    total = await total_users(scim)
    body = ok(await scim.get("/Users", params={"startIndex": total + 10}))
    assert body["totalResults"] == total and body.get("Resources", []) == []


async def test_attributes_narrow_the_user_list_to_the_asked_attributes_and_the_id(scim):
    await scim.create_user("narrow@contoso.test", displayName="Narrow")
    body = ok(await scim.get("/Users", params={"attributes": "userName", "filter": 'userName eq "narrow@contoso.test"'}))
    [user] = body["Resources"]
    assert user["userName"] == "narrow@contoso.test" and "id" in user and "displayName" not in user and "emails" not in user
