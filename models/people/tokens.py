"""API tokens: creating one for an admin (its role within the creator's), listing and revoking them."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import checked_text, parse_id
from seatwise.models.core.tables import AdminRole, Credential, CredentialKind, Organization, TokenScope
from seatwise.models.events import audit
from seatwise.models.events.audit import AuditAction, AuditTarget
from seatwise.models.events.live import broker
from seatwise.models.people.auth import Viewer
from seatwise.models.people.credentials import issue_credential

# The roles a SCIM-scoped token may have: provisioning creates, deletes and restores users.
SCIM_ROLES = frozenset({AdminRole.GLOBAL_ADMIN, AdminRole.USER_ADMIN})


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
    # Whole seconds, as every DateTime reads (the stored expiry is the one shown).
    expires_at = (now + timedelta(days=expires_in_days)).replace(microsecond=0) if expires_in_days else None
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
