"""Credentials and roles: sessions from signIn, API tokens, sign-in lockout, the role table."""

from __future__ import annotations

import asyncio
import enum
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import connections
from tortoise.transactions import in_transaction

from seatwise.models.core.clock import org_now
from seatwise.models.core.db import lock_name
from seatwise.models.core.errors import DomainError, ErrorCode, Forbidden, Unauthenticated
from seatwise.models.core.inputs import checked_text, column_length, parse_id
from seatwise.models.core.tables import AdminRole, Credential, CredentialKind, Organization, SignInFailure, TokenScope, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import broker

# The roles a SCIM-scoped token may have: provisioning creates, deletes and restores users.
SCIM_ROLES = frozenset({AdminRole.GLOBAL_ADMIN, AdminRole.USER_ADMIN})
SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOKEN_BYTES = 32
LAST_USED_RESOLUTION = timedelta(minutes=1)

_hasher = PasswordHasher()
# Verifying against this keeps an unknown email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anybody")


class Capability(enum.Enum):
    MANAGE_USERS = "users and licenses"
    MANAGE_BILLING = "billing"
    SUBMIT_REQUESTS = "service requests"
    ADMINISTER = "admin roles, API tokens and the test clock"


ROLE_CAPABILITIES: dict[AdminRole, frozenset[Capability]] = {
    AdminRole.GLOBAL_ADMIN: frozenset(Capability),
    AdminRole.BILLING_ADMIN: frozenset({Capability.MANAGE_BILLING, Capability.SUBMIT_REQUESTS}),
    AdminRole.USER_ADMIN: frozenset({Capability.MANAGE_USERS, Capability.SUBMIT_REQUESTS}),
    AdminRole.READER: frozenset(),
}


def may(role: AdminRole | None, capability: Capability) -> bool:
    return role is not None and capability in ROLE_CAPABILITIES[role]


def require(actor: Actor, capability: Capability) -> None:
    """Forbidden unless the actor's role has the capability (a domain rule some mutations check inside)."""
    if not may(actor.role, capability):
        role = actor.role.value if actor.role else "billing clock"
        raise Forbidden(f"The {role} role may not manage {capability.value}.")


