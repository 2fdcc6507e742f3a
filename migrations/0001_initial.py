import functools
from enum import Enum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# Frozen (docs/rules.md section 19): the enums as they were when this migration was written, in literal text;
# a migration never imports application code, so that changing an enum later cannot change what it creates.


class ExportFormat(str, Enum):
    JSON = "JSON"
    CSV = "CSV"


class CardBrand(str, Enum):
    VISA = "VISA"
    MASTERCARD = "MASTERCARD"
    AMEX = "AMEX"
    DISCOVER = "DISCOVER"
    UNKNOWN = "UNKNOWN"


class SubscriptionStatus(str, Enum):
    ACTIVE = "ACTIVE"
    GRACE_PERIOD = "GRACE_PERIOD"
    SUSPENDED = "SUSPENDED"
    CANCELLED = "CANCELLED"


class StatusReason(str, Enum):
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED_BY_REQUEST = "CANCELLED_BY_REQUEST"


class ChargeStatus(str, Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ServiceRequestCategory(str, Enum):
    CANCEL_SUBSCRIPTION = "CANCEL_SUBSCRIPTION"
    BILLING = "BILLING"
    LICENSING = "LICENSING"
    OTHER = "OTHER"


class ServiceRequestStatus(str, Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class AdminRole(str, Enum):
    GLOBAL_ADMIN = "GLOBAL_ADMIN"
    BILLING_ADMIN = "BILLING_ADMIN"
    USER_ADMIN = "USER_ADMIN"
    READER = "READER"


class CredentialKind(str, Enum):
    SESSION = "SESSION"
    API_TOKEN = "API_TOKEN"


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Organization",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=256)),
                ("sandbox", fields.BooleanField(default=False)),
                ("test_clock_now", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "organization", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("action", fields.CharField(max_length=64)),
                ("actor", fields.CharField(null=True, max_length=254)),
                ("target_type", fields.CharField(max_length=32)),
                ("target_id", fields.CharField(max_length=64)),
                (
                    "details",
                    fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audit_event",
                "app": "seatwise",
                "indexes": [
                    Index(fields=["organization_id", "at"]),
                    Index(fields=["organization_id", "action"]),
                    Index(fields=["organization_id", "target_id"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DataExport",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="exports",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("format", fields.CharEnumField(description="JSON: JSON\nCSV: CSV", enum_type=ExportFormat, max_length=8)),
                ("size_bytes", fields.BigIntField(default=0)),
                ("sha256", fields.CharField(default="", max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "data_export", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DataExportChunk",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "export",
                    fields.ForeignKeyField(
                        "seatwise.DataExport",
                        source_field="export_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="chunks",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("seq", fields.IntField()),
                ("data", fields.BinaryField()),
            ],
            options={"table": "data_export_chunk", "app": "seatwise", "unique_together": (("export", "seq"),), "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="idempotency_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=255)),
                ("request_hash", fields.CharField(max_length=64)),
                ("subscription_id", fields.BigIntField(null=True)),
                ("charge_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "idempotency_key",
                "app": "seatwise",
                "unique_together": (("organization", "key"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PaymentCard",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="cards",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "brand",
                    fields.CharEnumField(
                        description="VISA: VISA\nMASTERCARD: MASTERCARD\nAMEX: AMEX\nDISCOVER: DISCOVER\nUNKNOWN: UNKNOWN",
                        enum_type=CardBrand,
                        max_length=16,
                    ),
                ),
                ("last4", fields.CharField(max_length=4)),
                ("exp_month", fields.IntField()),
                ("exp_year", fields.IntField()),
                ("gateway_token", fields.CharField(max_length=128)),
                ("is_default", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "payment_card", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Product",
            fields=[
                ("sku", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ("name", fields.CharField(max_length=256)),
                ("unit_price_cents", fields.IntField()),
                ("currency", fields.CharField(default="USD", max_length=3)),
                ("position", fields.IntField(default=0)),
            ],
            options={"table": "product", "app": "seatwise", "pk_attr": "sku"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SeatPool",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pools",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "product",
                    fields.ForeignKeyField(
                        "seatwise.Product",
                        source_field="product_id",
                        db_constraint=True,
                        to_field="sku",
                        related_name="pools",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("purchased", fields.IntField(default=0)),
                ("assigned", fields.IntField(default=0)),
            ],
            options={"table": "seat_pool", "app": "seatwise", "unique_together": (("organization", "product"),), "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SignInFailure",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("email", fields.CharField(db_index=True, max_length=320)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "sign_in_failure", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Subscription",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscriptions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "product",
                    fields.ForeignKeyField(
                        "seatwise.Product",
                        source_field="product_id",
                        db_constraint=True,
                        to_field="sku",
                        related_name="subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("quantity", fields.IntField()),
                (
                    "status",
                    fields.CharEnumField(
                        db_index=True,
                        description="ACTIVE: ACTIVE\nGRACE_PERIOD: GRACE_PERIOD\nSUSPENDED: SUSPENDED\nCANCELLED: CANCELLED",
                        enum_type=SubscriptionStatus,
                        max_length=16,
                    ),
                ),
                (
                    "status_reason",
                    fields.CharEnumField(
                        null=True,
                        description="PAYMENT_FAILED: PAYMENT_FAILED\nCANCELLED_BY_REQUEST: CANCELLED_BY_REQUEST",
                        enum_type=StatusReason,
                        max_length=32,
                    ),
                ),
                ("period_anchor", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("period_index", fields.IntField(default=1)),
                ("current_period_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("current_period_end", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("cancel_at_period_end", fields.BooleanField(default=False)),
                ("grace_ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_retry_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("suspended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancelled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("version", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "subscription", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Charge",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="charges",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "subscription",
                    fields.ForeignKeyField(
                        "seatwise.Subscription",
                        source_field="subscription_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charges",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "card",
                    fields.ForeignKeyField(
                        "seatwise.PaymentCard",
                        source_field="card_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charges",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("amount_cents", fields.IntField()),
                ("currency", fields.CharField(default="USD", max_length=3)),
                (
                    "status",
                    fields.CharEnumField(
                        description="SUCCEEDED: SUCCEEDED\nFAILED: FAILED", enum_type=ChargeStatus, max_length=16
                    ),
                ),
                ("failure_code", fields.CharField(null=True, max_length=32)),
                ("description", fields.CharField(max_length=512)),
                ("gateway_reference", fields.CharField(null=True, max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "charge", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ServiceRequest",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="service_requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "category",
                    fields.CharEnumField(
                        description="CANCEL_SUBSCRIPTION: CANCEL_SUBSCRIPTION\nBILLING: BILLING\nLICENSING: LICENSING\nOTHER: OTHER",
                        enum_type=ServiceRequestCategory,
                        max_length=32,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="OPEN: OPEN\nRESOLVED: RESOLVED", enum_type=ServiceRequestStatus, max_length=16
                    ),
                ),
                ("description", fields.TextField(unique=False)),
                (
                    "subscription",
                    fields.ForeignKeyField(
                        "seatwise.Subscription",
                        source_field="subscription_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="service_requests",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("resolution", fields.TextField(null=True, unique=False)),
                ("submitted_by", fields.CharField(null=True, max_length=254)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "service_request", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="users",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("display_name", fields.CharField(max_length=256)),
                (
                    "admin_role",
                    fields.CharEnumField(
                        null=True,
                        description="GLOBAL_ADMIN: GLOBAL_ADMIN\nBILLING_ADMIN: BILLING_ADMIN\nUSER_ADMIN: USER_ADMIN\nREADER: READER",
                        enum_type=AdminRole,
                        max_length=32,
                    ),
                ),
                ("password_hash", fields.CharField(null=True, max_length=256)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("deleted_at", fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                (
                    "licenses_at_deletion",
                    fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
            ],
            options={
                "table": "app_user",
                "app": "seatwise",
                "indexes": [Index(fields=["organization_id", "email"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Credential",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="credentials",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "seatwise.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="credentials",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="SESSION: SESSION\nAPI_TOKEN: API_TOKEN", enum_type=CredentialKind, max_length=16
                    ),
                ),
                ("name", fields.CharField(default="", max_length=128)),
                (
                    "role",
                    fields.CharEnumField(
                        description="GLOBAL_ADMIN: GLOBAL_ADMIN\nBILLING_ADMIN: BILLING_ADMIN\nUSER_ADMIN: USER_ADMIN\nREADER: READER",
                        enum_type=AdminRole,
                        max_length=32,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "credential", "app": "seatwise", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LicenseAssignment",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "seatwise.Organization",
                        source_field="organization_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "seatwise.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "product",
                    fields.ForeignKeyField(
                        "seatwise.Product",
                        source_field="product_id",
                        db_constraint=True,
                        to_field="sku",
                        related_name="assignments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("assigned_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "license_assignment",
                "app": "seatwise",
                "unique_together": (("user", "product"),),
                "indexes": [Index(fields=["organization_id", "product_id", "assigned_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
