"""Users: their status, the users page, creating a user with its licenses, giving or removing an admin role."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import MAX_SKU, get_product
from seatwise.models.core.atomic import after_commit
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import column_length, query_text
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.lookups import get_user
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import AdminRole, LicenseAssignment, Organization, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people import credentials, passwords, roles
from seatwise.models.people.roles import Capability
from seatwise.models.people.validation import check_display_name, normalize_email
from seatwise.models.seats import ledger

RESTORE_WINDOW = timedelta(days=30)
# The users page: by email (unique across organizations).
USER_ORDER = Keyset(("email",))


class UserStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    DELETED = "DELETED"


class Deletable(Protocol):
    """A user row (a model or an export's tuple): what a status needs."""

    @property
    def deleted_at(self) -> datetime | None: ...


def status_of(user: Deletable, license_count: int) -> UserStatus:
    if user.deleted_at is not None:
        return UserStatus.DELETED
    return UserStatus.ACTIVE if license_count else UserStatus.DISABLED


def restorable_until(user: Deletable) -> datetime | None:
    return user.deleted_at + RESTORE_WINDOW if user.deleted_at else None


def users_query(
    org: Organization, *, status: UserStatus | None = None, sku: str | None = None, search: str | None = None
) -> QuerySet[User]:
    """Users ordered by email; deleted users only when asked for by status."""
    sku = query_text(sku, MAX_SKU, "The productSku filter")
    search = query_text(search, column_length(User, "display_name"), "The search filter")
    query = User.filter(organization_id=org.id)
    holders = LicenseAssignment.filter(organization_id=org.id)
    if status is UserStatus.DELETED:
        query = query.filter(deleted_at__isnull=False)
    else:
        query = query.filter(deleted_at=None)
        if status is UserStatus.ACTIVE:
            query = query.filter(id__in=Subquery(holders.values("user_id")))
        elif status is UserStatus.DISABLED:
            query = query.exclude(id__in=Subquery(holders.values("user_id")))
    if sku:
        query = query.filter(id__in=Subquery(holders.filter(product_id=sku).values("user_id")))
    if search and search.strip():
        term = search.strip()
        query = query.filter(Q(email__icontains=term) | Q(display_name__icontains=term))
    return query.order_by(*USER_ORDER.fields)


async def is_last_global_admin(org: Organization, user: User) -> bool:
    if user.admin_role is not AdminRole.GLOBAL_ADMIN:
        return False
    others = (
        await User.filter(organization_id=org.id, admin_role=AdminRole.GLOBAL_ADMIN, deleted_at=None).exclude(id=user.id).count()
    )
    return others == 0


async def create_user(
    org: Organization,
    email: str,
    display_name: str,
    *,
    product_skus: list[str] | None = None,
    admin_role: AdminRole | None = None,
    password: str | None = None,
    columns: Mapping[str, Any] | None = None,
    actor: Actor,
    now: datetime,
) -> User:
    """Create a user with its licenses, all or none. Giving an admin role needs the GLOBAL_ADMIN capability.
    `columns`: more columns of the new row, written by the area that owns them (the directory's attributes of a
    user provisioned over SCIM: models/scim/provisioning.py); one of them taken is ALREADY_EXISTS as the email is,
    and the caller tells its own column apart."""
    if admin_role is not None:
        roles.require(actor, Capability.ADMINISTER)
    email = normalize_email(email, "email")
    name = check_display_name(display_name, "display_name")
    if password is not None:
        passwords.check_password(password, "password")
    skus = list(product_skus or [])
    for index, sku in enumerate(skus):
        if sku in skus[:index]:
            raise DomainError(ErrorCode.INVALID_INPUT, "This product is listed twice.", f"product_skus[{index}]")
    for index, sku in enumerate(skus):
        await get_product(sku, f"product_skus[{index}]")
    if await User.exists(email=email):
        raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this email already exists.", "email")
    password_hash = await passwords.hash_password(password) if password is not None else None
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(*skus)
        try:
            user = await User.create(
                organization_id=org.id,
                email=email,
                display_name=name,
                admin_role=admin_role,
                password_hash=password_hash,
                created_at=now,
                **(columns or {}),
            )
        except IntegrityError:  # the email taken meanwhile, or a unique column of `columns`
            raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this email already exists.", "email") from None
        await change.audit(
            AuditAction.USER_CREATED,
            AuditTarget.USER,
            user.id,
            {"email": email, "adminRole": admin_role.value if admin_role else None},
        )
        for index, sku in enumerate(skus):
            await change.grant(user, sku, subject=f"product_skus[{index}]")
    return user


async def set_admin_role(
    org: Organization, user_id: str, role: AdminRole | None, *, actor: Actor, now: datetime, wall: datetime | None = None
) -> User:
    """Give, change or remove (None) an admin role; the user's sessions and API tokens end.
    `wall` is the wall-clock time stamped on the credentials ended (default `now`)."""
    user = await get_user(org, user_id, "user_id")
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", "user_id")
    if user.admin_role == role:
        return user
    async with in_transaction():
        await hold_organization(org)
        user = await User.get(id=user.id)
        if role is not AdminRole.GLOBAL_ADMIN and await is_last_global_admin(org, user):
            raise DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be demoted.", "role")
        previous = user.admin_role
        user.admin_role = role
        await user.save(update_fields=["admin_role"])
        ended = await credentials.end_all_credentials(
            user, AuditAction.USER_ADMIN_ROLE_CHANGED.value, actor=actor, now=wall or now, at=now
        )
        await audit.record(
            org,
            actor,
            AuditAction.USER_ADMIN_ROLE_CHANGED,
            target_type=AuditTarget.USER,
            target_id=user.id,
            at=now,
            details={"from": previous.value if previous else None, "to": role.value if role else None, "credentialsEnded": ended},
        )
    await after_commit(lambda: credentials.credentials_ended(user))
    return user
