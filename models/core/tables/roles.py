"""The tables of product security roles (docs/rules.md section 14): the roles shipped with the catalog, an
organization's own roles, and who holds which role, directly or through a group.

A role is named by (product, key) in every grant: a shipped role's key is the same in every organization, an
organization's own role is unique in its product ignoring case. Grants name the key as the role has it, so that the
roles of a user or a group are read without a join to the role tables."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.groups import Group
from seatwise.models.core.tables.people import Organization, User
from seatwise.models.core.tables.seats import Product


class CatalogRole(Model):
    # A role shipped with the catalog, seeded by a migration (like the products): the same in every organization.

    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="catalog_roles", on_delete=fields.RESTRICT
    )
    product_id: str
    key = fields.CharField(max_length=64)
    name = fields.CharField(max_length=128)
    description = fields.CharField(max_length=1024, default="")
    position = fields.IntField(default=0)

    class Meta:
        table = "catalog_role"
        unique_together = (("product", "key"),)


class ProductRole(Model):
    # An organization's own role in one product.

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="product_roles", on_delete=fields.CASCADE
    )
    organization_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="product_roles", on_delete=fields.RESTRICT
    )
    product_id: str
    key = fields.CharField(max_length=64)
    # The upper-cased key: unique in the organization's product.
    key_upper = fields.CharField(max_length=64)
    name = fields.CharField(max_length=128)
    description = fields.CharField(max_length=1024, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "product_role"
        unique_together = (("organization", "product", "key_upper"),)


class RoleGrant(Model):
    # A role given to a user directly. Kept while the user is deleted (a restore finds it); a purge removes it.

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="role_grants", on_delete=fields.CASCADE
    )
    organization_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="role_grants", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="role_grants", on_delete=fields.RESTRICT
    )
    product_id: str
    role_key = fields.CharField(max_length=64)
    granted_at = fields.DatetimeField()

    class Meta:
        table = "role_grant"
        unique_together = (("user", "product", "role_key"),)
        indexes = (("organization_id", "product_id", "role_key"),)


class GroupRole(Model):
    # A role a group gives every member.

    id = fields.BigIntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "seatwise.Group", related_name="roles", on_delete=fields.CASCADE
    )
    group_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="group_roles", on_delete=fields.RESTRICT
    )
    product_id: str
    role_key = fields.CharField(max_length=64)

    class Meta:
        table = "group_role"
        unique_together = (("group", "product", "role_key"),)
        indexes = (("product_id", "role_key"),)
