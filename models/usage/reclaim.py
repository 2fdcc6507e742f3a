"""The billing clock's reclaim step (docs/rules.md section 12): per organization and product with an enabled
policy, in one seat change:

1. licenses idle at least `idle_days` and not yet scheduled get `reclaim_at = now + notice_days` (audit
   `license.reclaim_scheduled` each; the alert RECLAIM_SCHEDULED follows from them);
2. (a use clears `reclaim_at`: models/usage/uses.py);
3. licenses whose `reclaim_at` has passed and that are still idle are taken back by the clock (actor null): audit
   `license.reclaimed` (product, lastUsedAt), live event RECLAIMED; a license held through groups leaves its user
   dormant for the product. The licenses freed settle the conflict first, then serve the queue (the ledger).

A constant number of statements per product, however many licenses; running it again for the same `now` finds
nothing more to do (scheduled ones are not scheduled again, reclaimed ones are gone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from tortoise.queryset import QuerySet

from seatwise.models.core.locks import hold
from seatwise.models.core.tables import GroupMember, LicenseAssignment, LicenseDormancy, Organization, ReclaimPolicy
from seatwise.models.events import audit
from seatwise.models.events.audit import BILLING_CLOCK, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.plans.previews import AccessChangeReason
from seatwise.models.seats import ledger


@dataclass
class ReclaimReport:
    scheduled: int = 0
    reclaimed: int = 0


def _due(org: Organization, sku: str, cutoff: datetime, now: datetime) -> QuerySet[LicenseAssignment]:
    return LicenseAssignment.filter(
        organization_id=org.id, product_id=sku, idle_since__lte=cutoff, reclaim_at__isnull=False, reclaim_at__lte=now
    )


async def reclaim_product(org: Organization, policy: ReclaimPolicy, now: datetime) -> ReclaimReport:
    """One product's reclaim step at `now` (one seat change)."""
    sku, cutoff, report = policy.product_id, now - timedelta(days=policy.idle_days), ReclaimReport()
    async with ledger.change(org, actor=BILLING_CLOCK, now=now) as change:
        change.loss_reason = AccessChangeReason.RECLAIMED
        await change.lock(sku)
        fresh = LicenseAssignment.filter(organization_id=org.id, product_id=sku, idle_since__lte=cutoff, reclaim_at__isnull=True)
        scheduled = cast(list[int], await fresh.values_list("user_id", flat=True))
        if scheduled:
            due_at = now + timedelta(days=policy.notice_days)
            await fresh.update(reclaim_at=due_at)
            await audit.record_many(
                org, BILLING_CLOCK, AuditAction.LICENSE_RECLAIM_SCHEDULED, AuditTarget.USER, scheduled, at=now,
                details={"product": sku, "reclaimAt": due_at.isoformat()},
            )  # fmt: skip
        report.scheduled = len(scheduled)
        # Held first: a use that commits before this hold keeps its license (it no longer matches); one after it
        # skips the row (SKIP LOCKED) and its holder finds the license gone.
        await hold(_due(org, sku, cutoff, now), "reclaim_at")
        rows = await _due(org, sku, cutoff, now).values_list("id", "user_id", "assigned_at", "last_used_at")
        if not rows:
            return report
        await LicenseAssignment.filter(id__in=[r[0] for r in rows]).delete()
        change._lost.extend((uid, sku, (at, pk)) for pk, uid, at, _ in rows)
        await change._give_back(sku, len(rows))
        user_ids = [cast(int, r[1]) for r in rows]
        inherited = set(
            await GroupMember.filter(user_id__in=user_ids, group__grants__product_id=sku).values_list("user_id", flat=True)
        )
        await LicenseDormancy.bulk_create(
            [LicenseDormancy(organization_id=org.id, user_id=uid, product_id=sku, since=now) for uid in sorted(inherited)]
        )
        await audit.record_each(
            org,
            BILLING_CLOCK,
            AuditAction.LICENSE_RECLAIMED,
            AuditTarget.USER,
            [(uid, {"product": sku, "lastUsedAt": used.isoformat() if used else None}) for _, uid, _, used in rows],
            at=now,
        )
        for uid in user_ids:
            change._moved(sku, assigned=-1)
            change._announce(LicenseEventKind.RECLAIMED, sku, uid)
        report.reclaimed = len(rows)
    return report


async def run_reclaim(now: datetime, *, org: Organization | None = None) -> ReclaimReport:
    """The reclaim step of a clock run: every enabled policy of `org` (a sandbox's test clock), or of every
    organization that is not a sandbox."""
    policies = ReclaimPolicy.filter(enabled=True).select_related("organization").order_by("organization_id", "product_id")
    policies = policies.filter(organization_id=org.id) if org is not None else policies.filter(organization__sandbox=False)
    total = ReclaimReport()
    for policy in await policies:
        done = await reclaim_product(policy.organization, policy, now)
        total.scheduled += done.scheduled
        total.reclaimed += done.reclaimed
    return total
