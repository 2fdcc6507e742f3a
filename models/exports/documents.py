"""The JSON of an export: a document per row of the small sections (organization, products, subscriptions, cards,
charges, service requests), and the text of each user and audit event printed straight from its row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson

from seatwise.models.billing.gateways import is_expired
from seatwise.models.core.clock import iso
from seatwise.models.core.tables import Charge, Organization, PaymentCard, ServiceRequest, Subscription
from seatwise.models.exports.rows import NOT_DELETED, Deletion, row_datetime, row_json, row_time
from seatwise.models.people.users import restorable_until, status_of
from seatwise.models.roles.effective import EffectiveRole


def _ref(pk: int | None) -> dict | None:
    return {"id": str(pk)} if pk is not None else None


def organization_doc(org: Organization, now: datetime) -> dict:
    return {"id": str(org.id), "name": org.name, "sandbox": org.sandbox, "now": iso(now), "createdAt": iso(org.created_at)}


def product_doc(product) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "unitPrice": {"amountCents": product.unit_price_cents, "currency": product.currency},
    }


def subscription_doc(sub: Subscription) -> dict:
    return {
        "id": str(sub.id),
        "product": {"sku": sub.product_id},
        "quantity": sub.quantity,
        "status": sub.status.value,
        "statusReason": sub.status_reason.value if sub.status_reason else None,
        "currentPeriodStart": iso(sub.current_period_start),
        "currentPeriodEnd": iso(sub.current_period_end),
        "cancelAtPeriodEnd": sub.cancel_at_period_end,
        "graceEndsAt": iso(sub.grace_ends_at),
        "suspendedAt": iso(sub.suspended_at),
        "cancelledAt": iso(sub.cancelled_at),
        "createdAt": iso(sub.created_at),
    }


def card_doc(card: PaymentCard, now: datetime) -> dict:
    """Masked: never the gateway token."""
    return {
        "id": str(card.id),
        "brand": card.brand.value,
        "last4": card.last4,
        "expMonth": card.exp_month,
        "expYear": card.exp_year,
        "isDefault": card.is_default,
        "expired": is_expired(card.exp_month, card.exp_year, now),
        "createdAt": iso(card.created_at),
    }


def charge_doc(charge: Charge) -> dict:
    return {
        "id": str(charge.id),
        "subscription": _ref(charge.subscription_id),
        "amount": {"amountCents": charge.amount_cents, "currency": charge.currency},
        "status": charge.status.value,
        "failureCode": charge.failure_code,
        "description": charge.description,
        "createdAt": iso(charge.created_at),
    }


def service_request_doc(row: ServiceRequest) -> dict:
    return {
        "id": str(row.id),
        "category": row.category.value,
        "status": row.status.value,
        "description": row.description,
        "subscription": _ref(row.subscription_id),
        "resolution": row.resolution,
        "createdAt": iso(row.created_at),
        "resolvedAt": iso(row.resolved_at),
    }


JSON_USER_COLUMNS = "id, email, display_name, admin_role, created_at, deleted_at, licenses_at_deletion"
JSON_LICENSE_COLUMNS = "user_id, id, product_id, assigned_at"
AUDIT_COLUMNS = "id, action, actor, target_type, target_id, details, at"


# The two big sections are printed as JSON text directly, without a dict per user, license and event: the
# same text as json.dumps(ensure_ascii=False, separators=(",", ":")) of the objects named in each docstring.
_string = json.encoder.encode_basestring  # a JSON string literal, non-ASCII characters kept as they are


def _quoted(text: str | None) -> str:
    return "null" if text is None else _string(text)


def _json_time(value: Any) -> str:
    """A stored time as a JSON string (ISO text needs no escaping), or null."""
    text = row_time(value)
    return "null" if text is None else f'"{text}"'


def roles_json(roles: list[EffectiveRole]) -> str:
    """A user's effective roles with their sources: `[{product: {sku}, key, direct, groups: [id], viaAdminRole}]`."""
    return json_text(
        [
            {
                "product": {"sku": e.role.product_sku},
                "key": e.role.key,
                "direct": e.direct,
                "groups": [str(g) for g in sorted(e.group_ids)],
                "viaAdminRole": e.via_admin_role,
            }
            for e in roles
        ]
    )


def roles_cell(roles: list[EffectiveRole]) -> str:
    """The CSV cell of a user's roles: `SKU:KEY(sources)` separated by `;`, sources `direct`, `group <id>`, `admin`."""
    cells = []
    for e in roles:
        sources = (
            (["direct"] if e.direct else [])
            + [f"group {g}" for g in sorted(e.group_ids)]
            + (["admin"] if e.via_admin_role else [])
        )
        cells.append(f"{e.role.product_sku}:{e.role.key}({'+'.join(sources)})")
    return ";".join(cells)


def user_json(user: Any, licenses: list, conflicts: set[int], roles: list[EffectiveRole] | None = None) -> str:
    """A user row (JSON_USER_COLUMNS) with its license rows (JSON_LICENSE_COLUMNS): `{id, email, displayName,
    status, adminRole, licenses: [{id, product: {sku}, assignedAt, state}], roles (see `roles_json`), createdAt,
    deletedAt, restorableUntil}`, and `licensesAtDeletion` (sorted SKUs) for a deleted user."""
    user_id, email, display_name, admin_role, created_at, deleted_at, at_deletion = user
    gone = NOT_DELETED if deleted_at is None else Deletion(row_datetime(deleted_at))
    held = ",".join(
        f'{{"id":"{license_id}","product":{{"sku":{_string(sku)}}},"assignedAt":{_json_time(assigned_at)},'
        f'"state":"{"CONFLICT" if license_id in conflicts else "ACTIVE"}"}}'
        for _, license_id, sku, assigned_at in licenses
    )
    text = (
        f'{{"id":"{user_id}","email":{_string(email)},"displayName":{_string(display_name)},'
        f'"status":"{status_of(gone, len(licenses)).value}","adminRole":{_quoted(admin_role)},"licenses":[{held}],'
        f'"roles":{roles_json(roles or [])},"createdAt":{_json_time(created_at)},"deletedAt":{_json_time(deleted_at)},'
    )
    if deleted_at is None:
        return text + '"restorableUntil":null}'
    restorable = _quoted(iso(restorable_until(gone)))
    return f'{text}"restorableUntil":{restorable},"licensesAtDeletion":{json_text(sorted(row_json(at_deletion) or []))}}}'


def audit_json(row: Any) -> str:
    """An audit event row (AUDIT_COLUMNS): `{id, action, actor, targetType, targetId, details, at}`."""
    event_id, action, actor, target_type, target_id, details, at = row
    return (
        f'{{"id":"{event_id}","action":{_quoted(action)},"actor":{_quoted(actor)},"targetType":{_quoted(target_type)},'
        f'"targetId":{_quoted(target_id)},"details":{json_text(row_json(details))},"at":{_json_time(at)}}}'
    )


def json_bytes(doc: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) writes
    (floats aside: 1e-07 is 1e-7), several times faster; what it refuses (a non-string key, an integer beyond
    64 bits) goes to json."""
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def json_text(doc: Any) -> str:
    return json_bytes(doc).decode()
