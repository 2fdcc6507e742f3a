"""The plumbing of every SCIM endpoint: the SCIM token, the JSON body, `application/scim+json` answers and every
refusal as an RFC 7644 error body (section 3.12), never a bare 5xx."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from seatwise.gql.graphql.core import credentials
from seatwise.gql.graphql.core.request_id import request_id
from seatwise.gql.graphql.core.urls import public_base_url
from seatwise.models.core.errors import Forbidden, Unauthenticated
from seatwise.models.core.inputs import has_forbidden_text
from seatwise.models.core.tables import TokenScope
from seatwise.models.events.audit import Actor
from seatwise.models.people.auth import Viewer
from seatwise.models.people.roles import Capability
from seatwise.models.scim.errors import ScimError, invalid_syntax, invalid_value

PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"
log = logging.getLogger("seatwise.scim")


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def error_response(error: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if error.status == 401 else None
    return scim_response(error.body(), error.status, headers)


def too_large() -> Response:
    """The body limit's 413 (gql/http/middleware.py) as a SCIM error body."""
    return error_response(ScimError(413, "Request body too large (1 MiB at most)."))


# The body limit answers with a SCIM error body under /scim/ (the middleware's answer per path prefix).
TOO_LARGE: dict[str, Callable[[], Response]] = {"/scim/": too_large}


def base_url(request: Request) -> str:
    """This server's SCIM base URL as clients see it (SEATWISE_PUBLIC_URL, else the request's Host): absolute even
    when the request named no host (RFC 7644 locations are absolute), from the address the request came to."""
    return (public_base_url(request) or str(request.base_url).rstrip("/")) + PREFIX


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


def actor(viewer: Viewer) -> Actor:
    """The token's owner as the actor of a change, audited with `details.via = "scim"`."""
    return dataclasses.replace(viewer.actor, via="scim")


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise invalid_syntax("The request needs a JSON body.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid_syntax("The body is not valid JSON.") from None
    if _has_forbidden_text(body):
        raise invalid_value(FORBIDDEN_TEXT.format(where="The body"))
    return body


# The one boundary for text no database stores (docs/rules.md section 19), as for GraphQL (core/text_boundary.py).
FORBIDDEN_TEXT = "{where} contains a character that is not allowed (NUL or a lone surrogate)."


def _has_forbidden_text(value: Any) -> bool:
    """Whether a JSON value holds NUL or a lone surrogate in any string or key, at any depth (no recursion: a
    body nested thousands deep is valid JSON)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_forbidden_text(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def check_request_text(request: Request) -> None:
    """The path and the query parameters (names and values; a filter among them) of a SCIM request."""
    if has_forbidden_text(request.url.path) or _has_forbidden_text(
        [part for pair in request.query_params.multi_items() for part in pair]
    ):
        raise invalid_value(FORBIDDEN_TEXT.format(where="The request's path or query"))


Handler = Callable[[Request], Awaitable[Response]]


def scim_endpoint(handlers: dict[str, Handler]) -> Handler:
    """One path's methods, each answering SCIM errors for bad input and never a bare 5xx body."""

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method)
        try:
            if handler is None:
                raise ScimError(405, f"{request.method} is not supported here.")
            check_request_text(request)
            return await handler(request)
        except ScimError as error:
            return error_response(error)
        except Exception:
            log.exception("SCIM request failed")
            return error_response(ScimError(500, f"Internal server error (request id {request_id.get()})."))

    return endpoint
