"""The Starlette application: /graphql (HTTP, GraphiQL, WebSocket), /exports/{id} (downloads), /scim/v2 (SCIM
provisioning), /sandbox-gateway/tokens (the sandbox's card tokenizer), /metrics, health and readiness."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from seatwise.gql.graphql.schema import schema
from seatwise.gql.http.cors import cors_middleware
from seatwise.gql.http.downloads import download_export
from seatwise.gql.http.metrics import CLOCK_FAILURES, CLOCK_RUNS, LIVE_EVENTS_DROPPED, metrics_endpoint
from seatwise.gql.http.middleware import BodyLimit, RequestId
from seatwise.gql.http.persisted import PersistedQueries
from seatwise.gql.http.sandbox_tokens import PATH as SANDBOX_TOKENS
from seatwise.gql.http.sandbox_tokens import create_card_token
from seatwise.gql.http.scim.endpoint import PREFIX as SCIM_PREFIX
from seatwise.gql.http.scim.endpoint import TOO_LARGE as SCIM_TOO_LARGE
from seatwise.gql.http.scim.endpoint import error_response
from seatwise.gql.http.scim.routes import router as scim_router
from seatwise.gql.http.view import STATIC_PREFIX, SeatwiseGraphQL
from seatwise.models.clock.run import run_clock
from seatwise.models.core import db
from seatwise.models.core.clock import utcnow
from seatwise.models.core.db import tortoise_config
from seatwise.models.core.settings import settings
from seatwise.models.events import fanout
from seatwise.models.scim.errors import ScimError
from seatwise.models.webhooks.worker import Worker

log = logging.getLogger("seatwise.app")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks = {"database": await db.probe()}  # "ok", "read-only" (refuses writes) or "unreachable"
    redis = await fanout.redis_status()  # only with REDIS_URL set
    if redis is not None:
        checks["redis"] = redis
    ready = all(v == "ok" for v in checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready", **checks}
    publisher = fanout.publisher_status()  # circuit, backlog and dropped live events (with REDIS_URL)
    if publisher is not None:
        body["redisPublisher"] = publisher
    return JSONResponse(body, status_code=200 if ready else 503)


async def billing_clock(interval: float) -> None:
    """`serve`'s background billing clock: a run at start, then one every `interval` seconds."""
    while True:
        CLOCK_RUNS.inc()
        try:
            report = await run_clock(utcnow())
            log.info("billing clock ran", extra=report.to_dict())
        except Exception:  # logged and counted; the next run tries again
            CLOCK_FAILURES.inc()
            log.exception("billing clock run failed")
        await asyncio.sleep(interval)


def cors_origins() -> list[str]:
    return settings().cors_origin_list


async def deliver_webhooks(stop: asyncio.Event, interval: float) -> None:
    """`serve`'s webhook delivery worker, until `stop`."""
    worker = Worker()
    try:
        await worker.run(stop, interval)
    finally:
        await worker.close()


def create_app(database_url: str | None = None) -> Starlette:
    origins = cors_origins()
    persisted = PersistedQueries(settings().apq_cache_size, settings().redis_url)
    graphql = SeatwiseGraphQL(schema, allowed_origins=origins, persisted=persisted)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(database_url)):
            # The billing clock in the background (SEATWISE_CLOCK_INTERVAL seconds, 0 = off); idempotent,
            # so every worker and instance may run it.
            interval = settings().clock_interval
            clock = asyncio.create_task(billing_clock(interval), name="billing-clock") if interval > 0 else None
            # The webhook delivery worker (SEATWISE_WEBHOOK_INTERVAL seconds, 0 = off): leases let every worker
            # process and instance run it (models/webhooks/worker.py).
            stop_delivering = asyncio.Event()
            every = settings().webhook_interval
            delivering = asyncio.create_task(deliver_webhooks(stop_delivering, every), name="webhooks") if every > 0 else None
            # With REDIS_URL, live seat events go through Redis to the subscribers of every instance.
            if redis_url := settings().redis_url:
                await fanout.start(redis_url, on_drop=LIVE_EVENTS_DROPPED.inc)
            try:
                yield
            finally:
                await fanout.stop()
                stop_delivering.set()
                if delivering is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivering
                await persisted.close()
                if clock is not None:
                    clock.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await clock

    middleware = [Middleware(RequestId), Middleware(BodyLimit, too_large=SCIM_TOO_LARGE)]
    if origins:
        middleware.append(cors_middleware(origins, settings().cors_header_list))
    # The sandbox gateway's tokenizer (what Stripe.js is to Stripe); absent with a real processor.
    sandbox = [Route(SANDBOX_TOKENS, create_card_token, methods=["POST"])] if settings().payment_gateway == "sandbox" else []
    return Starlette(
        routes=[
            *sandbox,
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/exports/{export_id}", download_export, methods=["GET"]),
            Mount(SCIM_PREFIX, app=scim_router(), name="scim"),
            Mount(STATIC_PREFIX, app=StaticFiles(directory=Path(__file__).parent / "static"), name="graphiql-assets"),
        ],
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: _not_found},
    )


async def _not_found(request: Request, error: Exception) -> Response:
    """A path no route matches. Under /scim/ a SCIM error body: Starlette's Mount does not match a path holding a
    newline (`.` in its pattern), which a directory may still send."""
    if request.url.path.startswith(SCIM_PREFIX + "/"):
        return error_response(ScimError(404, "No such SCIM endpoint."))
    return PlainTextResponse(str(getattr(error, "detail", "Not Found")), status_code=404, headers=getattr(error, "headers", None))
