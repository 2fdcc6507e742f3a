"""Tortoise models: the tables of Seatwise. Rules live in the domain modules beside this one."""

from __future__ import annotations

import enum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class AdminRole(str, enum.Enum):
    GLOBAL_ADMIN = "GLOBAL_ADMIN"
    BILLING_ADMIN = "BILLING_ADMIN"
    USER_ADMIN = "USER_ADMIN"
    READER = "READER"


class CredentialKind(str, enum.Enum):
    SESSION = "SESSION"
    API_TOKEN = "API_TOKEN"


class TokenScope(str, enum.Enum):
    GRAPHQL = "GRAPHQL"  # the GraphQL API at /graphql
    SCIM = "SCIM"  # directory provisioning at /scim/v2 only


class SubscriptionStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    GRACE_PERIOD = "GRACE_PERIOD"
    SUSPENDED = "SUSPENDED"
    CANCELLED = "CANCELLED"


class StatusReason(str, enum.Enum):
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED_BY_REQUEST = "CANCELLED_BY_REQUEST"


class CardBrand(str, enum.Enum):
    VISA = "VISA"
    MASTERCARD = "MASTERCARD"
    AMEX = "AMEX"
    DISCOVER = "DISCOVER"
    UNKNOWN = "UNKNOWN"


class ChargeStatus(str, enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ServiceRequestCategory(str, enum.Enum):
    CANCEL_SUBSCRIPTION = "CANCEL_SUBSCRIPTION"
    BILLING = "BILLING"
    LICENSING = "LICENSING"
    OTHER = "OTHER"


class ServiceRequestStatus(str, enum.Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class GroupSource(str, enum.Enum):
    SEATWISE = "SEATWISE"
    DIRECTORY = "DIRECTORY"


class ExportFormat(str, enum.Enum):
    JSON = "JSON"
    CSV = "CSV"


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


class Product(Model):
    sku = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=256)
    unit_price_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="USD")
    position = fields.IntField(default=0)

    class Meta:
        table = "product"


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

    class Meta:
        table = "app_user"
        # (organization_id, id): the keyset batches of data exports; (organization_id, deleted_at): the COUNT of
        # the users page from the index alone
        indexes = (
            ("organization_id", "email"),
            ("organization_id", "external_id"),
            ("organization_id", "id"),
            ("organization_id", "deleted_at"),
        )
        unique_together = (("organization", "user_name_key"),)


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
    # purchased licenses, set by the seat ledger at the end of every change of this pool (null when not in conflict,
    # or not yet stored for a pool last changed before migration 0010: readers then find it in the index).
    line_assigned_at = fields.DatetimeField(null=True)
    line_id = fields.BigIntField(null=True)

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

    class Meta:
        table = "license_assignment"
        unique_together = (("user", "product"),)
        indexes = (("organization_id", "product_id", "assigned_at", "id"),)


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


class PaymentCard(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="cards", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    brand = fields.CharEnumField(CardBrand, max_length=16)
    last4 = fields.CharField(max_length=4)
    exp_month = fields.IntField()
    exp_year = fields.IntField()
    gateway_token = fields.CharField(max_length=128)
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "payment_card"


class Subscription(Model):
    # A billing subscription to one product (the GraphQL ProductSubscription).

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="subscriptions", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="subscriptions", on_delete=fields.RESTRICT
    )
    product_id: str  # the column Tortoise adds for the foreign key
    quantity = fields.IntField()
    status = fields.CharEnumField(SubscriptionStatus, max_length=16, db_index=True)
    status_reason = fields.CharEnumField(StatusReason, max_length=32, null=True)
    # Periods are calendar months from the anchor: period k ends at anchor + k months.
    period_anchor = fields.DatetimeField()
    period_index = fields.IntField(default=1)
    current_period_start = fields.DatetimeField()
    current_period_end = fields.DatetimeField(db_index=True)
    cancel_at_period_end = fields.BooleanField(default=False)
    grace_ends_at = fields.DatetimeField(null=True)
    last_retry_at = fields.DatetimeField(null=True)
    suspended_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    # Bumped by every billing change: the clock's claim is a conditional UPDATE on it.
    version = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "subscription"


