"""Notice emails reach the admins of the roles their kind names, minus those who opted out, as plain text and HTML
with every user-supplied value escaped; a local SMTP server (aiosmtpd) receives them. Unset SMTP: no mail, no error."""

from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from seatwise.models.billing.card_notices import notice_expiring_cards
from seatwise.models.core.settings import reload
from seatwise.models.core.tables import AdminRole, MailDelivery
from seatwise.models.events import audit, notices
from seatwise.models.events.audit import AuditAction, AuditTarget
from seatwise.models.notices import mail
from seatwise.models.webhooks.endpoints import NOTICES
from tests.events_support import card
from tests.support import NOW, free_port, give_licenses, make_org, make_user


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch):
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    monkeypatch.setenv("SEATWISE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("SEATWISE_MAIL_FROM", "Seatwise <notices@seatwise.test>")
    monkeypatch.setenv("SEATWISE_PUBLIC_URL", "https://seats.example.com")
    reload()
    yield box
    controller.stop()
    monkeypatch.undo()
    reload()


async def _grace_started(fx) -> None:
    await audit.record(
        fx.org,
        audit.BILLING_CLOCK,
        AuditAction.SUBSCRIPTION_GRACE_STARTED,
        target_type=AuditTarget.SUBSCRIPTION,
        target_id=1,
        at=NOW,
    )


async def test_a_failed_payment_mails_billing_and_global_admins_except_those_who_opted_out(inbox):
    fx = await make_org("Acme")
    billing = await make_user(fx, role=AdminRole.BILLING_ADMIN)
    quiet = await make_user(fx, role=AdminRole.BILLING_ADMIN)
    await make_user(fx, role=AdminRole.USER_ADMIN)  # not told of payments
    await notices.set_preferences(quiet.id, ["PAYMENT_FAILED"])
    fx.org.name = "Acme <script>alert(1)</script>"  # a name as an admin may type it
    await fx.org.save()
    await _grace_started(fx)

    assert await mail.send_due(NOW) == 2
    got = {tuple(to): message for to, message in inbox.messages}
    assert set(got) == {(fx.admin.email,), (billing.email,)}
    message = got[(billing.email,)]
    assert message["Subject"] == "Seatwise: A payment failed" and message["From"] == "Seatwise <notices@seatwise.test>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Acme <script>alert(1)</script> failed" in text and "Update the payment card" in text
    assert "Console: https://seats.example.com/graphql" in text
    assert "<script>" not in html and "Acme &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://seats.example.com/graphql">' in html
    assert {d.status for d in await MailDelivery.all()} == {"SENT"}


async def test_an_unreachable_smtp_server_is_retried_then_sent(inbox, monkeypatch):
    fx = await make_org()
    monkeypatch.setenv("SEATWISE_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    reload()
    await _grace_started(fx)
    assert await mail.send_due(NOW) == 1
    [row] = await MailDelivery.all()
    assert row.status == "PENDING" and row.attempts[0]["error"] and row.next_attempt_at == NOW + mail.SCHEDULE[0]
    monkeypatch.setenv("SEATWISE_SMTP_URL", f"smtp://127.0.0.1:{inbox_port(inbox)}")
    reload()
    assert await mail.send_due(NOW + mail.SCHEDULE[0]) == 1
    assert (await MailDelivery.get(id=row.id)).status == "SENT" and len(inbox.messages) == 1


def inbox_port(box) -> int:
    return box.port


async def test_without_smtp_no_mail_is_queued_and_nothing_fails():
    fx = await make_org()
    await _grace_started(fx)
    assert await MailDelivery.all().count() == 0
    assert await mail.send_due(NOW) == 0


def _recipients(inbox) -> set[str]:
    return {to for tos, _ in inbox.messages for to in tos}


async def test_an_expiring_card_mails_billing_and_global_admins_once(inbox):
    fx = await make_org()
    billing = await make_user(fx, role=AdminRole.BILLING_ADMIN)
    await make_user(fx, role=AdminRole.USER_ADMIN)  # not told of cards
    await card(fx, 11, 2026)
    await give_licenses(fx, "CRM_BASIC", 5)
    await notice_expiring_cards(NOW, org=fx.org)
    await notice_expiring_cards(NOW, org=fx.org)  # the next run: no second mail

    assert await mail.send_due(NOW) == 2
    assert _recipients(inbox) == {fx.admin.email, billing.email}
    assert {m["Subject"] for _, m in inbox.messages} == {"Seatwise: A payment card expires"}


async def test_a_scheduled_reclaim_mails_user_and_global_admins(inbox):
    fx = await make_org()
    users = await make_user(fx, role=AdminRole.USER_ADMIN)
    await make_user(fx, role=AdminRole.BILLING_ADMIN)  # not told of licenses
    idle = [await make_user(fx), await make_user(fx)]
    # As the reclaim step writes it (models/usage/reclaim.py): one audit event per license, each mailed.
    await audit.record_many(
        fx.org, audit.BILLING_CLOCK, AuditAction.LICENSE_RECLAIM_SCHEDULED, AuditTarget.USER, [u.id for u in idle], at=NOW
    )

    assert await mail.send_due(NOW) == 4
    assert _recipients(inbox) == {fx.admin.email, users.email}
    assert {m["Subject"] for _, m in inbox.messages} == {"Seatwise: Idle licenses will be reclaimed"}


def test_every_mailed_kind_of_section_15_is_mapped_to_its_roles():
    billing, users = {AdminRole.BILLING_ADMIN, AdminRole.GLOBAL_ADMIN}, {AdminRole.USER_ADMIN, AdminRole.GLOBAL_ADMIN}
    assert {kind: set(roles) for kind, (_, roles) in notices.MAILED.items()} == {
        "subscription.grace_started": billing,
        "subscription.suspended": billing,
        "card.expiring": billing,
        "conflict.opened": users,
        "license.reclaim_scheduled": users,
        "licenses.waiting": users,
        "webhook.disabled": {AdminRole.GLOBAL_ADMIN},
    }
    # Each is an event some change writes: an audit action or a notice.
    written = {a.value for a in AuditAction} | set(NOTICES)
    assert set(notices.MAILED) <= written
    assert set(mail.TEXT) == {kind for kind, _ in notices.MAILED.values()}
