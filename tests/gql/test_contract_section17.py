"""Section 17 of the next contract (tests/contract-next.graphql): the parts this schema serves keep every field and
argument written there, with the same types; every connection has `nodes`; every type the section lists implements
`Node`."""

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, build_schema

from tests.support import ROOT

NEXT = build_schema((ROOT / "tests" / "contract-next.graphql").read_text())
SERVED = build_schema((ROOT / "schema.graphql").read_text())

# (type, field) pairs of section 17 that the schema serves.
FIELDS = [
    ("RevokeLicensePayload", "keptThroughGroups"),
    ("Mutation", "changePassword"),
    ("Query", "rateLimit"),
    # Connections: nodes on each, backward paging, the users' order and filter.
    *[
        (connection, "nodes")
        for connection in [
            "UserConnection",
            "GroupConnection",
            "LicenseWaitConnection",
            "AuditEventConnection",
            "ChargeConnection",
            "ServiceRequestConnection",
            "LicenseAssignmentConnection",
            "EventConnection",
            "WebhookDeliveryConnection",
        ]
    ],
    ("Query", "users"),
    ("UserFilter", "licenseState"),
    ("UserFilter", "groupId"),
    ("UserFilter", "adminRole"),
    ("Query", "node"),
    ("Query", "nodes"),
    ("Viewer", "id"),
]
NODE_TYPES = [
    "Organization", "ProductSubscription", "LicenseAssignment", "User", "PaymentCard", "Charge", "ServiceRequest",
    "DataExport", "AuditEvent", "ApiToken", "Group", "Event", "WebhookEndpoint", "WebhookDelivery", "ProductRole",
    "Product", "SeatPool", "LicenseConflict", "Alert", "LicenseWait", "LicenseEvent",
]  # fmt: skip
FIELDS += [(name, "id") for name in NODE_TYPES]
# Whole types of section 17 that the schema serves (every field of each).
TYPES = ["ChangePasswordInput", "ChangePasswordPayload", "RateLimit", "UserOrder"]
ENUMS = ["UserOrderField", "OrderDirection"]


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


def test_every_connection_of_the_schema_has_nodes():
    connections = [name for name in SERVED.type_map if name.endswith("Connection")]
    assert connections and [name for name in connections if "nodes" not in _fields(SERVED, name)] == []


def test_the_orders_of_section_17_have_the_contract_values():
    for name in ENUMS:
        expected, served = NEXT.type_map[name], SERVED.type_map.get(name)
        assert isinstance(expected, GraphQLEnumType) and isinstance(served, GraphQLEnumType), name
        assert list(served.values) == list(expected.values), name
    direction = _fields(SERVED, "UserOrder")["direction"]
    assert direction.ast_node.default_value.value == "ASC"


def test_every_type_the_section_lists_implements_node():
    assert str(SERVED.type_map["Node"].fields["id"].type) == "ID!"
    for name in NODE_TYPES:
        interfaces = [i.name for i in SERVED.type_map[name].interfaces]  # type: ignore[union-attr]
        expected = [i.name for i in NEXT.type_map[name].interfaces]  # type: ignore[union-attr]
        assert "Node" in interfaces and set(expected) <= set(interfaces), name
