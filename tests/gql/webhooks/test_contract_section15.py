"""schema.graphql keeps section 15's part of the next contract (tests/contract-next.graphql): every type, field and
argument written there, with the same types."""

from graphql import GraphQLInputObjectType, GraphQLObjectType, build_schema

from tests.support import ROOT

NEXT = build_schema((ROOT / "tests" / "contract-next.graphql").read_text())
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())

TYPES = [
    "Event",
    "EventConnection",
    "EventEdge",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookDeliveryConnection",
    "WebhookDeliveryEdge",
    "CreateWebhookEndpointInput",
    "CreateWebhookEndpointPayload",
    "UpdateWebhookEndpointInput",
    "UpdateWebhookEndpointPayload",
    "DeleteWebhookEndpointInput",
    "DeleteWebhookEndpointPayload",
    "RotateWebhookSecretInput",
    "RotateWebhookSecretPayload",
    "SendTestWebhookInput",
    "SendTestWebhookPayload",
    "RedeliverWebhookInput",
    "RedeliverWebhookPayload",
    "NotificationKind",
    "NotificationPreferences",
    "UpdateNotificationPreferencesInput",
    "UpdateNotificationPreferencesPayload",
]
QUERIES = ["events", "webhookEndpoints", "webhookDeliveries"]
MUTATIONS = [
    "createWebhookEndpoint",
    "updateWebhookEndpoint",
    "deleteWebhookEndpoint",
    "rotateWebhookSecret",
    "sendTestWebhook",
    "redeliverWebhook",
    "updateNotificationPreferences",
]
# Fields the next contract adds to these types in other sections (17: Node and nodes).
OTHER_SECTIONS = {"nodes"}


def _fields(type_) -> dict[str, str]:
    if isinstance(type_, GraphQLObjectType):
        return {
            name: f"{field.type}({', '.join(f'{a}: {arg.type}' for a, arg in sorted(field.args.items()))})"
            for name, field in type_.fields.items()
            if name not in OTHER_SECTIONS
        }
    if isinstance(type_, GraphQLInputObjectType):
        return {name: str(field.type) for name, field in type_.fields.items()}
    return {value: "" for value in type_.values}


def test_the_schema_keeps_every_type_of_section_15():
    for name in TYPES:
        assert name in SCHEMA.type_map, name
        assert _fields(SCHEMA.type_map[name]) == _fields(NEXT.type_map[name]), name


def test_the_schema_keeps_the_roots_of_section_15_with_their_arguments():
    for root, names in ((SCHEMA.query_type, QUERIES), (SCHEMA.mutation_type, MUTATIONS)):
        next_root = NEXT.query_type if root is SCHEMA.query_type else NEXT.mutation_type
        for name in names:
            mine, theirs = root.fields[name], next_root.fields[name]
            assert str(mine.type) == str(theirs.type), name
            assert {a: str(v.type) for a, v in mine.args.items()} == {a: str(v.type) for a, v in theirs.args.items()}, name
            assert {a: v.default_value for a, v in mine.args.items()} == {a: v.default_value for a, v in theirs.args.items()}, (
                name
            )


def test_the_viewer_shows_its_notification_preferences():
    field = SCHEMA.type_map["Viewer"].fields["notificationPreferences"]
    assert str(field.type) == str(NEXT.type_map["Viewer"].fields["notificationPreferences"].type)
