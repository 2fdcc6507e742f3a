"""localstripe (a fake Stripe server) for the HTTP tests that run a server with the Stripe gateway."""

from tests.gateway_support import localstripe  # noqa: F401
