"""The webhook API: GLOBAL_ADMIN only, at most 10 endpoints, the secret shown once, bad input as userErrors with
nothing changed; events(after, first, types) pages the log; the delivery log and redelivery."""

import pytest

from seatwise.models.core.tables import AdminRole, AuditEvent, WebhookEndpoint
from seatwise.models.webhooks.worker import Worker
from tests.support import error_codes, execute, make_org, make_user, token_for
from tests.webhook_support import private_allowed  # noqa: F401  (fixture)

CREATE = """mutation($url: String!, $types: [String!]) {
  createWebhookEndpoint(input: {url: $url, eventTypes: $types, description: "ops"}) {
    endpoint { id url description eventTypes enabled disabledReason createdAt }
    secret
    userErrors { code field message }
  }
}"""
ENDPOINTS = "{ webhookEndpoints { id url } }"
DELIVERIES = """query($id: ID!) { webhookDeliveries(endpointId: $id) {
  totalCount edges { node { id status event { type sequence } attempts { httpStatus error response } endpoint { id } } }
} }"""
EVENTS = "query($after: Int, $first: Int, $types: [String!]) { events(after: $after, first: $first, types: $types) { edges { cursor node { id type sequence data } } pageInfo { hasNextPage endCursor } } }"


@pytest.mark.parametrize("role", [AdminRole.READER, AdminRole.USER_ADMIN, AdminRole.BILLING_ADMIN])
async def test_only_a_global_admin_manages_or_reads_webhooks(role):
    fx = await make_org()
    token = await token_for(fx, await make_user(fx, role=role), role)
    operations = [
        (CREATE, {"url": "https://example.com/hook"}),
        (ENDPOINTS, None),
        (DELIVERIES, {"id": "1"}),
        ('mutation { updateWebhookEndpoint(input: {endpointId: "1", enabled: false}) { userErrors { code } } }', None),
        ('mutation { deleteWebhookEndpoint(input: {endpointId: "1"}) { userErrors { code } } }', None),
        ('mutation { rotateWebhookSecret(input: {endpointId: "1"}) { secret } }', None),
        ('mutation { sendTestWebhook(input: {endpointId: "1"}) { userErrors { code } } }', None),
        ('mutation { redeliverWebhook(input: {deliveryId: "1"}) { userErrors { code } } }', None),
    ]
    for query, variables in operations:
        assert error_codes(await execute(query, variables, token=token)) == ["FORBIDDEN"], query
    assert await WebhookEndpoint.all().count() == 0


