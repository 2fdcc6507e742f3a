"""/scim/v2: SCIM 2.0 provisioning over HTTP (RFC 7644), thin routes over models/scim_*.py.

Every answer is `application/scim+json`; every refusal an RFC 7644 error body. The credential is an API token of
scope SCIM (401 without a valid token, 403 for a GRAPHQL token); everything is scoped to its organization and every
change is audited with its owner as actor and `details.via = "scim"`."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from seatwise.gql.graphql.core import credentials
from seatwise.gql.http.logs import request_id
from seatwise.models.core.errors import Forbidden, Unauthenticated
from seatwise.models.core.settings import settings
from seatwise.models.core.tables import TokenScope
from seatwise.models.people.auth import Capability, Viewer
from seatwise.models.scim import groups as scim_groups
from seatwise.models.scim import users as scim_users
from seatwise.models.scim.errors import ScimError, invalid_syntax, invalid_value
from seatwise.models.scim.schema import (
    DEFAULT_COUNT,
    GROUP_SCHEMA,
    MAX_RESULTS,
    USER_SCHEMA,
    list_response,
    project,
    resource_types,
    schemas,
    service_provider_config,
    wants,
)

PREFIX = "/scim/v2"
MAX_START_INDEX = 2**31  # past every row; keeps OFFSET within what both databases take
MEDIA_TYPE = "application/scim+json"
log = logging.getLogger("seatwise.scim")


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def error_response(error: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if error.status == 401 else None
    return scim_response(error.body(), error.status, headers)


def base_url(request: Request) -> str:
    """This server's SCIM base URL as clients see it (SEATWISE_PUBLIC_URL, else the request's own address)."""
    configured = (settings().public_url or "").strip().rstrip("/")
    return (configured or str(request.base_url).rstrip("/")) + PREFIX


async def authorize(request: Request) -> Viewer:
    try:
        viewer = await credentials.authenticate(request.headers.get("authorization"))
    except Unauthenticated as error:
        raise ScimError(401, str(error)) from None
    try:
        viewer.require_scope(TokenScope.SCIM)
        viewer.require(Capability.MANAGE_USERS)
    except Forbidden as refused:
        raise ScimError(403, str(refused)) from None
    return viewer


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise invalid_syntax("The request needs a JSON body.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid_syntax("The body is not valid JSON.") from None


def _number(raw: Any, name: str, default: int) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            pass
    raise invalid_value(f"{name} is an integer.")


def _names(raw: Any, name: str) -> str | None:
    """attributes / excludedAttributes: comma-separated in a query, a list of paths in a SearchRequest."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return ",".join(raw)
    raise invalid_value(f"{name} is a list of attribute paths.")


@dataclasses.dataclass(frozen=True)
class Query:
    """What a list asks for, from the query string (GET) or a SearchRequest body (POST .search)."""

    filter: str | None
    start: int
    count: int
    attributes: str | None
    excluded: str | None

    @classmethod
    def of(cls, values: Any) -> Query:
        """startIndex (1-based; below 1 reads as 1) and count (0 to 200, default 100; below 0 reads as 0)."""
        if not isinstance(values, dict) and not hasattr(values, "get"):
            raise invalid_syntax("A SearchRequest is a JSON object.")
        text = values.get("filter")
        if text is not None and not isinstance(text, str):
            raise invalid_value("filter is a string.")
        return cls(
            filter=text,
            start=min(max(_number(values.get("startIndex"), "startIndex", 1), 1), MAX_START_INDEX),
            count=min(max(_number(values.get("count"), "count", DEFAULT_COUNT), 0), MAX_RESULTS),
            attributes=_names(values.get("attributes"), "attributes"),
            excluded=_names(values.get("excludedAttributes"), "excludedAttributes"),
        )


async def list_query(request: Request) -> Query:
    if request.method == "POST":  # POST {resource}/.search (RFC 7644 section 3.4.3)
        return Query.of(await read_json(request))
    return Query.of(request.query_params)


def _shaped(request: Request, body: dict[str, Any], schema: str) -> dict[str, Any]:
    return project(body, request.query_params.get("attributes"), request.query_params.get("excludedAttributes"), schema)


def _actor(viewer: Viewer):
    return dataclasses.replace(viewer.actor, via="scim")


Handler = Callable[[Request], Awaitable[Response]]


