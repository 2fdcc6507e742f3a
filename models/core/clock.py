"""Time: the wall clock, an organization's clock (its test clock in a sandbox), calendar months."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

from seatwise.models.core.tables import Organization


def utcnow() -> datetime:
    return datetime.now(UTC)


def org_now(org: Organization, wall: datetime | None = None) -> datetime:
    """The organization's current time: its test clock in a sandbox, else the wall clock."""
    if org.sandbox and org.test_clock_now is not None:
        return org.test_clock_now
    return wall or utcnow()


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` plus whole calendar months, clamped to the end of shorter months (Jan 31 + 1 = Feb 28)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with a Z, as the API and exports print times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
