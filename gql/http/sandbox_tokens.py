"""POST /sandbox-gateway/tokens: the sandbox gateway's tokenizer, what Stripe.js is to Stripe (docs/rules.md section 18).

A browser posts the card form here (form fields as Stripe.js sends them: `card[number]`, `card[exp_month]`,
`card[exp_year]`, `card[cvc]`) and gets a Stripe-like token object whose `id` (`tok_...`, single-use, valid 10
minutes) goes to `addPaymentCard(input: {token})`. No credential is needed, as none is for Stripe.js's
publishable key: a token is worth nothing until an admin adds it. The route exists only with the sandbox gateway.
Refusals answer 402 with a Stripe-like `{"error": {"type": "card_error", "code", "param", "message"}}`; the
number and CVC are never echoed, logged or stored.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from seatwise.models.billing.gateways.sandbox import create_token
from seatwise.models.core.clock import utcnow
from seatwise.models.core.errors import DomainError, ErrorCode

PATH = "/sandbox-gateway/tokens"
MAX_BODY = 4096

# Seatwise's codes as Stripe.js names them.
_STRIPE_CODES = {
    ErrorCode.INVALID_CARD_NUMBER: "incorrect_number",
    ErrorCode.INVALID_EXPIRY: "invalid_expiry_year",
    ErrorCode.INVALID_CVC: "invalid_cvc",
}


def _error(status: int, code: str, param: str | None, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "type": "card_error" if status == 402 else "invalid_request_error",
                "code": code,
                "param": param,
                "message": message,
            }
        },
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _as_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 4 else None


async def create_card_token(request: Request) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(400, "parameter_invalid", None, "The request is too large.")
    form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
    number, cvc = form.get("card[number]"), form.get("card[cvc]")
    month, year = _as_int(form.get("card[exp_month]", "")), _as_int(form.get("card[exp_year]", ""))
    if number is None or cvc is None or month is None or year is None:
        return _error(400, "parameter_missing", "card", "Send card[number], card[exp_month], card[exp_year] and card[cvc].")
    if year < 100:
        year += 2000  # Stripe.js accepts two-digit years
    now = utcnow()
    try:
        token = await create_token(number, month, year, cvc, wall=now)
    except DomainError as refused:
        param = {"number": "number", "cvc": "cvc", "exp_month": "exp_month"}.get(refused.subject or "", "exp_year")
        return _error(402, _STRIPE_CODES.get(refused.code, "card_declined"), param, refused.message)
    return JSONResponse(
        {
            "id": token.token,
            "object": "token",
            "type": "card",
            "created": int(token.created_at.timestamp()),
            "livemode": False,
            "used": False,
            "card": {
                "object": "card",
                "brand": token.brand.value.title() if token.brand.value != "AMEX" else "American Express",
                "last4": token.last4,
                "exp_month": token.exp_month,
                "exp_year": token.exp_year,
            },
        },
        headers={"Cache-Control": "no-store"},
    )
