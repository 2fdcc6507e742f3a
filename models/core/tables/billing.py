"""The tables of billing: payment cards, subscriptions, charges, charges in flight, idempotency keys."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from seatwise.models.core.tables.enums import CardBrand, ChargeStatus, StatusReason, SubscriptionStatus
from seatwise.models.core.tables.people import Organization
from seatwise.models.core.tables.seats import Product


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
    # The expiry ("YYYY-MM") the card.expiring notice was written for: once per card and expiry period.
    expiry_noticed = fields.CharField(max_length=7, null=True)

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


class SandboxCardToken(Model):
    # A single-use card token of the sandbox gateway's tokenizer (POST /sandbox-gateway/tokens), what Stripe.js makes
    # in a browser: the number and CVC stop at the tokenizer; `outcome` is what the test number does when it is added
    # or charged (ok, decline_on_charge, declined, expired, bad_cvc). Valid 10 minutes (wall clock), used once.

    id = fields.BigIntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    brand = fields.CharEnumField(CardBrand, max_length=16)
    last4 = fields.CharField(max_length=4)
    exp_month = fields.IntField()
    exp_year = fields.IntField()
    outcome = fields.CharField(max_length=24)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sandbox_card_token"


class GatewayCustomer(Model):
    # The organization's customer at a processor (Stripe: a Customer cus_...), made when its first card is added.

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "seatwise.Organization", related_name="gateway_customers", on_delete=fields.CASCADE
    )
    organization_id: int  # the column Tortoise adds for the foreign key
    gateway = fields.CharField(max_length=16)
    reference = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    class Meta:
        table = "gateway_customer"
        unique_together = (("organization", "gateway"),)
