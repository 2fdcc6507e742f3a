"""The GraphQL endpoint: authentication of HTTP requests and WebSocket connections."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from gql.context import Context
from models import auth
from models.clock import utcnow
from models.errors import Unauthenticated


STATIC_PREFIX = "/static/graphiql"
# unpkg addresses in strawberry's graphiql.html -> the same files served from gql/static/.
_ASSETS = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}


class SeatwiseGraphQL(GraphQL):
    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with its assets served from this server, not unpkg (works on a closed network)."""
        html = self.graphql_ide_html
        for remote, local in _ASSETS.items():
            html = html.replace(remote, f"{STATIC_PREFIX}/{local}")
        return HTMLResponse(html)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        viewer, wall = None, utcnow()
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            if header:
                try:
                    viewer = await auth.authenticate(header, now=wall)
                except Unauthenticated:
                    viewer = None
        return Context(viewer, wall=wall, request=request, response=response)

    async def on_ws_connect(self, context: Context) -> Any:
        try:
            context.set_viewer(await auth.authenticate(context.connection_authorization(), now=utcnow()))
        except Unauthenticated:
            raise ConnectionRejectionError() from None
        return await super().on_ws_connect(context)
