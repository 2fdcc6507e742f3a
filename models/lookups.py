"""Finding things by id inside one organization: another organization's id is simply unknown."""

from __future__ import annotations

from models.errors import DomainError, ErrorCode
from models.tables import Organization, Product, Subscription, User


def parse_id(raw: str | int | None) -> int | None:
    """A database id from an API id; None when malformed (which then reads as NOT_FOUND)."""
    if isinstance(raw, int):
        return raw
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


async def get_user(org: Organization, user_id: str | int, field: list[str]) -> User:
    pk = parse_id(user_id)
    user = await User.get_or_none(id=pk, organization_id=org.id) if pk is not None else None
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No user {user_id}.", field)
    return user


async def get_product(sku: str, field: list[str]) -> Product:
    product = await Product.get_or_none(sku=sku)
    if product is None:
        raise DomainError(ErrorCode.UNKNOWN_PRODUCT, f"No product {sku!r} in the catalog.", field)
    return product


async def catalog() -> list[Product]:
    return await Product.all().order_by("position", "sku")


async def get_subscription(org: Organization, subscription_id: str | int, field: list[str]) -> Subscription:
    pk = parse_id(subscription_id)
    sub = await Subscription.get_or_none(id=pk, organization_id=org.id) if pk is not None else None
    if sub is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No subscription {subscription_id}.", field)
    return sub


async def subscriptions_by_ids(org: Organization, ids: list[int]) -> dict[int, Subscription]:
    return {s.id: s for s in await Subscription.filter(id__in=list(ids), organization_id=org.id)}
