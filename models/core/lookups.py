"""Finding things by id inside one organization: another organization's id is simply unknown."""

from __future__ import annotations

from typing import TypeVar

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.queryset import QuerySet

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text, column_length, parse_id
from seatwise.models.core.tables import Organization, Product, Subscription, User

__all__ = ["catalog", "check_sku", "get_product", "get_subscription", "get_user", "in_org", "parse_id", "subscriptions_by_ids"]

M = TypeVar("M", bound=Model)
MAX_SKU = column_length(Product, "sku")


async def in_org(query: QuerySet[M], raw_id: str | int, what: str, subject: str) -> M:
    """The row of `query` (already scoped to one organization) with this API id; NOT_FOUND otherwise,
    for a malformed id too."""
    pk = parse_id(raw_id)
    row = await query.get_or_none(id=pk) if pk is not None else None
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {what}.", subject)
    return row


async def lock_organization(org: Organization) -> None:
    """Serialise changes that need a rule over the whole organization (the last GLOBAL_ADMIN, the default
    card): a no-op UPDATE of its row, the row lock on PostgreSQL and the write lock on SQLite."""
    await Organization.filter(id=org.id).update(name=F("name"))


async def get_user(org: Organization, user_id: str | int, subject: str) -> User:
    return await in_org(User.filter(organization_id=org.id), user_id, "user", subject)


def check_sku(sku: str, subject: str | None) -> str:
    """INVALID_INPUT for text that cannot be a SKU (too long, NUL): every SKU a mutation takes passes here."""
    return checked_text(sku, MAX_SKU, "The product SKU", subject)


async def get_product(sku: str, subject: str) -> Product:
    """A product of the catalog by SKU; UNKNOWN_PRODUCT otherwise."""
    check_sku(sku, subject)
    for product in await catalog():
        if product.sku == sku:
            return product
    raise DomainError(ErrorCode.UNKNOWN_PRODUCT, "No such product in the catalog.", subject)


async def product_of(sku: str) -> Product:
    return await get_product(sku, "product_sku")


_catalog: list[Product] | None = None


async def catalog() -> list[Product]:
    """The product catalog in display order. It is seeded by a migration and never changes while a
    process runs, so it is read once per process."""
    global _catalog
    if _catalog is None:
        _catalog = await Product.all().order_by("position", "sku")
    return list(_catalog)


async def get_subscription(org: Organization, subscription_id: str | int, subject: str) -> Subscription:
    return await in_org(Subscription.filter(organization_id=org.id), subscription_id, "subscription", subject)


async def subscriptions_by_ids(org: Organization, ids: list[int]) -> dict[int, Subscription]:
    return {s.id: s for s in await Subscription.filter(id__in=list(ids), organization_id=org.id)}
