"""An admin's own account: changing the password while signed in, and an operator's reset (`seatwise reset-password`).

Both follow section 2's rules (at least 12 characters, argon2), end the admin's sessions (a change keeps the one it
came from; API tokens stay: they are credentials of their own, revoked on their own) and are audited as
`user.password_changed`, without the password."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from seatwise.models.core.clock import org_now
from seatwise.models.core.errors import DomainError, ErrorCode, Forbidden
from seatwise.models.core.inputs import checked_text, column_length
from seatwise.models.core.tables import Credential, CredentialKind, Organization, SignInFailure, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import broker
from seatwise.models.people.auth import Viewer, record_attempt
from seatwise.models.people.credentials import revoke_credentials
from seatwise.models.people.passwords import MAX_PASSWORD_LENGTH, check_password, hash_password, verify_password

OPERATOR = Actor(email=None, via="seatwise reset-password")


async def change_password(viewer: Viewer, current: str, new: str, *, now: datetime) -> int:
    """The signed-in admin's new password; every other session of the admin ends. Returns the sessions ended.

    Checks in order: the session (an API token is FORBIDDEN), the new password's format (INVALID_INPUT), the
    current password (INVALID_CREDENTIALS; failures count towards the sign-in lockout, TOO_MANY_ATTEMPTS)."""
    if viewer.credential.kind is not CredentialKind.SESSION:
        raise Forbidden("A password is changed from a signed-in session (signIn), not with an API token.")
    checked_text(current, MAX_PASSWORD_LENGTH, "The current password", "current_password")
    check_password(new, "new_password")
    if new == current:
        raise DomainError(ErrorCode.INVALID_INPUT, "The new password must differ from the current one.", "new_password")
    key = viewer.user.email.lower()
    await record_attempt(key, now=now)
    if not await verify_password(viewer.user.password_hash, current):
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "The current password is wrong.", "current_password")
    others = Credential.filter(user_id=viewer.user.id, kind=CredentialKind.SESSION).exclude(id=viewer.credential.id)
    ended = await _set_password(viewer.org, viewer.user, new, others, viewer.actor, now=now, at=viewer.now)
    return len(ended)


async def reset_password(email: str, new: str, *, now: datetime) -> User:
    """An operator's reset for an admin who lost the password: every session of the admin ends (API tokens stay).
    NOT_FOUND unless a live admin has this email."""
    key = checked_text(email.strip().lower(), column_length(User, "email"), "The email", "email")
    check_password(new, "password")
    user = await User.filter(email=key, deleted_at=None, admin_role__not_isnull=True).first()
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No admin has this email.", "email")
    org = await Organization.get(id=user.organization_id)
    sessions = Credential.filter(user_id=user.id, kind=CredentialKind.SESSION)
    await _set_password(org, user, new, sessions, OPERATOR, now=now, at=org_now(org, now))
    return user


async def _set_password(
    org: Organization, user: User, new: str, sessions, actor: Actor, *, now: datetime, at: datetime
) -> list[int]:
    """Store the hash, end `sessions`, clear the sign-in failures, audit; live subscriptions of the ended sessions
    end after commit. Returns the ids of the credentials ended."""
    password_hash = await hash_password(new)  # slow on purpose: before the transaction, in a thread
    async with in_transaction():
        await User.filter(id=user.id).update(password_hash=password_hash)
        ended = await revoke_credentials(sessions, org, actor, now=now, at=at, details={"reason": "credentials_changed"})
        await SignInFailure.filter(email=user.email.lower()).delete()
        await audit.record(
            org,
            actor,
            AuditAction.USER_PASSWORD_CHANGED,
            target_type=AuditTarget.USER,
            target_id=user.id,
            at=at,
            details={"sessionsEnded": len(ended)},
        )
    user.password_hash = password_hash
    await broker.end_credentials(org.id, ended)
    return ended
