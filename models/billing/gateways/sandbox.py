"""The sandbox gateway: the embedded default, a card processor's test mode (docs/rules.md section 5).

The special test numbers behave as documented; any other Luhn-valid number works. A card reaches it
the way it reaches Stripe: a browser posts the number to the sandbox's own tokenizer
(`POST /sandbox-gateway/tokens`, `create_token`) and gets a single-use `tok_...` valid 10 minutes, which
`addPaymentCard(input: {token})` hands to `attach`. The raw number and CVC are still accepted by
`tokenize` (test mode only; deprecated). Like a processor, it answers a repeated idempotency key with
the first result instead of charging again (it remembers the keys of this process).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from datetime import datetime, timedelta

from seatwise.models.billing.gateways.base import (
    CardToken,
    ChargeFailureCode,
    ChargeResult,
    brand_of,
    check_cvc,
    check_expiry,
    clean_number,
    is_expired,
)
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import SandboxCardToken

DECLINE_ON_ADD = "4000000000000002"
EXPIRED_ON_ADD = "4000000000000069"
BAD_CVC_ON_ADD = "4000000000000127"
DECLINE_ON_CHARGE = "4000000000000341"
TOKEN_LIFETIME = timedelta(minutes=10)

_ON_ADD = {
    DECLINE_ON_ADD: "declined",
    EXPIRED_ON_ADD: "expired",
    BAD_CVC_ON_ADD: "bad_cvc",
    DECLINE_ON_CHARGE: "decline_on_charge",
}


def _refuse(outcome: str) -> None:
    """What a test number does when it is added."""
    if outcome == "bad_cvc":
        raise DomainError(ErrorCode.INVALID_CVC, "The security code is not valid.", "cvc")
    if outcome == "declined":
        raise DomainError(ErrorCode.CARD_DECLINED, "The card was declined.", "number")
    if outcome == "expired":
        raise DomainError(ErrorCode.CARD_EXPIRED, "The card issuer reports the card as expired.", "number")


def _reference(outcome: str) -> str:
    behaviour = "decline" if outcome == "decline_on_charge" else "ok"
    return f"tok_sandbox_{behaviour}_{secrets.token_hex(12)}"


async def create_token(number: str, exp_month: int, exp_year: int, cvc: str, *, wall: datetime) -> SandboxCardToken:
    """The tokenizer (what Stripe.js does in the browser): check the card's form, keep brand, last 4, expiry and
    the test number's outcome under a single-use token valid 10 minutes. INVALID_CARD_NUMBER, INVALID_EXPIRY,
    INVALID_CVC as Stripe.js refuses them; declines happen when the token is added, as on Stripe."""
    digits = clean_number(number)
    check_expiry(exp_month, exp_year, wall)
    brand = brand_of(digits)
    check_cvc(cvc, brand)
    await SandboxCardToken.filter(expires_at__lt=wall - TOKEN_LIFETIME).delete()  # long dead tokens
    return await SandboxCardToken.create(
        token=f"tok_{secrets.token_urlsafe(18)}",
        brand=brand,
        last4=digits[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        outcome=_ON_ADD.get(digits, "ok"),
        created_at=wall,
        expires_at=wall + TOKEN_LIFETIME,
    )


class SandboxGateway:
    """Test mode: tokens from its tokenizer, or (deprecated) the raw test numbers."""

    name = "sandbox"
    accepts_card_numbers = True
    REMEMBERED_KEYS = 100_000

    def __init__(self) -> None:
        self._results: OrderedDict[str, ChargeResult] = OrderedDict()
        self.charges_made = 0  # charges that moved (fake) money: a repeated key moves none

    async def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str, *, now: datetime) -> CardToken:
        digits = clean_number(number)
        check_expiry(exp_month, exp_year, now)
        brand = brand_of(digits)
        check_cvc(cvc, brand)
        outcome = _ON_ADD.get(digits, "ok")
        _refuse(outcome)
        return CardToken(_reference(outcome), brand, digits[-4:], exp_month, exp_year)

    async def attach(self, organization_id: int, token: str, *, now: datetime, wall: datetime) -> CardToken:
        """The card of a tokenizer's token: INVALID_INPUT for an unknown, used or expired token; the test number's
        refusal; INVALID_EXPIRY when the card expired by the organization's time. The token is used up only by success."""
        row = await SandboxCardToken.get_or_none(token=token)
        if row is None:
            raise DomainError(ErrorCode.INVALID_INPUT, "Unknown card token: get one from /sandbox-gateway/tokens.", "token")
        if row.used_at is not None:
            raise DomainError(ErrorCode.INVALID_INPUT, "This card token was already used: tokens are single-use.", "token")
        if row.expires_at <= wall:
            raise DomainError(ErrorCode.INVALID_INPUT, "This card token has expired (tokens last 10 minutes).", "token")
        check_expiry(row.exp_month, row.exp_year, now)
        _refuse(row.outcome)
        if not await SandboxCardToken.filter(id=row.id, used_at__isnull=True, expires_at__gt=wall).update(used_at=wall):
            raise DomainError(ErrorCode.INVALID_INPUT, "This card token was already used: tokens are single-use.", "token")
        return CardToken(_reference(row.outcome), row.brand, row.last4, row.exp_month, row.exp_year)

    async def detach(self, organization_id: int, reference: str) -> None:
        return None

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
        if (first := self._results.get(idempotency_key)) is not None:
            return first
        if is_expired(exp_month, exp_year, now):
            result = ChargeResult(False, ChargeFailureCode.CARD_EXPIRED, None, "expired_card")
        elif token.startswith("tok_sandbox_decline_"):
            result = ChargeResult(False, ChargeFailureCode.CARD_DECLINED, None, "card_declined")
        else:
            result = ChargeResult(True, None, f"ch_sandbox_{secrets.token_hex(10)}")
            self.charges_made += 1
        self._results[idempotency_key] = result
        while len(self._results) > self.REMEMBERED_KEYS:
            self._results.popitem(last=False)
        return result
