"""Correcting a user's attributes (updateUser): display name and email, with the rules of creating a user."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.lookups import get_user
from seatwise.models.core.tables import Organization, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people.validation import check_display_name, normalize_email


def directory_managed(user: User) -> bool:
    """A user provisioned by the directory (SCIM wrote its userName): its email and display name come from there."""
    return user.user_name_key is not None


async def update_user(
    org: Organization,
    user_id: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    actor: Actor,
    now: datetime,
) -> User:
    """Change a user's display name and/or email (each optional; nothing given changes nothing). The email is
    unique across the system (ALREADY_EXISTS); a directory-provisioned user is MANAGED_BY_DIRECTORY for both;
    a deleted user is USER_DELETED. Audit `user.updated` with the fields changed (old and new)."""
    user = await get_user(org, user_id, "user_id")
    changes: dict[str, str] = {}
    if display_name is not None:
        changes["display_name"] = check_display_name(display_name, "display_name")
    if email is not None:
        changes["email"] = normalize_email(email, "email")
    if user.deleted_at is not None:
        raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", "user_id")
    changes = {name: value for name, value in changes.items() if getattr(user, name) != value}
    if changes and directory_managed(user):
        field = "email" if "email" in changes else "display_name"
        raise DomainError(ErrorCode.MANAGED_BY_DIRECTORY, "The directory (SCIM) manages this attribute.", field)
    if not changes:
        return user
    if "email" in changes and await User.exists(email=changes["email"]):
        raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this email already exists.", "email")
    details = {_API_NAMES[name]: {"from": getattr(user, name), "to": value} for name, value in changes.items()}
    async with in_transaction():
        try:
            updated = await User.filter(id=user.id, deleted_at=None).update(**changes, last_modified=now)
        except IntegrityError:  # the email taken meanwhile
            raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this email already exists.", "email") from None
        if not updated:
            raise DomainError(ErrorCode.USER_DELETED, "This user is deleted.", "user_id")
        await audit.record(
            org, actor, AuditAction.USER_UPDATED, target_type=AuditTarget.USER, target_id=user.id, at=now, details=details
        )
    return await User.get(id=user.id)


_API_NAMES = {"display_name": "displayName", "email": "email"}
