"""Delivery: Standard Webhooks signatures that the `standardwebhooks` library verifies (a rotated secret too), the
retry schedule driven by the clock, Retry-After, 410 and 5 days of failures disabling the endpoint, no redirects,
bounded responses."""

import asyncio
from datetime import timedelta

import orjson
import pytest
from standardwebhooks import Webhook
from werkzeug import Response

from seatwise.models.billing.alerts import AlertKind, alerts
from seatwise.models.core.tables import Event, WebhookDelivery, WebhookEndpoint
from seatwise.models.webhooks import attempts, endpoints
from seatwise.models.webhooks.worker import Worker
from tests.support import NOW, make_org, make_user
from tests.webhook_support import make_endpoint, private_allowed  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("private_allowed")


@pytest.fixture
async def worker():
    w = Worker()
    yield w
    await w.close()


def _requests(httpserver):
    return [(request.get_data(), {k.lower(): v for k, v in request.headers.items()}) for request, _ in httpserver.log]


async def test_a_change_reaches_the_receiver_signed_and_the_library_verifies_it(httpserver, worker):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    fx = await make_org()
    endpoint, secret = await make_endpoint(fx, httpserver.url_for("/hook"), ["user.created"])
    user = await make_user(fx)

    assert await worker.run_once(NOW) == 1
    [(body, headers)] = _requests(httpserver)
    payload = Webhook(secret).verify(body, headers)
    [event] = [
        e for e in await Event.filter(organization_id=fx.org.id, type="user.created") if e.data["targetId"] == str(user.id)
    ]
    assert payload == {
        "id": f"evt_{event.id}",
        "type": "user.created",
        "timestamp": "2026-11-29T09:00:00Z",
        "sequence": event.sequence,
        "data": event.data,
    }
    assert headers["webhook-id"] == f"evt_{event.id}" and headers["user-agent"].startswith("Seatwise-Webhooks/")
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
    assert delivery.status == "DELIVERED" and delivery.attempts[0]["httpStatus"] == 200


