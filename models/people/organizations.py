"""Organizations: creating one with its first GLOBAL_ADMIN and an API token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.tables import AdminRole, CredentialKind, Organization, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people import credentials, passwords
from seatwise.models.people.validation import normalize_email
from seatwise.models.seats import ledger


@dataclass
class NewOrganization:
    organization: Organization
    admin: User
    token: str | None  # None when none was asked for


async def create_organization(
    name: str,
    admin_email: str,
    *,
    admin_password: str | None = None,
    sandbox: bool = False,
    now: datetime,
    token_lifetime: timedelta | None = None,
    with_token: bool = True,
) -> NewOrganization:
    """An organization, its first GLOBAL_ADMIN and a new API token for that admin (printed once by the caller;
    `with_token` False: none, for a caller that would show nobody). The token expires after `token_lifetime`
    (None: never; the command line's `create-org` passes 30 days unless told otherwise)."""
    name = name.strip()
    if not 1 <= len(name) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "An organization name has 1 to 256 characters.", "name")
    email = normalize_email(admin_email, "admin_email")
    if admin_password is not None:
        passwords.check_password(admin_password, "admin_password")
    if await User.exists(email=email):
        raise DomainError(ErrorCode.ALREADY_EXISTS, "A user with this email already exists.", "admin_email")
    password_hash = await passwords.hash_password(admin_password) if admin_password else None
    async with in_transaction():
        org = await Organization.create(name=name, sandbox=sandbox, test_clock_now=now if sandbox else None, created_at=now)
        await ledger.open_pools(org)
        admin = await User.create(
            organization=org,
            email=email,
            display_name=email.split("@")[0],
            admin_role=AdminRole.GLOBAL_ADMIN,
            password_hash=password_hash,
            created_at=now,
        )
        actor = Actor(email=None)
        await audit.record(
            org,
            actor,
            AuditAction.USER_CREATED,
            target_type=AuditTarget.USER,
            target_id=admin.id,
            at=now,
            details={"email": email, "adminRole": AdminRole.GLOBAL_ADMIN.value, "via": "cli"},
        )
        if not with_token:
            return NewOrganization(org, admin, None)
        expires_at = (now + token_lifetime).replace(microsecond=0) if token_lifetime is not None else None
        token, credential = await credentials.issue_credential(
            admin, CredentialKind.API_TOKEN, AdminRole.GLOBAL_ADMIN, now=now, name="cli", expires_at=expires_at
        )
        await audit.record(
            org,
            actor,
            AuditAction.API_TOKEN_CREATED,
            target_type=AuditTarget.API_TOKEN,
            target_id=credential.id,
            at=now,
            details={"name": "cli", "role": AdminRole.GLOBAL_ADMIN.value},
        )
    return NewOrganization(org, admin, token)
