"""`accessCheck` as a sign-in: an allowed answer is a use of the license (models/usage/uses.py), and a dormant
user's sign-in is a grant (a free license at once, or a place in the queue)."""

from __future__ import annotations

from datetime import datetime

from seatwise.models.core.locks import hold
from seatwise.models.core.tables import LicenseAssignment, LicenseDormancy, Organization, User
from seatwise.models.events.audit import Actor
from seatwise.models.seats import ledger
from seatwise.models.seats import licenses as seats
from seatwise.models.seats.licenses import AccessDenialReason
from seatwise.models.usage import uses


async def sign_in(org: Organization, email: str, sku: str, *, actor: Actor, now: datetime) -> AccessDenialReason | None:
    """None when the person may use the product now (and the use is recorded), else why not. The answer is decided
    before anything is written; the use is one statement after it that never waits on a seat change."""
    return (await sign_in_user(org, email, sku, actor=actor, now=now))[0]


async def sign_in_user(
    org: Organization, email: str, sku: str, *, actor: Actor, now: datetime
) -> tuple[AccessDenialReason | None, User | None]:
    """`sign_in` with the user it found (the sign-in answer reads the user's roles next)."""
    reason, user, assignment = await seats.access_decision(org, email, sku)
    if reason is None and assignment is not None:
        await uses.record_use(assignment, now)
        return None, user
    if reason is AccessDenialReason.NO_LICENSE and user is not None:
        if await LicenseDormancy.exists(user_id=user.id, product_id=sku):
            return await _wake(org, user, sku, actor=actor, now=now), user
    return reason, user


async def _wake(org: Organization, user: User, sku: str, *, actor: Actor, now: datetime) -> AccessDenialReason | None:
    """A dormant user signs in: their groups grant the product again, a free license at once or a wait."""
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(sku)
        if await hold(User.filter(id=user.id, deleted_at=None), "deleted_at") != 1:
            return AccessDenialReason.ACCOUNT_DELETED
        if not await LicenseDormancy.filter(user_id=user.id, product_id=sku).delete():
            woken = None  # another sign-in woke them first: answer as it left them
        else:
            woken = await change.grant_from_group([user], sku, None, {"reason": "sign-in"})
    if woken is None:
        return await seats.access_check(org, user.email, sku)
    licensed, waiting = woken
    if licensed:
        row = await LicenseAssignment.get(user_id=user.id, product_id=sku)
        await uses.record_use(row, now)
        return None
    return AccessDenialReason.WAITING_FOR_LICENSE if waiting else AccessDenialReason.NO_LICENSE


async def dormant_products(user_ids: list[int]) -> dict[int, list[str]]:
    """The products each user is dormant for (the DataLoader behind User.dormantProducts), in one query."""
    found: dict[int, list[str]] = {uid: [] for uid in user_ids}
    for uid, sku in (
        await LicenseDormancy.filter(user_id__in=user_ids).order_by("product_id").values_list("user_id", "product_id")
    ):
        found[uid].append(sku)
    return found
