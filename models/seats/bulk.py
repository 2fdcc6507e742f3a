"""Bulk changes of licenses (revokeLicenses): 1 to 1000 users, all or none, per-item errors naming the item's
index, and a bounded number of statements however many users are listed."""

from __future__ import annotations

from datetime import datetime

from seatwise.models.catalog.products import get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold
from seatwise.models.core.tables import Organization, User
from seatwise.models.events.audit import Actor
from seatwise.models.plans.previews import Preview
from seatwise.models.plans.tokens import Plan
from seatwise.models.seats import ledger
from seatwise.models.seats.pools import PoolView

MAX_BULK = 1000


async def listed_users(org: Organization, user_ids: list[str], subject: str = "user_ids") -> list[User]:
    """The users of a bulk input, in the order listed (one query): INVALID_INPUT for an empty list or one over 1000
    (`subject`) and for an id listed twice, NOT_FOUND and USER_DELETED per item (`subject[index]`)."""
    if not 1 <= len(user_ids) <= MAX_BULK:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_BULK} user ids.", subject)
    parsed = [parse_id(raw) for raw in user_ids]  # "60577" and "060577" are one user listed twice
    seen: set[int] = set()
    for index, pk in enumerate(parsed):
        if pk is not None and pk in seen:
            raise DomainError(ErrorCode.INVALID_INPUT, "This user is listed twice.", f"{subject}[{index}]")
        if pk is not None:
            seen.add(pk)
    found = {u.id: u for u in await User.filter(organization_id=org.id, id__in=list(seen))}
    for index, pk in enumerate(parsed):
        if pk not in found:
            raise DomainError(ErrorCode.NOT_FOUND, "No such user.", f"{subject}[{index}]")
    ordered = [found[pk] for pk in parsed if pk is not None]
    for index, user in enumerate(ordered):
        if user.deleted_at is not None:
            raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", f"{subject}[{index}]")
    return ordered


async def hold_live_users(users: list[User], subject: str = "user_ids") -> None:
    """Hold the users' rows (after the pools, in the lock order): USER_DELETED when one was deleted meanwhile."""
    if await hold(User.filter(id__in=[u.id for u in users], deleted_at=None), "deleted_at") != len(users):
        raise DomainError(ErrorCode.USER_DELETED, "A user was deleted meanwhile.", subject)


async def revoke_licenses(
    org: Organization,
    user_ids: list[str],
    sku: str,
    *,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    plan_token: str | None = None,
) -> tuple[list[User], PoolView, Preview | None]:
    """Take back the direct license of `sku` from 1 to 1000 users, all or none (NOT_ASSIGNED, LICENSE_INHERITED
    per item). Freed licenses settle the product's conflict first, then serve its queue, in the same transaction.
    Returns the users, in order, the pool after the change (before it, for a dry run) and a dry run's preview."""
    users = await listed_users(org, user_ids)
    await get_product(sku, "product_sku")
    plan = Plan("revokeLicenses", {"users": [u.id for u in users], "sku": sku}, plan_token, dry_run)
    async with ledger.change(org, actor=actor, now=now, plan=plan) as change:
        await change.lock(sku)
        await hold_live_users(users)
        await change.release_many(users, sku)
    return users, change._before[sku] if dry_run else change.after(sku), change.preview
