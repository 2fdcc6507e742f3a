"""The waitlist (docs/rules.md section 11): per product, the users waiting for a license, the longest waiting
first. A wait's position is 1 + the waits ahead of it: a COUNT over the queue's index (organization, product,
since, id), never stored."""

from __future__ import annotations

from typing import Any, cast

from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from seatwise.models.core.pages import Keyset, Page, paginate
from seatwise.models.core.tables import LicenseWait, Organization

# A product's queue: who waits longest gets the next license.
WAIT_ORDER = Keyset(("since", "id"))

_TABLE = LicenseWait._meta.db_table


def _position() -> RawSQL:
    """The position of the wait read, in the same statement: 1 + the waits of its queue ahead of it."""
    return RawSQL(
        f'(SELECT COUNT(*) FROM "{_TABLE}" ahead WHERE ahead."organization_id" = "{_TABLE}"."organization_id" '
        f'AND ahead."product_id" = "{_TABLE}"."product_id" AND (ahead."since" < "{_TABLE}"."since" '
        f'OR (ahead."since" = "{_TABLE}"."since" AND ahead."id" < "{_TABLE}"."id"))) + 1'
    )


def waitlist_query(org: Organization, sku: str) -> QuerySet[LicenseWait]:
    return LicenseWait.filter(organization_id=org.id, product_id=sku).order_by(*WAIT_ORDER.fields)


async def waitlist_page(org: Organization, sku: str, first: int | None, after: str | None) -> Page[tuple[LicenseWait, int]]:
    """One page of a product's queue, each wait with its position: the page's query, and after a cursor one
    COUNT of the waits ahead of the page's first."""
    page = await paginate(waitlist_query(org, sku), first, after, WAIT_ORDER)
    start = await position_of(page.items[0]) if page.items and page.has_previous else 1
    return Page(
        items=[(wait, start + i) for i, wait in enumerate(page.items)],
        keys=page.keys,
        order=page.order,
        has_next=page.has_next,
        has_previous=page.has_previous,
        counter=page.counter,
    )


async def position_of(wait: LicenseWait) -> int:
    """1 = the next to get a license."""
    ahead = await LicenseWait.filter(
        Q(since__lt=wait.since) | Q(since=wait.since, id__lt=wait.id),
        organization_id=wait.organization_id,
        product_id=wait.product_id,
    ).count()
    return ahead + 1


async def waits_of(user_ids: list[int]) -> dict[int, list[tuple[LicenseWait, int]]]:
    """The waits of many users, each with its position, in one query (the DataLoader behind User.licenseWaits)."""
    found: dict[int, list[tuple[LicenseWait, int]]] = {uid: [] for uid in user_ids}
    for wait in await LicenseWait.filter(user_id__in=user_ids).annotate(position=_position()).order_by("product_id"):
        found[wait.user_id].append((wait, int(cast(Any, wait).position)))
    return found


async def positions(waits: list[LicenseWait]) -> list[int]:
    """Queue positions of waits in one query, a COUNT for the first of each product: waits of one product listed
    in queue order are consecutive when they joined in one change (under its pool lock)."""
    if not waits:
        return []
    first: dict[str, int] = {}
    for wait in waits:
        first.setdefault(wait.product_id, wait.id)
    rows = (
        await LicenseWait.filter(id__in=list(first.values())).annotate(position=_position()).values_list("product_id", "position")
    )
    place = {sku: int(position) for sku, position in rows}
    for wait in waits:
        if wait.product_id not in place:  # its first wait was served meanwhile: count the queue ahead of where it stood
            place[wait.product_id] = await position_of(wait)
    found = []
    for wait in waits:
        found.append(place[wait.product_id])
        place[wait.product_id] += 1
    return found