@dataclass
class Viewer:
    """The authenticated caller of one request, with the request's one `now`.

    `wall` is the wall-clock time at which the request was authenticated; `now` is the
    organization's time at that moment (its test clock in a sandbox). Both are fixed for the
    whole request, so every rule of one request sees the same time."""

    org: Organization
    user: User
    credential: Credential
    wall: datetime
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = org_now(self.org, self.wall)

    @property
    def role(self) -> AdminRole:
        return self.credential.role

    @property
    def actor(self) -> Actor:
        token_name = self.credential.name if self.credential.kind is CredentialKind.API_TOKEN else None
        return Actor(email=self.user.email, role=self.role, user_id=self.user.id, token_name=token_name)

    def may(self, capability: Capability) -> bool:
        return may(self.role, capability)

    def require(self, capability: Capability) -> None:
        require(self.actor, capability)

    def require_scope(self, scope: TokenScope) -> None:
        """Forbidden unless the credential may be used here: a SCIM token only provisions over /scim/v2."""
        if self.credential.scope is not scope:
            raise Forbidden(f"A {self.credential.scope.value} token cannot be used for the {scope.value} API.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "sw_" + secrets.token_urlsafe(TOKEN_BYTES)


async def hash_password(password: str) -> str:
    """argon2 is slow on purpose: it runs in a thread so that it never blocks the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


def check_password(password: str | None, subject: str) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A password has at least {MIN_PASSWORD_LENGTH} characters.", subject)
    checked_text(password, MAX_PASSWORD_LENGTH, "The password", subject)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def issue_credential(
    user: User,
    kind: CredentialKind,
    role: AdminRole,
    *,
    now: datetime,
    name: str = "",
    expires_at: datetime | None = None,
    scope: TokenScope = TokenScope.GRAPHQL,
) -> tuple[str, Credential]:
    """Create a session or API token; return the secret (shown once) and its row (only the hash is kept)."""
    token = new_token()
    credential = await Credential.create(
        organization_id=user.organization_id,
        user=user,
        kind=kind,
        role=role,
        name=name,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=expires_at,
        scope=scope,
    )
    return token, credential


_AUTH_TABLES = ((Credential, "c"), (User, "u"), (Organization, "o"))
_auth_sql: dict[str, str] = {}


def _authentication_sql(dialect: str) -> str:
    """One statement for the credential, its user and organization: the unique index on token_hash, two primary
    keys. Columns are aliased by table (c__id, u__email...), rows become models without the query builder."""
    if dialect not in _auth_sql:
        columns = ", ".join(
            f'{alias}."{column}" AS "{alias}__{column}"' for model, alias in _AUTH_TABLES for column in model._meta.db_fields
        )
        mark = "$1" if dialect == "postgres" else "?"
        _auth_sql[dialect] = (
            f'SELECT {columns} FROM "credential" c JOIN "app_user" u ON u."id" = c."user_id" '
            f'JOIN "organization" o ON o."id" = c."organization_id" WHERE c."token_hash" = {mark}'
        )
    return _auth_sql[dialect]


async def _credential_by_hash(token_hash: str) -> Credential | None:
    """The credential with this hash, its `user` and `organization` loaded: one indexed query, never cached (a
    revocation, on any instance, holds from the next request on)."""
    client = connections.get("default")
    rows = await client.execute_query_dict(_authentication_sql(client.capabilities.dialect), [token_hash])
    if not rows:
        return None
    row = rows[0]
    parts: dict[str, dict[str, Any]] = {"c": {}, "u": {}, "o": {}}
    for key, value in row.items():
        alias, _, column = key.partition("__")
        parts[alias][column] = value
    credential = Credential._init_from_db(**parts["c"])
    credential.user = User._init_from_db(**parts["u"])
    credential.organization = Organization._init_from_db(**parts["o"])
    return credential


async def authenticate(authorization: str | None, *, now: datetime) -> Viewer:
    """Resolve an `Authorization: Bearer <token>` header to a Viewer, or raise Unauthenticated."""
    if not authorization:
        raise Unauthenticated("A bearer token is required.")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
    credential = await _credential_by_hash(hash_token(token))
    if (
        credential is None
        or credential.revoked_at is not None
        or (credential.expires_at is not None and credential.expires_at <= now)
        or credential.user.deleted_at is not None
    ):
        raise Unauthenticated("The token is unknown, expired or revoked.")
    if credential.last_used_at is None or now - credential.last_used_at >= LAST_USED_RESOLUTION:
        credential.last_used_at = now
        await Credential.filter(id=credential.id).update(last_used_at=now)
    return Viewer(org=credential.organization, user=credential.user, credential=credential, wall=now)


async def sign_in(email: str, password: str, *, now: datetime) -> tuple[str, Viewer]:
    """Start a 12-hour session for an admin; lockout after 5 failures in 15 minutes (wall clock)."""
    key = checked_text(email.strip().lower(), column_length(SignInFailure, "email"), "The email", "email")
    checked_text(password, MAX_PASSWORD_LENGTH, "The password", "password")
    # The attempt is recorded (as a failure) before the password is checked, one try at a time per email (the
    # lock; without it, a try committed after a later one was counted could go unseen): of a burst of wrong
    # passwords, only the first five are even checked. A refused try is rolled back, so it does not extend the lock.
    async with in_transaction() as connection:
        await lock_name(connection, f"sign-in:{key}")
        attempt = await SignInFailure.create(email=key, at=now, using_db=connection)
        earlier = (
            await SignInFailure.filter(email=key, at__gt=now - 2 * LOCKOUT_WINDOW)
            .exclude(id=attempt.id)
            .order_by("-at", "-id")
            .limit(LOCKOUT_FAILURES)
            .using_db(connection)
        )
        locked_until = earlier[0].at + LOCKOUT_WINDOW if earlier else now
        if len(earlier) >= LOCKOUT_FAILURES and earlier[0].at - earlier[-1].at <= LOCKOUT_WINDOW and now < locked_until:
            raise DomainError(
                ErrorCode.TOO_MANY_ATTEMPTS, f"Too many failed sign-ins; try again after {locked_until.isoformat()}."
            )
    user = await User.filter(email=key, deleted_at=None).select_related("organization").first()
    valid = await asyncio.to_thread(_verify, user.password_hash if user else None, password)
    if user is None or not valid or user.admin_role is None:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "The email or password is wrong.")
    async with in_transaction():
        token, credential = await issue_credential(
            user, CredentialKind.SESSION, user.admin_role, now=now, expires_at=now + SESSION_LIFETIME
        )
        await SignInFailure.filter(email=key).delete()
        viewer = Viewer(org=user.organization, user=user, credential=credential, wall=now)
        await audit.record(
            user.organization,
            viewer.actor,
            AuditAction.SESSION_SIGNED_IN,
            target_type=AuditTarget.SESSION,
            target_id=credential.id,
            at=viewer.now,
        )
    return token, viewer


async def sign_out(viewer: Viewer, *, everywhere: bool, now: datetime) -> int:
    """End this session, or every session of the admin; API tokens stay. Returns the sessions ended."""
    async with in_transaction():
        sessions = Credential.filter(user_id=viewer.user.id, kind=CredentialKind.SESSION, revoked_at=None)
        if not everywhere:
            sessions = sessions.filter(id=viewer.credential.id)
        # An API token signing out ends nothing and records nothing.
        ended = await revoke_credentials(
            sessions, viewer.org, viewer.actor, now=now, at=viewer.now, details={"everywhere": everywhere}
        )
    await broker.end_credentials(viewer.org.id, ended)  # after commit: their live subscriptions end, on every instance
    return len(ended)


async def revoke_credentials(
    credentials, org: Organization, actor: Actor, *, now: datetime, at: datetime, details: dict
) -> list[int]:
    """Revoke the credentials of a query, one audit event per credential ended (inside the caller's transaction).
    Returns the ids of the credentials ended."""
    rows = await credentials.filter(revoked_at=None).values_list("id", "kind")
    if not rows:
        return []
    await Credential.filter(id__in=[pk for pk, _ in rows], revoked_at=None).update(revoked_at=now)
    for pk, kind in rows:
        action, target = (
            (AuditAction.SESSION_SIGNED_OUT, AuditTarget.SESSION)
            if kind == CredentialKind.SESSION
            else (AuditAction.API_TOKEN_REVOKED, AuditTarget.API_TOKEN)
        )
        await audit.record(org, actor, action, target_type=target, target_id=pk, at=at, details=details)
    return [pk for pk, _ in rows]


def _role_within(role: AdminRole, creator: AdminRole) -> bool:
    return creator is AdminRole.GLOBAL_ADMIN or role in (creator, AdminRole.READER)


async def create_api_token(
    viewer: Viewer,
    name: str,
    role: AdminRole,
    expires_in_days: int | None,
    *,
    scope: TokenScope = TokenScope.GRAPHQL,
    now: datetime,
) -> tuple[str, Credential]:
    """A new API token (the secret is returned once). A SCIM-scoped token provisions users and groups from a
    directory, so its role is GLOBAL_ADMIN or USER_ADMIN (INVALID_INPUT otherwise)."""
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise DomainError(ErrorCode.INVALID_INPUT, "A token name has 1 to 128 characters.", "name")
    checked_text(name, 128, "A token name", "name")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise DomainError(ErrorCode.INVALID_INPUT, "expiresInDays is 1 to 3650.", "expires_in_days")
    if not _role_within(role, viewer.role):
        raise DomainError(ErrorCode.INVALID_INPUT, "A token's role cannot exceed its creator's.", "role")
    if scope is TokenScope.SCIM and role not in SCIM_ROLES:
        raise DomainError(ErrorCode.INVALID_INPUT, "A SCIM token has the role GLOBAL_ADMIN or USER_ADMIN.", "scope")
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    async with in_transaction():
        token, credential = await issue_credential(
            viewer.user, CredentialKind.API_TOKEN, role, now=now, name=name, expires_at=expires_at, scope=scope
        )
        await audit.record(
            viewer.org,
            viewer.actor,
            AuditAction.API_TOKEN_CREATED,
            target_type=AuditTarget.API_TOKEN,
            target_id=credential.id,
            at=viewer.now,
            details={"name": name, "role": role.value, "scope": scope.value},
        )
    credential.user = viewer.user
    return token, credential


async def revoke_api_token(viewer: Viewer, token_id: str, *, now: datetime) -> Credential:
    """Revoke an API token of the organization; revoking a revoked token changes nothing."""
    credential = await _api_token(viewer.org, token_id)
    if credential.revoked_at is not None:
        return credential
    async with in_transaction():
        await Credential.filter(id=credential.id).update(revoked_at=now)
        await audit.record(
            viewer.org,
            viewer.actor,
            AuditAction.API_TOKEN_REVOKED,
            target_type=AuditTarget.API_TOKEN,
            target_id=credential.id,
            at=viewer.now,
            details={"name": credential.name},
        )
    await broker.end_credentials(viewer.org.id, [credential.id])  # after commit: its live subscriptions end
    credential.revoked_at = now
    return credential


async def _api_token(org: Organization, token_id: str) -> Credential:
    credential = None
    pk = parse_id(token_id)
    if pk is not None:
        credential = await Credential.get_or_none(id=pk, organization_id=org.id, kind=CredentialKind.API_TOKEN).select_related(
            "user"
        )
    if credential is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such API token.", "id")
    return credential


async def api_tokens(org: Organization) -> list[Credential]:
    return (
        await Credential.filter(organization_id=org.id, kind=CredentialKind.API_TOKEN)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


async def end_all_credentials(user: User, reason: str, *, actor: Actor, now: datetime, at: datetime) -> int:
    """Revoke every session and API token of a user (role change, deletion), each with its audit event.
    Inside the caller's transaction; `now` is the wall clock, `at` the organization's time."""
    org = await Organization.get(id=user.organization_id)
    return len(
        await revoke_credentials(Credential.filter(user_id=user.id), org, actor, now=now, at=at, details={"reason": reason})
    )


async def credentials_ended(user: User) -> None:
    """After the commit of `end_all_credentials`: end the user's live subscriptions on every instance."""
    await broker.end_credentials(user.organization_id, user_id=user.id)
