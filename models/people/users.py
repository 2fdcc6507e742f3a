"""Users: email rules, creation with licenses, admin roles, deletion and the 30-day restore window."""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from seatwise.models.catalog.products import MAX_SKU, catalog, get_product
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text, column_length, query_text
from seatwise.models.core.lookups import get_user, lock_organization
from seatwise.models.core.pages import Keyset
from seatwise.models.core.tables import (
    AdminRole,
    GroupMember,
    GroupProduct,
    LicenseAssignment,
    LicenseWait,
    Organization,
    Product,
    User,
)
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import LicenseEventKind
from seatwise.models.people import auth
from seatwise.models.people.auth import Capability
from seatwise.models.seats import ledger

RESTORE_WINDOW = timedelta(days=30)
# The users page: by email (unique across organizations).
USER_ORDER = Keyset(("email",))
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")


class UserStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    DELETED = "DELETED"


def normalize_email(raw: str, subject: str) -> str:
    """Trim, lower-case and check the syntax of docs/rules.md section 4; INVALID_INPUT otherwise."""
    email = raw.strip()
    ascii_only = email.isascii()  # checked before lower-casing, which maps some non-ASCII letters to ASCII
    email = email.lower()
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    valid = (
        ascii_only
        and len(email) <= 254
        and at == "@"
        and "@" not in local
        and _LOCAL.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
    )
    if not valid:
        raise DomainError(ErrorCode.INVALID_INPUT, "This is not a valid email address.", subject)
    return email


