"""Global ids (docs/rules.md section 17): every Node comes back by its id through node/nodes, inside the viewer's
organization only; inputs take global ids and, deprecated, plain numbers; a wrong-type or malformed id is unknown."""

from __future__ import annotations

import base64

from seatwise.models.core.clock import org_now
from seatwise.models.core.tables import AdminRole, LicenseWait
from seatwise.models.demo import seed as demo
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor
from seatwise.models.webhooks import endpoints
from tests.support import count_statements, error_codes, execute, gid, make_org, make_user, token_for
from tests.webhook_support import private_allowed  # noqa: F401  (a fixture)

EVERY_KIND = """
{
  organization { id }
  viewer { id }
  products { id roles { id } }
  seats { id }
  licenseConflicts { id }
  alerts { id }
  users(first: 50) { edges { node { id licenses { id } licenseWaits { id } } } }
  apiTokens { id }
  serviceRequests(first: 5) { edges { node { id } } }
  dataExports { id }
  auditEvents(first: 5) { edges { node { id } } }
  paymentCards { id }
  subscriptions { id }
  charges(first: 5) { edges { node { id } } }
  groups(first: 5) { edges { node { id } } }
  events(first: 5) { edges { node { id } } }
  webhookEndpoints { id }
}
"""
DELIVERIES = "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 5) { edges { node { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
USER = "query($id: ID!) { user(id: $id) { id email } }"
DELETE = "mutation($id: ID!) { deleteUser(input: {userId: $id}) { user { id } userErrors { code field } } }"
ASSIGN = (
    'mutation($ids: [ID!]!) { assignLicenses(input: {userIds: $ids, productSku: "CRM_BASIC"}) { userErrors { code field } } }'
)


def _ids(data) -> dict[str, str]:
    """One global id of each type named in a response (its type is inside the id)."""
    found: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "id" and isinstance(value, str):
                    found.setdefault(base64.b64decode(value).decode().split(":")[0], value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


async def _demo_with_everything():
    """The demo organization, plus a data export, a service request and a webhook endpoint with a delivery."""
    built = await demo.build_demo()
    now = org_now(built.organization)
    actor = Actor(email=built.admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=built.admin.id)
    await execute("mutation { exportData(input: {format: CSV}) { dataExport { id } } }", token=built.token)
    await execute(
        'mutation { submitServiceRequest(input: {category: OTHER, description: "Hello"}) { serviceRequest { id } } }',
        token=built.token,
    )
    endpoint, _ = await endpoints.create(built.organization, "http://127.0.0.1:9/hook", [], "test", actor=actor, now=now)
    await endpoints.send_test(built.organization, str(endpoint.id), now=now)
    return built, endpoint


NODE_TYPES = {
    "Organization",
    "ProductSubscription",
    "LicenseAssignment",
    "User",
    "PaymentCard",
    "Charge",
    "ServiceRequest",
    "DataExport",
    "AuditEvent",
    "ApiToken",
    "Group",
    "Event",
    "WebhookEndpoint",
    "WebhookDelivery",
    "ProductRole",
    "Product",
    "SeatPool",
    "LicenseConflict",
    "Alert",
    "LicenseWait",
}  # LicenseEvent too: a live event only (tests/gql/events), its id is not found again


async def test_every_node_type_comes_back_by_the_id_a_real_query_gave(private_allowed):  # noqa: F811
    # Given the demo organization with an object of every kind
    built, endpoint = await _demo_with_everything()
    first = await execute(EVERY_KIND, token=built.token)
    assert first.errors is None, first.errors
    deliveries = await execute(DELIVERIES, {"e": gid("WebhookEndpoint", endpoint.id)}, token=built.token)
    found = _ids(first.data) | _ids(deliveries.data)
    assert NODE_TYPES <= set(found), NODE_TYPES - set(found)
    # When each id is asked with node, and all of them at once with nodes
    for type_name in sorted(NODE_TYPES):
        result = await execute(NODE, {"id": found[type_name]}, token=built.token)
        # Then the same object comes back, of the type inside its id
        assert result.data["node"] == {"__typename": type_name, "id": found[type_name]}, type_name
    ordered = [found[t] for t in sorted(NODE_TYPES)]
    result = await execute(NODES, {"ids": ordered}, token=built.token)
    assert [n["id"] for n in result.data["nodes"]] == ordered


async def test_viewer_has_a_stable_id_that_is_not_a_node():
    fx = await make_org()
    first = await execute("{ viewer { id } }", token=fx.token)
    again = await execute("{ viewer { id } }", token=fx.token)
    assert first.data["viewer"]["id"] == again.data["viewer"]["id"]
    assert (await execute(NODE, {"id": first.data["viewer"]["id"]}, token=fx.token)).data["node"] is None


async def test_another_organizations_id_is_null_from_node_and_not_found_from_a_mutation():
    # Given a user of another organization
    ours, theirs = await make_org("Ours"), await make_org("Theirs")
    stranger = await make_user(theirs)
    their_id = gid("User", stranger.id)
    # When our admin asks for it, or deletes it
    node = await execute(NODES, {"ids": [their_id, gid("User", 10**9)]}, token=ours.token)
    deleted = await execute(DELETE, {"id": their_id}, token=ours.token)
    # Then it is unknown, exactly like an id that exists nowhere; and nothing changed
    assert node.data["nodes"] == [None, None]
    assert deleted.data["deleteUser"] == {"user": None, "userErrors": [{"code": "NOT_FOUND", "field": ["input", "userId"]}]}
    assert (await execute(USER, {"id": their_id}, token=theirs.token)).data["user"]["email"] == stranger.email


async def test_a_deleted_user_is_null_from_node_but_still_readable_by_user_until_purged():
    # Given a user our admin deleted
    fx = await make_org()
    user = await make_user(fx)
    assert (await execute(DELETE, {"id": gid("User", user.id)}, token=fx.token)).data["deleteUser"]["userErrors"] == []
    # When the console asks for it by global id
    node = await execute(NODE, {"id": gid("User", user.id)}, token=fx.token)
    # Then node answers null (a deleted object), while user(id:) still shows it for a restore
    assert node.errors is None and node.data["node"] is None
    assert (await execute(USER, {"id": gid("User", user.id)}, token=fx.token)).data["user"]["email"] == user.email


async def test_a_plain_number_is_still_accepted_where_the_type_is_known():
    fx = await make_org()
    user = await make_user(fx)
    result = await execute(USER, {"id": str(user.id)}, token=fx.token)
    assert result.data["user"] == {"id": gid("User", user.id), "email": user.email}


async def test_a_wrong_type_or_malformed_id_is_unknown_never_an_error():
    # Given a user, and its key inside a global id of another type, a mangled id and a nonsense one
    fx = await make_org()
    user = await make_user(fx)
    wrong_type = gid("Group", user.id)
    mangled = gid("User", user.id)[:-2] + "!!"
    for bad in (wrong_type, mangled, "not-an-id", gid("User", "abc"), gid("NoSuchType", 1)):
        # When it is used in a query, node, and a mutation
        query = await execute(USER, {"id": bad}, token=fx.token)
        node = await execute(NODE, {"id": bad}, token=fx.token)
        mutation = await execute(DELETE, {"id": bad}, token=fx.token)
        # Then null and NOT_FOUND on the field, with no top-level error, and the user is still there
        assert query.errors is None and node.errors is None and mutation.errors is None, bad
        assert query.data["user"] is None and node.data["node"] is None, bad
        assert mutation.data["deleteUser"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "userId"]}], bad
    assert (await execute(USER, {"id": gid("User", user.id)}, token=fx.token)).data["user"]["email"] == user.email


