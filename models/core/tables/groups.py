"""The tables of groups: a group, the products it grants, its members."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.enums import GroupSource
from seatwise.models.core.tables.people import Organization, User
from seatwise.models.core.tables.seats import Product


class Group(Model):
    # A group of users that grants its members licenses of its products (docs/rules.md section 11).

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="groups", on_delete=fields.CASCADE
    )
    organization_id: int
    display_name = fields.CharField(max_length=256)
    # The trimmed, lower-cased display name: unique in the organization.
    name_key = fields.CharField(max_length=256)
    source = fields.CharEnumField(GroupSource, max_length=16, default=GroupSource.SEATWISE)
    external_id = fields.CharField(max_length=256, null=True)
    created_at = fields.DatetimeField()
    last_modified = fields.DatetimeField(null=True)  # SCIM meta.lastModified (null: created_at)

    class Meta:
        table = "user_group"
        unique_together = (("organization", "name_key"),)
        indexes = (("organization_id", "external_id"),)


class GroupProduct(Model):
    id = fields.BigIntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "seatwise.Group", related_name="grants", on_delete=fields.CASCADE
    )
    group_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="group_grants", on_delete=fields.RESTRICT
    )
    product_id: str

    class Meta:
        table = "group_product"
        unique_together = (("group", "product"),)


class GroupMember(Model):
    # Memberships outlive a user's deletion (a restore grants the group's products again).

    id = fields.BigIntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "seatwise.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: int

    class Meta:
        table = "group_member"
        unique_together = (("group", "user"),)
        indexes = (("user_id",),)
