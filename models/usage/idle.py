"""Idle licenses: idle for `now - (last_used_at or assigned_at)`, i.e. since `idle_since`. Read through the index
(organization_id, product_id, idle_since, id): longest idle first, one query per page and one COUNT, whatever the
organization's size (licenses of deleted users are freed at deletion, so every license row is a live user's)."""

from __future__ import annotations

from datetime import datetime

from tortoise.queryset import QuerySet

from seatwise.models.catalog.products import get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import LicenseAssignment, Organization
from seatwise.models.seats.idle import IDLE_ORDER, idle_since

__all__ = ["IDLE_ORDER", "check_idle_days", "idle_count", "idle_licenses", "idle_query"]
MIN_IDLE_DAYS, MAX_IDLE_DAYS = 1, 3650


def check_idle_days(days: int, subject: str = "idle_days", low: int = MIN_IDLE_DAYS, high: int = MAX_IDLE_DAYS) -> int:
    if isinstance(days, bool) or not low <= days <= high:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give {low} to {high} days.", subject)
    return days


def idle_query(org: Organization, sku: str, days: int, now: datetime) -> QuerySet[LicenseAssignment]:
    """The product's licenses idle at least `days` days at `now`, longest idle first."""
    return idle_since(org, [sku], days, now).order_by(*IDLE_ORDER.fields)


async def idle_licenses(org: Organization, sku: str, days: int, now: datetime) -> QuerySet[LicenseAssignment]:
    """`idle_query` after checking the input: UNKNOWN_PRODUCT, INVALID_INPUT (idle_days 1 to 3650)."""
    await get_product(sku, "product_sku")
    return idle_query(org, sku, check_idle_days(days), now)


async def idle_count(org: Organization, sku: str, days: int, now: datetime) -> int:
    return await idle_query(org, sku, check_idle_days(days, "days"), now).count()
