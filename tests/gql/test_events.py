"""licenseEvents run in-process through the schema (the WebSocket path is in tests/http/test_events_ws.py)."""

import asyncio
from contextlib import aclosing

from models import auth, seats
from models.clock import utcnow
from models.events import LicenseEventKind, SeatEvent, broker
from models.tables import Credential
from tests.events_support import LICENSE_EVENTS, suspend
from tests.support import NOW, give_licenses, make_org, make_user


async def _subscribe(fx, sku=None):
    from gql.context import Context
    from gql.schema import schema

    viewer = await auth.authenticate(f"Bearer {fx.token}", now=utcnow())
    context = Context(viewer, connection_params={"Authorization": f"Bearer {fx.token}"})
    return await schema.subscribe(LICENSE_EVENTS, variable_values={"sku": sku}, context_value=context)


async def _listening(stream, org_id: int) -> asyncio.Task:
    """Start waiting for the next result; returns once the broker has registered the subscriber."""
    task = asyncio.create_task(anext(stream))
    for _ in range(500):
        if broker.subscriber_count(org_id):
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("never subscribed")


async def test_an_assignment_is_delivered_with_the_user_and_the_seats_after_it():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await make_user(fx)
    async with aclosing(await _subscribe(fx, "CRM_BASIC")) as stream:
        pending = await _listening(stream, fx.org.id)
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
        result = await asyncio.wait_for(pending, 5)
    assert result.errors is None
    assert result.data["licenseEvents"] == {
        "kind": "ASSIGNED", "at": "2026-11-29T09:00:00Z", "product": {"sku": "CRM_BASIC"},
        "user": {"id": str(user.id), "email": user.email, "status": "ACTIVE"},
        "seats": {"purchased": 2, "assigned": 1, "available": 1, "overage": 0, "inConflict": False},
    }


async def test_a_suspension_that_opens_a_conflict_is_announced():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, skus=["CRM_BASIC"])
    await make_user(fx, skus=["CRM_BASIC"])
    await suspend(lapsing)
    after = await seats.seat_pool(fx.org, "CRM_BASIC")
    async with aclosing(await _subscribe(fx)) as stream:
        pending = await _listening(stream, fx.org.id)
        # What the billing clock publishes after committing a suspension.
        await broker.publish(SeatEvent(fx.org.id, LicenseEventKind.CONFLICT_OPENED, "CRM_BASIC", None, after.purchased, after.assigned, NOW))
        event = (await asyncio.wait_for(pending, 5)).data["licenseEvents"]
    assert (event["kind"], event["user"]) == ("CONFLICT_OPENED", None)
    assert event["seats"] == {"purchased": 1, "assigned": 2, "available": 0, "overage": 1, "inConflict": True}


async def test_an_unknown_or_purged_user_is_null():
    fx = await make_org()
    async with aclosing(await _subscribe(fx)) as stream:
        pending = await _listening(stream, fx.org.id)
        await broker.publish(SeatEvent(fx.org.id, LicenseEventKind.REVOKED, "CRM_BASIC", 987654321, 0, 0, NOW))
        event = (await asyncio.wait_for(pending, 5)).data["licenseEvents"]
    assert event["user"] is None and event["kind"] == "REVOKED"


async def test_the_subscriber_is_dropped_when_the_client_stops_listening():
    fx = await make_org()
    stream = await _subscribe(fx)
    pending = await _listening(stream, fx.org.id)
    pending.cancel()
    await asyncio.gather(pending, return_exceptions=True)
    await stream.aclose()
    assert broker.subscriber_count(fx.org.id) == 0


async def test_a_revoked_credential_ends_the_subscription_without_delivering():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await make_user(fx)
    async with aclosing(await _subscribe(fx)) as stream:
        pending = await _listening(stream, fx.org.id)
        await Credential.filter(token_hash=auth.hash_token(fx.token)).update(revoked_at=utcnow())
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
        try:
            result = await asyncio.wait_for(pending, 5)
        except StopAsyncIteration:
            result = None
    assert result is None
    assert broker.subscriber_count(fx.org.id) == 0
