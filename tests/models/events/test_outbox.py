"""The outbox: every audit event is an event, numbered 1, 2, 3, ... per organization in commit order; a change that
fails leaves neither events nor a hole; events older than 30 days are pruned by the clock."""

from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError
from seatwise.models.core.tables import AuditEvent, Event
from seatwise.models.events import outbox
from seatwise.models.seats import licenses
from tests.support import NOW, give_licenses, make_org, make_user

NOTICES = {"seats.low", "licenses.waiting", "conflict.opened"}


async def _sequences(org_id: int) -> list[int]:
    return [e.sequence for e in await Event.filter(organization_id=org_id).order_by("sequence")]


async def test_every_audit_event_is_an_event_with_the_next_sequence_of_its_organization():
    fx, other = await make_org("Acme"), await make_org("Other")
    await give_licenses(fx, "CRM_BASIC", 3)
    people = [await make_user(fx) for _ in range(3)]
    await make_user(other)
    for person in people:
        await licenses.assign_license(fx.org, str(person.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    audited = await AuditEvent.filter(organization_id=fx.org.id).order_by("id")
    everything = await Event.filter(organization_id=fx.org.id).order_by("sequence")
    assert [e.sequence for e in everything] == list(range(1, len(everything) + 1))
    events = [e for e in everything if e.type not in NOTICES]
    assert [e.type for e in events] == [a.action for a in audited]
    assert [e.type for e in everything if e.type in NOTICES] == ["seats.low"]  # the 3rd of 3 licenses
    assert events[-1].data["targetId"] == str(people[-1].id) and events[-1].data["details"]["product"] == "CRM_BASIC"
    theirs = await AuditEvent.filter(organization_id=other.org.id).count()
    assert await _sequences(other.org.id) == list(range(1, theirs + 1))  # its own numbers


async def test_a_failed_change_writes_no_event_and_leaves_no_hole():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 1)
    first, second = await make_user(fx), await make_user(fx)
    await licenses.assign_license(fx.org, str(first.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    before = await _sequences(fx.org.id)

    with pytest.raises(DomainError):
        await licenses.assign_license(fx.org, str(second.id), "CRM_BASIC", actor=fx.actor, now=NOW)  # no seat left
    assert await _sequences(fx.org.id) == before

    await licenses.revoke_license(fx.org, str(first.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await _sequences(fx.org.id) == [*before, before[-1] + 1]


async def test_pages_follow_the_sequence_and_keep_only_the_types_asked_for():
    fx = await make_org()
    for _ in range(4):
        await make_user(fx)
    total = await Event.filter(organization_id=fx.org.id).count()
    rows, more = await outbox.page(fx.org.id, after=0, first=3, types=None)
    assert [r.sequence for r in rows] == [1, 2, 3] and more
    rows, more = await outbox.page(fx.org.id, after=3, first=100, types=None)
    assert [r.sequence for r in rows] == list(range(4, total + 1)) and not more
    rows, _ = await outbox.page(fx.org.id, after=0, first=10, types=["license.assigned"])
    assert rows == []


async def test_events_older_than_30_days_are_pruned_by_the_clock():
    fx = await make_org(now=NOW)
    await make_user(fx, now=NOW + timedelta(days=10))
    assert await outbox.prune(NOW + timedelta(days=30)) == 0
    kept = await _sequences(fx.org.id)
    assert await outbox.prune(NOW + timedelta(days=30, seconds=1)) == len(kept) - 1  # what the organization's creation wrote
    assert await _sequences(fx.org.id) == kept[-1:]
    await make_user(fx, now=NOW + timedelta(days=31))
    assert await _sequences(fx.org.id) == [kept[-1], kept[-1] + 1]  # numbering goes on; pruning leaves no reuse


async def test_a_seat_change_that_starts_an_alert_writes_its_notice_once():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 10)
    people = [await make_user(fx) for _ in range(10)]
    for person in people[:8]:
        await licenses.assign_license(fx.org, str(person.id), "CRM_BASIC", actor=fx.actor, now=NOW)
    assert await Event.filter(organization_id=fx.org.id, type="seats.low").count() == 0
    await licenses.assign_license(fx.org, str(people[8].id), "CRM_BASIC", actor=fx.actor, now=NOW)  # 1 of 10 left: low
    await licenses.assign_license(fx.org, str(people[9].id), "CRM_BASIC", actor=fx.actor, now=NOW)  # still low: no second
    [low] = await Event.filter(organization_id=fx.org.id, type="seats.low")
    assert low.data == {"product": "CRM_BASIC", "purchased": 10, "assigned": 9, "available": 1, "waiting": 0}
    audited = await Event.filter(organization_id=fx.org.id).order_by("sequence")
    assert [e.sequence for e in audited] == list(range(1, len(audited) + 1))
