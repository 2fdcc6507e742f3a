"""The GraphQL endpoint over HTTP and WebSocket, on Strawberry's ASGI view.

- Authentication: every path calls gql/graphql/core/credentials.py. Over HTTP a missing, malformed, unknown,
  lapsed or revoked token gets 401 with a GraphQL error body and `WWW-Authenticate: Bearer` (only signIn and
  introspection work without one, see gql/graphql/core/guard.py).
- GraphQL over HTTP: `application/graphql-response+json` when the client accepts it (400 for a request that
  fails to parse, validate or coerce its variables), `application/json` otherwise (200 for those). Requests
  that are not GraphQL requests at all (bad JSON, a body that is not an object, ...) get 400 with a GraphQL
  error body.
- Automatic persisted queries (Apollo's protocol) over GET and POST: gql/http/persisted.py.
- Subscriptions: over the WebSocket (graphql-transport-ws only, gql/ws/transport.py; other subprotocols are
  refused at the handshake) and over HTTP as multipart subscriptions (`Accept: multipart/mixed;subscriptionSpec=1.0`),
  the way Strawberry and GraphiQL do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from seatwise.gql.graphql.core import credentials
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.request_id import request_id
from seatwise.gql.graphql.schema import MAX_TOKENS
from seatwise.gql.http.persisted import PersistedQueries
from seatwise.gql.ws import transport
from seatwise.models.core.clock import utcnow

STATIC_PREFIX = "/static/graphiql"
# GraphiQL's page; its assets (react, graphiql, the explorer plugin) are served from gql/http/static, not unpkg.
GRAPHIQL_HTML = Path(__file__).parent / "static" / "seatwise-graphiql.html"

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# extensions.code of the error body of a request refused before any GraphQL is run.
_HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
_SUBSCRIPTION_TRANSPORT = (
    "Subscriptions are served over the WebSocket (graphql-transport-ws) or over HTTP as multipart "
    "subscriptions: send 'Accept: multipart/mixed;subscriptionSpec=1.0'."
)


def wants_graphql_response_json(request: HTTPConnection) -> bool:
    """The client accepts application/graphql-response+json (preferred to application/json when both are)."""
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def _is_request_error(result: ExecutionResult) -> bool:
    """The document failed to parse or validate, or its variables to coerce: nothing was executed."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ())


def _is_unauthenticated(result: ExecutionResult) -> bool:
    return result.data is None and any((e.extensions or {}).get("code") == "UNAUTHENTICATED" for e in result.errors or [])


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id.get()}}]}


def graphql_error_response(request: Request, status_code: int, message: str, code: str | None = None) -> Response:
    """A request refused over HTTP: `status_code` with a GraphQL error body (and the Bearer challenge on 401)."""
    code = code or _HTTP_CODES.get(status_code, "BAD_REQUEST")
    headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else None
    media_type = GRAPHQL_RESPONSE_JSON if wants_graphql_response_json(request) else "application/json"
    return JSONResponse(error_body(message, code), status_code=status_code, headers=headers, media_type=media_type)


class SeatwiseGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = transport.TransportWSHandler

    def __init__(self, schema: Any, *, persisted: PersistedQueries | None = None, **options: Any) -> None:
        options.setdefault("subscription_protocols", (transport.SUBPROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL))
        super().__init__(schema, **options)
        self.persisted = persisted if persisted is not None else PersistedQueries(0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = graphql_error_response(request, error.status_code, error.reason, getattr(error, "code", None))
        await response(scope, receive, send)

    async def run(self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if self.is_websocket_request(request) and await self.pick_websocket_subprotocol(request) is None:
            # Only graphql-transport-ws: anything else (the legacy graphql-ws, none) is refused before accepting.
            return await self.reject_websocket(request)
        return await super().run(request, context, root_value)

    # ------------------------------------------------------------------ parsing

    def encode_json(self, data: object) -> str:
        """Responses and WebSocket messages through orjson (a page of 100 users with licenses: 484 -> 23 us of
        CPU to encode). Text, not bytes: Strawberry sends bytes over a WebSocket as binary frames."""
        return orjson.dumps(data).decode()

    def parse_json(self, data: str | bytes) -> Any:
        """A request body (or GET `variables`/`extensions`) that is not JSON in UTF-8, or not an object, is 400."""
        try:
            value = self.decode_json(data)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            raise HTTPException(400, "The request body must be JSON encoded in UTF-8.") from error
        if not isinstance(value, dict | list):
            raise HTTPException(400, "A GraphQL request must be a JSON object.")
        return value

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A browser's GET shows GraphiQL, unless it names a persisted query (a GET with the hash only)."""
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            await self.persisted.resolve(item)  # automatic persisted queries (gql/http/persisted.py)
        if not isinstance(data, list) and data.protocol == "http" and _is_subscription(data.query, data.operation_name):
            raise HTTPException(400, _SUBSCRIPTION_TRANSPORT)
        return data

    # ------------------------------------------------------------------ authentication

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        viewer, wall = None, utcnow()
        if isinstance(request, Request) and request.headers.get("authorization"):
            viewer = await credentials.viewer_or_none(request.headers["authorization"], now=wall)
        return Context(viewer, wall=wall, request=request, response=response)

    async def on_ws_connect(self, context: Context) -> Any:
        await transport.authenticate_connection(context)
        return await super().on_ws_connect(context)

    async def execute_operation(
        self, request: Any, request_adapter: Any, request_data: Any, context: Context, root_value: Any, sub_response: Any
    ) -> Any:
        if not isinstance(request_data, list) and request_data.protocol != "http" and not context.has_viewer:
            # A subscription over HTTP is never public: refuse it before the stream starts.
            raise HTTPException(401, "A valid bearer token is required.")
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    # ------------------------------------------------------------------ responses

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = GRAPHQL_RESPONSE_JSON if wants_graphql_response_json(request) else "application/json"
        request.state.sub_response = sub_response
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        if isinstance(result, PreExecutionError):
            data.pop("data", None)  # nothing was executed: no data entry (GraphQL over HTTP)
        sub_response = getattr(request.state, "sub_response", None) if request.scope["type"] == "http" else None
        if sub_response is not None and sub_response.status_code is None:
            if _is_unauthenticated(result):
                sub_response.status_code = 401
                sub_response.headers["WWW-Authenticate"] = "Bearer"
            elif _is_request_error(result) and sub_response.media_type == GRAPHQL_RESPONSE_JSON:
                sub_response.status_code = 400
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = sub_response.media_type or "application/json"
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """Seatwise's GraphiQL (gql/http/static/seatwise-graphiql.html), with assets served locally (closed network)."""
        return HTMLResponse(GRAPHIQL_HTML.read_text(), headers={"Cache-Control": "no-store"})


def _is_subscription(query: str | None, operation_name: str | None) -> bool:
    """Is the operation to run a subscription? (Cheap: parse errors are left to the schema.)"""
    if not query or "subscription" not in query:
        return False
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return len(operations) == 1 and operations[0].operation is OperationType.SUBSCRIPTION
