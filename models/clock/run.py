"""A run of the billing clock: every step subscriptions owe, purging deleted users, removing stale exports.

At `now`, a run:

* takes every billing step owed (renewals and their charges, retries, grace, suspension, cancellation:
  `models/billing/schedule.py` and `models/billing/steps.py`), subscription after subscription in
  id order, in batches;
* purges users deleted more than 30 days before `now` (`models/people/deletion.py`, `purge_deleted`);
* writes the `card.expiring` notices of default cards that now expire before a renewal
  (`models/billing/card_notices.py`);
* reclaims idle licenses where a reclaim policy says so (`models/usage/reclaim.py`);
* removes stale data exports (`models/exports/files.py`, `remove_stale_exports`).

Idempotent: running the clock twice for the same `now`, or in several processes at once, changes
nothing more and charges nothing twice (each step is claimed by exactly one of them).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from seatwise.models.billing import steps
from seatwise.models.billing.card_notices import notice_expiring_cards
from seatwise.models.billing.schedule import due_filter
from seatwise.models.billing.steps import StepReport
from seatwise.models.core.tables import Organization, Subscription, User
from seatwise.models.events.audit import BILLING_CLOCK
from seatwise.models.exports import files as exports
from seatwise.models.people import deletion, users
from seatwise.models.usage import reclaim

log = logging.getLogger("seatwise.clock")

BATCH = 200


@dataclass
class ClockReport(StepReport):
    """What a run did: its steps' counts, the users purged, and the organizations it covered."""

    purged: int = 0
    organizations: int = 0  # organizations the run covered
    reclaim_scheduled: int = 0  # licenses scheduled for reclaim (models/usage/reclaim.py)
    reclaimed: int = 0
    cards_expiring: int = 0  # card.expiring notices written (models/billing/card_notices.py)

    def add(self, other: StepReport) -> None:
        """Add the counts of a step or of another run (the organizations covered are not summed)."""
        super().add(other)
        if isinstance(other, ClockReport):
            self.purged += other.purged
            self.reclaim_scheduled += other.reclaim_scheduled
            self.reclaimed += other.reclaimed
            self.cards_expiring += other.cards_expiring

    def to_dict(self) -> dict[str, int]:
        return {
            "renewed": self.renewed,
            "graceStarted": self.grace_started,
            "retried": self.retried,
            "suspended": self.suspended,
            "cancelled": self.cancelled,
            "purged": self.purged,
            "charges": self.charges,
            "failedCharges": self.failed_charges,
            "organizations": self.organizations,
        }


async def run_clock(now: datetime, *, org: Organization | None = None, wall: datetime | None = None) -> ClockReport:
    """One run of the billing clock as of `now`: every organization that is not a sandbox, or just `org`
    (the sandbox test clock). Idempotent; safe to run in several tasks or processes at once.
    `wall` is the wall-clock time of the run (the lease of its charge attempts; default `now`)."""
    report = ClockReport()
    if org is not None:
        report.organizations = 1
        orgs = {org.id: org}
    else:
        report.organizations = await Organization.filter(sandbox=False).count()
        orgs = {}
    await _bill(now, org, orgs, report, wall=wall or now)
    report.cards_expiring = await notice_expiring_cards(now, org=org)
    await _purge(now, org, orgs, report)
    reclaimed = await reclaim.run_reclaim(now, org=org)
    report.reclaim_scheduled, report.reclaimed = reclaimed.scheduled, reclaimed.reclaimed
    await exports.remove_stale_exports(now, org=org)
    return report


async def _bill(
    now: datetime, org: Organization | None, orgs: dict[int, Organization], report: ClockReport, *, wall: datetime
) -> None:
    """Every subscription owing a step at `now` (of `org`, or of every organization that is not a sandbox)
    takes them all, in id order; one broken subscription does not stop the others."""
    subs = Subscription.filter(due_filter(now))
    subs = subs.filter(organization_id=org.id) if org is not None else subs.filter(organization__sandbox=False)
    last_id = 0
    while True:
        batch = await subs.filter(id__gt=last_id).order_by("id").limit(BATCH)
        if not batch:
            return
        for sub in batch:
            last_id = sub.id
            owner = orgs.get(sub.organization_id) or await Organization.get(id=sub.organization_id)
            orgs[owner.id] = owner
            try:
                await steps.settle(owner, sub, report, now=now, wall=wall)
            except asyncio.CancelledError:
                raise
            except Exception:  # one broken subscription must not stop the others
                log.exception("billing clock failed on subscription %s", sub.id)


async def _purge(now: datetime, org: Organization | None, orgs: dict[int, Organization], report: ClockReport) -> None:
    """Purge the users deleted more than 30 days before `now`, organization by organization."""
    purgeable = User.filter(deleted_at__lt=now - users.RESTORE_WINDOW)
    purgeable = purgeable.filter(organization_id=org.id) if org is not None else purgeable.filter(organization__sandbox=False)
    org_ids = cast(list[int], await purgeable.values_list("organization_id", flat=True))
    for org_id in sorted(set(org_ids)):
        owner = orgs.get(org_id) or await Organization.get(id=org_id)
        report.purged += await deletion.purge_deleted(owner, actor=BILLING_CLOCK, now=now)
