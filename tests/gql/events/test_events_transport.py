"""The graphql-transport-ws handler of live events, driven in-process: a client that is gone."""

import asyncio
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from starlette.websockets import WebSocketState
from strawberry.http.exceptions import WebSocketDisconnected

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.schema import schema
from seatwise.gql.http.view import SeatwiseGraphQL
from seatwise.gql.ws.transport import TransportWSHandler
from seatwise.models.core.clock import utcnow
from seatwise.models.events.live import broker
from seatwise.models.people import auth
from seatwise.models.seats import licenses as seats
from tests.events_support import LICENSE_EVENTS
from tests.support import NOW, give_licenses, make_org, make_user


class GoneClient:
    """A WebSocket adapter whose client closed the socket: sending fails as Starlette's does, with
    WebSocketDisconnected, or with RuntimeError once Starlette has seen the close."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.ws = SimpleNamespace(application_state=WebSocketState.DISCONNECTED, client_state=WebSocketState.DISCONNECTED)

    async def send_json(self, message) -> None:
        raise self.error

    async def close(self, code: int, reason: str) -> None:
        pass


@pytest.mark.parametrize(
    "error", [WebSocketDisconnected(), RuntimeError('Cannot call "send" once a close message has been sent.')]
)
async def test_a_client_that_leaves_while_an_event_is_sent_is_not_logged_as_an_error(caplog, error):
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    user = await make_user(fx)
    viewer = await auth.authenticate(f"Bearer {fx.token}", now=utcnow())
    context = Context(viewer, connection_params={"Authorization": f"Bearer {fx.token}"})
    handler = TransportWSHandler(SeatwiseGraphQL(schema), GoneClient(error), context, None, schema, timedelta(minutes=1))
    handler.connection_acknowledged = True
    await handler.handle_subscribe({"id": "1", "type": "subscribe", "payload": {"query": LICENSE_EVENTS}})
    operation = handler.operations["1"].task
    for _ in range(500):
        if broker.subscriber_count(fx.org.id):
            break
        await asyncio.sleep(0.01)

    with caplog.at_level(logging.DEBUG):
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
        await asyncio.gather(asyncio.wait_for(operation, 5), return_exceptions=True)
        await handler.shutdown()

    assert operation.done()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("went away" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert broker.subscriber_count(fx.org.id) == 0
