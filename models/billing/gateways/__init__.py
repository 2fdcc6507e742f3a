"""Payment gateways: one small interface (`base.py`), the sandbox (`sandbox.py`, the default) and Stripe
(`stripe_gateway.py`), chosen by `SEATWISE_GATEWAY` through `configure`."""

from __future__ import annotations

from collections.abc import Callable

from seatwise.models.billing.gateways.base import (
    CardToken,
    ChargeFailureCode,
    ChargeResult,
    GatewayUnavailable,
    PaymentGateway,
    card_expires_at,
    check_expiry,
    clean_number,
    is_expired,
    luhn_valid,
)
from seatwise.models.billing.gateways.sandbox import SandboxGateway

__all__ = [
    "GATEWAYS",
    "CardToken",
    "ChargeFailureCode",
    "ChargeResult",
    "GatewayUnavailable",
    "PaymentGateway",
    "SandboxGateway",
    "card_expires_at",
    "check_expiry",
    "clean_number",
    "configure",
    "gateway",
    "is_expired",
    "luhn_valid",
]


def _stripe() -> PaymentGateway:
    from seatwise.models.billing.gateways.stripe_gateway import StripeGateway
    from seatwise.models.core.settings import settings

    config = settings()
    secret = config.stripe_secret_key.get_secret_value() if config.stripe_secret_key else ""
    return StripeGateway(secret, api_base=config.stripe_api_base)


GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"sandbox": SandboxGateway, "stripe": _stripe}
_gateway: PaymentGateway | None = None


def configure(name: str) -> PaymentGateway:
    """Use the gateway registered under `name` (settings: SEATWISE_GATEWAY)."""
    global _gateway
    if name not in GATEWAYS:
        raise ValueError(f"unknown payment gateway {name!r}; known: {', '.join(sorted(GATEWAYS))}")
    _gateway = GATEWAYS[name]()
    return _gateway


def gateway() -> PaymentGateway:
    """The gateway of SEATWISE_GATEWAY (the sandbox unless configured otherwise)."""
    if _gateway is None:
        from seatwise.models.core.settings import settings

        return configure(settings().payment_gateway)
    return _gateway