async def test_a_list_input_answers_each_wrong_id_as_unknown():
    fx = await make_org()
    user = await make_user(fx)
    result = await execute(ASSIGN, {"ids": [gid("User", user.id), gid("Group", user.id)]}, token=fx.token)
    assert result.errors is None
    assert [e["code"] for e in result.data["assignLicenses"]["userErrors"]] == ["NOT_FOUND"]


async def test_nodes_takes_1_to_100_ids():
    fx = await make_org()
    for count in (0, 101):
        result = await execute(NODES, {"ids": [gid("User", fx.admin.id)] * count}, token=fx.token)
        assert error_codes(result) == ["BAD_USER_INPUT"], count
        assert result.data is None


async def test_nodes_are_in_the_order_asked_with_null_for_each_one_not_found():
    fx = await make_org()
    user = await make_user(fx)
    asked = [gid("User", user.id), gid("User", 10**9), gid("User", fx.admin.id), gid("User", user.id)]
    result = await execute(NODES, {"ids": asked}, token=fx.token)
    assert [None if n is None else n["id"] for n in result.data["nodes"]] == [asked[0], None, asked[2], asked[0]]


async def test_nodes_reads_one_type_in_the_same_statements_for_100_ids_as_for_1():
    # Given 100 users
    fx = await make_org()
    users = [await make_user(fx) for _ in range(99)] + [fx.admin]
    asked = [gid("User", u.id) for u in users]

    async def ask(ids):
        result = await execute(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { email } } }", {"ids": ids}, token=fx.token
        )
        assert result.errors is None
        return result

    await ask(asked[:1])  # the token's first use of the minute is recorded once: not part of what is measured
    # When nodes asks for one of them, then for all
    _, one = await count_statements(ask(asked[:1]))
    result, hundred = await count_statements(ask(asked))
    # Then the same statements read them, and every one is found
    assert len(hundred) == len(one)
    assert [n["id"] for n in result.data["nodes"]] == asked


