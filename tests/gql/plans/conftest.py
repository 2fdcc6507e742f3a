"""Fixtures of the preview tests: the payment gateway's calls and the live events published."""

import pytest

from seatwise.models.billing import gateways
from seatwise.models.events.live import broker


@pytest.fixture
def gateway_calls(monkeypatch):
    """Every charge the payment gateway is asked for (the real sandbox gateway answers them)."""
    gateway, calls = gateways.gateway(), []
    charge = gateway.charge

    async def recorded(*args, **kwargs):
        calls.append(kwargs.get("idempotency_key"))
        return await charge(*args, **kwargs)

    monkeypatch.setattr(gateway, "charge", recorded)
    return calls


@pytest.fixture
def published(monkeypatch):
    """Every live event published."""
    events = []
    publish = broker.publish_many

    def recorded(batch):
        events.extend(batch)
        return publish(batch)

    monkeypatch.setattr(broker, "publish_many", recorded)
    return events
