"""Audit coverage: every action of docs/rules.md section 8, driven through the public domain functions,
written with the right actor and target type and without secrets."""

import json
from datetime import timedelta

import pytest

from seatwise.models.billing import cards, reductions
from seatwise.models.billing import purchases as billing
from seatwise.models.clock import testclock
from seatwise.models.core.clock import org_now, utcnow
from seatwise.models.core.tables import (
    AdminRole,
    AuditEvent,
    ExportFormat,
    Organization,
    PaymentCard,
    ServiceRequestCategory,
    User,
)
from seatwise.models.events import audit
from seatwise.models.events.audit import BILLING_CLOCK, Actor, AuditAction, AuditTarget
from seatwise.models.exports import files as exports
from seatwise.models.people import account, auth, deletion, tokens, users
from seatwise.models.seats import licenses as seats
from seatwise.models.support import cancellation
from seatwise.models.support import requests as support
from tests.billing_support import DECLINES_ON_CHARGE, VISA
from tests.support import NOW, PASSWORD, make_org, make_user

DOCUMENTED_ACTIONS = {
    "user.created": "USER",
    "user.deleted": "USER",
    "user.restored": "USER",
    "user.purged": "USER",
    "user.admin_role_changed": "USER",
    "user.password_changed": "USER",
    "license.assigned": "USER",
    "license.revoked": "USER",
    "licenses.purchased": "SUBSCRIPTION",
    "licenses.reduced": "SUBSCRIPTION",
    "subscription.renewed": "SUBSCRIPTION",
    "subscription.grace_started": "SUBSCRIPTION",
    "subscription.suspended": "SUBSCRIPTION",
    "subscription.cancel_requested": "SUBSCRIPTION",
    "subscription.cancelled": "SUBSCRIPTION",
    "card.added": "PAYMENT_CARD",
    "card.updated": "PAYMENT_CARD",
    "charge.failed": "PAYMENT_CARD",
    "service_request.submitted": "SERVICE_REQUEST",
    "data.exported": "DATA_EXPORT",
    "api_token.created": "API_TOKEN",
    "api_token.revoked": "API_TOKEN",
    "session.signed_in": "SESSION",
    "session.signed_out": "SESSION",
    "test_clock.advanced": "ORGANIZATION",
}
CLOCK_ACTIONS = {"user.purged", "subscription.renewed", "subscription.grace_started", "subscription.suspended"}


async def _now(org: Organization):
    return org_now(await Organization.get(id=org.id))


