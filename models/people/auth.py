"""Authentication: the Viewer of a request, from a bearer token (`authenticate`) or from an admin's email and
password (`sign_in`, a 12-hour session; lockout after 5 failures in 15 minutes), and signing out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from seatwise.models.core.clock import org_now
from seatwise.models.core.db import lock_name, placeholders
from seatwise.models.core.errors import DomainError, ErrorCode, Forbidden, Unauthenticated
from seatwise.models.core.inputs import checked_text, column_length
from seatwise.models.core.tables import AdminRole, Credential, CredentialKind, Organization, SignInFailure, TokenScope, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import broker
from seatwise.models.people.credentials import hash_token, issue_credential, revoke_credentials
from seatwise.models.people.passwords import MAX_PASSWORD_LENGTH, verify_password
from seatwise.models.people.roles import Capability, may, require

SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LAST_USED_RESOLUTION = timedelta(minutes=1)


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


_AUTH_TABLES = ((Credential, "c"), (User, "u"), (Organization, "o"))
_auth_sql: dict[str, str] = {}


def _authentication_sql(dialect: str) -> str:
    """One statement for the credential, its user and organization: the unique index on token_hash, two primary
    keys. Columns are aliased by table (c__id, u__email...), rows become models without the query builder."""
    if dialect not in _auth_sql:
        columns = ", ".join(
            f'{alias}."{column}" AS "{alias}__{column}"' for model, alias in _AUTH_TABLES for column in model._meta.db_fields
        )
        _auth_sql[dialect] = placeholders(
            f'SELECT {columns} FROM "credential" c JOIN "app_user" u ON u."id" = c."user_id" '
            f'JOIN "organization" o ON o."id" = c."organization_id" WHERE c."token_hash" = ?',
            dialect,
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
    await record_attempt(key, now=now)
    user = await User.filter(email=key, deleted_at=None).select_related("organization").first()
    valid = await verify_password(user.password_hash if user else None, password)
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


async def record_attempt(key: str, *, now: datetime) -> None:
    """Count a password try for the email `key` (lowercased) as a failure until it succeeds; TOO_MANY_ATTEMPTS after
    5 failures in 15 minutes. Sign-ins and password changes share the count: a stolen session cannot guess on.

    The attempt is recorded (as a failure) before the password is checked, one try at a time per email (the
    lock; without it, a try committed after a later one was counted could go unseen): of a burst of wrong
    passwords, only the first five are even checked. A refused try is rolled back, so it does not extend the lock."""
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
