"""API tokens have a scope: GRAPHQL tokens call /graphql; SCIM tokens (GLOBAL_ADMIN or USER_ADMIN only) are for
directory provisioning and get FORBIDDEN on /graphql and 403 on export downloads."""

from __future__ import annotations

import httpx
import pytest

from seatwise.models.core.tables import AuditEvent, Credential, TokenScope
from tests.support import Server, error_codes, execute, make_org

CREATE = """
mutation($role: AdminRole!, $scope: ApiTokenScope) {
  createApiToken(input: {name: "directory", role: $role, scope: $scope}) {
    token apiToken { role scope } userErrors { code field }
  }
}
"""


async def test_a_scim_token_is_created_for_a_user_admin_role_and_listed_with_its_scope():
    fx = await make_org()
    created = (await execute(CREATE, {"role": "USER_ADMIN", "scope": "SCIM"}, token=fx.token)).data["createApiToken"]
    assert created["userErrors"] == [] and created["apiToken"] == {"role": "USER_ADMIN", "scope": "SCIM"}
    assert (await Credential.get(name="directory")).scope is TokenScope.SCIM
    events = await AuditEvent.filter(organization_id=fx.org.id, action="api_token.created")
    assert [e.details["scope"] for e in events if e.details["name"] == "directory"] == ["SCIM"]
    listed = (await execute("{ apiTokens { name scope } }", token=fx.token)).data["apiTokens"]
    assert {"name": "cli", "scope": "GRAPHQL"} in listed and {"name": "directory", "scope": "SCIM"} in listed


@pytest.mark.parametrize("role", ["READER", "BILLING_ADMIN"])
async def test_a_scim_token_with_another_role_is_invalid_input_and_nothing_is_created(role):
    fx = await make_org()
    before = await Credential.all().count()
    refused = (await execute(CREATE, {"role": role, "scope": "SCIM"}, token=fx.token)).data["createApiToken"]
    assert refused == {"token": None, "apiToken": None, "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "scope"]}]}
    assert await Credential.all().count() == before


async def test_a_token_without_a_scope_is_a_graphql_token():
    fx = await make_org()
    created = (await execute(CREATE, {"role": "READER"}, token=fx.token)).data["createApiToken"]
    assert created["apiToken"]["scope"] == "GRAPHQL"
    assert (await execute("{ viewer { role } }", token=created["token"])).data == {"viewer": {"role": "READER"}}


async def test_a_scim_token_is_forbidden_on_graphql_and_changes_nothing():
    fx = await make_org()
    scim = (await execute(CREATE, {"role": "GLOBAL_ADMIN", "scope": "SCIM"}, token=fx.token)).data["createApiToken"]["token"]
    read = await execute("{ viewer { role } }", token=scim)
    assert read.data is None and error_codes(read) == ["FORBIDDEN"]
    before = await Credential.all().count()
    write = await execute(CREATE, {"role": "READER"}, token=scim)
    assert write.data is None and error_codes(write) == ["FORBIDDEN"]
    assert await Credential.all().count() == before


async def test_a_scim_token_cannot_download_an_export():
    fx = await make_org()
    scim = (await execute(CREATE, {"role": "GLOBAL_ADMIN", "scope": "SCIM"}, token=fx.token)).data["createApiToken"]["token"]
    server = Server().wait_ready()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(f"{server.url}/exports/1", headers={"Authorization": f"Bearer {scim}"})
    finally:
        server.stop()
    assert response.status_code == 403
