"""The Stripe gateway (`SEATWISE_GATEWAY=stripe`): `stripe` from PyPI with its async HTTP client (httpx).

- One Customer per organization (`GatewayCustomer`), made when its first card is added.
- A card is a PaymentMethod (`pm_...`) that Stripe.js made in the browser; `attach` attaches it to the
  customer (declines happen here, as on Stripe) and keeps brand, last 4 and expiry.
- A charge is an off-session PaymentIntent confirmed at once. Seatwise's idempotency key (the charge
  attempt's `gateway_key`, recorded before the call) goes as Stripe's `Idempotency-Key` and in the intent's
  metadata (`seatwise_key`). Before creating an intent, the gateway looks for one already made with that
  key: a retry whose first answer was lost (a network error, a crash) finds it instead of charging again,
  whether or not the server honours `Idempotency-Key` (localstripe does not). The look-up reads the 100
  newest intents of the account; on Stripe itself `Idempotency-Key` covers 24 hours on top of it.
- Declines: `expired_card` is CARD_EXPIRED, anything else CARD_DECLINED, the processor's code kept as
  `processor_code`; an intent that needs the cardholder (`requires_action`, `authentication_required`) is
  AUTHENTICATION_REQUIRED. Network errors, 429 and 5xx are retried with back-off (`BACKOFF`), then
  `GatewayUnavailable`.

Nothing of a Stripe response is kept but the ids, the card's brand, last 4 and expiry, and the decline code.
The secret key is never logged: errors are reported by class and code only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import stripe
from tortoise.exceptions import IntegrityError

from seatwise.models.billing.gateways.base import (
    CardToken,
    ChargeFailureCode,
    ChargeResult,
    GatewayUnavailable,
    brand_named,
    check_expiry,
    is_expired,
)
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import GatewayCustomer, PaymentCard

log = logging.getLogger("seatwise.billing.stripe")
T = TypeVar("T")

_ON_ATTACH = {
    "expired_card": (ErrorCode.CARD_EXPIRED, "The card issuer reports the card as expired.", "token"),
    "incorrect_cvc": (ErrorCode.INVALID_CVC, "The security code is not valid.", "token"),
    "invalid_cvc": (ErrorCode.INVALID_CVC, "The security code is not valid.", "token"),
    "incorrect_number": (ErrorCode.INVALID_CARD_NUMBER, "The card number is not valid.", "token"),
    "invalid_number": (ErrorCode.INVALID_CARD_NUMBER, "The card number is not valid.", "token"),
}


def _transient(error: stripe.StripeError) -> bool:
    """Worth another try: the request may not have arrived, or Stripe could not answer it."""
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    return isinstance(error, stripe.APIError) and (error.http_status or 500) >= 500


def _field(obj: Any, key: str) -> Any:
    """`obj[key]` of a Stripe object (or dict), None when absent."""
    if obj is None:
        return None
    try:
        return obj[key]
    except (KeyError, TypeError):
        return None


def _failure(code: str | None, decline_code: str | None, reference: str | None) -> ChargeResult:
    if code in ("authentication_required", "requires_action"):
        return ChargeResult(False, ChargeFailureCode.AUTHENTICATION_REQUIRED, reference, "authentication_required")
    if code == "expired_card" or decline_code == "expired_card":
        return ChargeResult(False, ChargeFailureCode.CARD_EXPIRED, reference, "expired_card")
    return ChargeResult(False, ChargeFailureCode.CARD_DECLINED, reference, decline_code or code or "card_declined")


def _outcome(intent: Any) -> ChargeResult:
    """The result a PaymentIntent stands for."""
    if intent.status in ("succeeded", "processing"):
        return ChargeResult(True, None, intent.id)
    if intent.status == "requires_action":
        return _failure("authentication_required", None, intent.id)
    error = _field(intent, "last_payment_error")
    return _failure(_field(error, "code"), _field(error, "decline_code"), intent.id)


class HTTPXClient(stripe.HTTPXClient):
    """stripe's httpx client, sending the encoded body as `content` (stripe 16 passes bytes as `data`, which httpx
    0.28 deprecates)."""

    def _get_request_args_kwargs(self, method: str, url: str, headers, post_data):
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        body = kwargs.pop("data")
        if body:
            kwargs["content"] = body
        return args, kwargs


class StripeGateway:
    name = "stripe"
    accepts_card_numbers = False
    BACKOFF = (0.2, 0.5, 1.0, 2.0, 4.0)  # seconds before each further try of one call

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        http_client: stripe.HTTPClient | None = None,
        backoff: tuple[float, ...] | None = None,
    ) -> None:
        if not secret_key:
            raise ValueError("SEATWISE_STRIPE_SECRET_KEY is not set (the stripe gateway needs a secret key)")
        self.http_client = http_client or HTTPXClient()
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self.http_client,
            max_network_retries=0,  # retried here, with a look-up before each new try (see `charge`)
        )
        self.backoff = self.BACKOFF if backoff is None else backoff

    async def close(self) -> None:
        """Close the HTTP connections (they belong to the event loop that opened them)."""
        await self.http_client.close_async()

    async def _with_backoff(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        for pause in (*self.backoff, None):
            try:
                return await call()
            except stripe.StripeError as error:
                if not _transient(error):
                    raise
                log.warning(
                    "stripe %s: %s (http %s), %s",
                    what,
                    type(error).__name__,
                    error.http_status,
                    "retrying" if pause is not None else "giving up",
                )
                if pause is None:
                    raise GatewayUnavailable(what) from None
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _customer(self, organization_id: int, *, now: datetime) -> str:
        """The organization's Customer, made on first use."""
        row = await GatewayCustomer.get_or_none(organization_id=organization_id, gateway=self.name)
        if row is not None:
            return row.reference
        customer = await self._with_backoff(
            "customer",
            # No idempotency key: organization ids repeat across databases (a test run, a restored backup) that may share
            # one Stripe account. Two first cards at once may make two Customers; one is kept (the row is unique).
            lambda: self.client.v1.customers.create_async(params={"metadata": {"seatwise_organization": str(organization_id)}}),
        )
        try:
            await GatewayCustomer.create(
                organization_id=organization_id, gateway=self.name, reference=customer.id, created_at=now
            )
        except IntegrityError:
            pass  # a concurrent first card made it: use that one
        return (await GatewayCustomer.get(organization_id=organization_id, gateway=self.name)).reference

    async def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str, *, now: datetime) -> CardToken:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Send a token: card numbers go to Stripe.js in the browser, never to Seatwise.", "token"
        )

    async def attach(self, organization_id: int, token: str, *, now: datetime, wall: datetime) -> CardToken:
        """Attach a PaymentMethod to the organization's Customer: INVALID_INPUT for an unknown or used one; the card's
        refusal (CARD_DECLINED, CARD_EXPIRED, INVALID_CVC, INVALID_CARD_NUMBER); INVALID_EXPIRY by the organization's time."""
        if not token.startswith("pm_"):
            raise DomainError(ErrorCode.INVALID_INPUT, "Send a Stripe PaymentMethod id (pm_...) made by Stripe.js.", "token")
        if await PaymentCard.exists(gateway_token=token):
            raise DomainError(ErrorCode.INVALID_INPUT, "This card token was already used.", "token")
        try:  # first, whether Stripe knows it and it is still free (before making a Customer for it)
            found = await self._with_backoff("retrieve", lambda: self.client.v1.payment_methods.retrieve_async(token))
        except stripe.InvalidRequestError:
            raise DomainError(ErrorCode.INVALID_INPUT, "Unknown card token.", "token") from None
        if _field(found, "customer"):
            raise DomainError(ErrorCode.INVALID_INPUT, "This card token was already used.", "token")
        customer = await self._customer(organization_id, now=now)
        try:
            method = await self._with_backoff(
                "attach", lambda: self.client.v1.payment_methods.attach_async(token, params={"customer": customer})
            )
        except stripe.CardError as error:
            code, message, subject = _ON_ATTACH.get(
                error.code or "", (ErrorCode.CARD_DECLINED, "The card was declined.", "token")
            )
            raise DomainError(code, message, subject) from None
        except stripe.InvalidRequestError:
            raise DomainError(ErrorCode.INVALID_INPUT, "Unknown or used card token.", "token") from None
        card = method.card
        if card is None:
            raise DomainError(ErrorCode.INVALID_INPUT, "This PaymentMethod is not a card.", "token")
        try:
            check_expiry(card.exp_month, card.exp_year, now)
        except DomainError:
            await self.detach(organization_id, method.id)
            raise
        return CardToken(method.id, brand_named(card.brand), card.last4, card.exp_month, card.exp_year)

    async def detach(self, organization_id: int, reference: str) -> None:
        try:
            await self._with_backoff("detach", lambda: self.client.v1.payment_methods.detach_async(reference))
        except stripe.InvalidRequestError:
            pass  # detached already, or never attached

    async def find_intent(self, idempotency_key: str) -> Any | None:
        """The PaymentIntent made for this key, if any (metadata `seatwise_key`, among the 100 newest)."""
        page = await self.client.v1.payment_intents.list_async(params={"limit": 100})
        return next(
            (intent for intent in page.data if _field(_field(intent, "metadata"), "seatwise_key") == idempotency_key), None
        )

    async def _create_intent(
        self, customer: str, token: str, amount_cents: int, idempotency_key: str, organization_id: int
    ) -> ChargeResult:
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params={
                    "amount": amount_cents,
                    "currency": "usd",
                    "customer": customer,
                    "payment_method": token,
                    "off_session": True,
                    "confirm": True,
                    "metadata": {"seatwise_key": idempotency_key, "seatwise_organization": str(organization_id)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            details = error.error
            intent_id = _field(_field(details, "payment_intent"), "id")
            return _failure(error.code, _field(details, "decline_code"), intent_id)
        return _outcome(intent)

    async def charge(
        self,
        token: str,
        exp_month: int,
        exp_year: int,
        amount_cents: int,
        *,
        now: datetime,
        idempotency_key: str,
        organization_id: int | None = None,
    ) -> ChargeResult:
        """One off-session PaymentIntent for `idempotency_key`, however often it is asked (see the module's docstring)."""
        if is_expired(exp_month, exp_year, now):
            return ChargeResult(False, ChargeFailureCode.CARD_EXPIRED, None, "expired_card")
        if organization_id is None:
            raise ValueError("a Stripe charge needs the organization (its Customer)")
        customer = await self._customer(organization_id, now=now)

        async def once() -> ChargeResult:
            found = await self.find_intent(idempotency_key)
            if found is not None:
                return _outcome(found)
            return await self._create_intent(customer, token, amount_cents, idempotency_key, organization_id)

        return await self._with_backoff("charge", once)