async def test_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new_one(httpserver, worker):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    fx = await make_org()
    endpoint, old = await make_endpoint(fx, httpserver.url_for("/hook"), ["user.created"])
    _, new = await endpoints.rotate(fx.org, endpoint.id, actor=fx.actor, now=NOW)
    await make_user(fx)
    await worker.run_once(NOW)
    await make_user(fx, now=NOW + timedelta(hours=24))
    await worker.run_once(NOW + timedelta(hours=24))

    (body1, headers1), (body2, headers2) = _requests(httpserver)
    assert len(headers1["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body1, headers1)
    Webhook(new).verify(body1, headers1)
    assert len(headers2["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(body2, headers2)
    with pytest.raises(Exception, match="signature"):
        Webhook(old).verify(body2, headers2)


async def test_failures_are_retried_on_the_schedule_by_the_clock_then_the_delivery_failed(httpserver, worker):
    httpserver.expect_request("/hook", method="POST").respond_with_data("down", status=500)
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/hook"), ["webhook.test"])
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    now, waits = NOW, []
    for _ in range(10):
        assert await worker.run_once(now) == 1
        assert await worker.run_once(now) == 0  # not due again before its time
        row = await WebhookDelivery.get(id=delivery.id)
        if row.status != "PENDING":
            break
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits == attempts.SCHEDULE
    assert row.status == "FAILED" and len(row.attempts) == 10
    assert {(a["httpStatus"], a["error"], a["response"]) for a in row.attempts} == {(500, "HTTP 500", "down")}


async def test_retry_after_on_429_is_honoured_up_to_24_hours(httpserver, worker):
    httpserver.expect_ordered_request("/hook").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    httpserver.expect_ordered_request("/hook").respond_with_data("later", status=503, headers={"Retry-After": "999999"})
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/hook"), ["webhook.test"])
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    await worker.run_once(NOW)
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.next_attempt_at == NOW + timedelta(seconds=120)
    await worker.run_once(row.next_attempt_at)
    again = await WebhookDelivery.get(id=delivery.id)
    assert again.next_attempt_at == row.next_attempt_at + timedelta(hours=24)


async def test_410_gone_disables_the_endpoint_at_once_and_raises_webhook_disabled(httpserver, worker):
    httpserver.expect_request("/gone").respond_with_data("", status=410)
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/gone"), ["webhook.test"])
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    await worker.run_once(NOW)
    endpoint = await WebhookEndpoint.get(id=endpoint.id)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "The receiver answered 410 Gone.")
    assert (await WebhookDelivery.get(id=delivery.id)).status == "FAILED"
    notice = await Event.get(organization_id=fx.org.id, type="webhook.disabled")
    assert notice.data == {"endpointId": str(endpoint.id), "url": endpoint.url, "reason": endpoint.disabled_reason}
    await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    assert await worker.run_once(NOW) == 0  # a disabled endpoint gets nothing
    [alert] = [a for a in await alerts(fx.org, now=NOW) if a.kind is AlertKind.WEBHOOK_DISABLED]
    assert (
        alert.message
        == f"The webhook endpoint {endpoint.url} was disabled: The receiver answered 410 Gone. Fix it, then enable it again."
    )


async def test_five_days_without_success_while_deliveries_fail_disable_the_endpoint(httpserver, worker):
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/hook"), ["webhook.test"])
    await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    await worker.run_once(NOW)
    later = NOW + timedelta(days=5) - timedelta(seconds=1)
    await endpoints.send_test(fx.org, endpoint.id, now=later)
    await worker.run_once(later)
    assert (await WebhookEndpoint.get(id=endpoint.id)).enabled
    await endpoints.send_test(fx.org, endpoint.id, now=NOW + timedelta(days=5))
    await worker.run_once(NOW + timedelta(days=5))
    endpoint = await WebhookEndpoint.get(id=endpoint.id)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "No successful delivery for 5 days.")


async def test_redirects_are_not_followed_and_count_as_failures(httpserver, worker):
    httpserver.expect_request("/hook").respond_with_response(Response("", status=302, headers={"Location": "http://10.0.0.1/"}))
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/hook"), ["webhook.test"])
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    await worker.run_once(NOW)
    row = await WebhookDelivery.get(id=delivery.id)
    assert len(httpserver.log) == 1
    assert row.status == "PENDING" and row.attempts[0]["error"] == "HTTP 302 (redirects are not followed)"


async def test_a_10_mb_answer_is_delivered_and_only_its_first_kib_is_kept(httpserver, worker):
    httpserver.expect_request("/hook").respond_with_data(b"x" * (10 * 1024 * 1024))
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/hook"), ["webhook.test"])
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    await worker.run_once(NOW)
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.status == "DELIVERED" and row.attempts[0]["response"] == "x" * 1024


async def test_the_stored_secret_is_encrypted_and_never_in_the_audit_trail(httpserver):
    fx = await make_org()
    endpoint, secret = await make_endpoint(fx, httpserver.url_for("/hook"))
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    row = await WebhookEndpoint.get(id=endpoint.id)
    assert secret not in row.secret and secret.removeprefix("whsec_") not in row.secret
    events = orjson.dumps([e.data for e in await Event.filter(organization_id=fx.org.id)]).decode()
    assert "whsec_" not in events and secret.removeprefix("whsec_") not in events


async def test_a_receiver_that_never_answers_times_out_without_delaying_other_endpoints(httpserver, worker, monkeypatch):
    monkeypatch.setattr(attempts, "TIMEOUT", 2.0)  # 15 s in production
    held = []
    silent = await asyncio.start_server(lambda reader, writer: held.append(writer), "127.0.0.1", 0)  # never answers
    httpserver.expect_request("/hook").respond_with_data("ok")
    fx = await make_org()
    hanging, _ = await make_endpoint(fx, f"http://127.0.0.1:{silent.sockets[0].getsockname()[1]}/hook", ["webhook.test"])
    fast, _ = await make_endpoint(fx, httpserver.url_for("/hook"), ["webhook.test"])
    stuck = await endpoints.send_test(fx.org, hanging.id, now=NOW)
    quick = await endpoints.send_test(fx.org, fast.id, now=NOW)
    try:
        assert await worker.tick(NOW) == 2
        while (await WebhookDelivery.get(id=quick.id)).status == "PENDING":  # noqa: ASYNC110  (polls the database)
            await asyncio.sleep(0.02)
        assert worker.in_flight[hanging.id] == 1  # delivered while the other attempt still waits
        await worker.run_once(NOW)
    finally:
        for writer in held:
            writer.close()
        silent.close()
        await silent.wait_closed()
    row = await WebhookDelivery.get(id=stuck.id)
    assert row.status == "PENDING" and row.attempts[0]["error"] == "No response within 2 s."
    assert row.attempts[0]["httpStatus"] is None


async def test_a_tls_failure_is_a_recorded_failed_attempt(httpserver, worker):
    httpserver.expect_request("/hook").respond_with_data("ok")
    fx = await make_org()
    endpoint, _ = await make_endpoint(fx, httpserver.url_for("/hook").replace("http://", "https://"), ["webhook.test"])
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    await worker.run_once(NOW)
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.status == "PENDING" and row.attempts[0]["httpStatus"] is None
    assert row.attempts[0]["error"].startswith("ConnectError: ") and "SSL" in row.attempts[0]["error"]
