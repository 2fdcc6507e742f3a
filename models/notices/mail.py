"""Notice emails: plain text and HTML (Jinja2, autoescaped: organization and user names are escaped), sent over SMTP
with aiosmtplib (`smtp://` with STARTTLS, `smtps://`), leased and retried like webhook deliveries."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from jinja2 import Environment, select_autoescape
from tortoise import connections

from seatwise.models.core.db import placeholders
from seatwise.models.core.settings import settings
from seatwise.models.core.tables import Event, MailDelivery, Organization, User
from seatwise.models.events.notices import MAILED, NotificationKind

log = logging.getLogger("seatwise.mail")
SCHEDULE = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5)]
TIMEOUT = 15.0

# What happened and what to do, per kind (plain words; the values come from the event).
TEXT: dict[NotificationKind, tuple[str, str, str]] = {
    NotificationKind.PAYMENT_FAILED: (
        "A payment failed",
        "The renewal payment of a subscription of {org} failed; its licenses still count during the grace period.",
        "Update the payment card in the console before the grace period ends.",
    ),
    NotificationKind.SUBSCRIPTION_SUSPENDED: (
        "A subscription is suspended",
        "A subscription of {org} was suspended after its payment kept failing; its licenses no longer count.",
        "Update the payment card in the console to resume it.",
    ),
    NotificationKind.CARD_EXPIRING: (
        "A payment card expires",
        "The default payment card of {org} expires before the next renewal.",
        "Add a new card in the console.",
    ),
    NotificationKind.LICENSE_CONFLICT: (
        "Licenses are in conflict",
        "More licenses of a product of {org} are assigned than purchased; the last assigned grant no access.",
        "Buy licenses or revoke some in the console.",
    ),
    NotificationKind.RECLAIM_SCHEDULED: (
        "Idle licenses will be reclaimed",
        "Idle licenses of {org} are scheduled to be reclaimed.",
        "Review the reclaim in the console.",
    ),
    NotificationKind.LICENSES_WAITING: (
        "Users wait for licenses",
        "Users of {org} wait for licenses of a product that has none available.",
        "Buy licenses in the console to serve them.",
    ),
    NotificationKind.WEBHOOK_DISABLED: (
        "A webhook endpoint was disabled",
        "A webhook endpoint of {org} was disabled after failing deliveries.",
        "Fix the receiver, then enable the endpoint again in the console.",
    ),
}

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = _ENV.from_string(
    "<!doctype html><html><body><p>Hello {{ name }},</p><p>{{ happened }}</p><p><strong>What to do:</strong> {{ todo }}</p>"
    "{% if reason %}<p>Reason: {{ reason }}</p>{% endif %}"
    '{% if link %}<p><a href="{{ link }}">Open the Seatwise console</a></p>{% endif %}</body></html>'
)
_TEXT = Environment(autoescape=False).from_string(
    "Hello {{ name }},\n\n{{ happened }}\n\nWhat to do: {{ todo }}\n{% if reason %}\nReason: {{ reason }}\n{% endif %}"
    "{% if link %}\nConsole: {{ link }}\n{% endif %}"
)


def message(event: Event, org_name: str, admin_name: str, recipient: str) -> EmailMessage:
    """The email of a notice: plain text and HTML, the same words."""
    kind = MAILED[event.type][0]
    subject, happened, todo = TEXT[kind]
    public = settings().public_url
    values: dict[str, Any] = {
        "name": admin_name,
        "happened": happened.format(org=org_name),
        "todo": todo,
        "reason": event.data.get("reason"),
        "link": public.rstrip("/") + "/graphql" if public else None,
    }
    mail = EmailMessage()
    mail["Subject"] = f"Seatwise: {subject}"
    mail["From"] = settings().mail_from
    mail["To"] = recipient
    mail.set_content(_TEXT.render(values))
    mail.add_alternative(_HTML.render(values), subtype="html")
    return mail


async def send(mail: EmailMessage) -> None:
    """Send over SEATWISE_SMTP_URL: smtps:// is TLS from the start, smtp:// upgrades with STARTTLS when offered."""
    secret = settings().smtp_url
    assert secret is not None
    url = urlsplit(secret.get_secret_value())
    tls = url.scheme == "smtps"
    await aiosmtplib.send(
        mail,
        hostname=url.hostname,
        port=url.port or (465 if tls else 587),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=tls,
        start_tls=None if not tls else False,
        timeout=TIMEOUT,
    )


_CLAIM = """
UPDATE "mail_delivery" SET "lease_until" = ?
WHERE "id" IN (
    SELECT "id" FROM "mail_delivery" WHERE "status" = 'PENDING' AND ("next_attempt_at" IS NULL OR "next_attempt_at" <= ?)
      AND ("lease_until" IS NULL OR "lease_until" < ?) ORDER BY "id" LIMIT ? {lock}
) RETURNING "id"
"""


async def send_due(now: datetime, limit: int = 20) -> int:
    """Send the notice emails due at `now` (leased like webhook deliveries); how many were attempted."""
    if settings().smtp_url is None:
        return 0
    client = connections.get("default")
    dialect = client.capabilities.dialect
    sql = placeholders(_CLAIM.format(lock="FOR UPDATE SKIP LOCKED" if dialect == "postgres" else ""), dialect)
    rows = await client.execute_query_dict(sql, [now + timedelta(seconds=settings().webhook_lease), now, now, limit])
    claimed = await MailDelivery.filter(id__in=[r["id"] for r in rows]).order_by("id") if rows else []
    for delivery in claimed:
        event = await Event.get(id=delivery.event_id)
        org = await Organization.get(id=event.organization_id)
        admin = await User.get_or_none(id=delivery.user_id)
        error = None
        try:
            await send(message(event, org.name, admin.display_name if admin else delivery.recipient, delivery.recipient))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as failure:
            error = f"{type(failure).__name__}: {str(failure)[:200]}"
        await _settle(delivery, error, now)
    return len(claimed)


async def _settle(delivery: MailDelivery, error: str | None, now: datetime) -> None:
    attempts = [*delivery.attempts, {"at": now.isoformat(), "error": error}]
    values: dict[str, Any] = {"attempts": attempts, "lease_until": None}
    if error is None:
        values.update(status="SENT", next_attempt_at=None)
    elif len(attempts) - 1 < len(SCHEDULE):
        values.update(next_attempt_at=now + SCHEDULE[len(attempts) - 1])
    else:
        values.update(status="FAILED", next_attempt_at=None)
        log.warning("a notice email could not be sent", extra={"mailDelivery": delivery.id})
    await MailDelivery.filter(id=delivery.id).update(**values)
