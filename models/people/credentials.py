"""Credentials, sessions and API tokens alike: issuing one (only the SHA-256 of its secret is kept), revoking
them with their audit events, ending every credential of a user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from seatwise.models.core.tables import AdminRole, Credential, CredentialKind, Organization, TokenScope, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.events.live import CredentialEnded, broker

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "sw_" + secrets.token_urlsafe(TOKEN_BYTES)


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


async def revoke_credentials(
    credentials, org: Organization, actor: Actor, *, now: datetime, at: datetime, details: dict
) -> list[int]:
    """Revoke the credentials of a query, one audit event per credential ended (inside the caller's transaction).
    Returns the ids of the credentials ended."""
    rows = await credentials.filter(revoked_at=None).values_list("id", "kind")
    if not rows:
        return []
    await Credential.filter(id__in=[pk for pk, _ in rows], revoked_at=None).update(revoked_at=now)
    # One INSERT per kind, however many credentials end (a bulk deletion of 1,000 users).
    sessions = [(pk, details) for pk, kind in rows if kind == CredentialKind.SESSION]
    tokens = [(pk, details) for pk, kind in rows if kind != CredentialKind.SESSION]
    await audit.record_each(org, actor, AuditAction.SESSION_SIGNED_OUT, AuditTarget.SESSION, sessions, at=at)
    await audit.record_each(org, actor, AuditAction.API_TOKEN_REVOKED, AuditTarget.API_TOKEN, tokens, at=at)
    return [pk for pk, _ in rows]


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


async def credentials_ended_many(organization_id: int, user_ids: list[int]) -> None:
    """`credentials_ended` for many users (a bulk deletion), in one batch."""
    await broker.publish_many([CredentialEnded(organization_id, (), uid) for uid in user_ids])
