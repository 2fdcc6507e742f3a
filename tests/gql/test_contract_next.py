"""The next contract (tests/contract-next.graphql: contract.graphql plus sections 12 to 18) only adds to the
contract: what clients rely on today stays as it is. The schema serves none of sections 12 to 18 yet; each section
brings its own test that schema.graphql keeps that section's part. Set SEATWISE_CONTRACT_NEXT_PATH to an
authoritative file to check that the copy kept here is that schema.
"""

import os
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes, print_schema

from tests.support import ROOT

NEXT = ROOT / "tests" / "contract-next.graphql"
CONTRACT = ROOT / "tests" / "contract.graphql"


def test_the_next_contract_only_adds_to_the_contract():
    changes = find_breaking_changes(build_schema(CONTRACT.read_text()), build_schema(NEXT.read_text()))
    assert [c.description for c in changes] == []


def test_the_next_contract_keeps_the_groups_of_the_contract():
    next_contract = build_schema(NEXT.read_text())
    assert {"Group", "LicenseWait", "GroupConnection"} <= set(next_contract.type_map)
    assert "groups" in next_contract.query_type.fields


def test_local_copy_of_the_next_contract_is_the_authoritative_one():
    path = os.environ.get("SEATWISE_CONTRACT_NEXT_PATH")
    if not path:
        pytest.skip("SEATWISE_CONTRACT_NEXT_PATH is not set: the copy in tests/ is checked above")
    # The same schema (types, fields, arguments, descriptions); comments may differ.
    assert print_schema(build_schema(NEXT.read_text())) == print_schema(build_schema(Path(path).read_text()))


# Section 14 (product security roles): every type, field and argument of its part of the next contract, same types.
ROLES_TYPES = [
    "ProductRole",
    "RoleGrant",
    "GroupProductRoles",
    "ProductRolesInput",
    "CreateProductRoleInput",
    "CreateProductRolePayload",
    "UpdateProductRoleInput",
    "UpdateProductRolePayload",
    "DeleteProductRoleInput",
    "DeleteProductRolePayload",
    "GrantProductRolesInput",
    "GrantProductRolesPayload",
    "RevokeProductRolesInput",
    "RevokeProductRolesPayload",
]
ROLES_FIELDS = {
    "Product": ["roles"],
    "User": ["productRoles"],
    "AccessDecision": ["roles"],
    "Group": ["productRoles"],
    "UpdateGroupInput": ["productRoles"],
    "Mutation": ["createProductRole", "updateProductRole", "deleteProductRole", "grantProductRoles", "revokeProductRoles"],
}
SECTION_17 = {("ProductRole", "id")}  # the Node interface is section 17's


def _shape(field) -> tuple:
    return (str(field.type), sorted((name, str(arg.type)) for name, arg in getattr(field, "args", {}).items()))


def test_the_schema_keeps_the_product_roles_of_the_next_contract():
    next_contract = build_schema(NEXT.read_text())
    served = build_schema((ROOT / "schema.graphql").read_text())
    wanted = {(t, f) for t in ROLES_TYPES for f in next_contract.type_map[t].fields} | {
        (t, f) for t, fields in ROLES_FIELDS.items() for f in fields
    }
    missing = []
    for type_name, field_name in sorted(wanted - SECTION_17):
        expected = next_contract.type_map[type_name].fields[field_name]
        actual = served.type_map[type_name].fields.get(field_name) if type_name in served.type_map else None
        if actual is None or _shape(actual) != _shape(expected):
            missing.append(f"{type_name}.{field_name}")
    assert missing == []
    assert {"UNKNOWN_ROLE", "ROLE_INHERITED"} <= set(served.type_map["ErrorCode"].values)


SECTION_18_TYPES = [
    "RemovePaymentCardInput",
    "RemovePaymentCardPayload",
    "SetDefaultPaymentCardInput",
    "SetDefaultPaymentCardPayload",
    "ResumeSubscriptionInput",
    "ResumeSubscriptionPayload",
]
SECTION_18_MUTATIONS = ["removePaymentCard", "setDefaultPaymentCard", "resumeSubscription"]


def _fields(schema, name: str) -> dict[str, str]:
    kind = schema.type_map[name]
    return {field: str(value.type) for field, value in kind.fields.items()}


def _arguments(field) -> dict[str, str]:
    return {name: str(arg.type) for name, arg in field.args.items()}


