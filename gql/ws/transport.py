"""graphql-transport-ws, the one WebSocket subprotocol of /graphql, as Strawberry speaks it plus Seatwise's rules.

- The connection is authenticated by its `connection_init` payload (`{"Authorization": "Bearer <token>"}`):
  `authenticate_connection`, called by the view's `on_ws_connect` (gql/http/view.py). Without a valid token the
  socket closes with 4403.
- A subscription whose credential ended (revoked, signed out, lapsed, its user deleted: see licenseEvents in
  gql/graphql/events/live.py) gets an `error` message for its id, the protocol's terminal error, not a `next`
  with errors followed by `complete`.
- A document refused while it is parsed, before any result (over the token limit), gets an `error` message,
  as does any other document that cannot run.
- A client that closes its socket while a message is being sent is logged at debug level, not as an
  "Exception in worker task" with a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocketState
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.types.execution import ExecutionResult, PreExecutionError

from seatwise.gql.graphql.core import credentials
from seatwise.gql.graphql.core.context import Context
from seatwise.models.core.errors import Forbidden, Unauthenticated
from seatwise.models.core.tables import TokenScope

log = logging.getLogger("seatwise.events")

SUBPROTOCOL = GRAPHQL_TRANSPORT_WS_PROTOCOL


async def authenticate_connection(context: Context) -> None:
    """`connection_init`: the payload's bearer token becomes the connection's viewer, else the connection is refused."""
    try:
        viewer = await credentials.authenticate(context.authorization())
        viewer.require_scope(TokenScope.GRAPHQL)  # a SCIM token provisions over /scim/v2 only: refused here (4403)
    except (Unauthenticated, Forbidden):
        raise ConnectionRejectionError() from None
    context.set_viewer(viewer)


def _unauthenticated(result: ExecutionResult) -> bool:
    return (
        result.data is None
        and bool(result.errors)
        and all((error.extensions or {}).get("code") == "UNAUTHENTICATED" for error in result.errors or ())
    )


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler with the changes of the module docstring."""

    async def _send_result_stream(self, operation: Operation[Context, None], result_source: Any) -> None:
        try:
            await self._send_results(operation, result_source)
        except GraphQLError as error:
            # Raised while parsing, before any result (a document over the token limit): answer the
            # operation with an `error` message, as for any other document that cannot run.
            await operation.send_initial_errors([GraphQLError(error.message, extensions={"code": "GRAPHQL_PARSE_FAILED"})])

    async def _send_results(self, operation: Operation[Context, None], result_source: Any) -> None:
        # Strawberry's loop (handlers.py), plus the credential's end as an `error` message.
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if _unauthenticated(result):
                await operation.send_initial_errors(result.errors or [])  # `error` ends the operation: no `complete`
                return
            await operation.send_next(result)
            first = False

    def _disconnected(self, error: Exception) -> bool:
        if isinstance(error, WebSocketDisconnected):
            return True
        socket = getattr(self.websocket, "ws", None)
        states = (getattr(socket, "application_state", None), getattr(socket, "client_state", None))
        return isinstance(error, (RuntimeError, OSError)) and WebSocketState.DISCONNECTED in states

    async def handle_task_exception(self, error: Exception) -> None:
        if self._disconnected(error):
            log.debug("a WebSocket client went away while a message was being sent")
            return
        await super().handle_task_exception(error)
