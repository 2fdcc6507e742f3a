"""What a dry run of a change records: who loses and who gains access, and why (the seat ledger fills it in the
same code that makes the change, then rolls the transaction back)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_LISTED = 1000  # losingAccess / gainingAccess list at most this many; the totals count them all


class AccessChangeReason(str, enum.Enum):
    REVOKED = "REVOKED"
    USER_DELETED = "USER_DELETED"
    GROUP_LEFT = "GROUP_LEFT"
    GROUP_PRODUCT_REMOVED = "GROUP_PRODUCT_REMOVED"
    SUBSCRIPTION_CANCELLED = "SUBSCRIPTION_CANCELLED"
    RECLAIMED = "RECLAIMED"
    FROM_WAITLIST = "FROM_WAITLIST"
    CONFLICT_SETTLED = "CONFLICT_SETTLED"
    PURCHASED = "PURCHASED"


@dataclass(frozen=True)
class AccessChange:
    """One (user, product) whose access changes; states are LicenseState values ("ACTIVE", "CONFLICT") or None."""

    user_id: int
    sku: str
    before: str | None
    after: str | None
    reason: AccessChangeReason


@dataclass
class Preview:
    """A dry run's outcome. `seats`: (before, after) pool views of every touched product, in SKU order."""

    losing: list[AccessChange] = field(default_factory=list)
    total_losing: int = 0
    gaining: list[AccessChange] = field(default_factory=list)
    total_gaining: int = 0
    seats: list[tuple[Any, Any]] = field(default_factory=list)
    charge: Any = None  # a QuoteView (purchases)
    monthly_change_cents: int | None = None
    effective_at: datetime | None = None
    plan_token: str = ""
    plan_expires_at: datetime | None = None
    users: dict[int, Any] = field(default_factory=dict)  # the User rows named by the changes (one query)
    products: dict[str, Any] = field(default_factory=dict)  # the catalog's Product rows by SKU

    def lose(self, change: AccessChange) -> None:
        self.total_losing += 1
        if len(self.losing) < MAX_LISTED:
            self.losing.append(change)

    def gain(self, change: AccessChange) -> None:
        self.total_gaining += 1
        if len(self.gaining) < MAX_LISTED:
            self.gaining.append(change)
