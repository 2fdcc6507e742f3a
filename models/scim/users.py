"""SCIM Users (docs/rules.md section 11.2): reading and changing Seatwise users as RFC 7643 User resources.

A resource's kept attributes are models/scim/user_resource.py's. `active: false` is deleteUser and `active: true`
restoreUser (without the admin role or password); DELETE deletes and hides the resource (models/scim/provisioning.py).
Every change goes through models/people/ and the seat ledger, audited with the token's owner as actor and `details.via`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from seatwise.models.core.atomic import atomic
from seatwise.models.core.errors import DomainError, ErrorCode
from seatwise.models.core.inputs import parse_id
from seatwise.models.core.locks import hold_organization
from seatwise.models.core.tables import Organization, User
from seatwise.models.events import audit
from seatwise.models.events.audit import Actor, AuditAction, AuditTarget
from seatwise.models.people import deletion, users
from seatwise.models.scim import provisioning
from seatwise.models.scim.errors import ScimError, from_domain, not_found
from seatwise.models.scim.filter import user_filter
from seatwise.models.scim.patch import apply
from seatwise.models.scim.user_resource import USER_SPEC, UserState, current_state, document, state_of


def _columns(state: UserState) -> dict[str, Any]:
    return {
        "user_name": state.user_name,
        "user_name_key": state.user_name.lower(),
        "external_id": state.external_id,
        "given_name": state.given_name,
        "family_name": state.family_name,
        "formatted_name": state.formatted_name,
        "emails": state.email_list,
        "display_name": state.derived_display_name(),
        "display_name_set": state.display_name is not None and bool(state.display_name.strip()),
    }


async def _check_unique(org: Organization, state: UserState, email: str, user: User | None) -> None:
    key = state.user_name.lower()
    same_name = User.filter(organization_id=org.id).filter(Q(user_name_key=key) | Q(user_name_key__isnull=True, email=key))
    same_email = User.filter(email=email)
    if user is not None:
        same_name, same_email = same_name.exclude(id=user.id), same_email.exclude(id=user.id)
    if await same_name.exists():
        raise ScimError(409, "A user with this userName already exists.", "uniqueness")
    if await same_email.exists():
        raise ScimError(409, "A user with this email already exists.", "uniqueness")


# ---------------------------------------------------------------- reading


async def get(org: Organization, raw_id: str) -> User:
    """A user of the organization that a SCIM DELETE has not removed; 404 otherwise (a malformed id too)."""
    pk = parse_id(raw_id)
    user = await User.get_or_none(id=pk, organization_id=org.id, scim_deleted_at=None) if pk is not None else None
    if user is None:
        raise not_found("user", raw_id)
    return user


async def page(org: Organization, filter_text: str | None, start_index: int, count: int) -> tuple[list[User], int]:
    """A page of users by id (1-based `start_index`), and how many match: two statements at any size."""
    query = User.filter(organization_id=org.id, scim_deleted_at=None)
    if filter_text is not None and filter_text.strip():
        query = query.filter(user_filter(filter_text))
    total = await query.count()
    rows = await query.order_by("id").offset(start_index - 1).limit(count) if count > 0 else []
    return list(rows), total


# ---------------------------------------------------------------- changing


async def create(org: Organization, body: Any, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """POST /Users: a new user (deactivated at once when `active` is false), in one transaction."""
    state = state_of(body)
    email = state.seatwise_email()
    async with _request(org):
        await _check_unique(org, state, email, None)
        try:
            user = await provisioning.create_user(
                org,
                email,
                state.derived_display_name(),
                {**{k: v for k, v in _columns(state).items() if k != "display_name"}, "last_modified": now},
                actor=actor,
                now=now,
            )
        except DomainError as error:
            raise from_domain(error) from None
        if not state.active:
            user = await _deactivate(org, user, actor=actor, now=now, wall=wall)
    return user


async def replace(org: Organization, raw_id: str, body: Any, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """PUT /Users/{id}: the whole resource (Okta's PUT with `active: false` deactivates)."""
    async with _request(org):
        user = await get(org, raw_id)
        state = state_of(body, active_by_default=user.deleted_at is None)
        return await _write(org, user, state, actor=actor, now=now, wall=wall)


async def patch(org: Organization, raw_id: str, body: Any, *, actor: Actor, now: datetime, wall: datetime) -> User:
    """PATCH /Users/{id}: the operations on the kept attributes; a PATCH that changes nothing writes nothing."""
    async with _request(org):
        user = await get(org, raw_id)
        # `remove` of `active` keeps the user's state, as a PUT without `active` does.
        state = state_of(apply(document(user), body, USER_SPEC), active_by_default=user.deleted_at is None)
        return await _write(org, user, state, actor=actor, now=now, wall=wall)


async def delete(org: Organization, raw_id: str, *, actor: Actor, now: datetime, wall: datetime) -> None:
    """DELETE /Users/{id}: deleteUser, and the resource answers 404 from then on (restorable through GraphQL)."""
    async with _request(org):
        user = await get(org, raw_id)
        if user.deleted_at is None:
            try:
                await provisioning.delete_user(org, str(user.id), actor=actor, now=now, wall=wall)
            except DomainError as error:
                raise from_domain(error) from None
            return
        # deactivated before: nothing more to free, only hidden from SCIM
        await User.filter(id=user.id).update(scim_deleted_at=now, last_modified=now)
        await _audit_update(org, user, {"removed": True}, actor=actor, now=now)


@asynccontextmanager
async def _request(org: Organization) -> AsyncIterator[None]:
    """One SCIM write: one transaction (a refused request writes nothing) that first holds the organization, so
    that what it reads and decides on (the user, the organization's global admins) stays as read until it commits.
    Lock order (models/core/locks.py): the organization first, then what the change below locks."""
    async with atomic():
        await hold_organization(org)
        yield


async def _audit_update(org: Organization, user: User, details: dict[str, Any], *, actor: Actor, now: datetime) -> None:
    await audit.record(
        org, actor, AuditAction.USER_UPDATED, target_type=AuditTarget.USER, target_id=user.id, at=now, details=details
    )


async def _deactivate(org: Organization, user: User, *, actor: Actor, now: datetime, wall: datetime) -> User:
    try:
        return await deletion.delete_user(org, str(user.id), actor=actor, now=now, wall=wall)
    except DomainError as error:
        raise from_domain(error) from None


async def _write(org: Organization, user: User, state: UserState, *, actor: Actor, now: datetime, wall: datetime) -> User:
    before = current_state(user)
    if state == before:
        return user
    changed = [f.name for f in fields(state) if f.name != "active" and getattr(state, f.name) != getattr(before, f.name)]
    email = state.seatwise_email() if changed else user.email
    if changed:  # checked before anything changes: a refused request changes nothing
        await _check_unique(org, state, email, user)
    if not state.active and before.active and await users.is_last_global_admin(org, user):
        raise from_domain(DomainError(ErrorCode.LAST_GLOBAL_ADMIN, "The last global admin cannot be deleted.", "active"))
    if state.active and not before.active:
        try:  # restoreUser, never with the admin role or password the person had
            await deletion.restore_user(org, str(user.id), actor=actor, now=now, without_admin_role=True)
        except DomainError as error:
            raise from_domain(error) from None
    if changed:
        values = _columns(state)
        if email != user.email:
            values["email"] = email
        try:  # a unique column taken meanwhile (by GraphQL): the request's transaction rolls back, nothing more runs in it
            await User.filter(id=user.id).update(**values, last_modified=now)
        except IntegrityError:
            raise ScimError(409, "A user with this userName or email already exists.", "uniqueness") from None
        await _audit_update(org, user, {"changed": [_API_NAMES[name] for name in changed], "email": email}, actor=actor, now=now)
    fresh = await User.get(id=user.id)
    if not state.active and before.active:
        fresh = await _deactivate(org, fresh, actor=actor, now=now, wall=wall)
    return fresh


_API_NAMES = {
    "user_name": "userName",
    "external_id": "externalId",
    "display_name": "displayName",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "formatted_name": "name.formatted",
    "emails": "emails",
}
