"""The SCIM Users endpoints: /Users (list, POST), /Users/.search and /Users/{id} (GET, PUT, PATCH, DELETE), over
models/scim/users.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from seatwise.gql.http.scim.endpoint import actor, authorize, base_url, read_json, scim_response
from seatwise.gql.http.scim.query import list_query, shaped
from seatwise.models.scim import users as scim_users
from seatwise.models.scim.schema import USER_SCHEMA, list_response, project
from seatwise.models.scim.user_resource import resource


async def list_users(request: Request) -> Response:
    viewer = await authorize(request)
    query = await list_query(request)
    rows, total = await scim_users.page(viewer.org, query.filter, query.start, query.count)
    base = base_url(request)
    found = [project(resource(user, base), query.attributes, query.excluded, USER_SCHEMA) for user in rows]
    return scim_response(list_response(found, total, query.start))


async def create_user(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    user = await scim_users.create(viewer.org, body, actor=actor(viewer), now=viewer.now, wall=viewer.wall)
    found = resource(user, base_url(request))
    return scim_response(shaped(request, found, USER_SCHEMA), 201, {"Location": found["meta"]["location"]})


async def get_user(request: Request) -> Response:
    viewer = await authorize(request)
    user = await scim_users.get(viewer.org, request.path_params["id"])
    return scim_response(shaped(request, resource(user, base_url(request)), USER_SCHEMA))


async def replace_user(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    user = await scim_users.replace(
        viewer.org, request.path_params["id"], body, actor=actor(viewer), now=viewer.now, wall=viewer.wall
    )
    return scim_response(shaped(request, resource(user, base_url(request)), USER_SCHEMA))


async def patch_user(request: Request) -> Response:
    viewer = await authorize(request)
    body = await read_json(request)
    user = await scim_users.patch(
        viewer.org, request.path_params["id"], body, actor=actor(viewer), now=viewer.now, wall=viewer.wall
    )
    return scim_response(shaped(request, resource(user, base_url(request)), USER_SCHEMA))


async def delete_user(request: Request) -> Response:
    viewer = await authorize(request)
    await scim_users.delete(viewer.org, request.path_params["id"], actor=actor(viewer), now=viewer.now, wall=viewer.wall)
    return Response(status_code=204)
