"""CORS for a console on another origin (SEATWISE_CORS_ORIGINS): which request headers a preflight allows and which
response headers a page may read. Starlette's CORSMiddleware does the protocol; this module only says what."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

# Request headers every console may send: the bearer token, JSON bodies, Apollo Client's client awareness, a request
# id of its own, and W3C trace context.
ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-request-id",
    "traceparent",
    "tracestate",
)
# Response headers a page may read: the request id to quote in a support ticket, and the rate-limit headers.
EXPOSED_HEADERS = ("X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After")
MAX_AGE = 600  # seconds a browser may keep a preflight's answer


def cors_middleware(origins: list[str], extra_headers: list[str]) -> Middleware:
    """The middleware for `origins`, allowing the built-in headers and `extra_headers` (SEATWISE_CORS_HEADERS)."""
    allowed = list(dict.fromkeys([*ALLOWED_HEADERS, *extra_headers]))
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=allowed,
        expose_headers=list(EXPOSED_HEADERS),
        max_age=MAX_AGE,
    )
