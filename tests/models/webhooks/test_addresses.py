"""The URL rules (SSRF): https only, no credentials, at most 2,048 characters, only public addresses, at creation
(INVALID_INPUT) and again at each attempt (a failed attempt with a clear error)."""

import pytest

from seatwise.models.core.errors import DomainError
from seatwise.models.core.settings import reload
from seatwise.models.core.tables import WebhookDelivery, WebhookEndpoint
from seatwise.models.webhooks import addresses, endpoints
from seatwise.models.webhooks.worker import Worker
from tests.support import NOW, make_org

REFUSED_ADDRESSES = [
    "127.0.0.1",  # loopback
    "::1",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local (cloud metadata)
    "fe80::1",
    "224.0.0.1",  # multicast
    "ff02::1",
    "240.0.0.1",  # reserved
    "0.0.0.0",
    "::",
    "100.64.0.1",  # shared address space
    "::ffff:127.0.0.1",  # IPv4-mapped IPv6
    "::ffff:10.0.0.1",
    "fc00::1",  # unique local
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(address):
    assert not addresses.is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:85e5", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert addresses.is_public(address)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com/hook", "https://"),
        ("ftp://example.com/hook", "https://"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https://example.com/" + "a" * 2048, "longer than 2048"),
        ("https:///nohost", "https://"),
        ("https://example.com:99999/", "not a valid URL"),
        ("not a url", "https://"),
        ("https://localhost/hook", "non-public"),  # a name that resolves to 127.0.0.1
        ("https://127.0.0.1/hook", "non-public"),
        ("https://[::1]/hook", "non-public"),
        ("https://[::ffff:127.0.0.1]/hook", "non-public"),
        ("https://0.0.0.0/hook", "non-public"),
        ("https://169.254.169.254/latest/meta-data", "non-public"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
    ],
)
async def test_creation_refuses_bad_urls_with_invalid_input_on_url(url, why):
    fx = await make_org()
    with pytest.raises(DomainError) as refused:
        await endpoints.create(fx.org, url, [], "", actor=fx.actor, now=NOW)
    assert (refused.value.code.value, refused.value.subject) == ("INVALID_INPUT", "url")
    assert why in refused.value.message
    assert await WebhookEndpoint.all().count() == 0


async def test_an_address_that_became_private_fails_the_attempt_with_a_clear_error(monkeypatch):
    fx = await make_org()
    monkeypatch.setenv("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "true")
    reload()
    endpoint, _ = await endpoints.create(fx.org, "https://localhost:1/hook", ["webhook.test"], "", actor=fx.actor, now=NOW)
    delivery = await endpoints.send_test(fx.org, endpoint.id, now=NOW)
    monkeypatch.delenv("SEATWISE_WEBHOOK_ALLOW_PRIVATE")
    reload()  # DNS rebinding, as seen from here: the host now resolves to loopback
    worker = Worker()
    try:
        await worker.run_once(NOW)
    finally:
        await worker.close()
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.attempts[0]["httpStatus"] is None
    assert row.attempts[0]["error"] == "The host localhost resolves to a loopback, private or otherwise non-public address."
