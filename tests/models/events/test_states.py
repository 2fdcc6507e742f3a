"""An audit event's event carries the audit event as the API shows it plus the target's current state (user, group,
subscription) and the seat pool of the product it concerns, read in the change's transaction with one query per kind
of target however many events the change writes (docs/rules.md section 15)."""

from seatwise.models.core.clock import iso
from seatwise.models.core.tables import AdminRole, Event
from seatwise.models.events import audit
from seatwise.models.events.audit import AuditAction, AuditTarget
from seatwise.models.groups.lifecycle import create_group
from seatwise.models.seats import licenses
from tests.support import NOW, count_statements, give_licenses, make_org, make_user


async def _last(fx, type: str) -> dict:
    return (await Event.filter(organization_id=fx.org.id, type=type).order_by("-sequence").first()).data


async def test_a_license_event_carries_the_user_and_the_pool_as_the_change_leaves_them():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 3)
    person = await make_user(fx, role=AdminRole.USER_ADMIN)
    await licenses.assign_license(fx.org, str(person.id), "CRM_BASIC", actor=fx.actor, now=NOW)

    data = await _last(fx, "license.assigned")
    assert data["action"] == "license.assigned" and data["targetId"] == str(person.id)
    assert data["target"] == {
        "id": str(person.id),
        "email": person.email,
        "displayName": person.display_name,
        "adminRole": "USER_ADMIN",
        "deletedAt": None,
        "externalId": None,
    }
    assert data["pool"] == {
        "product": "CRM_BASIC",
        "purchased": 3,
        "assigned": 1,
        "available": 2,
        "waiting": 0,
        "inConflict": False,
    }
    assert not any("password" in key or "hash" in key for key in data["target"])


async def test_a_subscription_event_carries_the_subscription_and_its_pool():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 4)
    await audit.record(
        fx.org,
        fx.actor,
        AuditAction.SUBSCRIPTION_CANCEL_REQUESTED,
        target_type=AuditTarget.SUBSCRIPTION,
        target_id=sub.id,
        at=NOW,
    )

    data = await _last(fx, "subscription.cancel_requested")
    assert data["target"] == {
        "id": str(sub.id),
        "product": "CRM_BASIC",
        "quantity": 4,
        "status": "ACTIVE",
        "currentPeriodEnd": iso(sub.current_period_end),
        "cancelAtPeriodEnd": False,
        "graceEndsAt": None,
    }
    assert data["pool"]["purchased"] == 4 and data["pool"]["assigned"] == 0


async def test_a_group_event_carries_the_group_and_a_target_that_is_gone_is_null():
    fx = await make_org()
    group = await create_group(fx.org, "Sales", [], actor=fx.actor, now=NOW)
    assert (await _last(fx, "group.created"))["target"] == {
        "id": str(group.id),
        "displayName": "Sales",
        "source": "SEATWISE",
        "externalId": None,
    }
    await audit.record(fx.org, fx.actor, AuditAction.USER_PURGED, target_type=AuditTarget.USER, target_id=999999, at=NOW)
    gone = await _last(fx, "user.purged")
    assert gone["target"] is None and "pool" not in gone
    await audit.record(fx.org, fx.actor, AuditAction.DATA_EXPORTED, target_type=AuditTarget.DATA_EXPORT, target_id=1, at=NOW)
    assert "target" not in await _last(fx, "data.exported")  # no state for this kind of target


async def test_the_states_cost_the_same_statements_for_2_events_as_for_50():
    fx = await make_org()
    await give_licenses(fx, "CRM_BASIC", 60)
    people = [await make_user(fx) for _ in range(50)]

    async def many(users):
        await audit.record_many(
            fx.org, fx.actor, AuditAction.LICENSE_RECLAIM_SCHEDULED, AuditTarget.USER, [u.id for u in users], at=NOW,
            details={"product": "CRM_BASIC"},
        )  # fmt: skip

    _, two = await count_statements(many(people[:2]))
    _, fifty = await count_statements(many(people))
    assert len(two) == len(fifty)
    events = await Event.filter(organization_id=fx.org.id, type="license.reclaim_scheduled").order_by("sequence")
    assert [e.data["target"]["id"] for e in events] == [str(u.id) for u in people[:2] + people]
    assert all(e.data["pool"]["purchased"] == 60 for e in events)
