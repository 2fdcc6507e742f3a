"""The tables of organizations and the people in them: users, their credentials, failed sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.models import Model

from seatwise.models.core.tables.enums import AdminRole, CredentialKind, TokenScope

# A user's `latest_use` when no license of theirs was ever used: after every real moment.
NEVER_USED = datetime(9999, 12, 31, tzinfo=UTC)


class Organization(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=256)
    sandbox = fields.BooleanField(default=False)
    # A sandbox's test clock; null for organizations on the wall clock.
    test_clock_now = fields.DatetimeField(null=True)
    # Wall-clock time at which an advanceTestClock claimed the test clock (one advance at a time).
    test_clock_claimed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "organization"


class User(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="users", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    email = fields.CharField(max_length=254, unique=True)
    display_name = fields.CharField(max_length=256)
    admin_role: AdminRole | None = fields.CharEnumField(AdminRole, max_length=32, null=True)  # type: ignore[assignment]  # Tortoise types CharEnumField as never null
    password_hash = fields.CharField(max_length=256, null=True)
    created_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True, db_index=True)
    # SKUs the user held when deleted, given back by a restore where licenses are free.
    licenses_at_deletion: list[str] = fields.JSONField(default=list)
    # SCIM provisioning (docs/rules.md section 11.2): the directory's attributes as written. `user_name_key` is the
    # lower-cased userName (unique in the organization); null userName reads as the email.
    external_id = fields.CharField(max_length=256, null=True)
    user_name = fields.CharField(max_length=256, null=True)
    user_name_key = fields.CharField(max_length=256, null=True)
    given_name = fields.CharField(max_length=256, null=True)
    family_name = fields.CharField(max_length=256, null=True)
    formatted_name = fields.CharField(max_length=256, null=True)
    emails: list[dict[str, Any]] | None = fields.JSONField(null=True)
    # When a SCIM DELETE removed the user (the SCIM resource answers 404; a GraphQL restore brings it back);
    # a user deactivated by `active: false` has deleted_at without this.
    scim_deleted_at = fields.DatetimeField(null=True)
    last_modified = fields.DatetimeField(null=True)  # SCIM meta.lastModified (null: created_at)
    # False when the display name was derived (SCIM wrote no displayName): it is then not a SCIM attribute.
    display_name_set = fields.BooleanField(default=True)
    # The latest use of any of the user's licenses (models/usage/uses.py moves it with the license's), NEVER_USED
    # when none was ever used: the key of the users page by LAST_USED_AT (never used: last in ascending order).
    latest_use = fields.DatetimeField(default=NEVER_USED, db_default=SqlDefault("'9999-12-31 00:00:00+00:00'"))

    class Meta:
        table = "app_user"
        # (organization_id, id): the keyset batches of data exports; (organization_id, deleted_at): the COUNT of
        # the users page from the index alone
        indexes = (
            ("organization_id", "email"),
            ("organization_id", "external_id"),
            ("organization_id", "id"),
            ("organization_id", "deleted_at"),
            # the users page in every order but email (migration 0019_user_orders)
            ("organization_id", "display_name", "id"),
            ("organization_id", "created_at", "id"),
            ("organization_id", "latest_use", "id"),
        )
        unique_together = (("organization", "user_name_key"),)


class Credential(Model):
    # A session (from signIn) or an API token; only the SHA-256 of the secret is kept.

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="credentials", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="credentials", on_delete=fields.CASCADE
    )
    user_id: int  # the column Tortoise adds for the foreign key
    kind = fields.CharEnumField(CredentialKind, max_length=16)
    scope = fields.CharEnumField(TokenScope, max_length=16, default=TokenScope.GRAPHQL)
    name = fields.CharField(max_length=128, default="")
    role = fields.CharEnumField(AdminRole, max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "credential"


class SignInFailure(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=320, db_index=True)
    at = fields.DatetimeField()

    class Meta:
        table = "sign_in_failure"