class Charge(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="charges", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "seatwise.Subscription", related_name="charges", null=True, on_delete=fields.SET_NULL
    )
    subscription_id: int | None  # the column Tortoise adds for the foreign key
    card: fields.ForeignKeyNullableRelation[PaymentCard] = fields.ForeignKeyField(
        "seatwise.PaymentCard", related_name="charges", null=True, on_delete=fields.SET_NULL
    )
    card_id: int | None  # the column Tortoise adds for the foreign key
    amount_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="USD")
    status = fields.CharEnumField(ChargeStatus, max_length=16)
    failure_code = fields.CharField(max_length=32, null=True)
    description = fields.CharField(max_length=512)
    gateway_reference = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "charge"
        indexes = (("organization_id", "created_at", "id"),)


class ChargeAttempt(Model):
    # A charge on its way to the payment gateway, recorded before the gateway is called and removed
    # when its outcome is applied (as a Charge). `key` names what is paid for (a purchase's idempotency
    # key, a period's renewal); `gateway_key` is the idempotency key sent to the gateway, so a retry
    # after a crash asks the gateway for the same charge instead of a second one, while a new attempt
    # after a failed one is a new charge. `claimed_at` (wall clock) is the lease of the process working on it.

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="charge_attempts", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    key = fields.CharField(max_length=255, unique=True)
    gateway_key = fields.CharField(max_length=255)
    card: fields.ForeignKeyNullableRelation[PaymentCard] = fields.ForeignKeyField(
        "seatwise.PaymentCard", related_name="charge_attempts", null=True, on_delete=fields.SET_NULL
    )
    card_id: int | None  # the column Tortoise adds for the foreign key
    subscription_id = fields.BigIntField(null=True)
    amount_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="USD")
    description = fields.CharField(max_length=512)
    # What the charge pays for, to apply it the same way after a crash (e.g. a purchase's quantity and period end).
    details: dict[str, Any] = fields.JSONField(default=dict)
    claimed_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "charge_attempt"


class IdempotencyKey(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    subscription_id = fields.BigIntField(null=True)
    charge_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "idempotency_key"
        unique_together = (("organization", "key"),)


class ServiceRequest(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="service_requests", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    category = fields.CharEnumField(ServiceRequestCategory, max_length=32)
    status = fields.CharEnumField(ServiceRequestStatus, max_length=16)
    description = fields.TextField()
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "seatwise.Subscription", related_name="service_requests", null=True, on_delete=fields.SET_NULL
    )
    subscription_id: int | None  # the column Tortoise adds for the foreign key
    resolution = fields.TextField(null=True)
    submitted_by = fields.CharField(max_length=254, null=True)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "service_request"
        indexes = (("organization_id", "created_at", "id"),)


class DataExport(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="exports", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    format = fields.CharEnumField(ExportFormat, max_length=8)
    size_bytes = fields.BigIntField(default=0)
    sha256 = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "data_export"


class DataExportChunk(Model):
    # The export file, stored as ordered chunks so that every server instance can serve it.

    id = fields.BigIntField(primary_key=True)
    export: fields.ForeignKeyRelation[DataExport] = fields.ForeignKeyField(
        "seatwise.DataExport", related_name="chunks", on_delete=fields.CASCADE
    )
    export_id: int  # the column Tortoise adds for the foreign key
    seq = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "data_export_chunk"
        unique_together = (("export", "seq"),)


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="audit_events", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    action = fields.CharField(max_length=64)
    actor = fields.CharField(max_length=254, null=True)
    target_type = fields.CharField(max_length=32)
    target_id = fields.CharField(max_length=64)
    details: dict[str, Any] = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    class Meta:
        table = "audit_event"
        # (organization_id, id): the keyset batches of data exports
        indexes = (
            ("organization_id", "at", "id"),
            ("organization_id", "action"),
            ("organization_id", "target_id"),
            ("organization_id", "id"),
        )
