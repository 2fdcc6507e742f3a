"""The SCIM discovery endpoints (RFC 7644 section 4): /ServiceProviderConfig, /ResourceTypes and /Schemas."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from seatwise.gql.http.scim.endpoint import authorize, base_url, scim_response
from seatwise.models.scim.errors import ScimError
from seatwise.models.scim.schema import list_response, resource_types, schemas, service_provider_config


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
    raise ScimError(404, "No resource type has this name.")


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
    raise ScimError(404, "No schema has this id.")
