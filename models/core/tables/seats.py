"""The tables of products and seats: the catalog, the seat pools, license assignments and waits."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.people import Organization, User


class Product(Model):
    sku = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=256)
    unit_price_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="USD")
    position = fields.IntField(default=0)

    class Meta:
        table = "product"


class SeatPool(Model):
    # One row per organization and product: the counters that the guarded write protects.
    #
    # `purchased` mirrors the SUM of counting subscriptions and `assigned` the COUNT of
    # assignments; every change to either happens in the transaction that changes the truth.

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="pools", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="pools", on_delete=fields.RESTRICT
    )
    product_id: str  # the column Tortoise adds for the foreign key
    purchased = fields.IntField(default=0)
    assigned = fields.IntField(default=0)
    # Users waiting for a license of this product (the COUNT of its license_wait rows).
    waiting = fields.IntField(default=0)
    # Where the conflict starts while assigned > purchased: the (assigned_at, id) of the first assignment beyond the
    # purchased licenses, set by the seat ledger at the end of every change of this pool, null exactly when the pool
    # is not in conflict (migration 0012 stored it for the pools last changed before 0010). Readers use it alone.
    line_assigned_at = fields.DatetimeField(null=True)
    line_id = fields.BigIntField(null=True)
    # Moved by every seat change of the pool (the ledger, before commit): a plan token is bound to the sum over the
    # organization's pools (models/plans/tokens.py).
    version = fields.BigIntField(default=0)

    class Meta:
        table = "seat_pool"
        unique_together = (("organization", "product"),)


class LicenseAssignment(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="assignments", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="assignments", on_delete=fields.CASCADE
    )
    user_id: int  # the column Tortoise adds for the foreign key
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="assignments", on_delete=fields.RESTRICT
    )
    product_id: str  # the column Tortoise adds for the foreign key
    assigned_at = fields.DatetimeField()
    # Held as a direct assignment (assignLicense and friends); the group sources are the user's
    # groups that grant the product (derived from group_member and group_product).
    direct = fields.BooleanField(default=True)
    # Use (docs/rules.md section 12): the latest use since the license was given (null: never); what idleness is
    # measured from (last_used_at, else assigned_at: set with the row, moved by a use); when a reclaim policy takes
    # it back unless it is used first.
    last_used_at = fields.DatetimeField(null=True)
    idle_since = fields.DatetimeField(null=True)
    reclaim_at = fields.DatetimeField(null=True)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("idle_since", kwargs.get("last_used_at") or kwargs.get("assigned_at"))
        super().__init__(**kwargs)

    class Meta:
        table = "license_assignment"
        unique_together = (("user", "product"),)
        indexes = (
            ("organization_id", "product_id", "assigned_at", "id"),
            ("organization_id", "product_id", "idle_since", "id"),
            ("organization_id", "reclaim_at"),
        )


class LicenseWait(Model):
    # A user waiting for a license of a product; the queue is ordered by (since, id).

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="license_waits", on_delete=fields.CASCADE
    )
    organization_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="license_waits", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="license_waits", on_delete=fields.RESTRICT
    )
    product_id: str
    since = fields.DatetimeField()

    class Meta:
        table = "license_wait"
        unique_together = (("user", "product"),)
        indexes = (("organization_id", "product_id", "since", "id"),)
