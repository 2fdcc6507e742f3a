"""licenseEvents run in-process through the schema (the WebSocket path is in tests/http/test_events_ws.py)."""

import asyncio
from contextlib import aclosing
from datetime import timedelta

import pytest

from seatwise.models.core.clock import utcnow
from seatwise.models.core.tables import AdminRole, Credential, CredentialKind
from seatwise.models.events.live import LicenseEventKind, SeatEvent, broker
from seatwise.models.people import auth, credentials, deletion, tokens, users
from seatwise.models.seats import licenses as seats
from tests.events_support import LICENSE_EVENTS, suspend
from tests.support import NOW, PASSWORD, error_codes, gid, give_licenses, make_org, make_user, token_for


async def _subscribe(fx, sku=None, token=None):
    from seatwise.gql.graphql.core.context import Context
    from seatwise.gql.graphql.schema import schema

    token = token or fx.token
    viewer = await auth.authenticate(f"Bearer {token}", now=utcnow())
    context = Context(viewer, connection_params={"Authorization": f"Bearer {token}"})
    return await schema.subscribe(LICENSE_EVENTS, variable_values={"sku": sku}, context_value=context)


async def _listening(stream, org_id: int, count: int = 1) -> asyncio.Task:
    """Start waiting for the next result; returns once the broker has registered the subscriber
    (the organization's `count`th)."""
    task = asyncio.create_task(anext(stream))
    for _ in range(500):
        if broker.subscriber_count(org_id) >= count:
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
        "kind": "ASSIGNED",
        "at": "2026-11-29T09:00:00Z",
        "product": {"sku": "CRM_BASIC"},
        "user": {"id": gid("User", user.id), "email": user.email, "status": "ACTIVE"},
        "seats": {"purchased": 2, "assigned": 1, "available": 1, "overage": 0, "inConflict": False},
    }


async def test_a_user_queued_by_a_group_is_delivered_with_the_waiting_count():
    from seatwise.gql.graphql.core.context import Context
    from seatwise.gql.graphql.schema import schema
    from seatwise.models.groups import lifecycle as groups
    from seatwise.models.groups import members as memberships

    fx = await make_org()
    user = await make_user(fx)
    group = await groups.create_group(fx.org, "Sales", ["CRM_BASIC"], actor=fx.actor, now=NOW)
    viewer = await auth.authenticate(f"Bearer {fx.token}", now=utcnow())
    context = Context(viewer, connection_params={"Authorization": f"Bearer {fx.token}"})
    document = "subscription { licenseEvents { kind user { id } seats { purchased assigned waiting } } }"
    async with aclosing(await schema.subscribe(document, context_value=context)) as stream:
        pending = await _listening(stream, fx.org.id)
        await memberships.add_members(fx.org, str(group.id), [str(user.id)], actor=fx.actor, now=NOW)
        result = await asyncio.wait_for(pending, 5)
    assert result.errors is None
    assert result.data["licenseEvents"] == {
        "kind": "WAITING",
        "user": {"id": gid("User", user.id)},
        "seats": {"purchased": 0, "assigned": 0, "waiting": 1},
    }


async def test_a_suspension_that_opens_a_conflict_is_announced():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    lapsing = await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, skus=["CRM_BASIC"])
    await make_user(fx, skus=["CRM_BASIC"])
    async with aclosing(await _subscribe(fx)) as stream:
        pending = await _listening(stream, fx.org.id)
        await suspend(lapsing)  # the seat ledger recounts, as the billing clock does, and announces the conflict
        event = (await asyncio.wait_for(pending, 5)).data["licenseEvents"]
    assert (event["kind"], event["user"]) == ("CONFLICT_OPENED", None)
    assert event["seats"] == {"purchased": 1, "assigned": 2, "available": 0, "overage": 1, "inConflict": True}


async def test_a_user_purged_before_an_event_about_them_is_delivered_is_null():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    await give_licenses(fx, "CRM_ESSENTIAL", 1)
    leaver = await make_user(fx, skus=["CRM_BASIC", "CRM_ESSENTIAL"])
    async with aclosing(await _subscribe(fx)) as stream:
        pending = await _listening(stream, fx.org.id)
        # One change, one batch: USER_DELETED for CRM_BASIC, then for CRM_ESSENTIAL. The first is delivered at once
        # (the user still exists, deleted); the second waits in the queue until the client asks for it.
        await deletion.delete_user(fx.org, str(leaver.id), actor=fx.actor, now=NOW)
        first = (await asyncio.wait_for(pending, 5)).data["licenseEvents"]
        assert await deletion.purge_deleted(fx.org, actor=fx.actor, now=NOW + users.RESTORE_WINDOW + timedelta(seconds=1)) == 1
        second = (await asyncio.wait_for(anext(stream), 5)).data["licenseEvents"]
    assert (first["kind"], first["product"], first["user"]["id"]) == (
        "USER_DELETED",
        {"sku": "CRM_BASIC"},
        gid("User", leaver.id),
    )
    assert (second["kind"], second["product"], second["user"]) == ("USER_DELETED", {"sku": "CRM_ESSENTIAL"}, None)


