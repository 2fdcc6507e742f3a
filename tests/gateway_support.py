"""Both payment gateways for the lifecycle tests: the sandbox, and the Stripe gateway against localstripe (a stateful
fake Stripe server from PyPI) started on a free loopback port. Nothing reaches the internet."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import stripe

from seatwise.models.billing import gateways
from seatwise.models.billing.gateways.sandbox import SandboxGateway, create_token
from seatwise.models.billing.gateways.stripe_gateway import HTTPXClient, StripeGateway
from tests.support import NOW, free_port

SECRET = "sk_test_seatwise_localstripe_0123456789"  # localstripe takes any secret test key (and refuses pk_ keys)


class Localstripe:
    """`python -m localstripe --from-scratch` on a free loopback port, for the whole test session."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("localstripe did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="session")
def localstripe():
    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install localstripe): the Stripe gateway's tests are skipped")
    server = Localstripe()
    yield server
    server.stop()


class FlakyHTTPClient(HTTPXClient):
    """A network between Seatwise and Stripe that fails on demand: `drop` loses the answer of the next requests to
    create a PaymentIntent after the server has processed them (a failure in the middle of a charge); `down` fails
    every request before it is sent, and `down_after_drop` goes down right after a lost answer. Counts the requests
    tried and the PaymentIntent creations that reached the server."""

    def __init__(self) -> None:
        super().__init__()
        self.drop = 0
        self.down = False
        self.down_after_drop = False
        self.tries = 0
        self.intent_creations = 0

    async def request_async(self, method, url, headers, post_data=None):
        self.tries += 1
        if self.down:
            raise stripe.APIConnectionError("network unreachable (test)")
        answer = await super().request_async(method, url, headers, post_data)
        if method == "post" and url.rstrip("/").endswith("/v1/payment_intents"):
            self.intent_creations += 1
            if self.drop:
                self.drop -= 1
                self.down = self.down_after_drop
                raise stripe.APIConnectionError("connection reset (test)")
        return answer


@dataclass
class CardGateway:
    """The gateway under test, and how a browser library would tokenize a card for it."""

    name: str
    gateway: gateways.PaymentGateway
    server: Localstripe | None = None
    admin: stripe.StripeClient | None = field(default=None, repr=False)
    http_clients: list[HTTPXClient] = field(default_factory=list, repr=False)

    async def token(
        self, number: str, exp_month: int = 12, exp_year: int = 2030, cvc: str = "123", *, wall: datetime = NOW
    ) -> str:
        """What the browser gets: the sandbox tokenizer's tok_..., or Stripe.js's PaymentMethod pm_..."""
        if self.admin is None:
            return (await create_token(number, exp_month, exp_year, cvc, wall=wall)).token
        method = await self.admin.v1.payment_methods.create_async(
            params={"type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}}
        )
        return method.id

    async def intents(self, customer: str) -> list:
        """Every PaymentIntent of a customer at localstripe (what money moved)."""
        assert self.admin is not None
        page = await self.admin.v1.payment_intents.list_async(params={"limit": 100})
        return [intent for intent in page.data if intent.customer == customer]


async def stripe_gateway(server: Localstripe, http_client: HTTPXClient | None = None) -> CardGateway:
    ours, theirs = http_client or HTTPXClient(), HTTPXClient()
    gateway = StripeGateway(SECRET, api_base=server.url, http_client=ours, backoff=(0.01, 0.02, 0.05))
    admin = stripe.StripeClient(SECRET, base_addresses={"api": server.url}, http_client=theirs, max_network_retries=0)
    return CardGateway("stripe", gateway, server, admin, [ours, theirs])


async def close(chosen: CardGateway) -> None:
    for client in chosen.http_clients:
        await client.close_async()


@pytest.fixture(params=["sandbox", "stripe"])
async def card_gateway(request, monkeypatch):
    """Each lifecycle test runs once on the sandbox and once on Stripe (localstripe)."""
    if request.param == "sandbox":
        chosen = CardGateway("sandbox", SandboxGateway())
    else:
        chosen = await stripe_gateway(request.getfixturevalue("localstripe"))
    monkeypatch.setattr(gateways, "_gateway", chosen.gateway)
    yield chosen
    await close(chosen)