async def test_create_shows_the_secret_once_and_keeps_it_out_of_the_audit_trail(private_allowed):  # noqa: F811
    fx = await make_org()
    body = (await execute(CREATE, {"url": "http://127.0.0.1:9/hook", "types": ["license.assigned"]}, token=fx.token)).data
    created = body["createWebhookEndpoint"]
    assert created["userErrors"] == [] and created["secret"].startswith("whsec_")
    assert created["endpoint"]["eventTypes"] == ["license.assigned"] and created["endpoint"]["enabled"] is True
    listed = (await execute(ENDPOINTS, token=fx.token)).data["webhookEndpoints"]
    assert listed == [{"id": created["endpoint"]["id"], "url": "http://127.0.0.1:9/hook"}]
    audit = await AuditEvent.filter(organization_id=fx.org.id, action="webhook_endpoint.created").values_list(
        "details", flat=True
    )
    assert len(audit) == 1 and created["secret"] not in str(audit)


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"url": "http://example.com/hook"}, ["input", "url"]),
        ({"url": "https://user:pw@example.com/"}, ["input", "url"]),
        ({"url": "https://127.0.0.1/"}, ["input", "url"]),
        ({"url": "https://example.com/hook", "types": ["license.exploded"]}, ["input", "eventTypes"]),
    ],
)
async def test_bad_input_is_a_user_error_and_creates_nothing(variables, field):
    fx = await make_org()
    result = (await execute(CREATE, variables, token=fx.token)).data["createWebhookEndpoint"]
    assert result["endpoint"] is None and result["secret"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID_INPUT", field)]
    assert await WebhookEndpoint.all().count() == 0


async def test_an_eleventh_endpoint_is_refused(private_allowed):  # noqa: F811
    fx = await make_org()
    for n in range(10):
        assert (await execute(CREATE, {"url": f"http://127.0.0.1:9/{n}"}, token=fx.token)).data["createWebhookEndpoint"]["secret"]
    result = (await execute(CREATE, {"url": "http://127.0.0.1:9/11"}, token=fx.token)).data["createWebhookEndpoint"]
    assert [e["code"] for e in result["userErrors"]] == ["INVALID_INPUT"] and "at most 10" in result["userErrors"][0]["message"]
    assert await WebhookEndpoint.all().count() == 10


async def test_update_delete_and_unknown_ids(private_allowed):  # noqa: F811
    fx = await make_org()
    created = (await execute(CREATE, {"url": "http://127.0.0.1:9/hook"}, token=fx.token)).data["createWebhookEndpoint"]
    endpoint_id = created["endpoint"]["id"]
    update = 'mutation($id: ID!) { updateWebhookEndpoint(input: {endpointId: $id, enabled: false, description: "paused"}) { endpoint { enabled description } userErrors { code } } }'
    assert (await execute(update, {"id": endpoint_id}, token=fx.token)).data["updateWebhookEndpoint"]["endpoint"] == {
        "enabled": False,
        "description": "paused",
    }
    for bad in ("999", "x"):
        body = (await execute(update, {"id": bad}, token=fx.token)).data["updateWebhookEndpoint"]
        assert body == {"endpoint": None, "userErrors": [{"code": "NOT_FOUND"}]}
    delete = "mutation($id: ID!) { deleteWebhookEndpoint(input: {endpointId: $id}) { deletedEndpointId userErrors { code } } }"
    assert (await execute(delete, {"id": endpoint_id}, token=fx.token)).data["deleteWebhookEndpoint"][
        "deletedEndpointId"
    ] == endpoint_id
    assert await WebhookEndpoint.all().count() == 0


async def test_events_page_in_sequence_order_and_bad_pages_are_bad_user_input():
    fx = await make_org()
    for _ in range(3):
        await make_user(fx)
    first = (await execute(EVENTS, {"first": 2}, token=fx.token)).data["events"]
    assert [e["node"]["sequence"] for e in first["edges"]] == [1, 2] and first["pageInfo"]["hasNextPage"]
    rest = (await execute(EVENTS, {"after": 2, "first": 100}, token=fx.token)).data["events"]
    assert rest["edges"][0]["node"]["sequence"] == 3 and not rest["pageInfo"]["hasNextPage"]
    only = (await execute(EVENTS, {"types": ["user.created"]}, token=fx.token)).data["events"]["edges"]
    assert {e["node"]["type"] for e in only} == {"user.created"}
    for variables in ({"first": 0}, {"first": 101}, {"after": -1}):
        assert error_codes(await execute(EVENTS, variables, token=fx.token)) == ["BAD_USER_INPUT"]


async def test_a_test_webhook_shows_in_the_delivery_log_and_can_be_redelivered(httpserver, private_allowed):  # noqa: F811
    httpserver.expect_request("/hook").respond_with_data("thanks")
    fx = await make_org()
    variables = {"url": httpserver.url_for("/hook"), "types": ["webhook.test"]}
    created = (await execute(CREATE, variables, token=fx.token)).data["createWebhookEndpoint"]
    endpoint_id = created["endpoint"]["id"]
    send = "mutation($id: ID!) { sendTestWebhook(input: {endpointId: $id}) { delivery { id status event { type } } userErrors { code } } }"
    sent = (await execute(send, {"id": endpoint_id}, token=fx.token)).data["sendTestWebhook"]["delivery"]
    assert (sent["status"], sent["event"]["type"]) == ("PENDING", "webhook.test")
    worker = Worker()
    try:
        await worker.run_once(fx.org.created_at)
        log = (await execute(DELIVERIES, {"id": endpoint_id}, token=fx.token)).data["webhookDeliveries"]
        assert log["totalCount"] == 1
        node = log["edges"][0]["node"]
        assert node["status"] == "DELIVERED" and node["attempts"] == [{"httpStatus": 200, "error": None, "response": "thanks"}]
        redo = "mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) { delivery { id status event { sequence } } } }"
        again = (await execute(redo, {"id": node["id"]}, token=fx.token)).data["redeliverWebhook"]["delivery"]
        assert again["status"] == "PENDING" and again["id"] != node["id"]
        assert again["event"]["sequence"] == node["event"]["sequence"]
        await worker.run_once(fx.org.created_at)
    finally:
        await worker.close()
    assert len(httpserver.log) == 2


async def test_a_bad_url_for_an_unknown_endpoint_is_invalid_input_first():
    fx = await make_org()
    update = 'mutation { updateWebhookEndpoint(input: {endpointId: "999", url: "ftp://x"}) { userErrors { code field } } }'
    errors = (await execute(update, token=fx.token)).data["updateWebhookEndpoint"]["userErrors"]
    assert errors == [{"code": "INVALID_INPUT", "field": ["input", "url"]}]
