"""Helpers for the SCIM tests over real HTTP: an organization with a SCIM-scoped token (created through the
domain, as an admin would with `createApiToken(input: {scope: SCIM})`), and a client for `/scim/v2`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole, AuditEvent, TokenScope
from seatwise.models.events.audit import AuditAction
from seatwise.models.people import auth, tokens
from tests.support import OrgFixture, make_org, post

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class ScimOrg:
    fx: OrgFixture
    scim_token: str

    @property
    def owner(self) -> str:
        """The email of the SCIM token's owner: the actor of every change made over SCIM."""
        return self.fx.admin.email


async def scim_org(name: str = "Acme", role: AdminRole = AdminRole.GLOBAL_ADMIN) -> ScimOrg:
    fx = await make_org(name)
    viewer = await auth.authenticate(f"Bearer {fx.token}", now=utcnow())
    token, _ = await tokens.create_api_token(viewer, "directory", role, None, scope=TokenScope.SCIM, now=utcnow())
    return ScimOrg(fx, token)


class Scim:
    """A SCIM client as a directory is one: bearer token, `application/scim+json` bodies."""

    def __init__(self, client: httpx.AsyncClient, server_url: str, token: str | None) -> None:
        self.client = client
        self.base = f"{server_url}/scim/v2"
        self.headers = {"Accept": SCIM_JSON}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    async def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = dict(self.headers)
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = kwargs.pop("content_type", SCIM_JSON)
        return await self.client.request(method, f"{self.base}{path}", content=content, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, body, **kwargs)

    async def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, body, **kwargs)

    async def patch(self, path: str, operations: list[dict], **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": operations}, **kwargs)

    async def delete(self, path: str) -> httpx.Response:
        return await self.request("DELETE", path)

    async def find_user(self, user_name: str) -> list[dict]:
        """The existence check both directories make before a create."""
        response = await self.get("/Users", params={"filter": f'userName eq "{user_name}"'})
        assert response.status_code == 200, response.text
        return response.json().get("Resources", [])

    async def create_user(self, user_name: str, **extra: Any) -> dict:
        body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True, **extra}
        body.setdefault("emails", [{"primary": True, "type": "work", "value": user_name}])
        response = await self.post("/Users", body)
        assert response.status_code == 201, response.text
        return response.json()

    async def create_group(self, display_name: str, members: list[str] | None = None, **extra: Any) -> dict:
        body = {"schemas": [GROUP_SCHEMA], "displayName": display_name, **extra}
        if members is not None:
            body["members"] = [{"value": member} for member in members]
        response = await self.post("/Groups", body)
        assert response.status_code == 201, response.text
        return response.json()


def ok(response: httpx.Response, status: int = 200) -> dict:
    """The JSON body of a response with `status` (the body is shown when it is not)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else {}


def member_ids(group: dict) -> list[str]:
    return sorted(member["value"] for member in group.get("members") or [])


def work_email(user: dict) -> str | None:
    return next((e["value"] for e in user.get("emails") or [] if e.get("type") == "work"), None)


async def scim_events(org_id: int, action: AuditAction | None = None) -> list[AuditEvent]:
    """Audit events written through SCIM (details.via == "scim"), oldest first."""
    query = AuditEvent.filter(organization_id=org_id)
    if action is not None:
        query = query.filter(action=action.value)
    return [event for event in await query.order_by("id") if (event.details or {}).get("via") == "scim"]


async def graphql(client: httpx.AsyncClient, url: str, query: str, variables: dict | None, token: str) -> dict:
    body = await post(client, url, query, variables, token=token)
    assert body.get("errors") is None, body
    return body["data"]
