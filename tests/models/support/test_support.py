import asyncio
from datetime import timedelta

import pytest

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import (
    AuditEvent,
    ServiceRequest,
    ServiceRequestCategory,
    ServiceRequestStatus,
    StatusReason,
    Subscription,
    SubscriptionStatus,
)
from seatwise.models.events.live import LicenseEventKind, broker
from seatwise.models.seats import conflicts
from seatwise.models.seats import licenses as seats
from seatwise.models.support import cancellation
from seatwise.models.support import requests as support
from tests.support import NOW, give_licenses, make_org, make_user
from tests.support_helpers import export_now, old_export


async def _snapshot(sub_id: int) -> tuple:
    sub = await Subscription.get(id=sub_id)
    return sub.status, sub.cancel_at_period_end, sub.cancelled_at, sub.version, await ServiceRequest.all().count()


async def test_cancel_without_recent_export_is_refused_and_changes_nothing():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    await old_export(fx)  # 8 days old: too old
    before = await _snapshot(sub.id)
    audit_before = await AuditEvent.all().count()
    for immediately in (False, True):
        with pytest.raises(DomainError) as failed:
            await cancellation.cancel_subscription(
                fx.org, str(sub.id), "Too expensive", immediately=immediately, actor=fx.actor, now=NOW
            )
        assert failed.value.code is ErrorCode.DATA_EXPORT_REQUIRED
    assert await _snapshot(sub.id) == before
    assert await AuditEvent.all().count() == audit_before
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 5


async def test_cancel_with_acknowledged_data_loss_needs_no_export():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    cancelled, _ = await cancellation.cancel_subscription(
        fx.org, str(sub.id), "Moving on", acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )
    assert cancelled.cancel_at_period_end


async def test_cancel_at_period_end_keeps_licenses_counting_and_records_a_resolved_request():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 5)
    await export_now(fx, now=NOW - timedelta(days=6))
    cancelled, request = await cancellation.cancel_subscription(fx.org, str(sub.id), "  Too expensive  ", actor=fx.actor, now=NOW)
    assert cancelled.status is SubscriptionStatus.ACTIVE and cancelled.cancel_at_period_end
    assert cancelled.cancelled_at is None and cancelled.version == sub.version + 1
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 5
    assert (request.category, request.status, request.description) == (
        ServiceRequestCategory.CANCEL_SUBSCRIPTION,
        ServiceRequestStatus.RESOLVED,
        "Too expensive",
    )
    assert request.resolved_at == NOW and request.subscription_id == sub.id
    assert "2026-12-29T09:00:00Z" in request.resolution and "end of its billing period" in request.resolution
    actions = (
        await AuditEvent.filter(organization_id=fx.org.id, at=NOW, target_type__in=["SUBSCRIPTION", "SERVICE_REQUEST"])
        .order_by("id")
        .values_list("action", "target_type", "target_id")
    )
    assert actions == [
        ("subscription.cancel_requested", "SUBSCRIPTION", str(sub.id)),
        ("service_request.submitted", "SERVICE_REQUEST", str(request.id)),
    ]


async def test_immediate_cancellation_ends_the_subscription_now_and_opens_a_conflict():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    await give_licenses(fx, "CRM_BASIC", 1)
    for _ in range(3):
        await make_user(fx, skus=["CRM_BASIC"])
    await export_now(fx)
    events = broker.subscribe(fx.org.id)
    cancelling = asyncio.ensure_future(  # runs once this test waits for the events
        cancellation.cancel_subscription(fx.org, str(sub.id), "Closing a team", immediately=True, actor=fx.actor, now=NOW)
    )
    async with asyncio.timeout(2):
        first = await anext(events)  # subscribes first, in this task: then the cancellation runs and publishes
        second = await anext(events)
    cancelled, request = await cancelling
    assert cancelled.status is SubscriptionStatus.CANCELLED
    assert cancelled.status_reason is StatusReason.CANCELLED_BY_REQUEST and cancelled.cancelled_at == NOW
    assert not cancelled.cancel_at_period_end
    pool = await seats.seat_pool(fx.org, "CRM_BASIC")
    assert (pool.purchased, pool.assigned, pool.overage, pool.in_conflict) == (1, 3, 2, True)
    assert len(await seats.conflict_assignment_ids(fx.org)) == 2
    assert "effective immediately" in request.resolution and "no refund" in request.resolution
    assert await AuditEvent.filter(at=NOW, target_type="SUBSCRIPTION", target_id=str(sub.id)).order_by("id").values_list(
        "action", flat=True
    ) == ["subscription.cancel_requested", "subscription.cancelled"]
    assert first.kind is LicenseEventKind.SUBSCRIPTION_STATUS_CHANGED and first.purchased == 1
    assert second.kind is LicenseEventKind.CONFLICT_OPENED
    await events.aclose()


async def test_immediate_cancellation_conflict_names_subscription_cancelled_when_conflicts_exist():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 1)
    await make_user(fx, skus=["CRM_BASIC"])
    await cancellation.cancel_subscription(
        fx.org, str(sub.id), "Bye", immediately=True, acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )
    found = await conflicts.license_conflicts(fx.org, now=NOW)
    assert [(c.pool.product.sku, c.pool.overage, [cause.value for cause in c.causes]) for c in found] == [
        ("CRM_BASIC", 1, ["SUBSCRIPTION_CANCELLED"])
    ]


