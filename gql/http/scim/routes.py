"""The app mounted at /scim/v2: each path with its methods, every other method a 405 and every other path a 404,
as SCIM error bodies."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from seatwise.gql.http.scim import discovery, groups, users
from seatwise.gql.http.scim.endpoint import Handler, authorize, error_response, scim_endpoint
from seatwise.models.scim.errors import ScimError

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def search_everything(request: Request) -> Response:
    await authorize(request)
    raise ScimError(501, "Searching several resource types at once is not supported: POST /Users/.search or /Groups/.search.")


def _route(path: str, **handlers: Handler) -> Route:
    return Route(path, scim_endpoint({method.upper(): h for method, h in handlers.items()}), methods=ALL_METHODS)


async def _unknown(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(ScimError(404, "No such SCIM endpoint."))
    await response(scope, receive, send)


def router() -> Router:
    """The app mounted at /scim/v2."""
    return Router(
        routes=[
            _route("/ServiceProviderConfig", get=discovery.get_service_provider_config),
            _route("/ResourceTypes", get=discovery.list_resource_types),
            _route("/ResourceTypes/{id}", get=discovery.get_resource_type),
            _route("/Schemas", get=discovery.list_schemas),
            _route("/Schemas/{id}", get=discovery.get_schema),
            _route("/.search", post=search_everything),
            _route("/Users/.search", post=users.list_users),
            _route("/Groups/.search", post=groups.list_groups),
            _route("/Users", get=users.list_users, post=users.create_user),
            _route("/Users/{id}", get=users.get_user, put=users.replace_user, patch=users.patch_user, delete=users.delete_user),
            _route("/Groups", get=groups.list_groups, post=groups.create_group),
            _route(
                "/Groups/{id}",
                get=groups.get_group,
                put=groups.replace_group,
                patch=groups.patch_group,
                delete=groups.delete_group,
            ),
        ],
        default=_unknown,
    )
