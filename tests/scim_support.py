"""SCIM test helpers: a SCIM-scoped token, and a client for /scim/v2 on a running server."""

from __future__ import annotations

from typing import Any

import httpx

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole, CredentialKind, TokenScope, User
from seatwise.models.people import credentials
from tests.support import OrgFixture

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


async def scim_token(fx: OrgFixture, *, owner: User | None = None, role: AdminRole = AdminRole.GLOBAL_ADMIN) -> str:
    token, _ = await credentials.issue_credential(
        owner or fx.admin, CredentialKind.API_TOKEN, role, now=utcnow(), name="directory", scope=TokenScope.SCIM
    )
    return token


def scim_client(base: str, token: str | None) -> httpx.AsyncClient:
    """An HTTP client whose relative URLs are under {base}/scim/v2."""
    headers = {"Content-Type": SCIM_JSON, "Accept": SCIM_JSON}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(base_url=f"{base}/scim/v2", headers=headers, timeout=30)


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER], "userName": user_name, **extra}


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def is_error(response: httpx.Response, status: int, scim_type: str | None = None) -> bool:
    body = response.json()
    return (
        response.status_code == status
        and response.headers["content-type"].startswith(SCIM_JSON)
        and body["schemas"] == [ERROR]
        and body["status"] == str(status)
        and body.get("scimType") == scim_type
        and bool(body.get("detail"))
    )
