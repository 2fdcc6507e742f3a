"""A service request's record: the rule for its text, its row and its audit event.

Shared by the requests admins submit (`models/support/requests.py`) and the cancellations recorded
as RESOLVED CANCEL_SUBSCRIPTION requests (`models/support/cancellation.py`).
"""

from __future__ import annotations

from datetime import datetime

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text
from seatwise.models.core.tables import Organization, ServiceRequest, ServiceRequestCategory, ServiceRequestStatus
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget

MAX_TEXT = 2000


def check_text(raw: str, subject: str) -> str:
    """A description or reason: 1 to 2000 characters after trimming (INVALID_INPUT)."""
    text = raw.strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Write 1 to {MAX_TEXT} characters.", subject)
    return checked_text(text, MAX_TEXT, "The text", subject)


async def create_request(
    org: Organization,
    category: ServiceRequestCategory,
    status: ServiceRequestStatus,
    description: str,
    *,
    subscription_id: int | None,
    resolution: str | None = None,
    actor: Actor,
    now: datetime,
) -> ServiceRequest:
    """The request's row, submitted by `actor` at `now` (and resolved then, when RESOLVED)."""
    return await ServiceRequest.create(
        organization_id=org.id,
        category=category,
        status=status,
        description=description,
        subscription_id=subscription_id,
        resolution=resolution,
        submitted_by=actor.email,
        created_at=now,
        resolved_at=now if status is ServiceRequestStatus.RESOLVED else None,
    )


async def audit_submitted(org: Organization, request: ServiceRequest, *, actor: Actor, now: datetime) -> None:
    """`service_request.submitted` of a request just created, in the caller's transaction."""
    await audit.record(
        org,
        actor,
        AuditAction.SERVICE_REQUEST_SUBMITTED,
        target_type=AuditTarget.SERVICE_REQUEST,
        target_id=request.id,
        at=now,
        details={
            "category": request.category.value,
            "subscriptionId": str(request.subscription_id) if request.subscription_id is not None else None,
            "status": request.status.value,
        },
    )