def scim_endpoint(handlers: dict[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    """One path's methods, each answering SCIM errors for bad input and never a bare 5xx body."""

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method)
        try:
            if handler is None:
                raise ScimError(405, f"{request.method} is not supported here.")
            return await handler(request)
        except ScimError as error:
            return error_response(error)
        except Exception:
            log.exception("SCIM request failed")
            return error_response(ScimError(500, f"Internal server error (request id {request_id.get()})."))

    return endpoint


# ---------------------------------------------------------------- discovery


async def get_service_provider_config(request: Request) -> Response:
    await authorize(request)
    return scim_response(service_provider_config(base_url(request)))


async def list_resource_types(request: Request) -> Response:
    await authorize(request)
    found = resource_types(base_url(request))
    return scim_response(list_response(found, len(found), 1))


async def get_resource_type(request: Request) -> Response:
    await authorize(request)
    wanted = request.path_params["id"]
    for item in resource_types(base_url(request)):
        if item["id"] == wanted:
            return scim_response(item)
    raise ScimError(404, f"No resource type {wanted}.")


async def list_schemas(request: Request) -> Response:
    await authorize(request)
    found = schemas(base_url(request))
    return scim_response(list_response(found, len(found), 1))


async def get_schema(request: Request) -> Response:
    await authorize(request)
    wanted = request.path_params["id"]
    for item in schemas(base_url(request)):
        if item["id"] == wanted:
            return scim_response(item)
    raise ScimError(404, f"No schema {wanted}.")


# ---------------------------------------------------------------- users


async def list_users(request: Request) -> Response:
    viewer = await authorize(request)
    query = await list_query(request)
    rows, total = await scim_users.page(viewer.org, query.filter, query.start, query.count)
    base = base_url(request)
    found = [project(scim_users.resource(user, base), query.attributes, query.excluded, USER_SCHEMA) for user in rows]
    return scim_response(list_response(found, total, query.start))


async def create_user(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    user = await scim_users.create(viewer.org, body, actor=_actor(viewer), now=viewer.now, wall=viewer.wall)
    found = scim_users.resource(user, base_url(request))
    return scim_response(_shaped(request, found, USER_SCHEMA), 201, {"Location": found["meta"]["location"]})


async def get_user(request: Request) -> Response:
    viewer = await authorize(request)
    user = await scim_users.get(viewer.org, request.path_params["id"])
    return scim_response(_shaped(request, scim_users.resource(user, base_url(request)), USER_SCHEMA))


async def replace_user(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    user = await scim_users.replace(
        viewer.org, request.path_params["id"], body, actor=_actor(viewer), now=viewer.now, wall=viewer.wall
    )
    return scim_response(_shaped(request, scim_users.resource(user, base_url(request)), USER_SCHEMA))


async def patch_user(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    user = await scim_users.patch(
        viewer.org, request.path_params["id"], body, actor=_actor(viewer), now=viewer.now, wall=viewer.wall
    )
    return scim_response(_shaped(request, scim_users.resource(user, base_url(request)), USER_SCHEMA))


async def delete_user(request: Request) -> Response:
    viewer = await authorize(request)
    await scim_users.delete(viewer.org, request.path_params["id"], actor=_actor(viewer), now=viewer.now, wall=viewer.wall)
    return Response(status_code=204)


# ---------------------------------------------------------------- groups


async def _group_response(request: Request, group, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    with_members = wants(
        "members", request.query_params.get("attributes"), request.query_params.get("excludedAttributes"), GROUP_SCHEMA
    )
    members = (await scim_groups.members_of([group.id]))[group.id] if with_members else None
    found = scim_groups.resource(group, members, base_url(request))
    return scim_response(_shaped(request, found, GROUP_SCHEMA), status, headers)


async def list_groups(request: Request) -> Response:
    viewer = await authorize(request)
    query = await list_query(request)
    rows, total = await scim_groups.page(viewer.org, query.filter, query.start, query.count)
    loaded = wants("members", query.attributes, query.excluded, GROUP_SCHEMA)
    members = await scim_groups.members_of([g.id for g in rows]) if loaded else {}
    base = base_url(request)
    found = [
        project(scim_groups.resource(g, members.get(g.id), base), query.attributes, query.excluded, GROUP_SCHEMA) for g in rows
    ]
    return scim_response(list_response(found, total, query.start))


async def search_everything(request: Request) -> Response:
    await authorize(request)
    raise ScimError(501, "Searching several resource types at once is not supported: POST /Users/.search or /Groups/.search.")


async def create_group(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    group = await scim_groups.create(viewer.org, body, actor=_actor(viewer), now=viewer.now)
    return await _group_response(request, group, 201, {"Location": f"{base_url(request)}/Groups/{group.id}"})


async def get_group(request: Request) -> Response:
    viewer = await authorize(request)
    return await _group_response(request, await scim_groups.get(viewer.org, request.path_params["id"]))


async def replace_group(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    group = await scim_groups.replace(viewer.org, request.path_params["id"], body, actor=_actor(viewer), now=viewer.now)
    return await _group_response(request, group)


async def patch_group(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    group = await scim_groups.patch(viewer.org, request.path_params["id"], body, actor=_actor(viewer), now=viewer.now)
    return await _group_response(request, group)


async def delete_group(request: Request) -> Response:
    viewer = await authorize(request)
    await scim_groups.delete(viewer.org, request.path_params["id"], actor=_actor(viewer), now=viewer.now)
    return Response(status_code=204)


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _route(path: str, **handlers: Handler) -> Route:
    return Route(path, scim_endpoint({method.upper(): h for method, h in handlers.items()}), methods=ALL_METHODS)


async def _unknown(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(ScimError(404, "No such SCIM endpoint."))
    await response(scope, receive, send)


def router() -> Router:
    """The app mounted at /scim/v2."""
    return Router(
        routes=[
            _route("/ServiceProviderConfig", get=get_service_provider_config),
            _route("/ResourceTypes", get=list_resource_types),
            _route("/ResourceTypes/{id}", get=get_resource_type),
            _route("/Schemas", get=list_schemas),
            _route("/Schemas/{id}", get=get_schema),
            _route("/.search", post=search_everything),
            _route("/Users/.search", post=list_users),
            _route("/Groups/.search", post=list_groups),
            _route("/Users", get=list_users, post=create_user),
            _route("/Users/{id}", get=get_user, put=replace_user, patch=patch_user, delete=delete_user),
            _route("/Groups", get=list_groups, post=create_group),
            _route("/Groups/{id}", get=get_group, put=replace_group, patch=patch_group, delete=delete_group),
        ],
        default=_unknown,
    )
