"""Service requests: submitted by admins, listed newest first.

A request of category CANCEL_SUBSCRIPTION is the cancellation at the period end (`models/support/cancellation.py`,
recorded RESOLVED); the other categories are recorded OPEN.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.lookups import get_subscription
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import Organization, ServiceRequest, ServiceRequestCategory, ServiceRequestStatus
from seatwise.models.events.audit import Actor
from seatwise.models.people import roles
from seatwise.models.people.roles import Capability
from seatwise.models.support.cancellation import cancel_subscription
from seatwise.models.support.records import audit_submitted, check_text, create_request

# Service requests newest first.
REQUEST_ORDER = Keyset(("-created_at", "-id"))


async def submit_service_request(
    org: Organization,
    category: ServiceRequestCategory,
    description: str,
    *,
    subscription_id: str | None = None,
    acknowledge_data_loss: bool = False,
    actor: Actor,
    now: datetime,
) -> ServiceRequest:
    """CANCEL_SUBSCRIPTION: the cancellation at period end (same rules); other categories: recorded OPEN."""
    if category is ServiceRequestCategory.CANCEL_SUBSCRIPTION:
        roles.require(actor, Capability.MANAGE_BILLING)  # a cancellation is a billing change
    text = check_text(description, "description")
    if category is ServiceRequestCategory.CANCEL_SUBSCRIPTION:
        if subscription_id is None or not str(subscription_id).strip():
            raise DomainError(ErrorCode.INVALID_INPUT, "A cancellation names its subscriptionId.", "subscription_id")
        _, request = await cancel_subscription(
            org,
            subscription_id,
            text,
            immediately=False,
            acknowledge_data_loss=acknowledge_data_loss,
            actor=actor,
            now=now,
            reason_subject="description",
        )
        return request
    sub = await get_subscription(org, subscription_id, "subscription_id") if subscription_id is not None else None
    async with in_transaction():
        request = await create_request(
            org, category, ServiceRequestStatus.OPEN, text, subscription_id=sub.id if sub else None, actor=actor, now=now
        )
        await audit_submitted(org, request, actor=actor, now=now)
    return request


def service_requests_query(org: Organization, status: ServiceRequestStatus | None = None) -> QuerySet[ServiceRequest]:
    """Service requests of one organization, newest first by (createdAt, id)."""
    query = ServiceRequest.filter(organization_id=org.id)
    if status is not None:
        query = query.filter(status=status)
    return query.order_by(*REQUEST_ORDER.fields)