async def test_nodes_of_two_types_read_each_type_once():
    # Given users and groups
    fx = await make_org()
    users = [await make_user(fx) for _ in range(3)]
    groups = [
        (await execute(f'mutation {{ createGroup(input: {{displayName: "G{i}"}}) {{ group {{ id }} }} }}', token=fx.token))
        for i in range(3)
    ]
    group_ids = [g.data["createGroup"]["group"]["id"] for g in groups]
    one_each = [gid("User", users[0].id), group_ids[0]]
    all_of_them = [gid("User", u.id) for u in users] + group_ids
    await execute(NODES, {"ids": one_each}, token=fx.token)
    # When nodes asks for one of each type, then for three of each
    _, few = await count_statements(execute(NODES, {"ids": one_each}, token=fx.token))
    result, many = await count_statements(execute(NODES, {"ids": all_of_them}, token=fx.token))
    # Then the statements are the same: one per type, not one per id
    assert len(many) == len(few)
    assert [n["__typename"] for n in result.data["nodes"]] == ["User"] * 3 + ["Group"] * 3


async def test_the_audit_filter_takes_the_targets_global_id():
    fx = await make_org()
    user = await make_user(fx)
    query = "query($t: ID) { auditEvents(first: 5, filter: {targetId: $t}) { edges { node { action targetId } } } }"
    by_global = await execute(query, {"t": gid("User", user.id)}, token=fx.token)
    by_plain = await execute(query, {"t": str(user.id)}, token=fx.token)
    edges = by_global.data["auditEvents"]["edges"]
    assert [e["node"] for e in edges] == [{"action": "user.created", "targetId": str(user.id)}]
    assert by_plain.data == by_global.data


async def test_another_organizations_license_wait_is_null_from_node():
    # Given the demo organization, where someone waits for a license, and an admin of another organization
    built = await demo.build_demo()
    wait = await LicenseWait.filter(organization_id=built.organization.id).first()
    assert wait is not None
    wait_id = gid("LicenseWait", f"{wait.user_id}:{wait.product_id}")
    stranger = await make_org("Theirs")
    # When each asks for that wait by its global id
    ours = await execute(NODE, {"id": wait_id}, token=built.token)
    theirs = await execute(NODE, {"id": wait_id}, token=stranger.token)
    # Then only the demo's admin finds it; the other organization gets null, as for an id that exists nowhere
    assert ours.data["node"] == {"__typename": "LicenseWait", "id": wait_id}
    assert theirs.errors is None and theirs.data["node"] is None


async def test_a_role_that_may_not_list_webhooks_gets_null_for_their_ids(private_allowed):  # noqa: F811
    # Given a webhook endpoint, and a READER token of the same organization
    built, endpoint = await _demo_with_everything()
    reader = await token_for(built, built.admin, AdminRole.READER)
    endpoint_id = gid("WebhookEndpoint", endpoint.id)
    # When the reader and the global admin ask for the endpoint by id
    as_reader = await execute(NODE, {"id": endpoint_id}, token=reader)
    as_admin = await execute(NODE, {"id": endpoint_id}, token=built.token)
    # Then the reader gets null (webhookEndpoints is GLOBAL_ADMIN's), the admin the endpoint
    assert as_reader.errors is None and as_reader.data["node"] is None
    assert as_admin.data["node"] == {"__typename": "WebhookEndpoint", "id": endpoint_id}


async def test_the_audit_filter_by_global_id_keeps_to_the_targets_type():
    # Given a user, and an event about a subscription whose id is the same number as the user's
    fx = await make_org()
    user = await make_user(fx)
    actor = Actor(email="admin@x.test", role=AdminRole.GLOBAL_ADMIN, user_id=None)
    at = org_now(fx.org)
    await audit.record(
        fx.org, actor, audit.AuditAction.LICENSES_PURCHASED, target_type=audit.AuditTarget.SUBSCRIPTION, target_id=user.id, at=at
    )
    query = "query($t: ID) { auditEvents(first: 5, filter: {targetId: $t}) { edges { node { action targetType } } } }"
    # When the log is filtered by the user's global id, by a plain number, and by a charge's global id
    by_global = await execute(query, {"t": gid("User", user.id)}, token=fx.token)
    by_plain = await execute(query, {"t": str(user.id)}, token=fx.token)
    by_charge = await execute(query, {"t": gid("Charge", user.id)}, token=fx.token)
    # Then the global id finds only the user's events; the plain number (deprecated) every target with that id
    assert [e["node"]["targetType"] for e in by_global.data["auditEvents"]["edges"]] == ["USER"]
    assert sorted(e["node"]["targetType"] for e in by_plain.data["auditEvents"]["edges"]) == ["SUBSCRIPTION", "USER"]
    assert by_charge.errors is None and by_charge.data["auditEvents"]["edges"] == []
