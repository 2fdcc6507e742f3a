"""The payment gateway's one small async interface, and the card rules every gateway shares.

A gateway is a remote service: callers never hold a database lock while they wait for it (see
`models/billing/charges.py`: record the attempt, call the gateway with an idempotency key, apply).
Only a card's reference at the processor, its brand, last 4 digits and expiry leave a gateway; a card
number and CVC, when a gateway accepts them at all (the sandbox, in test mode), stop inside it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import CardBrand


@dataclass(frozen=True)
class CardToken:
    """A card as the processor holds it: its reference (`token`) and what Seatwise may keep of it."""

    token: str
    brand: CardBrand
    last4: str
    exp_month: int = 0
    exp_year: int = 0


class ChargeFailureCode(str, enum.Enum):
    CARD_DECLINED = "CARD_DECLINED"
    CARD_EXPIRED = "CARD_EXPIRED"
    AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    failure_code: ChargeFailureCode | None
    reference: str | None
    processor_code: str | None = None  # the processor's own decline code (e.g. Stripe's `insufficient_funds`)


class GatewayUnavailable(Exception):
    """The processor could not be reached (network errors, 5xx) after the retries of one call: nothing is known
    about the charge, so its attempt stays and is asked again, with the same key, by the next try."""


class PaymentGateway(Protocol):
    name: str
    # Whether raw card numbers may be sent (the sandbox's test mode only).
    accepts_card_numbers: bool

    async def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str, *, now: datetime) -> CardToken: ...

    async def attach(self, organization_id: int, token: str, *, now: datetime, wall: datetime) -> CardToken: ...

    async def detach(self, organization_id: int, reference: str) -> None: ...

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
    ) -> ChargeResult: ...


def card_expires_at(exp_month: int, exp_year: int) -> datetime:
    """A card is valid to the end of its expiry month (UTC): the first instant after it."""
    if exp_month == 12:
        return datetime(exp_year + 1, 1, 1, tzinfo=UTC)
    return datetime(exp_year, exp_month + 1, 1, tzinfo=UTC)


def is_expired(exp_month: int, exp_year: int, now: datetime) -> bool:
    return now >= card_expires_at(exp_month, exp_year)


def check_expiry(exp_month: int, exp_year: int, now: datetime) -> None:
    """INVALID_EXPIRY for a month outside 1..12, an expiry before the current month, or an absurd year."""
    if not 1 <= exp_month <= 12:
        raise DomainError(ErrorCode.INVALID_EXPIRY, "The expiry month is 1 to 12.", "exp_month")
    if not now.year <= exp_year <= now.year + 50 or is_expired(exp_month, exp_year, now):
        raise DomainError(ErrorCode.INVALID_EXPIRY, "The card expired (or its expiry year is not plausible).", "exp_year")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> CardBrand:
    if digits.startswith("4"):
        return CardBrand.VISA
    if digits[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(digits[:4]) <= 2720:
        return CardBrand.MASTERCARD
    if digits[:2] in {"34", "37"}:
        return CardBrand.AMEX
    if digits.startswith("6011") or digits.startswith("65") or 644 <= int(digits[:3]) <= 649:
        return CardBrand.DISCOVER
    return CardBrand.UNKNOWN


def brand_named(name: str | None) -> CardBrand:
    """A processor's brand name (Stripe: visa, mastercard, amex, discover, ...) as Seatwise's CardBrand."""
    return {
        "visa": CardBrand.VISA,
        "mastercard": CardBrand.MASTERCARD,
        "amex": CardBrand.AMEX,
        "american express": CardBrand.AMEX,
        "discover": CardBrand.DISCOVER,
    }.get((name or "").lower(), CardBrand.UNKNOWN)


def clean_number(number: str) -> str:
    """The digits of a card number (spaces and dashes ignored); INVALID_CARD_NUMBER otherwise.
    The message never repeats the number."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        raise DomainError(ErrorCode.INVALID_CARD_NUMBER, "The card number is not valid.", "number")
    return digits


def check_cvc(cvc: str, brand: CardBrand) -> None:
    """CVC is 3 digits (4 for AMEX): INVALID_CVC otherwise."""
    length = 4 if brand is CardBrand.AMEX else 3
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) == length):
        raise DomainError(ErrorCode.INVALID_CVC, "The security code is not valid.", "cvc")