def check_display_name(raw: str, subject: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A display name has 1 to 256 characters.", subject)
    return checked_text(name, 256, "A display name", subject)


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
    directory: dict[str, Any] | None = None,
    actor: Actor,
    now: datetime,
) -> User:
    """Create a user with its licenses, all or none. Giving an admin role needs the GLOBAL_ADMIN capability.
    `directory` holds the SCIM columns of a provisioned user (models/scim_users.py); a userName taken is
    ALREADY_EXISTS with the subject "user_name"."""
    if admin_role is not None:
        auth.require(actor, Capability.ADMINISTER)
    email = normalize_email(email, "email")
    name = check_display_name(display_name, "display_name")
    if password is not None:
        auth.check_password(password, "password")
    skus = list(product_skus or [])
    for index, sku in enumerate(skus):
        if sku in skus[:index]:
            raise DomainError(ErrorCode.INVALID_INPUT, "This product is listed twice.", f"product_skus[{index}]")
    for index, sku in enumerate(skus):
        await get_product(sku, f"product_skus[{index}]")
    if await User.exists(email=email):
        raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this email already exists.", "email")
    password_hash = await auth.hash_password(password) if password is not None else None
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
                **(directory or {}),
            )
        except IntegrityError:
            if directory and await User.exists(organization_id=org.id, user_name_key=directory.get("user_name_key")):
                raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this userName already exists.", "user_name") from None
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
        raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is deleted.", "user_id")
    if user.admin_role == role:
        return user
    async with in_transaction():
        await lock_organization(org)
        user = await User.get(id=user.id)
        if role is not AdminRole.GLOBAL_ADMIN and await is_last_global_admin(org, user):
            raise DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be demoted.", "role")
        previous = user.admin_role
        user.admin_role = role
        await user.save(update_fields=["admin_role"])
        ended = await auth.end_all_credentials(
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
    await auth.credentials_ended(user)
    return user


async def delete_user(
    org: Organization, user_id: str, *, actor: Actor, now: datetime, wall: datetime | None = None, scim_delete: bool = False
) -> User:
    """Delete a user: free its licenses (remembered for a restore), end its sessions and tokens. `scim_delete`:
    a SCIM DELETE, after which the SCIM resource answers 404 (a deactivation by `active: false` stays readable)."""
    user = await get_user(org, user_id, "user_id")
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is already deleted.", "user_id")
    async with ledger.change(org, actor=actor, now=now) as change:
        await lock_organization(org)
        if await is_last_global_admin(org, await User.get(id=user.id)):
            raise DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be deleted.", "user_id")
        # Pools first (the products held, waited for or granted by the user's groups), then the user row.
        direct = dict(await LicenseAssignment.filter(user_id=user.id).values_list("product_id", "direct"))
        await change.lock(
            *direct,
            *await _group_products(user),
            *cast(list[str], await LicenseWait.filter(user_id=user.id).values_list("product_id", flat=True)),
        )
        hidden = {"scim_deleted_at": now} if scim_delete else {}
        if not await User.filter(id=user.id, deleted_at=None).update(deleted_at=now, last_modified=now, **hidden):
            raise DomainError(ErrorCode.USER_DELETED, f"User {user.email} is already deleted.", "user_id")
        skus = await change.release_all(user)  # also ends the user's waits; memberships are kept
        # A restore gives back the direct licenses; the groups grant theirs again.
        await User.filter(id=user.id).update(licenses_at_deletion=[sku for sku in skus if direct.get(sku, True)])
        await auth.end_all_credentials(user, AuditAction.USER_DELETED.value, actor=actor, now=wall or now, at=now)
        await change.audit(AuditAction.USER_DELETED, AuditTarget.USER, user.id, {"email": user.email, "licenses": skus})
    await auth.credentials_ended(user)  # after commit: open live-event subscriptions of the user end everywhere
    return await User.get(id=user.id)


async def restore_user(
    org: Organization, user_id: str, *, actor: Actor, now: datetime, without_admin_role: bool = False
) -> tuple[User, list[Product]]:
    """Undelete inside the window; licenses come back where free, the rest are listed.

    Restoring a user who holds an admin role gives that role back: it needs the capability to grant
    roles (GLOBAL_ADMIN), as creating an admin does; otherwise Forbidden and nothing changes.
    `without_admin_role` (SCIM's `active: true`): the person comes back without their admin role and password,
    audited as `user.admin_role_changed`."""
    user = await get_user(org, user_id, "user_id")
    if user.deleted_at is None:
        raise DomainError(ErrorCode.USER_NOT_DELETED, f"User {user.email} is not deleted.", "user_id")
    if now > user.deleted_at + RESTORE_WINDOW:
        raise DomainError(
            ErrorCode.RESTORE_WINDOW_EXPIRED,
            f"User {user.email} could be restored until {(user.deleted_at + RESTORE_WINDOW).isoformat()}.",
            "user_id",
        )
    if user.admin_role is not None and not without_admin_role:
        auth.require(actor, Capability.ADMINISTER)
    wanted = list(user.licenses_at_deletion or [])
    restored: list[str] = []
    from_groups = await _group_products(user)  # read before the change: its first statement is a lock (a write)
    async with ledger.change(org, actor=actor, now=now) as change:
        await change.lock(*wanted, *from_groups)
        if not await User.filter(id=user.id, deleted_at__isnull=False).update(
            deleted_at=None, licenses_at_deletion=[], scim_deleted_at=None, last_modified=now
        ):
            raise DomainError(ErrorCode.USER_NOT_DELETED, f"User {user.email} is not deleted.", "user_id")
        if without_admin_role:
            previous = (await User.get(id=user.id)).admin_role
            if previous is not None:
                await User.filter(id=user.id).update(admin_role=None, password_hash=None)
                await change.audit(
                    AuditAction.USER_ADMIN_ROLE_CHANGED,
                    AuditTarget.USER,
                    user.id,
                    {"from": previous.value, "to": None, "reason": "restored without its admin role"},
                )
        user.deleted_at = None
        from_groups = await _group_products(user)  # again under the user's row lock: a group changed meanwhile
        await change.lock(*from_groups)
        for sku in wanted:
            if await change.try_grant(user, sku, event=LicenseEventKind.USER_RESTORED):
                restored.append(sku)
        for sku in sorted(from_groups):  # the groups grant their products again: a license if free, else a wait
            await change.grant_from_group([user], sku, None)
        missing = [sku for sku in wanted if sku not in restored]
        await change.audit(
            AuditAction.USER_RESTORED, AuditTarget.USER, user.id, {"licensesRestored": restored, "licensesNotRestored": missing}
        )
    products = {p.sku: p for p in await catalog()}
    return await User.get(id=user.id), [products[sku] for sku in missing if sku in products]


async def _group_products(user: User) -> set[str]:
    """The products the user's groups grant."""
    groups = GroupMember.filter(user_id=user.id).values("group_id")
    return set(cast(list[str], await GroupProduct.filter(group_id__in=Subquery(groups)).values_list("product_id", flat=True)))


async def purge_deleted(org: Organization, *, actor: Actor, now: datetime) -> int:
    """Remove users deleted more than 30 days ago (the billing clock calls this). Returns how many."""
    purged = 0
    for user in await User.filter(organization_id=org.id, deleted_at__lt=now - RESTORE_WINDOW):
        async with in_transaction():
            if await User.filter(id=user.id, deleted_at__lt=now - RESTORE_WINDOW).delete():
                await GroupMember.filter(user_id=user.id).delete()  # purged users leave their groups (also by CASCADE)
                await audit.record(
                    org,
                    actor,
                    AuditAction.USER_PURGED,
                    target_type=AuditTarget.USER,
                    target_id=user.id,
                    at=now,
                    details={"email": user.email},
                )
                purged += 1
    return purged
