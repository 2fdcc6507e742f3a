"""PATCH operations as directories send them, on a document of kept attributes (no database)."""

import pytest

from seatwise.models.scim.errors import ScimError
from seatwise.models.scim.groups import GROUP_SPEC
from seatwise.models.scim.members import Members
from seatwise.models.scim.patch import apply
from seatwise.models.scim.user_resource import USER_SPEC, state_of

DOC = {
    "userName": "alice@acme.test",
    "active": True,
    "name": {"givenName": "Alice", "familyName": "Adams"},
    "emails": [{"value": "alice@acme.test", "type": "work", "primary": True}],
}


def ops(*operations):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


@pytest.mark.parametrize("op", ["replace", "Replace", "REPLACE"])
def test_op_in_any_case(op):
    assert apply(DOC, ops({"op": op, "path": "displayName", "value": "Al"}), USER_SPEC)["displayName"] == "Al"


def test_entra_string_booleans_and_a_value_object_without_path():
    after = apply(DOC, ops({"op": "Replace", "value": {"active": "False", "name.givenName": "Ally"}}), USER_SPEC)
    state = state_of(after)
    assert state.active is False and state.given_name == "Ally" and state.family_name == "Adams"


def test_filtered_email_path_replaces_the_matching_value_and_adds_one_when_none_matches():
    after = apply(DOC, ops({"op": "replace", "path": 'emails[type eq "work"].value', "value": "a2@acme.test"}), USER_SPEC)
    assert after["emails"] == [{"value": "a2@acme.test", "type": "work", "primary": True}]
    after = apply(DOC, ops({"op": "Add", "path": 'emails[type eq "home"].value', "value": "home@acme.test"}), USER_SPEC)
    assert after["emails"][1] == {"type": "home", "value": "home@acme.test"}
    after = apply(after, ops({"op": "remove", "path": 'emails[type eq "home"]'}), USER_SPEC)
    assert after["emails"] == DOC["emails"]


def test_unknown_attributes_and_extensions_are_ignored():
    body = ops(
        {"op": "add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555"},
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
        {"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "x"}}}},
        {"op": "replace", "path": "name.middleName", "value": "M"},
    )
    assert apply(DOC, body, USER_SPEC) == DOC


def test_the_core_schema_urn_prefix_is_accepted():
    after = apply(
        DOC, ops({"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "value": "B"}), USER_SPEC
    )
    assert after["name"] == {"givenName": "Alice", "familyName": "B"}


def test_remove_of_a_simple_and_a_complex_attribute():
    after = apply(DOC, ops({"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "emails"}), USER_SPEC)
    assert after["name"] == {"familyName": "Adams"} and "emails" not in after


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"Operations": []}, "invalidSyntax"),
        ([], "invalidSyntax"),
        (ops({"op": "move", "path": "userName", "value": "x"}), "invalidSyntax"),
        (ops({"op": "remove"}), "noTarget"),
        (ops({"op": "replace", "value": "not an object"}), "invalidValue"),
        (ops({"op": "replace", "path": "emails[", "value": "x"}), "invalidPath"),
        (ops({"op": "replace", "path": 'userName[type eq "x"]', "value": "x"}), "invalidPath"),
        ({"schemas": ["urn:wrong"], "Operations": [{"op": "add", "path": "userName", "value": "x"}]}, "invalidSyntax"),
    ],
)
def test_malformed_patches_are_400(body, scim_type):
    with pytest.raises(ScimError) as refused:
        apply(DOC, body, USER_SPEC)
    assert refused.value.status == 400 and refused.value.scim_type == scim_type


def test_group_member_operations_tally_in_order():
    members = Members()
    body = ops(
        {"op": "Add", "path": "members", "value": [{"value": "1"}, {"value": "2"}, {"value": "3"}]},
        {"op": "Remove", "path": 'members[value eq "2"]'},
        {"op": "remove", "path": "members", "value": [{"value": "9"}]},
    )
    assert apply({"displayName": "Sales"}, body, GROUP_SPEC, members) == {"displayName": "Sales"}
    assert members.add == ["1", "3"] and members.remove == ["2", "9"] and members.replace is None
    members = Members()
    apply(
        {"displayName": "Sales"},
        ops({"op": "replace", "value": {"members": [{"value": "4"}], "displayName": "S2"}}),
        GROUP_SPEC,
        members,
    )
    assert members.replace == ["4"]
    members = Members()
    apply({"displayName": "Sales"}, ops({"op": "remove", "path": "members"}), GROUP_SPEC, members)
    assert members.replace == []
