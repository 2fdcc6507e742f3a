"""POST /sandbox-gateway/tokens: the sandbox gateway's tokenizer takes the card form as Stripe.js sends it and
answers a Stripe-like token; the card number and CVC stop there. It exists only with the sandbox gateway."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from seatwise.gql.http.app import create_app
from seatwise.gql.http.sandbox_tokens import PATH, create_card_token
from seatwise.models.core import settings
from seatwise.models.core.tables import SandboxCardToken
from tests.support import execute, make_org

ADD_CARD = """mutation($token: String!) { addPaymentCard(input: {token: $token}) {
  paymentCard { brand last4 expMonth expYear isDefault } userErrors { code field } } }"""


def _client() -> httpx.AsyncClient:
    app = Starlette(routes=[Route(PATH, create_card_token, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://seatwise.test")


def _card(number: str, month: str = "12", year: str = "2030", cvc: str = "123") -> dict[str, str]:
    return {"card[number]": number, "card[exp_month]": month, "card[exp_year]": year, "card[cvc]": cvc}


async def test_the_browser_gets_a_token_and_the_admin_adds_it():
    fx = await make_org()
    async with _client() as client:
        response = await client.post(PATH, data=_card("4242 4242 4242 4242"))
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "token" and body["id"].startswith("tok_") and body["livemode"] is False
    assert body["card"] == {"object": "card", "brand": "Visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}
    assert "4242424242424242" not in response.text and "123" not in str(await SandboxCardToken.all().values())

    result = await execute(ADD_CARD, {"token": body["id"]}, token=fx.token)
    assert result.data["addPaymentCard"] == {
        "paymentCard": {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2030, "isDefault": True},
        "userErrors": [],
    }


@pytest.mark.parametrize(
    ("form", "code", "param"),
    [
        (_card("4242424242424241"), "incorrect_number", "number"),
        (_card("4242424242424242", month="13"), "invalid_expiry_year", "exp_month"),
        (_card("4242424242424242", year="2020"), "invalid_expiry_year", "exp_year"),
        (_card("4242424242424242", cvc="12"), "invalid_cvc", "cvc"),
    ],
)
async def test_a_card_form_stripe_js_would_refuse_is_refused_like_stripe_and_nothing_is_kept(form, code, param):
    async with _client() as client:
        response = await client.post(PATH, data=form)
    assert response.status_code == 402
    assert response.json()["error"] | {"message": None} == {"type": "card_error", "code": code, "param": param, "message": None}
    assert form["card[number]"] not in response.text
    assert not await SandboxCardToken.exists()


async def test_a_form_without_the_card_fields_is_a_bad_request():
    async with _client() as client:
        response = await client.post(PATH, data={"card[number]": "4242424242424242"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "parameter_missing"


def test_the_tokenizer_exists_only_with_the_sandbox_gateway(monkeypatch):
    paths = lambda: {getattr(route, "path", None) for route in create_app().routes}  # noqa: E731
    assert PATH in paths()
    monkeypatch.setenv("SEATWISE_GATEWAY", "stripe")
    monkeypatch.setenv("SEATWISE_STRIPE_SECRET_KEY", "sk_test_unused")
    settings.reload()
    try:
        assert PATH not in paths()
    finally:
        monkeypatch.delenv("SEATWISE_GATEWAY")
        monkeypatch.delenv("SEATWISE_STRIPE_SECRET_KEY")
        settings.reload()
