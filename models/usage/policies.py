"""Reclaim policies, one per organization and product: licenses idle `idle_days` (14 to 365) are scheduled for
reclaim, and taken back `notice_days` (0 to 30) later unless used first (models/usage/reclaim.py)."""

from __future__ import annotations

from datetime import datetime

from seatwise.models.catalog.products import get_product
from seatwise.models.core.tables import Organization, ReclaimPolicy
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.usage.idle import check_idle_days

MIN_IDLE, MAX_IDLE = 14, 365
MIN_NOTICE, MAX_NOTICE = 0, 30


async def policies_of(org: Organization) -> dict[str, ReclaimPolicy]:
    """The organization's policies by SKU (one query: the seat pools page shows them)."""
    return {p.product_id: p for p in await ReclaimPolicy.filter(organization_id=org.id)}


async def set_reclaim_policy(
    org: Organization,
    sku: str,
    *,
    enabled: bool,
    idle_days: int,
    notice_days: int,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> tuple[ReclaimPolicy, ledger.SeatChange]:
    """Create or change the product's policy; audit `reclaim_policy.updated`. With `dry_run` nothing is kept."""
    await get_product(sku, "product_sku")
    check_idle_days(idle_days, "idle_days", MIN_IDLE, MAX_IDLE)
    check_idle_days(notice_days, "notice_days", MIN_NOTICE, MAX_NOTICE)
    values = {"enabled": enabled, "idle_days": idle_days, "notice_days": notice_days}
    plan = Plan("setReclaimPolicy", {"sku": sku, **values}, plan_token, dry_run)
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        await change.lock(sku)  # the policy changes with the pool it governs (and a plan is bound to its version)
        policy, created = await ReclaimPolicy.get_or_create(
            organization_id=org.id, product_id=sku, defaults={**values, "updated_at": now}
        )
        if not created:
            await ReclaimPolicy.filter(id=policy.id).update(**values, updated_at=now)
            policy = await ReclaimPolicy.get(id=policy.id)
        await change.audit(AuditAction.RECLAIM_POLICY_UPDATED, AuditTarget.ORGANIZATION, org.id, {"product": sku, **values})
    return policy, change
