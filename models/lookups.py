"""Finding things by id inside one organization: another organization's id is simply unknown."""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.errors import DomainError, ErrorCode
from models.tables import Organization, Product, Subscription, User


M = TypeVar("M", bound=Model)


def parse_id(raw: str | int | None) -> int | None:
    """A database id from an API id; None when malformed (which then reads as NOT_FOUND)."""
    if isinstance(raw, int):
        return raw
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


async def in_org(query: QuerySet[M], raw_id: str | int, what: str, field: list[str]) -> M:
    """The row of `query` (already scoped to one organization) with this API id; NOT_FOUND otherwise,
    for a malformed id too."""
    pk = parse_id(raw_id)
    row = await query.get_or_none(id=pk) if pk is not None else None
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No {what} {raw_id}.", field)
    return row


async def get_user(org: Organization, user_id: str | int, field: list[str]) -> User:
    return await in_org(User.filter(organization_id=org.id), user_id, "user", field)


async def get_product(sku: str, field: list[str]) -> Product:
    product = await Product.get_or_none(sku=sku)
    if product is None:
        raise DomainError(ErrorCode.UNKNOWN_PRODUCT, f"No product {sku!r} in the catalog.", field)
    return product


async def catalog() -> list[Product]:
    return await Product.all().order_by("position", "sku")


async def get_subscription(org: Organization, subscription_id: str | int, field: list[str]) -> Subscription:
    return await in_org(Subscription.filter(organization_id=org.id), subscription_id, "subscription", field)


async def subscriptions_by_ids(org: Organization, ids: list[int]) -> dict[int, Subscription]:
    return {s.id: s for s in await Subscription.filter(id__in=list(ids), organization_id=org.id)}