def test_the_schema_keeps_section_18_cards_through_a_processor():
    served, wanted = build_schema((ROOT / "schema.graphql").read_text()), build_schema(NEXT.read_text())
    for name in SECTION_18_TYPES:
        assert _fields(served, name) == _fields(wanted, name), name
    assert _fields(served, "AddPaymentCardInput")["token"] == _fields(wanted, "AddPaymentCardInput")["token"] == "String"
    assert "CARD_IN_USE" in served.type_map["ErrorCode"].values
    for name in SECTION_18_MUTATIONS:
        mine, theirs = served.mutation_type.fields[name], wanted.mutation_type.fields[name]
        assert (str(mine.type), _arguments(mine)) == (str(theirs.type), _arguments(theirs)), name


def _kept(names: list[str]) -> list[str]:
    """What of these types of the next contract the schema does not keep: a type, field or argument missing, or
    one of another type (`extend` parts included: the next contract is read whole)."""
    from seatwise.gql.graphql.schema import schema

    ours, wanted = build_schema(str(schema)), build_schema(NEXT.read_text())
    missing = []
    for name in names:
        name, _, only = name.partition(".")  # "Type.field": that field of a type other sections extend too
        theirs, mine = wanted.type_map[name], ours.type_map.get(name)
        if mine is None:
            missing.append(name)
            continue
        for field_name, field in getattr(theirs, "fields", {}).items():
            if only and field_name != only:
                continue
            have = mine.fields.get(field_name)
            if have is None or str(have.type) != str(field.type):
                missing.append(f"{name}.{field_name}")
                continue
            for arg_name, arg in getattr(field, "args", {}).items():
                if arg_name not in have.args or str(have.args[arg_name].type) != str(arg.type):
                    missing.append(f"{name}.{field_name}({arg_name})")
        for value in getattr(theirs, "values", {}):
            if (not only or value == only) and value not in mine.values:
                missing.append(f"{name}.{value}")
    return missing


SECTION_16 = [
    "UpdateUserInput",
    "UpdateUserPayload",
    "RevokeLicensesInput",
    "RevokeLicensesPayload",
    "DeleteUsersInput",
    "DeleteUsersPayload",
]
SECTION_13 = [
    "AccessChangeReason",
    "AccessChange",
    "SeatPoolChange",
    "ChangePreview",
    "RevokeLicenseInput.dryRun",
    "RevokeLicenseInput.planToken",
    "RevokeLicensePayload.preview",
    "DeleteUserInput.dryRun",
    "DeleteUserInput.planToken",
    "DeleteUserPayload.preview",
    "RemoveGroupMembersInput.dryRun",
    "RemoveGroupMembersInput.planToken",
    "RemoveGroupMembersPayload.preview",
    "UpdateGroupInput.dryRun",
    "UpdateGroupInput.planToken",
    "UpdateGroupPayload.preview",
    "DeleteGroupInput.dryRun",
    "DeleteGroupInput.planToken",
    "DeleteGroupPayload.preview",
]


def test_the_schema_keeps_section_16_of_the_next_contract():
    assert _kept(SECTION_16) == []
    from seatwise.gql.graphql.schema import schema

    mutations = build_schema(str(schema)).mutation_type.fields
    assert {"updateUser", "revokeLicenses", "deleteUsers"} <= set(mutations)


def test_the_schema_keeps_the_preview_types_of_section_13():
    assert _kept(SECTION_13) == []


SECTION_12 = [
    "LicenseAssignment.user",
    "LicenseAssignment.lastUsedAt",
    "LicenseAssignment.reclaimAt",
    "LicenseAssignmentEdge",
    "LicenseAssignmentConnection.edges",  # `nodes` is section 17's (every connection)
    "LicenseAssignmentConnection.pageInfo",
    "LicenseAssignmentConnection.totalCount",
    "ReclaimPolicy",
    "SeatPool.idle",
    "SeatPool.reclaimPolicy",
    "User.dormantProducts",
    "LicenseEventKind.RECLAIMED",
    "AlertKind.RECLAIM_SCHEDULED",
    "RemedyKind.RECLAIM_IDLE_LICENSES",
    "Remedy.idleUsers",
    "LicenseUseInput",
    "RecordLicenseUsesInput",
    "RecordLicenseUsesPayload",
    "SetReclaimPolicyInput",
    "SetReclaimPolicyPayload",
    "Query.idleLicenses",
    "Mutation.recordLicenseUses",
    "Mutation.setReclaimPolicy",
    "ErrorCode.PLAN_STALE",
]


def test_the_schema_keeps_the_usage_parts_of_section_12():
    assert _kept(SECTION_12) == []
