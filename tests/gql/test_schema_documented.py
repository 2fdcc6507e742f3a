"""The schema explains itself: every public type, field, argument, input field and enum value has a description."""

from graphql import GraphQLEnumType, graphql_sync

from seatwise.gql.graphql.descriptions import DESCRIPTIONS, ERROR_CODES, coordinates
from seatwise.gql.graphql.schema import build_schema, schema
from seatwise.models.core.errors import ErrorCode

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def test_every_type_field_argument_and_enum_value_has_a_description():
    undocumented = [
        coordinate
        for coordinate, element in coordinates(schema._schema)
        if coordinate not in BUILT_IN_SCALARS and not (element.description or "").strip()
    ]
    assert undocumented == []


def test_every_error_code_says_when_it_happens():
    error_code = schema._schema.get_type("ErrorCode")
    assert isinstance(error_code, GraphQLEnumType)
    assert set(error_code.values) == {code.name for code in ErrorCode}
    assert {name: (value.description or "").strip() != "" for name, value in error_code.values.items()} == {
        code.name: True for code in ErrorCode
    }
    assert set(ERROR_CODES) == {code.name for code in ErrorCode}


def test_every_description_names_something_in_the_schema():
    """A renamed or removed field must take its description along, not leave it behind."""
    assert sorted(set(DESCRIPTIONS) - {coordinate for coordinate, _ in coordinates(schema._schema)}) == []


def test_a_schema_built_with_other_limits_is_documented_too():
    other = build_schema(max_levels=5)
    assert [c for c, e in coordinates(other._schema) if c not in BUILT_IN_SCALARS and not e.description] == []


def test_introspection_shows_the_descriptions():
    result = graphql_sync(schema._schema, '{ __type(name: "ErrorCode") { description enumValues { name description } } }')
    assert result.errors is None
    values = {value["name"]: value["description"] for value in result.data["__type"]["enumValues"]}
    assert values["NOT_A_SANDBOX"] == ERROR_CODES["NOT_A_SANDBOX"]
    assert result.data["__type"]["description"]
