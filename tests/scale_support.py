"""Large organizations in seconds: users, licenses, a conflict, a group, a waitlist, audit events and charges,
written by bulk inserts (the statement-count tests compare an organization of 1,000 users with a large one)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from tortoise import connections
from tortoise.transactions import in_transaction

from seatwise.models.core.clock import add_months
from seatwise.models.core.tables import (
    AuditEvent,
    Charge,
    ChargeStatus,
    Group,
    GroupMember,
    GroupProduct,
    LicenseAssignment,
    LicenseWait,
    StatusReason,
    Subscription,
    SubscriptionStatus,
    User,
)
from seatwise.models.core.tables.people import NEVER_USED
from seatwise.models.seats import ledger
from tests.support import NOW, OrgFixture, is_postgres, make_org, recount

BATCH = 5000
# Of CRM_ESSENTIAL's holders, this many are beyond what counts (a suspended subscription): a conflict.
OVERAGE = 10
WAITING = 20


@dataclass
class ScaleOrg:
    fx: OrgFixture
    size: int
    first_email: str  # a user holding CRM_BASIC (and CRM_ESSENTIAL in conflict: the latest assigned)
    last_email: str
    conflicted_email: str  # holds CRM_ESSENTIAL among the latest assigned: in CONFLICT
    user_ids: list[int]


async def _bulk(rows: list) -> None:
    model = type(rows[0])
    for start in range(0, len(rows), BATCH):
        await model.bulk_create(rows[start : start + BATCH])


async def seed_org(size: int, name: str = "Scale") -> ScaleOrg:
    """An organization of `size` users (the admin included): every user holds CRM_BASIC (all purchased), half
    hold CRM_ESSENTIAL of which OVERAGE are in conflict (a suspended subscription), WAITING users wait for
    CRM_PROFESSIONAL through a group, and there are as many audit events and charges as users."""
    fx = await make_org(name)
    org_id = fx.org.id
    tag = uuid.uuid4().hex[:6]
    essential = size // 2
    async with in_transaction():
        for sku, quantity, status in (
            ("CRM_BASIC", size, SubscriptionStatus.ACTIVE),
            ("CRM_ESSENTIAL", essential - OVERAGE, SubscriptionStatus.ACTIVE),
            ("CRM_ESSENTIAL", OVERAGE, SubscriptionStatus.SUSPENDED),
        ):
            await Subscription.create(
                organization_id=org_id,
                product_id=sku,
                quantity=quantity,
                status=status,
                status_reason=StatusReason.PAYMENT_FAILED if status is SubscriptionStatus.SUSPENDED else None,
                period_anchor=NOW,
                current_period_start=NOW,
                current_period_end=add_months(NOW, 1),
                created_at=NOW,
            )
        await _bulk(
            [
                User(
                    organization_id=org_id,
                    email=f"u{i:07d}-{tag}@scale.test",
                    display_name=f"User {i}",
                    created_at=NOW - timedelta(seconds=size - i),
                    latest_use=NOW - timedelta(seconds=i) if i % 2 else NEVER_USED,  # half never used
                )
                for i in range(size - 1)
            ]
        )
        ids = [
            fx.admin.id,
            *await User.filter(organization_id=org_id).exclude(id=fx.admin.id).order_by("id").values_list("id", flat=True),
        ]
        await _bulk(
            [
                LicenseAssignment(
                    organization_id=org_id, user_id=uid, product_id="CRM_BASIC", assigned_at=NOW - timedelta(seconds=size - i)
                )
                for i, uid in enumerate(ids)
            ]
        )
        await _bulk(
            [
                LicenseAssignment(
                    organization_id=org_id,
                    user_id=uid,
                    product_id="CRM_ESSENTIAL",
                    assigned_at=NOW - timedelta(seconds=essential - i),
                )
                for i, uid in enumerate(ids[:essential])
            ]
        )
        group = await Group.create(organization_id=org_id, display_name="Sales", name_key="sales", created_at=NOW)
        await GroupProduct.create(group_id=group.id, product_id="CRM_PROFESSIONAL")
        waiting = ids[-WAITING:]
        await _bulk([GroupMember(group_id=group.id, user_id=uid) for uid in waiting])
        await _bulk(
            [
                LicenseWait(organization_id=org_id, user_id=uid, product_id="CRM_PROFESSIONAL", since=NOW + timedelta(seconds=i))
                for i, uid in enumerate(waiting)
            ]
        )
        await _bulk(
            [
                AuditEvent(
                    organization_id=org_id,
                    action="user.created",
                    actor=fx.admin.email,
                    target_type="USER",
                    target_id=str(uid),
                    details={"email": f"{uid}@scale.test"},
                    at=NOW - timedelta(seconds=size - i),
                )
                for i, uid in enumerate(ids)
            ]
        )
        await _bulk(
            [
                Charge(
                    organization_id=org_id,
                    amount_cents=3000,
                    status=ChargeStatus.SUCCEEDED,
                    description="Renewal",
                    created_at=NOW - timedelta(seconds=size - i),
                )
                for i in range(size)
            ]
        )
    for sku in ("CRM_BASIC", "CRM_ESSENTIAL", "CRM_PROFESSIONAL"):
        await recount(org_id, sku)
    from seatwise.models.core.tables import SeatPool

    # The counters the seat ledger would hold after these assignments and waits.
    await SeatPool.filter(organization_id=org_id, product_id="CRM_BASIC").update(assigned=size)
    await SeatPool.filter(organization_id=org_id, product_id="CRM_ESSENTIAL").update(assigned=essential)
    await SeatPool.filter(organization_id=org_id, product_id="CRM_PROFESSIONAL").update(waiting=WAITING)
    await ledger.store_lines(fx.org)  # and where each conflict starts, as the ledger keeps it
    if is_postgres():
        # Statistics for the planner, as autovacuum would gather them after a bulk load.
        await connections.get("default").execute_script("ANALYZE")
    emails = dict(await User.filter(id__in=[ids[1], ids[-1], ids[essential - 1]]).values_list("id", "email"))
    return ScaleOrg(fx, size, emails[ids[1]], emails[ids[-1]], emails[ids[essential - 1]], ids)
