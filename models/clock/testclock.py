"""Sandbox test clocks: a sandbox's `now` moves only forward, by advance_test_clock.

Advancing runs the billing clock for the organization at every moment something falls due
between the old and the new time, in order (period ends, daily retries, grace ends, 90-day
marks, purges), so that a year advanced in one call does what a year of hourly clock runs
would have done, each action stamped with its own moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from seatwise.models.billing.schedule import next_due_moment
from seatwise.models.clock.run import run_clock
from seatwise.models.core.clock import add_months, iso, org_now
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import Organization, Subscription, SubscriptionStatus, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people.users import RESTORE_WINDOW

# Like a card processor's test clock, one call moves a bounded distance (months of daily steps stay cheap).
MAX_ADVANCE_MONTHS = 5 * 12  # calendar years: 5 * 366 days let a call go up to 4 days past 5 years
CLAIM_LEASE = timedelta(minutes=10)
# A deleted user is purged at the first instant after the 30-day restore window.
_PURGE_AFTER = RESTORE_WINDOW + timedelta(microseconds=1)


async def _next_moment(org: Organization, after: datetime) -> datetime | None:
    """The earliest moment later than `after` at which the billing clock owes this organization something."""
    moments: list[datetime] = []
    subs = await Subscription.filter(organization_id=org.id).exclude(status=SubscriptionStatus.CANCELLED)
    for sub in subs:
        moment = next_due_moment(sub)
        if moment is not None and moment > after:
            moments.append(moment)
    deleted = await User.filter(organization_id=org.id, deleted_at__gte=after - RESTORE_WINDOW).order_by("deleted_at").first()
    if deleted is not None and deleted.deleted_at is not None and deleted.deleted_at + _PURGE_AFTER > after:
        moments.append(deleted.deleted_at + _PURGE_AFTER)
    return min(moments, default=None)


async def _claim(org: Organization, at: datetime | None, wall: datetime) -> bool:
    """One advance at a time: claim the clock at `at` before any billing (a crashed advance's claim
    lapses after CLAIM_LEASE). False when another advance holds it or the clock moved meanwhile."""
    free = Q(test_clock_claimed_at=None) | Q(test_clock_claimed_at__lt=wall - CLAIM_LEASE)
    return await Organization.filter(free, id=org.id, test_clock_now=at).update(test_clock_claimed_at=wall) == 1


async def _move(org: Organization, frm: datetime, to: datetime) -> bool:
    """Guarded move of the test clock; False if someone else moved it meanwhile."""
    return await Organization.filter(id=org.id, test_clock_now=frm).update(test_clock_now=to) == 1


async def advance_test_clock(org: Organization, to: datetime, *, actor: Actor, wall: datetime) -> Organization:
    """Move a sandbox's clock forward to `to`, running its billing clock at every due moment on the way.
    `wall` is the wall-clock time of the request (the claim's lease)."""
    if not org.sandbox:
        raise DomainError(ErrorCode.NOT_A_SANDBOX, "Only a sandbox organization has a test clock.", "to")
    org = await Organization.get(id=org.id)
    start = org_now(org)
    if to <= start:
        raise DomainError(ErrorCode.INVALID_INPUT, f"The test clock is at {iso(start)}; move it later.", "to")
    if to > add_months(start, MAX_ADVANCE_MONTHS):
        raise DomainError(ErrorCode.INVALID_INPUT, "Advance the test clock at most 5 years at once.", "to")

    if not await _claim(org, org.test_clock_now, wall):
        raise DomainError(ErrorCode.INVALID_INPUT, "The test clock is being moved by another request; try again.", "to")
    try:
        return await _advance(org, start, to, actor=actor, wall=wall)
    finally:
        await Organization.filter(id=org.id).update(test_clock_claimed_at=None)


async def _advance(org: Organization, start: datetime, to: datetime, *, actor: Actor, wall: datetime) -> Organization:
    # Whatever was already due at the start (e.g. a past-due subscription set to cancel) happens first.
    report = await run_clock(start, org=org, wall=wall)
    guard, current, steps = start, start, 1
    while True:
        moment = await _next_moment(org, current)
        current = moment if moment is not None and moment < to else to
        report.add(await run_clock(current, org=org, wall=wall))
        steps += 1
        if current == to:
            break
        # The clock sits at each moment once its billing is done there.
        if not await _move(org, guard, current):
            raise DomainError(ErrorCode.INVALID_INPUT, "The test clock was moved meanwhile; try again.", "to")
        guard = current

    async with in_transaction():
        if not await _move(org, guard, to):
            raise DomainError(ErrorCode.INVALID_INPUT, "The test clock was moved meanwhile; try again.", "to")
        await audit.record(
            org,
            actor,
            AuditAction.TEST_CLOCK_ADVANCED,
            target_type=AuditTarget.ORGANIZATION,
            target_id=org.id,
            at=to,
            details={"from": iso(start), "to": iso(to), "steps": steps, **report.to_dict()},
        )
    return await Organization.get(id=org.id)