async def test_every_audited_action_names_actor_and_target_and_keeps_secrets_out():
    fx = await make_org("Audited", sandbox=True)
    org, admin = fx.org, fx.actor
    secrets = [fx.token, PASSWORD, VISA, DECLINES_ON_CHARGE]

    # admins at work, at the test clock's time
    now = await _now(org)
    visa, _ = await cards.add_card(org, VISA, 12, 2030, "123", True, actor=admin, now=now)
    basic, _ = await billing.purchase_licenses(org, "CRM_BASIC", 4, "buy-basic", actor=admin, now=now)
    essential, _ = await billing.purchase_licenses(org, "CRM_ESSENTIAL", 2, "buy-essential", actor=admin, now=now)
    keeper = await make_user(fx, skus=["CRM_BASIC"])
    await seats.revoke_license(org, str(keeper.id), "CRM_BASIC", actor=admin, now=now)
    await seats.assign_license(org, str(keeper.id), "CRM_BASIC", actor=admin, now=now)
    await users.set_admin_role(org, str(keeper.id), AdminRole.READER, actor=admin, now=now)
    restored = await make_user(fx, skus=["CRM_BASIC"])
    await deletion.delete_user(org, str(restored.id), actor=admin, now=now)
    await deletion.restore_user(org, str(restored.id), actor=admin, now=now)
    purged = await make_user(fx)
    await deletion.delete_user(org, str(purged.id), actor=admin, now=now)
    await reductions.reduce_licenses(org, str(basic.id), 1, actor=admin, now=now)
    await cards.update_card(org, str(visa.id), 11, 2031, actor=admin, now=now)

    session, viewer = await auth.sign_in(fx.admin.email, PASSWORD, now=now)
    api_secret, api_token = await tokens.create_api_token(viewer, "hr-feed", AdminRole.READER, None, now=now)
    await tokens.revoke_api_token(viewer, str(api_token.id), now=now)
    await account.change_password(viewer, PASSWORD, "a brand new passphrase", now=now)
    await auth.sign_out(viewer, everywhere=False, now=now)
    secrets += [session, api_secret, "a brand new passphrase"]

    via_token = Actor(email=fx.admin.email, role=AdminRole.GLOBAL_ADMIN, user_id=fx.admin.id, token_name="ops-script")
    await support.submit_service_request(org, ServiceRequestCategory.BILLING, "Invoice address", actor=via_token, now=now)
    await exports.create_export(org, ExportFormat.JSON, actor=admin, now=now)
    await cancellation.cancel_subscription(org, str(essential.id), "Not needed", immediately=True, actor=admin, now=now)

    # the billing clock: a renewal, then a declining card, grace, suspension; the deleted user is purged
    await testclock.advance_test_clock(org, NOW + timedelta(days=31), actor=admin, wall=utcnow())
    await cards.add_card(
        await Organization.get(id=org.id), DECLINES_ON_CHARGE, 12, 2030, "123", True, actor=admin, now=await _now(org)
    )
    await testclock.advance_test_clock(await Organization.get(id=org.id), NOW + timedelta(days=100), actor=admin, wall=utcnow())
    secrets += await PaymentCard.filter(organization_id=org.id).values_list("gateway_token", flat=True)

    events = await AuditEvent.filter(organization_id=org.id).order_by("id")
    seen = {e.action for e in events}
    missing = set(DOCUMENTED_ACTIONS) - seen
    assert not missing, f"never written: {sorted(missing)}"
    assert seen <= set(DOCUMENTED_ACTIONS), f"not in docs/rules.md section 8: {sorted(seen - set(DOCUMENTED_ACTIONS))}"
    for event in events:
        assert event.target_type == DOCUMENTED_ACTIONS[event.action], event.action
        text = json.dumps(event.details)
        assert "cvc" not in text.lower() and "password" not in text.lower(), event.action
        for secret in secrets:
            assert secret not in text, f"{event.action} leaks a secret"
        if event.action in CLOCK_ACTIONS:
            assert event.actor is None, event.action
    admin_written = [e for e in events if e.action not in CLOCK_ACTIONS and e.action not in ("charge.failed",)]
    by_action = {e.action: e for e in admin_written}
    for action in (
        set(DOCUMENTED_ACTIONS) - CLOCK_ACTIONS - {"charge.failed", "subscription.cancelled", "user.created", "api_token.created"}
    ):
        assert by_action[action].actor == fx.admin.email, action
    assert any(e.actor is None for e in events if e.action == "charge.failed")  # the clock's failed renewal
    assert {e.actor for e in events if e.action == "subscription.cancelled"} >= {fx.admin.email}
    submitted = next(e for e in events if e.action == "service_request.submitted" and e.details["category"] == "BILLING")
    assert submitted.details["apiToken"] == "ops-script"
    assert not await User.exists(id=purged.id)
    user_events = {e.action for e in events if e.target_id == str(keeper.id) and e.target_type == "USER"}
    assert {"user.created", "license.assigned", "license.revoked", "user.admin_role_changed"} <= user_events


async def test_events_query_is_newest_first_by_time_then_id_and_filters():
    fx = await make_org()
    one, two = AuditAction.CARD_ADDED, AuditAction.CARD_UPDATED
    older = await audit.record(fx.org, fx.actor, one, target_type=AuditTarget.USER, target_id=1, at=NOW)
    tie_a = await audit.record(fx.org, fx.actor, two, target_type=AuditTarget.USER, target_id=2, at=NOW + timedelta(seconds=1))
    tie_b = await audit.record(
        fx.org, BILLING_CLOCK, two, target_type=AuditTarget.USER, target_id=1, at=NOW + timedelta(seconds=1)
    )
    other = await make_org("Other")
    await audit.record(other.org, other.actor, two, target_type=AuditTarget.USER, target_id=1, at=NOW + timedelta(days=1))
    mine = audit.events_query(fx.org).filter(action__startswith="card.")
    assert [e.id for e in await mine] == [tie_b.id, tie_a.id, older.id]
    assert [e.id for e in await audit.events_query(fx.org, action="card.updated", target_id="1")] == [tie_b.id]


async def test_recording_an_unknown_action_or_target_fails_before_anything_is_written():
    fx = await make_org()
    before = await AuditEvent.all().count()
    with pytest.raises(ValueError):
        await audit.record(fx.org, fx.actor, "license.asigned", target_type=AuditTarget.USER, target_id=1, at=NOW)
    with pytest.raises(ValueError):
        await audit.record(fx.org, fx.actor, AuditAction.LICENSE_ASSIGNED, target_type="USR", target_id=1, at=NOW)
    assert await AuditEvent.all().count() == before
