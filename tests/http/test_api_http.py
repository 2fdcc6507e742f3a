"""The API over real HTTP against `seatwise serve` on a free loopback port."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from seatwise.models.core.tables import User
from tests.support import PASSWORD, Server, make_org, make_user, post


@pytest.fixture(scope="module")
def server():
    running = Server().wait_ready()
    yield running
    running.stop()


async def test_health_readiness_and_graphiql(server):
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{server.url}/healthz")).json() == {"status": "ok"}
        ready = await client.get(f"{server.url}/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "ok"
        page = await client.get(f"{server.url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert "x-request-id" in page.headers
        # GraphiQL's assets come from this server (a closed network has no unpkg), and match the page's SRI hashes.
        assert "unpkg.com" not in page.text
        import base64
        import hashlib
        import re

        assets = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)"\s+integrity="sha384-([^"]+)"', page.text)
        assert len(assets) == 7
        for path, digest in assets:
            body = (await client.get(f"{server.url}{path}")).content
            assert base64.b64encode(hashlib.sha384(body).digest()).decode() == digest


@pytest.mark.parametrize("authorization", [None, "Bearer sw_forged_token_value", "Basic dXNlcjpwdw==", "Bearer", "sw_no_scheme"])
async def test_a_missing_malformed_or_unknown_token_gets_401_with_a_graphql_error_and_a_bearer_challenge(server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_lapsed_or_revoked_token_gets_401(server):
    from datetime import timedelta

    from seatwise.models.core.clock import utcnow
    from seatwise.models.core.tables import Credential

    fx = await make_org()
    async with httpx.AsyncClient() as client:
        assert (
            await client.post(
                f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": f"Bearer {fx.token}"}
            )
        ).status_code == 200
        await Credential.filter(user_id=fx.admin.id).update(expires_at=utcnow() - timedelta(seconds=1))
        lapsed = await client.post(
            f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": f"Bearer {fx.token}"}
        )
        await Credential.filter(user_id=fx.admin.id).update(expires_at=None, revoked_at=utcnow())
        revoked = await client.post(
            f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": f"Bearer {fx.token}"}
        )
    for response in (lapsed, revoked):
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_introspection_and_sign_in_work_without_a_token(server):
    fx = await make_org()
    sign_in = "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }"
    async with httpx.AsyncClient() as client:
        schema = await client.post(f"{server.url}/graphql", json={"query": "{ __schema { queryType { name } } }"})
        signed = await client.post(
            f"{server.url}/graphql", json={"query": sign_in, "variables": {"e": fx.admin.email, "p": PASSWORD}}
        )
    assert schema.status_code == 200 and schema.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert signed.status_code == 200 and signed.json()["data"]["signIn"]["token"].startswith("sw_")


async def test_forbidden_role_changes_nothing(server):
    fx = await make_org()
    from seatwise.models.core.tables import AdminRole
    from tests.support import token_for

    reader = await make_user(fx, role=AdminRole.READER)
    token = await token_for(fx, reader, AdminRole.READER)
    async with httpx.AsyncClient() as client:
        body = await post(
            client,
            server.url,
            'mutation { createUser(input: {email: "x@acme.test", displayName: "X"}) { user { id } } }',
            token=token,
        )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await User.exists(email="x@acme.test")


async def test_cross_organization_ids_behave_as_unknown(server):
    acme, other = await make_org("Acme"), await make_org("Other")
    stranger = await make_user(other)
    async with httpx.AsyncClient() as client:
        body = await post(
            client, server.url, "query($id: ID!) { user(id: $id) { email } }", {"id": str(stranger.id)}, token=acme.token
        )
        assert body == {"data": {"user": None}}
        body = await post(
            client,
            server.url,
            "mutation($id: ID!) { deleteUser(input: {userId: $id}) { userErrors { code } } }",
            {"id": str(stranger.id)},
            token=acme.token,
        )
    assert body["data"]["deleteUser"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert (await User.get(id=stranger.id)).deleted_at is None


async def test_sign_in_lockout_over_http(server):
    fx = await make_org()
    sign_in = "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token userErrors { code } } }"
    async with httpx.AsyncClient() as client:
        codes = []
        for _ in range(5):
            body = await post(client, server.url, sign_in, {"e": fx.admin.email, "p": "wrong password!!"})
            codes.append(body["data"]["signIn"]["userErrors"][0]["code"])
        assert codes == ["INVALID_CREDENTIALS"] * 5
        body = await post(client, server.url, sign_in, {"e": fx.admin.email, "p": PASSWORD})
        assert body["data"]["signIn"] == {"token": None, "userErrors": [{"code": "TOO_MANY_ATTEMPTS"}]}


async def test_validation_failure_over_http_changes_nothing(server):
    fx = await make_org()
    before = await User.all().count()
    async with httpx.AsyncClient() as client:
        body = await post(
            client,
            server.url,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { code field } } }",
            {"i": {"email": "a@b", "displayName": "X"}},
            token=fx.token,
        )
        assert body["data"]["createUser"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["input", "email"]}]
        body = await post(client, server.url, "query { users(first: 1000) { totalCount } }", token=fx.token)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await User.all().count() == before


async def test_request_bodies_over_one_mebibyte_get_413(server):
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/graphql",
            content=b'{"query": "' + b"x" * (1024 * 1024 + 1) + b'"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


async def test_metrics_are_prometheus_text_with_bounded_labels(server):
    fx = await make_org()
    async with httpx.AsyncClient() as client:
        await post(client, server.url, "{ viewer { role } }", token=fx.token)
        await post(client, server.url, "query MyVeryOwnName { products { sku } }", token=fx.token)
        text = (await client.get(f"{server.url}/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests = families["seatwise_graphql_requests"]
    labels = {(s.labels["operation"], s.labels["outcome"]) for s in requests.samples if s.name.endswith("_total")}
    assert ("viewer", "ok") in labels and ("products", "ok") in labels
    assert not any("MyVeryOwnName" in str(s.labels) for s in requests.samples)
    assert "seatwise_graphql_request_duration_seconds" in families
    assert "seatwise_clock_runs" in families


async def test_log_lines_are_json_with_a_request_id_and_no_token(server):
    fx = await make_org()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/graphql", json={"query": "{ viewer { role } }"}, headers={"Authorization": f"Bearer {fx.token}"}
        )
    rid = response.headers["x-request-id"]
    import json

    def whole_lines(log: str) -> list[dict]:  # the last line may still be being written
        return [json.loads(line) for line in log.splitlines() if line.startswith("{") and line.endswith("}")]

    def is_access_line(line: dict) -> bool:
        return line.get("requestId") == rid and line["logger"] == "seatwise.http"

    # the access line is written after the response is sent: wait for it instead of reading the log at once
    log = server.wait_for_log(lambda line: any(map(is_access_line, whole_lines(line))))
    access = [line for line in whole_lines(log) if is_access_line(line)]
    assert [line["message"] for line in access] == ["POST /graphql 200"]
    assert fx.token not in log
