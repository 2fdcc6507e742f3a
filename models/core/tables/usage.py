"""The tables of licenses that follow use: reclaim policies and dormant users (docs/rules.md section 12). The use
columns of a license (`last_used_at`, `idle_since`, `reclaim_at`) are in models/core/tables/seats.py."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.people import Organization, User
from seatwise.models.core.tables.seats import Product


class ReclaimPolicy(Model):
    # Per organization and product: licenses idle `idle_days` are scheduled, and reclaimed `notice_days` later.
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="reclaim_policies", on_delete=fields.CASCADE
    )
    organization_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="reclaim_policies", on_delete=fields.RESTRICT
    )
    product_id: str
    enabled = fields.BooleanField(default=True)
    idle_days = fields.IntField()
    notice_days = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "reclaim_policy"
        unique_together = (("organization", "product"),)


class LicenseDormancy(Model):
    # A user whose license held through groups was reclaimed: their groups grant them nothing for this product
    # until their next sign-in (accessCheck), a direct assignment, or leaving every group that grants it.
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="dormancies", on_delete=fields.CASCADE
    )
    organization_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="dormancies", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="dormancies", on_delete=fields.RESTRICT
    )
    product_id: str
    since = fields.DatetimeField()

    class Meta:
        table = "license_dormancy"
        unique_together = (("user", "product"),)
