"""Each admin's email notices: the kinds they opted out of (docs/rules.md section 15)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seatwise.gql.graphql.core.common import exposed
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.models.events import notices
from seatwise.models.people.auth import Viewer

NotificationKind = exposed(
    notices.NotificationKind,
    "NotificationKind",
    description="The kinds of notice Seatwise emails to admins (with SEATWISE_SMTP_URL set).",
    values={
        "PAYMENT_FAILED": "A renewal payment failed (BILLING_ADMIN and GLOBAL_ADMIN).",
        "SUBSCRIPTION_SUSPENDED": "A subscription was suspended (BILLING_ADMIN and GLOBAL_ADMIN).",
        "CARD_EXPIRING": "The default card expires before a renewal (BILLING_ADMIN and GLOBAL_ADMIN).",
        "LICENSE_CONFLICT": "A product went into conflict (USER_ADMIN and GLOBAL_ADMIN).",
        "RECLAIM_SCHEDULED": "Idle licenses are scheduled to be reclaimed (USER_ADMIN and GLOBAL_ADMIN).",
        "LICENSES_WAITING": "Users wait for licenses (USER_ADMIN and GLOBAL_ADMIN).",
        "WEBHOOK_DISABLED": "A webhook endpoint was disabled (GLOBAL_ADMIN).",
    },
)


@strawberry.type(description="Which notices this admin gets by email.")
class NotificationPreferences:
    disabled: list[notices.NotificationKind] = strawberry.field(description="Kinds this admin gets no email for.")


async def preferences_of(user_id: int) -> NotificationPreferences:
    return NotificationPreferences(disabled=list(await notices.preferences(user_id)))


@strawberry.input(description="The kinds to get no email for; every other kind is mailed.")
class UpdateNotificationPreferencesInput:
    disabled: list[notices.NotificationKind] = strawberry.field(description="Kinds to get no email for; empty: all.")


@strawberry.type(description="The viewer's preferences after the change.")
class UpdateNotificationPreferencesPayload:
    notification_preferences: NotificationPreferences | None = strawberry.field(default=None, description="As stored.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Mutation:
    @domain_mutation(description="Choose which notices the viewer (any admin role) gets by email. Errors: INVALID_INPUT.")
    async def update_notification_preferences(
        viewer: Viewer, input: Annotated[UpdateNotificationPreferencesInput, strawberry.argument(description=MUTATION_INPUT)]
    ) -> UpdateNotificationPreferencesPayload:
        kinds = await notices.set_preferences(viewer.user.id, [k.value for k in input.disabled])
        return UpdateNotificationPreferencesPayload(
            notification_preferences=NotificationPreferences(disabled=kinds), user_errors=[]
        )
