"""The Starlette application: /graphql (HTTP, GraphiQL, WebSocket), health and readiness."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from gql.metrics import metrics_endpoint
from gql.middleware import BodyLimit, RequestId
from gql.schema import schema
from gql.view import SeatwiseGraphQL
from models.db import tortoise_config

log = logging.getLogger("seatwise.app")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # the probe reports, it does not raise
        log.warning("database not reachable: %s", type(error).__name__)
        checks["database"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503)


def cors_origins() -> list[str]:
    return [o.strip() for o in os.environ.get("SEATWISE_CORS_ORIGINS", "").split(",") if o.strip()]


def create_app(database_url: str | None = None) -> Starlette:
    origins = cors_origins()
    graphql = SeatwiseGraphQL(schema, allowed_origins=origins)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(database_url)):
            yield

    middleware = [Middleware(RequestId), Middleware(BodyLimit)]
    if origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"]))
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
