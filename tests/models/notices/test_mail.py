"""Notice emails reach the admins of the roles their kind names, minus those who opted out, as plain text and HTML
with every user-supplied value escaped; a local SMTP server (aiosmtpd) receives them. Unset SMTP: no mail, no error."""

from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from seatwise.models.core.settings import reload
from seatwise.models.core.tables import AdminRole, MailDelivery
from seatwise.models.events import audit, notices
from seatwise.models.events.audit import AuditAction, AuditTarget
from seatwise.models.notices import mail
from tests.support import NOW, free_port, make_org, make_user


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
