"""The GraphQL endpoint: authentication of HTTP requests and WebSocket connections."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from gql.context import Context
from models import auth
from models.clock import utcnow
from models.errors import Unauthenticated


class SeatwiseGraphQL(GraphQL):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        viewer = None
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            if header:
                try:
                    viewer = await auth.authenticate(header, now=utcnow())
                except Unauthenticated:
                    viewer = None
        return Context(viewer, request=request, response=response)

    async def on_ws_connect(self, context: Context) -> Any:
        try:
            context.set_viewer(await auth.authenticate(context.connection_authorization(), now=utcnow()))
        except Unauthenticated:
            raise ConnectionRejectionError() from None
        return await super().on_ws_connect(context)
