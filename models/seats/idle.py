"""Which licenses are idle: unused since `idle_since` (the last use, else the assignment) for at least so many days.
One filter over the index (organization_id, product_id, idle_since, id), longest idle first: read by idleLicenses and
SeatPool.idle (models/usage/idle.py) and by the RECLAIM_IDLE_LICENSES remedy (models/seats/conflicts.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import LicenseAssignment, Organization

IDLE_ORDER = Keyset(("idle_since", "id"))


def idle_since(org: Organization, skus: list[str], days: int, now: datetime) -> QuerySet[LicenseAssignment]:
    """The licenses of these products idle at least `days` days at `now`."""
    return LicenseAssignment.filter(organization_id=org.id, product_id__in=skus, idle_since__lte=now - timedelta(days=days))
