"""Which events are mailed, as which kind, to which admin roles; each admin's opt-outs (models/notices sends them)."""

from __future__ import annotations

import enum

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AdminRole, NotificationPreference, User


class NotificationKind(str, enum.Enum):
    PAYMENT_FAILED = "PAYMENT_FAILED"
    SUBSCRIPTION_SUSPENDED = "SUBSCRIPTION_SUSPENDED"
    CARD_EXPIRING = "CARD_EXPIRING"
    LICENSE_CONFLICT = "LICENSE_CONFLICT"
    RECLAIM_SCHEDULED = "RECLAIM_SCHEDULED"
    LICENSES_WAITING = "LICENSES_WAITING"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


BILLING = (AdminRole.GLOBAL_ADMIN, AdminRole.BILLING_ADMIN)
USERS = (AdminRole.GLOBAL_ADMIN, AdminRole.USER_ADMIN)
# Event type -> (kind, the roles mailed).
MAILED: dict[str, tuple[NotificationKind, tuple[AdminRole, ...]]] = {
    "subscription.grace_started": (NotificationKind.PAYMENT_FAILED, BILLING),
    "subscription.suspended": (NotificationKind.SUBSCRIPTION_SUSPENDED, BILLING),
    "card.expiring": (NotificationKind.CARD_EXPIRING, BILLING),
    "conflict.opened": (NotificationKind.LICENSE_CONFLICT, USERS),
    "license.reclaim_scheduled": (NotificationKind.RECLAIM_SCHEDULED, USERS),
    "licenses.waiting": (NotificationKind.LICENSES_WAITING, USERS),
    "webhook.disabled": (NotificationKind.WEBHOOK_DISABLED, (AdminRole.GLOBAL_ADMIN,)),
}


async def recipients(org_id: int, event_type: str) -> list[tuple[int, str]]:
    """(user id, email) of the live admins of the roles the event's kind names, minus those who opted out."""
    kind, roles = MAILED[event_type]
    admins = await User.filter(organization_id=org_id, admin_role__in=roles, deleted_at__isnull=True).values_list("id", "email")
    if not admins:
        return []
    opted_out = {
        user_id
        for user_id, disabled in await NotificationPreference.filter(user_id__in=[a[0] for a in admins]).values_list(
            "user_id", "disabled"
        )
        if kind.value in disabled
    }
    return [(user_id, email) for user_id, email in admins if user_id not in opted_out]


async def preferences(user_id: int) -> list[NotificationKind]:
    row = await NotificationPreference.get_or_none(user_id=user_id)
    return sorted((NotificationKind(k) for k in (row.disabled if row else [])), key=list(NotificationKind).index)


async def set_preferences(user_id: int, disabled: list[str]) -> list[NotificationKind]:
    """The kinds this admin gets no email for (all others are mailed)."""
    try:
        kinds = sorted({NotificationKind(k) for k in disabled}, key=list(NotificationKind).index)
    except ValueError:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown notification kind.", "disabled") from None
    await NotificationPreference.update_or_create(defaults={"disabled": [k.value for k in kinds]}, user_id=user_id)
    return kinds
