"""Both payment gateways (the sandbox, and Stripe against localstripe) for the billing tests of this folder."""

from tests.gateway_support import card_gateway, localstripe  # noqa: F401