@pytest.mark.parametrize("state", ["cancelled", "set_to_cancel"])
async def test_cancelling_twice_is_already_cancelled(state):
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 2)
    await cancellation.cancel_subscription(
        fx.org, str(sub.id), "first", immediately=state == "cancelled", acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )
    before = await _snapshot(sub.id)
    for immediately in (False, True):
        with pytest.raises(DomainError) as failed:
            # ALREADY_CANCELLED comes before DATA_EXPORT_REQUIRED (no export, no acknowledgement)
            await cancellation.cancel_subscription(fx.org, str(sub.id), "again", immediately=immediately, actor=fx.actor, now=NOW)
        assert failed.value.code is ErrorCode.ALREADY_CANCELLED
    assert await _snapshot(sub.id) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
async def test_reason_must_have_1_to_2000_characters_before_anything_else(reason):
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await cancellation.cancel_subscription(fx.org, "999999", reason, actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "reason")


@pytest.mark.parametrize("raw", ["999999", "abc", ""])
async def test_unknown_or_foreign_subscription_is_not_found(raw):
    fx, other = await make_org("Acme"), await make_org("Other")
    foreign = await give_licenses(other, "CRM_BASIC", 1)
    for sub_id in (raw, str(foreign.id)):
        with pytest.raises(DomainError) as failed:
            await cancellation.cancel_subscription(fx.org, sub_id, "why", actor=fx.actor, now=NOW)
        assert (failed.value.code, failed.value.subject) == (ErrorCode.NOT_FOUND, "subscription_id")
    assert not (await Subscription.get(id=foreign.id)).cancel_at_period_end


async def test_service_request_cancellation_is_the_same_cancellation_at_period_end():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_ESSENTIAL", 3)
    with pytest.raises(DomainError) as failed:
        await support.submit_service_request(
            fx.org, ServiceRequestCategory.CANCEL_SUBSCRIPTION, "stop", subscription_id=str(sub.id), actor=fx.actor, now=NOW
        )
    assert failed.value.code is ErrorCode.DATA_EXPORT_REQUIRED
    assert await ServiceRequest.all().count() == 0
    request = await support.submit_service_request(
        fx.org,
        ServiceRequestCategory.CANCEL_SUBSCRIPTION,
        "stop",
        subscription_id=str(sub.id),
        acknowledge_data_loss=True,
        actor=fx.actor,
        now=NOW,
    )
    assert request.status is ServiceRequestStatus.RESOLVED and request.resolved_at == NOW
    after = await Subscription.get(id=sub.id)
    assert after.cancel_at_period_end and after.status is SubscriptionStatus.ACTIVE
    with pytest.raises(DomainError) as failed:
        await support.submit_service_request(
            fx.org,
            ServiceRequestCategory.CANCEL_SUBSCRIPTION,
            "stop",
            subscription_id=str(sub.id),
            acknowledge_data_loss=True,
            actor=fx.actor,
            now=NOW,
        )
    assert failed.value.code is ErrorCode.ALREADY_CANCELLED


async def test_service_request_cancellation_needs_a_subscription_id():
    fx = await make_org()
    with pytest.raises(DomainError) as failed:
        await support.submit_service_request(fx.org, ServiceRequestCategory.CANCEL_SUBSCRIPTION, "stop", actor=fx.actor, now=NOW)
    assert (failed.value.code, failed.value.subject) == (ErrorCode.INVALID_INPUT, "subscription_id")
    assert await ServiceRequest.all().count() == 0


async def test_other_requests_are_recorded_open_and_audited():
    fx = await make_org()
    request = await support.submit_service_request(
        fx.org, ServiceRequestCategory.BILLING, "Invoice address", actor=fx.actor, now=NOW
    )
    assert (request.status, request.resolution, request.resolved_at, request.submitted_by) == (
        ServiceRequestStatus.OPEN,
        None,
        None,
        fx.admin.email,
    )
    event = await AuditEvent.get(action="service_request.submitted", target_id=str(request.id))
    assert (event.actor, event.target_type, event.details["category"]) == (fx.admin.email, "SERVICE_REQUEST", "BILLING")


async def test_service_requests_are_listed_newest_first_and_filtered_by_status():
    fx = await make_org()
    sub = await give_licenses(fx, "CRM_BASIC", 1)
    first = await support.submit_service_request(fx.org, ServiceRequestCategory.OTHER, "one", actor=fx.actor, now=NOW)
    second = await support.submit_service_request(
        fx.org, ServiceRequestCategory.LICENSING, "two", actor=fx.actor, now=NOW + timedelta(hours=1)
    )
    _, third = await cancellation.cancel_subscription(
        fx.org, str(sub.id), "three", acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )
    assert [r.id for r in await support.service_requests_query(fx.org)] == [second.id, third.id, first.id]
    assert [r.id for r in await support.service_requests_query(fx.org, ServiceRequestStatus.OPEN)] == [second.id, first.id]


async def test_period_end_cancellation_is_ended_by_the_billing_clock():
    from seatwise.models.clock.run import run_clock

    fx = await make_org()
    active = await give_licenses(fx, "CRM_BASIC", 2)
    suspended = await give_licenses(fx, "CRM_ESSENTIAL", 1, status=SubscriptionStatus.SUSPENDED)
    _, request = await cancellation.cancel_subscription(
        fx.org, str(suspended.id), "stop", acknowledge_data_loss=True, actor=fx.actor, now=NOW
    )
    assert "past due" in request.resolution
    await cancellation.cancel_subscription(fx.org, str(active.id), "stop", acknowledge_data_loss=True, actor=fx.actor, now=NOW)
    await run_clock(NOW + timedelta(days=31), org=fx.org)
    for sub in (active, suspended):
        ended = await Subscription.get(id=sub.id)
        assert (ended.status, ended.status_reason) == (SubscriptionStatus.CANCELLED, StatusReason.CANCELLED_BY_REQUEST)
    assert (await seats.seat_pool(fx.org, "CRM_BASIC")).purchased == 0
