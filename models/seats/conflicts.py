"""License conflicts: derived from the seat pools' counters, with their causes and remedies.

A product is in conflict when more licenses are assigned than purchased, which happens only when
licenses stop counting (a subscription SUSPENDED or CANCELLED while its users keep their
licenses). The assignments in CONFLICT are the `overage` latest by (assignedAt, id): the users
who got their license last lose access first (docs/rules.md section 3). They are read from the
product's conflict line, which the seat ledger keeps in the pool row (models/seats/pools.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from tortoise.functions import Count

from seatwise.models.catalog import prices
from seatwise.models.core.errors import DomainError
from seatwise.models.core.pages import Keyset, Page, check_first, decode_cursor, paginate
from seatwise.models.core.tables import LicenseAssignment, Organization, StatusReason, Subscription, SubscriptionStatus, User
from seatwise.models.seats.idle import IDLE_ORDER, idle_since
from seatwise.models.seats.licenses import PoolView, conflict_line, seat_pools

NOT_COUNTING = (SubscriptionStatus.SUSPENDED, SubscriptionStatus.CANCELLED)
# The assignments in CONFLICT, latest first.
AFFECTED_ORDER = Keyset(("-assigned_at", "-id"))
# RECLAIM_IDLE_LICENSES: licenses idle this long, longest idle first (models/seats/idle.py, as idleLicenses reads them).
REMEDY_IDLE_DAYS = 30


class ConflictCause(str, enum.Enum):
    PAYMENT_FAILED = "PAYMENT_FAILED"
    SUBSCRIPTION_CANCELLED = "SUBSCRIPTION_CANCELLED"


class RemedyKind(str, enum.Enum):
    PURCHASE_LICENSES = "PURCHASE_LICENSES"
    REVOKE_LICENSES = "REVOKE_LICENSES"
    DELETE_USERS = "DELETE_USERS"
    UPDATE_PAYMENT_CARD = "UPDATE_PAYMENT_CARD"
    RECLAIM_IDLE_LICENSES = "RECLAIM_IDLE_LICENSES"


@dataclass(frozen=True)
class Remedy:
    kind: RemedyKind
    description: str
    # For PURCHASE_LICENSES: the quote for exactly the overage (None if it cannot be quoted).
    quote: prices.QuoteView | None = None


@dataclass(frozen=True)
class Conflict:
    pool: PoolView
    causes: list[ConflictCause]
    remedies: list[Remedy] = field(default_factory=list)

    @property
    def product(self):
        return self.pool.product

    @property
    def purchased(self) -> int:
        return self.pool.purchased

    @property
    def assigned(self) -> int:
        return self.pool.assigned

    @property
    def overage(self) -> int:
        return self.pool.overage


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


async def license_conflicts(org: Organization, *, now: datetime, sku: str | None = None) -> list[Conflict]:
    """Every product in conflict (catalog order): two aggregate queries, one for the subscriptions
    that stopped counting, one grouped count of the idle licenses (RECLAIM_IDLE_LICENSES), and one quote per conflict."""
    pools = [p for p in await seat_pools(org, sku) if p.in_conflict]
    if not pools:
        return []
    lapsed = await Subscription.filter(
        organization_id=org.id, product_id__in=[p.product.sku for p in pools], status__in=NOT_COUNTING
    ).order_by("id")
    idle = await _idle_counts(org, [p.product.sku for p in pools], now)
    conflicts = []
    for pool in pools:
        subs = [s for s in lapsed if s.product_id == pool.product.sku]
        causes = []
        if any(s.status_reason is StatusReason.PAYMENT_FAILED for s in subs):
            causes.append(ConflictCause.PAYMENT_FAILED)
        if any(s.status_reason is StatusReason.CANCELLED_BY_REQUEST for s in subs):
            causes.append(ConflictCause.SUBSCRIPTION_CANCELLED)
        conflicts.append(Conflict(pool, causes, await _remedies(org, pool, subs, now, idle.get(pool.product.sku, 0))))
    return conflicts


def _idle_query(org: Organization, sku: str | list[str], now: datetime):
    return idle_since(org, [sku] if isinstance(sku, str) else sku, REMEDY_IDLE_DAYS, now)


async def _idle_counts(org: Organization, skus: list[str], now: datetime) -> dict[str, int]:
    rows = await _idle_query(org, skus, now).annotate(idle=Count("id")).group_by("product_id").values_list("product_id", "idle")
    return {sku: count for sku, count in rows}


async def _remedies(org: Organization, pool: PoolView, lapsed: list[Subscription], now: datetime, idle: int = 0) -> list[Remedy]:
    product, overage = pool.product, pool.overage
    licenses = _plural(overage, "license")
    try:
        quote = await prices.quote(org, product.sku, overage, now)
    except DomainError:
        quote = None  # e.g. an overage beyond what one purchase may buy: the remedy stays, unpriced
    price = ""
    if quote is not None:
        price = f" for {_money(quote.amount_cents, product.currency)}"
        price += (
            f", prorated to the current period end {quote.period_end.date().isoformat()}" if quote.prorated else " for one month"
        )
    remedies = [
        Remedy(
            RemedyKind.PURCHASE_LICENSES,
            f"Buy {overage} more {product.name} {'license' if overage == 1 else 'licenses'}{price}: "
            f"purchaseLicenses with productSku {product.sku} and quantity {overage}.",
            quote,
        ),
        Remedy(
            RemedyKind.REVOKE_LICENSES,
            f"Take back {licenses} of {product.name} with revokeLicense: {pool.assigned} are assigned and only "
            f"{pool.purchased} purchased. The {overage} most recently assigned (affectedUsers) are the ones without access.",
        ),
        Remedy(
            RemedyKind.DELETE_USERS,
            f"Delete {_plural(overage, 'user')} holding a {product.name} license with deleteUser; their licenses are "
            f"freed at once and they can be restored within 30 days.",
        ),
    ]
    if idle:
        remedies.append(
            Remedy(
                RemedyKind.RECLAIM_IDLE_LICENSES,
                f"Take back the licenses idle longest: {_plural(idle, 'license')} of {product.name} "
                f"{'is' if idle == 1 else 'are'} idle {REMEDY_IDLE_DAYS} days or more (idleUsers, longest idle first). "
                f"revokeLicenses with those users and dryRun true previews exactly that change.",
            )
        )
    suspended = [s for s in lapsed if s.status is SubscriptionStatus.SUSPENDED and s.status_reason is StatusReason.PAYMENT_FAILED]
    if suspended:
        held = sum(s.quantity for s in suspended)
        remedies.append(
            Remedy(
                RemedyKind.UPDATE_PAYMENT_CARD,
                f"Fix the payment card (updatePaymentCard with a new expiry, or addPaymentCard): the suspended "
                f"{product.name} {'subscription' if len(suspended) == 1 else 'subscriptions'} of {licenses if held == overage else _plural(held, 'license')} "
                f"{'is' if len(suspended) == 1 else 'are'} charged at once and {'its' if len(suspended) == 1 else 'their'} licenses count again.",
            )
        )
    return remedies


async def affected_users_page(org: Organization, pool: PoolView, first: int | None, after: str | None) -> Page[User]:
    """One page of the users whose licenses of the product are in CONFLICT, latest assignment first (first 1..100,
    keyset cursors; BadUserInput otherwise): the product's conflict line, then the page's rows from the cursor down
    to the line. Two queries whatever the size."""
    limit = check_first(first)
    start = decode_cursor(after, AFFECTED_ORDER, LicenseAssignment)
    overage = pool.overage

    async def total() -> int:
        return overage

    line = await conflict_line(org, pool)
    rows: list[LicenseAssignment] = []
    if line is not None:
        query = line.assignments(org, pool.product.sku)
        if start is not None:
            query = query.filter(AFFECTED_ORDER.after(start))
        rows = list(await query.order_by(*AFFECTED_ORDER.fields).limit(limit + 1).select_related("user"))
    return Page(
        items=[row.user for row in rows[:limit]],
        keys=[AFFECTED_ORDER.key(row) for row in rows[:limit]],
        order=AFFECTED_ORDER.tag,
        has_next=len(rows) > limit,
        has_previous=start is not None,
        counter=total,
    )


async def idle_users_page(org: Organization, sku: str, first: int | None, after: str | None, now: datetime) -> Page[User]:
    """One page of the users whose licenses of the product are idle REMEDY_IDLE_DAYS or more, longest idle first
    (first 1..100, keyset cursors): one query per page, the total counted only when asked for."""
    query = _idle_query(org, sku, now)
    page = await paginate(query.select_related("user"), first, after, IDLE_ORDER)
    return replace(page, items=[row.user for row in page.items], counter=query.count)
