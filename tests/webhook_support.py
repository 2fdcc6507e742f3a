"""Webhook test helpers: private addresses allowed (the receivers run on loopback), an endpoint made as an admin would."""

from __future__ import annotations

import pytest

from seatwise.models.core.settings import reload
from seatwise.models.webhooks import endpoints
from tests.support import NOW, OrgFixture


@pytest.fixture
def private_allowed(monkeypatch):
    """SEATWISE_WEBHOOK_ALLOW_PRIVATE=true for the test (development and tests only)."""
    monkeypatch.setenv("SEATWISE_WEBHOOK_ALLOW_PRIVATE", "true")
    reload()
    yield
    monkeypatch.undo()
    reload()


async def make_endpoint(fx: OrgFixture, url: str, types: list[str] | None = None, *, now=NOW):
    return await endpoints.create(fx.org, url, types or [], "test receiver", actor=fx.actor, now=now)
