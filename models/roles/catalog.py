"""The roles of a product: the ones shipped with the catalog (seeded by a migration, read once per process) and the
organization's own; a list of role keys checked against them (UNKNOWN_ROLE per item)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from seatwise.models.catalog.products import get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import CatalogRole, Organization, ProductRole

# The all-powerful role a Seatwise GLOBAL_ADMIN holds in every product whose license they hold (if the product has it).
SYSTEM_ADMINISTRATOR = "SYSTEM_ADMINISTRATOR"
KEY_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{1,63}")
MAX_ROLE_KEYS = 20


@dataclass(frozen=True)
class RoleView:
    """A role of a product as readers see it."""

    product_sku: str
    key: str
    name: str
    description: str
    built_in: bool
    # "c<id>" for a shipped role, "o<id>" for the organization's own (the API's global id is built from it).
    ref: str


def shipped_view(row: CatalogRole) -> RoleView:
    return RoleView(row.product_id, row.key, row.name, row.description, True, f"c{row.id}")


def own_view(row: ProductRole) -> RoleView:
    return RoleView(row.product_id, row.key, row.name, row.description, False, f"o{row.id}")


_shipped: dict[str, list[RoleView]] | None = None


async def shipped() -> dict[str, list[RoleView]]:
    """The shipped roles per product SKU, in display order. Seeded by a migration and never changed while a process
    runs, so read once per process."""
    global _shipped
    if _shipped is None:
        found: dict[str, list[RoleView]] = {}
        for row in await CatalogRole.all().order_by("product_id", "position", "key"):
            found.setdefault(row.product_id, []).append(shipped_view(row))
        _shipped = found
    return _shipped


async def shipped_keys(sku: str) -> dict[str, RoleView]:
    return {role.key: role for role in (await shipped()).get(sku, [])}


async def is_shipped_anywhere(key: str) -> bool:
    upper = key.upper()
    return any(role.key == upper for roles in (await shipped()).values() for role in roles)


async def roles_of_products(org: Organization, skus: list[str] | None = None) -> dict[str, list[RoleView]]:
    """Every role of these products (all when None) in the organization: shipped ones first, then its own by key."""
    table = await shipped()
    query = ProductRole.filter(organization_id=org.id)
    if skus is not None:
        query = query.filter(product_id__in=skus)
    own: dict[str, list[RoleView]] = {}
    for row in await query.order_by("product_id", "key_upper"):
        own.setdefault(row.product_id, []).append(own_view(row))
    keys = skus if skus is not None else sorted(set(table) | set(own))
    return {sku: [*table.get(sku, []), *own.get(sku, [])] for sku in keys}


async def resolve(
    org: Organization, sku: str, keys: list[str], subject: str = "role_keys", *, sku_subject: str = "product_sku", least: int = 1
) -> list[RoleView]:
    """The roles these keys name in the product (keys compared ignoring case), in order, each once: 1 (or `least`) to
    20 keys, INVALID_INPUT for a key listed twice, UNKNOWN_ROLE for one the product does not have, per item."""
    await get_product(sku, sku_subject)
    if not least <= len(keys) <= MAX_ROLE_KEYS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give {least} to {MAX_ROLE_KEYS} role keys.", subject)
    known = {role.key.upper(): role for role in (await roles_of_products(org, [sku]))[sku]}
    found: list[RoleView] = []
    for index, raw in enumerate(keys):
        role = known.get(raw.strip().upper()) if len(raw) <= 64 else None
        if role is None:
            raise DomainError(ErrorCode.UNKNOWN_ROLE, f"No such role in {sku}.", f"{subject}[{index}]")
        if role in found:
            raise DomainError(ErrorCode.INVALID_INPUT, "A role is listed twice.", f"{subject}[{index}]")
        found.append(role)
    return found
