"""The payment gateway behind one small async interface, and the sandbox gateway that is the embedded default.

The gateway is chosen by configuration (`SEATWISE_PAYMENT_GATEWAY`, `sandbox` by default) through
`configure`. It is a remote service: callers never hold a database lock while they wait for it
(see `models/billing/charges.py`: record the attempt, call the gateway with an idempotency key, apply).

The sandbox behaves like a card processor's test mode (docs/rules.md section 5). Only its token, the
brand, the last 4 digits and the expiry leave `tokenize`: the number and CVC stop here. Like a
processor, it answers a repeated idempotency key with the first result instead of charging again
(it remembers the keys of this process).
"""

from __future__ import annotations

import enum
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import CardBrand

DECLINE_ON_ADD = "4000000000000002"
EXPIRED_ON_ADD = "4000000000000069"
BAD_CVC_ON_ADD = "4000000000000127"
DECLINE_ON_CHARGE = "4000000000000341"


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: CardBrand
    last4: str


class ChargeFailureCode(str, enum.Enum):
    CARD_DECLINED = "CARD_DECLINED"
    CARD_EXPIRED = "CARD_EXPIRED"


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    failure_code: ChargeFailureCode | None
    reference: str | None


class PaymentGateway(Protocol):
    async def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str, *, now: datetime) -> CardToken: ...

    async def charge(
        self, token: str, exp_month: int, exp_year: int, amount_cents: int, *, now: datetime, idempotency_key: str
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


def clean_number(number: str) -> str:
    """The digits of a card number (spaces and dashes ignored); INVALID_CARD_NUMBER otherwise.
    The message never repeats the number."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        raise DomainError(ErrorCode.INVALID_CARD_NUMBER, "The card number is not valid.", "number")
    return digits


class SandboxGateway:
    """Test mode: the special test numbers behave as documented; any other Luhn-valid number works."""

    REMEMBERED_KEYS = 100_000

    def __init__(self) -> None:
        self._results: OrderedDict[str, ChargeResult] = OrderedDict()
        self.charges_made = 0  # charges that moved (fake) money: a repeated key moves none

    async def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str, *, now: datetime) -> CardToken:
        digits = clean_number(number)
        check_expiry(exp_month, exp_year, now)
        brand = brand_of(digits)
        cvc_length = 4 if brand is CardBrand.AMEX else 3
        if not (cvc.isascii() and cvc.isdigit() and len(cvc) == cvc_length) or digits == BAD_CVC_ON_ADD:
            raise DomainError(ErrorCode.INVALID_CVC, "The security code is not valid.", "cvc")
        if digits == DECLINE_ON_ADD:
            raise DomainError(ErrorCode.CARD_DECLINED, "The card was declined.", "number")
        if digits == EXPIRED_ON_ADD:
            raise DomainError(ErrorCode.CARD_EXPIRED, "The card issuer reports the card as expired.", "number")
        behaviour = "decline" if digits == DECLINE_ON_CHARGE else "ok"
        return CardToken(token=f"tok_sandbox_{behaviour}_{secrets.token_hex(12)}", brand=brand, last4=digits[-4:])

    async def charge(
        self, token: str, exp_month: int, exp_year: int, amount_cents: int, *, now: datetime, idempotency_key: str
    ) -> ChargeResult:
        if (first := self._results.get(idempotency_key)) is not None:
            return first
        if is_expired(exp_month, exp_year, now):
            result = ChargeResult(False, ChargeFailureCode.CARD_EXPIRED, None)
        elif token.startswith("tok_sandbox_decline_"):
            result = ChargeResult(False, ChargeFailureCode.CARD_DECLINED, None)
        else:
            result = ChargeResult(True, None, f"ch_sandbox_{secrets.token_hex(10)}")
            self.charges_made += 1
        self._results[idempotency_key] = result
        while len(self._results) > self.REMEMBERED_KEYS:
            self._results.popitem(last=False)
        return result


GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"sandbox": SandboxGateway}
_gateway: PaymentGateway | None = None


def configure(name: str) -> PaymentGateway:
    """Use the gateway registered under `name` (settings: SEATWISE_PAYMENT_GATEWAY)."""
    global _gateway
    if name not in GATEWAYS:
        raise ValueError(f"unknown payment gateway {name!r}; known: {', '.join(sorted(GATEWAYS))}")
    _gateway = GATEWAYS[name]()
    return _gateway


def gateway() -> PaymentGateway:
    """The gateway of SEATWISE_PAYMENT_GATEWAY (the sandbox unless configured otherwise)."""
    if _gateway is None:
        from seatwise.models.core.settings import settings

        return configure(settings().payment_gateway)
    return _gateway
