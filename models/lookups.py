"""Finding things by id inside one organization: another organization's id is simply unknown."""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.errors import DomainError, ErrorCode
from models.inputs import checked_text, column_length, parse_id
from models.tables import Organization, Product, Subscription, User

__all__ = ["parse_id", "in_org", "get_user", "check_sku", "get_product", "catalog", "get_subscription", "subscriptions_by_ids"]

M = TypeVar("M", bound=Model)
MAX_SKU = column_length(Product, "sku")


async def in_org(query: QuerySet[M], raw_id: str | int, what: str, field: list[str]) -> M:
    """The row of `query` (already scoped to one organization) with this API id; NOT_FOUND otherwise,
    for a malformed id too."""
    pk = parse_id(raw_id)
    row = await query.get_or_none(id=pk) if pk is not None else None
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {what}.", field)
    return row


async def get_user(org: Organization, user_id: str | int, field: list[str]) -> User:
    return await in_org(User.filter(organization_id=org.id), user_id, "user", field)


def check_sku(sku: str, field: list[str] | None) -> str:
    """INVALID_INPUT for text that cannot be a SKU (too long, NUL): every SKU a mutation takes passes here."""
    return checked_text(sku, MAX_SKU, "The product SKU", field)


async def get_product(sku: str, field: list[str]) -> Product:
    product = await Product.get_or_none(sku=check_sku(sku, field))
    if product is None:
        raise DomainError(ErrorCode.UNKNOWN_PRODUCT, "No such product in the catalog.", field)
    return product


async def catalog() -> list[Product]:
    return await Product.all().order_by("position", "sku")


async def get_subscription(org: Organization, subscription_id: str | int, field: list[str]) -> Subscription:
    return await in_org(Subscription.filter(organization_id=org.id), subscription_id, "subscription", field)


async def subscriptions_by_ids(org: Organization, ids: list[int]) -> dict[int, Subscription]:
    return {s.id: s for s in await Subscription.filter(id__in=list(ids), organization_id=org.id)}
