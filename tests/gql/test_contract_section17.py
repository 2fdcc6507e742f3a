"""Section 17 of the next contract (tests/contract-next.graphql): the parts this schema serves keep every field and
argument written there, with the same types. The global ids, `Node`, `node`/`nodes`, backward paging and the users'
order and filter come later and are not checked here yet."""

from graphql import GraphQLInputObjectType, GraphQLObjectType, build_schema

from tests.support import ROOT

NEXT = build_schema((ROOT / "tests" / "contract-next.graphql").read_text())
SERVED = build_schema((ROOT / "schema.graphql").read_text())

# (type, field) pairs of section 17 that the schema serves.
FIELDS = [
    ("RevokeLicensePayload", "keptThroughGroups"),
    ("Mutation", "changePassword"),
    ("Query", "rateLimit"),
]
# Whole types of section 17 that the schema serves (every field of each).
TYPES = ["ChangePasswordInput", "ChangePasswordPayload", "RateLimit"]


def _fields(schema, name: str) -> dict:
    kind = schema.type_map[name]
    assert isinstance(kind, GraphQLObjectType | GraphQLInputObjectType), name
    return kind.fields


def _shape(field) -> tuple[str, dict[str, str]]:
    args = getattr(field, "args", {}) or {}
    return str(field.type), {name: str(arg.type) for name, arg in args.items()}


def test_the_served_fields_of_section_17_have_the_contract_types_and_arguments():
    for type_name, field_name in FIELDS + [(t, f) for t in TYPES for f in _fields(NEXT, t)]:
        expected = _fields(NEXT, type_name)[field_name]
        served = _fields(SERVED, type_name).get(field_name)
        assert served is not None, f"{type_name}.{field_name} is missing"
        assert _shape(served) == _shape(expected), f"{type_name}.{field_name}"
