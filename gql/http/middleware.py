"""ASGI middleware: a request id for every request and log line; a 1 MiB cap on request bodies."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seatwise.gql.graphql.core.request_id import request_id

MAX_BODY = 1024 * 1024
log = logging.getLogger("seatwise.http")
# An incoming X-Request-Id (from a load balancer or the caller) is kept when it is a sane token:
# 1 to 128 letters, digits and . _ : - (a UUID, a hex id, a trace id); anything else gets a new one.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SANE_REQUEST_ID.fullmatch(text) else None
    return None


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        rid = incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = {"code": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status["code"],
                    extra={"status": status["code"], "durationMs": round((time.perf_counter() - started) * 1000, 1)},
                )
            request_id.reset(token)


Answer = Callable[[], Response]  # the 413 of a path prefix, in that API's own error format


class BodyLimit:
    """Answer 413 to request bodies over 1 MiB, by Content-Length or by counting a chunked body: under a path
    prefix of `too_large` with that prefix's answer (the first that matches), elsewhere in plain text."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY, too_large: Mapping[str, Answer] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.answers = dict(too_large or {})

    def too_large(self, scope: Scope) -> Response:
        path = str(scope.get("path", ""))
        for prefix, answer in self.answers.items():
            if path.startswith(prefix):
                return answer()
        return PlainTextResponse("Request body too large.", status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self.too_large(scope)(scope, receive, send)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await self.too_large(scope)(scope, receive, send)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
