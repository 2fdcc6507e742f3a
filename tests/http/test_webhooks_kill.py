"""Pending deliveries survive kill -9: a serving process killed mid-delivery, started again, delivers every event
(at least once: the receiver deduplicates by webhook-id)."""

import threading
import time

from cryptography.fernet import Fernet
from werkzeug import Request, Response

from seatwise.models.core.settings import reload
from seatwise.models.core.tables import WebhookDelivery
from tests.support import Server, make_org, make_user
from tests.webhook_support import make_endpoint, private_allowed  # noqa: F401  (fixture)

KEY = Fernet.generate_key().decode()
ENV = {
    "SEATWISE_WEBHOOK_ALLOW_PRIVATE": "true",
    "SEATWISE_WEBHOOK_INTERVAL": "0.1",
    "SEATWISE_WEBHOOK_LEASE": "2",
    "SEATWISE_SECRET_KEY": KEY,
}
EVENTS = 30


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


async def test_a_process_killed_mid_delivery_loses_nothing(httpserver, private_allowed, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SEATWISE_SECRET_KEY", KEY)  # the servers decrypt what this process encrypted
    reload()
    received: list[str] = []
    hanging = threading.Event()

    def handler(request: Request) -> Response:
        if not hanging.is_set():
            hanging.set()  # the first attempt hangs: the process is killed while it waits
            time.sleep(3)
            return Response("late", status=200)
        received.append(request.headers["webhook-id"])
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(handler)
    fx = await make_org()
    await make_endpoint(fx, httpserver.url_for("/hook"), ["user.created"])
    for _ in range(EVENTS):
        await make_user(fx)
    wanted = {f"evt_{d.event_id}" for d in await WebhookDelivery.all()}  # the users created after the endpoint

    first = Server(env=ENV).wait_ready()
    try:
        _wait(hanging.is_set, 30)
        first.process.kill()  # SIGKILL: no shutdown, its leases stay behind
        first.process.wait()
    finally:
        first.stop()
    before = len(set(received))
    restarted = time.monotonic()
    second = Server(env=ENV).wait_ready()
    try:
        _wait(lambda: wanted <= set(received), 60)
    finally:
        second.stop()
    # The figures (pytest -s): what arrived before the kill, duplicates (at least once), the time to catch up.
    print(
        f"kill -9: {before}/{EVENTS} before, {len(received) - len(set(received))} duplicates, all {EVENTS} {time.monotonic() - restarted:.1f} s after restart"
    )
    assert set(received) == wanted and len(wanted) == EVENTS
    assert all(d.status == "DELIVERED" for d in await WebhookDelivery.all())
