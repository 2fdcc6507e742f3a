"""The schema explains itself: every public type, field, argument, input field and enum value has a description."""

import enum

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, graphql_sync

from seatwise.gql.graphql.core.common import exposed
from seatwise.gql.graphql.schema import build_schema, schema
from seatwise.models.core.errors import ErrorCode

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def coordinates(schema: GraphQLSchema):
    """Every public schema coordinate ("Type", "Type.field", "Type.field(arg:)", "Enum.VALUE") with the
    graphql-core object that carries its description."""
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        yield name, type_
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in type_.fields.items():
                yield f"{name}.{field_name}", field
                for arg_name, arg in getattr(field, "args", {}).items():
                    yield f"{name}.{field_name}({arg_name}:)", arg
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                yield f"{name}.{value_name}", value


def undescribed(schema: GraphQLSchema) -> list[str]:
    return [
        coordinate
        for coordinate, element in coordinates(schema)
        if coordinate not in BUILT_IN_SCALARS and not (element.description or "").strip()
    ]


def test_every_type_field_argument_and_enum_value_has_a_description():
    assert undescribed(schema._schema) == []


def test_the_walk_reaches_every_kind_of_coordinate():
    """The check above is not vacuous: arguments, input fields and enum values are walked too."""
    walked = {coordinate for coordinate, _ in coordinates(schema._schema)}
    assert {
        "Query.users(first:)",
        "Mutation.assignLicense(input:)",
        "AssignLicenseInput.userId",
        "AssignLicensePayload.userErrors",
        "ErrorCode.NOT_A_SANDBOX",
        "Subscription.licenseEvents(productSku:)",
    } <= walked
    assert len(walked) > 600


def test_every_error_code_says_when_it_happens():
    error_code = schema._schema.get_type("ErrorCode")
    assert isinstance(error_code, GraphQLEnumType)
    assert set(error_code.values) == {code.name for code in ErrorCode}
    assert {name: (value.description or "").strip() != "" for name, value in error_code.values.items()} == {
        code.name: True for code in ErrorCode
    }


def test_already_exists_names_what_is_taken():
    """ALREADY_EXISTS is returned for a taken email (createUser) and a taken group name (createGroup, updateGroup)."""
    text = schema._schema.get_type("ErrorCode").values["ALREADY_EXISTS"].description
    assert "email" in text and "group" in text and "displayName" in text


def test_a_schema_built_with_other_limits_is_documented_too():
    assert undescribed(build_schema(max_levels=5)._schema) == []


def test_introspection_shows_the_descriptions():
    result = graphql_sync(schema._schema, '{ __type(name: "ErrorCode") { description enumValues { name description } } }')
    assert result.errors is None
    values = {value["name"]: value["description"] for value in result.data["__type"]["enumValues"]}
    assert values["NOT_A_SANDBOX"] == "advanceTestClock in an organization that is not a sandbox (it has no test clock)."
    assert result.data["__type"]["description"]


def test_a_description_of_a_value_the_enum_lacks_is_refused():
    """A renamed or removed enum value must take its description along, not leave it behind."""

    class Color(enum.Enum):
        RED = "RED"

    with pytest.raises(ValueError, match="BLUE"):
        exposed(Color, "Color", values={"RED": "Red.", "BLUE": "Blue."})
