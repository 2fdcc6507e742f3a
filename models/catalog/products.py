"""The product catalog: the products Seatwise sells, seeded by a migration, read once per process."""

from __future__ import annotations

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text, column_length
from seatwise.models.core.tables import Product

MAX_SKU = column_length(Product, "sku")


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