async def test_the_subscriber_is_dropped_when_the_client_stops_listening():
    fx = await make_org()
    stream = await _subscribe(fx)
    pending = await _listening(stream, fx.org.id)
    pending.cancel()
    await asyncio.gather(pending, return_exceptions=True)
    await stream.aclose()
    assert broker.subscriber_count(fx.org.id) == 0


async def _ends_unauthenticated(pending: asyncio.Task, stream) -> None:
    """The subscription's last result is an UNAUTHENTICATED error, and nothing follows it."""
    result = await asyncio.wait_for(pending, 5)
    assert result.data is None
    assert error_codes(result) == ["UNAUTHENTICATED"]
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(stream), 5)


async def test_a_credential_revoked_behind_the_brokers_back_ends_the_subscription_at_the_next_event():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 2)
    user = await make_user(fx)
    async with aclosing(await _subscribe(fx)) as stream:
        pending = await _listening(stream, fx.org.id)
        await Credential.filter(token_hash=credentials.hash_token(fx.token)).update(revoked_at=utcnow())  # no notice
        await seats.assign_license(fx.org, str(user.id), "CRM_BASIC", actor=fx.actor, now=NOW)
        await _ends_unauthenticated(pending, stream)
    assert broker.subscriber_count(fx.org.id) == 0


async def test_revoking_an_api_token_ends_its_subscription_with_unauthenticated_without_any_event():
    fx = await make_org()
    viewer = await auth.authenticate(f"Bearer {fx.token}", now=utcnow())
    token, row = await tokens.create_api_token(viewer, "dashboard", AdminRole.READER, None, now=utcnow())
    async with aclosing(await _subscribe(fx, token=token)) as stream:
        pending = await _listening(stream, fx.org.id)
        await tokens.revoke_api_token(viewer, str(row.id), now=utcnow())
        await _ends_unauthenticated(pending, stream)
    assert broker.subscriber_count(fx.org.id) == 0


async def test_signing_out_ends_that_sessions_subscription_and_not_anothers():
    fx = await make_org()
    (leaving, viewer), (staying, _) = [await auth.sign_in(fx.admin.email, PASSWORD, now=utcnow()) for _ in range(2)]
    async with aclosing(await _subscribe(fx, token=leaving)) as ending, aclosing(await _subscribe(fx, token=staying)) as kept:
        pending = await _listening(ending, fx.org.id)
        waiting = await _listening(kept, fx.org.id, count=2)
        await auth.sign_out(viewer, everywhere=False, now=utcnow())
        await _ends_unauthenticated(pending, ending)
        assert broker.subscriber_count(fx.org.id) == 1 and not waiting.done()  # the other session still listens
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)


async def test_deleting_a_user_ends_the_subscriptions_of_its_tokens():
    fx = await make_org()
    reader = await make_user(fx, role=AdminRole.READER)
    token = await token_for(fx, reader, AdminRole.READER)
    async with aclosing(await _subscribe(fx, token=token)) as stream:
        pending = await _listening(stream, fx.org.id)
        await deletion.delete_user(fx.org, str(reader.id), actor=fx.actor, now=NOW)
        await _ends_unauthenticated(pending, stream)


async def test_a_lapsing_token_ends_its_subscription_with_unauthenticated_without_any_event():
    fx = await make_org()
    token, _ = await credentials.issue_credential(
        fx.admin,
        CredentialKind.API_TOKEN,
        AdminRole.READER,
        now=utcnow(),
        name="short",
        expires_at=utcnow() + timedelta(seconds=1),
    )
    async with aclosing(await _subscribe(fx, token=token)) as stream:
        pending = await _listening(stream, fx.org.id)
        await _ends_unauthenticated(pending, stream)
    assert broker.subscriber_count(fx.org.id) == 0


async def test_a_batch_is_delivered_in_order():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    people = [await make_user(fx) for _ in range(3)]
    async with aclosing(broker.subscribe(fx.org.id)) as stream:
        first = await _listening(stream, fx.org.id)
        # One seat change: its three events are published after commit, in one batch.
        await seats.assign_licenses(fx.org, [str(p.id) for p in people], "CRM_BASIC", actor=fx.actor, now=NOW)
        received = [await asyncio.wait_for(first, 5)] + [await asyncio.wait_for(anext(stream), 5) for _ in range(2)]
    assert received == [
        SeatEvent(fx.org.id, LicenseEventKind.ASSIGNED, "CRM_BASIC", p.id, 3, n, NOW) for n, p in enumerate(people, start=1)
    ]
