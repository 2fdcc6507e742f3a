"""The SCIM Groups endpoints: /Groups (list, POST), /Groups/.search and /Groups/{id} (GET, PUT, PATCH, DELETE),
over models/scim/groups.py. Members are read only when the answer shows them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from seatwise.gql.http.scim.endpoint import actor, authorize, base_url, read_json, scim_response
from seatwise.gql.http.scim.query import list_query, shaped
from seatwise.models.core.tables import Group
from seatwise.models.scim import groups as scim_groups
from seatwise.models.scim.schema import GROUP_SCHEMA, list_response, project, wants


async def _group_response(request: Request, group: Group, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    with_members = wants(
        "members", request.query_params.get("attributes"), request.query_params.get("excludedAttributes"), GROUP_SCHEMA
    )
    members = (await scim_groups.members_of([group.id]))[group.id] if with_members else None
    found = scim_groups.resource(group, members, base_url(request))
    return scim_response(shaped(request, found, GROUP_SCHEMA), status, headers)


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


async def create_group(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    group = await scim_groups.create(viewer.org, body, actor=actor(viewer), now=viewer.now)
    return await _group_response(request, group, 201, {"Location": f"{base_url(request)}/Groups/{group.id}"})


async def get_group(request: Request) -> Response:
    viewer = await authorize(request)
    return await _group_response(request, await scim_groups.get(viewer.org, request.path_params["id"]))


async def replace_group(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    group = await scim_groups.replace(viewer.org, request.path_params["id"], body, actor=actor(viewer), now=viewer.now)
    return await _group_response(request, group)


async def patch_group(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    group = await scim_groups.patch(viewer.org, request.path_params["id"], body, actor=actor(viewer), now=viewer.now)
    return await _group_response(request, group)


async def delete_group(request: Request) -> Response:
    viewer = await authorize(request)
    await scim_groups.delete(viewer.org, request.path_params["id"], actor=actor(viewer), now=viewer.now)
    return Response(status_code=204)
