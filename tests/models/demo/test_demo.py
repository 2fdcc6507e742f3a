from seatwise.models.billing.charges import default_card
from seatwise.models.billing.gateways import card_expires_at
from seatwise.models.core.clock import org_now, utcnow
from seatwise.models.core.tables import AuditEvent, StatusReason, Subscription, SubscriptionStatus, User
from seatwise.models.demo import seed as demo
from seatwise.models.seats import licenses as seats


async def test_demo_has_users_subscriptions_an_expiring_card_and_exactly_one_conflict():
    built = await demo.build_demo("t1")
    org = built.organization
    now = org_now(org)

    assert org.sandbox and abs((now - utcnow()).total_seconds()) < 120  # the sandbox clock ends at today
    # The admin, the billing admin and the six people of the story.
    assert await User.filter(organization_id=org.id, deleted_at=None).count() == 2 + len(demo.PEOPLE)
    subs = await Subscription.filter(organization_id=org.id).order_by("id")
    assert [(s.product_id, s.status) for s in subs] == [
        ("CRM_PROFESSIONAL", SubscriptionStatus.CANCELLED),
        ("CRM_BASIC", SubscriptionStatus.ACTIVE),
        ("CRM_ESSENTIAL", SubscriptionStatus.ACTIVE),
    ]

    card = await default_card(org)
    expires = card_expires_at(card.exp_month, card.exp_year)
    assert now < expires and (card.exp_month, card.exp_year) == (now.month, now.year)  # valid, to the end of this month

    in_conflict = [p for p in await seats.seat_pools(org) if p.in_conflict]
    assert [p.product.sku for p in in_conflict] == ["CRM_PROFESSIONAL"]
    lapsed = [s for s in subs if s.product_id == "CRM_PROFESSIONAL"]
    assert [s.status_reason for s in lapsed] == [StatusReason.PAYMENT_FAILED]
    assert await AuditEvent.filter(organization_id=org.id, action="subscription.suspended").count() == 1
    assert built.token and built.admin.organization_id == org.id


async def test_make_run_revokes_its_previous_token_and_prints_a_password_once():
    from datetime import timedelta

    from seatwise.models.core.errors import Unauthenticated
    from seatwise.models.core.tables import Credential, CredentialKind
    from seatwise.models.people import auth

    first = await demo.ensure_demo()
    assert first.password and len(first.password) >= 12
    _, viewer = await auth.sign_in(first.admin.email, first.password, now=utcnow())  # the printed way in works
    assert viewer.user.id == first.admin.id
    second = await demo.ensure_demo()
    third = await demo.ensure_demo()

    assert second.password is None and third.organization.id == first.organization.id
    for stale in (first.token, second.token):
        try:
            await auth.authenticate(f"Bearer {stale}", now=utcnow())
            raise AssertionError("a previous make-run token still works")
        except Unauthenticated:
            pass
    assert (await auth.authenticate(f"Bearer {third.token}", now=utcnow())).user.id == first.admin.id
    live = await Credential.filter(user_id=first.admin.id, kind=CredentialKind.API_TOKEN, name="make run", revoked_at=None)
    assert len(live) == 1 and live[0].expires_at - live[0].created_at == timedelta(days=30)
    assert await AuditEvent.filter(organization_id=first.organization.id, action="api_token.revoked").count() == 2


async def test_make_run_leaves_no_token_nobody_was_shown():
    """The demo `make run` builds has one live API token: the `make run` one it prints (docs/rules.md section 19)."""
    from seatwise.models.core.tables import Credential, CredentialKind

    built = await demo.ensure_demo()
    live = await Credential.filter(user__organization_id=built.organization.id, kind=CredentialKind.API_TOKEN, revoked_at=None)
    assert [c.name for c in live] == ["make run"]
