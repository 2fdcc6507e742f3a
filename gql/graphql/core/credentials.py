"""The one authentication of every path: HTTP requests, WebSocket connections, each WebSocket
operation, each live event (over WebSocket or HTTP) and export downloads all call `authenticate`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from seatwise.models.core.clock import utcnow
from seatwise.models.core.errors import Unauthenticated
from seatwise.models.people import auth
from seatwise.models.people.auth import Viewer

if TYPE_CHECKING:
    from seatwise.gql.graphql.core.context import Context


async def authenticate(authorization: str | None, *, now: datetime | None = None) -> Viewer:
    """An `Authorization: Bearer <token>` value -> its Viewer; Unauthenticated if it is missing,
    malformed, unknown, lapsed or revoked (or its user is deleted). `now` is the wall-clock time of
    the request (when it started); a check of a long-lived connection uses the time of the check."""
    return await auth.authenticate(authorization, now=now or utcnow())


async def viewer_or_none(authorization: str | None, *, now: datetime | None = None) -> Viewer | None:
    try:
        return await authenticate(authorization, now=now)
    except Unauthenticated:
        return None


async def reauthenticate(context: Context) -> bool:
    """Check the context's credential again now (before a WebSocket operation, before each live event):
    set the context's viewer to its current state; False once the credential no longer holds."""
    viewer = await viewer_or_none(context.authorization())
    context.set_viewer(viewer)
    return viewer is not None
